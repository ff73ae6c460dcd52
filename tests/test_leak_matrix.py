"""Leak matrix: every address, encoding and position in a whole message gives a recipient_leak.

Each case builds a complete message as a string, runs ``detect()`` on it and looks for a
``recipient_leak`` finding with the expected address, encoding name (one of
``trackdetect._leaks.ENCODINGS``), URL component and receiving registered domain. The
encoded forms are computed here with the standard library, independently of the matcher.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from trackdetect import Report, detect
from trackdetect._leaks import ENCODINGS

SENDER = "deals@riverside-deals.example.com"
# Each address has a shape to test: a dot, plus addressing, upper case, and a long domain
# under a two-label public suffix. The "~" puts a "+" or "/" into the base64 at one
# alignment, so that the URL-safe form differs from the standard one there.
ADDRESSES = (
    "ann.lee@example.org",
    "john.doe+news@example.com",
    "Grace.HOPPER@Example.NET",
    "ops_team42@mail.eu-west.corporate-intranet.example-holdings.co.uk",
    "j.o~brien+shop@example.com",
)
OTHER_ADDRESS = "someone.else+promo@unrelated.example.org"


# --- encodings ----------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _hexdigest(algorithm: str, data: bytes) -> str:
    return hashlib.new(algorithm, data).hexdigest()


# Filler bytes around an address inside a longer base64 value. Their lengths modulo 3
# are 0, 1 and 2, so the address starts at each of the three byte alignments.
_EMBED_PREFIXES = (b'{"cid":78,"e":"', b'{"cid":789,"e":"', b'{"cid":7,"e":"')
_EMBED_SUFFIX = b'","t":1718600000}'


def _address_core(encoded: str, prefix_length: int, address_length: int) -> str:
    """Return the base64 characters made only of the address's bits."""
    first = -(-8 * prefix_length // 6)
    last = 8 * (prefix_length + address_length) // 6
    return encoded[first:last]


def _embedded(url_safe: bool, offset: int) -> Callable[[str], tuple[str, str]]:
    prefix = _EMBED_PREFIXES[offset]
    assert len(prefix) % 3 == offset

    def encode(address: str) -> tuple[str, str]:
        data = address.lower().encode("utf-8")
        whole = prefix + data + _EMBED_SUFFIX
        token = (_b64url if url_safe else _b64)(whole)
        core = _address_core(token, len(prefix), len(data))
        # The matcher names a URL-safe form "base64url" only when it differs from the standard one.
        name = "base64url" if url_safe and {"-", "_"} & set(core) else "base64"
        return token, name

    return encode


def _whole_base64(url_safe: bool, padded: bool) -> Callable[[str], tuple[str, str]]:
    def encode(address: str) -> tuple[str, str]:
        data = address.lower().encode("utf-8")
        token = (_b64url if url_safe else _b64)(data)
        core = _address_core(token, 0, len(data))
        if not padded:
            token = token.rstrip("=")
        name = "base64url" if url_safe and {"-", "_"} & set(core) else "base64"
        return token, name

    return encode


def _digest(algorithm: str, form: str) -> Callable[[str], tuple[str, str]]:
    def encode(address: str) -> tuple[str, str]:
        data = address.lower().encode("utf-8")
        if form == "base64":
            return _b64(hashlib.new(algorithm, data).digest()), f"{algorithm}-base64"
        text = _hexdigest(algorithm, data)
        return (text.upper() if form == "upper" else text), algorithm

    return encode


def _fixed(name: str, function: Callable[[str], str]) -> Callable[[str], tuple[str, str]]:
    return lambda address: (function(address), name)


ENCODERS: dict[str, Callable[[str], tuple[str, str]]] = {
    "plain": _fixed("plain", str.lower),
    "plain-upper": _fixed("plain", str.upper),
    "percent": _fixed("percent", lambda a: quote(a.lower(), safe="")),
    "percent2": _fixed("percent2", lambda a: quote(quote(a.lower(), safe=""), safe="")),
    "base64-padded": _whole_base64(url_safe=False, padded=True),
    "base64-unpadded": _whole_base64(url_safe=False, padded=False),
    "base64url-padded": _whole_base64(url_safe=True, padded=True),
    "base64url-unpadded": _whole_base64(url_safe=True, padded=False),
    **{f"base64-in{offset}": _embedded(False, offset) for offset in range(3)},
    **{f"base64url-in{offset}": _embedded(True, offset) for offset in range(3)},
    "hex": _fixed("hex", lambda a: a.lower().encode("utf-8").hex()),
    **{
        f"{algorithm}-{form}": _digest(algorithm, form)
        for algorithm in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
        for form in ("lower", "upper", "base64")
    },
    "sha256(md5)": _fixed(
        "sha256(md5)",
        lambda a: _hexdigest("sha256", _hexdigest("md5", a.lower().encode()).encode("ascii")),
    ),
    "md5(sha256)": _fixed(
        "md5(sha256)",
        lambda a: _hexdigest("md5", _hexdigest("sha256", a.lower().encode()).encode("ascii")),
    ),
    "local-part": _fixed("local-part", lambda a: a.lower().rpartition("@")[0]),
}


def test_encoder_names_are_matcher_names() -> None:
    names = {ENCODERS[key](ADDRESSES[0])[1] for key in ENCODERS}
    assert names <= set(ENCODINGS)


# --- positions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a token goes in a message, and what the leak finding must report."""

    component: str
    receiver: str
    build: Callable[[str], tuple[str, str | None, str | None]]
    """Token -> (HTML body, plain-text body or None, AMP body or None)."""


def _html_page(inner: str) -> str:
    return (
        '<!DOCTYPE html><html><body><table width="600"><tr><td>'
        "<p>Our summer range is in store now.</p>"
        f"{inner}"
        "</td></tr></table></body></html>"
    )


def _img_path(token: str) -> tuple[str, str | None, str | None]:
    url = f"https://pixel.stats.example.co.uk/o/{token}/open.gif"
    return _html_page(f'<img src="{url}" width="1" height="1" alt="">'), None, None


def _img_query(token: str) -> tuple[str, str | None, str | None]:
    url = f"https://img.eu.cdn-mail.example-images.net/banner.jpg?w=600&u={token}&v=3"
    return _html_page(f'<img src="{url}" width="600" height="200" alt="Summer range">'), None, None


def _link_query(token: str) -> tuple[str, str | None, str | None]:
    url = f"https://www.riverside-shop.example-stores.com/summer?ref=nl&sub={token}&page=1"
    return _html_page(f'<p><a href="{url}">See the range</a></p>'), None, None


def _link_fragment(token: str) -> tuple[str, str | None, str | None]:
    url = f"https://account.example.org.uk/welcome#u={token}"
    return _html_page(f'<p><a href="{url}">Your account</a></p>'), None, None


def _css_style(token: str) -> tuple[str, str | None, str | None]:
    url = f"https://bg.mailer.example-holdings.com.au/hero.png?r={token}&s=2"
    return _html_page(f"<div style=\"background:#eee url('{url}') no-repeat;height:120px\">&nbsp;</div>"), None, None


def _text_url(token: str) -> tuple[str, str | None, str | None]:
    text = (
        "Our summer range is in store now.\r\n\r\n"
        f"See it here: https://go.plainmail.example.io/summer?id={token}&x=1\r\n\r\n"
        "Riverside Deals\r\n"
    )
    return _html_page("<p>Our summer range is in store now.</p>"), text, None


def _amp_img(token: str) -> tuple[str, str | None, str | None]:
    amp = (
        '<!doctype html><html \u26a14email><head><meta charset="utf-8">'
        '<script async src="https://cdn.ampproject.org/v0.js"></script>'
        "<style amp4email-boilerplate>body{visibility:hidden}</style></head><body>"
        f'<amp-img src="https://amp.tracker.example.co.jp/p.gif?k={token}&n=1" width="1" height="1" alt=""></amp-img>'
        "</body></html>"
    )
    return _html_page("<p>Our summer range is in store now.</p>"), None, amp


# No URL is on the registered domain of an address: a local part found on its own address's
# site names an account there, not the reader, and is not reported.
POSITIONS: dict[str, Position] = {
    "img-path": Position("path", "example.co.uk", _img_path),
    "img-query": Position("query", "example-images.net", _img_query),
    "link-query": Position("query", "example-stores.com", _link_query),
    "link-fragment": Position("fragment", "example.org.uk", _link_fragment),
    "css-style": Position("query", "example-holdings.com.au", _css_style),
    "text-url": Position("query", "example.io", _text_url),
    "amp-img": Position("query", "example.co.jp", _amp_img),
}


def build_message(
    position: Position,
    token: str,
    *,
    to: str = "Riverside subscribers <subscribers@lists.riverside-deals.example.com>",
    extra_headers: str = "",
    sender: str = SENDER,
) -> str:
    """Return a complete multipart/alternative message with ``token`` placed at ``position``."""
    html, text, amp = position.build(token)
    text = text or "Our summer range is in store now.\r\n"
    boundary = "=_b7c1e0d2a9f84c55"
    parts = [
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}",
    ]
    if amp is not None:
        parts.append(
            f"Content-Type: text/x-amp-html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{amp}\r\n"
        )
    parts.append(f"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n")
    body = "".join(f"--{boundary}\r\n{part}" for part in parts) + f"--{boundary}--\r\n"
    return (
        f"From: Riverside Deals <{sender}>\r\n"
        f"To: {to}\r\n"
        f"{extra_headers}"
        "Subject: Summer range\r\n"
        "Date: Mon, 17 Jun 2024 08:30:04 +0000\r\n"
        "Message-ID: <summer.7f3e@riverside-deals.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
        "\r\n"
        f"{body}"
    )


