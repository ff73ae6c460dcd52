"""Find a recipient's address inside a URL, as it is, encoded or hashed.

Senders put the recipient's address into links and images, in plain text or hashed, and so
leak it to every server on the way. :class:`AddressMatcher` computes every searched form of
each address once per message, and :meth:`AddressMatcher.find` checks one URL against all of
them. Nothing here opens a file or a socket.

Hex forms are found by looking up runs of hex digits in a dict. Base64 forms, the address
itself and its local part are found by substring search, because they often sit inside a
longer value. Each URL is searched as it is and after one and two rounds of
percent-decoding, so that ``%40`` and ``%2540`` are found too.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "ENCODINGS",
    "HASH_ALGORITHMS",
    "MAX_ADDRESSES",
    "MAX_MATCHED_LENGTH",
    "MAX_URL_LENGTH",
    "AddressMatcher",
    "LeakMatch",
]

logger = logging.getLogger(__name__)

MAX_ADDRESSES = 50
"""Maximum number of addresses kept by one matcher. Later ones are ignored."""

MAX_URL_LENGTH = 16 * 1024
"""Maximum number of characters searched at the start of a URL. The rest is ignored."""

MAX_MATCHED_LENGTH = 200
"""Maximum length of :attr:`LeakMatch.matched`."""

_MAX_ADDRESS_LENGTH = 254
"""Maximum address length in characters.

RFC 5321 (section 4.5.3.1.3) limits a path to 256 octets, the two angle brackets included.
"""

_MAX_ITEMS_READ = 1000
"""Items read from the iterable given to the matcher, valid or not."""

_MAX_OCCURRENCES = 32
"""Occurrences of one plain or local-part needle examined per URL."""

_SCREEN_BATCH_CHARS = 256 * 1024
"""URL characters joined for one screening search, which bounds the memory it takes."""

_MAX_HEX_RUNS = 256
"""Runs of hex digits examined per URL."""

_EMBEDDED_HEX_BUDGET = 4096
"""Work allowed per URL for hex needles inside longer hex runs.

A dict look-up costs 1, and a substring search costs 1 per 64 characters of the run.
"""

_MIN_BASE64_CORE = 8
"""Shorter base64 fragments of an address are skipped because they match by chance."""

_MIN_LOCAL_PART = 6
_MIN_UNIFORM_LOCAL_PART = 8

HASH_ALGORITHMS: tuple[str, ...] = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
_SHORTEST_DIGEST_HEX = 2 * min(hashlib.new(name, usedforsecurity=False).digest_size for name in HASH_ALGORITHMS)

ENCODINGS: tuple[str, ...] = (
    "plain",
    "percent",
    "percent2",
    "base64",
    "base64url",
    "hex",
    *HASH_ALGORITHMS,
    *(f"{algorithm}-base64" for algorithm in HASH_ALGORITHMS),
    *(f"{outer}({inner})" for outer in HASH_ALGORITHMS for inner in HASH_ALGORITHMS),
    "local-part",
)
"""Every value of :attr:`LeakMatch.encoding`, in the order used to sort matches.

``sha256(md5)`` is the hex SHA-256 digest of the lower-case hex MD5 digest of the address.
A URL-safe base64 form that has no ``-`` or ``_`` is the same text as the standard form,
and is reported as ``base64``.
"""
# NOTE: only the forms listed here are searched. Other chains, such as base64 of the hex
# form or a digest of the base64 form, and addresses packed at a bit offset that is not a
# whole byte, are missed.

_ENCODING_RANK = {name: rank for rank, name in enumerate(ENCODINGS)}
_PLAIN_ENCODINGS = ("plain", "percent", "percent2")

# Local parts that are role names rather than a person, and so also appear in URLs as words.
_COMMON_LOCAL_PARTS = frozenset(
    {
        "account", "accounts", "admin", "billing", "client", "clients", "contact",
        "customer", "customers", "customerservice", "member", "members", "recipient",
        "recipients", "subscriber", "subscribers",
        "do-not-reply", "donotreply", "feedback", "hello", "info", "mailer-daemon",
        "marketing", "news", "newsletter", "no-reply", "noreply", "notification",
        "notifications", "office", "postmaster", "privacy", "sales", "security",
        "service", "support", "unsubscribe", "updates", "webmaster",
    }
)  # fmt: skip

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_HEX_DIGITS = "0123456789abcdefABCDEF"
# Each escape decodes to the one character with that code point, so that one decoded
# character always stands for one escape and offsets can be mapped back to the URL.
_ESCAPE_CHARS = {high + low: chr(int(high + low, 16)) for high in _HEX_DIGITS for low in _HEX_DIGITS}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}:")
_LAYER_SEPARATOR = "\n"
"""Separator between the URL's decoded layers. No needle contains it, so no match spans two."""


