"""Turn a raw message into decoded body parts, headers and inline images.

The standard library's parser is tolerant, but several of its behaviours hide content
from a scanner: a base64 body whose length is 1 mod 4 comes back undecoded,
``policy.default`` raises ``LookupError`` on an unknown charset, and a boundary that does
not match the body leaves the whole body as preamble text. This module parses with
``compat32`` (which never raises on content), decodes transfer encodings and charsets
itself, and records every problem as a defect instead of losing the part.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.message
import email.parser
import email.policy
import logging
import quopri
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from .report import Defect

logger = logging.getLogger(__name__)

MAX_DEPTH = 64
"""Deepest MIME nesting walked; deeper parts are skipped with a defect."""
MAX_PARTS = 2000
"""Most MIME parts walked in one message."""
MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024
"""Inline images larger than this are not opened to read their size."""

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_AMP_TYPES = frozenset({"text/x-amp-html"})
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)
_SALVAGE_START = re.compile(r"<(?:!doctype|html|body|table|div|p|img|a)\b", re.I)


@dataclass(frozen=True, slots=True)
class BodyPart:
    """A decoded text body: HTML, AMP HTML or plain text."""

    path: str
    content_type: str
    text: str


@dataclass(frozen=True, slots=True)
class InlineImage:
    """An image carried inside the message, addressable by ``cid:``."""

    path: str
    content_id: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class ParsedMessage:
    """Everything the detector reads from a message."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    html_parts: list[BodyPart] = field(default_factory=list)
    amp_parts: list[BodyPart] = field(default_factory=list)
    text_parts: list[BodyPart] = field(default_factory=list)
    inline_images: dict[str, InlineImage] = field(default_factory=dict)
    defects: list[Defect] = field(default_factory=list)
    is_email: bool = True

    def header(self, name: str) -> str | None:
        """Return the first value of a top-level header, decoded, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        """Return every value of a top-level header, decoded."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def addresses(self, *names: str) -> list[str]:
        """Return the addresses found in the named headers, lower-cased, in order, deduplicated."""
        values = [value for name in names for value in self.header_values(name)]
        seen: dict[str, None] = {}
        for _display, address in getaddresses(values):
            address = address.strip().strip("<>").lower()
            if "@" in address and address not in seen:
                seen[address] = None
        return list(seen)


def parse_message(message: bytes | str | Message) -> ParsedMessage:
    """Parse a message given as bytes, text or an already parsed ``Message``.

    Never raises on content: problems become defects on the returned object.
    """
    parsed = ParsedMessage()
    if isinstance(message, Message):
        root = message
    else:
        raw = message if isinstance(message, bytes) else message.encode("utf-8", "surrogateescape")
        try:
            root = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
        except RecursionError:
            parsed.defects.append(
                Defect("mime.too-deep", "MIME nesting is too deep to parse; HTML was salvaged from the raw text")
            )
            _salvage_raw(raw, parsed)
            return parsed
        if not _looks_like_email(root, raw):
            parsed.is_email = False
            parsed.defects.append(Defect("mime.not-email", "input has no email headers; it was read as a bare body"))
    parsed.headers = _decoded_headers(root, parsed)
    try:
        _walk(root, "", 0, parsed, [0])
    except RecursionError:
        parsed.defects.append(Defect("mime.too-deep", "MIME nesting is too deep to walk"))
    return parsed


def _looks_like_email(root: Message, raw: bytes) -> bool:
    if len(root.keys()) == 0:
        return False
    header_names = {key.lower() for key in root}
    known = {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "received",
        "mime-version",
        "content-type",
        "return-path",
        "delivered-to",
        "cc",
        "reply-to",
        "x-mailer",
        "dkim-signature",
    }
    return bool(header_names & known) or raw[:5].lower() == b"from "


def _decoded_headers(root: Message, parsed: ParsedMessage) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for name, value in root.items():
        headers.append((str(name), decode_header_value(value, parsed)))
    return headers


