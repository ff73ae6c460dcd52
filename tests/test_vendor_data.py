"""Tracker data: the shipped vendor files are well formed, and each vendor's URLs and headers are recognised.

The per-vendor cases live in ``fixtures/vendor_urls.json``. Each case gives a vendor id, a
realistic URL with made-up tokens, and its role. The role is ``open`` (a pixel), ``click``
(a tracked link), ``content`` (a hosted image that is not tracking) or ``domain`` (any URL
on a tracking domain of a vendor that lists no shapes).
"""

from __future__ import annotations

import html
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from trackdetect import DataError, detect, detect_html
from trackdetect._urls import UrlParts, registered_domain, split_url
from trackdetect._vendors import (
    CATEGORIES,
    VendorIndex,
    default_index,
    shipped_documents,
    shipped_version,
    vendors_from_data,
)
from trackdetect.report import Finding, Kind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

DOCUMENTS = shipped_documents()
RAW_VENDORS: list[dict[str, Any]] = [vendor for _name, document in DOCUMENTS for vendor in document["vendors"]]
INDEX = default_index()
CASES: list[dict[str, str]] = json.loads((FIXTURES / "vendor_urls.json").read_text(encoding="utf-8"))["cases"]
TRACKING_KINDS = (Kind.PIXEL, Kind.TRACKED_IMAGE, Kind.TRACKED_LINK)

# Mail providers and the image proxies or link wrappers that fetch on the reader's behalf.
# This list is kept apart from the loader's own, so a gap in either one shows up here.
PROVIDER_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "google.com",
        "googleusercontent.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "office365.com",
        "yahoo.com",
        "yimg.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "fastmailusercontent.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "gmx.net",
        "gmx.com",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "tutanota.com",
        "hey.com",
        "mimecast.com",
        "pphosted.com",
        "urldefense.com",
    }
)
PROXY_DOMAINS = frozenset({"googleusercontent.com", "yimg.com", "fastmailusercontent.com", "pphosted.com"})
SHARED_CLOUDS = frozenset(
    {
        "amazonaws.com",
        "cloudfront.net",
        "akamaized.net",
        "akamaihd.net",
        "googleapis.com",
        "azureedge.net",
        "azurewebsites.net",
        "fastly.net",
        "cloudflare.net",
        "herokuapp.com",
        "appspot.com",
    }
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HTTP_SOURCE = re.compile(r"^https?://[^/\s]+\.[^/\s]+")

# Cases in vendor_urls.json that the engine or the data gets wrong today, keyed by case id.
XFAIL_CASES: dict[str, str] = {}


def _case_ids(cases: Sequence[dict[str, str]]) -> list[str]:
    """Return an id per case: vendor and role, numbered from the second case with the same pair."""
    seen: Counter[str] = Counter()
    ids = []
    for case in cases:
        base = f"{case['vendor_id']}-{case['role']}"
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _params(role: str, *, known_gaps: bool = True) -> list[Any]:
    params = []
    for case_id, case in zip(_case_ids(CASES), CASES, strict=True):
        if case["role"] != role:
            continue
        marks = []
        if known_gaps and case_id in XFAIL_CASES:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL_CASES[case_id]))
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


def _vendor_name(vendor_id: str) -> str:
    return INDEX.by_id[vendor_id].name


def _findings_for(url: str, markup: str) -> list[Finding]:
    report = detect_html(markup)
    return [finding for finding in report.findings if finding.url == url]


def _pixel_markup(url: str) -> str:
    return f'<p>Hello</p><img width="1" height="1" alt="" src="{html.escape(url)}">'


def _link_markup(url: str) -> str:
    return f'<p>Read the <a href="{html.escape(url)}">link</a> today.</p>'


def _content_markup(url: str) -> str:
    return f'<img width="600" height="200" alt="Logo" src="{html.escape(url)}">'


def _case_markup(case: dict[str, str]) -> str:
    """Return a tiny HTML body that uses the case's URL in its element: a 1x1 image, a 600 px image or a link."""
    if case["element"] == "a":
        return _link_markup(case["url"])
    if case["role"] == "content":
        return _content_markup(case["url"])
    return _pixel_markup(case["url"])


def _shapes(vendor: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(role, shape) for role in ("open", "click", "content") for shape in vendor.get(role, [])]


# Shipped files


@pytest.mark.parametrize("name", [name for name, _document in DOCUMENTS])
def test_shipped_file_loads(name: str) -> None:
    document = dict(DOCUMENTS)[name]
    assert vendors_from_data(document, name)


def test_shipped_files_present() -> None:
    assert len(DOCUMENTS) >= 1


def test_default_index_holds_every_vendor() -> None:
    assert len(INDEX) == len(RAW_VENDORS)


