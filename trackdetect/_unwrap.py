"""Recognise link wrappers and find the destination URL carried inside a redirect URL.

Everything here is offline string work: no URL is ever fetched. Each step decodes
exactly one level, so percent-escapes that belong to the destination (a ``%2B`` in
its query, for example) come out exactly as the destination had them.

The module distinguishes two kinds of layer:

* a *wrapper* is a known service that rewrites links or images: security gateways
  (Outlook Safe Links, Proofpoint, Mimecast ...), mail image proxies (Gmail, Yahoo, Fastmail),
  platform redirects (Google, Facebook, LinkedIn) and public shorteners;
* an *embedded destination* is a URL found inside any other URL: in a query
  parameter, in a path segment (percent-encoded or base64), or in the fragment.
  Click-tracking redirects of mailing platforms usually look like this.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from ._urls import split_url

logger = logging.getLogger(__name__)

__all__ = [
    "IMAGE_PROXY",
    "MAIL_REDIRECT",
    "SECURITY_WRAPPER",
    "SHORTENER",
    "EmbeddedDestination",
    "Wrapper",
    "embedded_destination",
    "unwrap",
    "unwrap_chain",
]

SECURITY_WRAPPER = "security_wrapper"
IMAGE_PROXY = "image_proxy"
MAIL_REDIRECT = "mail_redirect"
SHORTENER = "shortener"

# Bounds that keep the work on hostile input small and linear in its length.
_MAX_URL_CHARS = 32_768
_MAX_QUERY_PARAMS = 256
_MAX_PATH_SEGMENTS = 64
_MAX_BASE64_CHARS = 8_192
_MAX_HOPS = 64

# Base64 of any text that starts with "http" starts with these characters, in both
# the standard and the URL-safe alphabet. Checking them first avoids decoding every
# long path segment.
_BASE64_HTTP_PREFIX = "aHR0c"
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")

_ENCODED_URL_PREFIXES = ("http%3a%2f%2f", "https%3a%2f%2f", "http:%2f%2f", "https:%2f%2f")
_PLAIN_URL_PREFIXES = ("http://", "https://")

# Query parameter names that redirect endpoints use for their destination, most
# common first. Names are compared in lower case.
_REDIRECT_PARAMS = (
    "url",
    "u",
    "redirect",
    "redirect_url",
    "redirect_uri",
    "redirecturl",
    "redir",
    "target",
    "targeturl",
    "dest",
    "destination",
    "link",
    "goto",
    "go",
    "to",
    "r",
    "q",
    "next",
    "continue",
    "return",
    "return_to",
    "returnto",
    "returnurl",
    "out",
    "forward",
    "href",
)
_REDIRECT_PARAM_RANK = {name: rank for rank, name in enumerate(_REDIRECT_PARAMS)}


@dataclass(frozen=True, slots=True)
class Wrapper:
    """One recognised wrapper layer around a URL."""

    kind: str
    """One of ``security_wrapper``, ``image_proxy``, ``mail_redirect``, ``shortener``."""
    name: str
    """The service, for example ``Outlook Safe Links`` or ``bit.ly``."""
    inner: str | None
    """The wrapped URL decoded one level, or None when it cannot be recovered offline."""
    owners: tuple[str, ...] = ()
    """Registered domains of the provider's own mail, in which its redirect is its click tracking."""


@dataclass(frozen=True, slots=True)
class EmbeddedDestination:
    """A destination URL found inside another URL."""

    url: str
    """The destination, decoded exactly one level."""
    where: str
    """``query:<name>``, ``query:<name>:base64``, ``path``, ``path:base64`` or ``fragment``."""


@dataclass(frozen=True, slots=True)
class _Parts:
    """An absolute http(s) URL split into raw (still encoded) components."""

    raw: str
    host: str
    path: str
    query: str
    fragment: str


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _has_control_chars(text: str) -> bool:
    if text.isascii():
        # In ASCII the control characters are exactly the unprintable ones, and this test is faster.
        return not text.isprintable()
    return _CONTROL_CHARS.search(text) is not None