def decode_header_value(value: object, parsed: ParsedMessage | None = None) -> str:
    """Decode RFC 2047 encoded words in a header value; unknown charsets fall back to UTF-8."""
    text = str(value)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text
    if "=?" not in text:
        return " ".join(text.split())
    try:
        return " ".join(str(make_header(decode_header(text))).split())
    except (LookupError, UnicodeError, ValueError, binascii.Error, AssertionError):
        if parsed is not None:
            parsed.defects.append(Defect("header.bad-encoded-word", "a header has an undecodable encoded word"))
        return " ".join(text.split())


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _child_path(prefix: str, number: int) -> str:
    return f"{prefix}.{number}" if prefix else str(number)


def _walk(part: Message, path: str, depth: int, parsed: ParsedMessage, counter: list[int]) -> None:
    counter[0] += 1
    if counter[0] > MAX_PARTS:
        if counter[0] == MAX_PARTS + 1:
            parsed.defects.append(Defect("mime.too-many-parts", f"more than {MAX_PARTS} parts; the rest were skipped"))
        return
    if depth > MAX_DEPTH:
        parsed.defects.append(Defect("mime.too-deep", f"parts nested deeper than {MAX_DEPTH} were skipped", path))
        return
    for defect in getattr(part, "defects", []):
        parsed.defects.append(Defect(f"mime.{_defect_code(defect)}", _defect_message(defect), path or "1"))

    content_type = part.get_content_type()
    if part.is_multipart():
        children = part.get_payload()
        if not isinstance(children, list) or not children:
            # A multipart whose boundary never matched: the body is in the preamble or the
            # payload text. Salvage any HTML from it rather than lose the message.
            parsed.defects.append(
                Defect("mime.no-parts", "multipart body has no parts that match its boundary", path or "1")
            )
            leftover = part.preamble if isinstance(part.preamble, str) else ""
            payload = part.get_payload()
            if isinstance(payload, str):
                leftover += payload
            _salvage_text(leftover, path or "1", parsed)
            return
        if content_type == "message/rfc822" or part.get_content_maintype() == "message":
            # The attached message's own parts are numbered under this part's path.
            for child in children:
                if isinstance(child, Message):
                    _walk(child, path or "1", depth + 1, parsed, counter)
            return
        for index, child in enumerate(children, start=1):
            if isinstance(child, Message):
                _walk(child, _child_path(path, index), depth + 1, parsed, counter)
        return

    part_path = path or "1"
    maintype = part.get_content_maintype()
    disposition = _header_text(part, "Content-Disposition").split(";")[0].strip().lower()
    if (
        content_type in _HTML_TYPES
        or content_type in _AMP_TYPES
        or (content_type == "text/plain" and disposition != "attachment")
    ):
        data = _decode_transfer(part, part_path, parsed)
        text = _decode_charset(data, part, part_path, parsed, html=content_type != "text/plain")
        body = BodyPart(part_path, content_type, text)
        if content_type in _AMP_TYPES:
            parsed.amp_parts.append(body)
        elif content_type in _HTML_TYPES:
            parsed.html_parts.append(body)
        elif _looks_like_html(text):
            # Some senders label an HTML body as text/plain; clients that sniff show it as HTML.
            parsed.defects.append(Defect("mime.html-as-plain", "a text/plain part contains HTML", part_path))
            parsed.html_parts.append(BodyPart(part_path, "text/html", text))
        else:
            parsed.text_parts.append(body)
    elif maintype == "image":
        content_id = _header_text(part, "Content-ID").strip().strip("<>").strip()
        location = _header_text(part, "Content-Location").strip()
        data = _decode_transfer(part, part_path, parsed)
        width, height = image_dimensions(data, part_path, parsed)
        image = InlineImage(part_path, content_id, content_type, len(data), width, height)
        if content_id:
            parsed.inline_images[content_id.lower()] = image
        if location:
            parsed.inline_images[location.lower()] = image
    elif content_type == "message/rfc822":
        # compat32 leaves a message/rfc822 body as text when it could not parse it as a message.
        payload = part.get_payload()
        if isinstance(payload, str) and payload.strip():
            inner = email.parser.Parser(policy=email.policy.compat32).parsestr(payload)
            _walk(inner, part_path, depth + 1, parsed, counter)


def _header_text(part: Message, name: str) -> str:
    """Return a part header as text; compat32 may give a ``Header`` object for 8-bit values."""
    value = part.get(name)
    return "" if value is None else str(value)


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return ("<html" in head or "<body" in head or "<table" in head) and "</" in text


