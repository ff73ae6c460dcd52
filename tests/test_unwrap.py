"""Tests for trackdetect._unwrap: wrapper recognition, embedded destinations, chains."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackdetect import _unwrap as unwrap_module
from trackdetect._unwrap import (
    IMAGE_PROXY,
    MAIL_REDIRECT,
    SECURITY_WRAPPER,
    SHORTENER,
    EmbeddedDestination,
    Wrapper,
    embedded_destination,
    unwrap,
    unwrap_chain,
)


def _encode(url: str) -> str:
    """Percent-encode a whole URL the way redirectors put it into a query value."""
    return quote(url, safe="")


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- unwrap: one row per wrapper shape ------------------------------------------------

WRAPPED = [
    pytest.param(
        "https://nam12.safelinks.protection.outlook.com/?url="
        + _encode("https://example.com/a?b=c%2Bd")
        + "&data=05%7C01%7C&sdata=abc&reserved=0",
        SECURITY_WRAPPER,
        "Outlook Safe Links",
        "https://example.com/a?b=c%2Bd",
        id="safelinks-outlook",
    ),
    pytest.param(
        "https://usg02.safelinks.protection.office365.us/?url=https%3A%2F%2Fexample.gov%2Fa&data=05",
        SECURITY_WRAPPER,
        "Outlook Safe Links",
        "https://example.gov/a",
        id="safelinks-gcc",
    ),
    pytest.param(
        "https://statics.teams.cdn.office.net/evergreen-assets/safelinks/1/atp-safelinks.html"
        "?url=https%3A%2F%2Fexample.com%2Frepo&locale=en-us",
        SECURITY_WRAPPER,
        "Teams Safe Links",
        "https://example.com/repo",
        id="safelinks-teams",
    ),
    pytest.param(
        "https://urldefense.proofpoint.com/v1/url?u=http%3A%2F%2Fwww.example.org%2Fa%3Fb%3D1&k=x1",
        SECURITY_WRAPPER,
        "Proofpoint URL Defense v1",
        "http://www.example.org/a?b=1",
        id="proofpoint-v1",
    ),
    pytest.param(
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__example.org_p-3Fx-3Da-252Bb-26y-3D-5F1"
        "&d=DwMF&c=abc&r=def&m=ghi&s=jkl&e=",
        SECURITY_WRAPPER,
        "Proofpoint URL Defense v2",
        "https://example.org/p?x=a%2Bb&y=_1",
        id="proofpoint-v2",
    ),
    pytest.param(
        "https://urldefense.com/v3/__https://example.com/o/owa*2Findex.html__;JQ!!AbCd!mac123$",
        SECURITY_WRAPPER,
        "Proofpoint URL Defense v3",
        "https://example.com/o/owa%2Findex.html",
        id="proofpoint-v3-single-star",
    ),
    pytest.param(
        "https://urldefense.com/v3/__https://example.com/a**A/b*/c__;fn5-!!AbCd!mac$",
        SECURITY_WRAPPER,
        "Proofpoint URL Defense v3",
        "https://example.com/a~~/b~/c",
        id="proofpoint-v3-run",
    ),
    pytest.param(
        "https://urldefense.com/v3/__https://example.com/p?a=1&b=2*top__;Iw!!AbCd!mac$",
        SECURITY_WRAPPER,
        "Proofpoint URL Defense v3",
        "https://example.com/p?a=1&b=2#top",
        id="proofpoint-v3-query-kept",
    ),
    pytest.param(
        "https://urldefense.proofpoint.com/v3/__https://example.com/plain__;!!AbCd!mac$",
        SECURITY_WRAPPER,
        "Proofpoint URL Defense v3",
        "https://example.com/plain",
        id="proofpoint-v3-no-replacements",
    ),
    pytest.param(
        "https://protect-eu.mimecast.com/s/AbCdEfGhIj?domain=example.com",
        SECURITY_WRAPPER,
        "Mimecast",
        None,
        id="mimecast-opaque",
    ),
    pytest.param(
        "https://url.uk.m.mimecastprotect.com/s/AbCdEfGhIj?domain=example.com",
        SECURITY_WRAPPER,
        "Mimecast",
        None,
        id="mimecastprotect-opaque",
    ),
    pytest.param(
        "https://clicktime.symantec.com/39e8TeBHakB1Pf?u=http%3A%2F%2Fwww.example.com%2F",
        SECURITY_WRAPPER,
        "Symantec ClickTime",
        "http://www.example.com/",
        id="symantec",
    ),
    pytest.param(
        "https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fexample.com%2fx%3fy%3d1&c=E,1,abc&typo=1",
        SECURITY_WRAPPER,
        "Barracuda Link Protection",
        "https://example.com/x?y=1",
        id="barracuda",
    ),
    pytest.param(
        "https://secure-web.cisco.com/1EH1B-CLV31IF8vc/https%3A%2F%2Fexample.com%2Fpage%3Fa%3D1",
        SECURITY_WRAPPER,
        "Cisco Secure Email",
        "https://example.com/page?a=1",
        id="cisco",
    ),
    pytest.param(
        "https://ddec1-0-en-ctp.trendmicro.com:443/wis/clicktime/v1/query"
        "?url=https%3a%2f%2fexample.org%2fdoc&umid=1234&auth=abcd",
        SECURITY_WRAPPER,
        "Trend Micro Click-Time",
        "https://example.org/doc",
        id="trendmicro",
    ),
    pytest.param(
        "https://eu-west-1.protection.sophos.com?d=example.com&u="
        + base64.b64encode(b"https://example.com/a?b=1").decode().replace("=", "%3D")
        + "&p=m&i=abc&t=def&h=0123",
        SECURITY_WRAPPER,
        "Sophos Email",
        "https://example.com/a?b=1",
        id="sophos",
    ),
    pytest.param(
        "https://protect2.fireeye.com/v1/url?k=84f6a8c0-e57d&q=1&e=6739af06&u=http%3A%2F%2Fexample.org%2Fx",
        SECURITY_WRAPPER,
        "FireEye Email Security",
        "http://example.org/x",
        id="fireeye",
    ),
    pytest.param(
        "https://ci3.googleusercontent.com/proxy/AbCd_Ef-Gh=s0-d-e1-ft#https://img.example.com/a%2Bb.png",
        IMAGE_PROXY,
        "Gmail image proxy",
        "https://img.example.com/a%2Bb.png",
        id="gmail-proxy-fragment",
    ),
    pytest.param(
        "https://ci5.googleusercontent.com/meips/ADKq_NZ=s0-d-e1-ft#https://img.example.com/x.gif?u=1",
        IMAGE_PROXY,
        "Gmail image proxy",
        "https://img.example.com/x.gif?u=1",
        id="gmail-meips-fragment",
    ),
    pytest.param(
        "https://ci3.googleusercontent.com/meips/ADKq_NZnUU90zDfnWuBW5CeRB",
        IMAGE_PROXY,
        "Gmail image proxy",
        None,
        id="gmail-meips-opaque",
    ),
    pytest.param(
        "https://ecp.yusercontent.com/mail?url=https%3A%2F%2Fcdn.example.com%2Flogo.png%3Fv%3D1"
        "&t=1703250218&ymreqid=0c56&sig=SURG",
        IMAGE_PROXY,
        "Yahoo image proxy",
        "https://cdn.example.com/logo.png?v=1",
        id="yahoo-proxy",
    ),
    pytest.param(
        # Each byte of the original URL as two hexadecimal digits in swapped order.
        "https://www.fastmailusercontent.com/proxy/" + "5e0c" * 16 + "/8647470737a3f2f25713e23647e23756e64676"
        "279646e2e65647f27766f2f60756e6f35707e6d3142636132333/open",
        IMAGE_PROXY,
        "Fastmail image proxy",
        "https://u1.ct.sendgrid.net/wf/open?upn=Abc123",
        id="fastmail-proxy-swapped-hex",
    ),
    pytest.param(
        "https://phl-www.fastmailusercontent.com/proxy/" + "a1" * 32 + "/68747470733a2f2f63646e2e6578616d706c652e"
        "636f6d2f696d672f6c6f676f2e706e67/logo.png",
        IMAGE_PROXY,
        "Fastmail image proxy",
        "https://cdn.example.com/img/logo.png",
        id="fastmail-proxy-plain-hex",
    ),
    pytest.param(
        "https://www.google.com/url?q=https://links.example.com/e?_t%3D62c6%26_m%3D05e3"
        "&source=gmail&ust=1661689919573000&usg=AOvVaw3t",
        MAIL_REDIRECT,
        "Google redirect",
        "https://links.example.com/e?_t=62c6&_m=05e3",
        id="google-q",
    ),
    pytest.param(
        "https://www.google.co.uk/url?sa=t&url=https%3A%2F%2Fexample.co.uk%2F",
        MAIL_REDIRECT,
        "Google redirect",
        "https://example.co.uk/",
        id="google-country-url",
    ),
    pytest.param(
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2F&h=AT0abc",
        MAIL_REDIRECT,
        "Facebook redirect",
        "https://example.com/",
        id="facebook",
    ),
    pytest.param(
        "https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Fexample.com%2Fjob&urlhash=abc",
        MAIL_REDIRECT,
        "LinkedIn redirect",
        "https://example.com/job",
        id="linkedin",
    ),
    pytest.param(
        "https://www.youtube.com/redirect?event=video_description&q=https%3A%2F%2Fexample.com",
        MAIL_REDIRECT,
        "YouTube redirect",
        "https://example.com",
        id="youtube",
    ),
    pytest.param(
        "https://t.co/redirect?url=https%3A%2F%2Fx.com%2Fsettings%2Fsecurity&t=1&sig=9739",
        MAIL_REDIRECT,
        "X redirect",
        "https://x.com/settings/security",
        id="x-redirect",
    ),
    pytest.param("http://bit.ly/2lEe8Aa", SHORTENER, "bit.ly", None, id="bitly"),
    pytest.param("https://t.co/AbC123xyz", SHORTENER, "t.co", None, id="tco-short"),
    pytest.param("https://www.tinyurl.com/abc123", SHORTENER, "tinyurl.com", None, id="tinyurl-www"),
    pytest.param("https://lnkd.in/eAbCdEf", SHORTENER, "lnkd.in", None, id="lnkd"),
]


@pytest.mark.parametrize(("url", "kind", "name", "inner"), WRAPPED)
def test_unwrap_kind(url: str, kind: str, name: str, inner: str | None) -> None:
    wrapper = unwrap(url)
    assert wrapper is not None
    assert wrapper.kind == kind


@pytest.mark.parametrize(("url", "kind", "name", "inner"), WRAPPED)
def test_unwrap_name(url: str, kind: str, name: str, inner: str | None) -> None:
    wrapper = unwrap(url)
    assert wrapper is not None
    assert wrapper.name == name


@pytest.mark.parametrize(("url", "kind", "name", "inner"), WRAPPED)
def test_unwrap_inner(url: str, kind: str, name: str, inner: str | None) -> None:
    wrapper = unwrap(url)
    assert wrapper is not None
    assert wrapper.inner == inner


NOT_WRAPPED = [
    pytest.param("https://example.com/url?q=https%3A%2F%2Fa.example", id="url-path-elsewhere"),
    pytest.param(
        "https://evilsafelinks.protection.outlook.com/?url=https%3A%2F%2Fa.example",
        id="safelinks-no-dot-boundary",
    ),
    pytest.param(
        "https://nam12.safelinks.protection.outlook.com.evil.example/?url=https%3A%2F%2Fa.example",
        id="safelinks-as-subdomain",
    ),
    pytest.param("https://www.google.com/search?q=https%3A%2F%2Fa.example", id="google-search"),
    pytest.param("https://www.google.example.test/url?q=https%3A%2F%2Fa.example", id="google-lookalike"),
    pytest.param("https://urldefense.com/v9/__https://a.example__;!!x$", id="proofpoint-unknown-version"),
    pytest.param("https://linkprotect.cudasvc.com/other?a=https%3A%2F%2Fa.example", id="barracuda-path"),
    pytest.param("https://ci3.googleusercontent.com/other/abc#https://a.example/", id="gmail-other-path"),
    pytest.param("https://lh3.googleusercontent.com/proxy/abc#https://a.example/", id="gmail-other-host"),
    pytest.param(
        "https://www.fastmailusercontent.com/jmap/download/u1/B2/logo.png?type=image/png", id="fastmail-download"
    ),
    pytest.param("https://www.fastmailusercontent.example/proxy/ab/8647470737a3f2f2/x", id="fastmail-lookalike"),
    pytest.param("https://bit.ly/", id="shortener-root"),
    pytest.param("https://bitly.example/abc", id="shortener-lookalike"),
    pytest.param("ftp://bit.ly/abc", id="ftp-scheme"),
    pytest.param("mailto:user@example.com", id="mailto"),
    pytest.param("/relative/path?url=https%3A%2F%2Fa.example", id="relative"),
    pytest.param("", id="empty"),
    pytest.param("https://", id="no-host"),
    pytest.param("http://[::1", id="broken-ipv6"),
    pytest.param("https://example.com/a?b=c", id="ordinary"),
]


@pytest.mark.parametrize("url", NOT_WRAPPED)
def test_unwrap_none(url: str) -> None:
    assert unwrap(url) is None


UNDECODABLE = [
    pytest.param(
        "https://nam12.safelinks.protection.outlook.com/?url=not-a-url&data=05",
        id="safelinks-garbage",
    ),
    pytest.param("https://urldefense.com/v3/__https://example.com/a**B__;fn4!!k!m$", id="v3-too-few-chars"),
    pytest.param("https://urldefense.com/v3/__https://example.com/a*__;@@@!!k!m$", id="v3-bad-base64"),
    pytest.param("https://eu-west-1.protection.sophos.com?d=a.example&u=%%%", id="sophos-bad-base64"),
    pytest.param("https://secure-web.cisco.com/1abc/plain-segment", id="cisco-no-url"),
    pytest.param("https://www.fastmailusercontent.com/proxy/" + "ab" * 32 + "/not-hex/x.png", id="fastmail-not-hex"),
    pytest.param("https://www.fastmailusercontent.com/proxy/" + "ab" * 32 + "/8647470/x", id="fastmail-odd-hex"),
    pytest.param("https://www.fastmailusercontent.com/proxy/" + "ab" * 32 + "/414243/x", id="fastmail-not-url"),
    pytest.param("https://www.fastmailusercontent.com/proxy/" + "ab" * 32, id="fastmail-no-original"),
]


@pytest.mark.parametrize("url", UNDECODABLE)
def test_unwrap_undecodable_inner(url: str) -> None:
    wrapper = unwrap(url)
    assert wrapper is not None
    assert wrapper.inner is None


def test_unwrap_strips_line_breaks() -> None:
    wrapper = unwrap("https://l.facebook.com/l.php?u=https%3A%2F%2Fex\r\nample.com%2F")
    assert wrapper is not None
    assert wrapper.inner == "https://example.com/"


# --- embedded_destination --------------------------------------------------------------

EMBEDDED = [
    pytest.param(
        "https://click.tracker.example/track?id=9&url=" + _encode("https://shop.example/p?a=1"),
        "https://shop.example/p?a=1",
        "query:url",
        id="query-encoded",
    ),
    pytest.param(
        "https://r.tracker.example/c?redirect=https://shop.example/p",
        "https://shop.example/p",
        "query:redirect",
        id="query-plain",
    ),
    pytest.param(
        "https://r.tracker.example/c?next=https%3A%2F%2Fb.example%2F&url=https%3A%2F%2Fa.example%2F",
        "https://a.example/",
        "query:url",
        id="query-preferred-name",
    ),
    pytest.param(
        "https://www.example.com/login?openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0"
        "&openid.return_to=https%3A%2F%2Fwww.example.com%2Fhome",
        "https://www.example.com/home",
        "query:openid.return_to",
        id="query-namespaced-name",
    ),
    pytest.param(
        "https://aff.example/cread.php?id=1&ued=https%3A%2F%2Fshop.example%2Fi",
        "https://shop.example/i",
        "query:ued",
        id="query-other-name",
    ),
    pytest.param(
        "https://r.tracker.example/c?dest=" + _b64url("https://shop.example/p?x=1"),
        "https://shop.example/p?x=1",
        "query:dest:base64",
        id="query-base64",
    ),
    pytest.param(
        "https://r.tracker.example/c?url=https%3A%2F%2Fshop.example%2Fp%3Ftag%3Dc%252Bd",
        "https://shop.example/p?tag=c%2Bd",
        "query:url",
        id="query-decoded-once",
    ),
    pytest.param(
        "https://abc.r.eu-west-1.mailtrack.example/L0/https:%2F%2Fshop.example%2F%3Fa%3D1%26cid=X/1/0102-0000/sig=174",
        "https://shop.example/?a=1&cid=X",
        "path",
        id="path-encoded",
    ),
    pytest.param(
        "https://r.tracker.example/r/https://shop.example/p?q=a+b#top",
        "https://shop.example/p?q=a+b#top",
        "path",
        id="path-plain-to-end",
    ),
    pytest.param(
        "https://links.tracker.example/click/657b2c/" + _b64url("https://shop.example/a?b=1") + "/657b2c",
        "https://shop.example/a?b=1",
        "path:base64",
        id="path-base64url",
    ),
    pytest.param(
        "https://links.tracker.example/c/"
        + base64.b64encode(b"https://shop.example/?x=1").decode().replace("=", "%3D"),
        "https://shop.example/?x=1",
        "path:base64",
        id="path-base64-padded",
    ),
    pytest.param(
        "https://viewer.example/show#https://shop.example/p?tag=c%2Bd",
        "https://shop.example/p?tag=c%2Bd",
        "fragment",
        id="fragment-plain-verbatim",
    ),
    pytest.param(
        "https://viewer.example/show#https%3A%2F%2Fshop.example%2Fp",
        "https://shop.example/p",
        "fragment",
        id="fragment-encoded",
    ),
    pytest.param(
        "https://app.example/#/login?redirect=https%3A%2F%2Fshop.example%2Fp",
        "https://shop.example/p",
        "fragment",
        id="fragment-route-query",
    ),
]


@pytest.mark.parametrize(("url", "destination", "where"), EMBEDDED)
def test_embedded_url(url: str, destination: str, where: str) -> None:
    found = embedded_destination(url)
    assert found is not None
    assert found.url == destination


@pytest.mark.parametrize(("url", "destination", "where"), EMBEDDED)
def test_embedded_where(url: str, destination: str, where: str) -> None:
    found = embedded_destination(url)
    assert found is not None
    assert found.where == where


NOT_EMBEDDED = [
    pytest.param("https://example.com/a?b=c", id="ordinary"),
    pytest.param("https://example.com/?url=not-a-url", id="value-not-url"),
    pytest.param("https://example.com/?url=https%253A%252F%252Fa.example", id="double-encoded"),
    pytest.param("https://example.com/?url=https%3A%2F%2F", id="no-host"),
    pytest.param("https://example.com/aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ", id="base64-not-url"),
    pytest.param("https://example.com/" + _b64url("https://"), id="base64-no-host"),
    pytest.param("https://example.com/#section-2", id="fragment-anchor"),
    pytest.param("mailto:a@example.com?body=https%3A%2F%2Fa.example", id="mailto"),
    pytest.param("", id="empty"),
    pytest.param("https://example.com/?url=https%3A%2F%2Fa.example%2F%01", id="control-char"),
]


@pytest.mark.parametrize("url", NOT_EMBEDDED)
def test_embedded_none(url: str) -> None:
    assert embedded_destination(url) is None


# --- unwrap_chain ----------------------------------------------------------------------

PAGE = "https://shop.example/p?q=a+b&tag=c%2Bd"
APP_REDIRECT = "https://app.example/go?next=" + _encode(PAGE)
TRACKER = "https://u123.ct.mailer.example/ls/click?url=" + _encode(APP_REDIRECT) + "&upn=u001"
SAFE_LINK = (
    "https://eur01.safelinks.protection.outlook.com/?url="
    + _encode(TRACKER)
    + "&data=05%7C02%7C&sdata=AbC%3D&reserved=0"
)


def test_chain_urls() -> None:
    urls = [url for url, _ in unwrap_chain(SAFE_LINK)]
    assert urls == [SAFE_LINK, TRACKER, APP_REDIRECT, PAGE]


def test_chain_final_page_keeps_encoding() -> None:
    final_url, _ = unwrap_chain(SAFE_LINK)[-1]
    assert "%2B" in final_url
    assert "a+b" in final_url


def test_chain_steps() -> None:
    steps = [step for _, step in unwrap_chain(SAFE_LINK)]
    assert steps == [
        Wrapper(SECURITY_WRAPPER, "Outlook Safe Links", TRACKER),
        EmbeddedDestination(APP_REDIRECT, "query:url"),
        EmbeddedDestination(PAGE, "query:next"),
        None,
    ]


def test_chain_max_hops() -> None:
    chain = unwrap_chain(SAFE_LINK, max_hops=1)
    assert chain == (
        (SAFE_LINK, Wrapper(SECURITY_WRAPPER, "Outlook Safe Links", TRACKER)),
        (TRACKER, None),
    )


def test_chain_zero_hops() -> None:
    assert unwrap_chain(SAFE_LINK, max_hops=0) == ((SAFE_LINK, None),)


def test_chain_ends_at_opaque_wrapper() -> None:
    outer = "https://nam12.safelinks.protection.outlook.com/?url=" + _encode("https://bit.ly/3xYz")
    assert unwrap_chain(outer)[-1] == ("https://bit.ly/3xYz", Wrapper(SHORTENER, "bit.ly", None))


def test_chain_plain_url() -> None:
    assert unwrap_chain("https://example.com/") == (("https://example.com/", None),)


def test_chain_not_a_url() -> None:
    assert unwrap_chain("not a url") == (("not a url", None),)


# --- properties ------------------------------------------------------------------------

# Pieces rather than single characters, so that encoded schemes and base64 of
# "http" turn up often.
_URL_PIECES = st.lists(
    st.sampled_from([*"abcAZ09-._~:/?#[]@!$&'()*+,;=%\n", "%3A", "%2F", "%25", "aHR0c", "**A"]),
    max_size=60,
).map("".join)
_URL_PREFIXES = st.sampled_from(
    [
        "https://",
        "https://nam12.safelinks.protection.outlook.com/?url=",
        "https://urldefense.com/v3/__",
        "https://urldefense.proofpoint.com/v2/url?u=",
        "https://ci3.googleusercontent.com/proxy/x#",
        "https://eu-west-1.protection.sophos.com?u=",
        "https://secure-web.cisco.com/1a/",
        "https://www.google.com/url?q=",
        "https://r.example/c?url=https%3A%2F%2F",
        "https://r.example/aHR0cHM6Ly9",
    ]
)
URLISH = st.one_of(st.text(max_size=200), st.builds(lambda a, b: a + b, _URL_PREFIXES, _URL_PIECES))


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_unwrap_never_raises(url: str) -> None:
    result = unwrap(url)
    assert result is None or isinstance(result, Wrapper)


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_embedded_never_returns_input(url: str) -> None:
    found = embedded_destination(url)
    assert found is None or found.url != url


@settings(max_examples=300, deadline=None)
@given(URLISH, st.integers(min_value=-2, max_value=12))
def test_chain_length_bounded(url: str, max_hops: int) -> None:
    assert len(unwrap_chain(url, max_hops)) <= max(0, max_hops) + 1


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_chain_visits_each_url_once(url: str) -> None:
    urls = [hop_url for hop_url, _ in unwrap_chain(url)]
    assert len(urls) == len(set(urls))


def test_chain_large_max_hops_capped() -> None:
    nested = "https://shop.example/"
    for _ in range(70):
        nested = "https://r.example/c?url=" + _encode(nested)
    assert len(unwrap_chain(nested, max_hops=10_000)) == 65


# --- The destination hint ----------------------------------------------------------------


def _without_hint(url: str) -> object:
    """Run the destination search with a hint that lets every URL through."""
    hint = unwrap_module._may_hold_destination
    unwrap_module._may_hold_destination = lambda raw, start: True
    try:
        return embedded_destination.__wrapped__(url)
    finally:
        unwrap_module._may_hold_destination = hint


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["http", "https"]),
    st.sampled_from(["path", "query", "fragment"]),
    st.booleans(),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/?=&.-_~", max_size=40),
)
def test_hint_keeps_base64_destinations(scheme: str, where: str, url_safe: bool, tail: str) -> None:
    # The hint only saves time: with or without it the search finds the same destination.
    inner = f"{scheme}://shop.example/{tail}"
    encoded = (base64.urlsafe_b64encode if url_safe else base64.b64encode)(inner.encode()).decode().rstrip("=")
    if where == "path":
        url = f"https://links.tracker.example/c/{quote(encoded, safe='')}"
    elif where == "query":
        url = f"https://links.tracker.example/c?next={quote(encoded, safe='')}"
    else:
        url = f"https://links.tracker.example/c#{encoded}"
    assert embedded_destination.__wrapped__(url) == _without_hint(url)


@pytest.mark.parametrize(("url", "destination", "where"), EMBEDDED)
def test_hint_changes_nothing(url: str, destination: str, where: str) -> None:
    assert embedded_destination.__wrapped__(url) == _without_hint(url)


def test_hint_passes_base64_path() -> None:
    url = "https://links.tracker.example/c/" + _b64url("https://shop.example/a")
    assert embedded_destination.__wrapped__(url) is not None


def test_hint_after_international_host() -> None:
    # The split host is in punycode, the raw URL is not: the hint must still start after it.
    url = "https://中文域名測試網站例子國際化長名稱.com/?u=https%3A%2F%2Fshop.example%2Fx"
    found = embedded_destination.__wrapped__(url)
    assert found is not None
    assert found.url == "https://shop.example/x"