def _split(url: str) -> _Parts | None:
    if not isinstance(url, str) or len(url) > _MAX_URL_CHARS:
        return None
    # Browsers drop tabs and line breaks inside a URL. Any other control character
    # makes the input invalid here.
    raw = url.strip().replace("\t", "").replace("\r", "").replace("\n", "")
    if _has_control_chars(raw):
        return None
    parts = split_url(raw)
    if parts is None:
        return None
    return _Parts(raw, parts.host, parts.path, parts.query, parts.fragment)


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Return (decoded name, raw value) pairs in URL order, at most _MAX_QUERY_PARAMS."""
    if not query:
        return []
    pairs = []
    for piece in query.split("&", _MAX_QUERY_PARAMS)[:_MAX_QUERY_PARAMS]:
        name, _, value = piece.partition("=")
        pairs.append((unquote(name), value))
    return pairs


def _param(parts: _Parts, names: tuple[str, ...]) -> str | None:
    """Return the raw value of the first of `names` (in that order) present in the query."""
    values: dict[str, str] = {}
    for name, value in _query_pairs(parts.query):
        values.setdefault(name.lower(), value)
    for name in names:
        if name in values:
            return values[name]
    return None


def _is_http_url(candidate: str) -> bool:
    return bool(candidate) and not _has_control_chars(candidate) and _split(candidate) is not None


def _decode_base64_text(text: str) -> str | None:
    """Decode standard or URL-safe base64, padded or not, to UTF-8 text, or return None."""
    stripped = text.rstrip("=")
    if not stripped or len(stripped) > _MAX_BASE64_CHARS or len(stripped) % 4 == 1:
        return None
    if any(char not in _BASE64_CHARS for char in stripped):
        return None
    standard = stripped.replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        return decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _base64_url(text: str) -> str | None:
    """Return the http(s) URL that `text` is the base64 encoding of, or None."""
    if not text.startswith(_BASE64_HTTP_PREFIX):
        return None
    decoded = _decode_base64_text(text)
    if decoded is None or not _is_http_url(decoded):
        return None
    return decoded


# --- decoders for the wrapper table ------------------------------------------------


Decoder = Callable[[_Parts], str | None]


def _percent_param(*names: str) -> Decoder:
    """Build a decoder that percent-decodes, once, the first parameter of `names`."""

    def decode(parts: _Parts) -> str | None:
        value = _param(parts, names)
        return None if value is None else unquote(value)

    return decode


def _decode_proofpoint_v1(parts: _Parts) -> str | None:
    value = _param(parts, ("u",))
    if value is None:
        return None
    # The service encoded the href as written in the HTML, so "&amp;" can remain.
    # Only that entity is undone, because a general HTML unescape would also turn
    # a query such as "&copy=1" into a copyright sign.
    return unquote(value).replace("&amp;", "&")


def _decode_proofpoint_v2(parts: _Parts) -> str | None:
    value = _param(parts, ("u",))
    if value is None:
        return None
    # Version 2 percent-encodes the URL, then writes "-" for "%" and "_" for "/".
    # A literal "-" or "_" of the original is itself percent-encoded ("-2D", "-5F").
    return unquote(value.replace("-", "%").replace("_", "/")).replace("&amp;", "&")


_V3_MARKER = "/v3/__"
_V3_URL_END = "__;"
# "**" followed by one of these characters stands for a run of replaced characters:
# "A" is a run of 2, "B" of 3, and so on up to "_" for 65.
_V3_RUN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _decode_proofpoint_v3(parts: _Parts) -> str | None:
    """Decode ``urldefense.com/v3/__<url>__;<base64 of replaced chars>!!<key>!<mac>$``.

    The wrapped URL is kept almost as written, but some characters ("%", "#" and
    "~" among them) are replaced by "*", one per character, or by "**" plus a
    run-length letter for a run. The replaced characters are stored in order, as
    URL-safe base64 of UTF-8, after "__;". Because "%" is among them, the template
    is not percent-decoded.
    """
    # Read the raw string because the wrapped URL's own "?" and "#" would
    # otherwise be taken for the wrapper's query and fragment.
    start = parts.raw.find(_V3_MARKER)
    if start < 0:
        return None
    body = parts.raw[start + len(_V3_MARKER) :]
    end = body.find(_V3_URL_END)
    if end <= 0:
        return None
    template = body[:end]
    stored = body[end + len(_V3_URL_END) :].partition("!")[0]
    replacements = _decode_base64_text(stored) if stored else ""
    if replacements is None:
        return None
    return _expand_v3_template(template, replacements)


def _expand_v3_template(template: str, replacements: str) -> str | None:
    """Put the stored characters back where `template` has "*" or "**<run letter>"."""
    pieces: list[str] = []
    used = 0
    index = 0
    while index < len(template):
        char = template[index]
        if char != "*":
            pieces.append(char)
            index += 1
            continue
        run_letter = template[index + 2 : index + 3]
        if template.startswith("**", index) and run_letter and run_letter in _V3_RUN_ALPHABET:
            count = _V3_RUN_ALPHABET.index(run_letter) + 2
            index += 3
        else:
            count = 1
            index += 1
        if used + count > len(replacements):
            return None
        pieces.append(replacements[used : used + count])
        used += count
    return "".join(pieces)


def _decode_sophos(parts: _Parts) -> str | None:
    # Sophos Email stores the URL as base64 in "u" and the bare domain in "d".
    value = _param(parts, ("u",))
    if value is None:
        return None
    return _decode_base64_text(unquote(value))


def _decode_cisco(parts: _Parts) -> str | None:
    # secure-web.cisco.com/<opaque token>/<percent-encoded URL>
    _, _, after_token = parts.path.lstrip("/").partition("/")
    if after_token.lower().startswith(_ENCODED_URL_PREFIXES):
        return unquote(after_token)
    return None


def _decode_gmail_proxy(parts: _Parts) -> str | None:
    # Gmail appends the original image URL, unencoded, after "#" on many proxy URLs.
    # Without that fragment the proxy URL is opaque.
    fragment = parts.raw.partition("#")[2]
    if fragment.lower().startswith(_PLAIN_URL_PREFIXES):
        return fragment
    return None


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _decode_fastmail_proxy(parts: _Parts) -> str | None:
    # www.fastmailusercontent.com/proxy/<64-hex signature>/<original URL>/<file name>.
    # The original URL is written as hexadecimal bytes with the two digits of every byte
    # swapped ("https" is "8647470737"); plain hexadecimal is read too.
    segments = parts.path.split("/")
    if len(segments) < 4 or segments[1] != "proxy":
        return None
    encoded = segments[3]
    if not encoded or len(encoded) % 2 or not _HEX_DIGITS.issuperset(encoded):
        return None
    swapped = bytes(int(encoded[i + 1] + encoded[i], 16) for i in range(0, len(encoded), 2))
    for candidate in (swapped, bytes.fromhex(encoded)):
        text = candidate.decode("utf-8", "replace")
        if text.lower().startswith(_PLAIN_URL_PREFIXES):
            return text
    return None


# --- the wrapper table -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WrapperSpec:
    """Recognition and decoding rules for one wrapper service."""

    name: str
    kind: str
    hosts: tuple[str, ...]
    """Host patterns: ``a.b`` exactly, ``*.a.b`` any subdomain, ``x-*.a.b`` a first
    label that starts with ``x-``, ``a.*`` the label ``a`` on a country domain."""
    paths: tuple[str, ...] = ()
    """Path prefixes that the service uses, compared on whole segments. Empty means any path."""
    decode: Decoder | None = None
    """None for opaque services, which keep the destination on their own server."""
    owners: tuple[str, ...] = ()
    """For a provider's redirect: the registered domains its own mail is sent from."""