def test_vendor_count_at_least_400() -> None:
    assert len(INDEX) >= 400, f"only {len(INDEX)} vendors in the shipped data"


def test_data_version_non_empty() -> None:
    version = shipped_version()
    assert isinstance(version, str)
    assert version.strip() != ""


def test_data_version_in_index() -> None:
    assert INDEX.version == shipped_version()


def test_data_version_in_report() -> None:
    assert detect_html("<p>Hello</p>").data_version == shipped_version()


def test_data_version_in_report_json() -> None:
    report = json.loads(detect(b"Subject: hi\r\n\r\nHello\r\n").to_json())
    assert shipped_version() in json.dumps(report)


# Entries


def _offenders(check: Callable[[dict[str, Any]], list[str]]) -> dict[str, list[str]]:
    """Return the values that ``check`` rejects, per vendor id. Vendors with no rejected value are left out."""
    found = {}
    for vendor in RAW_VENDORS:
        bad = check(vendor)
        if bad:
            found[str(vendor.get("id"))] = bad
    return found


def _bad_id(vendor: dict[str, Any]) -> list[str]:
    vendor_id = vendor.get("id")
    return [] if isinstance(vendor_id, str) and _SLUG.match(vendor_id) else [repr(vendor_id)]


def _bad_name(vendor: dict[str, Any]) -> list[str]:
    name = vendor.get("name")
    return [] if isinstance(name, str) and name.strip() == name != "" else [repr(name)]


def _bad_category(vendor: dict[str, Any]) -> list[str]:
    return [] if vendor.get("category") in CATEGORIES else [repr(vendor.get("category"))]


def _no_http_source(vendor: dict[str, Any]) -> list[str]:
    sources = vendor.get("sources", [])
    ok = any(isinstance(source, str) and _HTTP_SOURCE.match(source) for source in sources)
    return [] if ok else [repr(sources)]


def _provider_domains(vendor: dict[str, Any]) -> list[str]:
    return [d for d in vendor.get("domains", []) if d in PROVIDER_DOMAINS or registered_domain(d) in PROXY_DOMAINS]


def _cloud_domains(vendor: dict[str, Any]) -> list[str]:
    listed = [d for d in vendor.get("domains", []) if d in SHARED_CLOUDS]
    shaped = [shape["domain"] for _role, shape in _shapes(vendor) if shape.get("domain") in SHARED_CLOUDS]
    return listed + shaped


def _bare_provider_shapes(vendor: dict[str, Any]) -> list[str]:
    # A shape with a domain and nothing else would claim every URL of a mail provider.
    return [
        shape["domain"]
        for _role, shape in _shapes(vendor)
        if set(shape) == {"domain"} and registered_domain(shape["domain"]) in PROVIDER_DOMAINS
    ]


def _bad_paths(vendor: dict[str, Any]) -> list[str]:
    bad = []
    for _role, shape in _shapes(vendor):
        path = shape.get("path")
        if path is None:
            continue
        try:
            re.compile(path)
        except (re.error, TypeError):
            bad.append(repr(path))
            continue
        if not path.startswith("^/"):
            bad.append(path)
    return bad


def _bad_prefixes(vendor: dict[str, Any]) -> list[str]:
    return [shape["prefix"] for _role, shape in _shapes(vendor) if not str(shape.get("prefix", "/")).startswith("/")]


def test_entry_ids_are_slugs() -> None:
    assert _offenders(_bad_id) == {}


def test_entry_names_present() -> None:
    assert _offenders(_bad_name) == {}


def test_entry_categories_known() -> None:
    assert _offenders(_bad_category) == {}


def test_entry_has_http_source() -> None:
    assert _offenders(_no_http_source) == {}


def test_entry_no_provider_domain() -> None:
    assert _offenders(_provider_domains) == {}


def test_entry_no_shared_cloud() -> None:
    assert _offenders(_cloud_domains) == {}


def test_entry_no_bare_provider_shape() -> None:
    assert _offenders(_bare_provider_shapes) == {}


def test_entry_paths_compile_anchored() -> None:
    assert _offenders(_bad_paths) == {}


def test_entry_prefixes_start_with_slash() -> None:
    assert _offenders(_bad_prefixes) == {}


def test_ids_unique() -> None:
    counts = Counter(vendor["id"] for vendor in RAW_VENDORS)
    assert [vendor_id for vendor_id, count in counts.items() if count > 1] == []


def test_names_unique() -> None:
    counts = Counter(vendor["name"] for vendor in RAW_VENDORS)
    assert [name for name, count in counts.items() if count > 1] == []


def test_domains_unique_across_vendors() -> None:
    owners: dict[str, set[str]] = {}
    for vendor in RAW_VENDORS:
        for domain in vendor.get("domains", []):
            owners.setdefault(domain, set()).add(vendor["id"])
    assert {domain: ids for domain, ids in owners.items() if len(ids) > 1} == {}


