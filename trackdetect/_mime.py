"""Turn a raw message into decoded body parts, headers and inline images.

The standard library's parser is tolerant, but several of its behaviours hide content
from a scanner. A base64 body whose length is 1 mod 4 comes back undecoded.
``policy.default`` raises ``LookupError`` on an unknown charset. A boundary that does not
match the body leaves the whole body as preamble text. This module parses with
``compat32`` (which never raises on content), decodes transfer encodings and charsets
itself, and records every problem as a defect instead of losing the part.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import email
import email.errors
import email.message
import email.parser
import email.policy
import encodings
import encodings.aliases
import logging
import quopri
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from urllib.parse import urljoin

from .report import Defect

logger = logging.getLogger(__name__)

MAX_DEPTH = 1000
"""Deepest MIME nesting walked; deeper parts are skipped with a defect. The standard
library's parser itself gives up near 1,000 levels, and the raw text is salvaged then."""
MAX_PARTS = 2000
"""Most MIME parts walked in one message."""
MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024
"""Inline images larger than this are not opened to read their size."""

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ICS_FOLD = re.compile(r"\r?\n[ \t]")
_ADDRESS_TEXT = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
MAX_HEADER_SCAN = 100_000
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
# One list item in the forms nearly every header uses: "ann@example.org", "<ann@example.org>",
# 'Ann Lee <ann@example.org>' and '"Lee, Ann" <ann@example.org>'. getaddresses() reads these
# the same way, and its character-by-character parser is the costly step for the rest.
_SIMPLE_ITEM = re.compile(
    rf'\s*(?:({_PLAIN_ADDRESS})|(?:[^()<>@,:;"\[\]\\\s][^()<>@,:;"\[\]\\]*|"[^"\\]*")?\s*<({_PLAIN_ADDRESS})>)\s*'
)
"""Characters of an address header searched for addresses when it cannot be parsed."""
_AMP_TYPES = frozenset({"text/x-amp-html"})
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)
_SALVAGE_START = re.compile(r"<(?:!doctype|html|body|table|div|p|img|a)\b", re.I)