_Spans = dict[tuple[int, str], tuple[int, int]]
"""The URL span first found for each (address index, encoding) pair."""


@dataclass(frozen=True, slots=True)
class LeakMatch:
    """One form of one recipient address found in a URL."""

    address: str
    """The address searched for, stripped and lower-cased."""
    encoding: str
    """Form in which the address appears, one of :data:`ENCODINGS`."""
    position: str
    """URL component where the match starts: ``host``, ``path``, ``query`` or ``fragment``.

    ``host`` covers the whole authority (user info, host and port).
    """
    matched: str
    """The matched part of the URL as written, percent escapes included, cut to 200 characters."""


class _Needle(NamedTuple):
    """One searched form of one address.

    A named tuple rather than a dataclass: a matcher builds about fifty of them per address,
    and a tuple is built several times faster.
    """

    text: str
    address_index: int
    encoding: str
    tail: str = ""
    """Characters that complete a standalone base64 value after ``text``."""
    padding: int = 0
    """``=`` characters that may follow a standalone base64 value."""


@dataclass(frozen=True, slots=True)
class _Haystack:
    """A URL and its percent-decoded forms, joined so that each needle is searched once."""

    layers: tuple[str, ...]
    """The URL, then its once- and twice-decoded forms where decoding changed something."""
    starts: tuple[int, ...]
    """Offset of each layer in ``text``."""
    text: str
    folded: str
    """``text`` lower-cased, with the same length and offsets."""

    def locate(self, index: int) -> tuple[int, int]:
        """Return the layer that contains ``index`` of ``text`` and the offset in that layer."""
        for level in range(len(self.starts) - 1, -1, -1):
            if index >= self.starts[level]:
                return level, index - self.starts[level]
        return 0, index

    def source_span(self, level: int, start: int, end: int, target: int = 0) -> tuple[int, int]:
        """Map a span of layer ``level`` to the span of layer ``target`` it was decoded from."""
        while level > target:
            source = self.layers[level - 1]
            start = _source_offset(source, start)
            end = _source_offset(source, end)
            level -= 1
        return start, end

    def url_span(self, index: int, length: int) -> tuple[int, int]:
        """Map a span of ``text`` to the span of the URL it comes from."""
        level, start = self.locate(index)
        return self.source_span(level, start, start + length)