# Host-free shapes run on every URL whose path starts like them, so they must leave
# ordinary web pages alone.
ORDINARY_URLS = [
    "https://example.com/open/jobs",
    "https://example.com/o/about",
    "https://example.com/t/terms",
    "https://example.com/r/news",
    "https://example.com/e/o/",
    "https://example.com/e/o/faq",
    "https://example.com/track/package/123",
    "https://example.com/track/order?id=12345",
    "https://example.com/wf/openhouse",
    "https://example.com/c/contact",
    "https://example.com/c/category/shoes",
    "https://example.com/q/faq",
    "https://example.com/l/login",
    "https://example.com/link/help",
    "https://example.com/click/here",
    "https://example.com/img/logo.png",
    "https://example.com/img/products/1234/main.jpg",
    "https://example.com/email/contact",
    "https://example.com/campaign/spring-sale",
    "https://example.com/campaigns/2024/spring",
    "https://example.com/trk/info",
    "https://example.com/pub/assets/logo.png",
    "https://example.com/tr/opinion",
    "https://example.com/collect",
    "https://example.com/collect?item=42",
    "https://example.com/index.php/campaigns/",
    "https://example.com/e/eo",
    "https://example.com/imp",
    "https://example.com/open.html",
    "https://example.com/click.html?x=1",
    "https://example.com/ss/o/",
    "https://example.com/lt.php",
    "https://example.com/ut.php?u=5",
    "https://example.com/tools/emails/open",
    "https://example.com/api/mailings/opened-count",
    "https://example.com/a/1234/about",
    "https://example.com/O/orders",
    "https://example.com/T/terms",
    "https://example.com/d/docs.html",
    "https://example.com/r/?page=2",
    "https://example.com/?page=2&sort=price",
    "https://example.com/blog/2024/05/how-we-open-sourced/",
    "https://example.com/sendy/",
    "https://example.com/p/cp/",
    "https://example.com/mo/",
    "https://example.com/v1/docs",
    "https://example.com/email_trackers/",
    "https://example.com/public/o/",
    "https://example.com/b/ss/",
    "https://example.com/link/o/",
    "https://example.com/link/c/",
    "https://example.com/tracking/1/open/",
    "https://example.com/report/2/",
    "https://example.com/ss/o/u001.html",
    "https://example.com/ss/c/u001.",
    "https://example.com/lt.php?x=1",
    "https://example.com/lt.php?x=summer-sale&page=2",
    "https://example.com/e2t/o/",
    "https://example.com/e2t/o/about-us",
    "https://example.com/e/er",
    "https://example.com/e/er/guide?elqTrackId=1",
]


ORDINARY_PARAMS = [
    *ORDINARY_URLS,
    "https://shop.example.com/?qs=summer+dresses",
]


@pytest.mark.parametrize("url", ORDINARY_PARAMS)
def test_ordinary_url_matches_no_shape(url: str) -> None:
    parts = split_url(url)
    assert parts is not None
    assert [(m.vendor.id, m.role) for m in INDEX.match(parts)] == []


# Per-vendor URLs


def test_cases_cover_110_vendors() -> None:
    covered = {case["vendor_id"] for case in CASES if case["role"] in ("open", "click")}
    assert len(covered) >= 110


@pytest.mark.parametrize(("role", "element"), [("open", "img"), ("click", "a"), ("content", "img"), ("domain", "img")])
def test_cases_use_role_element(role: str, element: str) -> None:
    assert {case["element"] for case in CASES if case["role"] == role} == {element}


def test_cases_name_known_vendors() -> None:
    assert [case["vendor_id"] for case in CASES if case["vendor_id"] not in INDEX.by_id] == []


def test_every_content_vendor_has_case() -> None:
    with_content = {vendor.id for vendor in INDEX.vendors if vendor.content}
    covered = {case["vendor_id"] for case in CASES if case["role"] == "content"}
    assert sorted(with_content - covered) == []


@pytest.mark.parametrize("case", _params("open"))
def test_open_url_is_pixel(case: dict[str, str]) -> None:
    findings = _findings_for(case["url"], _case_markup(case))
    assert [f.kind for f in findings] == [Kind.PIXEL]
    assert _vendor_name(case["vendor_id"]) in findings[0].vendors
    assert findings[0].vendor == _vendor_name(case["vendor_id"])
    assert "TD301" in findings[0].codes


@pytest.mark.parametrize("case", _params("click"))
def test_click_url_is_tracked_link(case: dict[str, str]) -> None:
    findings = _findings_for(case["url"], _case_markup(case))
    assert [f.kind for f in findings] == [Kind.TRACKED_LINK]
    assert _vendor_name(case["vendor_id"]) in findings[0].vendors
    assert findings[0].vendor == _vendor_name(case["vendor_id"])
    assert "TD303" in findings[0].codes


