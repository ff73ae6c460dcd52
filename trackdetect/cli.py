"""The ``trackdetect`` command line.

Exit status: 0 when no message is tracked, 1 when tracking is found, 2 on a usage or
input error. Errors are one line on stderr naming the file; there are no tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import mailbox
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import __version__
from ._detect import detect
from ._errors import TrackdetectError
from ._options import Options, normalize_codes
from ._render import render_text

EXIT_CLEAN = 0
EXIT_TRACKED = 1
EXIT_ERROR = 2
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Larger files are rejected: no real message is that big, and reading it would waste memory."""

logger = logging.getLogger("trackdetect")


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trackdetect",
        description="Find email tracking (open pixels, tracked links, address leaks, read receipts) "
        "in raw messages, without contacting any tracker.",
        epilog="Other commands: 'trackdetect update-lists URL...' downloads tracker lists; "
        "'trackdetect rules [--markdown]' lists the rules. Exit status: 0 no tracking, 1 tracking found, 2 error.",
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="message files (.eml), folders of them, or - for standard input",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report of one message as JSON")
    output.add_argument("--jsonl", action="store_true", help="print one JSON report per line, for many messages")
    parser.add_argument("--mbox", action="store_true", help="read each FILE as an mbox mailbox of many messages")
    parser.add_argument(
        "-r",
        "--recipient",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="address to look for in URLs (repeatable); default: To, Cc, Delivered-To, X-Original-To",
    )
    parser.add_argument("--select", default="", metavar="CODES", help="comma-separated rule codes or prefixes to run")
    parser.add_argument("--ignore", default="", metavar="CODES", help="comma-separated rule codes or prefixes to skip")
    parser.add_argument(
        "--vendors",
        action="append",
        default=[],
        metavar="FILE",
        help="extra vendor data file in the shipped format (repeatable)",
    )
    parser.add_argument(
        "--lists", action="store_true", help="also use the lists downloaded by 'trackdetect update-lists'"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every finding, rule evidence and remote resource"
    )
    parser.add_argument("--debug", action="store_true", help="log debugging details to stderr")
    parser.add_argument("--version", action="version", version=f"trackdetect {__version__}")
    return parser


