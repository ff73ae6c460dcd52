"""A positive and a negative table for every rule, run through the whole pipeline.

Each case is a small HTML body (or a message), the URL whose finding is inspected, and
whether the rule must fire on it. Cases go through ``detect_html`` so that extraction,
unwrapping and the rule all take part.
"""

from __future__ import annotations

import pytest

from trackdetect import Options, detect, detect_html, parse_adblock, parse_clearurls
from trackdetect.rules import ALL_CODES, HEADER_RULES, RULES

T = "https://t.example.net/o/8f3a91d0c2b7e5f4a1c3d9e2"  # a tokenised URL on an unknown host
LOGO = "https://cdn.example.org/img/logo.png"

# (code, html, url, fires)
CASES: list[tuple[str, str, str, bool]] = [
    # TD101 tiny-declared-size
    ("TD101", f'<img src="{T}" width="1" height="1">', T, True),
    ("TD101", f'<img src="{T}" width=1 height=1>', T, True),
    ("TD101", f'<img src="{T}" width="1px" height="1px">', T, True),
    ("TD101", f'<img src="{T}" style="width:1px;height:1px">', T, True),
    ("TD101", f'<img src="{T}" style="max-width:0;max-height:0">', T, True),
    ("TD101", f'<img src="{T}" width="0">', T, True),
    ("TD101", f'<img src="{T}" height="1">', T, True),
    ("TD101", f'<img src="{T}" width="600" height="1">', T, False),
    ("TD101", f'<img src="{T}" width="2" height="2">', T, False),
    ("TD101", f'<img src="{T}" width="100%">', T, False),
    ("TD101", f'<img src="{T}">', T, False),
    # TD201 hidden-by-css
    ("TD201", f'<img src="{T}" style="display:none">', T, True),
    ("TD201", f'<div style="visibility:hidden"><img src="{T}"></div>', T, True),
    ("TD201", f'<img src="{T}" style="opacity:0">', T, True),
    ("TD201", f'<img src="{T}" style="mso-hide:all">', T, True),
    ("TD201", f'<img src="{T}" style="position:absolute;left:-9999px">', T, True),
    ("TD201", f'<style>.gone{{display:none}}</style><img class="gone" src="{T}">', T, True),
    ("TD201", f'<img src="{T}" hidden>', T, True),
    ("TD201", f'<img src="{T}" style="display:block;border:0">', T, False),
    ("TD201", f'<div style="color:red"><img src="{T}"></div>', T, False),
    (
        "TD201",
        f'<style>@media (max-width:480px){{.gone{{display:none}}}}</style><img class="gone" src="{T}">',
        T,
        False,
    ),
    # TD202 event-triggered-css
    ("TD202", f"<style>@media print {{ body {{ background: url({T}) }} }}</style>", T, True),
    ("TD202", f"<style>blockquote .x {{ background-image: url({T}) }}</style>", T, True),
    ("TD202", f"<style>.gmail_quote div {{ background: url({T}) }}</style>", T, True),
    ("TD202", f"<style>a:hover {{ background: url({T}) }}</style>", T, True),
    ("TD202", f"<style>body {{ background: url({T}) }}</style>", T, False),
    ("TD202", f"<style>@media screen {{ .x {{ background: url({T}) }} }}</style>", T, False),
    # TD301 vendor-open-shape
    (
        "TD301",
        '<img src="https://u123.ct.sendgrid.net/wf/open?upn=u001.8f3a91d0c2b7e5f4">',
        "https://u123.ct.sendgrid.net/wf/open?upn=u001.8f3a91d0c2b7e5f4",
        True,
    ),
    (
        "TD301",
        '<img src="https://em.shop.example.com/wf/open?upn=u001.8f3a91d0c2b7e5f4">',
        "https://em.shop.example.com/wf/open?upn=u001.8f3a91d0c2b7e5f4",
        True,
    ),
    (
        "TD301",
        '<img src="https://acme.us5.list-manage.com/track/open.php?u=1a2b3c&id=4d5e6f&e=7a8b9c">',
        "https://acme.us5.list-manage.com/track/open.php?u=1a2b3c&id=4d5e6f&e=7a8b9c",
        True,
    ),
    ("TD301", '<img src="https://example.com/wf/openhouse.jpg">', "https://example.com/wf/openhouse.jpg", False),
    ("TD301", f'<img src="{LOGO}">', LOGO, False),
    # TD302 vendor-tracking-domain
    ("TD302", '<img src="https://sm791.mjt.lu/img/abc.gif">', "https://sm791.mjt.lu/img/abc.gif", True),
    ("TD302", f'<img src="{LOGO}">', LOGO, False),
    # TD303 vendor-click-shape
    (
        "TD303",
        '<a href="https://u123.ct.sendgrid.net/ls/click?upn=u001.8f3a91d0c2b7e5f4">x</a>',
        "https://u123.ct.sendgrid.net/ls/click?upn=u001.8f3a91d0c2b7e5f4",
        True,
    ),
    (
        "TD303",
        '<a href="https://acme.us5.list-manage.com/track/click?u=1a2b3c&id=4d5e6f&e=7a8b9c">x</a>',
        "https://acme.us5.list-manage.com/track/click?u=1a2b3c&id=4d5e6f&e=7a8b9c",
        True,
    ),
    (
        "TD303",
        f'<a href="https://shop.example.com/sale?ref={T[-24:]}">x</a>',
        f"https://shop.example.com/sale?ref={T[-24:]}",
        False,
    ),
    # TD401 open-endpoint-words
    (
        "TD401",
        '<img src="https://n.example.net/open?id=8f3a91d0c2b7e5f4a1c3" width="1" height="1">',
        "https://n.example.net/open?id=8f3a91d0c2b7e5f4a1c3",
        True,
    ),
    (
        "TD401",
        '<img src="https://n.example.net/img/pixel.gif?u=8f3a91d0c2b7e5f4a1c3">',
        "https://n.example.net/img/pixel.gif?u=8f3a91d0c2b7e5f4a1c3",
        True,
    ),
    (
        "TD401",
        '<img src="https://n.example.net/x/o.gif?u=8f3a91d0c2b7e5f4a1c3">',
        "https://n.example.net/x/o.gif?u=8f3a91d0c2b7e5f4a1c3",
        True,
    ),
    ("TD401", f'<img src="{T}" width="1" height="1">', T, False),
    (
        "TD401",
        '<img src="https://n.example.net/opening-hours.png" width="1" height="1">',
        "https://n.example.net/opening-hours.png",
        False,
    ),
    # TD402 per-recipient-token
    ("TD402", f'<img src="{T}">', T, True),
    (
        "TD402",
        '<img src="https://n.example.net/p?u=2b7e5f4a1c3d9e2f8a1b" width="1" height="1">',
        "https://n.example.net/p?u=2b7e5f4a1c3d9e2f8a1b",
        True,
    ),
    (
        "TD402",
        '<img src="https://n.example.net/p/5f8d78d8-17c9-47c9-a136-2c3763063fc3/x" width="1" height="1">',
        "https://n.example.net/p/5f8d78d8-17c9-47c9-a136-2c3763063fc3/x",
        True,
    ),
    (
        "TD402",
        '<img src="https://n.example.net/summer-sale-2024/banner" width="1" height="1">',
        "https://n.example.net/summer-sale-2024/banner",
        False,
    ),
    (
        "TD402",
        '<img src="https://n.example.net/2024/06/07/hero" width="1" height="1">',
        "https://n.example.net/2024/06/07/hero",
        False,
    ),
    (
        "TD402",
        '<img src="https://cdn.example.org/img/5f2b9c7e1a3d4b6f8e0a.png">',
        "https://cdn.example.org/img/5f2b9c7e1a3d4b6f8e0a.png",
        False,
    ),
    # TD403 repeated-token
    (
        "TD403",
        f'<img src="{T}" width="1" height="1"><a href="https://example.net/c/8f3a91d0c2b7e5f4a1c3d9e2">x</a>',
        T,
        True,
    ),
    ("TD403", f'<img src="{T}" width="1" height="1"><a href="https://example.net/about">x</a>', T, False),
    # TD404 tracking-parameter
    (
        "TD404",
        '<a href="https://shop.example.com/?mc_cid=abc123&mc_eid=8f3a91d0c2">x</a>',
        "https://shop.example.com/?mc_cid=abc123&mc_eid=8f3a91d0c2",
        True,
    ),
    (
        "TD404",
        '<a href="https://shop.example.com/?_hsenc=p2ANqtz-8f3a91d0c2b7e5f4&_hsmi=12345678">x</a>',
        "https://shop.example.com/?_hsenc=p2ANqtz-8f3a91d0c2b7e5f4&_hsmi=12345678",
        True,
    ),
    (
        "TD404",
        '<a href="https://shop.example.com/?mkt_tok=MzI3LVVOSS04MjUAAAGBc3Ryb25n">x</a>',
        "https://shop.example.com/?mkt_tok=MzI3LVVOSS04MjUAAAGBc3Ryb25n",
        True,
    ),
    (
        "TD404",
        '<a href="https://shop.example.com/?utm_source=newsletter&utm_medium=email">x</a>',
        "https://shop.example.com/?utm_source=newsletter&utm_medium=email",
        False,
    ),
    # TD501 embedded-destination
    (
        "TD501",
        '<a href="https://r.example.net/c/8f3a91d0c2b7e5f4a1?url=https%3A%2F%2Fshop.example.com%2Fsale">x</a>',
        "https://r.example.net/c/8f3a91d0c2b7e5f4a1?url=https%3A%2F%2Fshop.example.com%2Fsale",
        True,
    ),
    (
        "TD501",
        '<a href="https://r.example.net/c/8f3a91d0c2b7e5f4a1/aHR0cHM6Ly9zaG9wLmV4YW1wbGUuY29tL3NhbGU">x</a>',
        "https://r.example.net/c/8f3a91d0c2b7e5f4a1/aHR0cHM6Ly9zaG9wLmV4YW1wbGUuY29tL3NhbGU",
        True,
    ),
    (
        "TD501",
        '<a href="https://r.example.net/c/8f3a91d0c2b7e5f4a1">x</a>',
        "https://r.example.net/c/8f3a91d0c2b7e5f4a1",
        False,
    ),
    # TD502 redirect-path
    (
        "TD502",
        '<a href="https://links.news.example.com/c/8f3a91d0c2b7e5f4a1">x</a>',
        "https://links.news.example.com/c/8f3a91d0c2b7e5f4a1",
        True,
    ),
    (
        "TD502",
        '<a href="https://click.news.example.com/8f3a91d0c2b7/e5f4a1c3d9e2">x</a>',
        "https://click.news.example.com/8f3a91d0c2b7/e5f4a1c3d9e2",
        True,
    ),
    ("TD502", '<a href="https://www.example.com/c/contact">x</a>', "https://www.example.com/c/contact", False),
    (
        "TD502",
        '<a href="https://parcels.example.com/track/90346692444">x</a>',
        "https://parcels.example.com/track/90346692444",
        False,
    ),
    # TD503 text-destination-mismatch
    (
        "TD503",
        '<a href="https://links.news.example.com/c/8f3a91d0c2b7e5f4a1">www.shop.example.org</a>',
        "https://links.news.example.com/c/8f3a91d0c2b7e5f4a1",
        True,
    ),
    (
        "TD503",
        '<a href="https://links.news.example.com/c/8f3a91d0c2b7e5f4a1">Shop now</a>',
        "https://links.news.example.com/c/8f3a91d0c2b7e5f4a1",
        False,
    ),
    # TD505 link-ping
    (
        "TD505",
        '<a href="https://shop.example.com/" ping="https://stats.example.net/p">Shop</a>',
        "https://stats.example.net/p",
        True,
    ),
    (
        "TD505",
        '<a href="https://stats.example.net/p">Shop</a>',
        "https://stats.example.net/p",
        False,
    ),
    # TD701 recipient-address-in-url (recipient given below)
    (
        "TD701",
        '<img src="https://t.example.net/o?e=ann.lee%40example.org" width="1" height="1">',
        "https://t.example.net/o?e=ann.lee%40example.org",
        True,
    ),
    (
        "TD701",
        '<img src="https://t.example.net/o?e=bob%40example.org" width="1" height="1">',
        "https://t.example.net/o?e=bob%40example.org",
        False,
    ),
    # TD702 address-in-url
    (
        "TD702",
        '<img src="https://t.example.net/o?e=bob%40example.org" width="1" height="1">',
        "https://t.example.net/o?e=bob%40example.org",
        True,
    ),
    (
        "TD702",
        '<a href="https://www.example.org/contact?to=help%40example.org">x</a>',
        "https://www.example.org/contact?to=help%40example.org",
        False,
    ),
    (
        "TD702",
        '<img src="https://cdn.example.net/hero@2x.png" width="1" height="1">',
        "https://cdn.example.net/hero@2x.png",
        False,
    ),
    (
        "TD702",
        '<a href="https://groups.example.net/d/msgid/go-nuts/CAF6MeLGekwPV5163HYFwkpnBCi8chzv%40mail.example.com">x</a>',
        "https://groups.example.net/d/msgid/go-nuts/CAF6MeLGekwPV5163HYFwkpnBCi8chzv%40mail.example.com",
        False,
    ),
    (
        "TD702",
        '<a href="https://lore.example.org/all/20240611093512.2847113-1-jdoe@example.com/">x</a>',
        "https://lore.example.org/all/20240611093512.2847113-1-jdoe@example.com/",
        False,
    ),
    (
        "TD702",
        '<a href="https://groups.example.net/d/msgid/rust-dev/CAH7x9Kp2qZ1fRt%40mail.gmail.com">x</a>',
        "https://groups.example.net/d/msgid/rust-dev/CAH7x9Kp2qZ1fRt%40mail.gmail.com",
        False,
    ),
    (
        "TD702",
        '<a href="https://lore.example.org/all/CAH7x9Kp2qZ1fRt@mail.gmail.com/">x</a>',
        "https://lore.example.org/all/CAH7x9Kp2qZ1fRt@mail.gmail.com/",
        False,
    ),
    (
        "TD702",
        '<a href="https://shop.example.net/r?u=john.smith1987%40mail.example.com">x</a>',
        "https://shop.example.net/r?u=john.smith1987%40mail.example.com",
        True,
    ),
    (
        "TD702",
        '<img src="https://t.example.net/o/20240611093512.2847113-1-jdoe%40mail.example.com/p.gif" width="1" height="1">',
        "https://t.example.net/o/20240611093512.2847113-1-jdoe%40mail.example.com/p.gif",
        True,
    ),
    (
        "TD702",
        '<a href="https://www.example.net/r?u=bob%40myexample.net">x</a>',
        "https://www.example.net/r?u=bob%40myexample.net",
        True,
    ),
    # TD801 remote-resource
    ("TD801", f'<img src="{LOGO}">', LOGO, True),
    ("TD801", '<img src="cid:logo@example.org">', "cid:logo@example.org", False),
    # TD802 image-proxy
    ("TD802", f'<img src="https://ci3.googleusercontent.com/proxy/AbCdEf#{T}" width="1" height="1">', T, True),
    ("TD802", f'<img src="{T}" width="1" height="1">', T, False),
]


