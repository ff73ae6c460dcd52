"""MIME reading as a mail client sees it, through detect() and trackdetect._mime.parse_message.

Every message here is built in the test. The cases cover transfer encodings (quoted-printable
soft breaks, broken base64), declared, unknown, lying and missing charsets, and RFC 2047
headers. They also cover nested message/rfc822, multipart/related with cid: images, broken
boundaries, deep nesting and input that is not an email at all.
"""

from __future__ import annotations

import base64
import codecs
import email
import email.policy
import io
import quopri
import time
from email.message import EmailMessage, Message
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from trackdetect import Options, Report, _mime, detect, detect_html
from trackdetect._mime import MAX_PARAMETER_HEADER, ParsedMessage, parse_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.glob("*.eml"))

PIXEL_URL = "https://t.example.net/open?u=8f3a2c9d71b4e6f0"
PIXEL_TAG = f'<img src="{PIXEL_URL}" width="1" height="1" alt="">'

# A 1x1 transparent GIF, the classic spacer and pixel image.
GIF_1X1 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# The 8bit cases guard the raw bytes of a body: compat32's get_payload() without
# decode=True returns text already decoded with the declared charset (or ASCII), and
# decoding that text a second time garbles every 8bit body that is not UTF-8.


def _headers(content_type: str, *, encoding: str | None = None, extra: str = "") -> str:
    lines = [
        "From: Shop <news@shop.example.com>",
        "To: Ann Lee <ann.lee@example.org>",
        "Subject: Test message",
        "Date: Mon, 3 Jun 2024 09:00:00 +0000",
        "Message-ID: <t1@shop.example.com>",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    ]
    if encoding is not None:
        lines.append(f"Content-Transfer-Encoding: {encoding}")
    head = "\r\n".join(lines) + "\r\n"
    return head + extra + "\r\n"


def _message(content_type: str, body: bytes, *, encoding: str | None = None) -> bytes:
    return _headers(content_type, encoding=encoding).encode("ascii") + body


def _html_page(text: str = "Hello", *, head: str = "") -> str:
    return f"<html><head>{head}</head><body><p>{text}</p>{PIXEL_TAG}</body></html>"


def _pixel_urls(report: Report) -> list[str]:
    return [finding.url for finding in report.findings if finding.kind.value == "pixel"]


def _pixel_parts(report: Report) -> list[str]:
    return [finding.location.part for finding in report.findings if finding.kind.value == "pixel"]


def _defect_codes(result: Report | ParsedMessage) -> list[str]:
    return [defect.code for defect in result.defects]


def _tracking_kinds(report: Report) -> list[str]:
    return [finding.kind.value for finding in report.findings if finding.is_tracking]


def _html_text(raw: bytes) -> str:
    parsed = parse_message(raw)
    assert len(parsed.html_parts) == 1, parsed.html_parts
    return parsed.html_parts[0].text


def _transfer_encode(data: bytes, encoding: str) -> bytes:
    if encoding == "quoted-printable":
        return quopri.encodestring(data).replace(b"\n", b"\r\n")
    if encoding == "base64":
        encoded = base64.b64encode(data)
        return b"\r\n".join(encoded[start : start + 76] for start in range(0, len(encoded), 76))
    return data


# --- quoted-printable ----------------------------------------------------------------------


QP_HOST_BREAK = b'<img src=3D"https://t.exa=\r\nmple.net/open?u=3D8f3a2c9d71b4e6f0" width=3D"1" height=3D"1">\r\n'
QP_BODIES = [
    pytest.param(QP_HOST_BREAK, id="crlf-break-in-host"),
    pytest.param(
        b'<img src=3D"https://t.exa=\nmple.net/open?u=3D8f3a2c9d71b4e6f0" width=3D"1" height=3D"1">\n',
        id="lf-break-in-host",
    ),
    pytest.param(
        b'<img src=3D"https://t.example.net/open?u=3D8f3a2c9d=\r\n71b4e6f0" width=3D"1" height=3D"1">\r\n',
        id="break-in-query-value",
    ),
    pytest.param(
        b'<img src=3D"https://t.example.net/open?u=3D8f3a2c9d71b4e6f0" wi=\r\ndth=3D"1" hei=\r\nght=3D"1">\r\n',
        id="break-in-attribute-names",
    ),
    pytest.param(
        b'<img src=3D=\r\n"https://t.example.net/open?u=3D8f3a2c9d71b4e6f0" width=3D=\r\n"1" height=3D"1">\r\n',
        id="break-after-equals-sign",
    ),
    pytest.param(
        b'<img src=3d"https://t.exa=\r\nmple.net/open?u=3d8f3a2c9d71b4e6f0" width=3d"1" height=3d"1">\r\n',
        id="lowercase-hex",
    ),
    pytest.param(
        b'<img src=3D"https://t.exa=  \r\nmple.net/open?u=3D8f3a2c9d71b4e6f0" width=3D"1" height=3D"1">\r\n',
        id="whitespace-after-soft-break",
    ),
]


@pytest.mark.parametrize("body", QP_BODIES)
def test_qp_pixel_found(body: bytes) -> None:
    report = detect(_message("text/html; charset=utf-8", body, encoding="quoted-printable"))
    assert _pixel_urls(report) == [PIXEL_URL]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"], ids=["crlf", "lf"])
def test_qp_encoder_output(newline: bytes) -> None:
    # quopri wraps at 76 characters wherever the line is, here inside the long pixel URL.
    long_url = "https://t.example.net/open?u=8f3a2c9d71b4e6f0&campaign=" + "9" * 80 + "&list=spring-2024"
    html = f'<html><body><p>Hi</p><img src="{long_url}" width="1" height="1"></body></html>'.encode()
    encoded = quopri.encodestring(html)
    assert b"=\n" in encoded
    raw = _message("text/html; charset=utf-8", encoded.replace(b"\n", newline), encoding="quoted-printable")
    assert _pixel_urls(detect(raw.replace(b"\r\n", newline))) == [long_url]


