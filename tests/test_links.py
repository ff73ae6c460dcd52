"""Click tracking at message level: vendor redirects, embedded destinations, redirect chains,
security wrappers, link-text mismatches, unsubscribe links, tracking parameters and clean_url.

Every case runs ``detect()`` on a complete message built here (or on a ``links-*`` fixture)
and checks the findings a user would read.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from trackdetect import Finding, Report, clean_url, detect, detect_html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECIPIENT = "mira.okafor@example.net"


def _q(url: str) -> str:
    """Percent-encode a whole URL as redirectors put it into a query value."""
    return quote(url, safe="")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _html_message(body: str, *, text: str | None = None) -> str:
    """Return a complete message whose HTML part contains ``body`` (and a text part if given)."""
    html = f'<!DOCTYPE html><html><body><table width="600"><tr><td>{body}</td></tr></table></body></html>'
    headers = (
        "From: Tally Home <news@mail.tallyhome.example.com>\r\n"
        f"To: Mira Okafor <{RECIPIENT}>\r\n"
        "Subject: This week at Tally Home\r\n"
        "Date: Tue, 11 Jun 2024 07:15:29 +0000\r\n"
        "Message-ID: <wk24.5e0c2a97@mail.tallyhome.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if text is None:
        return headers + f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    boundary = "=_4f0e2c1a9b"
    return (
        headers
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        + f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        + f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        + f"--{boundary}--\r\n"
    )


def _link(url: str, text: str = "See the range") -> Report:
    return detect(_html_message(f'<p><a href="{url}">{text}</a></p>'))


def _find(report: Report, kind: str, url: str) -> Finding | None:
    return next((f for f in report.by_kind(kind) if f.url == url), None)


def _describe(report: Report) -> str:
    return "; ".join(f"{f.kind.value} {f.confidence.value} {f.vendor} {f.codes} {f.url[:90]}" for f in report.findings)


# --- vendor click redirects -----------------------------------------------------------

VENDOR_CLICKS = [
    pytest.param(
        "https://u4417902.ct.sendgrid.net/ls/click?upn=u001.Hq2Zr8-2FkT5vLw3nXc9yBm1-2FpDs4eGa7uJo6iKt0Rf-3D-3Dk7Xp",
        "Twilio SendGrid",
        id="sendgrid",
    ),
    pytest.param(
        "https://url4417.tallyhome.example.com/ls/click?upn=u001.Hq2Zr8-2FkT5vLw3nXc9yBm1-2FpDs4eGa7uJo6iKt0Rf-3D-3D",
        "Twilio SendGrid",
        id="sendgrid-branded",
    ),
    pytest.param(
        "https://links.tallyhome.example.com/wf/click?upn=u001.Hq2Zr8-2FkT5vLw3nXc9yBm1-2FpDs4eGa7uJo6iKt0Rf",
        "Twilio SendGrid",
        id="sendgrid-wf-click",
    ),
    # Braze sends through SendGrid, SparkPost, Mailjet or SES, so its links take the shape of
    # that provider. "ablink." is the host Braze customers brand their click links with.
    pytest.param(
        "https://ablink.email.tallyhome.example.com/ls/click?upn=u001.Vx3Lm8Qr-2Fz1Tk5Wn9Yc2-2FbHd6Jp4Ms7Ga0Ue",
        "Twilio SendGrid",
        id="braze-via-sendgrid",
    ),
    pytest.param(
        "https://tallyhome.us14.list-manage.com/track/click?u=3f8b1c9d2e7a6f5b4c0d1e2a3&id=5c4b3a2d1e&e=7d3e91b0f2",
        "Mailchimp",
        id="mailchimp",
    ),
    pytest.param(
        "https://mandrillapp.com/track/click/30412345/www.tallyhome.example.com?p=eyJzIjoiUnFTd0VqM1hxbF9tV1p1a0o4Z2t0Rk1JMWc0IiwidiI6MX0",
        "Mailchimp Transactional (Mandrill)",
        id="mandrill",
    ),
    pytest.param(
        "https://email.mg.tallyhome.example.com/c/eJwlkE1uwzAIhU9T7yLZ2E7ihRfZ9B4Y4waJOJFM2t6-bqu3AQk9vo9SqKFpmKqIq",
        "Mailgun",
        id="mailgun",
    ),
    pytest.param(
        "https://d3hx1d04.na1.hubspotlinks.com/Ctc/5K+113/d3Hx1d04/VWr3Vt2ThKjNW2mPpMy3xYR8kW4Xb6Bh5tGY3LN7Lq3Zs5nR2qV1",
        "HubSpot Marketing Email",
        id="hubspot",
    ),
    pytest.param(
        "https://info.tallyhome.example.com/e3t/Ctc/W2+113/cVKsp04/VW7bVj2lT1YxW4Gm3ss5rTGDjW1Ck1R25jJbDVN5kQ2lq3qgyTW7Y8",
        "HubSpot Marketing Email",
        id="hubspot-branded",
    ),
    pytest.param(
        "https://click.e.tallyhome.example.com/?qs=a4c3e3b7f0f2e1d1c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6",
        "Salesforce Marketing Cloud (ExactTarget)",
        id="sfmc-qs",
    ),
    pytest.param(
        "https://cl.exct.net/?qs=7e2d9a4c1b8f3e6d0a5c2b9f4e7d1a3c6b0f8e2d5a9c4b7f1e3d6a0c8b2f5e9d",
        "Salesforce Marketing Cloud (ExactTarget)",
        id="sfmc-exct",
    ),
    pytest.param(
        "https://ctrk.klclick.com/l/01HX3Y4Z5A6B7C8D9E0F1G2H3J_4K5L6M7N8P9Q",
        "Klaviyo",
        id="klaviyo-l",
    ),
    pytest.param(
        "https://trk.klclick.com/ls/click?upn=u001.Rk7Tz2Wq-2FmN4bV8cX1yL5-2FpG9hJ3dS6aF0eU",
        "Klaviyo",
        id="klaviyo-ls-click",
    ),
    pytest.param(
        "https://track.tallyhome.example.com/e/c/eyJlbWFpbF9pZCI6IlJQTE5BUVVBQUFHUWVkc1JfT1ZyIiwiaHJlZiI6Imh0dHBzOi8vd3d3LnRhbGx5aG9tZS5leGFtcGxlLmNvbSJ9/7c3f2d1e",
        "Customer.io",
        id="customerio",
    ),
    pytest.param(
        "https://links.tallyhome.example.com/u/click?_t=5e1a2b3c4d5e6f708192a3b4c5d6e7f8&_m=9a8b7c6d5e4f30211203f4e5d6c7b8a9",
        "Iterable",
        id="iterable",
    ),
    pytest.param(
        "https://a1b2c3d4.r.us-east-1.awstrack.me/L0/https:%2F%2Fwww.tallyhome.example.com%2Forder%3Fid=7/1/"
        "0100018f2a3b4c5d-6e7f8a9b-0c1d-2e3f-4a5b-6c7d8e9f0a1b-000000/AbCdEfGhIjKlMnOpQrStUvWxYz0=356",
        "Amazon SES / Amazon Pinpoint email",
        id="ses",
    ),
    pytest.param(
        "https://r.news.tallyhome.example.com/tr/cl/Rk7Tz2Wq3mN4bV8cX1yL5pG9hJ3dS6aF0eU2iO",
        "Brevo (formerly Sendinblue)",
        id="brevo",
    ),
    pytest.param(
        "https://x7y8z.mjt.lu/lnk/AUoAAFwRxyzAAAAAAAAAAABCdefAAAAAYoAAAAAABcdEFGhijkl/1/aBcDeFgHiJkLmNoPqRsTuV/aHR0cHM6Ly93d3cudGFsbHlob21lLmV4YW1wbGUuY29t",
        "Mailjet (Sinch)",
        id="mailjet",
    ),
    pytest.param(
        "https://click.news.tallyhome.example.com/f/a/Rk7Tz2Wq3mN4bV8cX1yL5p~~/AAQRxAA~/RgRoAbCdP0QhaHR0cHM6Ly93d3c",
        "SparkPost (Bird)",
        id="sparkpost",
    ),
    pytest.param(
        "https://click.pstmrk.it/3s/www.tallyhome.example.com%2Forder/Rk7T/z2Wq/3mN4",
        "Postmark",
        id="postmark",
    ),
    pytest.param(
        "https://r20.rs6.net/tn.jsp?f=001Rk7Tz2Wq3mN4bV8cX1yL5pG9hJ3dS6aF0eU2iO&c=Zk1aQ2x0Vn==&ch=Rk7Tz2Wq3m==",
        "Constant Contact",
        id="constant-contact",
    ),
    pytest.param(
        "https://tallyhome.cmail20.com/t/d-l-kdhkuyk-jhukjdlhd-r/",
        "Campaign Monitor",
        id="campaign-monitor",
    ),
    pytest.param(
        "https://t.sidekickopen45.com/e1t/c/5/f18dQhb0S7kC8dDMPbW2n0x6l2B9gXrN7sKj9dn7dK_W2zGH8g4XyGlmW1p8Hps1pNT",
        "HubSpot Sales (Sidekick) email tracking",
        id="hubspot-sidekick",
    ),
    pytest.param(
        "https://tallyhome.acemlnb.com/Prod/link-tracker?redirectUrl=aHR0cHMlM0ElMkYlMkZ3d3cudGFsbHlob21lLmV4YW1wbGUuY29t"
        "&sig=Ab12Cd34Ef56Gh78&iat=1718600000&a=650012345&account=tallyhome%2Eactivehosted%2Ecom&s=bad97c655476f96a&i=12A34A5A67",
        "ActiveCampaign",
        id="activecampaign",
    ),
]


@pytest.mark.parametrize(("url", "vendor"), VENDOR_CLICKS)
def test_vendor_click_kind(url: str, vendor: str) -> None:
    report = _link(url)
    assert _find(report, "tracked_link", url) is not None, _describe(report)


@pytest.mark.parametrize(("url", "vendor"), VENDOR_CLICKS)
def test_vendor_click_rule(url: str, vendor: str) -> None:
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert "TD303" in finding.codes


@pytest.mark.parametrize(("url", "vendor"), VENDOR_CLICKS)
def test_vendor_click_vendor(url: str, vendor: str) -> None:
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert finding.vendor == vendor, finding.vendors


def test_vendor_click_domain_owner_first() -> None:
    url = "https://trk.klclick.com/ls/click?upn=u001.Rk7Tz2Wq-2FmN4bV8cX1yL5-2FpG9hJ3dS6aF0eU"
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert finding.vendor == "Klaviyo"


@pytest.mark.parametrize(("url", "vendor"), VENDOR_CLICKS)
def test_vendor_click_tracked(url: str, vendor: str) -> None:
    assert _link(url).tracked


# --- generic redirects with an embedded destination ---------------------------------

# The destination has an escaped "+" (%2B), a literal "+" (a space in a query) and an
# escaped "%" (%25): each must come out exactly as the destination had them.
PAGE = "https://www.tallyhome.example.com/search?q=oak+table&price=100%2B&note=50%25"
# Standard base64 of this page has neither "/" nor "+", so it fits in one path segment.
PAGE_B64 = "https://www.tallyhome.example.com/rooms/dining?ref=nl"
assert "/" not in _b64(PAGE_B64)
assert "+" not in _b64(PAGE_B64)

GENERIC = [
    pytest.param(
        f"https://links.tallyhome-mail.example.net/r?rid=8f3a91d0c2b7e5f4a1&url={_q(PAGE)}",
        PAGE,
        id="query-url",
    ),
    pytest.param(
        f"https://click.tallyhome-mail.example.net/track?uid=5e0c2a97d4b81f36a2c9&redirect={_q(PAGE)}&l=3",
        PAGE,
        id="query-redirect",
    ),
    pytest.param(
        f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1/{_q(PAGE)}",
        PAGE,
        id="path-percent",
    ),
    pytest.param(
        f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1/{_b64(PAGE_B64)}",
        PAGE_B64,
        id="path-base64",
    ),
    pytest.param(
        f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1/{_q(_b64(PAGE))}",
        PAGE,
        id="path-base64-escaped",
    ),
    pytest.param(
        f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1/{_b64url(PAGE)}",
        PAGE,
        id="path-base64url",
    ),
    pytest.param(
        f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1/{_b64url(PAGE)}==",
        PAGE,
        id="path-base64url-padded",
    ),
    pytest.param(
        f"https://t.tallyhome-mail.example.net/l?s=8f3a91d0c2b7e5f4a1&d={_b64url(PAGE)}",
        PAGE,
        id="query-base64url",
    ),
    pytest.param(
        f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1#{PAGE}",
        PAGE,
        id="fragment",
    ),
]


@pytest.mark.parametrize(("url", "destination"), GENERIC)
def test_generic_redirect_kind(url: str, destination: str) -> None:
    report = _link(url)
    assert _find(report, "tracked_link", url) is not None, _describe(report)


@pytest.mark.parametrize(("url", "destination"), GENERIC)
def test_generic_redirect_destination(url: str, destination: str) -> None:
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert finding.destination == destination, finding.destination


@pytest.mark.parametrize(("url", "destination"), GENERIC)
def test_generic_redirect_rule(url: str, destination: str) -> None:
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert "TD501" in finding.codes


# Standard base64 of this page contains a "/", which a redirector may leave unescaped in its path.
PAGE_SLASH = "https://shop.example.com/p?a=1%2B2&b=x+y"
assert "/" in _b64(PAGE_SLASH)


def test_generic_base64_raw_slash_destination() -> None:
    url = f"https://go.tallyhome-mail.example.net/c/8f3a91d0c2b7e5f4a1/{_b64(PAGE_SLASH)}"
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert finding.destination == PAGE_SLASH, finding.destination


@pytest.mark.parametrize(
    "url",
    [
        "https://www.tallyhome.example.com/r/summer-sale",
        "https://www.tallyhome.example.com/go/dining-rooms",
        "https://links.tallyhome.example.com/stores/leeds",
        "https://www.tallyhome.example.com/click/and-collect",
    ],
)
def test_generic_redirect_shape_without_token(url: str) -> None:
    assert _link(url).by_kind("tracked_link") == ()


# --- redirect chains --------------------------------------------------------------------


def _safe_links(url: str) -> str:
    return (
        f"https://eur03.safelinks.protection.outlook.com/?url={_q(url)}"
        "&data=05%7C02%7Cmira.okafor%40example.net%7C4b1c7e0a9d2f%7C1e8eb9a45167%7C0%7C0%7C638541209876543210"
        "%7CUnknown%7C%7C&sdata=Tq7r0mXc%2BvJ3bW9kPz1nHq4sLd8eYf2gUa6iR5oNc0E%3D&reserved=0"
    )


def _proofpoint_v3(url: str) -> str:
    """Wrap ``url`` as URL Defense v3 does: each "%" or "#" becomes "*" and is stored after "__;"."""
    replaced = "".join(char for char in url if char in "%#")
    template = "".join("*" if char in "%#" else char for char in url)
    return f"https://urldefense.com/v3/__{template}__;{_b64url(replaced)}!!Nk4rT2xQ!Pq8sV3mLz1cR7yW0aB5dE9fH2jK4$"


APP = f"https://app.tallyhome.example.com/t/click?uid=5e0c2a97d4b81f36a2c9&to={_q(PAGE)}"
AC = (
    f"https://tallyhome.acemlnb.com/Prod/link-tracker?redirectUrl={_b64url(APP)}"
    "&sig=Ab12Cd34Ef56Gh78&iat=1718600000&a=650012345&account=tallyhome%2Eactivehosted%2Ecom&s=bad97c655476f96a&i=12A34A5A67"
)
SES = (
    "https://b7n4xk2p.r.eu-west-1.awstrack.me/L0/"
    + quote(APP, safe=":")
    + "/1/0102018f9c3d5e7a-2b4c6d8e-0f1a-4b3c-8d5e-7f9a0b1c2d3e-000000/Hk3pV7qXz0mN2sLw9YcT4rBe5uJ=372"
)
ESP = f"https://links.tallyhome-mail.example.net/r/8f3a91d0c2b7e5f4a1?url={_q(APP)}"

# (link as written in the message, the tracked hop, every hop as (URL, vendor) after the wrapper)
CHAINS = [
    pytest.param(
        _safe_links(AC),
        AC,
        [(AC, "ActiveCampaign"), (APP, None), (PAGE, None)],
        id="safelinks-activecampaign-app",
    ),
    pytest.param(
        _safe_links(SES),
        SES,
        [(SES, "Amazon SES / Amazon Pinpoint email"), (APP, None), (PAGE, None)],
        id="safelinks-ses-app",
    ),
    pytest.param(
        _proofpoint_v3(ESP),
        ESP,
        [(ESP, None), (APP, None), (PAGE, None)],
        id="proofpoint-esp-app",
    ),
]


@pytest.mark.parametrize(("link", "tracked", "hops"), CHAINS)
def test_chain_tracked_hop(link: str, tracked: str, hops: list[tuple[str, str | None]]) -> None:
    report = _link(link)
    assert _find(report, "tracked_link", tracked) is not None, _describe(report)


@pytest.mark.parametrize(("link", "tracked", "hops"), CHAINS)
def test_chain_destination(link: str, tracked: str, hops: list[tuple[str, str | None]]) -> None:
    finding = _find(_link(link), "tracked_link", tracked)
    assert finding is not None
    assert finding.destination == PAGE, finding.destination


@pytest.mark.parametrize(("link", "tracked", "hops"), CHAINS)
def test_chain_hop_urls(link: str, tracked: str, hops: list[tuple[str, str | None]]) -> None:
    finding = _find(_link(link), "tracked_link", tracked)
    assert finding is not None
    assert [hop.url for hop in finding.hops] == [link] + [url for url, _vendor in hops]


@pytest.mark.parametrize(("link", "tracked", "hops"), CHAINS)
def test_chain_hop_vendors(link: str, tracked: str, hops: list[tuple[str, str | None]]) -> None:
    finding = _find(_link(link), "tracked_link", tracked)
    assert finding is not None
    assert [hop.vendor for hop in finding.hops[1:]] == [vendor for _url, vendor in hops]


@pytest.mark.parametrize(("link", "tracked", "hops"), CHAINS)
def test_chain_redirect_destination(link: str, tracked: str, hops: list[tuple[str, str | None]]) -> None:
    finding = _find(_link(link), "redirect", link)
    assert finding is not None
    assert finding.destination == PAGE, finding.destination


def test_chain_wrapper_hop_vendor() -> None:
    finding = _find(_link(_safe_links(AC)), "tracked_link", AC)
    assert finding is not None
    assert finding.hops[0].vendor == "Outlook Safe Links"


def test_chain_fixture_button() -> None:
    """The links-multihop-safelinks fixture: the button's hops, vendors and final page."""
    report = detect((FIXTURES / "links-multihop-safelinks.eml").read_bytes())
    ses = next(f for f in report.by_kind("tracked_link") if f.location.element == "a")
    assert [hop.vendor for hop in ses.hops] == ["Outlook Safe Links", "Amazon SES / Amazon Pinpoint email", None, None]
    assert ses.destination == "https://www.tallyhome.example.com/search?q=oak+table&price=100%2B&sort=new"


