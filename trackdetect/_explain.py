"""Plain-language explanations of what a sender learns from each kind of finding.

Each finding carries a stable explanation code (``pixel``, ``pixel:sales_engagement``,
``tracked_link``, ...); ``explain(code)`` returns the text. Codes never change meaning, so
a program can translate or restyle them.
"""

from __future__ import annotations

from .report import Kind

_TEXTS: dict[str, str] = {
    "pixel": (
        "Tells the sender when you open this message and from which IP address (so roughly where you are), "
        "and often which mail app and device you use. Each later opening is reported too."
    ),
    "pixel:print": "Tells the sender when you print this message, and from which IP address.",
    "pixel:forward": (
        "Loads only in a forwarded or replied copy: tells the sender that the message was passed on, "
        "and when and from where the new reader opened it."
    ),
    "pixel:hover": "Tells the sender when you point at or tap part of the message.",
    "pixel:sales_engagement": (
        "A sales tracker: notifies the sender, often in real time, each time you open this message, "
        "how many times, from which IP address and device, and when it is opened elsewhere after forwarding."
    ),
    "pixel:personal_tracker": (
        "A personal read tracker: notifies the sender each time you open this message, with the time, "
        "your approximate location and your device."
    ),
    "pixel:ad_network": (
        "An advertising or data-broker beacon: links your opening, IP address and device to a profile "
        "that ad networks share."
    ),
    "pixel:analytics": "An analytics beacon: records your opening, IP address and device in the sender's analytics.",
    "pixel:deliverability": (
        "An inbox-monitoring beacon: reports to a deliverability service that and when the message was "
        "opened, and by which mail client."
    ),
    "pixel:esp": (
        "An email service's open tracker: tells the sender each time you open this message, when, from which IP "
        "address (roughly where you are) and with which mail app."
    ),
    "pixel:marketing_automation": (
        "A marketing-automation tracker: records each opening in your profile at the sender, with time, IP address "
        "and device, and can trigger follow-up mail."
    ),
    "pixel:transactional": (
        "A transactional email service's open tracker: tells the sender that and when you opened this message, and "
        "from which IP address."
    ),
    "pixel:newsletter_platform": (
        "A newsletter platform's open tracker: tells the publisher each time you open this issue, when and from which "
        "IP address and mail app."
    ),
    "pixel:customer_messaging": (
        "A customer-messaging platform's open tracker: adds each opening, with time, IP address and device, to the "
        "profile the company keeps on you."
    ),
    "pixel:first_party": (
        "The sender's own open tracker: tells the company that and when you opened this message, from which IP "
        "address and device, tied to your account."
    ),
    "pixel:survey": "A survey service's open tracker: tells the sender that and when you opened the invitation.",
    "pixel:events": "An event platform's open tracker: tells the organiser that and when you opened this message.",
    "pixel:ecommerce": (
        "A shop platform's open tracker: tells the shop each time you open this message, when and from which "
        "IP address."
    ),
    "pixel:chat_notification": (
        "Loading this image makes a chat service post a message to the sender, so the sender learns at once "
        "that and when you opened this message."
    ),
    "pixel:affiliate": (
        "An affiliate network's beacon: records the opening so that the network can credit a referral and follow you "
        "to a purchase."
    ),
    "tracked_link": (
        "Clicking this link first visits a tracker that records who you are, which link you clicked and when, "
        "then forwards you to the page."
    ),
    "tracked_link:direct": (
        "No redirect shows in this link, but it carries an identifier or your address, so the site it opens "
        "learns who clicked it and when."
    ),
    "tracked_link:sales_engagement": (
        "A sales tracker's link: the salesperson is notified, often at once, when you click it and which page "
        "you chose."
    ),
    "tracked_link:ad_network": (
        "An ad network's link: the click is added to an advertising profile that networks share, then you are sent on."
    ),
    "tracked_link:affiliate": (
        "An affiliate link: the network records your click, and any purchase after it, to pay a commission."
    ),
    "tracked_link:first_party": (
        "The sender's own click tracker: the company records that you, from your account, clicked this link and when."
    ),
    "tracked_image": (
        "A visible image whose address identifies you: loading it tells the sender that you opened the "
        "message, when, and from where."
    ),
    "remote_content": (
        "Fetched from a remote server when the message is shown: the server learns the time and your IP "
        "address, though not necessarily who you are."
    ),
    "read_receipt": (
        "Asks your mail app to send the sender a confirmation when you open the message; most apps ask you first."
    ),
    "recipient_leak": (
        "Your email address, plain or encoded, is part of this URL: the receiving server and anyone the URL "
        "is passed to can learn it."
    ),
    "redirect": (
        "A security gateway, mail provider or shortener wraps this link; it is not the sender's tracker. "
        "The link inside it is judged separately."
    ),
}

EXPLANATION_CODES = tuple(sorted(_TEXTS))


def explanation_code(kind: Kind, category: str | None, event: str | None = None) -> str:
    """Return the explanation code for a finding of this kind, vendor category and event."""
    if kind is Kind.PIXEL and event:
        return f"pixel:{event}"
    specific = f"{kind.value}:{category}" if category else ""
    return specific if specific in _TEXTS else kind.value


def explain(code: str) -> str:
    """Return the plain-language explanation for a code, falling back to its kind's text."""
    if code in _TEXTS:
        return _TEXTS[code]
    return _TEXTS.get(code.split(":", 1)[0], "")