class AddressMatcher:
    """Search URLs for the given recipient addresses in every form listed in :data:`ENCODINGS`.

    The constructor computes all needles once, so build one matcher per message and call
    :meth:`find` for each URL. Items that are not strings, are empty, contain no ``@``, contain
    whitespace or control characters, or are longer than 254 characters are ignored, and so are
    duplicates and every address after the first 50.
    """

    __slots__ = (
        "_addresses",
        "_base64",
        "_given_forms",
        "_hex",
        "_hex_probe",
        "_local_parts",
        "_plain",
    )

    def __init__(self, addresses: Iterable[str]) -> None:
        given_forms = _collect_addresses(addresses)
        self._addresses = tuple(address.lower() for address in given_forms)

        plain: list[_Needle] = []
        local_parts: list[_Needle] = []
        base64_needles: list[_Needle] = []
        for index, as_given in enumerate(given_forms):
            address_needles = _address_needles(as_given, self._addresses[index], index)
            plain.extend(address_needles[0])
            local_parts.extend(address_needles[1])
            base64_needles.extend(address_needles[2])

        self._plain = tuple(plain)
        self._local_parts = tuple(local_parts)
        self._base64 = tuple(base64_needles)
        # The hex needles take about fifty digests per address, and most messages hold no hex
        # run long enough to contain one, so they are computed on the first such run.
        self._given_forms = given_forms
        self._hex: _HexTable | None = None
        spellings = (*given_forms, *self._addresses)
        shortest = min((2 * len(form.encode("utf-8")) for form in spellings), default=0)
        self._hex_probe = re.compile(f"[0-9a-f]{{{min(shortest, _SHORTEST_DIGEST_HEX)},}}") if given_forms else None
        logger.debug(
            "address matcher: %d addresses, %d needles before hex forms",
            len(self._addresses),
            len(plain) + len(local_parts) + len(base64_needles),
        )

    @property
    def addresses(self) -> tuple[str, ...]:
        """The addresses searched for, stripped and lower-cased, in the order given."""
        return self._addresses

    def find(self, url: str) -> tuple[LeakMatch, ...]:
        """Return every distinct (address, encoding) pair found in ``url``.

        Only the first 16 KiB of the URL are searched. For each pair the leftmost match in
        the first layer that contains it is reported (the URL as written, then decoded once,
        then twice). Matches are sorted by address order, then by offset in the URL, then by
        :data:`ENCODINGS` order. Returns an empty tuple for a non-string or empty URL.
        """
        if not isinstance(url, str) or not url or not self._addresses:
            return ()
        url = url[:MAX_URL_LENGTH]
        haystack = _build_haystack(url)

        found: _Spans = {}
        self._find_plain(haystack, found)
        self._find_local_parts(haystack, found)
        self._find_base64(haystack, found)
        self._find_hex(haystack, found)
        if not found:
            return ()

        components = _UrlComponents.of(url)
        ordered = sorted(
            found.items(),
            key=lambda item: (item[0][0], item[1][0], _ENCODING_RANK[item[0][1]]),
        )
        return tuple(
            LeakMatch(
                address=self._addresses[address_index],
                encoding=encoding,
                position=components.position(start),
                matched=url[start:end][:MAX_MATCHED_LENGTH],
            )
            for (address_index, encoding), (start, end) in ordered
        )

    def clear_of(self, urls: Iterable[str]) -> frozenset[str]:
        """Return the URLs among ``urls`` in which :meth:`find` is sure to find nothing.

        Every needle is searched once in the URLs joined, instead of once per URL, in batches
        of about :data:`_SCREEN_BATCH_CHARS` characters. Most messages contain no form of the
        address at all, and then every URL is clear. Otherwise a URL is clear when it has no
        percent escape, none of the needles found in its batch and no run of hex digits long
        enough for a hex form. For a URL left out, call :meth:`find`.
        """
        distinct = [url for url in dict.fromkeys(urls) if isinstance(url, str) and url]
        if not self._addresses:
            return frozenset(distinct)
        clear: list[str] = []
        batch: list[str] = []
        size = 0
        for url in distinct:
            batch.append(url)
            size += min(len(url), MAX_URL_LENGTH)
            if size >= _SCREEN_BATCH_CHARS:
                clear.extend(self._clear_in_batch(batch))
                batch, size = [], 0
        clear.extend(self._clear_in_batch(batch))
        return frozenset(clear)

    def _clear_in_batch(self, urls: list[str]) -> list[str]:
        if not urls:
            return []
        cut = [url[:MAX_URL_LENGTH] for url in urls]
        # No needle contains the separator, and no percent escape spans it, so the layers of
        # the join contain every layer of every URL, and a needle absent there is absent from all.
        joined = _build_haystack(_LAYER_SEPARATOR.join(cut))
        if len(joined.text.lower()) != len(joined.text):
            # _fold() then lower-cases one character at a time, which loses the context that
            # str.lower() reads (a final sigma), so the join is no longer folded as each URL is.
            return []
        folded_present = [needle.text for needle in (*self._plain, *self._local_parts) if needle.text in joined.folded]
        text_present = [needle.text for needle in self._base64 if needle.text in joined.text]
        probe = self._hex_probe
        hex_possible = probe is not None and probe.search(joined.folded) is not None
        if not folded_present and not text_present and not hex_possible:
            return urls
        clear = []
        for url, searched in zip(urls, cut, strict=True):
            if "%" in searched:
                continue  # find() builds its decoded layers
            folded = _fold(searched)
            if any(text in folded for text in folded_present) or any(text in searched for text in text_present):
                continue
            if hex_possible and probe is not None and probe.search(folded):
                continue
            clear.append(url)
        return clear

    def _find_plain(self, haystack: _Haystack, found: _Spans) -> None:
        """Record the address itself, named by how many decoding rounds reveal it."""
        folded = haystack.folded
        for needle in self._plain:
            index = folded.find(needle.text)
            examined = 0
            while index != -1 and examined < _MAX_OCCURRENCES:
                examined += 1
                level, start = haystack.locate(index)
                end = start + len(needle.text)
                # A match in a decoded layer that decoding did not touch is the same match as
                # in the layer above, and was already named there.
                if level == 0 or _decoding_changed(haystack, level, start, end):
                    key = (needle.address_index, _PLAIN_ENCODINGS[level])
                    if key not in found:
                        found[key] = haystack.source_span(level, start, end)
                index = folded.find(needle.text, index + 1)

    def _find_local_parts(self, haystack: _Haystack, found: _Spans) -> None:
        """Record a local part that is bounded by non-alphanumeric characters or the URL's ends.

        An occurrence followed by ``@`` is part of an address and is not recorded.
        """
        folded = haystack.folded
        for needle in self._local_parts:
            key = (needle.address_index, "local-part")
            index = folded.find(needle.text)
            examined = 0
            while index != -1 and examined < _MAX_OCCURRENCES and key not in found:
                examined += 1
                end = index + len(needle.text)
                if _is_standalone_local_part(folded, index, end):
                    found[key] = haystack.url_span(index, end - index)
                index = folded.find(needle.text, index + 1)

    def _find_base64(self, haystack: _Haystack, found: _Spans) -> None:
        """Record base64 forms of the address and of its digests, padding included if present."""
        text = haystack.text
        for needle in self._base64:
            # The operator is cheaper than a method call, and most needles are absent.
            if needle.text not in text:
                continue
            key = (needle.address_index, needle.encoding)
            if key in found:
                continue
            index = text.find(needle.text)
            end = index + len(needle.text)
            if text.startswith(needle.tail, end):
                end += len(needle.tail)
                if needle.padding and text.startswith("=" * needle.padding, end):
                    end += needle.padding
            found[key] = haystack.url_span(index, end - index)

    def _find_hex(self, haystack: _Haystack, found: _Spans) -> None:
        """Record hex forms: whole runs of hex digits by look-up, longer runs by search."""
        if self._hex_probe is None or not self._hex_probe.search(haystack.folded):
            return
        table = self._hex
        if table is None:
            # Built once and assigned in one step, so a matcher shared by threads stays consistent.
            table = _HexTable(
                [
                    needle
                    for index, as_given in enumerate(self._given_forms)
                    for needle in _hex_needles(as_given, self._addresses[index], index)
                ]
            )
            self._hex = table
        budget = _EMBEDDED_HEX_BUDGET
        for match in itertools.islice(table.run.finditer(haystack.folded), _MAX_HEX_RUNS):
            run = match.group()
            whole = table.by_text.get(run)
            if whole is not None:
                for needle in whole:
                    _record(found, needle, haystack.url_span(match.start(), len(run)))
            elif budget > 0 and len(run) > table.lengths[0]:
                budget = table.find_embedded(run, match.start(), haystack, found, budget)


