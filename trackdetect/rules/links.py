"""TD5xx: click-tracking redirects and what they hide."""

from __future__ import annotations

import re

from .._urls import registered_domain
from ._base import Subject, rule

_REDIRECT_PATH = re.compile(
    r"^/(?:[^/]{0,40}/)?(?:r|c|l|e|ls|cl|go|out|redirect|redir|click|clicks|link|links|"
    r"lnk|trk|ss|wf|q|ct|mpss|e3t|ctc|ctt)(?:/|$|\?|\.php|\.aspx?)",
    re.I,
)
_REDIRECT_HOST = re.compile(
    r"^(?:click|clicks|link|links|lnk|track|tracking|trk|t|e|em|email|emails|go|r|redirect|"
    r"ablink|url\d*|u\d+|email\d*|e\d+)\.",
    re.I,
)
_DOMAIN_TEXT = re.compile(r"(?:https?://)?((?:[a-z0-9-]{1,63}\.)+[a-z]{2,24})(?:[/:?#]|$)", re.I)


@rule("TD501", "embedded-destination", "Carries the real destination inside the URL", ("resource", "link"), 2.0)
def embedded_destination(subject: Subject) -> str | None:
    """Fire when another URL is carried in a parameter, in the path (also base64) or in the fragment.

    Why: a redirect that receives the destination as a parameter logs the click on its way.
    The destination is reported, decoded one level per hop.
    Example: ``https://t.example.com/r?id=8f3a&url=https%3A%2F%2Fshop.example%2Fsale``.
    """
    if subject.destination is None:
        return None
    return f"destination in {subject.destination.where}"


@rule("TD502", "redirect-path", "Redirect-looking path or host with an identifier", ("link",), 2.0)
def redirect_path(subject: Subject) -> str | None:
    """Fire when a link's path or host has the shape of a redirect and the URL carries an identifier.

    Why: a redirect that identifies the recipient logs each click before sending the reader on.

    Shapes: paths such as ``/c/``, ``/r/``, ``/ls/click``, ``/redirect``, ``/link``, and
    hosts such as ``click.``, ``links.``, ``email.``, ``t.``, or a path that is one opaque
    token of 24 or more characters. ``/track/`` is not a redirect
    shape: parcel and order tracking pages use it, as they use ``track.`` hosts, whose
    known parcel services are exempt (see TD402). Either shape alone is common on
    ordinary sites, so an identifier must be present too.
    Example: ``https://links.news.example.com/c/8f3a91d0c2b7e5f4a1``.
    """
    if not (subject.tokens or subject.recipient_parameters):
        return None
    parts = subject.parts
    segment = parts.path.strip("/")
    if "/" not in segment and len(segment) >= 24 and any(token.value == segment for token in subject.tokens):
        return "whole path is one opaque token"
    if _REDIRECT_PATH.match(parts.path):
        return f"redirect path {parts.path[:40]!r}"
    if _REDIRECT_HOST.match(parts.host) and parts.host != parts.domain:
        return f"redirect host {parts.host!r}"
    return None


@rule("TD503", "text-destination-mismatch", "Link text names another domain", ("link",), 0.0)
def text_destination_mismatch(subject: Subject) -> str | None:
    """Fire when a link's visible text shows a domain other than the link's host and destination.

    Evidence only: a click tracker always shows such a mismatch, so this does not make a link
    phishing. It shows the reader where the click really goes first.
    Example: text ``www.example.org`` on ``https://click.mailer.example.net/?qs=...``.
    """
    text = subject.reference.link_text or ""
    match = _DOMAIN_TEXT.match(text.strip())
    if match is None:
        return None
    shown = registered_domain(match.group(1).lower())
    if shown == subject.parts.domain or "." not in shown:
        return None
    if subject.destination is not None and shown in subject.destination.url.lower():
        return f"text shows {shown}, link goes first to {subject.parts.domain}"
    return f"text shows {shown}, link goes to {subject.parts.domain}"


@rule("TD505", "link-ping", "Reported to this URL when the link is followed", ("link",), 5.0)
def link_ping(subject: Subject) -> str | None:
    """Fire on a URL in the ``ping`` attribute of a link.

    Why: a browser engine that honours ``<a ping>`` posts to each listed URL when the reader
    follows the link, with no other purpose than reporting the click. A client that removes
    the attribute sends nothing; one that renders the markup as a web page sends the report.
    Example: ``<a href="https://shop.example/" ping="https://t.example.net/p?u=8f3a">``.
    """
    if subject.reference.attribute != "ping":
        return None
    return "ping URL of a link"


RULES = (embedded_destination, redirect_path, text_destination_mismatch, link_ping)