# --- security wrappers and shorteners -------------------------------------------------

PLAIN_PAGE = "https://www.orchardlane.example.org/events/cider-weekend?day=sat&tickets=2%2B1"


def _proofpoint_v2(url: str) -> str:
    encoded = quote(url, safe="").replace("-", "%2D").replace("_", "%5F").replace("%", "-")
    encoded = encoded.replace("-2F", "_")
    return f"https://urldefense.proofpoint.com/v2/url?u={encoded}&d=DwMFaQ&c=Zx8KqLm&r=Ab3Cd5Ef&m=Wx3Yz5&s=Xy1Za3&e="


WRAPPERS = [
    pytest.param(_safe_links(PLAIN_PAGE), "Outlook Safe Links", PLAIN_PAGE, id="safe-links"),
    pytest.param(_proofpoint_v2(PLAIN_PAGE), "Proofpoint URL Defense v2", PLAIN_PAGE, id="proofpoint-v2"),
    pytest.param(
        _proofpoint_v3(PLAIN_PAGE + "#tickets"),
        "Proofpoint URL Defense v3",
        PLAIN_PAGE + "#tickets",
        id="proofpoint-v3",
    ),
    pytest.param(
        "https://protect-eu.mimecast.com/s/Lq7hCZ0xvTk3pWnRfq2Yb?domain=orchardlane.example.org",
        "Mimecast",
        None,
        id="mimecast",
    ),
    pytest.param(
        f"https://clicktime.symantec.com/15sM4Qz7Lw2Vx9Ky3Tp8Rn?h=Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9=&u={_q(PLAIN_PAGE)}",
        "Symantec ClickTime",
        PLAIN_PAGE,
        id="symantec-clicktime",
    ),
    pytest.param(
        f"https://linkprotect.cudasvc.com/url?a={_q(PLAIN_PAGE)}&c=E,1,Qm3xT9kLw2vRz7Yp5nH8cJ4dF6gS1aB0eU,&typo=1",
        "Barracuda Link Protection",
        PLAIN_PAGE,
        id="barracuda",
    ),
    pytest.param("https://bit.ly/3Vq8RtK", "bit.ly", None, id="bitly"),
    pytest.param("https://tinyurl.com/2p9xk4vz", "tinyurl.com", None, id="tinyurl"),
]


