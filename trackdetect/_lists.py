"""User tracker lists: parsing, and the explicit ``update-lists`` download.

Three formats are read:

* vendor files in the shipped format (``trackdetect/data/README.md``);
* tracking-parameter rules in the ClearURLs format (a JSON object with ``providers``);
* Adblock Plus style filter lists such as EasyPrivacy. Only the network filters that name
  a host or a URL part are used, with their ``@@`` exceptions and resource type options.
  Cosmetic filters are skipped.

Parsing is pure. Only ``download_list`` and ``update_lists_main`` touch the network, and
only when a user runs ``trackdetect update-lists``; ``detect()`` never calls them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._errors import DataError, UpdateError
from ._urls import UrlParts, host_matches
from ._vendors import load_vendor_index, vendors_from_data

logger = logging.getLogger(__name__)

MAX_LIST_BYTES = 16 * 1024 * 1024
"""Default size limit of a downloaded list."""
DOWNLOAD_TIMEOUT = 30.0
"""Seconds allowed for each download: to connect, and for the whole list to arrive."""
MAX_RULES = 200_000
_HOST_FILTER = re.compile(r"^\|\|([a-z0-9.-]+\.[a-z]{2,})(\^|/[^$]*)?(?:\$.*)?$")
_PATH_FILTER = re.compile(r"^(/[A-Za-z0-9_./?=&%-]{3,200})(?:\$.*)?$")


# ClearURLs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Provider:
    name: str
    url_pattern: re.Pattern[str]
    parameters: tuple[re.Pattern[str], ...]
    exceptions: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class ParameterRules:
    """Tracking-parameter rules compiled from ClearURLs-format data."""

    providers: tuple[_Provider, ...] = ()

    def tracking_parameters(self, url: str, names: Iterable[str]) -> list[tuple[str, str]]:
        """Return (parameter name, provider name) for each name that a provider lists for this URL."""
        found: list[tuple[str, str]] = []
        wanted = list(names)
        for provider in self.providers:
            if not provider.url_pattern.search(url[:4096]):
                continue
            if any(pattern.search(url[:4096]) for pattern in provider.exceptions):
                continue
            for name in wanted:
                if any(pattern.fullmatch(name) for pattern in provider.parameters):
                    found.append((name, provider.name))
        return found


def parse_clearurls(data: Any, where: str = "ClearURLs data") -> ParameterRules:
    """Compile ClearURLs rules: ``{"providers": {name: {"urlPattern", "rules", ...}}}``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("providers"), Mapping):
        raise DataError(f"{where}: expected an object with a 'providers' object (ClearURLs format)")
    providers = []
    for name, raw in list(data["providers"].items())[:MAX_RULES]:
        if not isinstance(raw, Mapping):
            raise DataError(f"{where}: provider {name!r} must be an object")
        try:
            url_pattern = re.compile(str(raw.get("urlPattern", "")), re.I)
            names = [*raw.get("rules", []), *raw.get("referralMarketing", [])]
            parameters = tuple(re.compile(str(rule), re.I) for rule in names)
            exceptions = tuple(re.compile(str(item), re.I) for item in raw.get("exceptions", []))
        except (re.error, TypeError) as error:
            raise DataError(f"{where}: provider {name!r} has an invalid pattern: {error}") from error
        providers.append(_Provider(str(name), url_pattern, parameters, exceptions))
    return ParameterRules(tuple(providers))