class _HexTable:
    """The hex needles of a matcher, indexed for whole-run look-ups and searches in longer runs."""

    __slots__ = ("by_text", "lengths", "run", "sorted", "sorted_lengths")

    def __init__(self, needles: list[_Needle]) -> None:
        by_text: dict[str, list[_Needle]] = {}
        for needle in needles:
            by_text.setdefault(needle.text, []).append(needle)
        self.by_text = {text: tuple(group) for text, group in by_text.items()}
        self.sorted = tuple(sorted(needles, key=lambda needle: len(needle.text)))
        self.sorted_lengths = tuple(len(needle.text) for needle in self.sorted)
        self.lengths = tuple(sorted(set(self.sorted_lengths)))
        self.run = re.compile(f"[0-9a-f]{{{self.lengths[0]},}}")

    def find_embedded(self, run: str, run_start: int, haystack: _Haystack, found: _Spans, budget: int) -> int:
        """Record hex needles inside a longer run and return the budget left.

        Sliding a window of each needle length costs one look-up per window, and searching
        for each shorter needle costs one search per needle. The cheaper way is taken.
        """
        shorter = [length for length in self.lengths if length < len(run)]
        window_cost = sum(len(run) - length + 1 for length in shorter)
        needle_count = bisect.bisect_left(self.sorted_lengths, len(run))
        # A search scans the whole run, so it costs more than a look-up on long runs.
        search_cost = needle_count * (1 + len(run) // 64)
        if min(window_cost, search_cost) > budget:
            # NOTE: a URL with many long hex runs can exhaust the budget. Hex forms inside
            # the remaining runs are then missed, but whole runs are still looked up.
            logger.debug("hex search budget exhausted on a run of %d digits", len(run))
            return 0

        if window_cost <= search_cost:
            for length in shorter:
                for offset in range(len(run) - length + 1):
                    for needle in self.by_text.get(run[offset : offset + length], ()):
                        _record(found, needle, haystack.url_span(run_start + offset, length))
            return budget - window_cost

        for needle in self.sorted[:needle_count]:
            offset = run.find(needle.text)
            if offset != -1:
                _record(found, needle, haystack.url_span(run_start + offset, len(needle.text)))
        return budget - search_cost


@dataclass(frozen=True, slots=True)
class _UrlComponents:
    """Offsets where the authority ends and the query and fragment start, -1 if absent."""

    authority_end: int
    query_start: int
    fragment_start: int

    @classmethod
    def of(cls, url: str) -> _UrlComponents:
        """Split ``url`` as RFC 3986 does.

        A URL without ``//`` after the scheme has no authority, so nothing in it is ``host``.
        """
        fragment_start = url.find("#")
        before_fragment = len(url) if fragment_start == -1 else fragment_start
        query_start = url.find("?", 0, before_fragment)
        scheme = _SCHEME.match(url)
        authority_start = scheme.end() if scheme else 0
        authority_end = -1
        if url.startswith("//", authority_start):
            # Browsers end an http authority at a backslash as well.
            ends = [url.find(char, authority_start + 2) for char in "/\\?#"]
            authority_end = min((end for end in ends if end != -1), default=len(url))
        return cls(authority_end, query_start, fragment_start)

    def position(self, offset: int) -> str:
        """Return the component that contains ``offset``. The scheme counts as the host."""
        if self.fragment_start != -1 and offset >= self.fragment_start:
            return "fragment"
        if self.query_start != -1 and offset >= self.query_start:
            return "query"
        if offset < self.authority_end:
            return "host"
        return "path"


def _decoding_changed(haystack: _Haystack, level: int, start: int, end: int) -> bool:
    """Tell whether the last decoding round changed the span ``start:end`` of layer ``level``."""
    source_start, source_end = haystack.source_span(level, start, end, level - 1)
    return source_end - source_start != end - start


def _record(found: _Spans, needle: _Needle, span: tuple[int, int]) -> None:
    """Keep the first span found for the needle's address and encoding."""
    found.setdefault((needle.address_index, needle.encoding), span)


def _collect_addresses(addresses: Iterable[object]) -> list[str]:
    """Return the usable addresses, stripped, in their first spelling, without duplicates."""
    usable: list[str] = []
    seen: set[str] = set()
    try:
        for item in itertools.islice(addresses, _MAX_ITEMS_READ):
            address = _usable_address(item)
            if address is None or address.lower() in seen:
                continue
            seen.add(address.lower())
            usable.append(address)
            if len(usable) == MAX_ADDRESSES:
                break
    except TypeError:
        logger.debug("addresses are not iterable: %s", type(addresses).__name__)
    return usable


def _usable_address(item: object) -> str | None:
    """Return ``item`` stripped if it looks like an address, else None."""
    if not isinstance(item, str):
        return None
    address = item.strip()
    if len(address) > _MAX_ADDRESS_LENGTH:
        return None
    local_part, at, domain = address.rpartition("@")
    if not at or not local_part or not domain:
        return None
    # The space is the only character that is both printable and whitespace.
    if " " in address or not address.isprintable():
        return None
    return address


@lru_cache(maxsize=1024)
def _address_needles(as_given: str, normalized: str, index: int) -> tuple[list[_Needle], list[_Needle], list[_Needle]]:
    """Return the plain, local-part and base64 needles of one address.

    Cached, because scanning a mailbox meets the same recipient in message after message and
    the digests are the costly part of building a matcher. Hex needles are separate.
    """
    return (
        _plain_needles(normalized, index),
        _local_part_needles(normalized, index),
        _base64_needles(as_given, normalized, index),
    )


def _plain_needles(normalized: str, index: int) -> list[_Needle]:
    """Return the lower-cased address, and its UTF-8 bytes read as Latin-1 if not ASCII.

    Percent escapes decode to one character per byte, so a non-ASCII address that was
    percent-encoded appears in the decoded URL as its UTF-8 bytes read as Latin-1.
    """
    needles = [_Needle(normalized, index, "plain")]
    # NOTE: an internationalized domain written in punycode (xn--) is not searched for.
    if not normalized.isascii():
        as_bytes = _fold(normalized.encode("utf-8").decode("latin-1"))
        needles.append(_Needle(as_bytes, index, "plain"))
    return needles


def _local_part_needles(normalized: str, index: int) -> list[_Needle]:
    """Return the local part when it is long and unusual enough to search for alone."""
    local_part = normalized.rpartition("@")[0]
    if len(local_part) < _MIN_LOCAL_PART or local_part in _COMMON_LOCAL_PARTS:
        return []
    # Short local parts of letters only are often words, and of digits only often ids.
    uniform = local_part.isalpha() or local_part.isdigit()
    if uniform and len(local_part) < _MIN_UNIFORM_LOCAL_PART:
        return []
    return [_Needle(local_part, index, "local-part")]


def _is_standalone_local_part(folded: str, start: int, end: int) -> bool:
    """Tell whether ``folded[start:end]`` is bounded and not the start of a full address.

    A local part followed by ``@``, ``%40`` or ``%2540`` is part of an address: either the
    full address, which the plain search reports, or another address on another domain.
    """
    if start > 0 and folded[start - 1].isalnum():
        return False
    if end < len(folded) and folded[end].isalnum():
        return False
    return not folded.startswith(("@", "%40", "%2540"), end)


def _base64_needles(as_given: str, normalized: str, index: int) -> list[_Needle]:
    """Return the base64 forms of the address and of its digests, without padding."""
    needles: list[_Needle] = []
    for spelling in _unique(normalized, as_given):
        needles.extend(_address_base64_needles(spelling.encode("utf-8"), index))
    for spelling in _unique(normalized, as_given):
        for algorithm in HASH_ALGORITHMS:
            digest = _digest(algorithm, spelling.encode("utf-8"))
            standard = base64.b64encode(digest).decode("ascii")
            unpadded = standard.rstrip("=")
            padding = len(standard) - len(unpadded)
            encoding = f"{algorithm}-base64"
            needles.append(_Needle(unpadded, index, encoding, padding=padding))
            url_safe = _url_safe(unpadded)
            if url_safe != unpadded:
                needles.append(_Needle(url_safe, index, encoding, padding=padding))
    return needles


def _address_base64_needles(data: bytes, index: int) -> list[_Needle]:
    """Return the base64 characters of ``data`` at each of the three byte alignments.

    Inside a longer base64 value the address may start at any byte offset modulo 3. For
    each offset the address is encoded after that many filler bytes, and the characters
    that also depend on the bytes before or after it are dropped. With offset 0 the
    dropped end is kept as ``tail``, so that a value holding only the address matches
    whole, padding included.
    """
    needles: list[_Needle] = []
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + data).decode("ascii").rstrip("=")
        first = -(-8 * shift // 6)  # The first character made only of the address's bits.
        last = 8 * (shift + len(data)) // 6
        core = encoded[first:last]
        if len(core) < _MIN_BASE64_CORE:
            continue
        tail = encoded[last:] if shift == 0 else ""
        padding = (3 - len(data) % 3) % 3 if shift == 0 else 0
        needles.append(_Needle(core, index, "base64", tail, padding))
        url_safe = _url_safe(core)
        if url_safe != core:
            needles.append(_Needle(url_safe, index, "base64url", _url_safe(tail), padding))
    return needles


@lru_cache(maxsize=1024)
def _hex_needles(as_given: str, normalized: str, index: int) -> list[_Needle]:
    """Return the lower-case hex forms: of the address, of its digests, of digests of digests."""
    needles: list[_Needle] = []
    for spelling in _unique(normalized, as_given):
        data = spelling.encode("utf-8")
        needles.append(_Needle(data.hex(), index, "hex"))
        for inner in HASH_ALGORITHMS:
            inner_hex = _digest(inner, data).hex()
            needles.append(_Needle(inner_hex, index, inner))
            for outer in HASH_ALGORITHMS:
                outer_hex = _digest(outer, inner_hex.encode("ascii")).hex()
                needles.append(_Needle(outer_hex, index, f"{outer}({inner})"))
    return needles


def _digest(algorithm: str, data: bytes) -> bytes:
    # The digests identify a person rather than protect anything, and usedforsecurity=False
    # keeps MD5 and SHA-1 available on FIPS-restricted builds.
    return _HASHES[algorithm](data, usedforsecurity=False).digest()


# A named constructor takes half the time of hashlib.new(), and a matcher computes
# about a hundred digests per address.
_HASHES = {
    "md5": hashlib.md5,
    "sha1": hashlib.sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def _unique(first: str, second: str) -> tuple[str, ...]:
    return (first,) if first == second else (first, second)


def _url_safe(text: str) -> str:
    # Two replacements take a fraction of the time of str.translate on such short text.
    return text.replace("+", "-").replace("/", "_")


def _build_haystack(url: str) -> _Haystack:
    """Decode ``url`` up to twice and join the distinct layers for searching."""
    layers = [url]
    while len(layers) < 3 and "%" in layers[-1]:
        decoded = _ESCAPE.sub(_decode_escape, layers[-1])
        if decoded == layers[-1]:
            break
        layers.append(decoded)

    starts: list[int] = []
    offset = 0
    for layer in layers:
        starts.append(offset)
        offset += len(layer) + len(_LAYER_SEPARATOR)
    text = _LAYER_SEPARATOR.join(layers)
    return _Haystack(tuple(layers), tuple(starts), text, _fold(text))


def _decode_escape(match: re.Match[str]) -> str:
    return _ESCAPE_CHARS[match.group(1)]


def _source_offset(source: str, index: int) -> int:
    """Map an offset in the percent-decoded form of ``source`` to the offset in ``source``.

    Every escape before the offset adds two characters, because three characters of
    ``source`` decode to one.
    """
    shift = 0
    for match in _ESCAPE.finditer(source):
        if match.start() - shift >= index:
            break
        shift += 2
    return index + shift


def _fold(text: str) -> str:
    """Lower-case ``text`` without changing its length, so offsets stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters, such as U+0130, lower-case to two characters, so they are kept as is.
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)