def test_qp_valid_no_defects() -> None:
    raw = _message("text/html; charset=utf-8", QP_HOST_BREAK, encoding="quoted-printable")
    assert _defect_codes(detect(raw)) == []


@pytest.mark.parametrize("label", ["Quoted-Printable", "QUOTED-PRINTABLE", " quoted-printable "])
def test_qp_encoding_label_case(label: str) -> None:
    raw = _message("text/html; charset=utf-8", QP_HOST_BREAK, encoding=label)
    assert _pixel_urls(detect(raw)) == [PIXEL_URL]


# --- base64 --------------------------------------------------------------------------------


def _html_of_length_mod3(remainder: int) -> bytes:
    """Return the pixel page padded with spaces so that its length is ``remainder`` mod 3."""
    html = _html_page("Your order has shipped").encode()
    while len(html) % 3 != remainder:
        html += b" "
    return html


def _wrapped(encoded: bytes, width: int = 76, newline: bytes = b"\r\n") -> bytes:
    return newline.join(encoded[start : start + width] for start in range(0, len(encoded), width))


# Each case: the base64 body, and the one base64 defect code that must be recorded (or None).
BASE64_BODIES = {
    "no-padding-needed": (_wrapped(base64.b64encode(_html_of_length_mod3(0))), None),
    "well-formed-padded": (_wrapped(base64.b64encode(_html_of_length_mod3(1))), None),
    "padding-stripped": (_wrapped(base64.b64encode(_html_of_length_mod3(1)).rstrip(b"=")), "mime.bad-base64-padding"),
    "length-1-mod-4": (_wrapped(base64.b64encode(_html_of_length_mod3(0)) + b"Q"), "mime.bad-base64"),
    "extra-padding": (base64.b64encode(_html_of_length_mod3(2)) + b"===", "mime.bad-base64-padding"),
    "short-lf-lines": (_wrapped(base64.b64encode(_html_of_length_mod3(0)), 10, b"\n"), None),
    "stray-characters": (
        _wrapped(base64.b64encode(_html_of_length_mod3(0))).replace(b"A", b"A!").replace(b"g", b" \tg*"),
        None,
    ),
}


@pytest.mark.parametrize("name", BASE64_BODIES)
def test_base64_pixel_found(name: str) -> None:
    body, _defect = BASE64_BODIES[name]
    report = detect(_message("text/html; charset=utf-8", body, encoding="base64"))
    assert _pixel_urls(report) == [PIXEL_URL]


@pytest.mark.parametrize("name", BASE64_BODIES)
def test_base64_defects(name: str) -> None:
    body, defect = BASE64_BODIES[name]
    codes = [code for code in _defect_codes(detect(_message("text/html", body, encoding="base64"))) if "base64" in code]
    assert codes == ([defect] if defect else [])


def test_base64_length_1_mod_4_precondition() -> None:
    body = base64.b64encode(_html_of_length_mod3(0)) + b"Q"
    assert len(body) % 4 == 1


@pytest.mark.parametrize("label", ["BASE64", "Base64", " base64 "])
def test_base64_encoding_label_case(label: str) -> None:
    body = base64.b64encode(_html_of_length_mod3(0))
    assert _pixel_urls(detect(_message("text/html", body, encoding=label))) == [PIXEL_URL]


# --- 7bit, 8bit, binary --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["7bit", "8bit", "binary", None])
def test_identity_encoding_pixel_found(encoding: str | None) -> None:
    raw = _message("text/html; charset=utf-8", _html_page("Grüße aus Köln").encode(), encoding=encoding)
    assert _pixel_urls(detect(raw)) == [PIXEL_URL]


def test_8bit_utf8_text_kept() -> None:
    raw = _message("text/html; charset=utf-8", _html_page("naïve café 🚀").encode(), encoding="8bit")
    assert "naïve café 🚀" in _html_text(raw)


def test_unknown_transfer_encoding_defect() -> None:
    raw = _message("text/html; charset=utf-8", _html_page().encode(), encoding="x-gzip64")
    report = detect(raw)
    assert "mime.unknown-transfer-encoding" in _defect_codes(report)


def test_unknown_transfer_encoding_pixel_found() -> None:
    raw = _message("text/html; charset=utf-8", _html_page().encode(), encoding="x-gzip64")
    assert _pixel_urls(detect(raw)) == [PIXEL_URL]


# --- declared charsets ---------------------------------------------------------------------


CHARSET_TEXTS = [
    ("iso-8859-1", "Grüße aus Köln"),
    ("windows-1252", "Preis: 20 € \u2013 „gut“"),
    ("utf-8", "naïve café 🚀"),
    ("iso-2022-jp", "日本語のお知らせ"),
    ("koi8-r", "Привет, мир"),
    ("gb2312", "中文邮件"),
]


def _charset_cases() -> list[Any]:
    cases = []
    for charset, text in CHARSET_TEXTS:
        for encoding in ("8bit", "quoted-printable", "base64"):
            cases.append(pytest.param(charset, text, encoding, id=f"{charset}-{encoding}"))
    return cases


@pytest.mark.parametrize(("charset", "text", "encoding"), _charset_cases())
def test_charset_text_decoded(charset: str, text: str, encoding: str) -> None:
    body = _transfer_encode(_html_page(text).encode(charset), encoding)
    raw = _message(f'text/html; charset="{charset}"', body, encoding=encoding)
    assert text in _html_text(raw)


def _charset_defect_cases() -> list[Any]:
    cases = []
    for charset, text in CHARSET_TEXTS:
        cases.append(pytest.param(charset, text, id=charset))
    return cases