# Adblock Plus ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockList:
    """Host and path filters taken from an Adblock Plus style list."""

    name: str
    hosts: frozenset[str] = frozenset()
    host_paths: tuple[tuple[str, str], ...] = ()
    paths: tuple[str, ...] = ()
    _by_domain: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, compare=False)
    exceptions: tuple[tuple[str, str], ...] = ()
    """``@@`` exception filters as (host, path prefix); a match on one cancels every filter."""
    resource_only: frozenset[str] = frozenset()
    """Filters with a resource type option (``$image``, ``$stylesheet``...): not applied to links."""

    def match(self, parts: UrlParts, *, link: bool = False) -> str | None:
        """Return the filter that matches the URL, or None.

        ``link`` is true for a URL that is followed on click rather than fetched, which
        filters limited to a resource type (``$image``) do not cover.
        """
        for host, path in self.exceptions:
            if host_matches(parts.host, host) and parts.path.startswith(path):
                return None
        found = self._match(parts)
        if found is not None and link and found in self.resource_only:
            return None
        return found

    def _match(self, parts: UrlParts) -> str | None:
        labels = parts.host.split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            if candidate in self.hosts:
                return f"||{candidate}^"
            for host, path in self._by_domain.get(candidate, ()):
                if host_matches(parts.host, host) and parts.path.startswith(path):
                    return f"||{host}{path}"
        full = parts.path + ("?" + parts.query if parts.query else "")
        for path in self.paths:
            if path in full:
                return path
        return None


def parse_adblock(text: str, name: str = "block list") -> BlockList:
    """Compile the network filters of an Adblock Plus list that trackdetect can use offline.

    ``||host^`` filters become host matches, ``||host/path`` filters host and path prefix
    matches, and plain ``/path`` filters substring matches on path and query. ``@@``
    exceptions of the ``||host`` forms cancel matches. A resource type option (``$image``,
    ``$stylesheet``...) keeps a filter off links, and filters for documents, pop-ups or
    scripts only are skipped. Cosmetic rules (``##``), regular-expression rules and rules
    with wildcards are skipped: they cannot be read without a browser's context.
    """
    hosts: set[str] = set()
    host_paths: dict[str, list[tuple[str, str]]] = {}
    paths: list[str] = []
    exceptions: list[tuple[str, str]] = []
    resource_only: set[str] = set()
    count = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("!", "[")) or "##" in line or "#@#" in line or "#?#" in line:
            continue
        if "*" in line or (line.startswith("/") and line.endswith("/")):
            continue
        count += 1
        if count > MAX_RULES:
            break
        exception = line.startswith("@@")
        filter_text, _, option_text = line.removeprefix("@@").partition("$")
        options = {option.strip().lower() for option in option_text.split(",") if option.strip()}
        if options & _PAGE_ONLY_OPTIONS and not options & _RESOURCE_OPTIONS:
            continue
        match = _HOST_FILTER.match(filter_text.lower())
        if match:
            host, tail = match.group(1), (match.group(2) or "").rstrip("^")
            if exception:
                exceptions.append((host, tail or "/"))
                continue
            if not tail:
                hosts.add(host)
                label = f"||{host}^"
            else:
                host_paths.setdefault(_last_two_labels(host), []).append((host, tail))
                label = f"||{host}{tail}"
            if options & _RESOURCE_OPTIONS:
                resource_only.add(label)
            continue
        path_match = _PATH_FILTER.match(filter_text)
        if path_match and not exception:
            paths.append(path_match.group(1))
            if options & _RESOURCE_OPTIONS:
                resource_only.add(path_match.group(1))
    by_domain = {key: tuple(value) for key, value in host_paths.items()}
    flat = tuple(item for value in host_paths.values() for item in value)
    return BlockList(name, frozenset(hosts), flat, tuple(paths), by_domain, tuple(exceptions), frozenset(resource_only))


_RESOURCE_OPTIONS = frozenset({"image", "stylesheet", "font", "media", "object", "xmlhttprequest", "ping", "other"})
_PAGE_ONLY_OPTIONS = frozenset({"document", "popup", "subdocument", "script", "websocket"})


def _last_two_labels(host: str) -> str:
    return ".".join(host.split(".")[-2:])


# Saved lists -------------------------------------------------------------------------------


def data_dir() -> Path:
    """Return the folder that ``update-lists`` writes to (``$TRACKDETECT_DATA`` or the XDG data home)."""
    configured = os.environ.get("TRACKDETECT_DATA")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "trackdetect" / "lists"


