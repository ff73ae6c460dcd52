"""Every place a mail client could fetch a remote resource from, judged by the image rules.

Each positive case is a small body with one tracker: a per-recipient token, a tiny or
hidden box, or a known vendor's URL shape. It must come out as one finding with the
expected kind, URL, element, attribute, event and context. Each negative case is ordinary
content through the same vector. It must not be flagged as a pixel or a tracked image.
Where it is fetched on open, it must still be reported as remote content, which shows
that the vector is read.

docs/vectors.md lists the same vectors in prose, with what is not read.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from trackdetect import Finding, Options, Report, detect, detect_html

TOKEN = "7Hf3kQ9zLm2Xp8Rv"
PIXEL_URL = f"https://t.example.net/o/{TOKEN}"
"""A generic open beacon on an unknown host: only the token and the box make it a tracker."""
TINY = 'width="1" height="1"'
MAILCHIMP_OPEN = (
    "https://example.us21.list-manage.com/track/open.php?u=3f9a8b7c6d5e4f3a2b1c0d9e8&id=a1b2c3d4e5&e=9f8e7d6c5b"
)
SIDEKICK_OPEN = "https://t.sidekickopen45.com/e1t/o/5/f18dQhb0S7kC8dDMPbW2n0x6l2B9nMJW7t5XX48pbCf3W8r4Y5Q1p2d1S"
MAILTRACK_OPEN = "https://mailtrack.io/trace/mail/3f2a9c8e1b7d4a6f0e5c2b9a8d7f6e5c4b3a2910.png?u=8812345"
GMAIL_PROXY = "https://ci3.googleusercontent.com/proxy/Xq9vR2mKpL7wZ4tY8bN3cF6hJ1dS5gA0eU_iO-oPqRsTuVwXyZ=s0-d-e1-ft"
# Fastmail writes the original URL as hexadecimal bytes with each byte's two digits swapped.
FASTMAIL_PROXY = "https://www.fastmailusercontent.com/proxy/" + "7c3e" * 16 + "/"
SENDGRID_OPEN = "https://u1.ct.sendgrid.net/wf/open?upn=Abc123"
SENDGRID_OPEN_SWAPPED = "8647470737a3f2f25713e23647e23756e64676279646e2e65647f27766f2f60756e6f35707e6d3142636132333"
LOGO_SWAPPED = "8647470737a3f2f23646e6e2568716d607c656e236f6d6f296d676f2c6f676f6e207e676"
GMAIL_MEIPS = "https://ci5.googleusercontent.com/meips/ADKq_NaT4Rv8Yp2LsZ0bKj6eW1mQxU3cH9dF7gJ5oI=s0-d-e1-ft"
BREVO_CLICK = "https://x3k9q.r.bh.d.sendibt3.com/tr/cl/HnmrQ94h4UAP0NIWzFXDnt6k1rjLTAixoxhvGYmO-WplsP_efqdgPWXu2ntHm"
GSTATIC_FONT = "https://fonts.gstatic.com/s/inter/v12/UcCO3FwrK3iLTeHuS_fvQtMwCp50KnMw2boKoduKmMEVuLyfAZ9hiA.woff2"
HERO = "https://cdn.example.com/img/hero.jpg"
LOGO = "https://cdn.example.com/img/logo.png"
FLAGGED = frozenset({"pixel", "tracked_image"})


@dataclass(frozen=True, slots=True)
class Expected:
    """The one finding a positive case must produce."""

    kind: str
    url: str
    element: str
    attribute: str
    event: str | None = None
    context: str | None = None
    vendor: str | None = None


def _message(content_type: str, body: str, *, encoding: str = "7bit") -> str:
    return (
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Spring sale\n"
        "Date: Mon, 25 Mar 2024 09:00:45 +0000\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: {content_type}; charset=utf-8\n"
        f"Content-Transfer-Encoding: {encoding}\n"
        "\n"
        f"{body}\n"
    )


def _amp_message(amp_body: str) -> str:
    """Return a multipart/alternative message with text, AMP and HTML parts, AMP second."""
    return (
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Your cart\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="alt"\n'
        "\n"
        "--alt\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Your cart is waiting.\n"
        "--alt\n"
        "Content-Type: text/x-amp-html; charset=utf-8\n"
        "\n"
        '<!doctype html><html amp4email><head><meta charset="utf-8">'
        '<script async src="https://cdn.ampproject.org/v0.js"></script></head>'
        f"<body>{amp_body}</body></html>\n"
        "--alt\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        "<p>Your cart is waiting.</p>\n"
        "--alt--\n"
    )


def _forwarded_message(inner_html: str) -> str:
    """Return a personal forward with the original attached as message/rfc822 (part 2)."""
    return (
        "From: Bob Stone <bob@example.org>\n"
        "To: ann.lee@example.org\n"
        "Subject: Fwd: Spring sale\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="outer"\n'
        "\n"
        "--outer\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Have a look at this one.\n"
        "--outer\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: bob@example.org\n"
        "Subject: Spring sale\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        f"{inner_html}\n"
        "--outer--\n"
    )


def _report(source: str) -> Report:
    """Run a whole message through detect() and a bare body through detect_html()."""
    if source.startswith("From: "):
        return detect(source)
    return detect_html(source)


def _describe(report: Report) -> str:
    lines = []
    for finding in report.findings:
        location = finding.location
        lines.append(
            f"  {finding.kind.value} {finding.confidence.value} {finding.url} "
            f"<{location.element}> {location.attribute} context={location.context} event={finding.event} "
            f"vendor={finding.vendor} rules={','.join(finding.codes)}"
        )
    return "\n".join(lines) or "  (no findings)"


def _only_finding_for(report: Report, url: str) -> Finding:
    matching = [finding for finding in report.findings if finding.url == url]
    assert len(matching) == 1, f"expected one finding for {url}, got:\n{_describe(report)}"
    return matching[0]


# --- Positive cases ------------------------------------------------------------------------

POSITIVE = [
    # Embedded content elements.
    pytest.param(
        f'<img src="{PIXEL_URL}" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="img-src",
    ),
    pytest.param(
        f'<img srcset="data:image/png;base64,iVBORw0KGgo,AAAANSUhEUg 1x, {PIXEL_URL} 2x" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "srcset"),
        id="img-srcset-after-data-url",
    ),
    pytest.param(
        f'<div style="display:none"><picture><source srcset="{PIXEL_URL}"><img src="{LOGO}"></picture></div>',
        Expected("pixel", PIXEL_URL, "source", "srcset"),
        id="picture-source-hidden",
    ),
    pytest.param(
        f'<picture><source srcset="{PIXEL_URL}"><img src="https://cdn.example.com/img/s.gif" {TINY}></picture>',
        Expected("pixel", PIXEL_URL, "source", "srcset"),
        id="picture-source-tiny-img",
    ),
    pytest.param(
        f'<input type="image" src="{PIXEL_URL}" {TINY}>',
        Expected("pixel", PIXEL_URL, "input", "src"),
        id="input-image",
    ),
    pytest.param(
        f'<video poster="{PIXEL_URL}" {TINY}></video>',
        Expected("pixel", PIXEL_URL, "video", "poster"),
        id="video-poster",
    ),
    pytest.param(
        f'<video src="{PIXEL_URL}" {TINY}></video>',
        Expected("pixel", PIXEL_URL, "video", "src"),
        id="video-src",
    ),
    pytest.param(
        f'<video {TINY}><source src="{PIXEL_URL}" type="video/mp4"></video>',
        Expected("pixel", PIXEL_URL, "source", "src"),
        id="video-source-tiny-video",
    ),
    pytest.param(
        f'<audio src="{PIXEL_URL}" style="display:none"></audio>',
        Expected("pixel", PIXEL_URL, "audio", "src"),
        id="audio-src",
    ),
    pytest.param(
        f'<audio hidden><source src="{PIXEL_URL}" type="audio/mpeg"></audio>',
        Expected("pixel", PIXEL_URL, "source", "src"),
        id="audio-source",
    ),
    pytest.param(
        f'<video><track kind="captions" src="{MAILCHIMP_OPEN}"></video>',
        Expected("pixel", MAILCHIMP_OPEN, "track", "src", vendor="Mailchimp"),
        id="track-src",
    ),
    pytest.param(
        f'<iframe src="{PIXEL_URL}" {TINY} frameborder="0"></iframe>',
        Expected("pixel", PIXEL_URL, "iframe", "src"),
        id="iframe-src",
    ),
    pytest.param(
        f'<frameset><frame src="{PIXEL_URL}" style="display:none"></frameset>',
        Expected("pixel", PIXEL_URL, "frame", "src"),
        id="frame-src",
    ),
    pytest.param(
        f'<object data="{PIXEL_URL}" type="image/gif" {TINY}></object>',
        Expected("pixel", PIXEL_URL, "object", "data"),
        id="object-data",
    ),
    pytest.param(
        f'<embed src="{PIXEL_URL}" type="image/gif" {TINY}>',
        Expected("pixel", PIXEL_URL, "embed", "src"),
        id="embed-src",
    ),
    pytest.param(
        f'<applet code="{PIXEL_URL}" {TINY}></applet>',
        Expected("pixel", PIXEL_URL, "applet", "code"),
        id="applet-code",
    ),
    pytest.param(
        f'<applet code="Banner.class" archive="{PIXEL_URL}" {TINY}></applet>',
        Expected("pixel", PIXEL_URL, "applet", "archive"),
        id="applet-archive",
    ),
    pytest.param(
        f'<svg {TINY}><image href="{PIXEL_URL}" {TINY}/></svg>',
        Expected("pixel", PIXEL_URL, "image", "href"),
        id="svg-image-href",
    ),
    pytest.param(
        f'<svg {TINY}><image xlink:href="{PIXEL_URL}" {TINY}/></svg>',
        Expected("pixel", PIXEL_URL, "image", "xlink:href"),
        id="svg-image-xlink",
    ),
    pytest.param(
        f'<svg {TINY}><use href="{PIXEL_URL}#dot" {TINY}/></svg>',
        Expected("pixel", f"{PIXEL_URL}#dot", "use", "href"),
        id="svg-use-href",
    ),
    pytest.param(
        f'<svg {TINY}><filter id="f"><feImage href="{PIXEL_URL}" {TINY}/></filter></svg>',
        Expected("pixel", PIXEL_URL, "feimage", "href"),
        id="svg-feimage-href",
    ),
    # background attributes.
    pytest.param(
        f'<body background="{MAILCHIMP_OPEN}"><p>Hello</p></body>',
        Expected("pixel", MAILCHIMP_OPEN, "body", "background", vendor="Mailchimp"),
        id="body-background",
    ),
    pytest.param(
        f'<table background="{PIXEL_URL}" {TINY}><tr><td></td></tr></table>',
        Expected("pixel", PIXEL_URL, "table", "background"),
        id="table-background",
    ),
    pytest.param(
        f'<table><tr><td background="{PIXEL_URL}" {TINY}></td></tr></table>',
        Expected("pixel", PIXEL_URL, "td", "background"),
        id="td-background",
    ),
    pytest.param(
        f'<table><tr><th background="{PIXEL_URL}" style="display:none">Total</th></tr></table>',
        Expected("pixel", PIXEL_URL, "th", "background"),
        id="th-background",
    ),
    pytest.param(
        f'<table><tr background="{PIXEL_URL}" style="display:none"><td>x</td></tr></table>',
        Expected("pixel", PIXEL_URL, "tr", "background"),
        id="tr-background",
    ),
    pytest.param(
        f'<table><tbody background="{PIXEL_URL}" style="display:none"><tr><td>x</td></tr></tbody></table>',
        Expected("pixel", PIXEL_URL, "tbody", "background"),
        id="tbody-background",
    ),
    pytest.param(
        f'<div background="{PIXEL_URL}" style="width:0;height:0;overflow:hidden"></div>',
        Expected("pixel", PIXEL_URL, "div", "background"),
        id="div-background",
    ),
    # <link>, <meta> refresh and <base>.
    pytest.param(
        f'<link rel="stylesheet" href="https://t.example.net/css/main.css?uid={TOKEN}">',
        Expected("pixel", f"https://t.example.net/css/main.css?uid={TOKEN}", "link", "href"),
        id="link-stylesheet",
    ),
    pytest.param(
        f'<link rel="icon" href="https://t.example.net/favicon.ico?uid={TOKEN}">',
        Expected("pixel", f"https://t.example.net/favicon.ico?uid={TOKEN}", "link", "href"),
        id="link-icon",
    ),
    pytest.param(
        f'<link rel="preload" as="image" href="{MAILCHIMP_OPEN}">',
        Expected("pixel", MAILCHIMP_OPEN, "link", "href", vendor="Mailchimp"),
        id="link-preload",
    ),
    pytest.param(
        f'<link rel="prefetch" href="https://t.example.net/p.gif?uid={TOKEN}">',
        Expected("pixel", f"https://t.example.net/p.gif?uid={TOKEN}", "link", "href"),
        id="link-prefetch",
    ),
    pytest.param(
        f'<link rel="dns-prefetch" href="https://t.example.net/?uid={TOKEN}">',
        Expected("pixel", f"https://t.example.net/?uid={TOKEN}", "link", "href"),
        id="link-dns-prefetch",
    ),
    pytest.param(
        f'<link rel="preconnect" href="https://t.example.net/?uid={TOKEN}">',
        Expected("pixel", f"https://t.example.net/?uid={TOKEN}", "link", "href"),
        id="link-preconnect",
    ),
    pytest.param(
        f'<meta http-equiv="refresh" content="0;url={PIXEL_URL}">',
        Expected("tracked_link", PIXEL_URL, "meta", "http-equiv=refresh"),
        id="meta-refresh",
    ),
    pytest.param(
        f'<meta http-equiv="refresh" content="0; {PIXEL_URL}">',
        Expected("tracked_link", PIXEL_URL, "meta", "http-equiv=refresh"),
        id="meta-refresh-without-url-keyword",
    ),
    pytest.param(
        f'<base href="https://t.example.net/o/"><img src="{TOKEN}" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="base-relative-img",
    ),
    pytest.param(
        f'<base href="https://t.example.net/"><style>@import "css/main.css?uid={TOKEN}";</style>',
        Expected("pixel", f"https://t.example.net/css/main.css?uid={TOKEN}", "style", "css:@import"),
        id="base-relative-import",
    ),
    # CSS in style attributes.
    pytest.param(
        f'<div style="width:1px;height:1px;background:url({PIXEL_URL})"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:background"),
        id="style-background",
    ),
    pytest.param(
        f"<div style=\"width:1px;height:1px;background-image:url('{PIXEL_URL}')\"></div>",
        Expected("pixel", PIXEL_URL, "div", "style:background-image"),
        id="style-background-image",
    ),
    pytest.param(
        f'<ul style="display:none;list-style-image:url({PIXEL_URL})"><li>x</li></ul>',
        Expected("pixel", PIXEL_URL, "ul", "style:list-style-image"),
        id="style-list-style-image",
    ),
    pytest.param(
        f'<div style="width:1px;height:1px;border-image:url({PIXEL_URL}) 30 round"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:border-image"),
        id="style-border-image",
    ),
    pytest.param(
        f'<div style="width:1px;height:1px;cursor:url({PIXEL_URL}), auto"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:cursor"),
        id="style-cursor",
    ),
    pytest.param(
        f'<span style="display:none;content:url({PIXEL_URL})"></span>',
        Expected("pixel", PIXEL_URL, "span", "style:content"),
        id="style-content",
    ),
    pytest.param(
        f'<div style="width:1px;height:1px;mask:url({PIXEL_URL})"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:mask"),
        id="style-mask",
    ),
    pytest.param(
        f"<div style=\"width:1px;height:1px;background-image:image-set('{PIXEL_URL}' 1x)\"></div>",
        Expected("pixel", PIXEL_URL, "div", "style:background-image"),
        id="style-image-set",
    ),
    pytest.param(
        f'<div style="width:1px;height:1px;background-image:-webkit-image-set(url({PIXEL_URL}) 1x)"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:background-image"),
        id="style-webkit-image-set",
    ),
    pytest.param(
        f'<div style="width:1px;height:1px;background:u\\72l({PIXEL_URL})"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:background"),
        id="style-escaped-r",
    ),
    pytest.param(
        f'<div style="width:1px;height:1px;background:\\75 rl({PIXEL_URL})"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:background"),
        id="style-escaped-u",
    ),
    pytest.param(
        '<div style="width:1px;height:1px;background:url(https\\3A //t.example.net/o/7Hf3kQ9zLm2Xp8Rv)"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:background"),
        id="style-escaped-url-text",
    ),
    pytest.param(
        f'<div style="--dot:url({PIXEL_URL});background:var(--dot);width:1px;height:1px"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:--dot"),
        id="style-custom-property",
    ),
    pytest.param(
        f'<div style="width:0;height:0;overflow:hidden;background-image:url({PIXEL_URL})"></div>',
        Expected("pixel", PIXEL_URL, "div", "style:background-image"),
        id="style-zero-size-div",
    ),
    # CSS in <style> blocks.
    pytest.param(
        f"<style>.hero{{background:url({SIDEKICK_OPEN})}}</style>",
        Expected("pixel", SIDEKICK_OPEN, "style", "css:background", vendor="HubSpot Sales (Sidekick) email tracking"),
        id="style-block-vendor-open",
    ),
    pytest.param(
        f'<style>.dot{{background:url({PIXEL_URL})}}</style><div class="dot" style="width:1px;height:1px"></div>',
        Expected("pixel", PIXEL_URL, "style", "css:background"),
        id="style-block-rule-on-tiny-div",
    ),
    pytest.param(
        f'<style>@import url("https://t.example.net/css/x.css?uid={TOKEN}");</style>',
        Expected("pixel", f"https://t.example.net/css/x.css?uid={TOKEN}", "style", "css:@import"),
        id="import-url-form",
    ),
    pytest.param(
        f'<style>@import "https://t.example.net/css/x.css?uid={TOKEN}";</style>',
        Expected("pixel", f"https://t.example.net/css/x.css?uid={TOKEN}", "style", "css:@import"),
        id="import-string-form",
    ),
    pytest.param(
        f'<style>@import url("https://u4820331.ct.sendgrid.net/wf/css?upn={TOKEN}Qw3eR5tY");</style>',
        Expected(
            "pixel",
            f"https://u4820331.ct.sendgrid.net/wf/css?upn={TOKEN}Qw3eR5tY",
            "style",
            "css:@import",
            vendor="Twilio SendGrid",
        ),
        id="import-tracker-domain-query-token",
    ),
    pytest.param(
        f'<style>@import url("https://u4820331.ct.sendgrid.net/css/{TOKEN}/main.css");</style>',
        Expected(
            "pixel",
            f"https://u4820331.ct.sendgrid.net/css/{TOKEN}/main.css",
            "style",
            "css:@import",
            vendor="Twilio SendGrid",
        ),
        id="import-tracker-domain-path-token",
    ),
    pytest.param(
        f'<style>@font-face{{font-family:Brand;src:url("https://t.example.net/f/brand.woff2?uid={TOKEN}")}}</style>',
        Expected("pixel", f"https://t.example.net/f/brand.woff2?uid={TOKEN}", "style", "css:@font-face"),
        id="font-face-token",
    ),
    # Event CSS.
    pytest.param(
        f"<style>@media print{{.footer{{background:url({PIXEL_URL})}}}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background", event="print"),
        id="media-print",
    ),
    pytest.param(
        f"<style>@media print{{.footer{{background:\\75 rl({PIXEL_URL})}}}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background", event="print"),
        id="media-print-escaped",
    ),
    pytest.param(
        f"<style>blockquote .sig{{background:url({PIXEL_URL})}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background", event="forward"),
        id="forward-blockquote",
    ),
    pytest.param(
        f"<style>.gmail_quote .sig{{background-image:url({PIXEL_URL})}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background-image", event="forward"),
        id="forward-gmail-quote",
    ),
    pytest.param(
        f"<style>#divRplyFwdMsg ~ div .sig{{background:url({PIXEL_URL})}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background", event="forward"),
        id="forward-outlook",
    ),
    pytest.param(
        f"<style>.cta:hover{{background:url({PIXEL_URL})}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background", event="hover"),
        id="hover",
    ),
    pytest.param(
        f"<style>.cta:active{{background-image:url({PIXEL_URL})}}</style>",
        Expected("pixel", PIXEL_URL, "style", "css:background-image", event="hover"),
        id="active",
    ),
    # Outlook conditional comments and VML.
    pytest.param(
        f'<!--[if mso]><img src="{PIXEL_URL}" {TINY}><![endif]-->',
        Expected("pixel", PIXEL_URL, "img", "src", context="conditional-comment"),
        id="if-mso-img",
    ),
    pytest.param(
        f'<!--[if mso]><table background="{PIXEL_URL}" {TINY}><tr><td></td></tr></table><![endif]-->',
        Expected("pixel", PIXEL_URL, "table", "background", context="conditional-comment"),
        id="if-mso-table",
    ),
    # The markup between <!--[if !mso]><!--> and <!--<![endif]--> is plain HTML to every
    # client except Outlook, so it carries no context.
    pytest.param(
        f'<!--[if !mso]><!--><img src="{PIXEL_URL}" {TINY}><!--<![endif]-->',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="if-not-mso-img",
    ),
    pytest.param(
        '<!--[if gte mso 9]><v:rect style="width:1px;height:1px" stroke="f">'
        f'<v:fill type="tile" src="{PIXEL_URL}"/></v:rect><![endif]-->',
        Expected("pixel", PIXEL_URL, "v:fill", "src", context="conditional-comment"),
        id="vml-fill",
    ),
    pytest.param(
        f'<!--[if gte mso 9]><v:image src="{PIXEL_URL}" style="width:1px;height:1px"/><![endif]-->',
        Expected("pixel", PIXEL_URL, "v:image", "src", context="conditional-comment"),
        id="vml-image",
    ),
    pytest.param(
        f'<!--[if gte mso 9]><v:rect src="{PIXEL_URL}" style="width:1px;height:1px"></v:rect><![endif]-->',
        Expected("pixel", PIXEL_URL, "v:rect", "src", context="conditional-comment"),
        id="vml-rect",
    ),
    # AMP for Email.
    pytest.param(
        _amp_message(f'<amp-img src="{PIXEL_URL}" {TINY} layout="fixed"></amp-img>'),
        Expected("pixel", PIXEL_URL, "amp-img", "src", context="amp"),
        id="amp-img",
    ),
    pytest.param(
        _amp_message(f'<amp-anim src="https://t.example.net/a/{TOKEN}.gif" {TINY}></amp-anim>'),
        Expected("pixel", f"https://t.example.net/a/{TOKEN}.gif", "amp-anim", "src", context="amp"),
        id="amp-anim",
    ),
    pytest.param(
        _amp_message(f'<amp-list src="https://api.example.net/cart?rid={TOKEN}" width="auto" height="100"></amp-list>'),
        Expected("tracked_image", f"https://api.example.net/cart?rid={TOKEN}", "amp-list", "src", context="amp"),
        id="amp-list",
    ),
    pytest.param(
        _amp_message(f'<amp-state id="cart" src="https://api.example.net/state?rid={TOKEN}"></amp-state>'),
        Expected("tracked_image", f"https://api.example.net/state?rid={TOKEN}", "amp-state", "src", context="amp"),
        id="amp-state",
    ),
    pytest.param(
        _amp_message(f'<form method="post" action-xhr="https://api.example.net/vote?rid={TOKEN}"></form>'),
        Expected("tracked_link", f"https://api.example.net/vote?rid={TOKEN}", "form", "action-xhr", context="amp"),
        id="amp-form",
    ),
    pytest.param(
        _amp_message(f'<amp-render src="https://api.example.net/offer?rid={TOKEN}" height="80"></amp-render>'),
        Expected("tracked_image", f"https://api.example.net/offer?rid={TOKEN}", "amp-render", "src", context="amp"),
        id="amp-render",
    ),
    pytest.param(
        _amp_message(f'<amp-autocomplete src="https://api.example.net/suggest?rid={TOKEN}"></amp-autocomplete>'),
        Expected(
            "tracked_image", f"https://api.example.net/suggest?rid={TOKEN}", "amp-autocomplete", "src", context="amp"
        ),
        id="amp-autocomplete",
    ),
    pytest.param(
        f'<iframe srcdoc="&lt;p&gt;Hi&lt;/p&gt;&lt;img src=&quot;{PIXEL_URL}&quot; width=1 height=1&gt;"></iframe>',
        Expected("pixel", PIXEL_URL, "img", "src", context="srcdoc"),
        id="iframe-srcdoc",
    ),
    # Links a client follows on a click, besides <a href>.
    pytest.param(
        '<a href="https://shop.example.com/sale" ping="https://stats.example.net/p">Spring sale</a>',
        Expected("tracked_link", "https://stats.example.net/p", "a", "ping"),
        id="a-ping",
    ),
    pytest.param(
        f'<form action="https://t.example.net/c/{TOKEN}a1b2"><input type="submit" value="Vote"></form>',
        Expected("tracked_link", f"https://t.example.net/c/{TOKEN}a1b2", "form", "action"),
        id="form-action",
    ),
    pytest.param(
        f'<form><button formaction="https://t.example.net/c/{TOKEN}c3d4">Yes</button></form>',
        Expected("tracked_link", f"https://t.example.net/c/{TOKEN}c3d4", "button", "formaction"),
        id="button-formaction",
    ),
    pytest.param(
        f'<link rel="preload" as="image" imagesrcset="{PIXEL_URL} 1x">',
        # A preloaded image has no box, so it is judged as an <img> without a declared size.
        Expected("tracked_image", PIXEL_URL, "link", "imagesrcset"),
        id="link-imagesrcset",
    ),
    # Other MIME parts.
    pytest.param(
        _message("text/plain", f"Shop the sale: {BREVO_CLICK}\nSee you soon."),
        Expected("tracked_link", BREVO_CLICK, "text", "url", context="text", vendor="Brevo (formerly Sendinblue)"),
        id="text-plain-link",
    ),
    pytest.param(
        _forwarded_message(f'<p>Spring sale</p><img src="{PIXEL_URL}" {TINY}>'),
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="rfc822-attachment",
    ),
    # Image proxies.
    pytest.param(
        f'<img src="{GMAIL_PROXY}#{MAILTRACK_OPEN}" width="0" height="0" style="display:none">',
        Expected("pixel", MAILTRACK_OPEN, "img", "src", vendor="Mailtrack (Mailsuite)"),
        id="gmail-proxy",
    ),
    pytest.param(
        f'<img src="{GMAIL_MEIPS}" {TINY}>',
        Expected("pixel", GMAIL_MEIPS, "img", "src"),
        id="gmail-meips",
    ),
    pytest.param(
        f'<img src="{FASTMAIL_PROXY}{SENDGRID_OPEN_SWAPPED}/open" alt="">',
        Expected("pixel", SENDGRID_OPEN, "img", "src", vendor="Twilio SendGrid"),
        id="fastmail-proxy",
    ),
    # Markup tricks.
    pytest.param(
        f'<html><body><p>Hello</p><noscript><img src="{PIXEL_URL}" {TINY}></noscript></body></html>',
        Expected("pixel", PIXEL_URL, "img", "src", context="noscript"),
        id="noscript",
    ),
    pytest.param(
        f'<img src="https:&#x2F;&#x2F;t.example.net&#x2F;o&#x2F;{TOKEN}" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="entity-slashes",
    ),
    pytest.param(
        f'<img src="&#104;ttps&#58;//t&#46;example&#46;net/o/{TOKEN}" width="&#49;" height="1">',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="entity-decimal",
    ),
    pytest.param(
        _message(
            "text/html",
            '<p>Hi</p><img src=3D"https://t.exam=\nple.net/o/7Hf3kQ9z=\nLm2Xp8Rv" width=3D"1" height=3D"1">',
            encoding="quoted-printable",
        ),
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="qp-soft-breaks",
    ),
    pytest.param(
        f'<IMG SRC="{PIXEL_URL}" WIDTH="1" HEIGHT="1">',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="uppercase-tags",
    ),
    pytest.param(
        f'<TABLE><TR><TD BACKGROUND="{PIXEL_URL}" STYLE="DISPLAY:NONE">x</TD></TR></TABLE>',
        Expected("pixel", PIXEL_URL, "td", "background"),
        id="uppercase-background",
    ),
    pytest.param(
        f'<img src="https://T.EXAMPLE.NET/o/{TOKEN}" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="uppercase-host",
    ),
    pytest.param(
        f'<img src="{PIXEL_URL}" src="{LOGO}" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="duplicate-src-first-wins",
    ),
    pytest.param(
        f'<img width="1" height="1" width="600" height="300" src="{PIXEL_URL}">',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="duplicate-size-first-wins",
    ),
    pytest.param(
        f'<img src="//t.example.net/o/{TOKEN}" {TINY}>',
        Expected("pixel", PIXEL_URL, "img", "src"),
        id="protocol-relative",
    ),
]


@pytest.mark.parametrize(("source", "expected"), POSITIVE)
def test_vector_positive(source: str, expected: Expected) -> None:
    report = _report(source)
    finding = _only_finding_for(report, expected.url)
    described = _describe(report)
    assert finding.kind.value == expected.kind, described
    assert finding.location.element == expected.element, described
    assert finding.location.attribute == expected.attribute, described
    assert finding.event == expected.event, described
    assert finding.location.context == expected.context, described
    if expected.vendor is not None:
        assert finding.vendor == expected.vendor, described


# --- Negative cases ------------------------------------------------------------------------

NEGATIVE = [
    # (source, URL that must still be reported as remote content, or None when not fetched on open)
    pytest.param(f'<img src="{LOGO}" width="200" height="60" alt="Maple & Moss">', LOGO, id="img-src"),
    pytest.param(
        f'<img src="{LOGO}" srcset="data:image/png;base64,iVBORw0KGgo,AAAANSUhEUg 1x, {HERO} 2x" width="600">',
        HERO,
        id="img-srcset",
    ),
    pytest.param(
        f'<picture><source srcset="{HERO}" media="(min-width: 600px)"><img src="{LOGO}" width="300"></picture>',
        HERO,
        id="picture-source",
    ),
    pytest.param(f'<input type="image" src="{LOGO}" width="120" height="40" alt="Buy">', LOGO, id="input-image"),
    pytest.param(f'<video poster="{HERO}" width="600" height="300" controls></video>', HERO, id="video-poster"),
    pytest.param(
        '<video src="https://cdn.example.com/v/tour.mp4" width="600" height="300" controls></video>',
        "https://cdn.example.com/v/tour.mp4",
        id="video-src",
    ),
    pytest.param(
        '<audio src="https://cdn.example.com/a/episode.mp3" controls></audio>',
        "https://cdn.example.com/a/episode.mp3",
        id="audio-src",
    ),
    pytest.param(
        '<audio src="https://cdn.example.com/a/episode-12.mp3" controls></audio>',
        "https://cdn.example.com/a/episode-12.mp3",
        id="audio-src-numbered",
    ),
    pytest.param(
        '<video controls><track kind="captions" src="https://cdn.example.com/v/tour.en.vtt"></video>',
        "https://cdn.example.com/v/tour.en.vtt",
        id="track-src",
    ),
    pytest.param(
        '<iframe src="https://www.example.com/embed/tour" width="560" height="315"></iframe>',
        "https://www.example.com/embed/tour",
        id="iframe-src",
    ),
    pytest.param(
        '<frameset><frame src="https://www.example.com/menu.html"></frameset>',
        "https://www.example.com/menu.html",
        id="frame-src",
    ),
    pytest.param(f'<object data="{HERO}" type="image/jpeg" width="600" height="300"></object>', HERO, id="object-data"),
    pytest.param(f'<embed src="{HERO}" type="image/jpeg" width="600" height="300">', HERO, id="embed-src"),
    pytest.param(
        '<applet code="Clock.class" archive="https://cdn.example.com/applets/clock.jar" width="200" height="100">'
        "</applet>",
        "https://cdn.example.com/applets/clock.jar",
        id="applet-archive",
    ),
    pytest.param(
        f'<svg width="200" height="60"><image href="{LOGO}" width="200" height="60"/></svg>', LOGO, id="svg-image"
    ),
    pytest.param(
        f'<svg width="200" height="60"><image xlink:href="{LOGO}" width="200" height="60"/></svg>',
        LOGO,
        id="svg-image-xlink",
    ),
    pytest.param(
        '<svg width="24" height="24"><use href="https://cdn.example.com/icons.svg#cart" width="24" height="24"/></svg>',
        "https://cdn.example.com/icons.svg#cart",
        id="svg-use",
    ),
    pytest.param(
        f'<svg width="600" height="300"><filter id="f"><feImage href="{HERO}" width="600" height="300"/></filter>'
        "</svg>",
        HERO,
        id="svg-feimage",
    ),
    pytest.param(
        '<body background="https://cdn.example.com/img/paper.jpg"><p>Hello</p></body>',
        "https://cdn.example.com/img/paper.jpg",
        id="body-background",
    ),
    pytest.param(
        '<table background="https://cdn.example.com/img/paper.jpg" width="600"><tr><td>x</td></tr></table>',
        "https://cdn.example.com/img/paper.jpg",
        id="table-background",
    ),
    pytest.param(
        f'<table><tr><td background="{HERO}" width="600" height="300">Spring</td></tr></table>',
        HERO,
        id="td-background",
    ),
    pytest.param(
        f'<table><tr><th background="{HERO}" width="600" height="40">Total</th></tr></table>', HERO, id="th-background"
    ),
    pytest.param(f'<table><tr background="{HERO}"><td>x</td></tr></table>', HERO, id="tr-background"),
    pytest.param(f'<div background="{HERO}" style="width:600px;height:300px"></div>', HERO, id="div-background"),
    pytest.param(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">',
        "https://fonts.googleapis.com/css2?family=Inter",
        id="link-stylesheet",
    ),
    pytest.param(
        '<link rel="icon" href="https://www.example.com/favicon.ico">',
        "https://www.example.com/favicon.ico",
        id="link-icon",
    ),
    pytest.param(f'<link rel="preload" as="image" href="{HERO}">', HERO, id="link-preload"),
    pytest.param(
        '<link rel="prefetch" href="https://cdn.example.com/css/print.css">',
        "https://cdn.example.com/css/print.css",
        id="link-prefetch",
    ),
    pytest.param(
        '<link rel="dns-prefetch" href="//cdn.example.com">', "https://cdn.example.com", id="link-dns-prefetch"
    ),
    pytest.param(
        '<link rel="preconnect" href="https://fonts.gstatic.com">', "https://fonts.gstatic.com", id="link-preconnect"
    ),
    pytest.param(
        '<meta http-equiv="refresh" content="0; URL=\'https://www.example.com/welcome\'">', None, id="meta-refresh"
    ),
    pytest.param(
        '<base href="https://cdn.example.com/img/"><img src="logo.png" width="200" height="60">', LOGO, id="base"
    ),
    pytest.param(
        f'<table><tr><td style="background:url({HERO}) center/cover" width="600" height="300">x</td></tr></table>',
        HERO,
        id="style-background",
    ),
    pytest.param(
        f"<div style=\"background-image:url('{HERO}');width:600px;height:300px\"></div>",
        HERO,
        id="style-background-image",
    ),
    pytest.param(
        '<ul style="list-style-image:url(https://cdn.example.com/img/leaf.png)"><li>Repot</li></ul>',
        "https://cdn.example.com/img/leaf.png",
        id="style-list-style-image",
    ),
    pytest.param(
        '<div style="border-image:url(https://cdn.example.com/img/frame.png) 30 round;width:600px"></div>',
        "https://cdn.example.com/img/frame.png",
        id="style-border-image",
    ),
    pytest.param(
        '<a href="https://www.example.com/" style="cursor:url(https://cdn.example.com/img/hand.cur), pointer">Shop</a>',
        "https://cdn.example.com/img/hand.cur",
        id="style-cursor",
    ),
    pytest.param(
        '<span style="content:url(https://cdn.example.com/img/star.png)"></span>',
        "https://cdn.example.com/img/star.png",
        id="style-content",
    ),
    pytest.param(
        '<div style="mask:url(https://cdn.example.com/img/wave.svg);width:600px;height:40px"></div>',
        "https://cdn.example.com/img/wave.svg",
        id="style-mask",
    ),
    pytest.param(
        f"<div style=\"background-image:image-set('{HERO}' 1x);width:600px;height:300px\"></div>",
        HERO,
        id="style-image-set",
    ),
    pytest.param(
        f'<div style="background-image:-webkit-image-set(url({HERO}) 1x);width:600px;height:300px"></div>',
        HERO,
        id="style-webkit-image-set",
    ),
    pytest.param(
        f'<div style="background:\\75 rl({HERO});width:600px;height:300px"></div>', HERO, id="style-escaped-u"
    ),
    pytest.param(
        f'<div style="--hero:url({HERO});background:var(--hero);width:600px;height:300px"></div>',
        HERO,
        id="style-custom-property",
    ),
    pytest.param(f"<style>.hero{{background:url({HERO})}}</style>", HERO, id="style-block"),
    pytest.param(
        '<style>@import url("https://fonts.googleapis.com/css2?family=Inter");</style>',
        "https://fonts.googleapis.com/css2?family=Inter",
        id="import-url-form",
    ),
    pytest.param(
        '<style>@import "https://cdn.example.com/css/newsletter.css";</style>',
        "https://cdn.example.com/css/newsletter.css",
        id="import-string-form",
    ),
    pytest.param(
        f'<style>@font-face{{font-family:Inter;src:url({GSTATIC_FONT}) format("woff2")}}</style>',
        GSTATIC_FONT,
        id="font-face-gstatic",
    ),
    pytest.param(
        "<style>@media screen and (max-width:600px){.hero{background:url(https://cdn.example.com/img/m.jpg)}}</style>",
        "https://cdn.example.com/img/m.jpg",
        id="media-screen",
    ),
    pytest.param(
        "<style>.cta:hover{background:url(https://cdn.example.com/img/button-hover.png)}</style>",
        "https://cdn.example.com/img/button-hover.png",
        id="hover-static",
    ),
    pytest.param(
        '<!--[if mso]><img src="https://cdn.example.com/img/outlook-hero.png" width="600" height="300"><![endif]-->',
        "https://cdn.example.com/img/outlook-hero.png",
        id="if-mso",
    ),
    pytest.param(
        f'<!--[if !mso]><!--><img src="{HERO}" width="600" height="300"><!--<![endif]-->', HERO, id="if-not-mso"
    ),
    pytest.param(
        '<!--[if gte mso 9]><v:rect style="width:600px;height:300px" stroke="f">'
        '<v:fill type="frame" src="https://cdn.example.com/img/hero-bg.jpg"/></v:rect><![endif]-->',
        "https://cdn.example.com/img/hero-bg.jpg",
        id="vml-fill",
    ),
    pytest.param(
        '<!--[if gte mso 9]><v:image src="https://cdn.example.com/img/badge.png" style="width:120px;height:40px"/>'
        "<![endif]-->",
        "https://cdn.example.com/img/badge.png",
        id="vml-image",
    ),
    pytest.param(
        f'<!--[if gte mso 9]><v:rect src="{HERO}" style="width:600px;height:300px"></v:rect><![endif]-->',
        HERO,
        id="vml-rect",
    ),
    pytest.param(
        _amp_message('<amp-img src="https://cdn.example.com/img/product.jpg" width="300" height="200"></amp-img>'),
        "https://cdn.example.com/img/product.jpg",
        id="amp-img",
    ),
    pytest.param(
        _amp_message('<amp-anim src="https://cdn.example.com/img/spinner.gif" width="48" height="48"></amp-anim>'),
        "https://cdn.example.com/img/spinner.gif",
        id="amp-anim",
    ),
    pytest.param(
        _amp_message(
            '<amp-list src="https://shop.example.com/api/products.json" width="auto" height="100"></amp-list>'
        ),
        "https://shop.example.com/api/products.json",
        id="amp-list",
    ),
    pytest.param(
        _amp_message('<amp-state id="s" src="https://shop.example.com/api/config.json"></amp-state>'),
        "https://shop.example.com/api/config.json",
        id="amp-state",
    ),
    pytest.param(
        _amp_message('<form method="post" action-xhr="https://shop.example.com/api/subscribe"></form>'),
        None,
        id="amp-form",
    ),
    pytest.param(
        '<form action="https://shop.example.com/search"><input name="q"><button>Search</button></form>',
        None,
        id="form-action",
    ),
    pytest.param('<a href="https://shop.example.com/sale">Spring sale</a>', None, id="a-without-ping"),
    pytest.param(
        '<iframe srcdoc="&lt;img src=&quot;https://cdn.example.com/img/hero.jpg&quot; width=600 height=300&gt;">'
        "</iframe>",
        HERO,
        id="iframe-srcdoc",
    ),
    pytest.param(
        '<link rel="preload" as="image" imagesrcset="https://cdn.example.com/img/hero.jpg 1x">',
        "https://cdn.example.com/img/hero.jpg",
        id="link-imagesrcset",
    ),
    pytest.param(
        _amp_message('<amp-render src="https://shop.example.com/api/offer.json" height="80"></amp-render>'),
        "https://shop.example.com/api/offer.json",
        id="amp-render",
    ),
    pytest.param(
        _message("text/plain", "Read more at https://www.example.com/blog/spring-repotting.\nThanks!"),
        None,
        id="text-plain",
    ),
    pytest.param(
        _forwarded_message(f'<p>Spring sale</p><img src="{HERO}" width="600" height="300">'),
        HERO,
        id="rfc822-attachment",
    ),
    pytest.param(
        f'<img src="{GMAIL_PROXY}#{LOGO}" width="200" height="60">',
        LOGO,
        id="gmail-proxy",
    ),
    pytest.param(f'<img src="{GMAIL_MEIPS}" width="600" height="200">', GMAIL_MEIPS, id="gmail-meips"),
    pytest.param(
        f'<img src="{FASTMAIL_PROXY}{LOGO_SWAPPED}/logo.png" width="200" height="60">', LOGO, id="fastmail-proxy"
    ),
    pytest.param(
        f'<html><body><noscript><img src="{HERO}" width="600" height="300"></noscript></body></html>',
        HERO,
        id="noscript",
    ),
    pytest.param(
        '<img src="https:&#x2F;&#x2F;cdn.example.com&#x2F;img&#x2F;logo.png" width="200" height="60">',
        LOGO,
        id="entity-slashes",
    ),
    pytest.param(
        _message(
            "text/html",
            '<img src=3D"https://cdn.exam=\nple.com/img/logo.png" width=3D"200" height=3D"60">',
            encoding="quoted-printable",
        ),
        LOGO,
        id="qp-soft-breaks",
    ),
    pytest.param(f'<IMG SRC="{LOGO}" WIDTH="200" HEIGHT="60">', LOGO, id="uppercase-tags"),
    pytest.param(f'<img width="600" height="300" width="1" height="1" src="{HERO}">', HERO, id="duplicate-size"),
    pytest.param('<img src="//cdn.example.com/img/logo.png" width="200" height="60">', LOGO, id="protocol-relative"),
]


@pytest.mark.parametrize(("source", "remote_url"), NEGATIVE)
def test_vector_negative(source: str, remote_url: str | None) -> None:
    report = _report(source)
    described = _describe(report)
    assert not [finding for finding in report.findings if finding.kind.value in FLAGGED], described
    assert not report.tracked, described
    if remote_url is not None:
        assert [finding.kind.value for finding in report.findings if finding.url == remote_url] == ["remote_content"], (
            described
        )


# --- Single-purpose checks -----------------------------------------------------------------


def test_srcset_data_url_commas() -> None:
    # With a <base>, a data: URL wrongly split at its commas would yield resolvable pieces.
    html = (
        '<base href="https://cdn.example.com/">'
        f'<img srcset="data:image/png;base64,iVBORw0KGgo,AAAANSUhEUg 1x, {PIXEL_URL} 2x" {TINY}>'
    )
    findings = detect_html(html).findings
    assert [finding.url for finding in findings if "TD803" not in finding.codes] == [PIXEL_URL]


@pytest.mark.parametrize(("include", "expected"), [(True, [("remote_content", "TD803")]), (False, [])])
def test_base_finding_follows_remote_content_option(include: bool, expected: list[tuple[str, str]]) -> None:
    report = detect_html('<base href="https://cdn.example.com/">', options=Options(include_remote_content=include))
    assert [(finding.kind.value, finding.codes[0]) for finding in report.findings] == expected


@pytest.mark.parametrize(
    ("source", "url", "event"),
    [
        pytest.param(
            "<style>@media print{.logo{background:url(https://cdn.example.com/img/print-logo.png)}}</style>",
            "https://cdn.example.com/img/print-logo.png",
            "print",
            id="media-print-static",
        ),
        pytest.param(
            "<style>blockquote .sig{background:url(https://cdn.example.com/img/signature.png)}</style>",
            "https://cdn.example.com/img/signature.png",
            "forward",
            id="forward-static",
        ),
    ],
)
def test_static_event_image_is_low_pixel(source: str, url: str, event: str) -> None:
    # A static image still reveals the event to its server, but not who caused it.
    report = detect_html(source)
    found = [finding for finding in report.findings if finding.url == url]
    assert [finding.kind.value for finding in found] == ["pixel"]
    assert found[0].event == event
    assert found[0].confidence.value == "low"
    assert not report.tracked


def test_base_href_reported() -> None:
    report = detect_html(f'<base href="https://t.example.net/o/"><img src="{TOKEN}" {TINY}>')
    assert [(f.location.element, f.location.attribute) for f in report.findings if f.url == "https://t.example.net/o/"]


@pytest.mark.parametrize(
    ("html", "vendors"),
    [
        pytest.param(
            f'<img src="{GMAIL_PROXY}#{MAILTRACK_OPEN}" width="0" height="0">',
            ("Mailtrack (Mailsuite)",),
            id="proxy-with-original",
        ),
        pytest.param(
            f'<img src="{GMAIL_MEIPS}" {TINY}>',
            (),
            id="opaque-meips",
        ),
        pytest.param(
            f'<img src="{FASTMAIL_PROXY}{SENDGRID_OPEN_SWAPPED}/open" {TINY}>',
            ("Twilio SendGrid",),
            id="fastmail-proxy-with-original",
        ),
    ],
)
def test_proxy_not_vendor(html: str, vendors: tuple[str, ...]) -> None:
    assert detect_html(html).vendors == vendors


def test_text_link_part() -> None:
    report = detect(_message("text/plain", f"Shop the sale: {BREVO_CLICK}"))
    assert [finding.location.part for finding in report.findings] == ["1"]


def test_rfc822_part_path() -> None:
    report = detect(_forwarded_message(f'<img src="{PIXEL_URL}" {TINY}>'))
    assert _only_finding_for(report, PIXEL_URL).location.part == "2"


# --- Content-Location and Content-Base ----------------------------------------------------


def _with_part_headers(html: str, root: str = "", part: str = "") -> str:
    """Return a multipart/related message whose HTML part carries ``part`` headers."""
    return (
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Spring sale\n"
        "MIME-Version: 1.0\n"
        f"{root}"
        'Content-Type: multipart/related; boundary="rel"\n'
        "\n"
        "--rel\n"
        "Content-Type: text/html; charset=utf-8\n"
        f"{part}"
        "\n"
        f"{html}\n"
        "--rel--\n"
    )


RELATIVE_PIXEL = f'<p>Hello</p><img src="o/{TOKEN}" {TINY}>'


@pytest.mark.parametrize(
    ("raw", "expected_url"),
    [
        pytest.param(
            _with_part_headers(RELATIVE_PIXEL, part="Content-Location: https://t.example.net/mail/index.html\n"),
            f"https://t.example.net/mail/o/{TOKEN}",
            id="part-content-location",
        ),
        pytest.param(
            _with_part_headers(RELATIVE_PIXEL, part="Content-Base: https://t.example.net/\n"),
            f"https://t.example.net/o/{TOKEN}",
            id="part-content-base",
        ),
        pytest.param(
            _with_part_headers(RELATIVE_PIXEL, root="Content-Location: https://t.example.net/news/\n"),
            f"https://t.example.net/news/o/{TOKEN}",
            id="message-content-location",
        ),
        pytest.param(
            _with_part_headers(
                f'<base href="https://other.example.net/"><img src="o/{TOKEN}" {TINY}>',
                part="Content-Location: https://t.example.net/\n",
            ),
            f"https://other.example.net/o/{TOKEN}",
            id="base-element-wins",
        ),
        pytest.param(
            _with_part_headers(
                f'<!--[if mso]><img src="o/{TOKEN}" {TINY}><![endif]-->',
                part="Content-Location: https://t.example.net/\n",
            ),
            f"https://t.example.net/o/{TOKEN}",
            id="conditional-comment",
        ),
    ],
)
def test_content_location_resolves(raw: str, expected_url: str) -> None:
    report = detect(raw)
    assert [finding.url for finding in report.findings if finding.kind.value == "pixel"] == [expected_url]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Content-Location: index.html\n", id="relative"),
        pytest.param("Content-Location: cid:part1@example.com\n", id="cid"),
        pytest.param("", id="none"),
    ],
)
def test_relative_url_without_usable_base_dropped(header: str) -> None:
    assert detect(_with_part_headers(RELATIVE_PIXEL, part=header)).findings == ()


# --- Calendar invitations -----------------------------------------------------------------


def _invitation(description: str) -> str:
    return (
        "From: Events <events@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Invitation: Spring workshop\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="mix"\n'
        "\n"
        "--mix\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "You are invited.\n"
        "--mix\n"
        "Content-Type: text/calendar; charset=utf-8; method=REQUEST\n"
        "\n"
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:42@shop.example.com\r\n"
        f"{description}"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
        "--mix--\n"
    )


def test_calendar_folded_link_found() -> None:
    # RFC 5545 folds lines longer than 75 octets; the link spans the fold.
    folded = f"DESCRIPTION:Join us\\, then register: {BREVO_CLICK[:40]}\r\n {BREVO_CLICK[40:]}\\nSee you\r\n"
    report = detect(_invitation(folded))
    finding = _only_finding_for(report, BREVO_CLICK)
    assert (finding.kind.value, finding.location.part, finding.location.element) == ("tracked_link", "2", "text")


def test_calendar_plain_link_not_tracked() -> None:
    report = detect(_invitation("URL:https://www.example.com/events/spring-workshop\r\n"))
    assert not [finding for finding in report.findings if finding.kind.value == "tracked_link"]


def test_inner_multipart_content_location() -> None:
    # RFC 2557: the Content-Location of a multipart/related is the base of its parts.
    raw = (
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Spring sale\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="mix"\n'
        "\n"
        "--mix\n"
        'Content-Type: multipart/related; boundary="rel"\n'
        "Content-Location: https://t.example.net/mail/\n"
        "\n"
        "--rel\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        f"{RELATIVE_PIXEL}\n"
        "--rel--\n"
        "--mix--\n"
    )
    pixels = [finding.url for finding in detect(raw).findings if finding.kind.value == "pixel"]
    assert pixels == [f"https://t.example.net/mail/o/{TOKEN}"]


def test_attached_message_keeps_own_base() -> None:
    # A forwarded message is a document of its own: the outer base does not reach into it.
    raw = (
        "From: Ann <ann.lee@example.org>\n"
        "To: bob@example.org\n"
        "Subject: Fwd: Spring sale\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="mix"\n'
        "Content-Location: https://t.example.net/outer/\n"
        "\n"
        "--mix\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "From: Maple & Moss <hello@shop.example.com>\n"
        "Subject: Spring sale\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        f"{RELATIVE_PIXEL}\n"
        "--mix--\n"
    )
    assert detect(raw).findings == ()


# --- Frames are documents of their own ---------------------------------------------------


def _srcdoc(html: str) -> str:
    return html.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def test_srcdoc_frames_do_not_share_hiding() -> None:
    # The second frame's tree may reuse the memory of the first, freed one.
    first = _srcdoc("<div style=display:none><img src=https://t.example.net/a.gif></div>")
    second = _srcdoc(f"<div><img src={HERO} width=600 height=300></div>")
    report = detect_html(f'<iframe srcdoc="{first}"></iframe><iframe srcdoc="{second}"></iframe>')
    hero = _only_finding_for(report, HERO)
    assert "TD201" not in hero.codes


def test_srcdoc_ignores_outer_style_sheet() -> None:
    inner = _srcdoc(f'<img class="hid" src="{HERO}" width="600" height="300">')
    report = detect_html(f'<style>.hid {{ display: none }}</style><iframe srcdoc="{inner}"></iframe>')
    assert "TD201" not in _only_finding_for(report, HERO).codes


def test_srcdoc_limit_counts_nested_frames() -> None:
    leaf = _srcdoc(f'<img src="{PIXEL_URL}" {TINY}>')
    middle = _srcdoc(f'<iframe srcdoc="{leaf}"></iframe>' * 10)
    report = detect_html(f'<iframe srcdoc="{middle}"></iframe>' * 10)
    references = [finding for finding in report.findings if finding.location.context == "srcdoc"]
    assert len(references) <= 10


def test_ping_has_no_link_text() -> None:
    html = '<a href="https://shop.example.com/sale" ping="https://stats.example.net/p">www.shop.example.com</a>'
    finding = _only_finding_for(detect_html(html), "https://stats.example.net/p")
    assert "TD503" not in finding.codes
    assert finding.link_text is None


@pytest.mark.parametrize(
    ("location", "src"),
    [
        pytest.param("spacer2024.gif", "spacer2024.gif", id="relative"),
        pytest.param("https://shop.example.com/mail/spacer2024.gif", "spacer2024.gif", id="absolute"),
    ],
)
def test_mhtml_part_reference_is_content(location: str, src: str) -> None:
    # A client may show the part with this Content-Location instead of fetching the URL, but
    # a part of the message must never hide a tracker, so the reference is remote content.
    raw = (
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Spring sale\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/related; boundary="rel"\n'
        "Content-Location: https://shop.example.com/mail/\n"
        "\n"
        "--rel\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        f'<p>Hello</p><img src="{src}" width="600" height="20">\n'
        "--rel\n"
        "Content-Type: image/gif\n"
        "Content-Transfer-Encoding: base64\n"
        f"Content-Location: {location}\n"
        "\n"
        "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\n"
        "--rel--\n"
    )
    report = detect(raw)
    assert [finding.kind.value for finding in report.findings] == ["remote_content"]
    assert not report.tracked


def _with_image_part(container: str, image_headers: str, html: str, outer: str = "") -> str:
    return (
        "From: Maple & Moss <hello@shop.example.com>\n"
        "To: ann.lee@example.org\n"
        "Subject: Spring sale\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: {container}; boundary="b"\n'
        f"{outer}"
        "\n"
        "--b\n"
        "Content-Type: text/html; charset=utf-8\n"
        "\n"
        f"{html}\n"
        "--b\n"
        "Content-Type: image/gif\n"
        "Content-Transfer-Encoding: base64\n"
        f"{image_headers}"
        "\n"
        "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\n"
        "--b--\n"
    )


@pytest.mark.parametrize(
    ("container", "image_headers"),
    [
        pytest.param("multipart/related", f"Content-ID: <{PIXEL_URL}>\n", id="content-id-named-as-url"),
        pytest.param("multipart/mixed", f"Content-Location: {PIXEL_URL}\n", id="location-outside-related"),
    ],
)
def test_attached_image_does_not_hide_pixel(container: str, image_headers: str) -> None:
    # Only a Content-Location inside a multipart/related stands for a URL (RFC 2557).
    report = detect(_with_image_part(container, image_headers, f'<img src="{PIXEL_URL}" {TINY}>'))
    assert [finding.url for finding in report.findings if finding.kind.value == "pixel"] == [PIXEL_URL]


def test_relative_location_resolves_against_outer_base() -> None:
    raw = _with_image_part(
        "multipart/related",
        "Content-Location: page/logo.png\n",
        '<img src="logo.png" width="200" height="60">',
        outer="Content-Location: https://shop.example.com/a/\n",
    ).replace(
        "Content-Type: text/html; charset=utf-8\n",
        "Content-Type: text/html; charset=utf-8\nContent-Location: page/index.html\n",
    )
    urls = [finding.url for finding in detect(raw).findings]
    assert urls == ["https://shop.example.com/a/page/logo.png"]
