"""TD4xx: identifiers in the URL that single out the recipient."""

from __future__ import annotations

import re

from ._base import Subject, rule

_OPEN_WORDS = re.compile(
    r"(?:^|[/_.\-])(?:open|opens|opened|track|tracker|tracking|trk|pixel|beacon|imp|impression|"
    r"emailread|mailopen|openrate|track-opening|1x1)(?:\.(?:gif|png|jpe?g|php|aspx?|cfm)|[/_.\-]|$)"
    r"|/(?:o|t|p|e|open|pixel|beacon)\.(?:gif|png)$",
    re.I,
)


def _short(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


@rule("TD401", "open-endpoint-words", "Path names an open-tracking endpoint", ("resource",), 1.0)
def open_endpoint_words(subject: Subject) -> str | None:
    """Fire when the path contains a word that open-tracking endpoints use.

    Words: open, track, pixel, beacon, imp(ression), emailRead, ``1x1``, and file names
    such as ``o.gif``, ``t.gif`` and ``p.png``. Weak evidence on its own: ordinary pages
    use these words too, so the judge needs another signal (an identifier, a tiny size,
    hiding) before it calls a pixel.
    Example: ``https://e.news.example.com/open?EYm...``.
    """
    match = _OPEN_WORDS.search(subject.parts.path)
    if match is None:
        return None
    return f"path word {match.group(0).strip('/_.-')!r}"


@rule("TD402", "per-recipient-token", "Carries an opaque identifier", ("resource", "link"), 2.0)
def per_recipient_token(subject: Subject) -> str | None:
    """Fire when a path segment or query value is an opaque machine identifier.

    Why: a value unique to each recipient reveals to the server who fetched or clicked.
    An identifier is long, drawn from a code alphabet and mixes character classes: a
    UUID, 12 or more hex digits, 9 or more decimal digits, or 12 or more mixed letters
    and digits with high entropy. Slugs, dates and an image's own file name (content
    networks name files by hash) do not count. Nor do the ids that name the file or parcel in
    links to file-sharing and parcel-tracking sites (OneDrive, SharePoint, Google Drive,
    Dropbox, USPS...): the path and the host's own id parameters. TD404 skips those
    parameters too.
    False positives: campaign or account ids that are the same for every recipient.
    Example: ``?upn=u001.s4A7ZqC-2Ftxqw36qkcPzhAm``.
    """
    if not subject.tokens:
        return None
    token = subject.tokens[0]
    extra = f" and {len(subject.tokens) - 1} more" if len(subject.tokens) > 1 else ""
    return f"{token.where} {_short(token.value)!r}{extra}"


@rule("TD403", "repeated-token", "The same identifier appears in other URLs", ("resource", "link"), 1.0)
def repeated_token(subject: Subject) -> str | None:
    """Fire when an identifier of this URL also appears in other URLs of the message.

    Why: a subscriber id repeated in the pixel and in every link ties all of them to one
    recipient. False positives: an account or campaign id repeated everywhere.
    """
    if not subject.repeated_tokens:
        return None
    return f"{_short(subject.repeated_tokens[0])!r} is also in other URLs"


@rule("TD404", "tracking-parameter", "Has a per-recipient tracking parameter", ("resource", "link"), 4.0)
def tracking_parameter(subject: Subject) -> str | None:
    """Fire when a query parameter is a known per-recipient tracking identifier.

    Why: the sender's analytics tie the visit to the subscriber, and the page
    visited learns it too. Examples: Mailchimp ``mc_eid``, HubSpot ``_hsenc`` and ``_hsmi``, Marketo
    ``mkt_tok``, Vero ``vero_id``, Klaviyo ``_kx``, Iterable ``_e``, ConvertKit
    ``ck_subscriber_id``. Campaign analytics such as ``utm_source`` do not fire.
    """
    if not subject.recipient_parameters:
        return None
    names = ", ".join(sorted({name for name, _value in subject.recipient_parameters}))
    return f"parameter {names}"


@rule(
    "TD405", "listed-tracking-parameter", "Has a parameter the user's ClearURLs rules list", ("resource", "link"), 1.0
)
def listed_tracking_parameter(subject: Subject) -> str | None:
    """Fire when a user-supplied ClearURLs rule lists one of the URL's query parameters.

    Weak evidence: ClearURLs rules name campaign tags and recipient ids alike, so this
    adds to other signals but does not make a link tracked by itself.
    """
    if not subject.listed_parameters:
        return None
    name, provider = subject.listed_parameters[0]
    return f"parameter {name} ({provider})"


RULES = (open_endpoint_words, per_recipient_token, repeated_token, tracking_parameter, listed_tracking_parameter)