@pytest.mark.parametrize(("charset", "text"), _charset_defect_cases())
def test_charset_8bit_no_defect(charset: str, text: str) -> None:
    raw = _message(f'text/html; charset="{charset}"', _html_page(text).encode(charset), encoding="8bit")
    assert _defect_codes(detect(raw)) == []


@pytest.mark.parametrize(("charset", "text"), CHARSET_TEXTS)
def test_charset_pixel_found(charset: str, text: str) -> None:
    raw = _message(f'text/html; charset="{charset}"', _html_page(text).encode(charset), encoding="8bit")
    assert _pixel_urls(detect(raw)) == [PIXEL_URL]


def test_charset_latin1_label_is_cp1252() -> None:
    # Quoted-printable keeps this case independent of how 8bit bodies are read.
    raw = _message(
        'text/html; charset="iso-8859-1"', b"<p>Preis: 20 =80</p>" + PIXEL_TAG.encode(), encoding="quoted-printable"
    )
    assert "20 €" in _html_text(raw)


def test_charset_gb2312_label_is_gbk() -> None:
    body = _transfer_encode(_html_page("中文邮件 镕").encode("gbk"), "quoted-printable")
    raw = _message('text/html; charset="gb2312"', body, encoding="quoted-printable")
    assert "镕" in _html_text(raw)


def test_charset_french_unsubscribe_8bit() -> None:
    # A latin-1 unsubscribe link must stay recognisable, as it is in UTF-8, not become a tracked link.
    html = (
        "<html><body><p>Bonjour</p>"
        '<a href="https://news.example.fr/c/8f3a2c9d71b4e6f0?u=77123">Se désinscrire</a></body></html>'
    )
    report = detect(_message("text/html; charset=iso-8859-1", html.encode("iso-8859-1"), encoding="8bit"))
    expected = detect(_message("text/html; charset=utf-8", html.encode(), encoding="8bit"))
    assert _tracking_kinds(report) == _tracking_kinds(expected)


# --- unknown and lying charset labels ------------------------------------------------------


UNKNOWN_LABELS = [
    ("x-unknown", "cp1252"),
    ("unknown-8bit", "cp1252"),
    ("x-unknown-8bit", "cp1252"),
    ("utf8mb4", "utf-8"),
    ("foo-bar-charset", "utf-8"),
]


def _unknown_label_cases() -> list[Any]:
    cases = []
    for label, codec in UNKNOWN_LABELS:
        for encoding in ("8bit", "quoted-printable"):
            cases.append(pytest.param(label, codec, encoding, id=f"{label}-{encoding}"))
    return cases


@pytest.mark.parametrize(("label", "codec", "encoding"), _unknown_label_cases())
def test_unknown_charset_text_decoded(label: str, codec: str, encoding: str) -> None:
    text = "Grüße, café \u2013 20 €"
    body = _transfer_encode(_html_page(text).encode(codec), encoding)
    raw = _message(f'text/html; charset="{label}"', body, encoding=encoding)
    assert text in _html_text(raw)


@pytest.mark.parametrize(("label", "codec"), UNKNOWN_LABELS)
def test_unknown_charset_defect(label: str, codec: str) -> None:
    raw = _message(f'text/html; charset="{label}"', _html_page("café").encode(codec), encoding="8bit")
    assert "mime.unknown-charset" in _defect_codes(detect(raw))


@pytest.mark.parametrize(("label", "codec"), UNKNOWN_LABELS)
def test_unknown_charset_pixel_found(label: str, codec: str) -> None:
    raw = _message(f'text/html; charset="{label}"', _html_page("café").encode(codec), encoding="8bit")
    assert _pixel_urls(detect(raw)) == [PIXEL_URL]


# Each case: declared label, the codec the bytes really use, transfer encoding.
LYING_LABELS = {
    "utf8-label-cp1252-8bit": ("utf-8", "cp1252", "8bit"),
    "utf8-label-cp1252-qp": ("utf-8", "cp1252", "quoted-printable"),
    "utf8-label-cp1252-base64": ("utf-8", "cp1252", "base64"),
    "ascii-label-utf8-8bit": ("us-ascii", "utf-8", "8bit"),
    "ascii-label-utf8-qp": ("us-ascii", "utf-8", "quoted-printable"),
}


def _lying_cases() -> list[Any]:
    return [pytest.param(*case, id=name) for name, case in LYING_LABELS.items()]


@pytest.mark.parametrize(("label", "codec", "encoding"), _lying_cases())
def test_lying_charset_text_decoded(label: str, codec: str, encoding: str) -> None:
    text = "Grüße, café \u2013 20 €"
    body = _transfer_encode(_html_page(text).encode(codec), encoding)
    raw = _message(f"text/html; charset={label}", body, encoding=encoding)
    assert text in _html_text(raw)


@pytest.mark.parametrize(("label", "codec", "encoding"), _lying_cases())
def test_lying_charset_defect(label: str, codec: str, encoding: str) -> None:
    body = _transfer_encode(_html_page("café").encode(codec), encoding)
    raw = _message(f"text/html; charset={label}", body, encoding=encoding)
    assert "mime.charset-mismatch" in _defect_codes(detect(raw))


@pytest.mark.parametrize(("label", "codec", "encoding"), _lying_cases())
def test_lying_charset_pixel_found(label: str, codec: str, encoding: str) -> None:
    body = _transfer_encode(_html_page("café").encode(codec), encoding)
    raw = _message(f"text/html; charset={label}", body, encoding=encoding)
    assert _pixel_urls(detect(raw)) == [PIXEL_URL]


# --- charset only in an HTML <meta> --------------------------------------------------------


META_TAGS = [
    '<meta charset="koi8-r">',
    "<meta charset=koi8-r>",
    '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
    "<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=KOI8-R'>",
]


def _meta_cases() -> list[Any]:
    cases = []
    for number, meta in enumerate(META_TAGS):
        for encoding in ("8bit", "quoted-printable"):
            cases.append(pytest.param(meta, encoding, id=f"meta{number}-{encoding}"))
    return cases