@pytest.mark.parametrize("case", _params("content", known_gaps=False))
def test_content_url_not_tracking(case: dict[str, str]) -> None:
    findings = _findings_for(case["url"], _case_markup(case))
    assert [f.kind for f in findings if f.kind in TRACKING_KINDS] == []


@pytest.mark.parametrize("case", _params("content"))
def test_content_url_matches_content(case: dict[str, str]) -> None:
    parts = split_url(case["url"])
    assert parts is not None
    roles = {m.role for m in INDEX.match(parts) if m.vendor.id == case["vendor_id"]}
    assert roles == {"content"}


@pytest.mark.parametrize("case", _params("domain"))
def test_domain_url_matches_owner(case: dict[str, str]) -> None:
    parts = split_url(case["url"])
    assert parts is not None
    assert (case["vendor_id"], "domain") in {(m.vendor.id, m.role) for m in INDEX.match(parts)}


@pytest.mark.parametrize("case", _params("domain"))
def test_domain_pixel_names_vendor(case: dict[str, str]) -> None:
    findings = _findings_for(case["url"], _case_markup(case))
    assert [f.kind for f in findings] == [Kind.PIXEL]
    assert _vendor_name(case["vendor_id"]) in findings[0].vendors


# VendorIndex.match directly

MATCH_TABLE = [
    ("https://u1234567.ct.sendgrid.net/wf/open?upn=u001.AbCdEfGh", "sendgrid", "open"),
    ("https://email.shop.example.com/wf/open?upn=u001.AbCdEfGh", "sendgrid", "open"),
    ("https://brand.us14.list-manage.com/track/open.php?u=0a1b2c&id=3d4e5f&e=6a7b8c", "mailchimp", "open"),
    ("https://brand.us14.list-manage.com/track/click?u=0a1b2c&id=3d4e5f&e=6a7b8c", "mailchimp", "click"),
    ("https://brand.us14.list-manage.com/profile?u=0a1b2c&id=3d4e5f&e=6a7b8c", "mailchimp", "domain"),
    ("https://mcusercontent.com/0a1b2c3d4e5f/images/logo.png", "mailchimp", "content"),
    ("https://t.sidekickopen07.com/e1t/o/5/f18dQhb0S7kC8dDMPbW2n0x6l2B9gXrN7sKj9v7dZ2W7", "hubspot-sales", "open"),
    ("https://mailtrack.io/trace/mail/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567.png?u=42", "mailtrack", "open"),
    ("https://ea.pstmrk.it/open?m=v3_1.AbCdEfGhIjKl", "postmark", "open"),
    ("https://click.e.example.com/?qs=0a1b2c3d4e5f60718293a4b5c6d7e8f9", "salesforce-marketing-cloud", "click"),
    ("https://k3vz9.img.bh.d.sendibt3.com/im/sh/Qz8Rw3Xp5Lk.png?u=Hd4Jf6Kg8Lh0Mj2N", "brevo", "domain"),
    ("https://ac7fkd2.r.sp1-brevo.net/mk/cl/f/sh/3Tp9Wq2Zr5Xm8Kb4Nd6Vf1Hg/Lj7Sa2Qe4Ru6", "brevo", "domain"),
    ("https://examplewriter.substack.com/p/the-spring-issue", "substack", "content"),
    ("https://examplewriter.substack.com/about", "substack", "domain"),
    (
        "https://examplewriter.substack.com/redirect/2/eyJlIjoiaHR0cHM6Ly9leGFtcGxlLm9yZyJ9.Xk3Lm5Np7Qr9",
        "substack",
        "click",
    ),
    ("https://examplewriter.beehiiv.com/p/the-spring-issue", "beehiiv", "content"),
    ("https://examplewriter.beehiiv.com/subscribe", "beehiiv", "domain"),
    ("http://mkto-q1234.com/Y0b020YU00000001NPR0wR0", "marketo", "domain"),
    ("https://na-ab12.mkto-k0023.com/trk?t=1&mid=abc", "marketo", "open"),
]


@pytest.mark.parametrize(("url", "vendor_id", "role"), MATCH_TABLE)
def test_index_match_role(url: str, vendor_id: str, role: str) -> None:
    parts = split_url(url)
    assert parts is not None
    assert (vendor_id, role) in {(m.vendor.id, m.role) for m in INDEX.match(parts)}


def test_index_match_content_hides_open() -> None:
    parts = split_url("https://mcusercontent.com/0a1b2c3d4e5f/images/logo.png")
    assert parts is not None
    assert [m.role for m in INDEX.match(parts) if m.vendor.id == "mailchimp"] == ["content"]