@dataclass(frozen=True, slots=True)
class SavedLists:
    """Lists read from the data folder, ready to pass to ``detect()`` through ``Options``."""

    vendor_documents: tuple[Any, ...] = ()
    vendor_files: tuple[str, ...] = ()
    """The file each of ``vendor_documents`` was read from."""
    parameter_rules: ParameterRules | None = None
    blocklist: BlockList | None = None
    skipped: tuple[str, ...] = ()
    """The reason each file of the folder that is not a list was left out, one per file."""


def detect_format(content: bytes) -> str:
    """Return ``vendors``, ``clearurls`` or ``adblock`` for a list's content, or raise DataError."""
    head = content[:2048].lstrip()
    if head.startswith(b"{"):
        try:
            data = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DataError(f"list looks like JSON but cannot be parsed: {error}") from error
        if isinstance(data, Mapping) and "vendors" in data:
            return "vendors"
        if isinstance(data, Mapping) and "providers" in data:
            return "clearurls"
        raise DataError("JSON list has neither 'vendors' (trackdetect format) nor 'providers' (ClearURLs format)")
    text = content[:65536].decode("utf-8", "replace")
    if text.startswith("[Adblock") or re.search(r"^\|\|[a-z0-9.-]+", text, re.M):
        return "adblock"
    raise DataError("unknown list format: expected trackdetect vendor JSON, ClearURLs JSON or an Adblock Plus list")


def validate_list(content: bytes, name: str, others: Sequence[tuple[str, Any]] = ()) -> str:
    """Parse a downloaded list fully and return its format; raise DataError if it is invalid.

    ``others`` are the vendor documents already saved, with their file names: a vendor list
    must not reuse an id or domain of them or of the shipped data.
    """
    kind = detect_format(content)
    if kind == "vendors":
        document = json.loads(content.decode("utf-8"))
        vendors_from_data(document, name)
        names = [other_name for other_name, _document in others] + [name]
        try:
            # A clash would make every later run with the saved lists fail, so it is found now.
            load_vendor_index([*(other for _name, other in others), document])
        except DataError as error:
            raise DataError(name_vendor_files(str(error), names)) from error
    elif kind == "clearurls":
        parse_clearurls(json.loads(content.decode("utf-8")), name)
    else:
        blocklist = parse_adblock(content.decode("utf-8", "replace"), name)
        if not (blocklist.hosts or blocklist.host_paths or blocklist.paths):
            raise DataError(f"{name}: the Adblock list has no host or path filters trackdetect can use")
    return kind


def name_vendor_files(message: str, names: Sequence[str]) -> str:
    """Replace the ``extra[N]`` labels of a vendor-index error with the files they stand for."""
    return re.sub(
        r"extra\[(\d+)\]",
        lambda match: names[int(match.group(1))] if int(match.group(1)) < len(names) else match.group(0),
        message,
    )


def load_saved_lists(folder: Path | None = None) -> SavedLists:
    """Read every list that ``update-lists`` saved; a missing folder gives empty lists."""
    folder = folder or data_dir()
    if not folder.is_dir():
        return SavedLists()

    documents: list[Any] = []
    providers: list[_Provider] = []
    adblock_texts: list[str] = []
    skipped: list[str] = []
    vendor_files: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith((".previous", ".part")) or not path.is_file():
            continue
        content = path.read_bytes()
        try:
            kind = detect_format(content)
        except DataError as error:
            # A stray file in the folder must not stop every later run that reads the lists.
            skipped.append(f"{path} was left out: {error}")
            continue
        if kind == "vendors":
            documents.append(json.loads(content.decode("utf-8")))
            vendor_files.append(str(path))
        elif kind == "clearurls":
            providers.extend(parse_clearurls(json.loads(content.decode("utf-8")), str(path)).providers)
        else:
            adblock_texts.append(content.decode("utf-8", "replace"))

    rules = ParameterRules(tuple(providers)) if providers else None
    blocklist = parse_adblock("\n".join(adblock_texts), "your block lists") if adblock_texts else None
    if blocklist is not None and not (blocklist.hosts or blocklist.host_paths or blocklist.paths):
        blocklist = None
    return SavedLists(tuple(documents), tuple(vendor_files), rules, blocklist, tuple(skipped))