@dataclass(frozen=True, slots=True)
class BodyPart:
    """A decoded text body: HTML, AMP HTML or plain text."""

    path: str
    content_type: str
    text: str
    base: str | None = None
    """Absolute http(s) URL of the part's ``Content-Location`` or ``Content-Base`` header
    (RFC 2557, RFC 2110), or of an enclosing multipart's, against which relative URLs resolve."""


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
    inherited_bases: dict[int, tuple[Message, str]] = field(default_factory=dict)
    """Base URL that a part without its own ``Content-Location`` takes from its enclosing
    multipart, by ``id()`` of the part. The part is kept with it, so that its id cannot be
    reused by another object while the message is read."""

    _index: tuple[list[tuple[str, str]], dict[str, list[str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    """Values by lower-cased name, with the header list they were read from."""

    def header(self, name: str) -> str | None:
        """Return the first value of a top-level header, decoded, or None."""
        values = self._values_by_name().get(name.lower())
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Return every value of a top-level header, decoded."""
        return list(self._values_by_name().get(name.lower(), ()))

    def _values_by_name(self) -> dict[str, list[str]]:
        # Detection reads about a dozen headers, so the names are lower-cased once. The index is
        # rebuilt if ``headers`` was replaced since.
        if self._index is None or self._index[0] is not self.headers:
            index: dict[str, list[str]] = {}
            for key, value in self.headers:
                index.setdefault(key.lower(), []).append(value)
            self._index = (self.headers, index)
        return self._index[1]

    def addresses(self, *names: str) -> list[str]:
        """Return the addresses found in the named headers, as written, in order, without repeats."""
        addresses, readable = read_addresses([value for name in names for value in self.header_values(name)])
        if not readable:
            self.defects.append(
                Defect(
                    "header.unreadable-addresses",
                    "an address header could not be parsed; its addresses were read as text",
                )
            )
        return addresses


def read_addresses(values: list[str]) -> tuple[list[str], bool]:
    """Return the addresses in address-list texts, as written, in order, without repeats.

    Display names, comments and several addresses per text are read as in a To header. The
    flag is False when the parser failed and the addresses were taken from the raw text.
    """
    readable = True
    found = _simple_addresses(values)
    if found is None:
        try:
            found = [address for _display, address in getaddresses(values)]
        except (RecursionError, ValueError, IndexError, TypeError):
            # The standard library parses nested comments recursively, so thousands of "("
            # exhaust the stack. The addresses are then taken from the text.
            found = [found for value in values for found in _ADDRESS_TEXT.findall(value[:MAX_HEADER_SCAN])]
            readable = False
    seen: dict[str, str] = {}
    for address in found:
        address = address.strip().strip("<>")
        if len(address) > 2 and address[0] == address[-1] == '"':
            # '<"ann@example.org">' is read as one quoted local part. Clients take the
            # address inside the quotes, as the standard library's newer parser does.
            address = address[1:-1].strip()
        if "@" in address and address.lower() not in seen:
            seen[address.lower()] = address
    return list(seen.values()), readable


def _simple_addresses(values: list[str]) -> list[str] | None:
    """Return the addresses of texts made only of simple list items, or None for any other text."""
    found = []
    for value in values:
        items = value.split(",") if '"' not in value else [value]
        for item in items:
            match = _SIMPLE_ITEM.fullmatch(item)
            if match is None:
                return None
            found.append(match[1] or match[2])
    return found


def parse_message(message: bytes | str | Message) -> ParsedMessage:
    """Parse a message given as bytes, text or an already parsed ``Message``.

    Never raises on content: problems become defects on the returned object.
    """
    parsed = ParsedMessage()
    if isinstance(message, Message):
        # NOTE: a caller's Message is only read, never changed, so its overlong parameter
        # fields are not cut. Each lookup of such a field then takes quadratic time.
        root = message
    else:
        raw = message if isinstance(message, bytes) else _text_to_bytes(message, parsed)
        raw = _cut_parameter_fields(raw, parsed)
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
    raw_headers = getattr(root, "_headers", None)
    if isinstance(raw_headers, list):
        # The stored values keep 8-bit bytes as surrogate escapes, which items() would turn
        # into replacement characters; clean_text() decodes them as UTF-8 instead. Reading
        # them also for other policies gives a parsed Message the report its bytes give.
        items = [(str(name), str(value)) for name, value in raw_headers]
    else:
        try:
            items = root.items()
        except (UnicodeError, ValueError, TypeError, IndexError, email.errors.MessageError):
            # A parsed Message whose policy cannot parse its own headers: read the raw pairs.
            parsed.defects.append(Defect("header.unreadable", "headers could not be parsed by the message's policy"))
            items = [(str(name), str(value)) for name, value in raw_headers or []]
    for name, value in items:
        headers.append((clean_text(str(name)), decode_header_value(value, parsed)))
    return headers


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,40})\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)\s+(?==\?)")


def decode_header_value(value: object, parsed: ParsedMessage | None = None) -> str:
    """Decode RFC 2047 encoded words in a header value.

    An unknown charset falls back to UTF-8, then Windows-1252, and records a defect. Text
    that only looks like an encoded word (bad base64) stays as written, as RFC 2047 requires.
    """
    try:
        text = clean_text(str(value))
    except UnicodeError:
        # A Header object with a lone surrogate cannot be turned into text by the standard library.
        chunks = getattr(value, "_chunks", [])
        text = clean_text(" ".join(str(chunk) for chunk, _charset in chunks))
    if "=?" not in text:
        return " ".join(text.split())
    # Whitespace between two adjacent encoded words is not part of the text.
    text = _BETWEEN_WORDS.sub("", text)
    return " ".join(_ENCODED_WORD.sub(lambda match: _decode_word(match, parsed), text).split())


def _decode_word(match: re.Match[str], parsed: ParsedMessage | None) -> str:
    charset, encoding, payload = match.group(1), match.group(2).upper(), match.group(3)
    charset = charset.split("*", 1)[0].lower()  # RFC 2231 language suffix
    try:
        if encoding == "B":
            payload = payload.rstrip("=")
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    try:
        return data.decode(_codec_name(charset))
    except (LookupError, UnicodeDecodeError, ValueError):
        if parsed is not None:
            parsed.defects.append(
                Defect("header.bad-encoded-word", f"encoded word in unknown or wrong charset {charset[:40]!r}")
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _text_to_bytes(text: str, parsed: ParsedMessage) -> bytes:
    """Encode text input as UTF-8, keeping escaped bytes and replacing lone surrogates."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        parsed.defects.append(Defect("input.lone-surrogate", "input text has lone surrogates; they were replaced"))
        return text.encode("utf-8", "replace")


def clean_text(text: str) -> str:
    """Return text that encodes as UTF-8: escaped bytes decoded as UTF-8, lone surrogates replaced."""
    if not _has_surrogates(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


MAX_PARAMETER_HEADER = 8192
"""Characters kept of a Content-Type or Content-Disposition field; real ones are far shorter."""
_PARAMETER_FIELD_NAMES = (b"content-type", b"content-disposition")
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")
# As the standard library reads a header line: the name runs up to the colon, with no space.
_FIELD_NAME = re.compile(rb"([!-9;-~]+):")
_BOUNDARY_PARAMETER = re.compile(rb"""boundary[ \t]*=[ \t]*(?:"([^"]*)"|([^;\s]+))""", re.I)
# A line break that is not followed by a folded continuation line ends a field.
_FIELD_END = re.compile(rb"\r\n(?![ \t])|\r(?![\n \t])|\n(?![ \t])")


def _cut_parameter_fields(raw: bytes, parsed: ParsedMessage) -> bytes:
    """Cut overlong Content-Type and Content-Disposition header fields at a parameter boundary.

    The standard library splits parameters by slicing the rest of the value again after each
    one, which is quadratic, and its parser already does so while reading a multipart: a
    field of a million characters took seconds. Only header blocks are cut (the message's
    and those after a declared boundary or inside an attached message), never body text.
    """
    if len(raw) <= MAX_PARAMETER_HEADER or not _may_hold_long_field(raw.lower()):
        return raw
    # NOTE: the scan follows the usual header layouts. Some blocks are not cut: one that the
    # standard library reads past a malformed line, one after a boundary written with quoted
    # pairs, RFC 2231 or a fold after "=", and a multipart without a boundary. A long field
    # there is parsed in quadratic time (about 0.5 s for 300 KB).
    cuts: list[tuple[int, int, bytes]] = []
    boundaries: set[bytes] = set()
    scanned = _scan_headers_from(raw, 0, boundaries, cuts, parsed)
    for start in _delimiter_line_starts(raw):
        if start < scanned:
            continue  # inside a header block already read: each byte is scanned once
        line = _LINE.match(raw, start)
        if line is not None and line.group(0).rstrip(b"\r\n")[2:].rstrip(b" \t") in boundaries:
            scanned = _scan_headers_from(raw, line.end(), boundaries, cuts, parsed)
    if not cuts:
        return raw
    pieces: list[bytes] = []
    done = 0
    for start, end, shortened in sorted(cuts):
        if start < done:
            continue
        pieces.append(raw[done:start])
        pieces.append(shortened)
        done = end
    pieces.append(raw[done:])
    return b"".join(pieces)


def _delimiter_line_starts(raw: bytes) -> Iterator[int]:
    """Yield the offset of each line that starts with "--", in order."""
    if raw.startswith(b"--"):
        yield 0
    after_lf = raw.find(b"\n--")
    after_cr = raw.find(b"\r--")
    while after_lf != -1 or after_cr != -1:
        if after_cr == -1 or (after_lf != -1 and after_lf < after_cr):
            yield after_lf + 1
            after_lf = raw.find(b"\n--", after_lf + 1)
        else:
            yield after_cr + 1
            after_cr = raw.find(b"\r--", after_cr + 1)


def _may_hold_long_field(lowered: bytes) -> bool:
    """Tell cheaply whether some Content-Type or Content-Disposition may run past the limit."""
    for name in _PARAMETER_FIELD_NAMES:
        position = lowered.find(name)
        while position != -1:
            # Only a name at the start of a line can begin a field.
            at_line_start = position == 0 or lowered[position - 1 : position] in (b"\r", b"\n")
            if at_line_start:
                # No end position: the look-ahead must see the character after a line break.
                end = _FIELD_END.search(lowered, position)
                if end is None or end.start() - position > MAX_PARAMETER_HEADER:
                    return True
            position = lowered.find(name, position + len(name))
    return False


def _scan_headers_from(
    raw: bytes, start: int, boundaries: set[bytes], cuts: list[tuple[int, int, bytes]], parsed: ParsedMessage
) -> int:
    """Read the header block at ``start``, and those of attached messages right after it.

    Returns the offset where reading stopped.
    """
    for _ in range(MAX_DEPTH):
        start, attached = _scan_header_block(raw, start, boundaries, cuts, parsed)
        if not attached:
            break
    return start


def _scan_header_block(
    raw: bytes, start: int, boundaries: set[bytes], cuts: list[tuple[int, int, bytes]], parsed: ParsedMessage
) -> tuple[int, bool]:
    """Read one header block from ``start``: note its boundary and cut overlong fields.

    Returns the offset after the block and whether it declares message/rfc822, whose body
    starts with another header block.
    """
    position = start
    field_start = -1
    field_name = b""
    attached = False

    def close(field_end: int) -> None:
        nonlocal attached
        if field_start < 0 or field_name not in _PARAMETER_FIELD_NAMES:
            return
        value = raw[field_start : min(field_end, field_start + MAX_PARAMETER_HEADER)]
        if field_name == b"content-type":
            media_type = value.lower().split(b":", 1)[-1].strip()
            found = _BOUNDARY_PARAMETER.search(value) if media_type.startswith(b"multipart/") else None
            if found is not None:
                boundaries.add((found.group(1) or found.group(2) or b"").rstrip(b" \t"))
            attached = attached or media_type.startswith(b"message/")
        if len(raw[field_start:field_end].rstrip(b"\r\n")) > MAX_PARAMETER_HEADER:
            field = raw[field_start:field_end]
            ending = field[len(field.rstrip(b"\r\n")) :]
            shortened = value[: value.rfind(b";")] if b";" in value else value
            cuts.append((field_start, field_end, shortened.rstrip(b"\r\n") + ending))
            name = field_name.decode("ascii", "replace")
            parsed.defects.append(Defect("header.too-long", f"{name} field of {field_end - field_start} bytes was cut"))

    while position < len(raw):
        line = _LINE.match(raw, position)
        if line is None or line.end() == position:
            break
        content = line.group(0).rstrip(b"\r\n")
        if content[:1] in (b" ", b"\t") and field_start >= 0:
            position = line.end()  # a folded continuation line
            continue
        close(position)
        field_start = -1
        if not content:
            position = line.end()
            break  # the blank line that ends the block
        named = _FIELD_NAME.match(content)
        if named is None and not (position == 0 and content.startswith(b"From ")):
            break  # not a header line: the body starts here
        if named is not None:
            field_start = position
            field_name = named.group(1).lower()
        position = line.end()
    close(position)
    return position, attached


def _part_base(part: Message, parsed: ParsedMessage) -> str | None:
    """Return the part's base URL: its own Content-Location or Content-Base, resolved
    against the base of its enclosing multipart when relative (RFC 2557), or that base."""
    inherited = parsed.inherited_bases.get(id(part))
    outer = inherited[1] if inherited is not None and inherited[0] is part else None
    own = _content_base(part)
    if own is not None:
        return own
    if outer is not None:
        relative = _relative_location(part)
        if relative:
            with contextlib.suppress(ValueError):
                return urljoin(outer, relative)
    return outer


def _relative_location(part: Message) -> str | None:
    """Return the part's Content-Location when it is a relative reference, or None."""
    value = "".join(_header_text(part, "Content-Location").split()).strip("<>\"'")
    if not value or len(value) > 2048 or ":" in value.split("/", 1)[0]:
        return None  # absent, too long, or with a scheme such as cid: or http:
    return value


def _content_base(part: Message) -> str | None:
    """Return the part's Content-Location, or else Content-Base, when it is an absolute http(s) URL."""
    for name in ("Content-Location", "Content-Base"):
        value = "".join(_header_text(part, name).split()).strip("<>\"'")
        if value.lower().startswith(("http://", "https://")) and len(value) <= 2048:
            return value
    return None


def _child_path(prefix: str, number: int) -> str:
    return f"{prefix}.{number}" if prefix else str(number)


def _walk(part: Message, path: str, depth: int, parsed: ParsedMessage, counter: list[int]) -> None:
    """Read every part below ``part``, depth first, with an explicit stack instead of recursion."""
    stack: list[tuple[Message, str, int]] = [(part, path, depth)]
    while stack:
        current, current_path, current_depth = stack.pop()
        children = _read_part(current, current_path, current_depth, parsed, counter)
        stack.extend(reversed(children))


def _read_part(
    part: Message, path: str, depth: int, parsed: ParsedMessage, counter: list[int]
) -> list[tuple[Message, str, int]]:
    """Read one part and return its child parts to visit."""
    counter[0] += 1
    if counter[0] > MAX_PARTS:
        if counter[0] == MAX_PARTS + 1:
            parsed.defects.append(Defect("mime.too-many-parts", f"more than {MAX_PARTS} parts; the rest were skipped"))
        return []
    if depth > MAX_DEPTH:
        if depth == MAX_DEPTH + 1:
            parsed.defects.append(Defect("mime.too-deep", f"parts nested deeper than {MAX_DEPTH} were skipped", path))
        return []
    for defect in getattr(part, "defects", []):
        if not parsed.is_email and not path and isinstance(defect, _HEADER_DEFECTS):
            continue  # Input without headers already has mime.not-email; these repeat it.
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
            return []
        if content_type == "message/rfc822" or part.get_content_maintype() == "message":
            # The attached message's own parts are numbered under this part's path.
            return [(child, path or "1", depth + 1) for child in children if isinstance(child, Message)]
        base = _part_base(part, parsed)
        for child in children:
            if not isinstance(child, Message):
                continue
            if base is not None:
                # RFC 2557: a multipart's Content-Location is the base of the parts inside it.
                parsed.inherited_bases[id(child)] = (child, base)
        return [
            (child, _child_path(path, index), depth + 1)
            for index, child in enumerate(children, start=1)
            if isinstance(child, Message)
        ]

    part_path = path or "1"
    if content_type.startswith("multipart/"):
        # compat32 leaves a multipart whose boundary is missing or never matches as one text
        # payload. Find the boundary the body really uses and read the parts with it.
        _reparse_multipart(part, part_path, depth, parsed, counter)
        return []
    maintype = part.get_content_maintype()
    disposition = _header_text(part, "Content-Disposition").split(";")[0].strip().lower()
    if (
        content_type in _HTML_TYPES
        or content_type in _AMP_TYPES
        or (content_type == "text/plain" and disposition != "attachment")
    ):
        data = _decode_transfer(part, part_path, parsed)
        text = _decode_charset(data, part, part_path, parsed, html=content_type != "text/plain")
        body = BodyPart(part_path, content_type, text, _part_base(part, parsed))
        if content_type in _AMP_TYPES:
            parsed.amp_parts.append(body)
        elif content_type in _HTML_TYPES:
            parsed.html_parts.append(body)
        elif _looks_like_html(text):
            # Some senders label an HTML body as text/plain; clients that sniff show it as HTML.
            parsed.defects.append(Defect("mime.html-as-plain", "a text/plain part contains HTML", part_path))
            parsed.html_parts.append(BodyPart(part_path, "text/html", text, body.base))
        else:
            parsed.text_parts.append(body)
    elif content_type in ("text/calendar", "application/ics"):
        # A client shows an invitation's description, location and URL properties with
        # clickable links. Folded lines (a line break followed by a space) are joined first.
        data = _decode_transfer(part, part_path, parsed)
        text = _decode_charset(data, part, part_path, parsed, html=False)
        text = _ICS_FOLD.sub("", text).replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")
        parsed.text_parts.append(BodyPart(part_path, content_type, text))
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
            return [(inner, part_path, depth + 1)]
    return []


def _header_text(part: Message, name: str) -> str:
    """Return a part header as text; compat32 may give a ``Header`` object for 8-bit values."""
    value = part.get(name)
    return "" if value is None else str(value)


_BOUNDARY_LINE = re.compile(r"^--([^\s-][^\s]{0,69}?)(?:--)?[ \t]*\r?$", re.M)


def _reparse_multipart(part: Message, path: str, depth: int, parsed: ParsedMessage, counter: list[int]) -> None:
    payload = getattr(part, "_payload", None)
    text = payload if isinstance(payload, str) else ""
    parsed.defects.append(Defect("mime.no-parts", "multipart body has no parts that match its boundary", path))
    found = [match.group(1) for match in _BOUNDARY_LINE.finditer(text[:2_000_000])]
    if not found:
        _salvage_text(text, path, parsed)
        return
    boundary = max(set(found), key=found.count)
    header = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\r\n\r\n'
    raw = (header + text).encode("utf-8", "surrogateescape")
    try:
        repaired = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    except RecursionError:
        _salvage_text(text, path, parsed)
        return
    if not repaired.is_multipart():
        _salvage_text(text, path, parsed)
        return
    parsed.defects.append(
        Defect("mime.boundary-repaired", f"parts were read with the boundary {boundary[:40]!r} found in the body", path)
    )
    base = _part_base(part, parsed)
    if base is not None:
        parsed.inherited_bases[id(repaired)] = (repaired, base)
    _walk(repaired, "" if path == "1" else path, depth + 1, parsed, counter)


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return ("<html" in head or "<body" in head or "<table" in head) and "</" in text


def _defect_code(defect: object) -> str:
    name = type(defect).__name__
    name = name.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower() or "defect"


_HEADER_DEFECTS = (
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.FirstHeaderLineIsContinuationDefect,
    email.errors.MisplacedEnvelopeHeaderDefect,
)

# Plain sentences for the defects the standard library's parser records; most of them
# carry no text of their own.
_DEFECT_SENTENCES = {
    "StartBoundaryNotFoundDefect": "the multipart boundary never appears in the body",
    "CloseBoundaryNotFoundDefect": "the multipart body ends without its closing boundary",
    "MissingHeaderBodySeparatorDefect": "a header line without a colon ends the headers early",
    "MultipartInvariantViolationDefect": "a part declared multipart has no subparts",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart part declares a transfer encoding",
    "NoBoundaryInMultipartDefect": "a multipart part has no boundary parameter",
    "FirstHeaderLineIsContinuationDefect": "the first header line is a continuation line",
    "MisplacedEnvelopeHeaderDefect": "a 'From ' envelope line sits among the headers",
    "MalformedHeaderDefect": "a header line has no colon",
    "InvalidBase64CharactersDefect": "base64 text has characters outside the base64 alphabet",
    "InvalidBase64LengthDefect": "base64 text has a length that cannot be decoded",
    "InvalidBase64PaddingDefect": "base64 text has wrong padding",
}


def _defect_message(defect: object) -> str:
    name = type(defect).__name__
    text = _DEFECT_SENTENCES.get(name) or clean_text(str(defect)) or _defect_code(defect).replace("-", " ")
    return text[:200]


def _raw_payload(payload: str | bytes) -> bytes:
    """Return a part's body as the bytes it arrived as.

    The bytes parser keeps non-ASCII bytes as surrogate escapes, which ``ascii`` with
    ``surrogateescape`` turns back into the original bytes. A message built from text
    (a ``Message`` parsed from ``str``) contains real characters instead. Those are encoded
    as UTF-8, which the charset step then decodes.
    """
    if isinstance(payload, bytes):
        return payload
    try:
        return payload.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return payload.encode("utf-8", "surrogateescape")


def _decode_transfer(part: Message, path: str, parsed: ParsedMessage) -> bytes:
    # The stored payload, not get_payload(): for 8-bit bodies get_payload() already decodes
    # with the declared charset (replacing what does not fit), which loses the bytes.
    payload = getattr(part, "_payload", None)
    if payload is None:
        payload = part.get_payload()
    if isinstance(payload, list):
        return b""
    raw = _raw_payload(payload if isinstance(payload, bytes) else str(payload))
    encoding = _header_text(part, "Content-Transfer-Encoding").strip().lower()
    if encoding == "base64":
        return decode_base64(raw, path, parsed)
    if encoding == "quoted-printable":
        # Transport may add spaces after a soft line break; RFC 2045 says to drop them.
        return quopri.decodestring(_QP_SOFT_BREAK_SPACES.sub(rb"=\1", raw))
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
_QP_SOFT_BREAK_SPACES = re.compile(rb"=[ \t]+(\r?\n)")
#: Labels that mail clients decode as a wider encoding, as the WHATWG Encoding Standard specifies:
#: senders label windows-1252 text as Latin-1 and GBK text as GB2312.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "gb2312": "gbk",
    "gb_2312-80": "gbk",
    "x-gbk": "gbk",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-31j": "cp932",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    # Apple Mail's names for the classic Mac charsets.
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-greek": "mac-greek",
    "x-mac-turkish": "mac-turkish",
    "x-mac-icelandic": "mac-iceland",
    "x-mac-ce": "mac-latin2",
    "x-mac-croatian": "mac-croatian",
    "x-mac-romanian": "mac-romanian",
}

_known_codecs: frozenset[str] | None = None
"""Normalized names of every codec module imported and of every alias of one, once
``forbid_codec_imports()`` ran; None until then."""


def forbid_codec_imports() -> None:
    """Treat every charset name that no imported codec or alias has as unknown from now on.

    Called by ``preload()`` after it imported every codec module. The codec registry tries
    to import a module named after each new charset name, so without this an unknown name
    in a message would still start an import. An alias counts only when its module was
    imported: ``dbcs`` names ``mbcs``, which exists on Windows only.
    """
    global _known_codecs
    modules = {name.removeprefix("encodings.") for name in sys.modules if name.startswith("encodings.")}
    aliases = {alias for alias, module in encodings.aliases.aliases.items() if module in modules}
    _known_codecs = frozenset(modules | aliases)


# The registry lower-cases ASCII letters only and reads every other character that is not an
# ASCII letter, digit or dot as a separator, so "utf-\uff18" is looked up as "utf".
_ASCII_UPPER_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_REGISTRY_SEPARATORS = re.compile(r"[^a-z0-9.]+")


def _codec_name(charset: str) -> str:
    """Return the codec name of a charset, or raise LookupError when there is none."""
    name = _CHARSET_ALIASES.get(charset, charset)
    known = _known_codecs
    if known is not None:
        normalized = _REGISTRY_SEPARATORS.sub("_", name.translate(_ASCII_UPPER_TO_LOWER)).strip("_")
        if normalized not in known and normalized.replace(".", "_") not in known:
            raise LookupError(name)
    return codecs.lookup(name).name


def decode_base64(raw: bytes, path: str = "", parsed: ParsedMessage | None = None) -> bytes:
    """Decode base64 leniently: skip stray characters, repair padding, drop a dangling last character."""
    cleaned = _NOT_BASE64.sub(b"", raw)
    stripped = raw.rstrip(b" \t\r\n")
    padding = len(stripped) - len(stripped.rstrip(b"="))
    remainder = len(cleaned) % 4
    padded = padding == (-len(cleaned)) % 4
    if remainder == 1:
        # One character cannot carry a whole byte; the standard library gives up on the whole part here.
        cleaned = cleaned[:-1]
        if parsed is not None:
            parsed.defects.append(Defect("mime.bad-base64", "base64 body has a dangling character", path))
    elif not padded and parsed is not None:
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
            codec = _codec_name(charset)
        except (LookupError, ValueError):
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