def _defect_code(defect: object) -> str:
    name = type(defect).__name__
    name = name.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower() or "defect"


def _defect_message(defect: object) -> str:
    text = str(defect) or type(defect).__name__
    return f"{type(defect).__name__}: {text}"[:200]


def _decode_transfer(part: Message, path: str, parsed: ParsedMessage) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):
        return b""
    if isinstance(payload, bytes):
        raw = payload
    else:
        raw = str(payload).encode("utf-8", "surrogateescape")
    encoding = _header_text(part, "Content-Transfer-Encoding").strip().lower()
    if encoding == "base64":
        return decode_base64(raw, path, parsed)
    if encoding == "quoted-printable":
        return quopri.decodestring(raw)
    if encoding in ("", "7bit", "8bit", "binary"):
        return raw
    if encoding in ("x-uuencode", "uuencode", "x-uue"):
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else raw
    parsed.defects.append(
        Defect("mime.unknown-transfer-encoding", f"unknown transfer encoding {encoding[:40]!r}", path)
    )
    return raw


_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def decode_base64(raw: bytes, path: str = "", parsed: ParsedMessage | None = None) -> bytes:
    """Decode base64 leniently: skip stray characters, repair padding, drop a dangling last character."""
    cleaned = _NOT_BASE64.sub(b"", raw)
    remainder = len(cleaned) % 4
    if remainder == 1:
        # One character cannot carry a whole byte; the standard library gives up on the whole part here.
        cleaned = cleaned[:-1]
        if parsed is not None:
            parsed.defects.append(Defect("mime.bad-base64", "base64 body has a dangling character", path))
    elif remainder and parsed is not None:
        parsed.defects.append(Defect("mime.bad-base64-padding", "base64 body is missing its padding", path))
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        if parsed is not None:
            parsed.defects.append(Defect("mime.bad-base64", "base64 body could not be decoded", path))
        return b""


def _decode_charset(data: bytes, part: Message, path: str, parsed: ParsedMessage, *, html: bool) -> str:
    declared = part.get_param("charset")
    charset = str(declared).strip().strip('"').lower() if isinstance(declared, str) else ""
    if not charset and html:
        match = _META_CHARSET.search(data[:4096])
        if match:
            charset = match.group(1).decode("ascii", "replace").lower()
    if charset:
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            parsed.defects.append(Defect("mime.unknown-charset", f"unknown charset {charset[:40]!r}", path))
            codec = ""
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                if codec not in ("utf-8",):
                    parsed.defects.append(Defect("mime.charset-mismatch", f"body is not valid {charset[:40]}", path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if charset in ("utf-8", "utf8"):
            parsed.defects.append(Defect("mime.charset-mismatch", "body is not valid utf-8", path))
        # Windows-1252 is what mislabelled Western mail almost always is; undefined bytes are replaced.
        return data.decode("cp1252", "replace")


def _salvage_text(text: str, path: str, parsed: ParsedMessage) -> None:
    match = _SALVAGE_START.search(text)
    if not match:
        if text.strip():
            parsed.text_parts.append(BodyPart(path, "text/plain", text))
        return
    chunk = text[match.start() :]
    if re.search(r"=\r?\n|=3D", chunk, re.I):
        chunk = quopri.decodestring(chunk.encode("utf-8", "surrogateescape")).decode("utf-8", "replace")
    parsed.html_parts.append(BodyPart(path, "text/html", chunk))


def _salvage_raw(raw: bytes, parsed: ParsedMessage) -> None:
    text = raw.decode("utf-8", "replace")
    header_end = re.search(r"\r?\n\r?\n", text)
    if header_end:
        try:
            head = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text[: header_end.start()])
            parsed.headers = _decoded_headers(head, parsed)
        except RecursionError:
            pass
    _salvage_text(text, "1", parsed)


def image_dimensions(data: bytes, path: str, parsed: ParsedMessage) -> tuple[int | None, int | None]:
    """Read an embedded image's real width and height from its header, without decoding pixels."""
    if not data or len(data) > MAX_INLINE_IMAGE_BYTES:
        return None, None
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # A huge declared size only matters when pixels are decoded, which never happens here.
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        parsed.defects.append(Defect("mime.bad-image", "an embedded image could not be read", path))
        return None, None
    return int(width), int(height)