# Download ----------------------------------------------------------------------------------


def _list_name(url: str) -> str:
    """Return the file name a downloaded list is saved under: one per host, port and path.

    Two lists with the same file name on one server (``/a/vendors.json``, ``/b/vendors.json``)
    must not replace each other, so the whole path is kept, and a digest of the query.
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    name = parts.hostname or "local"
    if port is not None:
        name += f"_{port}"
    # "/" becomes "+", which no other character becomes, so "/a/x.json" and "/a_x.json" differ.
    name += "_" + re.sub(r"[^A-Za-z0-9._/-]", "_", parts.path.strip("/") or "list").replace("/", "+")
    if parts.query:
        name += "_" + hashlib.sha256(parts.query.encode("utf-8")).hexdigest()[:8]
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", name)
    if len(safe) > 120:
        safe = safe[:111] + "_" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return safe


def _former_list_name(url: str) -> str:
    """Return the name that versions before 2026-12-05 saved a list under: host and file name."""
    parts = urlsplit(url)
    base = Path(parts.path).name or parts.hostname or "list"
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{parts.hostname or 'local'}_{base}")[:120]


def download_list(
    url: str, *, max_bytes: int = MAX_LIST_BYTES, sha256: str | None = None, timeout: float = DOWNLOAD_TIMEOUT
) -> bytes:
    """Download one list with ``requests``, enforcing the size limit and an optional SHA-256."""
    import requests
    import urllib3

    if urlsplit(url).scheme not in ("http", "https"):
        raise UpdateError(f"{url}: only http and https URLs can be downloaded")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise UpdateError(f"invalid timeout {timeout}: give a positive number of seconds")
    # requests applies its timeout to the connection and to each read, so a server that sends
    # a byte now and then would never time out: the whole download gets the same limit.
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise UpdateError(f"{url}: list is {declared} bytes, over the limit of {max_bytes}")
            chunks = []
            size = 0
            read1 = getattr(response.raw, "read1", None)
            if read1 is not None:
                # Each read returns what has arrived, so the deadline is checked as data comes.
                pieces: Iterable[bytes] = iter(lambda: read1(65536, decode_content=True), b"")
            else:
                # NOTE: without urllib3's read1() a read waits for a full chunk, so a server that
                # sends a few bytes at a time is bounded only by the timeout of each read.
                pieces = response.iter_content(chunk_size=65536)
            for chunk in pieces:
                size += len(chunk)
                if size > max_bytes:
                    raise UpdateError(f"{url}: list is over the limit of {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise UpdateError(f"{url}: download took longer than {timeout:g} seconds")
                chunks.append(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        # read1() reads through urllib3 directly, so its errors (a read timeout, a body cut
        # short, a broken gzip stream) arrive without requests' wrapping.
        # A failed connection's text repeats the connection pool and the retries around the
        # operating system's reason ("[Errno 111] Connection refused"), which is what matters.
        reason = str(error)
        system = re.search(r"\[Errno -?\d+\] [^'\")]+", reason)
        if system is not None:
            reason = system.group(0)
        elif len(reason) > 300:
            reason = reason[:300] + "…"
        raise UpdateError(f"{url}: download failed: {reason}") from error
    content = b"".join(chunks)
    if sha256 is not None:
        digest = hashlib.sha256(content).hexdigest()
        if digest.lower() != sha256.lower():
            raise UpdateError(f"{url}: SHA-256 is {digest}, expected {sha256}")
    return content


def save_list(content: bytes, name: str, folder: Path) -> Path:
    """Write a validated list atomically, keeping the replaced copy as ``NAME.previous``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temporary = folder / f"{name}.part"
    temporary.write_bytes(content)
    if target.exists():
        os.replace(target, folder / f"{name}.previous")
    os.replace(temporary, target)
    return target