def _leaks(report: Report) -> list[tuple[str, str, str, str]]:
    return [
        (f.leak.address, f.leak.encoding, f.leak.position, f.leak.receiver)
        for f in report.by_kind("recipient_leak")
        if f.leak is not None
    ]


# --- the matrix ---------------------------------------------------------------------


MATRIX = [
    pytest.param(address, encoder, position, id=f"{address.split('@')[0]}-{encoder}-{position}")
    for address in ADDRESSES
    for encoder in ENCODERS
    for position in POSITIONS
]


@pytest.mark.parametrize(("address", "encoder", "position"), MATRIX)
def test_leak_matrix(address: str, encoder: str, position: str) -> None:
    token, encoding = ENCODERS[encoder](address)
    spot = POSITIONS[position]
    report = detect(build_message(spot, token), recipients=[address])
    expected = (address.lower(), encoding, spot.component, spot.receiver)
    assert expected in _leaks(report), f"token {token!r}: reported {_leaks(report)}"


# --- recipients taken from the headers ----------------------------------------------

HEADER_ENCODERS = ("plain", "percent2", "base64url-in1", "md5-upper", "sha256-base64", "sha256(md5)", "local-part")
HEADER_POSITIONS = ("img-path", "link-fragment", "text-url")


def _header_lines(header: str, address: str) -> tuple[str, str]:
    """Return (To value, extra header lines) that name ``address`` in ``header``."""
    list_to = "Riverside subscribers <subscribers@lists.riverside-deals.example.com>"
    if header == "To":
        return f'"Lee, Ann" <{address}>', ""
    if header == "Cc":
        return list_to, f"Cc: Front Desk <front.desk@riverside-deals.example.com>, <{address}>\r\n"
    return list_to, f"{header}: {address}\r\n"


