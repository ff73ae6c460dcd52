"""TD7xx: the recipient's address inside URLs."""

from __future__ import annotations

import re

from .._urls import registered_domain
from ._base import Subject, rule

# A Message-ID's left part, which archive and group links carry (".../msgid/<id>"), looks
# like an address to a pattern. Generators make it of a timestamp ("20240611093512.2847113-1-")
# or of a random run that switches between letters and digits many times ("CAF6MeLGekwPV5163").
_TIMESTAMP_START = re.compile(r"\d{12,}[.\-]")
_CLASS_SWITCH = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_MIN_RANDOM_LENGTH = 16
_MIN_CLASS_SWITCHES = 6


@rule("TD701", "recipient-address-in-url", "Contains the recipient's address", ("resource", "link"), 4.0)
def recipient_address_in_url(subject: Subject) -> str | None:
    """Fire when a recipient's address appears in the URL, plain or encoded.

    Encodings: plain in any case, percent-encoded once or twice, base64 and base64url at
    every alignment, hex, MD5, SHA-1 and SHA-2 digests (hex and base64), one level of
    hash of a hash, and a distinctive local part. Why: the address identifies the reader
    to the host and to every party the URL is passed to.
    Not counted: the sender's local part in a host name, a local part in a link on its own
    address's site, and an address ending a git send-email Message-ID in a link. In an
    unsubscribe, preference or action link that is not itself a tracker's redirect, the
    leak has low confidence: such a link must name the reader to work.
    Example: ``https://t.example/open?e=YW5uQGV4YW1wbGUub3Jn``.
    """
    if not subject.leaks:
        return None
    leak = subject.leaks[0]
    return f"{leak.encoding} address in {leak.position}"


@rule("TD702", "address-in-url", "Contains an email address", ("resource", "link"), 2.0)
def address_in_url(subject: Subject) -> str | None:
    """Fire when the URL carries an email address that is not a known recipient's.

    The address may be plain, percent-encoded, hex or base64 (at any alignment). Why: the
    recipient is not always known (Bcc, forwarded or anonymised mail), yet an address in a
    pixel or link still identifies someone. An address on its own host's domain (such as
    a contact address in a link) does not fire. Nor does a Message-ID in a mailing-list
    archive or group link. A Message-ID is an address whose left part starts with a
    timestamp or switches between letters and digits six times or more, one at
    ``mail.gmail.com`` (where Gmail's Message-IDs end), or one in a ``/msgid/`` path. In an
    image such a Message-ID still fires: it names one copy of the message, and so its reader.
    Example: ``https://img.example.net/726f6472...6f6d.gif`` (hex of an address).
    """
    if subject.leaks or subject.address is None:
        return None
    address, encoding = subject.address
    if registered_domain(address.rpartition("@")[2]) == subject.parts.domain:
        return None
    if subject.reference.role != "resource" and (
        looks_like_message_id(address) or address.endswith("@mail.gmail.com") or "/msgid/" in subject.parts.path
    ):
        # Only in links: a Message-ID in an image is the id of one copy, so it identifies the reader.
        return None
    return f"{encoding} address {address}"


def looks_like_message_id(address: str) -> bool:
    """Tell whether an address-shaped text is more likely a Message-ID than a mailbox.

    People choose their addresses, so a local part rarely starts with a long timestamp or
    switches between letters and digits more than a few times. Generated Message-IDs do.
    """
    local_part = address.rpartition("@")[0]
    if _TIMESTAMP_START.match(local_part):
        return True
    return len(local_part) >= _MIN_RANDOM_LENGTH and len(_CLASS_SWITCH.findall(local_part)) >= _MIN_CLASS_SWITCHES


RULES = (recipient_address_in_url, address_in_url)