@pytest.mark.parametrize(("url", "name", "destination"), WRAPPERS)
def test_wrapper_redirect_kind(url: str, name: str, destination: str | None) -> None:
    report = _link(url, "Book tickets")
    assert _find(report, "redirect", url) is not None, _describe(report)


@pytest.mark.parametrize(("url", "name", "destination"), WRAPPERS)
def test_wrapper_redirect_rule(url: str, name: str, destination: str | None) -> None:
    finding = _find(_link(url, "Book tickets"), "redirect", url)
    assert finding is not None
    assert finding.codes == ("TD504",)


@pytest.mark.parametrize(("url", "name", "destination"), WRAPPERS)
def test_wrapper_redirect_vendor(url: str, name: str, destination: str | None) -> None:
    finding = _find(_link(url, "Book tickets"), "redirect", url)
    assert finding is not None
    assert finding.vendor == name


@pytest.mark.parametrize(("url", "name", "destination"), WRAPPERS)
def test_wrapper_redirect_destination(url: str, name: str, destination: str | None) -> None:
    finding = _find(_link(url, "Book tickets"), "redirect", url)
    assert finding is not None
    assert finding.destination == destination


UNTRACKED_WRAPPED = [pytest.param(*param.values, id=param.id) for param in WRAPPERS]