@pytest.mark.parametrize(("meta", "encoding"), _meta_cases())
def test_meta_charset_decoded(meta: str, encoding: str) -> None:
    body = _transfer_encode(_html_page("Привет, мир", head=meta).encode("koi8-r"), encoding)
    raw = _message("text/html", body, encoding=encoding)
    assert "Привет, мир" in _html_text(raw)


def test_meta_charset_header_wins() -> None:
    # The Content-Type parameter takes precedence over a <meta> that disagrees with it.
    html = _html_page("Привет, мир", head='<meta charset="iso-8859-1">').encode("koi8-r")
    raw = _message('text/html; charset="koi8-r"', _transfer_encode(html, "base64"), encoding="base64")
    assert "Привет, мир" in _html_text(raw)


# --- RFC 2047 encoded words in headers -----------------------------------------------------


SUBJECTS = [
    pytest.param("=?iso-8859-1?Q?Caf=E9?=", "Café", id="latin1-q"),
    pytest.param("=?utf-8?B?Q2Fmw6k=?=", "Café", id="utf8-b"),
    pytest.param("=?UTF-8?q?Caf=C3=A9_news?=", "Café news", id="utf8-q-underscore"),
    pytest.param(
        "=?x-unknown?Q?Caf=C3=A9?=",
        "Café",
        id="unknown-charset",
    ),
    pytest.param(
        "=?utf8mb4?B?Q2Fmw6k=?=",
        "Café",
        id="utf8mb4",
    ),
    pytest.param(
        "Re: =?x-unknown?Q?Caf=C3=A9?= news",
        "Re: Café news",
        id="unknown-charset-in-text",
    ),
    pytest.param(
        "=?utf-8?B?###?=",
        "=?utf-8?B?###?=",
        id="invalid-base64-word",
    ),
]


def _with_subject(subject: str) -> bytes:
    raw = _message("text/html; charset=utf-8", _html_page().encode())
    return raw.replace(b"Subject: Test message", f"Subject: {subject}".encode())


@pytest.mark.parametrize(("subject", "expected"), SUBJECTS)
def test_rfc2047_subject(subject: str, expected: str) -> None:
    assert detect(_with_subject(subject)).message.subject == expected


@pytest.mark.parametrize("subject", ["=?x-unknown?Q?Caf=C3=A9?=", "=?utf8mb4?B?Q2Fmw6k=?="])
def test_rfc2047_unknown_charset_defect(subject: str) -> None:
    assert "header.bad-encoded-word" in _defect_codes(detect(_with_subject(subject)))


@pytest.mark.parametrize(
    "subject", ["=?x-unknown?Q?Caf=C3=A9?=", "=?utf-8?B?###?=", "=?=?=?", "=?utf-8?Q?" + "=E2" * 500 + "?="]
)
def test_rfc2047_bad_word_pixel_found(subject: str) -> None:
    assert _pixel_urls(detect(_with_subject(subject))) == [PIXEL_URL]


def test_rfc2047_unknown_charset_recipient() -> None:
    raw = _message("text/html; charset=utf-8", _html_page().encode())
    raw = raw.replace(b"To: Ann Lee <ann.lee@example.org>", b"To: =?x-unknown?Q?Ann_L=E9e?= <ann.lee@example.org>")
    assert detect(raw).recipients == ("ann.lee@example.org",)


# --- nested message/rfc822 -----------------------------------------------------------------


def _forward(inner: str, boundary: str, note: str) -> str:
    return (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{note}\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n{inner}"
        f"--{boundary}--\r\n"
    )


def _two_level_forward(innermost_body: str) -> bytes:
    innermost = (
        "From: Shop <news@shop.example.com>\r\nTo: bob@example.com\r\nSubject: Sale\r\n"
        "MIME-Version: 1.0\r\n" + innermost_body
    )
    middle = (
        "From: Bob <bob@example.com>\r\nTo: carol@example.com\r\nSubject: Fwd: Sale\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="middle"\r\n\r\n' + _forward(innermost, "middle", "Look at this")
    )
    outer = _headers('multipart/mixed; boundary="outer"') + _forward(middle, "outer", "Forwarding again")
    return outer.encode()


def test_rfc822_two_levels_single_part() -> None:
    raw = _two_level_forward("Content-Type: text/html; charset=utf-8\r\n\r\n" + _html_page() + "\r\n")
    assert _pixel_parts(detect(raw)) == ["2.2"]


def test_rfc822_two_levels_alternative() -> None:
    body = (
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain\r\n\r\nSale\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring(_html_page().encode()).decode("ascii")
        + "\r\n--alt--\r\n"
    )
    assert _pixel_parts(detect(_two_level_forward(body))) == ["2.2.2"]


def test_rfc822_two_levels_no_defects() -> None:
    raw = _two_level_forward("Content-Type: text/html; charset=utf-8\r\n\r\n" + _html_page() + "\r\n")
    assert _defect_codes(detect(raw)) == []


def test_rfc822_inner_headers_not_outer() -> None:
    raw = _two_level_forward("Content-Type: text/html; charset=utf-8\r\n\r\n" + _html_page() + "\r\n")
    assert detect(raw).message.subject == "Test message"


# --- multipart/related and cid: images -----------------------------------------------------


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _related(png: bytes) -> bytes:
    html = (
        '<html><body><img src="cid:dot@shop.example.com" width="1" height="1">'
        '<img src="cid:Banner@shop.example.com" alt="Banner"></body></html>'
    )
    body = (
        f"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        "--rel\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-ID: <dot@shop.example.com>\r\nContent-Disposition: inline\r\n\r\n{GIF_1X1}\r\n"
        "--rel\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-ID: <banner@shop.example.com>\r\n\r\n"
        + _wrapped(base64.b64encode(png)).decode("ascii")
        + "\r\n--rel--\r\n"
    )
    return (_headers('multipart/related; boundary="rel"; type="text/html"') + body).encode()