def _codes_for(html: str, url: str) -> set[str] | None:
    report = detect_html(html, recipients=["ann.lee@example.org"])
    codes: set[str] = set()
    found = False
    for finding in report.findings:
        if finding.url == url and finding.kind.value != "recipient_leak":
            codes.update(finding.codes)
            found = True
    return codes if found else None


@pytest.mark.parametrize(("code", "html", "url", "fires"), CASES)
def test_rule_table(code: str, html: str, url: str, fires: bool) -> None:
    codes = _codes_for(html, url) or set()
    assert (code in codes) is fires, f"{code} on {url}: fired {sorted(codes)}"


def test_every_rule_has_positive_and_negative_case() -> None:
    covered = {(code, fires) for code, _html, _url, fires in CASES}
    for rule in RULES:
        if rule.code in ("TD304", "TD405"):
            continue  # user-list rules are covered below
        assert (rule.code, True) in covered, rule.code
        assert (rule.code, False) in covered, rule.code


def test_every_rule_is_documented() -> None:
    for rule in RULES:
        assert rule.doc, rule.code
        assert "Why" in rule.doc or "Informational" in rule.doc or "Weak" in rule.doc or "Evidence" in rule.doc, (
            rule.code
        )
    for header_rule in HEADER_RULES:
        assert header_rule.doc