@pytest.mark.parametrize(("url", "name", "destination"), UNTRACKED_WRAPPED)
def test_wrapper_plain_page_not_tracked(url: str, name: str, destination: str | None) -> None:
    report = _link(url, "Book tickets")
    assert report.by_kind("tracked_link") == (), _describe(report)


@pytest.mark.parametrize(("url", "name", "destination"), WRAPPERS)
def test_wrapper_plain_page_verdict(url: str, name: str, destination: str | None) -> None:
    assert not _link(url, "Book tickets").tracked


SENDGRID = (
    "https://url4417.orchardlane.example.org/ls/click?upn=u001.Hq2Zr8-2FkT5vLw3nXc9yBm1-2FpDs4eGa7uJo6iKt0Rf-3D-3D"
)


@pytest.mark.parametrize(
    "wrapped",
    [
        pytest.param(_safe_links(SENDGRID), id="safe-links"),
        pytest.param(_proofpoint_v2(SENDGRID), id="proofpoint-v2"),
        pytest.param(_proofpoint_v3(SENDGRID), id="proofpoint-v3"),
        pytest.param(f"https://clicktime.symantec.com/15sM4Qz7Lw2Vx9?u={_q(SENDGRID)}", id="symantec-clicktime"),
        pytest.param(f"https://linkprotect.cudasvc.com/url?a={_q(SENDGRID)}&c=E,1,Qm3xT9kLw2,&typo=1", id="barracuda"),
    ],
)
def test_wrapper_tracked_inner(wrapped: str) -> None:
    finding = _find(_link(wrapped), "tracked_link", SENDGRID)
    assert finding is not None
    assert finding.vendor == "Twilio SendGrid"


def test_wrapper_recipient_in_data_not_leak() -> None:
    """Safe Links carries the recipient's address, but the recipient's own provider already has it."""
    report = _link(_safe_links(PLAIN_PAGE))
    assert report.by_kind("recipient_leak") == ()


# --- link text that shows another domain ----------------------------------------------

SFMC = "https://click.e.tallyhome.example.com/?qs=a4c3e3b7f0f2e1d1c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6"


@pytest.mark.parametrize(
    ("url", "text"),
    [
        pytest.param(SFMC, "www.tallyhome.example.org", id="sfmc-bare-domain"),
        pytest.param(VENDOR_CLICKS[0].values[0], "https://www.tallyhome.example.org/sale", id="sendgrid-url-text"),
        pytest.param(
            f"https://links.tallyhome-mail.example.net/r?rid=8f3a91d0c2b7e5f4a1&url={_q(PAGE)}",
            "www.tallyhome.example.com/search",
            id="generic-shows-destination",
        ),
    ],
)
def test_mismatch_text_tracked_link(url: str, text: str) -> None:
    finding = _find(_link(url, text), "tracked_link", url)
    assert finding is not None
    assert "TD503" in finding.codes