def test_related_gif_size() -> None:
    image = parse_message(_related(_png(3, 2))).inline_images["dot@shop.example.com"]
    assert (image.width, image.height) == (1, 1)


def test_related_png_size() -> None:
    image = parse_message(_related(_png(3, 2))).inline_images["banner@shop.example.com"]
    assert (image.width, image.height) == (3, 2)


def test_related_png_part_path() -> None:
    image = parse_message(_related(_png(3, 2))).inline_images["banner@shop.example.com"]
    assert image.path == "3"


def test_related_cid_never_pixel() -> None:
    report = detect(_related(_png(1, 1)))
    assert _pixel_urls(report) == []


def test_related_not_tracked() -> None:
    report = detect(_related(_png(1, 1)))
    assert report.tracked is False


def test_related_no_image_defects() -> None:
    codes = _defect_codes(detect(_related(_png(600, 200))))
    assert "mime.bad-image" not in codes


def test_related_broken_image_defect() -> None:
    raw = _related(b"this is not a PNG file at all")
    assert "mime.bad-image" in _defect_codes(detect(raw))


# --- broken boundaries ---------------------------------------------------------------------


def _alternative(html: str, *, boundary_param: str | None = "b1", used: str = "b1", close: bool = True) -> bytes:
    content_type = "multipart/alternative" + (f'; boundary="{boundary_param}"' if boundary_param else "")
    body = (
        f"--{used}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
        f"--{used}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    )
    if close:
        body += f"--{used}--\r\n"
    return (_headers(content_type) + body).encode()


def test_boundary_unclosed_pixel_found() -> None:
    # The message is cut off in the middle of the HTML, after the pixel.
    html = f"<html><body><p>Hello</p>{PIXEL_TAG}<p>More text that never</p"
    assert _pixel_parts(detect(_alternative(html, close=False))) == ["2"]


def test_boundary_unclosed_defect() -> None:
    codes = _defect_codes(detect(_alternative(_html_page(), close=False)))
    assert any("boundary" in code for code in codes), codes


def test_boundary_mismatch_pixel_found() -> None:
    assert _pixel_urls(detect(_alternative(_html_page(), boundary_param="abc", used="xyz"))) == [PIXEL_URL]


def test_boundary_mismatch_defect() -> None:
    codes = _defect_codes(detect(_alternative(_html_page(), boundary_param="abc", used="xyz")))
    assert any("boundary" in code for code in codes), codes


def test_boundary_missing_pixel_found() -> None:
    assert _pixel_urls(detect(_alternative(_html_page(), boundary_param=None, used="xyz"))) == [PIXEL_URL]


def test_boundary_missing_defect() -> None:
    codes = _defect_codes(detect(_alternative(_html_page(), boundary_param=None, used="xyz")))
    assert "mime.no-boundary-in-multipart" in codes


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        pytest.param(
            _alternative(_html_page(), boundary_param="abc", used="xyz"),
            "mime.start-boundary-not-found",
            "the multipart boundary never appears in the body",
            id="start-boundary",
        ),
        pytest.param(
            _alternative(_html_page(), close=False),
            "mime.close-boundary-not-found",
            "the multipart body ends without its closing boundary",
            id="close-boundary",
        ),
        pytest.param(
            _alternative(_html_page(), boundary_param=None, used="xyz"),
            "mime.no-boundary-in-multipart",
            "a multipart part has no boundary parameter",
            id="no-boundary",
        ),
    ],
)
def test_parser_defect_sentence(raw: bytes, code: str, message: str) -> None:
    # The standard library's defects carry no text; each gets a sentence, not its class name.
    messages = [defect.message for defect in detect(raw).defects if defect.code == code]
    assert messages == [message]


# --- deep nesting --------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="n{level}"\r\n\r\n--n{level}\r\n' for level in range(depth)
    )
    closing = "".join(f"--n{level}--\r\n" for level in reversed(range(depth)))
    leaf = "Content-Type: text/html; charset=utf-8\r\n\r\n" + _html_page() + "\r\n"
    head = "From: a@example.org\r\nTo: ann.lee@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    return (head + opening + leaf + closing).encode()


def test_nesting_1000_finishes_fast() -> None:
    raw = _nested(1000)
    started = time.perf_counter()
    detect(raw)
    assert time.perf_counter() - started < 5.0


def test_nesting_1000_defect() -> None:
    assert "mime.too-deep" in _defect_codes(detect(_nested(1000)))


def test_nesting_60_pixel_found() -> None:
    assert _pixel_urls(detect(_nested(60))) == [PIXEL_URL]


def test_nesting_100_pixel_found() -> None:
    assert _pixel_urls(detect(_nested(100))) == [PIXEL_URL]


def test_nesting_100_no_defect() -> None:
    assert "mime.too-deep" not in _defect_codes(detect(_nested(100)))


@pytest.mark.parametrize("depth", [450, 800])
def test_nesting_hundreds_pixel_found(depth: int) -> None:
    assert _pixel_urls(detect(_nested(depth))) == [PIXEL_URL]


# --- parts whose type is wrong -------------------------------------------------------------


def test_plain_with_html_pixel_found() -> None:
    assert _pixel_urls(detect(_message("text/plain; charset=utf-8", _html_page().encode()))) == [PIXEL_URL]


def test_plain_with_html_defect() -> None:
    codes = _defect_codes(detect(_message("text/plain; charset=utf-8", _html_page().encode())))
    assert "mime.html-as-plain" in codes


