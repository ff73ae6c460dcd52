"""Compare the speed of detect() in two checkouts, in one process, round by round.

On a shared machine two runs of speed.py minutes apart can differ by 10%, more than most
single changes gain. This script loads the ``trackdetect`` package of each checkout under
its own name, alternates their rounds over the same messages (cold caches each round) and
prints the median time per message of each and the difference.

    python benchmarks/compare.py BASE NEW [FOLDER] [--rounds N]

BASE and NEW are checkouts (folders that contain ``trackdetect/``), for example a
``git worktree`` of the commit before a change and the working tree. FOLDER is read as in
speed.py.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import default_folder, read_messages


def _load(checkout: Path, name: str, into: Path) -> tuple[ModuleType, ModuleType]:
    """Import the package of ``checkout`` under ``name``, which works because it imports itself relatively."""
    shutil.copytree(checkout / "trackdetect", into / name)
    return importlib.import_module(name), importlib.import_module(f"{name}._detect")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="checkout measured first in even rounds")
    parser.add_argument("new", type=Path, help="checkout measured first in odd rounds")
    parser.add_argument("folder", nargs="?", type=Path, help="folder of .eml files")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per checkout (default 15)")
    arguments = parser.parse_args(argv)
    folder = arguments.folder or default_folder()
    messages = read_messages(folder)
    if not messages:
        return 2

    with tempfile.TemporaryDirectory() as packages:
        sys.path.insert(0, packages)
        loaded = {
            "base": _load(arguments.base.resolve(), "trackdetect_base", Path(packages)),
            "new": _load(arguments.new.resolve(), "trackdetect_new", Path(packages)),
        }
        for package, _detect in loaded.values():
            for raw in messages:  # first use: lazy imports and one-time tables
                package.detect(raw)
        timings: dict[str, list[float]] = {"base": [], "new": []}
        for round_number in range(arguments.rounds):
            # Alternating the order cancels the drift of a machine that speeds up or slows down.
            order = ("base", "new") if round_number % 2 == 0 else ("new", "base")
            for label in order:
                package, detect_module = loaded[label]
                detect_module.clear_caches()
                gc.collect()
                start = time.perf_counter()
                for raw in messages:
                    package.detect(raw)
                timings[label].append((time.perf_counter() - start) / len(messages) * 1000)

    base = statistics.median(timings["base"])
    new = statistics.median(timings["new"])
    print(f"messages: {len(messages)} from {folder}, {arguments.rounds} rounds each, cold caches")
    print(f"base {arguments.base}: {base:.3f} ms per message (median)")
    print(f"new  {arguments.new}: {new:.3f} ms per message (median)")
    print(f"difference: {base - new:+.3f} ms per message ({(base - new) / base:+.1%} of base)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