@pytest.mark.parametrize("text", ["www.tallyhome.example.org", "https://www.tallyhome.example.org/sale"])
def test_mismatch_text_kind_only_tracked_link(text: str) -> None:
    report = _link(SFMC, text)
    assert {f.kind.value for f in report.findings} == {"tracked_link"}


def test_mismatch_text_same_domain_silent() -> None:
    url = "https://click.tallyhome.example.com/?qs=a4c3e3b7f0f2e1d1c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6"
    finding = _find(_link(url, "www.tallyhome.example.com"), "tracked_link", url)
    assert finding is not None
    assert "TD503" not in finding.codes


def test_mismatch_text_plain_link_no_finding() -> None:
    """A mismatch alone is evidence, not a tracker: an ordinary link to another site stays unreported."""
    report = _link("https://www.partner-store.example.net/oak", "www.tallyhome.example.com")
    assert report.findings == ()


# --- unsubscribe links --------------------------------------------------------------------

UNSUBSCRIBE_PLAIN = [
    pytest.param("https://www.tallyhome.example.com/unsubscribe?u=8f3a91d0c2b7e5f4a1b2c3d4", "Unsubscribe", id="path"),
    pytest.param(
        "https://www.tallyhome.example.com/email/preferences?sid=8f3a91d0c2b7e5f4a1b2c3d4e5",
        "Manage preferences",
        id="prefs",
    ),
    pytest.param("https://www.tallyhome.example.com/m/8f3a91d0c2b7e5f4a1b2c3d4e5f6", "Unsubscribe", id="text-only"),
    pytest.param(
        "https://www.tallyhome.example.com/newsletter/abmelden?id=8f3a91d0c2b7e5f4a1b2", "Abmelden", id="german"
    ),
    pytest.param(
        "https://tallyhome.us14.list-manage.com/unsubscribe?u=3f8b1c9d2e7a6f5b4c0d1e2a3&id=9a8b7c6d5e&e=7d3e91b0f2&c=4f2a9c7e1b",
        "Unsubscribe",
        id="mailchimp-unsubscribe-page",
    ),
    pytest.param(
        "https://www.tallyhome.example.com/unsubscribe?mc_eid=7d3e91b0f2&_hsenc=p2ANqtz-9Xq3Lm7Rt2Vw8Zy4Bc6Df1Gh5Jk0Nm",
        "Unsubscribe",
        id="with-recipient-params",
    ),
    pytest.param(
        "https://tallyhome.us14.list-manage.com/profile?u=3f8b1c9d2e7a6f5b4c0d1e2a3&id=9a8b7c6d5e&e=7d3e91b0f2&c=4f2a9c7e1b",
        "update subscription preferences",
        id="mailchimp-preferences-page",
    ),
    pytest.param(
        "https://www.tallyhome.example.com/account?sid=8f3a91d0c2b7e5f4a1b2c3d4e5", "Update your profile", id="profile"
    ),
]


@pytest.mark.parametrize(("url", "text"), UNSUBSCRIBE_PLAIN)
def test_unsubscribe_not_tracked(url: str, text: str) -> None:
    report = _link(url, text)
    assert report.by_kind("tracked_link") == (), _describe(report)


UNSUBSCRIBE_VENDOR = [
    pytest.param(VENDOR_CLICKS[0].values[0], id="sendgrid"),
    pytest.param(SFMC, id="sfmc"),
    pytest.param(
        "https://tallyhome.us14.list-manage.com/track/click?u=3f8b1c9d2e7a6f5b4c0d1e2a3&id=5c4b3a2d1e&e=7d3e91b0f2",
        id="mailchimp",
    ),
    pytest.param("https://r.news.tallyhome.example.com/tr/cl/Rk7Tz2Wq3mN4bV8cX1yL5pG9hJ3dS6aF0eU2iO", id="brevo"),
]


@pytest.mark.parametrize("url", UNSUBSCRIBE_VENDOR)
def test_unsubscribe_vendor_click_tracked(url: str) -> None:
    finding = _find(_link(url, "Unsubscribe"), "tracked_link", url)
    assert finding is not None
    assert "TD303" in finding.codes


# --- tracking parameters ----------------------------------------------------------------

CAMPAIGN_ONLY = [
    pytest.param(
        "https://www.tallyhome.example.com/sale?utm_source=newsletter&utm_medium=email&utm_campaign=june24", id="utm"
    ),
    pytest.param(
        "https://www.tallyhome.example.com/sale?utm_source=nl&utm_content=hero_button_2&utm_term=oak", id="utm-content"
    ),
    pytest.param("https://www.tallyhome.example.com/sale?mc_cid=4f2a9c7e1b&utm_source=newsletter", id="mc-cid"),
    pytest.param("https://www.tallyhome.example.com/sale?mtm_campaign=june&pk_source=nl", id="matomo"),
    pytest.param("https://www.tallyhome.example.com/sale?gclid=Cj0KCQjw&fbclid=IwAR0abc", id="click-ids-short"),
    pytest.param(
        "https://www.tallyhome.example.com/sale?gclid=EAIaIQobChMI8v2kq9rS_wIVh4xoCR0AbCdEfEAAYASAAEgKJ2_D_BwE",
        id="gclid",
    ),
    pytest.param(
        "https://www.tallyhome.example.com/sale?fbclid=IwAR2Xq3Lm7Rt2Vw8Zy4Bc6Df1Gh5Jk0Nm2Pq4St6Uv8Wx1Yz3Ab",
        id="fbclid",
    ),
]


@pytest.mark.parametrize("url", CAMPAIGN_ONLY)
def test_campaign_params_not_tracked(url: str) -> None:
    report = _link(url)
    assert report.by_kind("tracked_link") == (), _describe(report)