def _with_attachments() -> bytes:
    body = (
        "--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour invoice is attached.\r\n"
        '--m\r\nContent-Type: text/html; charset=utf-8; name="invoice.html"\r\n'
        'Content-Disposition: attachment; filename="invoice.html"\r\n\r\n' + _html_page() + "\r\n"
        "--m\r\nContent-Type: text/plain; charset=utf-8\r\n"
        'Content-Disposition: attachment; filename="server.log"\r\n\r\n'
        "GET https://t.example.net/c/8f3a2c9d71b4e6f0?u=99120 200\r\n"
        "--m--\r\n"
    )
    return (_headers('multipart/mixed; boundary="m"') + body).encode()


def test_html_attachment_scanned() -> None:
    # Opening an HTML attachment in a browser loads its remote images, so it is reported,
    # with the attachment's part path so a reader can tell it from the body.
    assert _pixel_parts(detect(_with_attachments())) == ["2"]


def test_text_attachment_not_scanned() -> None:
    # A plain-text attachment (a log, a CSV) is data, not a message body with links to click.
    report = detect(_with_attachments())
    assert [finding.location.part for finding in report.findings if finding.location.part == "3"] == []


# --- headers only, empty input, not an email -----------------------------------------------


HEADER_ONLY = [
    pytest.param(b"From: a@example.org\r\nTo: ann.lee@example.org\r\nSubject: hi", id="no-separator"),
    pytest.param(b"From: a@example.org\r\nTo: ann.lee@example.org\r\nSubject: hi\r\n", id="no-blank-line"),
    pytest.param(b"From: a@example.org\r\nTo: ann.lee@example.org\r\nSubject: hi\r\n\r\n", id="empty-body"),
    pytest.param(b"From: a@example.org\nTo: ann.lee@example.org\nSubject: hi\n\n", id="lf-empty-body"),
]


@pytest.mark.parametrize("raw", HEADER_ONLY)
def test_headers_only_no_findings(raw: bytes) -> None:
    assert detect(raw).findings == ()


@pytest.mark.parametrize("raw", HEADER_ONLY)
def test_headers_only_subject(raw: bytes) -> None:
    assert detect(raw).message.subject == "hi"


@pytest.mark.parametrize("raw", HEADER_ONLY)
def test_headers_only_is_email(raw: bytes) -> None:
    assert "mime.not-email" not in _defect_codes(detect(raw))


def test_headers_only_read_receipt() -> None:
    raw = b"From: a@example.org\r\nTo: ann.lee@example.org\r\nDisposition-Notification-To: a@example.org\r\n\r\n"
    assert [finding.kind.value for finding in detect(raw).findings] == ["read_receipt"]


@pytest.mark.parametrize("raw", [b"", ""], ids=["bytes", "str"])
def test_empty_not_tracked(raw: bytes | str) -> None:
    assert detect(raw).tracked is False


@pytest.mark.parametrize("raw", [b"", ""], ids=["bytes", "str"])
def test_empty_no_findings(raw: bytes | str) -> None:
    assert detect(raw).findings == ()


@pytest.mark.parametrize("raw", [b"", ""], ids=["bytes", "str"])
def test_empty_not_email(raw: bytes | str) -> None:
    assert "mime.not-email" in _defect_codes(detect(raw))