HEADER_MATRIX = [
    pytest.param(header, address, encoder, position, id=f"{header}-{address.split('@')[0]}-{encoder}-{position}")
    for header in ("To", "Cc", "Delivered-To", "X-Original-To")
    for address in (ADDRESSES[0], ADDRESSES[2], ADDRESSES[3])
    for encoder in HEADER_ENCODERS
    for position in HEADER_POSITIONS
]


@pytest.mark.parametrize(("header", "address", "encoder", "position"), HEADER_MATRIX)
def test_leak_matrix_from_headers(header: str, address: str, encoder: str, position: str) -> None:
    token, encoding = ENCODERS[encoder](address)
    spot = POSITIONS[position]
    to, extra = _header_lines(header, address)
    report = detect(build_message(spot, token, to=to, extra_headers=extra))
    expected = (address.lower(), encoding, spot.component, spot.receiver)
    assert expected in _leaks(report), f"token {token!r}: reported {_leaks(report)}"


# --- other people's addresses are not the recipient's ---------------------------------

NEGATIVE = [
    pytest.param(encoder, position, id=f"{encoder}-{position}") for encoder in ENCODERS for position in POSITIONS
]


@pytest.mark.parametrize(("encoder", "position"), NEGATIVE)
def test_leak_matrix_other_address(encoder: str, position: str) -> None:
    token, _encoding = ENCODERS[encoder](OTHER_ADDRESS)
    report = detect(build_message(POSITIONS[position], token), recipients=list(ADDRESSES))
    assert _leaks(report) == []