def test_codes_are_unique_and_grouped() -> None:
    assert len(ALL_CODES) == len(set(ALL_CODES))
    for code in ALL_CODES:
        assert code[:2] == "TD", code
        assert code[2] in "12345678", code
        assert len(code) == 5, code


def test_blocklist_rule_fires() -> None:
    blocklist = parse_adblock("[Adblock Plus 2.0]\n||pixels.example.net^\n", "test")
    html = '<img src="https://pixels.example.net/p.gif">'
    report = detect_html(html, options=Options(blocklist=blocklist))
    assert "TD304" in report.findings[0].codes


def test_blocklist_rule_silent_without_match() -> None:
    blocklist = parse_adblock("||pixels.example.net^\n", "test")
    report = detect_html(f'<img src="{LOGO}">', options=Options(blocklist=blocklist))
    assert "TD304" not in report.findings[0].codes


def test_clearurls_rule_fires() -> None:
    rules = parse_clearurls(
        {"providers": {"shop": {"urlPattern": "^https?://shop\\.example\\.com", "rules": ["ref_src"]}}}
    )
    html = '<a href="https://shop.example.com/?ref_src=newsletter&x=1">x</a><img src="https://shop.example.com/a?ref_src=1">'
    report = detect_html(html, options=Options(parameter_rules=rules))
    codes = {code for finding in report.findings for code in finding.codes}
    assert "TD405" in codes