def test_index_match_shape_first() -> None:
    parts = split_url("https://brand.us14.list-manage.com/track/open.php?u=0a1b2c&id=3d4e5f")
    assert parts is not None
    assert INDEX.match(parts)[0].role == "open"


def test_index_match_unknown_host() -> None:
    parts = split_url("https://www.example.org/about/team.html")
    assert parts is not None
    assert INDEX.match(parts) == []


def test_index_match_lookalike_domain() -> None:
    # A host that only ends with a vendor's domain text is someone else's.
    parts = split_url("https://evil-list-manage.com/track/open.php?u=1")
    assert parts is not None
    assert INDEX.match(parts) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://mkto-ab12.example.com/Y0b020YU00000001NPR0wR0",
        "https://xmkto-ab12.com/Y0b020YU00000001NPR0wR0",
        "https://mkto-.com/x",
        "https://mkto-ab-12.com/x",
        "https://mkto-ab12.co.uk/x",
    ],
)
def test_domain_family_matches_only_its_shape(url: str) -> None:
    # "mkto-*.com" is Marketo's per-customer link domain: letters and digits after the dash, on .com.
    parts = split_url(url)
    assert parts is not None
    assert "marketo" not in {m.vendor.id for m in INDEX.match(parts)}


@pytest.mark.parametrize("domain", ["*.com", "mk*.com", "mkto-*", "mkto-*x.com", "mk*to.com"])
def test_domain_family_needs_a_start_and_suffix(domain: str) -> None:
    entry = {"id": "x", "name": "X", "category": "esp", "domains": [domain], "sources": ["https://example.org/"]}
    with pytest.raises(DataError):
        vendors_from_data({"vendors": [entry]}, "test")


def test_index_match_returns_shape() -> None:
    parts = split_url("https://ea.pstmrk.it/open?m=v3_1.AbCdEfGhIjKl")
    assert parts is not None
    match = next(m for m in INDEX.match(parts) if m.vendor.id == "postmark")
    assert match.shape is not None


# Whole messages: the URL flagged, its kind, the rule that fired and the vendor named first

SENDGRID_SS_OPEN = "https://email.shop.example.com/ss/o/u001.Kq7ZtR2vXb9LmN4pW8sYdA/4bs/Tx3Lk9Qw-Pz7Vn2Bm5Rc8g/ho.gif"
SENDGRID_SS_CLICK = (
    "https://email.shop.example.com/ss/c/u001.Vh3Jk8Lm2Nq5Rt7Wx9Za1Bc4De6Fg8Hj0Kl2Mn4Pq6Rs8Tu0Vw2Xy4Za6Bc8De0Fg"
    "/4u2/Jd8Kl3Mn5Pq7Rs9Tu1Vw3X/h14/h001.Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1E"
)
ACTIVECAMPAIGN_BRAND_CLICK = "https://email.shop.example.com/lt.php?x=4lZy~Km8Nb2Vc5Xz7Lk9Jh1Gf3Ds5Aq7Wr9Ey1.2Tu4Io6Pq8"
PHPLIST_CLICK = "https://lists.example.org/lt.php?tid=RV9yvubg__VxEoDR98SJfnSsJ0iq_jFFMQD4Ma10"
BREVO_SENDIBT3_OPEN = "https://k3vz9.r.bh.d.sendibt3.com/tr/op/Yh2kB6v0QwZ8fD1nM4rT7sP9xL3cJ5aG0eK2uV6yH8"
BREVO_SP1_OPEN = "https://ac7fkd2.r.sp1-brevo.net/mk/op/sh/1t6AVsd2XFnIGKAdU8BNNkQH2kcwX5/ZHVVz5tb2pyb"
HUBSPOT_E2T_OPEN = "https://info.shop.example.com/e2t/o/5/f18dQhb0S5ft9n3Kq7Wz2Lp4Xm6Rb8Td0Vg2Nj4Hs6Fc8Ya"
HUBSPOT_SALES_OPEN = (
    "https://hs-1234567.t.hubspotemail.net/e1t/o/5/f18dQhb0S7kF3Tq9Wn2Zr5Xm8Kb4Nd6Vf1Hg7Lj3Sa?si=5067891234"
)
ELOQUA_TRACKED_CLICK = (
    "https://app.e.shop.example.com/e/er?utm_content=SPRING_NEWS_A&lid=4321&elqTrackId=7c1e5a9b3d2f4e6a"
)
SUBSTACK_POST = "https://examplewriter.substack.com/p/the-spring-issue"
SUBSTACK_CLICK = (
    "https://substack.com/redirect/2/eyJlIjoiaHR0cHM6Ly9leGFtcGxlLm9yZy9zcHJpbmciLCJwIjo0MiwicyI6N30.Xk3Lm5Np7Qr9"
)
SUBSTACK_OPEN = "https://email.mg1.substack.com/o/eJxNkE1uwzAIhU9T7xr8Eyf1IoseI8I2bqwmsWWTVL19kVatxELw8fQeBIYsPzmdqr2mJc2ovjDT1ECBSmA"
BEEHIIV_POST = "https://examplewriter.beehiiv.com/p/the-spring-issue"
BEEHIIV_CLICK = "https://link.mail.beehiiv.com/ls/click?upn=u001.Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qw9Er1Ty3"
MARKETO_CLICK = "http://mkto-q1234.com/Y0b020YU00000001NPR0wR0"
SUBSTACK_POST_WITH_TOKEN = SUBSTACK_POST + "/comments?token=eyJ1c2VyX2lkIjoxMjM0NTY3OH0.abcDEF123ghiJKL"
HUBSPOT_EMAIL_OPEN = "https://hs-1234567.t.hubspotemail.net/e2t/to/kYiU9DiyrKQoGUgVu4ke/D0T47z12smyDnhTXkdLXY8cyFE"

