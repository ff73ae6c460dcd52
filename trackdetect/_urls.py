"""URL basics: normalising references the way a mail client would, hosts, and tokens.

The registered domain comes from the Public Suffix List snapshot that tldextract ships.
The list is read once, when this module is imported, from tldextract's package folder,
without importing tldextract itself: its import pulls in requests and filelock and costs
more than the rest of trackdetect together. Nothing here fetches the list or writes a
cache, so ``detect()`` itself opens no file.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import ipaddress
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

MAX_URL_LENGTH = 16 * 1024
"""Longer URLs are cut before analysis: no mail client sends them, and work must stay bounded."""

_PRIVATE_SECTION = "// ===BEGIN PRIVATE DOMAINS==="


def _load_suffix_rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Read the ICANN section of tldextract's bundled Public Suffix List.

    Returns the plain rules, the wildcard rules (``*.ck`` stored as ``ck``) and the
    exception rules (``!www.ck`` stored as ``www.ck``), all in ASCII (IDNA) form. Like
    tldextract's default, private suffixes such as ``github.io`` are not used.
    """
    spec = importlib.util.find_spec("tldextract")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ImportError("tldextract is not installed; trackdetect reads its bundled public suffix list")
    text = (Path(folders[0]) / ".tld_set_snapshot").read_text(encoding="utf-8")
    rules: set[str] = set()
    wildcards: set[str] = set()
    exceptions: set[str] = set()
    for line in text.split(_PRIVATE_SECTION, 1)[0].splitlines():
        rule = line.strip()
        if not rule or rule.startswith("//"):
            continue
        if not rule.isascii():
            # Hosts reach the lookup in their ASCII (punycode) form. The list's rules are
            # already normalised, so plain punycode per label is enough; the idna codec
            # would cost more than the rest of the import.
            try:
                rule = ".".join(
                    label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
                    for label in rule.split(".")
                )
            except UnicodeError:
                continue
        if rule.startswith("!"):
            exceptions.add(rule[1:])
        elif rule.startswith("*."):
            wildcards.add(rule[2:])
        else:
            rules.add(rule)
    return frozenset(rules), frozenset(wildcards), frozenset(exceptions)


_SUFFIX_RULES, _SUFFIX_WILDCARDS, _SUFFIX_EXCEPTIONS = _load_suffix_rules()

_STRIPPED = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]{0,30}):")


@dataclass(frozen=True, slots=True)
class UrlParts:
    """A split http(s) URL with a lower-cased host and its registered domain."""

    url: str
    scheme: str
    host: str
    domain: str
    path: str
    query: str
    fragment: str

    def params(self) -> tuple[tuple[str, str], ...]:
        """Return the query parameters with percent-decoding applied once (``+`` kept)."""
        return parse_query(self.query)


def normalize_reference(raw: str, base: str | None = None) -> str | None:
    """Return the absolute URL a mail client would request for an attribute value, or None.

    Leading and trailing whitespace is trimmed and tabs and line breaks inside are dropped,
    as HTML's URL parsing does. In http(s) URLs, backslashes become slashes and spaces
    become ``%20``. Relative URLs are
    resolved against ``base`` when there is one; protocol-relative URLs get ``https:``.
    Returns None for empty values and for relative URLs without a base.
    """
    value = _STRIPPED.sub("", raw.strip(" \t\n\r\f\x00"))[:MAX_URL_LENGTH]
    if not value:
        return None
    scheme_match = _SCHEME.match(value)
    if scheme_match is None:
        if value.startswith(("//", "\\\\")):
            value = "https:" + value.replace("\\", "/")
        elif base:
            try:
                value = urljoin(base, value)
            except ValueError:
                return None
        else:
            return None
        scheme_match = _SCHEME.match(value)
        if scheme_match is None:
            return None
    scheme = scheme_match.group(1).lower()
    if scheme in ("http", "https"):
        rest = value[scheme_match.end() :].replace("\\", "/")
        # A browser's URL parser sends a space inside the URL as %20.
        value = scheme + ":" + _lower_host(rest).replace(" ", "%20")
    return value