_GMAIL_PROXY_HOSTS = tuple(f"ci{number}.googleusercontent.com" for number in range(10))

# Shorteners keep the destination on their own server. Each entry is checked
# against the host without a leading "www.".
_SHORTENER_HOSTS = (
    "aka.ms",
    "bit.ly",
    "buff.ly",
    "cutt.ly",
    "goo.gl",
    "is.gd",
    "j.mp",
    "lnkd.in",
    "ow.ly",
    "rb.gy",
    "rebrand.ly",
    "shorturl.at",
    "t.co",
    "t.ly",
    "tiny.cc",
    "tinyurl.com",
    "v.gd",
)

# The table is checked in order, and the first spec whose host and path match decides.
_WRAPPERS: tuple[_WrapperSpec, ...] = (
    _WrapperSpec(
        "Outlook Safe Links",
        SECURITY_WRAPPER,
        ("*.safelinks.protection.outlook.com", "*.safelinks.protection.office365.us"),
        decode=_percent_param("url"),
    ),
    _WrapperSpec(
        "Teams Safe Links",
        SECURITY_WRAPPER,
        ("statics.teams.cdn.office.net", "staticsint.teams.cdn.office.net"),
        ("/evergreen-assets/safelinks/",),
        _percent_param("url"),
    ),
    _WrapperSpec(
        "Proofpoint URL Defense v1",
        SECURITY_WRAPPER,
        ("urldefense.proofpoint.com", "urldefense.com"),
        ("/v1/url",),
        _decode_proofpoint_v1,
    ),
    _WrapperSpec(
        "Proofpoint URL Defense v2",
        SECURITY_WRAPPER,
        ("urldefense.proofpoint.com", "urldefense.com"),
        ("/v2/url",),
        _decode_proofpoint_v2,
    ),
    _WrapperSpec(
        "Proofpoint URL Defense v3",
        SECURITY_WRAPPER,
        ("urldefense.proofpoint.com", "urldefense.com"),
        ("/v3/",),
        _decode_proofpoint_v3,
    ),
    _WrapperSpec(
        "Mimecast",
        SECURITY_WRAPPER,
        ("protect-*.mimecast.com", "protect.mimecast.com", "*.mimecastprotect.com"),
        ("/s/",),
    ),
    _WrapperSpec(
        "Symantec ClickTime",
        SECURITY_WRAPPER,
        ("clicktime.symantec.com", "*.clicktime.symantec.com"),
        decode=_percent_param("u"),
    ),
    _WrapperSpec(
        "Barracuda Link Protection",
        SECURITY_WRAPPER,
        ("linkprotect.cudasvc.com",),
        ("/url",),
        _percent_param("a"),
    ),
    _WrapperSpec(
        "Cisco Secure Email",
        SECURITY_WRAPPER,
        ("secure-web.cisco.com",),
        decode=_decode_cisco,
    ),
    _WrapperSpec(
        "Trend Micro Click-Time",
        SECURITY_WRAPPER,
        ("*.trendmicro.com",),
        ("/wis/clicktime/v1/query",),
        _percent_param("url"),
    ),
    _WrapperSpec(
        "Sophos Email",
        SECURITY_WRAPPER,
        ("*.protection.sophos.com",),
        decode=_decode_sophos,
    ),
    _WrapperSpec(
        "FireEye Email Security",
        SECURITY_WRAPPER,
        ("protect2.fireeye.com",),
        ("/v1/url", "/url"),
        _percent_param("u"),
    ),
    _WrapperSpec(
        "Gmail image proxy",
        IMAGE_PROXY,
        _GMAIL_PROXY_HOSTS,
        ("/proxy/", "/meips/"),
        _decode_gmail_proxy,
    ),
    _WrapperSpec(
        "Yahoo image proxy",
        IMAGE_PROXY,
        ("ecp.yusercontent.com",),
        ("/mail",),
        _percent_param("url"),
    ),
    # NOTE: Superhuman's image proxy is not recognised: no public description of its URL format is known.
    _WrapperSpec(
        "Fastmail image proxy",
        IMAGE_PROXY,
        ("www.fastmailusercontent.com", "*.fastmailusercontent.com"),
        ("/proxy/",),
        _decode_fastmail_proxy,
    ),
    _WrapperSpec(
        "Google redirect",
        MAIL_REDIRECT,
        ("www.google.*", "google.*"),
        ("/url",),
        _percent_param("q", "url"),
    ),
    _WrapperSpec(
        "Facebook redirect",
        MAIL_REDIRECT,
        ("l.facebook.com", "lm.facebook.com", "l.messenger.com"),
        ("/l.php",),
        _percent_param("u"),
        ("facebook.com", "facebookmail.com", "messenger.com"),
    ),
    _WrapperSpec(
        "LinkedIn redirect",
        MAIL_REDIRECT,
        ("www.linkedin.com", "linkedin.com"),
        ("/redir/redirect",),
        _percent_param("url"),
        ("linkedin.com",),
    ),
    _WrapperSpec(
        "YouTube redirect",
        MAIL_REDIRECT,
        ("www.youtube.com", "youtube.com", "m.youtube.com"),
        ("/redirect",),
        _percent_param("q"),
        ("youtube.com",),
    ),
    # X sends the links in its own mail through t.co/redirect?url=... Every other
    # t.co link is an opaque short link, which the shortener check below reports.
    _WrapperSpec(
        "X redirect", MAIL_REDIRECT, ("t.co",), ("/redirect",), _percent_param("url"), ("x.com", "twitter.com")
    ),
)