RECIPIENT_PARAMS = [
    pytest.param(
        "https://www.tallyhome.example.com/sale?utm_source=nl&mc_cid=4f2a9c7e1b&mc_eid=7d3e91b0f2", id="mc-eid"
    ),
    pytest.param(
        "https://www.tallyhome.example.com/guide?_hsenc=p2ANqtz-9Xq3Lm7Rt2Vw8Zy4Bc6Df1Gh5Jk0Nm2Pq4St6", id="hsenc"
    ),
    pytest.param("https://www.tallyhome.example.com/guide?utm_source=hs_email&_hsmi=309182734", id="hsmi"),
    pytest.param(
        "https://www.tallyhome.example.com/webinar?mkt_tok=NzEzLVhZWi0yODUAAAGUcXq3Lm7Rt2Vw8Zy4Bc6", id="mkt-tok"
    ),
    pytest.param("https://www.tallyhome.example.com/sale?vero_conv=Rt2Vw8Zy4B&vero_id=48213", id="vero-id"),
    pytest.param("https://www.tallyhome.example.com/article?oly_enc_id=1234A5678901B2C", id="oly-enc-id"),
    pytest.param("https://www.tallyhome.example.com/course?ck_subscriber_id=1873402951", id="ck-subscriber-id"),
    pytest.param("https://www.tallyhome.example.com/sale?_ke=eyJrbF9jb21wYW55X2lkIjogIlhZWjEyMyJ9", id="klaviyo-ke"),
    pytest.param(
        "https://www.tallyhome.example.com/sale?_e=iNBpPvw5Ef7nnQs2X8R9jBlXzRc5oWzHLjbtn3Tlsu-qFtqrT88xNEJ7f6hzsX5v",
        id="iterable-e-long",
    ),
]


@pytest.mark.parametrize("url", RECIPIENT_PARAMS)
def test_recipient_params_tracked(url: str) -> None:
    finding = _find(_link(url), "tracked_link", url)
    assert finding is not None
    assert "TD404" in finding.codes, _describe(_link(url))


@pytest.mark.parametrize("url", RECIPIENT_PARAMS)
def test_recipient_params_verdict(url: str) -> None:
    assert _link(url).tracked


@pytest.mark.parametrize("value", ["1", "en", "summer"])
def test_iterable_short_e_not_tracked(value: str) -> None:
    report = _link(f"https://www.tallyhome.example.com/sale?_e={value}")
    assert report.by_kind("tracked_link") == ()


def test_recipient_params_in_text_part() -> None:
    url = "https://www.tallyhome.example.com/sale?utm_source=nl&mc_eid=7d3e91b0f2"
    report = detect(_html_message("<p>Sale on now.</p>", text=f"Sale on now: {url}\r\n"))
    finding = _find(report, "tracked_link", url)
    assert finding is not None
    assert finding.location.element == "text"


# --- clean_url --------------------------------------------------------------------------

CLEAN = [
    pytest.param(
        "https://shop.example.com/p?utm_source=nl&id=42&utm_medium=email",
        "https://shop.example.com/p?id=42",
        ("utm_source", "utm_medium"),
        id="utm-around-kept",
    ),
    pytest.param(
        "https://shop.example.com/p?q=a%2Bb&utm_campaign=x&r=c+d&s=%25",
        "https://shop.example.com/p?q=a%2Bb&r=c+d&s=%25",
        ("utm_campaign",),
        id="encoding-kept",
    ),
    pytest.param(
        "https://shop.example.com/p?mc_cid=1a2b3c4d5e&mc_eid=9f8e7d6c5b&page=2",
        "https://shop.example.com/p?page=2",
        ("mc_cid", "mc_eid"),
        id="mailchimp",
    ),
    pytest.param(
        "https://shop.example.com/p?_hsenc=p2ANqtz-8Fx1Ab2Cd3Ef&_hsmi=301234567#section",
        "https://shop.example.com/p#section",
        ("_hsenc", "_hsmi"),
        id="hubspot-fragment-kept",
    ),
    pytest.param(
        "https://shop.example.com/p#utm_source=nl&utm_medium=email",
        "https://shop.example.com/p",
        ("utm_source", "utm_medium"),
        id="fragment-params",
    ),
    pytest.param(
        "https://shop.example.com/#/route?utm_source=nl&x=1",
        "https://shop.example.com/#/route?x=1",
        ("utm_source",),
        id="fragment-route",
    ),
    pytest.param(
        "https://shop.example.com/p?gclid=Cj0KCQjw&b=2&fbclid=IwAR0abc",
        "https://shop.example.com/p?b=2",
        ("gclid", "fbclid"),
        id="click-ids",
    ),
    pytest.param(
        "https://shop.example.com/p?z=9&mkt_tok=NzEzLVhZWi0xMjMAAAGT&vero_id=42&a=1&oly_enc_id=1234A5678901B2C"
        "&ck_subscriber_id=1234567&_ke=eyJrbF9lbWFpbCI6IngifQ",
        "https://shop.example.com/p?z=9&a=1",
        ("mkt_tok", "vero_id", "oly_enc_id", "ck_subscriber_id", "_ke"),
        id="recipient-ids-order",
    ),
    pytest.param(
        "https://shop.example.com/p?UTM_SOURCE=nl&a=1",
        "https://shop.example.com/p?a=1",
        ("UTM_SOURCE",),
        id="upper-case-name",
    ),
    pytest.param(
        "https://shop.example.com/p?%75tm_source=nl&a=1",
        "https://shop.example.com/p?a=1",
        ("utm_source",),
        id="escaped-name",
    ),
    pytest.param(
        "https://shop.example.com/p?b=%7Ejoe&utm_source=nl&a=%2f",
        "https://shop.example.com/p?b=%7Ejoe&a=%2f",
        ("utm_source",),
        id="escape-case-kept",
    ),
    pytest.param(
        "https://shop.example.com/p?utm_source=nl",
        "https://shop.example.com/p",
        ("utm_source",),
        id="query-emptied",
    ),
    pytest.param(
        "https://shop.example.com/p?id=42&page=2", "https://shop.example.com/p?id=42&page=2", (), id="nothing"
    ),
]


@pytest.mark.parametrize(("url", "expected", "removed"), CLEAN)
def test_clean_url_result(url: str, expected: str, removed: tuple[str, ...]) -> None:
    assert clean_url(url).url == expected


@pytest.mark.parametrize(("url", "expected", "removed"), CLEAN)
def test_clean_url_removed(url: str, expected: str, removed: tuple[str, ...]) -> None:
    assert clean_url(url).removed == removed


@pytest.mark.parametrize(("url", "expected", "removed"), CLEAN)
def test_clean_url_not_refused(url: str, expected: str, removed: tuple[str, ...]) -> None:
    assert clean_url(url).refused is None


SIGNED = [
    pytest.param(
        "https://bucket.s3.amazonaws.com/f.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240101"
        "&X-Amz-Signature=abcdef0123&utm_source=nl",
        "X-Amz-Signature",
        id="s3-v4",
    ),
    pytest.param(
        "https://d111111abcdef8.cloudfront.net/v.mp4?utm_source=nl&Expires=1718600000&Signature=AbC~dEf__&Key-Pair-Id=K2JCJMDEHXQW5F",
        "Signature",
        id="cloudfront",
    ),
    pytest.param("https://img.example.net/p.jpg?w=600&sig=9f8e7d6c&utm_source=nl", "sig", id="sig"),
    pytest.param(
        "https://img.example.net/p.jpg?utm_medium=email&w=600&sig=9f8e7d6c#utm_source=nl", "sig", id="sig-fragment"
    ),
]