# (markup, URL, expected kind, a rule that must fire, vendor id named first)
FLAGGED_IN_MESSAGES = [
    pytest.param(
        _pixel_markup(SENDGRID_SS_OPEN), SENDGRID_SS_OPEN, Kind.PIXEL, "TD301", "sendgrid", id="sendgrid-ss-open"
    ),
    pytest.param(
        f'<img src="{SENDGRID_SS_OPEN}" alt="">',
        SENDGRID_SS_OPEN,
        Kind.PIXEL,
        "TD301",
        "sendgrid",
        id="sendgrid-ss-open-no-size",
    ),
    pytest.param(
        _link_markup(SENDGRID_SS_CLICK),
        SENDGRID_SS_CLICK,
        Kind.TRACKED_LINK,
        "TD303",
        "sendgrid",
        id="sendgrid-ss-click",
    ),
    pytest.param(
        _link_markup(ACTIVECAMPAIGN_BRAND_CLICK),
        ACTIVECAMPAIGN_BRAND_CLICK,
        Kind.TRACKED_LINK,
        "TD303",
        "activecampaign",
        id="activecampaign-lt-php-click",
    ),
    pytest.param(
        _link_markup(PHPLIST_CLICK), PHPLIST_CLICK, Kind.TRACKED_LINK, "TD303", "phplist", id="phplist-lt-php-click"
    ),
    pytest.param(
        _link_markup(MARKETO_CLICK), MARKETO_CLICK, Kind.TRACKED_LINK, "TD302", "marketo", id="marketo-customer-domain"
    ),
    pytest.param(
        _pixel_markup(BREVO_SENDIBT3_OPEN), BREVO_SENDIBT3_OPEN, Kind.PIXEL, "TD301", "brevo", id="brevo-sendibt3"
    ),
    pytest.param(_pixel_markup(BREVO_SP1_OPEN), BREVO_SP1_OPEN, Kind.PIXEL, "TD301", "brevo", id="brevo-sp1"),
    pytest.param(
        _pixel_markup(HUBSPOT_E2T_OPEN), HUBSPOT_E2T_OPEN, Kind.PIXEL, "TD301", "hubspot-marketing", id="hubspot-e2t"
    ),
    pytest.param(
        _pixel_markup(HUBSPOT_EMAIL_OPEN),
        HUBSPOT_EMAIL_OPEN,
        Kind.PIXEL,
        "TD301",
        "hubspot-marketing",
        id="hubspot-email",
    ),
    pytest.param(
        _pixel_markup(HUBSPOT_SALES_OPEN), HUBSPOT_SALES_OPEN, Kind.PIXEL, "TD301", "hubspot-sales", id="hubspot-sales"
    ),
    pytest.param(
        _link_markup(ELOQUA_TRACKED_CLICK),
        ELOQUA_TRACKED_CLICK,
        Kind.TRACKED_LINK,
        "TD303",
        "oracle-eloqua",
        id="eloqua-er",
    ),
    pytest.param(
        _link_markup(SUBSTACK_CLICK), SUBSTACK_CLICK, Kind.TRACKED_LINK, "TD303", "substack", id="substack-click"
    ),
    pytest.param(_pixel_markup(SUBSTACK_OPEN), SUBSTACK_OPEN, Kind.PIXEL, "TD301", "substack", id="substack-open"),
    pytest.param(_link_markup(BEEHIIV_CLICK), BEEHIIV_CLICK, Kind.TRACKED_LINK, "TD303", "beehiiv", id="beehiiv-click"),
    pytest.param(
        _link_markup(SUBSTACK_POST_WITH_TOKEN),
        SUBSTACK_POST_WITH_TOKEN,
        Kind.TRACKED_LINK,
        "TD402",
        "substack",
        id="substack-post-with-token",
    ),
]