def _lower_host(rest: str) -> str:
    """Lower-case the host in ``//userinfo@host:port/path``, as a browser's URL parser does."""
    if not rest.startswith("//"):
        return rest
    end = len(rest)
    for separator in "/?#":
        position = rest.find(separator, 2)
        if position != -1:
            end = min(end, position)
    authority = rest[2:end]
    userinfo, at, host = authority.rpartition("@")
    return "//" + userinfo + at + host.lower() + rest[end:]


def scheme_of(url: str) -> str:
    """Return the lower-case scheme of a URL, or ``""``."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


@lru_cache(maxsize=4096)
def split_url(url: str) -> UrlParts | None:
    """Split an absolute http(s) URL; None when it is not one or its host is invalid."""
    simple = _split_simple(url)
    if simple is not None:
        scheme, host, path, query, fragment = simple
    else:
        try:
            parts: SplitResult = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return None
        scheme, path, query, fragment = parts.scheme, parts.path, parts.query, parts.fragment
    if scheme not in ("http", "https") or not host:
        return None
    host = host.rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return UrlParts(
        url=url,
        scheme=scheme,
        host=host,
        domain=registered_domain(host),
        path=path or "/",
        query=query,
        fragment=fragment,
    )


def _split_simple(url: str) -> tuple[str, str, str, str, str] | None:
    """Split a plain ASCII http(s) URL as ``urlsplit`` does, or return None to leave it to it.

    Every URL of a message is split, and ``urlsplit`` with its ``hostname`` property costs
    several times this. Only URLs where both agree by construction are taken: a lower-case
    ``http://`` or ``https://`` start, ASCII, no tab or line break, and an authority without
    brackets or a percent sign.
    """
    if url.startswith("https://"):
        scheme, start = "https", 8
    elif url.startswith("http://"):
        scheme, start = "http", 7
    else:
        return None
    if not url.isascii() or "\t" in url or "\r" in url or "\n" in url:
        return None
    end = len(url)
    for separator in "/?#":
        position = url.find(separator, start)
        if position != -1 and position < end:
            end = position
    authority = url[start:end]
    if "[" in authority or "]" in authority or "%" in authority:
        return None
    host = authority.rpartition("@")[2].partition(":")[0].lower()
    rest, _, fragment = url[end:].partition("#")
    path, _, query = rest.partition("?")
    return scheme, host, path, query, fragment


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    """Return the registered domain of a host (``mail.example.co.uk`` -> ``example.co.uk``).

    Follows the Public Suffix List algorithm: the longest matching rule wins, wildcard
    rules match one more label, and exception rules cut a wildcard short. IP addresses
    and hosts that are themselves a public suffix are returned unchanged.
    """
    host = host.lower().strip("[]").rstrip(".")
    # An IPv4 address ends in a digit and an IPv6 address contains a colon. Only such hosts
    # are tried, because a failed parse costs more than the rest of the lookup.
    if host[-1:].isdigit() or ":" in host:
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
    labels = host.split(".")
    suffix_start = len(labels) - 1  # the default rule "*": the last label is a suffix
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in _SUFFIX_EXCEPTIONS:
            suffix_start = start + 1
            break
        parent = ".".join(labels[start + 1 :])
        if candidate in _SUFFIX_RULES or (parent and parent in _SUFFIX_WILDCARDS):
            suffix_start = start
            break
    if suffix_start == 0:
        return host
    return ".".join(labels[suffix_start - 1 :])


def is_ip_host(host: str) -> bool:
    """Return whether the host is an IP address literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_matches(host: str, domain: str) -> bool:
    """Return whether ``host`` is ``domain`` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


@lru_cache(maxsize=4096)
def parse_query(query: str) -> tuple[tuple[str, str], ...]:
    """Split a query string into (name, value) pairs, percent-decoding each once.

    Unlike ``urllib.parse.parse_qsl`` this keeps blank values and does not turn ``+``
    into a space, because trackers use ``+`` inside base64 tokens. Cached, because the
    rules and the token search both read the query of each URL.
    """
    pairs: list[tuple[str, str]] = []
    for item in query.split("&")[:200]:
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return tuple(pairs)


# Tokens ----------------------------------------------------------------------------------

_TOKEN_SPLIT = re.compile(r"[/?&=;,#]")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_\-.~+!*%:|]+")
_IMAGE_EXTENSIONS = r"gif|png|jpe?g|webp|bmp|svg|ico|avif"
#: A path that ends in an image file name.
IMAGE_FILE = re.compile(rf"\.(?:{_IMAGE_EXTENSIONS})$", re.I)
# File-sharing and parcel-tracking hosts, with their own id parameters. Those ids and the
# path name the item, which everyone the message goes to shares; other parameters count.
_ITEM_LINK_PARAMETERS: dict[str, frozenset[str]] = {
    "1drv.ms": frozenset({"e"}),
    "onedrive.live.com": frozenset({"e", "resid", "authkey", "cid", "id", "redeem"}),
    "drive.google.com": frozenset({"id", "usp", "resourcekey"}),
    "docs.google.com": frozenset({"usp", "resourcekey"}),
    "photos.google.com": frozenset({"key"}),
    "photos.app.goo.gl": frozenset(),
    "www.dropbox.com": frozenset({"rlkey", "dl", "st"}),
    "dropbox.com": frozenset({"rlkey", "dl", "st"}),
    "app.box.com": frozenset(),
    "www.icloud.com": frozenset(),
    "tools.usps.com": frozenset({"tlabels", "qtc_tlabels1"}),
    "www.ups.com": frozenset({"tracknum", "trackingnumber", "inquirynumber1"}),
    "www.fedex.com": frozenset({"trknbr", "tracknumbers"}),
    "track.dpd.co.uk": frozenset({"parcel"}),
    "www.dpd.co.uk": frozenset({"parcel"}),
    "tracking.dpd.de": frozenset({"parcelnumber"}),
    "track.aftership.com": frozenset({"tracking_number"}),
    "parcelsapp.com": frozenset(),
}
_ITEM_LINK_SUFFIXES = {".sharepoint.com": frozenset({"e"})}


def item_link_parameters(parts: UrlParts) -> frozenset[str] | None:
    """Return the lower-cased id parameters of a file-sharing or parcel-tracking host, or None for other hosts."""
    found = _ITEM_LINK_PARAMETERS.get(parts.host)
    if found is not None:
        return found
    for suffix, names in _ITEM_LINK_SUFFIXES.items():
        if parts.host.endswith(suffix):
            return names
    return None


_STATIC_EXTENSION = re.compile(
    rf"\.(?:{_IMAGE_EXTENSIONS}|woff2?|ttf|otf|eot|css|js|pdf|mp3|m4a|aac|oga|ogg|opus|wav|"
    r"flac|mp4|m4v|mov|webm|vtt|srt)$",
    re.I,
)
_SLUG_NUMBER = re.compile(r"\d{1,4}|\d{1,4}x\d{1,4}|\d{1,4}(?:px|x|w|h)|v\d{1,3}|x?\d{1,2}x")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d[-_./]?[01]\d[-_./]?[0-3]\d(?:[tT _-]?\d{2}[:.]?\d{2}(?:[:.]?\d{2})?)?")


def entropy(text: str) -> float:
    """Return the Shannon entropy of the text in bits per character."""
    if not text:
        return 0.0
    length = len(text)
    return -sum(count / length * math.log2(count / length) for count in Counter(text).values())


@lru_cache(maxsize=8192)
def is_opaque_token(value: str) -> bool:
    """Return whether a value looks like a machine identifier rather than a word, slug or date.

    Identifiers are long, drawn from a code alphabet and mix character classes: hex of 12 or
    more digits, UUIDs, digit runs of 9 or more, and mixed letter/digit strings of 12 or more
    characters with high entropy. Slugs (``summer-sale-2024``, ``Postgres+16+upgrade``) and
    dates are not identifiers.
    """
    if len(value) < 9 or len(value) > 4096 or not _TOKEN_ALPHABET.fullmatch(value):
        return False
    if _UUID.fullmatch(value):
        return True
    if value.isdigit():
        return len(value) >= 9 and not _DATE_LIKE.fullmatch(value)
    if len(value) >= 12 and _HEX.fullmatch(value) and any(c.isdigit() for c in value):
        return any(c.isalpha() for c in value) or len(value) >= 16
    if _DATE_LIKE.fullmatch(value):
        return False
    value = _STATIC_EXTENSION.sub("", value)
    # Many sites write a space as "+" ("Lower+Pennycrocker+Farm"), so it separates words.
    # Mixed-case pieces around it ("nPUCIARZflc+KjPnUBl") are base64 instead.
    separators = r"[-_.~@+]" if "+" in value and _are_words(value.split("+")) else r"[-_.~@]"
    pieces = [piece for piece in re.split(separators, value) if piece]
    if pieces and all(piece.isalpha() or _SLUG_NUMBER.fullmatch(piece) for piece in pieces):
        return False
    if len(pieces) >= 3 and sum(len(piece) for piece in pieces if piece.isalpha()) >= 0.75 * sum(map(len, pieces)):
        # A readable slug with a short code in it ("walter-auto-ladegeraet-2in1").
        return False
    if len(value) < 12:
        return False
    digits = sum(map(str.isdigit, value))
    letters = sum(map(str.isalpha, value))
    if digits == 0 and not (any(c.isupper() for c in value) and any(c.islower() for c in value) and len(value) >= 20):
        return False
    if letters == 0:
        return len(value) >= 12
    return entropy(value) >= 3.2


def _are_words(pieces: list[str]) -> bool:
    """Tell whether every piece is a number or a word in one case (lower, Title or UPPER)."""
    return all(piece.isdigit() or piece.islower() or piece.istitle() or piece.isupper() for piece in pieces if piece)


#: Object stores and image CDNs: folder names there are bucket, account or content ids,
#: the same for every recipient, so only their query strings are searched for tokens.
ASSET_HOST_DOMAINS = frozenset(
    {
        "amazonaws.com",
        "cloudfront.net",
        "akamaihd.net",
        "akamaized.net",
        "azureedge.net",
        "windows.net",
        "googleapis.com",
        "cloudinary.com",
        "imgix.net",
        "fastly.net",
        "b-cdn.net",
        "digitaloceanspaces.com",
        "backblazeb2.com",
        "r2.dev",
        "wp.com",
        "squarespace-cdn.com",
        "shopify.com",
        "ctfassets.net",
        "sanity.io",
        "twimg.com",
        "fbcdn.net",
        "cdninstagram.com",
        "ytimg.com",
        "ggpht.com",
    }
)


@dataclass(frozen=True, slots=True)
class Token:
    """An opaque identifier found in a URL."""

    value: str
    where: str
    """``path`` or ``query:<name>``."""


@lru_cache(maxsize=4096)
def find_tokens(parts: UrlParts, *, static_paths: str = "none") -> tuple[Token, ...]:
    """Return the opaque identifiers in a URL's path segments and query values.

    The path of a static file (one ending in ``.png``, ``.woff2``, ``.css``...) is not
    searched, because content delivery networks name files and folders by content hash
    or account id, which are the same for every recipient. Its query is still searched.
    ``static_paths`` widens that for resources that are not content images: ``"folders"``
    searches the folders of a static path, ``"all"`` the file name too. Paths on object
    stores and image CDNs are never searched.
    """
    tokens: list[Token] = []
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.domain in ASSET_HOST_DOMAINS:
        segments = []
    elif segments and _STATIC_EXTENSION.search(segments[-1]):
        # A file's own name is a content hash at most; its folders may still number the recipient.
        if static_paths == "folders":
            segments = segments[:-1]
        elif static_paths != "all":
            segments = []
    for segment in segments[:64]:
        segment = unquote(segment)
        for piece in _PATH_PIECES.split(segment) if ";" in segment or "," in segment else (segment,):
            if is_opaque_token(piece):
                tokens.append(Token(piece, "path"))
    for name, value in parts.params():
        if len(value) >= 4096:
            pieces: Sequence[str] = (value[:4096],)
        elif ";" in value or "," in value or "|" in value:
            pieces = _VALUE_PIECES.split(value)
        else:
            pieces = (value,)
        for piece in pieces:
            if is_opaque_token(piece):
                tokens.append(Token(piece, f"query:{name}"))
    return tuple(tokens)


_PATH_PIECES = re.compile(r"[;,]")
_VALUE_PIECES = re.compile(r"[;,|]")


_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9][A-Za-z0-9\-]{0,62}(?:\.[A-Za-z0-9][A-Za-z0-9\-]{0,62})*"
    r"\.(?!(?:png|jpe?g|gif|webp|svg|avif|bmp|ico|css|js|html?|php|aspx?)\b)[A-Za-z]{2,24}\b"
)
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}){6,128}")
_HEX_ONLY = re.compile(r"[0-9a-fA-F]+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{12,512}={0,2}")
# The base64 characters that an "@" (0x40) turns into, at each of the three byte positions of
# a group: "Q" then 0-15; 4, 20, 36 or 52 then 0-3; a value of 1 modulo 4 then 0. A run without
# one of these pairs cannot decode to an address at any alignment.
_BASE64_AT = re.compile(r"Q[A-P]|[EUk0][A-D]|[BFJNRVZdhlptx159]A")


@lru_cache(maxsize=4096)
def find_address(url: str) -> tuple[str, str] | None:
    """Return the first email address in a URL and its encoding (plain, hex or base64), or None.

    Searches the URL as written and percent-decoded once and twice, then hex and base64
    runs decoded to text. Used when the recipient is unknown (Bcc, anonymised headers).
    """
    text = url[:MAX_URL_LENGTH]
    decoded = unquote(text)
    for candidate in (text, decoded, unquote(decoded)):
        if "@" in candidate:
            match = _ADDRESS.search(candidate)
            if match:
                return match.group(0).lower(), "plain"
    # 0x40 is "@": a hex run without "40" cannot decode to an address.
    for match in _HEX_RUN.finditer(decoded) if "40" in decoded else ():
        run = match.group(0)
        if "40" not in run:
            continue
        try:
            value = bytes.fromhex(run).decode("utf-8")
        except ValueError:
            continue
        found = _ADDRESS.search(value) if "@" in value else None
        if found:
            return found.group(0).lower(), "hex"
    for match in _BASE64_RUN.finditer(decoded) if _BASE64_AT.search(decoded) else ():
        run = match.group(0)
        if _HEX_ONLY.fullmatch(run) or run.isdigit() or run.islower() or run.isupper():
            continue  # Base64 of text mixes cases; hex and one-case runs are other tokens.
        if not _BASE64_AT.search(run):
            continue
        found_address = _address_in_base64(run)
        if found_address:
            return found_address, "base64"
    return None


def _address_in_base64(run: str) -> str | None:
    """Decode a base64 or base64url run at each alignment and return an address inside it."""
    run = run.rstrip("=").replace("+", "-").replace("/", "_")
    for start in range(min(4, len(run))):
        # The address may start at any of the three byte alignments of a longer value.
        chunk = run[start:]
        chunk = chunk[: len(chunk) - len(chunk) % 4]
        try:
            value = base64.urlsafe_b64decode(chunk)
        except (binascii.Error, ValueError):
            continue
        if b"@" not in value:
            continue
        found = _ADDRESS.search(value.decode("latin-1"))
        if found:
            return found.group(0).lower()
    return None


def display_host(url: str) -> str:
    """Return the host of a URL for display, or the URL's start when it has none."""
    parts = split_url(url)
    return parts.host if parts else url[:60]