def test_clearurls_rule_silent_for_other_site() -> None:
    rules = parse_clearurls(
        {"providers": {"shop": {"urlPattern": "^https?://shop\\.example\\.com", "rules": ["ref_src"]}}}
    )
    report = detect_html('<img src="https://other.example.org/a?ref_src=1">', options=Options(parameter_rules=rules))
    codes = {code for finding in report.findings for code in finding.codes}
    assert "TD405" not in codes


READ_RECEIPT_MESSAGE = b"""From: a@example.com
To: b@example.org
Subject: hi
Disposition-Notification-To: a@example.com
Content-Type: text/plain

hello
"""


def test_read_receipt_rule_fires() -> None:
    report = detect(READ_RECEIPT_MESSAGE)
    receipts = report.by_kind("read_receipt")
    assert len(receipts) == 1
    assert receipts[0].codes == ("TD601",)
    assert receipts[0].location.attribute == "Disposition-Notification-To"
    assert report.tracked


def test_read_receipt_rule_silent_without_header() -> None:
    report = detect(READ_RECEIPT_MESSAGE.replace(b"Disposition-Notification-To: a@example.com\n", b""))
    assert not report.by_kind("read_receipt")


@pytest.mark.parametrize("header", ["Return-Receipt-To", "X-Confirm-Reading-To"])
def test_other_receipt_headers(header: str) -> None:
    raw = READ_RECEIPT_MESSAGE.replace(b"Disposition-Notification-To", header.encode())
    assert detect(raw).by_kind("read_receipt")


