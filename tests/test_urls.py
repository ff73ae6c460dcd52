"""Registered domains and URL splitting."""

from __future__ import annotations

import warnings

import pytest
import tldextract

from trackdetect._urls import registered_domain, split_url

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
