"""Registered domains and URL splitting."""

from __future__ import annotations

import base64
import warnings
from urllib.parse import urlsplit

import pytest
import tldextract
from hypothesis import given, settings
from hypothesis import strategies as st

from trackdetect._urls import (
    _BASE64_AT,
    _split_simple,
    find_address,
    is_opaque_token,
    normalize_reference,
    registered_domain,
    split_url,
)

HOSTS = [
    "mail.example.co.uk",
    "example.com",
    "a.b.c.example.com",
    "click.email.shop.example.com.au",
    "www.ck",
    "a.b.c.kobe.jp",
    "city.kobe.jp",
    "s3.amazonaws.com",
    "x.github.io",
    "t.sidekickopen45.com",
    "xn--80ak6aa92e.xn--p1ai",
    "news.example.xn--p1ai",
    "co.uk",
    "com",
    "localhost",
]


@pytest.mark.parametrize("host", HOSTS)
def test_registered_domain_matches_tldextract(host: str) -> None:
    # trackdetect applies the public suffix algorithm itself to tldextract's bundled list
    # (ICANN section), so both must agree. A host without a registrable part stays as it is.
    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = extract(host).registered_domain or host
    assert registered_domain(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("192.0.2.10", "192.0.2.10", id="ipv4"),
        pytest.param("[2001:db8::a]", "2001:db8::a", id="ipv6-ends-in-letter"),
        pytest.param("2001:db8::1", "2001:db8::1", id="ipv6"),
        pytest.param("Mail.Example.COM.", "example.com", id="case-and-trailing-dot"),
        pytest.param("999.example.com", "example.com", id="digit-label"),
        pytest.param("example.123", "example.123", id="numeric-tld"),
        # The public suffix algorithm's default rule makes an unlisted top-level label a
        # suffix; tldextract leaves such hosts without a registered domain instead.
        pytest.param("foo.bar.unknowntld", "bar.unknowntld", id="unlisted-tld"),
    ],
)
def test_registered_domain_special_hosts(host: str, expected: str) -> None:
    assert registered_domain(host) == expected


def test_split_url_idna_host() -> None:
    parts = split_url("https://bücher.example/a?b=1")
    assert parts is not None
    assert (parts.host, parts.domain) == ("xn--bcher-kva.example", "xn--bcher-kva.example")


def test_every_encoded_at_sign_passes_the_base64_screen() -> None:
    # find_address decodes only base64 runs that hold one of the character pairs an "@"
    # turns into. Every alignment with every neighbouring byte must yield such a pair.
    missed = []
    for alignment in range(3):
        for neighbour in range(256):
            for other in (0, 0x2E, 0x7A, 0xFF):
                group = [neighbour, other, other]
                group[alignment] = 0x40
                for encoded in (base64.b64encode(bytes(group)), base64.urlsafe_b64encode(bytes(group))):
                    if not _BASE64_AT.search(encoded.decode("ascii")):
                        missed.append((alignment, neighbour, other))
    assert missed == []


@pytest.mark.parametrize("prefix", [b"", b"=", b"\x00\xff", b"id:\x10", b"\x01\x02\x03\x04"])
@pytest.mark.parametrize("address", ["jane.doe@example.com", "a@b.io", "Q+A_user@mail.example.org"])
def test_find_address_reads_base64_at_every_alignment(prefix: bytes, address: str) -> None:
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        token = encode(prefix + address.encode("ascii") + b"&x=1").decode("ascii")
        assert find_address(f"https://t.example.net/o?d={token}") == (address.lower(), "base64")


@pytest.mark.parametrize(
    "url",
    [
        "https://t.example.net/o?d=QWxwaGFCZXRhR2FtbWFEZWx0YQ",  # base64 of text without "@"
        "https://t.example.net/o?h=4a6f686e2e446f65",  # hex of text without "@"
        "https://t.example.net/o/0123456789abcdef0123456789abcdef",
    ],
)
def test_find_address_finds_nothing_without_an_address(url: str) -> None:
    assert find_address(url) is None


def _split_by_urlsplit(url: str) -> tuple[str, str, str, str, str] | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    return parts.scheme, host, parts.path, parts.query, parts.fragment


_URL_PIECES = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "//",
        "/",
        "?",
        "#",
        "@",
        ":",
        "%",
        "[",
        "]",
        "::1",
        "a",
        "B",
        ".",
        "\t",
        "é",
        "8080",
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_URL_PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_simple_split_agrees_with_urlsplit(url: str) -> None:
    simple = _split_simple(url)
    if simple is not None:
        assert simple == _split_by_urlsplit(url)


@pytest.mark.parametrize(
    ("url", "taken"),
    [
        ("https://user@Mail.Example.com:8443/a/b?x=1#top", True),
        ("http://example.com", True),
        ("https://[::1]/x", False),
        ("HTTPS://example.com/", False),
        ("https://exa%6dple.com/", False),
        ("https://example.com/caf\u00e9", False),
    ],
)
def test_simple_split_takes_only_plain_urls(url: str, taken: bool) -> None:
    assert (_split_simple(url) is not None) == taken
    assert split_url(url) is not None


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        pytest.param("  https://Shop.Example.COM/a?b=1  ", None, "https://shop.example.com/a?b=1", id="trim-and-host"),
        pytest.param(
            "https://shop.example.com/a\n/b\t?c=1", None, "https://shop.example.com/a/b?c=1", id="line-breaks"
        ),
        pytest.param("https:\\\\shop.example.com\\a", None, "https://shop.example.com/a", id="backslashes"),
        pytest.param(
            "https://shop.example.com/My File.pdf?t=a b#c d",
            None,
            "https://shop.example.com/My%20File.pdf?t=a%20b#c%20d",
            id="spaces",
        ),
        pytest.param("//cdn.example.net/p.gif", None, "https://cdn.example.net/p.gif", id="protocol-relative"),
        pytest.param(
            "img/p.gif", "https://shop.example.com/news/", "https://shop.example.com/news/img/p.gif", id="relative"
        ),
        pytest.param("img/p.gif", None, None, id="relative-without-base"),
        pytest.param("mailto:a b@example.org", None, "mailto:a b@example.org", id="other-scheme-kept"),
        pytest.param("   ", None, None, id="empty"),
    ],
)
def test_normalize_reference(raw: str, base: str | None, expected: str | None) -> None:
    # The URL a mail client's browser engine would request for an attribute value.
    assert normalize_reference(raw, base) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Lower+Pennycrocker+Farm", False, id="plus-joined-words"),
        pytest.param("Postgres+16+upgrade", False, id="plus-joined-words-and-number"),
        pytest.param("summer-sale-2024", False, id="dash-slug"),
        pytest.param("Ab3xKd9QwZ+7tLmN2pQr", True, id="base64-with-plus"),
        pytest.param("nPUCIARZflc+KjPnUBl_FA", True, id="base64-letters-around-plus"),
        pytest.param("8f3a91d0c2b7e5f4a1b2", True, id="hex"),
    ],
)
def test_opaque_token_reads_plus_as_space(value: str, expected: bool) -> None:
    assert is_opaque_token(value) is expected