@pytest.mark.parametrize(("url", "name"), SIGNED)
def test_clean_url_signed_unchanged(url: str, name: str) -> None:
    assert clean_url(url).url == url


@pytest.mark.parametrize(("url", "name"), SIGNED)
def test_clean_url_signed_nothing_removed(url: str, name: str) -> None:
    assert clean_url(url).removed == ()


@pytest.mark.parametrize(("url", "name"), SIGNED)
def test_clean_url_signed_reason(url: str, name: str) -> None:
    refused = clean_url(url).refused
    assert refused is not None
    assert name in refused


def test_facebook_notification_link_leaks_address() -> None:
    # Facebook's notification mail sends every link through /n/ with the recipient in n_m.
    url = (
        "https://www.facebook.com/n/?permalink.php&story_fbid=123&id=456&aref=789&medium=email"
        "&mid=5e7f92a9090d1G5b06&bcode=2.34567890.ABCxyz&n_m=ann.lee%40example.org"
    )
    report = detect_html(f'<a href="{url.replace("&", "&amp;")}">See post</a>', recipients=["ann.lee@example.org"])
    links = report.by_kind("tracked_link")
    assert [finding.url for finding in links] == [url]
    assert links[0].vendor == "Meta (Facebook)"
    assert "TD303" in links[0].codes
    assert [finding.leak.encoding for finding in report.by_kind("recipient_leak") if finding.leak] == ["percent"]


def test_signed_download_link_not_cleaned() -> None:
    expected = json.loads((FIXTURES / "links-signed-download.expected.json").read_text(encoding="utf-8"))
    download = next(url for url in expected["not_flagged"] if "X-Amz-Signature" in url)
    report = detect((FIXTURES / "links-signed-download.eml").read_bytes(), recipients=expected["recipients"])
    assert download not in {finding.url for finding in report.findings}
    result = clean_url(download)
    assert result.url == download
    assert result.removed == ()
    assert result.refused is not None
    assert "X-Amz-Signature" in result.refused


@pytest.mark.parametrize(
    ("url", "tracked"),
    [
        ("https://newsletter.shop.example.com/d?o0c3tok00bmx3ed0d0000lgq00000000c5dbh3g05a2kqz", True),
        ("https://www.shop.example.com/d?q=shoes", False),
        ("https://www.shop.example.com/d", False),
    ],
)
def test_inxmail_short_path_shape(url: str, tracked: bool) -> None:
    report = detect_html(f'<a href="{url}">Read more</a>')
    vendors = [finding.vendor for finding in report.by_kind("tracked_link")]
    assert (vendors == ["Inxmail"]) is tracked


def test_judged_key_covers_every_field_but_the_place() -> None:
    # References equal in their key are judged once, so the key must hold every field the
    # rules can read: all of them except the MIME part and the document position.
    from dataclasses import fields

    from trackdetect._detect import _judged_key
    from trackdetect._html import Reference

    names = [field.name for field in fields(Reference) if field.name not in ("part", "index")]
    reference = Reference(**{field.name: f"value {field.name}" for field in fields(Reference)})  # type: ignore[arg-type]
    assert _judged_key(reference) == tuple(f"value {name}" for name in names)


def test_repeated_link_reported_once_at_its_first_place() -> None:
    link = "https://click.example.net/c/0123456789abcdef0123/AbCdEfGhIjKlMnOpQrSt"
    html = "".join(f'<p><a href="{link}">Shop now</a></p>' for _ in range(3))
    found = [finding for finding in detect_html(html).findings if finding.url == link]
    assert [(finding.kind.value, finding.location.index) for finding in found] == [("tracked_link", 1)]


ITEM_LINKS = [
    pytest.param("https://1drv.ms/x/s!AkD3fG5hJ7kL9mN0pQrStUv?e=Xy1Z2a", id="onedrive-short"),
    pytest.param("https://onedrive.live.com/redir?resid=ABCDEF123456!789&authkey=!AbCdEf12&e=Xy1Z2a", id="onedrive"),
    pytest.param(
        "https://contoso.sharepoint.com/:x:/g/personal/ann_contoso_com/EbCdEfGh123456?e=Xy1Z2a", id="sharepoint"
    ),
    pytest.param("https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490", id="usps-parcel"),
    pytest.param(
        "https://www.dropbox.com/scl/fi/k3j9x2m7q8w1e5r4t6y0u/plan.pdf?rlkey=a8s7d6f5g4h3j2k1&dl=0", id="dropbox"
    ),
]


@pytest.mark.parametrize("url", ITEM_LINKS)
def test_item_link_ids_not_tracking(url: str) -> None:
    # A shared file's or a parcel's id is the same for everyone the message goes to.
    report = detect_html(f'<p>Here it is: <a href="{url}">the file</a></p>', recipients=["ann.lee@example.org"])
    assert [(finding.kind.value, finding.url) for finding in report.findings] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://files.example-share.net/x/s!AkD3fG5hJ7kL9mN0pQrStUv?e=Xy1Z2a",
        "https://tools.example-post.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
        # On a listed host, parameters other than the host's own ids are judged as anywhere.
        "https://docs.google.com/forms/d/e/1FAIpQLSfszQDE3DY5Tg4k3r/viewform?mc_eid=8f3a91d0c2",
        "https://1drv.ms/x/s!AkD3fG5hJ7kL9mN0pQrStUv?e=Xy1Z2a&uid=200440893879",
    ],
)
def test_item_link_shapes_elsewhere_still_judged(url: str) -> None:
    report = detect_html(f'<p>Here it is: <a href="{url}">the file</a></p>', recipients=["ann.lee@example.org"])
    assert [(finding.kind.value, finding.url) for finding in report.findings if finding.is_tracking] == [
        ("tracked_link", url)
    ]


def test_wetransfer_link_ids_still_judged() -> None:
    # WeTransfer's mailed links carry a recipient id in the path, so the host is not listed.
    url = "https://wetransfer.com/downloads/4f3a8c2d71b4e6f0a1b2c3d4e5f60718/9a8b7c6d5e4f3a2b1c0d/7e6f5a"
    report = detect_html(f'<a href="{url}">the file</a>')
    assert [(f.kind.value, f.url, "TD402" in f.codes) for f in report.findings] == [("tracked_link", url, True)]