def _messages(path: str, as_mbox: bool) -> Iterator[tuple[str, bytes]]:
    """Yield (name, raw bytes) for each message in a file, or on standard input for ``-``."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
        if len(data) > MAX_MESSAGE_BYTES:
            raise _UsageError(f"<stdin>: input is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MiB")
        if as_mbox:
            yield from _split_mbox(data, "<stdin>")
        else:
            yield "<stdin>", data
        return
    file = Path(path)
    if not file.exists():
        raise _UsageError(f"{path}: file not found")
    if file.is_dir():
        if as_mbox:
            raise _UsageError(f"{path}: is a directory; pass the mbox files inside it")
        raise _UsageError(f"{path}: is a directory with no .eml files")
    if as_mbox:
        box = mailbox.mbox(file, create=False)
        count = 0
        try:
            for count, key in enumerate(box.iterkeys(), start=1):
                yield f"{path}#{count}", box.get_bytes(key)
        finally:
            box.close()
        if count == 0:
            raise _UsageError(f"{path}: no messages found; an mbox starts each message with a 'From ' line")
        return
    if file.stat().st_size > MAX_MESSAGE_BYTES:
        raise _UsageError(f"{path}: file is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MiB")
    yield path, file.read_bytes()


_MBOX_SEPARATOR = re.compile(rb"^From [^\r\n]*\r?\n", re.M)


def _split_mbox(data: bytes, name: str) -> Iterator[tuple[str, bytes]]:
    """Yield the messages of an mbox read from standard input."""
    starts = [
        match
        for match in _MBOX_SEPARATOR.finditer(data)
        if match.start() == 0 or data[match.start() - 1 : match.start()] == b"\n"
    ]
    if not starts:
        raise _UsageError(f"{name}: no messages found; an mbox starts each message with a 'From ' line")
    for number, match in enumerate(starts, start=1):
        end = starts[number].start() if number < len(starts) else len(data)
        body = re.sub(rb"^>(>*From )", rb"\1", data[match.end() : end], flags=re.M)
        yield f"{name}#{number}", body


def _check_codes(codes: tuple[str, ...], option: str) -> None:
    """Reject rule codes and prefixes that name no rule, so a typo cannot silence detection."""
    from .rules import ALL_CODES

    for code in codes:
        if not any(known.startswith(code) for known in ALL_CODES) or len(code) < 3:
            raise _UsageError(f"{option}: unknown rule code or prefix {code!r}; run 'trackdetect rules' for the codes")


def _options(args: argparse.Namespace) -> Options:
    index = None
    extra = []
    for name in args.vendors:
        try:
            extra.append(json.loads(Path(name).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise _UsageError(f"{name}: cannot read vendor file: {error}") from error
    parameter_rules = None
    blocklist = None
    names = list(args.vendors)
    if args.lists:
        from ._lists import load_saved_lists

        saved = load_saved_lists()
        for reason in saved.skipped:
            print(f"trackdetect: warning: {reason}", file=sys.stderr)
        extra.extend(saved.vendor_documents)
        names.extend(saved.vendor_files)
        parameter_rules = saved.parameter_rules
        blocklist = saved.blocklist
    if extra:
        from ._errors import DataError
        from ._vendors import load_vendor_index

        try:
            index = load_vendor_index(extra)
        except DataError as error:
            from ._lists import name_vendor_files

            raise _UsageError(f"{name_vendor_files(str(error), names)}; fix or delete that vendor file") from error
    select = normalize_codes(args.select.split(","))
    ignore = normalize_codes(args.ignore.split(","))
    _check_codes(select, "--select")
    _check_codes(ignore, "--ignore")
    return Options(
        select=select,
        ignore=ignore,
        vendor_index=index,
        parameter_rules=parameter_rules,
        blocklist=blocklist,
    )


def _run_rules_command() -> int:
    from .rules import HEADER_RULES, RULES

    rows = [(rule.code, rule.name, rule.summary) for rule in RULES]
    rows += [(rule.code, rule.name, rule.summary) for rule in HEADER_RULES]
    for code, name, summary in sorted(rows):
        print(f"{code}  {name:<28} {summary}")
    return EXIT_CLEAN


def _expand_folders(paths: list[str]) -> list[str]:
    """Replace each folder by the .eml files directly inside it, sorted by name.

    A folder without any stays in the list, so that reading it reports the problem.
    """
    expanded: list[str] = []
    for path in paths:
        folder = Path(path)
        if path != "-" and folder.is_dir():
            files = sorted(
                str(child) for child in folder.iterdir() if child.suffix.lower() == ".eml" and child.is_file()
            )
            expanded.extend(files or [path])
        else:
            expanded.append(path)
    return expanded


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["update-lists"]:
        from ._lists import update_lists_main

        return update_lists_main(arguments[1:])
    if arguments[:1] == ["rules"]:
        rules_parser = argparse.ArgumentParser(prog="trackdetect rules", description="List the rules trackdetect runs.")
        rules_parser.add_argument("--markdown", action="store_true", help="print the rule reference in Markdown")
        if rules_parser.parse_args(arguments[1:]).markdown:
            from ._docs import rules_markdown

            print(rules_markdown(), end="")
            return EXIT_CLEAN
        return _run_rules_command()

    args = _parser().parse_args(arguments)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="trackdetect: %(message)s")
    if not args.mbox:
        args.files = _expand_folders(args.files)
    if args.json and (len(args.files) > 1 or args.mbox):
        print("trackdetect: --json prints one message; use --jsonl for several", file=sys.stderr)
        return EXIT_ERROR
    if args.files.count("-") > 1:
        print("trackdetect: standard input (-) can be given only once", file=sys.stderr)
        return EXIT_ERROR

    try:
        options = _options(args)
    except (_UsageError, TrackdetectError) as error:
        print(f"trackdetect: {error}", file=sys.stderr)
        return EXIT_ERROR
    # A -r without an address would otherwise replace the header recipients with nothing.
    recipients = [address for address in args.recipient if "@" in address] or None

    status = EXIT_CLEAN
    failed = False
    for path in args.files:
        try:
            for name, raw in _messages(path, args.mbox):
                try:
                    report = detect(raw, recipients=recipients, options=options)
                    if args.json:
                        output = report.to_json()
                    elif args.jsonl:
                        output = json.dumps({"file": name, **report.to_dict()}, ensure_ascii=False)
                    else:
                        output = render_text(report, name, verbose=args.verbose)
                except (TrackdetectError, KeyboardInterrupt):
                    raise
                except Exception as error:
                    # A bug must not stop a run over a mailbox or many files, so it is one
                    # line here and the traceback is logged with --debug.
                    logging.getLogger(__name__).debug("internal error", exc_info=True)
                    print(
                        f"trackdetect: {name}: internal error ({type(error).__name__}); please report it",
                        file=sys.stderr,
                    )
                    failed = True
                    continue
                # The verdict counts before the report is printed, so that a reader that
                # stops early (such as "head") still gets the exit status of what it read.
                not_email = any(defect.code == "mime.not-email" for defect in report.defects)
                if report.tracked:
                    status = EXIT_TRACKED
                failed = failed or not_email
                print(output)
                if not_email:
                    print(f"trackdetect: {name}: not an email message (no headers found)", file=sys.stderr)
        except BrokenPipeError:
            raise _PipeClosed(EXIT_ERROR if failed else status) from None
        except _UsageError as error:
            print(f"trackdetect: {error}", file=sys.stderr)
            failed = True
        except (OSError, mailbox.Error, TrackdetectError) as error:
            print(f"trackdetect: {path}: cannot read: {error}", file=sys.stderr)
            failed = True
        except KeyboardInterrupt:
            return 130
    return EXIT_ERROR if failed else status


class _PipeClosed(Exception):
    """The output pipe closed; carries the exit status of the messages judged so far."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def entry_point() -> None:
    """Console-script entry: exit with ``main()``'s status, quietly on a closed pipe."""
    code = EXIT_CLEAN
    try:
        code = main()
        sys.stdout.flush()
    except (BrokenPipeError, _PipeClosed) as closed:
        # The reader (such as "head") went away; send the rest of the output nowhere. The
        # status is that of the messages judged so far.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        if isinstance(closed, _PipeClosed):
            code = closed.status
    sys.exit(code)


if __name__ == "__main__":
    entry_point()