NOT_EMAIL = [
    pytest.param(b"hello world", id="one-line"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", id="png-bytes"),
    pytest.param(b'{"subject": "hi", "to": ["ann.lee@example.org"]}', id="json"),
    pytest.param(b"\x00" * 200, id="nul-bytes"),
    pytest.param(bytes(range(256)) * 4, id="all-bytes"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
    pytest.param(b"Lorem ipsum: dolor sit amet\r\nconsectetur: adipiscing\r\n\r\nbody", id="colon-lines"),
]


@pytest.mark.parametrize("raw", NOT_EMAIL)
def test_not_email_defect(raw: bytes) -> None:
    assert "mime.not-email" in _defect_codes(detect(raw))


@pytest.mark.parametrize("raw", NOT_EMAIL)
def test_not_email_not_tracked(raw: bytes) -> None:
    assert detect(raw).tracked is False


def test_bare_html_not_email_defect() -> None:
    assert "mime.not-email" in _defect_codes(detect(_html_page().encode()))


def test_bare_html_pixel_found() -> None:
    # A bare HTML document passed by mistake is still read as the body it is.
    assert _pixel_urls(detect(_html_page().encode())) == [PIXEL_URL]


# --- input types ---------------------------------------------------------------------------


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_input_str_same_report(name: str) -> None:
    raw = _fixture(name)
    assert detect(raw.decode("utf-8", "surrogateescape")).to_json() == detect(raw).to_json()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_input_message_same_report(name: str) -> None:
    raw = _fixture(name)
    assert detect(email.message_from_bytes(raw)).to_json() == detect(raw).to_json()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_input_email_message_same_report(name: str) -> None:
    # policy.default would refold and normalise header text (dates, quoted names); the
    # stored raw values are read instead, so the whole report matches the bytes' one.
    raw = _fixture(name)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert detect(parsed).to_json() == detect(raw).to_json()


@pytest.mark.parametrize("wrap", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_input_buffer_same_report(wrap: Any) -> None:
    raw = _fixture("mailchimp-newsletter-qp.eml")
    assert detect(wrap(raw)).to_json() == detect(raw).to_json()


def test_input_str_pixel_found() -> None:
    raw = _message("text/html; charset=utf-8", _html_page("Grüße").encode(), encoding="8bit")
    assert _pixel_urls(detect(raw.decode("utf-8"))) == [PIXEL_URL]


@pytest.mark.parametrize(
    "value", [42, None, ["a", "b"], 1.5, {"raw": b""}], ids=["int", "none", "list", "float", "dict"]
)
def test_input_wrong_type_raises(value: Any) -> None:
    with pytest.raises(TypeError) as raised:
        detect(value)
    message = str(raised.value)
    for accepted in ("bytes", "str", "Message"):
        assert accepted in message, message


@pytest.mark.parametrize("value", [42, None, ["a"]], ids=["int", "none", "list"])
def test_input_wrong_type_names_type(value: Any) -> None:
    with pytest.raises(TypeError, match=type(value).__name__):
        detect(value)


def test_recipients_str_raises() -> None:
    with pytest.raises(TypeError, match="str"):
        detect(_fixture("mailchimp-newsletter-qp.eml"), recipients="a@b.c")


def test_recipients_str_raises_html() -> None:
    with pytest.raises(TypeError, match="str"):
        detect_html(_html_page(), recipients="a@b.c")


def test_recipients_bytes_raises() -> None:
    with pytest.raises(TypeError):
        detect(_fixture("mailchimp-newsletter-qp.eml"), recipients=b"a@b.c")  # type: ignore[arg-type]


def test_recipients_list_accepted() -> None:
    report = detect(_message("text/html", _html_page().encode()), recipients=["Bob@Example.com"])
    assert report.recipients == ("bob@example.com",)


def test_parse_message_accepts_message() -> None:
    raw = _message("text/html; charset=utf-8", _html_page().encode())
    parsed: Message = email.message_from_bytes(raw)
    assert len(parse_message(parsed).html_parts) == 1


def _related_message(html: str, content_id: str) -> bytes:
    return (
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: photo\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{html}\r\n"
        "--rel\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-ID: <{content_id}>\r\n\r\nR0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n--rel--\r\n"
    ).encode()


def test_cid_reference_resolved() -> None:
    report = detect(_related_message('<img src="cid:photo@example.org">', "photo@example.org"))
    assert "mime.missing-cid" not in _defect_codes(report)
    assert not report.findings


def test_cid_reference_missing_part() -> None:
    report = detect(_related_message('<img src="cid:other@example.org">', "photo@example.org"))
    assert "mime.missing-cid" in _defect_codes(report)


@pytest.mark.parametrize("raw", [b"hello world\n", b"one\ntwo three\n"])
def test_not_email_one_defect(raw: bytes) -> None:
    # Header defects of text without headers would only repeat mime.not-email.
    assert _defect_codes(detect(raw)) == ["mime.not-email"]


def test_bare_html_no_header_defect() -> None:
    codes = _defect_codes(detect(b"<html><body>Hi</body></html>"))
    assert "mime.missing-header-body-separator" not in codes


def test_nested_comment_address_header() -> None:
    # The standard library parses "(" comments recursively; 20,000 of them exhaust its stack.
    raw = (
        "From: Shop <news@shop.example.com>\r\nTo: " + "(" * 20_000 + "ann.lee@example.org\r\n"
        "Subject: x\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>"
    )
    report = detect(raw)
    assert report.recipients == ("ann.lee@example.org",)
    assert "header.unreadable-addresses" in _defect_codes(report)


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ('<"ann.lee@example.org">', ("ann.lee@example.org",)),
        ('Ann <"ann.lee@example.org">', ("ann.lee@example.org",)),
        ('"john doe"@example.org', ('"john doe"@example.org',)),
    ],
)
def test_quoted_address_recipients(to: str, expected: tuple[str, ...]) -> None:
    raw = f"From: news@shop.example.com\r\nTo: {to}\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>"
    assert detect(raw).recipients == expected
    assert detect(email.message_from_string(raw, policy=email.policy.default)).recipients == expected


_ADDRESS_FORMS = [
    "ann@example.org",
    " <ann.lee@example.org> ",
    "Ann Lee <ann.lee@example.org>",
    "John Q. Public <jqp@mail.example.com>",
    '"Lee, Ann" <ann@example.org>',
    "=?utf-8?q?J=C3=B6rg?= <joerg@example.de>",
    "Jörg <joerg@example.de>",
    "o'neil+news@example.ie",
    "ann@example.org,\r\n\tBob <bob@example.org>",
    "ann..lee@example.org",
    "ann@example..org",
    ".ann@example.org",
    "Ann <ann@example.org",
    "sau@example.com (Stephen)",
    "undisclosed-recipients:;",
    "Ann;Lee <ann@example.org>",
    "ann@example.org <bob@example.org>",
    '"ann@example.org" <bob@example.org>',
    "x < ann@example.org >",
    "ann@[192.0.2.1]",
    "<ann@example.org> trailing",
    "",
]


@pytest.mark.parametrize("value", _ADDRESS_FORMS)
def test_simple_address_forms_read_as_getaddresses(value: str) -> None:
    # The regular expression for common forms must give what the standard library's parser
    # gives, or step aside (None) for it.
    fast = _mime._simple_addresses([value])
    if fast is not None:
        assert fast == [address for _name, address in getaddresses([value]) if address]


def test_simple_address_forms_taken_and_left() -> None:
    # The expression takes the ten common forms above and leaves every other one to the parser.
    fast_forms = [value for value in _ADDRESS_FORMS if _mime._simple_addresses([value]) is not None]
    assert fast_forms == [*_ADDRESS_FORMS[:9], '"ann@example.org" <bob@example.org>']


def test_simple_address_forms_cover_common_headers() -> None:
    assert _mime._simple_addresses(["Ann Lee <ann.lee@example.org>", "bob@example.org, Cy <cy@example.org>"]) == [
        "ann.lee@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
    assert _mime._simple_addresses(["sau@example.com (Stephen)"]) is None


def test_caller_message_not_changed() -> None:
    message = email.message_from_string(
        "From: a@shop.example.com\nTo: ann.lee@example.org\n"
        "Content-Type: text/html; " + "a=b; " * 2_000 + "charset=utf-8\n\n<p>Hi</p>"
    )
    before = message["Content-Type"]
    detect(message)
    assert message["Content-Type"] == before


def test_long_first_line_content_type_cut() -> None:
    raw = (
        "Content-Type: text/html; " + "a=b; " * 3_000 + "charset=utf-8\r\n"
        "From: a@shop.example.com\r\nTo: ann.lee@example.org\r\n\r\n"
        '<img src="https://t.example.net/o/8f3a2c9d71b4e6f0a1" width="1" height="1">'
    )
    report = detect(raw)
    assert "header.too-long" in _defect_codes(report)
    assert [finding.kind.value for finding in report.findings] == ["pixel"]


def test_long_content_type_line_in_body_kept() -> None:
    # Only header blocks are cut: a body line that looks like a long field stays whole.
    line = (
        "Content-Type: a; "
        + "x" * 9_000
        + ' --><img src="https://t.example.net/o/8f3a2c9d71b4e6f0a1" width=1 height=1>'
    )
    raw = (
        "From: a@shop.example.com\r\nTo: ann.lee@example.org\r\nContent-Type: text/html\r\n\r\n"
        f"<p>Hello</p><!--\r\n{line}\r\n"
    )
    report = detect(raw)
    assert "header.too-long" not in _defect_codes(report)
    assert [finding.kind.value for finding in report.findings] == ["pixel"]


@pytest.mark.parametrize("eol", ["\r", "\n", "\r\n"], ids=["cr", "lf", "crlf"])
def test_long_part_content_type_cut(eol: str) -> None:
    raw = eol.join(
        [
            "From: a@shop.example.com",
            "To: ann.lee@example.org",
            'Content-Type: multipart/mixed; boundary="B"',
            "",
            "--B",
            "Content-Type: text/html; " + "a=b; " * 3_000 + "charset=utf-8",
            "",
            '<img src="https://t.example.net/o/8f3a2c9d71b4e6f0a1" width="1" height="1">',
            "--B--",
            "",
        ]
    )
    report = detect(raw)
    assert "header.too-long" in _defect_codes(report)
    assert [finding.kind.value for finding in report.findings] == ["pixel"]


def test_boundary_only_from_multipart() -> None:
    # A boundary parameter on a text type declares nothing: its "parts" are body text.
    pixel = '<img src="https://t.example.net/o/8f3a2c9d71b4e6f0a1" width="1" height="1">'
    raw = (
        "From: a@shop.example.com\r\nTo: ann.lee@example.org\r\n"
        "Content-Type: text/html; boundary=zz\r\n\r\n<p>Hi</p>\r\n--zz\r\nContent-Type: x\r\n"
        + "".join(f" <span>{number}</span>\r\n" for number in range(700))
        + pixel
    )
    report = detect(raw)
    assert "header.too-long" not in _defect_codes(report)
    assert [finding.kind.value for finding in report.findings] == ["pixel"]


def test_field_at_limit_not_cut() -> None:
    field = "Content-Disposition: attachment; " + "a" * (MAX_PARAMETER_HEADER - 33)
    raw = f"From: a@shop.example.com\r\n{field}\r\nContent-Type: text/html; " + "b=c; " * 3_000 + "\r\n\r\n<p>x</p>"
    parsed = parse_message(raw.encode())
    assert ("Content-Disposition", field.split(": ", 1)[1]) in parsed.headers


def test_boundary_with_colon_scanned_once() -> None:
    raw = (
        'From: a@shop.example.com\nContent-Type: multipart/mixed; boundary="b:"\n\n'
        + "--b:\n" * 3_000
        + "Content-Type: text/html; "
        + "x=y; " * 3_000
    )
    started = time.perf_counter()
    detect(raw)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(("charset", "codec"), [("x-mac-cyrillic", "mac-cyrillic"), ("x-mac-ce", "mac-latin2")])
def test_apple_mac_charset_names(charset: str, codec: str) -> None:
    body = "<p>Привет, Łódź</p>" if codec == "mac-latin2" else "<p>Привет</p>"
    data = body.encode(codec, "replace")
    raw = f"From: a@example.org\r\nContent-Type: text/html; charset={charset}\r\n\r\n".encode() + data
    parsed = parse_message(raw)
    assert "mime.unknown-charset" not in [defect.code for defect in parsed.defects]
    assert parsed.html_parts[0].text == data.decode(codec)


@pytest.mark.parametrize(
    "charset",
    [
        "UTF-8",
        " utf_8 ",
        "utf-\uff18",
        "Latin-\uff11",
        "iso.8859.15",
        "ISO_8859-15",
        "koi8-r",
        "Windows-1252",
        "x-mac-ce",
    ],
)
def test_codec_guard_reads_names_as_registry(charset: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # After preload() only known codec names pass; each spelling the registry accepts must too.
    expected = codecs.lookup(_mime._CHARSET_ALIASES.get(charset, charset)).name
    monkeypatch.setattr(_mime, "_known_codecs", None)
    _mime.forbid_codec_imports()
    assert _mime._codec_name(charset) == expected


def test_codec_guard_rejects_unknown_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_mime, "_known_codecs", None)
    _mime.forbid_codec_imports()
    for charset in ("x-no-such-charset", "dbcs"):
        with pytest.raises(LookupError):
            _mime._codec_name(charset)


@pytest.mark.parametrize(
    "given",
    [
        "Ann Lee <ann.lee@example.org>",
        " <ann.lee@example.org> ",
        "ann.lee@example.org",
        "ann.lee@example.org (Ann)",
        "Bob <bob@example.net>, Ann <ann.lee@example.org>",
    ],
)
def test_given_recipient_with_display_name(given: str) -> None:
    html = '<img src="https://t.example.net/o?e=ann.lee@example.org" width="1" height="1">'
    report = detect_html(html, recipients=[given])
    assert "ann.lee@example.org" in report.recipients
    assert [finding.leak.address for finding in report.by_kind("recipient_leak") if finding.leak] == [
        "ann.lee@example.org"
    ]


def test_extra_recipients_single_str_raises() -> None:
    with pytest.raises(TypeError, match=r"Options\.extra_recipients"):
        detect_html("<p>x</p>", options=Options(extra_recipients="bob@example.net"))  # type: ignore[arg-type]