def test_item_link_still_searched_for_address() -> None:
    url = "https://1drv.ms/x/s!AkD3fG5hJ7kL9mN0?e=ann.lee%40example.org"
    report = detect_html(f'<a href="{url}">the file</a>', recipients=["ann.lee@example.org"])
    assert [(finding.kind.value, finding.codes) for finding in report.findings] == [
        ("tracked_link", ("TD701",)),
        ("recipient_leak", ("TD701",)),
    ]


@pytest.mark.parametrize(
    ("href", "explanation"),
    [
        pytest.param("https://shop.example.net/sale?email=ann.lee%40example.org", "tracked_link:direct", id="address"),
        pytest.param("https://shop.example.net/sale?mc_eid=8f3a91d0c2", "tracked_link:direct", id="parameter"),
        pytest.param("https://links.mailer.example.net/c/8f3a91d0c2b7e5f4a1", "tracked_link", id="redirect-path"),
        pytest.param(
            "https://t.mailer.example.net/r?id=8f3a91d0c2b7&url=https%3A%2F%2Fshop.example.net%2Fsale",
            "tracked_link",
            id="carried-destination",
        ),
    ],
)
def test_direct_link_explained_without_redirect(href: str, explanation: str) -> None:
    # Only a link that passes through a tracker gets the text about forwarding the reader.
    report = detect_html(f'<a href="{href}">Sale</a>', recipients=["ann.lee@example.org"])
    assert [(f.kind.value, f.url, f.explanation) for f in report.findings if f.kind.value == "tracked_link"] == [
        ("tracked_link", href, explanation)
    ]


@pytest.mark.parametrize(
    ("sender", "href", "destination"),
    [
        pytest.param(
            "X <info@x.com>",
            "https://t.co/redirect?url=https%3A%2F%2Fx.com%2Fsettings&t=1&cn=cGFzc3dvcmQ&sig=9b7742c0e7a1779c8ce5",
            "https://x.com/settings",
            id="x",
        ),
        pytest.param(
            "LinkedIn <messages-noreply@linkedin.com>",
            "https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Fshop.example.net%2Fjobs&urlhash=Ab3x&trk=public_post",
            "https://shop.example.net/jobs",
            id="linkedin",
        ),
    ],
)
def test_provider_redirect_in_own_mail_is_tracking(sender: str, href: str, destination: str) -> None:
    # The provider that sends the message logs each click through its own redirect.
    raw = f'From: {sender}\r\nTo: ann.lee@example.org\r\nContent-Type: text/html\r\n\r\n<a href="{href}">Open</a>'
    findings = [(f.kind.value, f.url, f.destination) for f in detect(raw).findings if f.kind.value != "remote_content"]
    assert findings == [("tracked_link", href, destination)]


def test_provider_redirect_in_other_mail_is_wrapper() -> None:
    href = "https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Fshop.example.net%2Fjobs&urlhash=Ab3x"
    raw = (
        "From: Ann <ann.lee@example.org>\r\nTo: bob@example.org\r\nContent-Type: text/html\r\n\r\n"
        f'<p>Saw this: <a href="{href}">jobs</a></p>'
    )
    findings = [(f.kind.value, f.url) for f in detect(raw).findings if f.kind.value != "remote_content"]
    assert findings == [("redirect", href)]


def test_link_to_proxied_image_judges_original() -> None:
    # Forwarded mail from Gmail links images through Google's proxy, with the original after "#".
    logo = "https://d1abc2defg.cloudfront.net/logos/brand.png"
    proxy = f"https://ci3.googleusercontent.com/meips/ADKq_NbX9cQz7pLmT4vW2sYrE8uH1oJk6fGdSaB3xC5v#{logo}"
    report = detect_html(f'<a href="{proxy}"><img src="{proxy}" width="120" height="40" alt="Brand"></a>')
    assert [(f.kind.value, f.url) for f in report.findings if f.kind.value == "tracked_link"] == []
    tracked = "https://links.mailer.example.net/c/8f3a91d0c2b7e5f4a1"
    report = detect_html(f'<a href="https://ci3.googleusercontent.com/meips/ADKq_NbX9cQz7pLmT4#{tracked}">Sale</a>')
    assert [(f.kind.value, f.url) for f in report.findings if f.kind.value == "tracked_link"] == [
        ("tracked_link", tracked)
    ]


def test_preference_words_in_url_alone_not_enough() -> None:
    # A tracker's redirect may name the page it sends to. Only the link's text marks a preference link.
    url = "https://t.shop.example.net/c/8f3a91d0c2b7e5f4a1b2?next=update-profile"
    report = detect_html(f'<a href="{url}">See the new range</a>')
    assert [(f.kind.value, f.url) for f in report.findings if f.is_tracking] == [("tracked_link", url)]


def test_plain_text_copy_of_preference_link_not_tracked() -> None:
    url = "https://tallyhome.us14.list-manage.com/profile?u=3f8b1c9d2e7a6f5b4c0d1e2a3&id=9a8b7c6d5e&e=7d3e91b0f2"
    raw = (
        "From: news@tallyhome.example.com\r\nTo: ann.lee@example.org\r\n"
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain\r\n\r\nUpdate your preferences: {url}\r\n"
        f'--b\r\nContent-Type: text/html\r\n\r\n<a href="{url}">update subscription preferences</a>\r\n--b--\r\n'
    )
    assert [(f.kind.value, f.location.element) for f in detect(raw).findings if f.url == url] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://track.dpd.co.uk/parcels/15501234567890*19521",
        "https://tracking.dpd.de/status/en_US/parcel/01234567890123",
        "https://track.aftership.com/trackings?tracking_number=1Z999AA10123456784",
    ],
)
def test_parcel_tracking_host_not_redirect(url: str) -> None:
    report = detect_html(f'<a href="{url}">Track your parcel</a>')
    assert [(f.kind.value, f.url) for f in report.findings if f.is_tracking] == []
    assert all("TD502" not in f.codes for f in report.findings)


def test_track_host_with_identifier_still_redirect() -> None:
    url = "https://track.shop-mail.example.net/x?id=8f3a91d0c2b7e5f4a1b2"
    report = detect_html(f'<a href="{url}">See the range</a>')
    assert [(f.kind.value, f.url, "TD502" in f.codes) for f in report.findings if f.is_tracking] == [
        ("tracked_link", url, True)
    ]