@pytest.mark.parametrize("encoder", ["plain", "percent", "base64url-unpadded", "md5-lower", "sha256-upper"])
def test_leak_matrix_other_address_in_headers(encoder: str) -> None:
    """Recipients from the headers: an address that no header names is not a recipient leak."""
    token, _encoding = ENCODERS[encoder](OTHER_ADDRESS)
    message = build_message(POSITIONS["link-query"], token, to=f"<{ADDRESSES[0]}>")
    assert _leaks(detect(message)) == []


# --- the sender's own address ---------------------------------------------------------

SENDER_ADDRESS = "sam.seller@outreach.vendor-mail.example.com"


@pytest.mark.parametrize(
    "encoder", ["plain", "percent", "base64url-unpadded", "md5-lower", "sha256-upper", "local-part"]
)
@pytest.mark.parametrize("given", [True, False], ids=["recipients-given", "recipients-from-headers"])
def test_leak_matrix_sender_address(encoder: str, given: bool) -> None:
    token, encoding = ENCODERS[encoder](SENDER_ADDRESS)
    spot = POSITIONS["link-query"]
    message = build_message(spot, token, to=f"<{ADDRESSES[0]}>", sender=SENDER_ADDRESS)
    report = detect(message, recipients=[ADDRESSES[1]] if given else None)
    assert (SENDER_ADDRESS, encoding, "query", spot.receiver) in _leaks(report), _leaks(report)


# --- forms and wrappers outside the matrix ------------------------------------------


def _html_message(html: str) -> str:
    return (
        f"From: Riverside Deals <{SENDER}>\r\n"
        "To: ann.lee@example.org\r\n"
        "Subject: Summer range\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        f"{html}\r\n"
    )


_ANN = "ann.lee@example.org"
_ANN_MD5 = hashlib.md5(_ANN.encode()).hexdigest()
_SAFE_LINKS = "https://nam12.safelinks.protection.outlook.com/?url={inner}&data=05%7C02%7Cann.lee%40example.org%7C6f1e&sdata=Qm9%2Fx%3D&reserved=0"

EXTRA = [
    pytest.param(
        _ANN,
        f'<a href="https://shop.example.com/p?t={quote(_b64(b"~~" + _ANN.encode()), safe="")}&x=1">Shop</a>',
        (_ANN, "base64", "query", "example.com"),
        id="base64-percent-encoded",
    ),
    pytest.param(
        _ANN,
        f'<a href="https://shop.example.com/p?h={_b64url(hashlib.sha256(_ANN.encode()).digest()).rstrip("=")}">Shop</a>',
        (_ANN, "sha256-base64", "query", "example.com"),
        id="sha256-base64url",
    ),
    pytest.param(
        _ANN,
        f'<a href="https://shop.example.com/p/{_ANN.encode().hex().upper()}/x">Shop</a>',
        (_ANN, "hex", "path", "example.com"),
        id="hex-upper",
    ),
    pytest.param(
        _ANN,
        '<a href="'
        + _SAFE_LINKS.format(inner=quote(f"https://shop.example.co.uk/sale?e={_ANN_MD5}", safe=""))
        + '">Sale</a>',
        (_ANN, "md5", "query", "example.co.uk"),
        id="inside-safe-links",
    ),
    pytest.param(
        _ANN,
        '<img src="https://ci3.googleusercontent.com/proxy/Zk1aQ2x0VnRxYl9lN1RrWQ=s0-d-e1-ft'
        f'#https://t.tracker.example.net/o.gif?e={_ANN}" width="1" height="1">',
        (_ANN, "plain", "query", "example.net"),
        id="inside-gmail-proxy",
    ),
    pytest.param(
        "Grace.HOPPER@Example.NET",
        f'<a href="https://shop.example.com/p?h={hashlib.md5(b"Grace.HOPPER@Example.NET").hexdigest()}">Shop</a>',
        ("grace.hopper@example.net", "md5", "query", "example.com"),
        id="md5-of-given-spelling",
    ),
]


@pytest.mark.parametrize(("recipient", "html", "expected"), EXTRA)
def test_leak_extra_forms(recipient: str, html: str, expected: tuple[str, str, str, str]) -> None:
    report = detect(_html_message(html), recipients=[recipient])
    assert expected in _leaks(report), _leaks(report)


def test_leak_safe_links_data_not_leak() -> None:
    """The Safe Links wrapper belongs to the recipient's own provider, which already has the address."""
    html = '<a href="' + _SAFE_LINKS.format(inner=quote("https://shop.example.co.uk/sale", safe="")) + '">Sale</a>'
    assert _leaks(detect(_html_message(html), recipients=[_ANN])) == []
