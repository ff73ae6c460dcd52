"""The rule registry: every rule trackdetect runs, as one explicit tuple.

Codes are grouped by hundreds: 1xx image geometry, 2xx hiding and event CSS, 3xx known
vendors, 4xx identifiers in URLs, 5xx links and redirects, 6xx headers, 7xx address
leaks, 8xx remote content. A code is never reused for another meaning.
"""

from __future__ import annotations

from . import geometry, hiding, identifiers, leaks, links, remote, vendors
from ._base import HeaderRule, Rule, Subject

RULES: tuple[Rule, ...] = (
    *geometry.RULES,
    *hiding.RULES,
    *vendors.RULES,
    *identifiers.RULES,
    *links.RULES,
    *leaks.RULES,
    *remote.RULES,
)

READ_RECEIPT = HeaderRule(
    "TD601",
    "read-receipt-request",
    "Asks the mail client to confirm reading",
    5.0,
    """Fire on each header that requests a read receipt: ``Disposition-Notification-To``
(RFC 8098), ``Return-Receipt-To`` and ``X-Confirm-Reading-To``.

Why: a client that honours it sends the sender a notice when the message is opened.
Example: ``Disposition-Notification-To: sales@example.com``.""",
)
SECURITY_WRAPPER = HeaderRule(
    "TD504",
    "security-wrapper",
    "Link wrapped by a security gateway, mail provider or shortener",
    0.0,
    """Fire on a link wrapper that is not sender tracking: Outlook Safe Links, Proofpoint
URL Defense, Mimecast, Symantec ClickTime, Barracuda, a mail provider's redirect, or a
public shortener.

The wrapper becomes an informational ``redirect`` finding with its destination, and
the wrapped URL is judged on its own. A provider's redirect in mail from that provider
(``t.co/redirect`` in mail from x.com, LinkedIn's ``/redir/redirect`` in LinkedIn's
notifications) is the sender's own click tracking: it is judged as a link instead.""",
)
BASE_URL = HeaderRule(
    "TD803",
    "base-url",
    "Sets the base that relative URLs resolve against",
    0.0,
    """Fire on a ``<base href>``: every relative URL in the part is resolved against it.

Informational: the base itself is not fetched, but it decides which host the part's
relative images and links reach, so it is reported as ``remote_content``.""",
)
HEADER_RULES: tuple[HeaderRule, ...] = (SECURITY_WRAPPER, READ_RECEIPT, BASE_URL)

ALL_CODES = tuple(sorted([rule.code for rule in RULES] + [rule.code for rule in HEADER_RULES]))

__all__ = [
    "ALL_CODES",
    "BASE_URL",
    "HEADER_RULES",
    "READ_RECEIPT",
    "RULES",
    "SECURITY_WRAPPER",
    "HeaderRule",
    "Rule",
    "Subject",
]