def test_select_limits_rules() -> None:
    report = detect_html(f'<img src="{T}" width="1" height="1">', options=Options(select=("TD1",)))
    codes = {code for finding in report.findings for code in finding.codes}
    assert codes <= {"TD101"}


def test_ignore_drops_rules() -> None:
    report = detect_html(f'<img src="{T}" width="1" height="1">', options=Options(ignore=("TD101",)))
    codes = {code for finding in report.findings for code in finding.codes}
    assert "TD101" not in codes


def test_ignore_remote_rule_drops_remote_content() -> None:
    html = '<img src="https://cdn.example.com/img/hero.jpg" width="600" height="300">'
    assert detect_html(html).by_kind("remote_content")
    assert detect_html(html, options=Options(ignore=("TD8",))).findings == ()


def test_every_finding_names_a_rule() -> None:
    html = f'<img src="{T}" width="1" height="1"><img src="https://cdn.example.com/img/hero.jpg" width="600">'
    for options in (Options(), Options(ignore=("TD8",)), Options(select=("TD1",))):
        assert all(finding.rules for finding in detect_html(html, options=options).findings)


def test_options_normalize_rule_codes() -> None:
    assert Options(select=("td1", " TD301 "), ignore=["td8"]).select == ("TD1", "TD301")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"select": ("TD999",)}, ValueError),
        ({"ignore": ("T",)}, ValueError),
        ({"select": "TD1"}, TypeError),
        ({"extra_recipients": "bob@example.net"}, TypeError),
        ({"max_references": -1}, ValueError),
        ({"max_url_characters": -5}, ValueError),
    ],
)
def test_options_reject_wrong_values(arguments: dict[str, object], error: type[Exception]) -> None:
    # Such values used to run no rule at all, or every rule, and report messages clean.
    with pytest.raises(error, match="Options"):
        Options(**arguments)  # type: ignore[arg-type]