def _is_country_domain(labels: list[str]) -> bool:
    """Return whether `labels` look like a public suffix such as ``com`` or ``co.uk``."""
    return 1 <= len(labels) <= 2 and all(2 <= len(label) <= 3 and label.isalpha() for label in labels)


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    if pattern.endswith(".*"):
        stem = pattern[:-1]
        return host.startswith(stem) and _is_country_domain(host[len(stem) :].split("."))
    prefix, star, rest = pattern.partition("*")
    if star:
        first_label = host[: -len(rest)] if host.endswith(rest) else ""
        return first_label.startswith(prefix) and len(first_label) > len(prefix) and "." not in first_label
    return host == pattern


def _path_matches(path: str, prefixes: tuple[str, ...]) -> bool:
    if not prefixes:
        return True
    for prefix in prefixes:
        if prefix.endswith("/"):
            if path.startswith(prefix):
                return True
        elif path == prefix or path.startswith(prefix + "/"):
            return True
    return False


def _last_two_labels(host: str) -> str:
    return ".".join(host.rsplit(".", 2)[-2:])


def _index_wrappers() -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """Index the wrapper specs by the last two labels of their host patterns.

    Patterns that end in ``.*`` (any country domain) cannot be indexed that way and are
    tried on every URL; there are only a few.
    """
    indexed: dict[str, list[int]] = {}
    unindexed: list[int] = []
    for position, spec in enumerate(_WRAPPERS):
        for pattern in spec.hosts:
            if pattern.endswith(".*"):
                unindexed.append(position)
            else:
                indexed.setdefault(_last_two_labels(pattern), []).append(position)
    return {key: tuple(sorted(set(value))) for key, value in indexed.items()}, tuple(sorted(set(unindexed)))


