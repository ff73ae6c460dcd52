"""Tests for trackdetect._params: parameter classes and clean_url."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trackdetect._lists import parse_clearurls
from trackdetect._params import CleanResult, ParamClass, classify_parameter, clean_url

OPAQUE = "mksJhyDPhO6KuQX6z_JqQ0vxXFI9cwDcg"
HEX32 = "62c6a4ea5484430dbb7571e36c7bde50"

# --- classify_parameter ----------------------------------------------------------------

CLASSIFIED = [
    # campaign tags
    ("utm_source", "newsletter", ParamClass.CAMPAIGN),
    ("UTM_Campaign", "spring", ParamClass.CAMPAIGN),
    ("utm_content", "", ParamClass.CAMPAIGN),
    ("mtm_campaign", "x", ParamClass.CAMPAIGN),
    ("pk_campaign", "x", ParamClass.CAMPAIGN),
    ("gclid", "Cj0KCQiA", ParamClass.CAMPAIGN),
    ("fbclid", "IwAR3x", ParamClass.CAMPAIGN),
    ("msclkid", "abc", ParamClass.CAMPAIGN),
    ("dclid", "abc", ParamClass.CAMPAIGN),
    ("mc_cid", "a1b2c3d4e5", ParamClass.CAMPAIGN),
    ("hsa_cam", "123", ParamClass.CAMPAIGN),
    ("s_cid", "em_2024", ParamClass.CAMPAIGN),
    ("cmpid", "EM-123", ParamClass.CAMPAIGN),
    ("ref", "newsletter", ParamClass.CAMPAIGN),
    ("ref_src", "twsrc", ParamClass.CAMPAIGN),
    ("mi_ecmp", "DV_20250701", ParamClass.CAMPAIGN),
    # recipient identifiers
    ("mc_eid", "a1b2c3d4e5", ParamClass.RECIPIENT_ID),
    # An id inside braces or brackets, or of capitals only, is not an unfilled merge tag.
    ("mc_eid", "{{8f3a91d0c2}}", ParamClass.RECIPIENT_ID),
    ("mc_eid", "[8f3a91d0c2]", ParamClass.RECIPIENT_ID),
    ("mc_eid", "QKZTRWMBXP", ParamClass.RECIPIENT_ID),
    ("_hsenc", "p2ANqtz-8abc", ParamClass.RECIPIENT_ID),
    ("_hsmi", "123456", ParamClass.RECIPIENT_ID),
    ("mkt_tok", "NzEyLUxKTS0", ParamClass.RECIPIENT_ID),
    ("vero_id", "42", ParamClass.RECIPIENT_ID),
    ("oly_enc_id", "1234A5678B", ParamClass.RECIPIENT_ID),
    ("ck_subscriber_id", "987654", ParamClass.RECIPIENT_ID),
    ("_ke", "eyJrbF9lbWFpbCI6", ParamClass.RECIPIENT_ID),
    ("_kx", "abc.def", ParamClass.RECIPIENT_ID),
    ("_e", OPAQUE, ParamClass.RECIPIENT_ID),
    ("sc_uid", "u8812345", ParamClass.RECIPIENT_ID),
    ("uid", "200440893879", ParamClass.RECIPIENT_ID),
    ("email", "jane.doe@example.com", ParamClass.RECIPIENT_ID),
    ("e", "jane+news@example.com", ParamClass.RECIPIENT_ID),
    ("em", "amFuZUBleGFtcGxlLmNvbQ==", ParamClass.RECIPIENT_ID),
    ("mi_u", "200440893879", ParamClass.RECIPIENT_ID),
    ("_gl", "1*abc*_ga*MTIz", ParamClass.RECIPIENT_ID),
    ("qs", HEX32, ParamClass.RECIPIENT_ID),
    ("anything", OPAQUE, ParamClass.RECIPIENT_ID),
    ("id", "5f9e8ed9-d510-7fd0-36a0-9de8c5e525ea", ParamClass.RECIPIENT_ID),
    # signatures
    ("sig", "x", ParamClass.SIGNATURE),
    ("Signature", "H8Odfhv~t", ParamClass.SIGNATURE),
    ("X-Amz-Signature", "abc123", ParamClass.SIGNATURE),
    ("x-goog-signature", "abc123", ParamClass.SIGNATURE),
    ("Key-Pair-Id", "APKAJ5Y6", ParamClass.SIGNATURE),
    ("hmac", "abc", ParamClass.SIGNATURE),
    ("usg", "AOvVaw3t", ParamClass.SIGNATURE),
    ("sdata", "AbC=", ParamClass.SIGNATURE),
    ("hash", HEX32, ParamClass.SIGNATURE),
]


@pytest.mark.parametrize(("name", "value", "expected"), CLASSIFIED)
def test_classify_class(name: str, value: str, expected: ParamClass) -> None:
    assert classify_parameter(name, value) is expected


UNCLASSIFIED = [
    ("page", "2"),
    ("q", "running shoes"),
    ("lang", "en"),
    ("id", "42"),
    ("e", "1"),
    ("em", "true"),
    ("uid", "alice"),
    ("email", "yes"),
    ("_e", "short"),
    ("hash", "abc"),
    ("campaign", "summer_sale_2024_newsletter_final"),
    ("path", "/docs/getting-started/installation-guide"),
    ("url", "https://example.com/a1B2c3D4e5F6g7H8"),
    ("token", OPAQUE),
    ("code", HEX32),
    ("state", OPAQUE),
    ("", ""),
    # Merge tags left unfilled: every recipient gets the same text.
    ("mc_eid", "UNIQID"),
    ("mc_eid", "*|UNIQID|*"),
    ("e", "{{ contact.id }}"),
    ("email", "%%emailaddr%%"),
    ("uid", "${uid}"),
    ("subscriber_id", "[SUBSCRIBER_ID]"),
]


@pytest.mark.parametrize(("name", "value"), UNCLASSIFIED)
def test_classify_none(name: str, value: str) -> None:
    assert classify_parameter(name, value) is None


def test_param_class_values() -> None:
    assert [member.value for member in ParamClass] == ["campaign", "recipient_id", "signature"]


# --- clean_url -------------------------------------------------------------------------

CLEANED = [
    pytest.param(
        "https://shop.example/p?q=1&?utm_source=news",
        "https://shop.example/p?q=1",
        ("utm_source",),
        id="stray-question-mark",
    ),
    pytest.param(
        "https://shop.example/p#utm_source=1&?utm_medium=2",
        "https://shop.example/p",
        ("utm_source", "utm_medium"),
        id="fragment-stray-question-mark",
    ),
    pytest.param(
        "https://shop.example/p?utm_source=news&q=a+b&tag=c%2Bd&mc_eid=a1b2c3d4e5",
        "https://shop.example/p?q=a+b&tag=c%2Bd",
        ("utm_source", "mc_eid"),
        id="keeps-order-and-encoding",
    ),
    pytest.param(
        "https://shop.example/p?utm_source=news&utm_medium=email",
        "https://shop.example/p",
        ("utm_source", "utm_medium"),
        id="drops-empty-query",
    ),
    pytest.param(
        "https://shop.example/p?a=%20x&utm_term=z&b=~y&c#top",
        "https://shop.example/p?a=%20x&b=~y&c#top",
        ("utm_term",),
        id="keeps-fragment-and-flag",
    ),
    pytest.param(
        "https://shop.example/p?x=1#utm_source=news&utm_campaign=spring",
        "https://shop.example/p?x=1",
        ("utm_source", "utm_campaign"),
        id="fragment-query",
    ),
    pytest.param(
        "https://app.example/#/route?utm_medium=email&tab=2",
        "https://app.example/#/route?tab=2",
        ("utm_medium",),
        id="fragment-route-query",
    ),
    pytest.param(
        "https://app.example/#/route?utm_medium=email",
        "https://app.example/#/route",
        ("utm_medium",),
        id="fragment-route-emptied",
    ),
    pytest.param(
        "https://shop.example/p#utm_source=news&page?utm_medium=email",
        "https://shop.example/p#page",
        ("utm_source", "utm_medium"),
        id="fragment-turns-into-route",
    ),
    pytest.param(
        "https://shop.example/?utm%5Fsource=news&x=1",
        "https://shop.example/?x=1",
        ("utm_source",),
        id="decodes-removed-name",
    ),
    pytest.param(
        "https://shop.example/?x=1&&fbclid=IwAR&y=%2b",
        "https://shop.example/?x=1&&y=%2b",
        ("fbclid",),
        id="keeps-empty-piece-and-lowercase-escape",
    ),
    pytest.param(
        f"https://links.example.com/u/click?_t={HEX32}&_e={OPAQUE}",
        "https://links.example.com/u/click",
        ("_t", "_e"),
        id="opaque-tokens",
    ),
]


@pytest.mark.parametrize(("url", "expected_url", "removed"), CLEANED)
def test_clean_url(url: str, expected_url: str, removed: tuple[str, ...]) -> None:
    assert clean_url(url).url == expected_url


@pytest.mark.parametrize(("url", "expected_url", "removed"), CLEANED)
def test_clean_removed(url: str, expected_url: str, removed: tuple[str, ...]) -> None:
    assert clean_url(url).removed == removed


@pytest.mark.parametrize(("url", "expected_url", "removed"), CLEANED)
def test_clean_not_refused(url: str, expected_url: str, removed: tuple[str, ...]) -> None:
    assert clean_url(url).refused is None


UNCHANGED = [
    pytest.param("https://shop.example/p?q=a+b&tag=c%2Bd", id="nothing-to-remove"),
    pytest.param("https://shop.example/p", id="no-query"),
    pytest.param("https://shop.example/p#section-2", id="anchor"),
    pytest.param("https://shop.example/p?", id="empty-query"),
    pytest.param("not a url", id="not-a-url"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("url", UNCHANGED)
def test_clean_unchanged(url: str) -> None:
    assert clean_url(url) == CleanResult(url, (), None)


SIGNED = [
    pytest.param(
        "https://bucket.s3.amazonaws.com/f.png?utm_source=x&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123",
        "X-Amz-Signature",
        id="s3-v4",
    ),
    pytest.param(
        "https://d1.cloudfront.net/f.png?utm_source=x&Expires=1587067608&Signature=H8Od~t&Key-Pair-Id=APKAJ5Y6",
        "Signature",
        id="cloudfront",
    ),
    pytest.param(
        "https://ecp.yusercontent.com/mail?url=https%3A%2F%2Fa.example%2Fx.png&mc_eid=abc123&sig=SURG",
        "sig",
        id="yahoo-proxy",
    ),
    pytest.param("https://shop.example/p?utm_source=x#hmac=abc", "hmac", id="signature-in-fragment"),
]


@pytest.mark.parametrize(("url", "name"), SIGNED)
def test_clean_signed_unchanged(url: str, name: str) -> None:
    assert clean_url(url).url == url


@pytest.mark.parametrize(("url", "name"), SIGNED)
def test_clean_signed_removes_nothing(url: str, name: str) -> None:
    assert clean_url(url).removed == ()


@pytest.mark.parametrize(("url", "name"), SIGNED)
def test_clean_signed_reason(url: str, name: str) -> None:
    assert clean_url(url).refused == f"signed URL: parameter '{name}' signs the query"


def test_clean_too_many_params() -> None:
    url = "https://shop.example/?" + "&".join(f"utm_{index}=x" for index in range(600))
    result = clean_url(url)
    assert result.url == url
    assert result.refused == "more than 512 parameters"


def test_clean_too_long() -> None:
    url = "https://shop.example/?utm_source=" + "x" * 40_000
    assert clean_url(url).refused == "URL longer than 32768 characters"


# --- properties ------------------------------------------------------------------------

_QUERYISH = st.lists(
    st.sampled_from(
        [
            "utm_source=",
            "mc_eid=",
            "sig=",
            "q=",
            "&",
            "=",
            "#",
            "?",
            "%2B",
            "+",
            "a",
            "Z",
            "9",
            OPAQUE,
        ]
    ),
    max_size=40,
).map(lambda pieces: "https://shop.example/p?" + "".join(pieces))
URLISH = st.one_of(st.text(max_size=200), _QUERYISH)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100), st.text(max_size=300))
def test_classify_never_raises(name: str, value: str) -> None:
    assert classify_parameter(name, value) in (None, *ParamClass)


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_clean_never_lengthens(url: str) -> None:
    assert len(clean_url(url).url) <= len(url)


@settings(max_examples=300, deadline=None)
@given(URLISH)
@example("#UTM_=&?UTM_")
@example("#UTM_=&0?UTM_")
def test_clean_idempotent(url: str) -> None:
    once = clean_url(url).url
    assert clean_url(once).removed == ()


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_clean_refusal_keeps_url(url: str) -> None:
    result = clean_url(url)
    if result.refused is not None:
        assert result.url == url


def test_clean_user_rule_after_stray_question_mark() -> None:
    rules = parse_clearurls({"providers": {"shop": {"urlPattern": "^https?://shop\\.example", "rules": ["ref_id"]}}})
    result = clean_url("https://shop.example/p?a=1&?ref_id=7", rules)
    assert result.url == "https://shop.example/p?a=1"
    assert result.removed == ("ref_id",)
