"""TD7xx: the recipient's address inside URLs."""

from __future__ import annotations

from ._base import Subject, rule


@rule("TD701", "recipient-address-in-url", "Contains the recipient's address", ("resource", "link"), 4.0)
def recipient_address_in_url(subject: Subject) -> str | None:
    """Fire when a recipient's address appears in the URL, plain or encoded.

    Encodings: plain in any case, percent-encoded once or twice, base64 and base64url at
    every alignment, hex, MD5, SHA-1 and SHA-2 digests (hex and base64), one level of
    hash of a hash, and a distinctive local part. Why: the address identifies the reader
    to the host and to every party the URL is passed to.
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
    a contact address in a link) does not fire.
    Example: ``https://img.example.net/726f6472...6f6d.gif`` (hex of an address).
    """
    if subject.leaks or subject.address is None:
        return None
    address, encoding = subject.address
    if address.rsplit("@", 1)[-1].endswith(subject.parts.domain):
        return None
    return f"{encoding} address {address}"


RULES = (recipient_address_in_url, address_in_url)