def update_lists(
    urls: Sequence[str],
    *,
    folder: Path | None = None,
    sha256: Sequence[str] = (),
    max_bytes: int = MAX_LIST_BYTES,
    timeout: float = DOWNLOAD_TIMEOUT,
) -> list[tuple[str, str]]:
    """Download, verify and save each list; return (url, outcome) pairs.

    A list that fails to download or to validate leaves the saved copy as it was.
    """
    folder = folder or data_dir()
    if sha256 and len(sha256) != len(urls):
        raise UpdateError("give one --sha256 per URL, in the same order, or none")
    outcomes = []
    # Vendor lists by file name, kept current through the run so that a later URL is checked
    # against the lists saved before it too.
    try:
        saved = load_saved_lists(folder)
    except DataError as error:
        # A broken saved ClearURLs list must not stop new downloads, which may replace it.
        logger.debug("saved lists not read: %s", error)
        saved = SavedLists()
    vendor_lists = dict(zip((Path(file).name for file in saved.vendor_files), saved.vendor_documents, strict=True))
    for position, url in enumerate(urls):
        name = _list_name(url)
        # A copy saved under the former, shorter name is the copy this download replaces.
        former = _former_list_name(url)
        try:
            content = download_list(
                url, max_bytes=max_bytes, sha256=sha256[position] if sha256 else None, timeout=timeout
            )
            # The copy this download replaces is no clash.
            others = [(other, document) for other, document in vendor_lists.items() if other not in (name, former)]
            kind = validate_list(content, name, others)
        except (UpdateError, DataError) as error:
            logger.debug("%s", error)
            kept = "kept the saved copy" if (folder / name).exists() else "nothing saved"
            outcomes.append((url, f"failed: {str(error).removeprefix(url + ': ')}; {kept}"))
            continue
        path = save_list(content, name, folder)
        if former != name and (folder / former).is_file():
            os.replace(folder / former, folder / f"{former}.previous")
            vendor_lists.pop(former, None)
        if kind == "vendors":
            vendor_lists[name] = json.loads(content.decode("utf-8"))
        outcomes.append((url, f"saved {kind} list to {path} ({len(content)} bytes)"))
    return outcomes


def _sha256(text: str) -> str:
    """Accept a SHA-256 digest written as 64 hex digits, checked before anything is downloaded."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError(f"not a SHA-256 digest (64 hex digits): {text!r}")
    return text


def _positive(kind: type[int] | type[float]) -> Any:
    """Return an argparse type that accepts only positive numbers of ``kind``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be positive and finite, not {text}")
        return value

    return parse


def update_lists_main(argv: Sequence[str]) -> int:
    """Run ``trackdetect update-lists``: 0 when every list was saved, 2 otherwise."""
    parser = argparse.ArgumentParser(
        prog="trackdetect update-lists",
        description="Download tracker lists (trackdetect vendor JSON, ClearURLs rules, Adblock Plus lists), "
        "verify them and save them for 'trackdetect --lists'. A failed download keeps the previous copy.",
    )
    parser.add_argument("urls", nargs="+", metavar="URL", help="http(s) address of a list to download")
    parser.add_argument(
        "--sha256",
        action="append",
        default=[],
        type=_sha256,
        metavar="HEX",
        help="expected SHA-256 of each list, in URL order",
    )
    parser.add_argument("--dir", type=Path, default=None, help=f"folder to save into (default {data_dir()})")
    parser.add_argument(
        "--max-bytes",
        type=_positive(int),
        default=MAX_LIST_BYTES,
        help=f"size limit of each list in bytes (default {MAX_LIST_BYTES})",
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=DOWNLOAD_TIMEOUT,
        help=f"seconds allowed for the whole download of each list (default {DOWNLOAD_TIMEOUT:g})",
    )
    args = parser.parse_args(list(argv))
    try:
        outcomes = update_lists(
            args.urls, folder=args.dir, sha256=args.sha256, max_bytes=args.max_bytes, timeout=args.timeout
        )
    except UpdateError as error:
        print(f"trackdetect: {error}", file=sys.stderr)
        return 2
    failed = False
    for url, outcome in outcomes:
        stream = sys.stderr if outcome.startswith("failed") else sys.stdout
        failed = failed or outcome.startswith("failed")
        print(f"{url}: {outcome}", file=stream)
    return 2 if failed else 0