_WRAPPER_INDEX, _UNINDEXED_WRAPPERS = _index_wrappers()
# The specs to try for each key, in table order, merged once rather than for every URL.
_WRAPPER_CANDIDATES = {
    key: tuple(sorted({*positions, *_UNINDEXED_WRAPPERS})) for key, positions in _WRAPPER_INDEX.items()
}


def _match_wrapper(parts: _Parts) -> _WrapperSpec | None:
    candidates = _WRAPPER_CANDIDATES.get(_last_two_labels(parts.host), _UNINDEXED_WRAPPERS)
    for position in candidates:
        spec = _WRAPPERS[position]
        if any(_host_matches(parts.host, pattern) for pattern in spec.hosts) and _path_matches(parts.path, spec.paths):
            return spec
    return None


@lru_cache(maxsize=4096)
def unwrap(url: str) -> Wrapper | None:
    """Recognise one wrapper layer on an absolute http(s) URL and return it, or None.

    The inner URL is decoded one level and is None for opaque services (Mimecast
    ``/s/`` links, Gmail proxy URLs without the original after ``#``, shorteners)
    and for a known wrapper whose payload does not decode to an absolute URL.
    Never raises and never contacts the network.
    """
    parts = _split(url)
    if parts is None:
        return None
    spec = _match_wrapper(parts)
    if spec is not None:
        inner = spec.decode(parts) if spec.decode is not None else None
        if inner is not None and not _is_absolute_url(inner):
            logger.debug("%s payload does not decode to an absolute URL", spec.name)
            inner = None
        return Wrapper(spec.kind, spec.name, inner, spec.owners)
    host = parts.host.removeprefix("www.")
    if host in _SHORTENER_HOSTS and parts.path.strip("/"):
        return Wrapper(SHORTENER, host, None)
    return None