# (markup, URL) pairs that must get no finding of a tracking kind.
UNTRACKED_IN_MESSAGES = [
    pytest.param(
        _content_markup("https://shop.example.com/ss/o/u001.png"),
        "https://shop.example.com/ss/o/u001.png",
        id="site-image-under-ss-o",
    ),
    pytest.param(_link_markup(SUBSTACK_POST), SUBSTACK_POST, id="substack-post-page"),
    pytest.param(_link_markup(SUBSTACK_POST + "/comments"), SUBSTACK_POST + "/comments", id="substack-post-comments"),
    pytest.param(_link_markup(BEEHIIV_POST), BEEHIIV_POST, id="beehiiv-post-page"),
    pytest.param(
        _link_markup(SUBSTACK_POST + "?utm_source=substack&utm_medium=email"),
        SUBSTACK_POST + "?utm_source=substack&utm_medium=email",
        id="substack-post-campaign-tags",
    ),
]


def _html_message(markup: str) -> bytes:
    lines = [
        "From: Example Shop <news@shop.example.com>",
        "To: ann.lee@example.org",
        "Subject: Your weekly news",
        "Message-ID: <1b2c3d4e@shop.example.com>",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
        "",
        markup,
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def _tracking_findings(markup: str, url: str) -> list[Finding]:
    report = detect(_html_message(markup))
    return [finding for finding in report.findings if finding.url == url and finding.kind in TRACKING_KINDS]


@pytest.mark.parametrize(("markup", "url", "kind", "code", "vendor_id"), FLAGGED_IN_MESSAGES)
def test_message_flags_url(markup: str, url: str, kind: Kind, code: str, vendor_id: str) -> None:
    findings = _tracking_findings(markup, url)
    assert [finding.kind for finding in findings] == [kind]
    assert code in findings[0].codes
    assert findings[0].vendor == _vendor_name(vendor_id)


@pytest.mark.parametrize(("markup", "url"), UNTRACKED_IN_MESSAGES)
def test_message_leaves_url_untracked(markup: str, url: str) -> None:
    assert _tracking_findings(markup, url) == []


# Sending platforms named by headers

HEADER_CASES = [
    ("X-Mailgun-Sid: WyI0YzRiMSIsICJhbm4ubGVlQGV4YW1wbGUub3JnIiwgIjEyMzQ1NiJd", "mailgun"),
    ("x-mailgun-sid: WyI0YzRiMSIsICJhbm4ubGVlQGV4YW1wbGUub3JnIiwgIjEyMzQ1NiJd", "mailgun"),
    ("X-SES-Outgoing: 2024.01.15-54.240.8.17", "amazon-ses"),
    ("Feedback-ID: 1.us-east-1.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+ab=:AmazonSES", "amazon-ses"),
    ("X-SG-EID: u001.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "sendgrid"),
    ("X-MC-User: 0a1b2c3d4e5f60718293a4b5c", "mailchimp"),
    ("X-Mailer: Mailchimp Mailer - **CID0a1b2c3d4e5f6071**", "mailchimp"),
    ("Feedback-ID: 12345678:12345678.1234567:us14:mc", "mailchimp"),
    ("X-PM-Message-Id: 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "postmark"),
    ("X-MJ-Mid: AAAAAGsAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "mailjet"),
    ("Feedback-Id: 42.1234567.1234567:MJ", "mailjet"),
    ("X-Mailin-EID: MTIzNDU2Nzg5fmFubi5sZWVAZXhhbXBsZS5vcmd-", "brevo"),
    ("X-Kmail-Account: AbC123", "klaviyo"),
    ("X-SFMC-Stack: 7", "salesforce-marketing-cloud"),
    ("List-ID: <7234567.xt.local>", "salesforce-marketing-cloud"),
    ("X-Mailer: ActiveCampaign Email Marketing", "activecampaign"),
    ("X-Mailer: Zoho Campaigns", "zoho-campaigns"),
    ("X-Mailer: Inxmail EE", "inxmail"),
    ("List-Id: <examplewriter.substack.com>", "substack"),
    ("x-beehiiv-ids: 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "beehiiv"),
    ("X-EventbriteMailer: 1", "eventbrite"),
    ("List-Id: <spc.1234567.12345678.sparkpostmail.com>", "sparkpost"),
    ("X-campaignid: infusion_12345_67890", "keap"),
    ('X-Mailgun-Variables: {"app_name": "kajabi-production", "site_id": "12345"}', "kajabi"),
]
NEUTRAL_HEADERS = [
    "X-Mailer: Apple Mail (2.3774.500.171.1.1)",
    "User-Agent: Mozilla Thunderbird",
    "X-Mailer: Microsoft Outlook 16.0",
    "Feedback-ID: 1234:gmail",
    "List-Id: <dev.lists.example.org>",
]


def _message(header: str) -> bytes:
    lines = [
        "From: Example Shop <news@shop.example.com>",
        "To: ann.lee@example.org",
        "Subject: Your weekly news",
        "Message-ID: <0a1b2c3d@shop.example.com>",
        "MIME-Version: 1.0",
        header,
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>Hello Ann, here is the news.</p>",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


@pytest.mark.parametrize(("header", "vendor_id"), HEADER_CASES, ids=[c[1] + "-" + c[0][:18] for c in HEADER_CASES])
def test_header_names_platform(header: str, vendor_id: str) -> None:
    report = detect(_message(header))
    assert _vendor_name(vendor_id) in report.sending_platforms


@pytest.mark.parametrize(("header", "vendor_id"), HEADER_CASES, ids=[c[1] + "-" + c[0][:18] for c in HEADER_CASES])
def test_header_alone_not_tracked(header: str, vendor_id: str) -> None:
    assert detect(_message(header)).tracked is False


def test_header_cases_cover_8_vendors() -> None:
    assert len({vendor_id for _header, vendor_id in HEADER_CASES}) >= 8


@pytest.mark.parametrize("header", NEUTRAL_HEADERS)
def test_neutral_header_names_nothing(header: str) -> None:
    assert detect(_message(header)).sending_platforms == ()


def test_headers_several_platforms() -> None:
    header = 'X-Mailgun-Variables: {"app_name": "kajabi-production"}'
    platforms = detect(_message(header)).sending_platforms
    assert {"Mailgun", "Kajabi"} <= set(platforms)


# Matching cost against the number of vendors


def _time_once(index: VendorIndex, urls: Sequence[UrlParts]) -> float:
    start = time.perf_counter()
    for parts in urls:
        index.match(parts)
    return time.perf_counter() - start


def measure_match_time(
    small: VendorIndex, large: VendorIndex, urls: Sequence[UrlParts], rounds: int = 9
) -> tuple[float, float]:
    """Return the best time of ``match`` per URL for each index, in seconds.

    Rounds alternate between the two indexes, so a busy machine slows both alike.
    """
    best_small = best_large = float("inf")
    for _ in range(rounds):
        best_small = min(best_small, _time_once(small, urls))
        best_large = min(best_large, _time_once(large, urls))
    return best_small / len(urls), best_large / len(urls)


# Typical URLs of a newsletter that point at the sender's own site and image host.
_SITE_PATHS = (
    "/",
    "/products/{n}/running-shoe",
    "/collections/summer?utm_source=newsletter&utm_medium=email&utm_campaign=june",
    "/blog/2024/06/{n}-tips-for-travel",
    "/images/email/hero-{n}.jpg",
    "/static/img/logo.png",
    "/account/orders/{n}",
    "/help/contact",
    "/events/{n}?ref=mail",
    "/de/angebote/{n}.html",
)
_SITE_HOSTS = ("www.example.com", "shop.example.net", "cdn.example.org", "news.example.co.uk", "example.de")


def _speed_sample(vendor_count: int = 20, size: int = 3000) -> tuple[list[str], list[UrlParts]]:
    """Return the ids of the first vendors that have cases, and a URL sample both indexes can judge alike.

    The sample contains the cases of those vendors plus typical site and image URLs, repeated up
    to ``size``. A URL of a vendor missing from the small index would cost that index
    nothing, so such URLs are left out of the comparison.
    """
    chosen: list[str] = []
    for case in CASES:
        if case["vendor_id"] not in chosen and len(chosen) < vendor_count:
            chosen.append(case["vendor_id"])
    urls = [case["url"] for case in CASES if case["vendor_id"] in chosen]
    for number, host in enumerate(_SITE_HOSTS):
        urls.extend(f"https://{host}{path.format(n=number * 37 + 11)}" for path in _SITE_PATHS)
    parsed = [parts for url in urls if (parts := split_url(url)) is not None]
    return chosen, (parsed * (size // len(parsed) + 1))[:size]


def test_match_time_flat_in_vendors() -> None:
    chosen, urls = _speed_sample()
    small = VendorIndex([INDEX.by_id[vendor_id] for vendor_id in chosen], "sample")
    small_time, all_time = measure_match_time(small, INDEX, urls)
    print(
        f"\nmatch() per URL over {len(urls)} URLs: {len(small)} vendors {small_time * 1e6:.2f} us, "
        f"{len(INDEX)} vendors {all_time * 1e6:.2f} us"
    )
    assert all_time < 3 * small_time
