"""Measure trackdetect's speed on a folder of messages.

All figures are for one core (this process). The script prints messages per second for
``detect()`` and for the floor measured in the same run: MIME parsing plus one Lexbor
parse of each HTML part. It also prints the import time of the package, and vendor
matching time with the shipped vendors against an index of only 20 of them.

    python benchmarks/speed.py [FOLDER] [--rounds N]

FOLDER defaults to the ``raw`` folder of the development corpus: ``$TRACKDETECT_CORPUS``, or
``shared/corpus`` next to the checkout, outside the repository.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selectolax.lexbor import LexborHTMLParser  # noqa: E402

from trackdetect import detect  # noqa: E402
from trackdetect._detect import clear_caches  # noqa: E402
from trackdetect._html import extract  # noqa: E402
from trackdetect._mime import parse_message  # noqa: E402
from trackdetect._urls import split_url  # noqa: E402
from trackdetect._vendors import VendorIndex, default_index  # noqa: E402


def _floor(messages: list[bytes]) -> None:
    for raw in messages:
        parsed = parse_message(raw)
        for body in parsed.html_parts:
            LexborHTMLParser(body.text)


def _full(messages: list[bytes]) -> None:
    for raw in messages:
        detect(raw)


def _best_rate(function: object, messages: list[bytes], rounds: int, *, warm: bool = False) -> float:
    timings = []
    for _ in range(rounds):
        if not warm:
            # Cold caches: every URL, address and style sheet is analysed afresh.
            clear_caches()
        start = time.perf_counter()
        function(messages)  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return len(messages) / min(timings)


def _import_time() -> float:
    """Return the median import time in fresh interpreters, with bytecode already compiled.

    An installed package has its bytecode compiled by pip. A checkout may not, for example
    where PYTHONDONTWRITEBYTECODE is set, so the bytecode goes to a temporary folder and one
    import writes it before the timed ones.
    """
    code = "import time; t = time.perf_counter(); import trackdetect; print(time.perf_counter() - t)"
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    samples = []
    with tempfile.TemporaryDirectory() as cache:
        environment["PYTHONPYCACHEPREFIX"] = cache
        for attempt in range(6):
            result = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=environment, check=True
            )
            if attempt:
                samples.append(float(result.stdout.strip()))
    return statistics.median(samples)


def _vendor_matching(messages: list[bytes]) -> tuple[int, float, float, int]:
    urls = []
    for raw in messages:
        parsed = parse_message(raw)
        for body in parsed.html_parts:
            urls.extend(reference.url for reference in extract(body.text, body.path).references)
    parts = [split for url in urls if (split := split_url(url)) is not None]
    full = default_index()
    small = VendorIndex(full.vendors[:20], "20 vendors")
    results = []
    for index in (small, full):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for item in parts:
                index.match(item)
            best = min(best, time.perf_counter() - start)
        results.append(best / max(1, len(parts)) * 1e6)
    return len(parts), results[0], results[1], len(full)


def _processor() -> str:
    """Return the processor's model name, read from /proc/cpuinfo where platform.processor() is empty."""
    if platform.processor():
        return platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return "unknown CPU"


def default_folder() -> Path:
    """Return the raw/ folder of $TRACKDETECT_CORPUS, or of shared/corpus next to the checkout."""
    corpus = os.environ.get("TRACKDETECT_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    return Path(corpus) / "raw"


def read_messages(folder: Path) -> list[bytes]:
    """Return the .eml files of ``folder``, or an empty list after printing what to pass."""
    files = sorted(folder.glob("*.eml"))
    if not files:
        print(f"no .eml files in {folder}: pass a folder of messages or set TRACKDETECT_CORPUS", file=sys.stderr)
    return [path.read_bytes() for path in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=default_folder(),
        help="folder of .eml files (default: the raw/ folder of $TRACKDETECT_CORPUS or ../shared/corpus)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best one counts")
    args = parser.parse_args()
    messages = read_messages(args.folder)
    if not messages:
        return 2
    _full(messages)  # warm caches and lazy imports once

    floor = _best_rate(_floor, messages, args.rounds)
    full = _best_rate(_full, messages, args.rounds)
    warm = _best_rate(_full, messages, args.rounds, warm=True)
    urls, small_us, full_us, vendor_count = _vendor_matching(messages)
    print(f"machine: {platform.machine()}, {_processor()}, Python {platform.python_version()}")
    print(f"messages: {len(messages)} from {args.folder} ({sum(map(len, messages)) / 1e6:.1f} MB)")
    print(f"floor (MIME + Lexbor parse): {floor:8.0f} messages/s per core")
    print(f"detect(), cold caches:       {full:8.0f} messages/s per core ({floor / full:.2f}x the floor's time)")
    print(f"detect(), warm caches:       {warm:8.0f} messages/s per core (the same messages seen again)")
    print(f"import trackdetect:          {_import_time() * 1000:8.0f} ms (median of 5, bytecode compiled)")
    print(f"vendor match, 20 vendors:    {small_us:8.2f} us per URL over {urls} URLs")
    print(f"vendor match, {vendor_count} vendors:   {full_us:8.2f} us per URL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