def _is_absolute_url(candidate: str) -> bool:
    """Return whether `candidate` has a scheme and, for http(s), a host."""
    if not candidate or len(candidate) > _MAX_URL_CHARS or _has_control_chars(candidate):
        return False
    scheme, colon, _ = candidate.partition(":")
    if not colon or not scheme.isascii() or not scheme.isalpha():
        return False
    if scheme.lower() in ("http", "https"):
        return _split(candidate) is not None
    return True


# --- embedded destinations ---------------------------------------------------------


def _url_in_value(raw_value: str) -> str | None:
    """Return the http(s) URL a raw query value or fragment holds, decoded once, or None."""
    if not raw_value.lower().startswith(_PLAIN_URL_PREFIXES + _ENCODED_URL_PREFIXES):
        return None
    candidate = unquote(raw_value)
    return candidate if _is_http_url(candidate) else None


def _redirect_rank(name: str) -> int | None:
    """Return the preference of a redirect parameter name, or None for other names.

    A namespaced name counts by its last part, so ``openid.return_to`` ranks as
    ``return_to``.
    """
    return _REDIRECT_PARAM_RANK.get(name.lower().rpartition(".")[2])


def _query_destination(parts: _Parts, preferred: bool) -> EmbeddedDestination | None:
    """Search the query parameters with redirect names (`preferred`) or all others."""
    ranked = [(_redirect_rank(name), name, value) for name, value in _query_pairs(parts.query)]
    if preferred:
        chosen = sorted((item for item in ranked if item[0] is not None), key=lambda item: item[0] or 0)
    else:
        chosen = [item for item in ranked if item[0] is None]
    candidates = [(name, value) for _, name, value in chosen]
    for name, value in candidates:
        found = _url_in_value(value)
        if found is not None:
            return EmbeddedDestination(found, f"query:{name}")
    for name, value in candidates:
        found = _base64_url(unquote(value))
        if found is not None:
            return EmbeddedDestination(found, f"query:{name}:base64")
    return None


def _path_destination(parts: _Parts) -> EmbeddedDestination | None:
    segments = parts.path.split("/", _MAX_PATH_SEGMENTS)[:_MAX_PATH_SEGMENTS]
    # The authority never contains "/", so the first "/" after "//" starts the path.
    offset = parts.raw.find("/", parts.raw.find("//") + 2)
    for index, segment in enumerate(segments):
        lowered = segment.lower()
        next_segment = segments[index + 1] if index + 1 < len(segments) else None
        if lowered in ("http:", "https:") and next_segment == "":
            # An unencoded URL in the path runs to the end of the whole URL, so
            # the query and fragment are the destination's own.
            tail = parts.raw[offset:]
            if _is_http_url(tail):
                return EmbeddedDestination(tail, "path")
        elif lowered.startswith(_ENCODED_URL_PREFIXES):
            candidate = unquote(segment)
            if _is_http_url(candidate):
                return EmbeddedDestination(candidate, "path")
        else:
            found = _base64_url(unquote(segment))
            if found is not None:
                rest = "/".join(segments[index:])
                if len(segments) > index + 1 and _BASE64_CHARS.issuperset(unquote(rest).replace("/", "").rstrip("=")):
                    # Standard base64 may hold "/" that the redirector left unescaped, which
                    # splits the value across path segments: decode the rest of the path whole.
                    longer = _base64_url(unquote(rest))
                    if longer is not None and len(longer) > len(found):
                        found = longer
                return EmbeddedDestination(found, "path:base64")
        offset += len(segment) + 1
    return None


def _fragment_destination(parts: _Parts) -> EmbeddedDestination | None:
    fragment = parts.raw.partition("#")[2]
    if not fragment:
        return None
    if fragment.lower().startswith(_PLAIN_URL_PREFIXES):
        # Nothing after "#" needs escaping, so a plain URL there is kept verbatim.
        return EmbeddedDestination(fragment, "fragment") if _is_http_url(fragment) else None
    found = _url_in_value(fragment)
    if found is not None:
        return EmbeddedDestination(found, "fragment")
    for name, value in _query_pairs(fragment.partition("?")[2] or fragment):
        if _redirect_rank(name) is not None:
            found = _url_in_value(value)
            if found is not None:
                return EmbeddedDestination(found, "fragment")
    return None


def _authority_end(raw: str) -> int:
    """Return the offset where the path, query or fragment of an absolute URL begins."""
    start = raw.find("//") + 2
    ends = [position for position in (raw.find(char, start) for char in "/?#") if position != -1]
    return min(ends, default=len(raw))


def _may_hold_destination(raw: str, start: int) -> bool:
    """Tell whether ``raw`` has "http" in any case, or its base64 prefix, from ``start`` on.

    Every destination this module decodes starts with "http", written as is or
    percent-encoded (the letters stay), or in base64 (see ``_base64_url``). A URL with
    neither after its host contains no destination, so this test rules out most URLs.
    """
    # Lower-casing and two substring tests take a fraction of a regular expression search.
    tail = raw[start:]
    return "http" in tail.lower() or _BASE64_HTTP_PREFIX in tail


@lru_cache(maxsize=4096)
def embedded_destination(url: str) -> EmbeddedDestination | None:
    """Find a destination URL carried inside the redirect URL `url`, or return None.

    The search runs in this order, and the first http(s) URL found wins:

    1. query parameters with a name that redirects use (``url``, ``u``,
       ``redirect``, ``target``, ``next`` ...);
    2. a path segment that is a URL, either percent-encoded or unencoded up to
       the end of `url`, or that is the base64 of one;
    3. any other query parameter;
    4. the fragment.

    A query value is percent-decoded once. A plain URL in the fragment is returned
    verbatim because nothing after "#" needed escaping. Never returns `url` itself
    and never raises.
    """
    parts = _split(url)
    if parts is None:
        return None
    if not _may_hold_destination(parts.raw, _authority_end(parts.raw)):
        return None
    for found in (
        _query_destination(parts, preferred=True),
        _path_destination(parts),
        _query_destination(parts, preferred=False),
        _fragment_destination(parts),
    ):
        if found is not None and found.url not in (url, parts.raw):
            return found
    return None


@lru_cache(maxsize=2048)
def unwrap_chain(url: str, max_hops: int = 8) -> tuple[tuple[str, Wrapper | EmbeddedDestination | None], ...]:
    """Follow wrappers, then embedded destinations, one decoded level per hop.

    Returns one entry per URL visited, starting with `url`: the URL and how the
    next URL was found from it. The last entry has None, unless the chain ends at
    an opaque wrapper (a shortener, a Mimecast link ...), which is then reported.
    The chain stops after `max_hops` steps (capped at 64), when nothing more
    unwraps, or when a URL would be visited a second time, so it always ends.
    """
    hops: list[tuple[str, Wrapper | EmbeddedDestination | None]] = []
    seen = {url}
    current = url
    for _ in range(max(0, min(max_hops, _MAX_HOPS))):
        step: Wrapper | EmbeddedDestination | None = unwrap(current)
        if step is None:
            step = embedded_destination(current)
        if step is None:
            break
        following = step.inner if isinstance(step, Wrapper) else step.url
        if following is None:
            hops.append((current, step))
            return tuple(hops)
        if following in seen:
            break
        hops.append((current, step))
        seen.add(following)
        current = following
    hops.append((current, None))
    return tuple(hops)
