"""TD2xx: CSS that hides a resource or loads it only on some event."""

from __future__ import annotations

from ._base import Subject, rule


@rule("TD201", "hidden-by-css", "Hidden by CSS or markup", ("resource",), 2.0)
def hidden_by_css(subject: Subject) -> str | None:
    """Fire when the element, or an ancestor, is hidden.

    Why: a tracker needs only to be fetched, not seen. Hiding counts in every form:
    ``display:none``, ``visibility:hidden``, ``opacity:0``, ``mso-hide:all``, an off-screen
    position, ``max-height:0``, the ``hidden`` attribute, or a class or id that a
    ``<style>`` rule hides. False positives: responsive copies of visible images hidden on
    one screen size; the judge therefore needs an identifier besides the hiding.
    Example: ``<div style="display:none"><img src="https://x.example/p?u=8f3a..."></div>``.
    """
    return subject.reference.hidden


@rule("TD202", "event-triggered-css", "Loads only when printed, forwarded or hovered", ("resource",), 3.0)
def event_triggered_css(subject: Subject) -> str | None:
    """Fire when CSS fetches the resource only on an event: print, forward or reply, or hover.

    Why: these reveal more than an open. ``@media print`` backgrounds report printing.
    Rules scoped to quoted text (``blockquote``, Gmail's ``.gmail_quote``, Outlook's
    ``#divRplyFwdMsg``) load only in a forwarded or replied copy. ``:hover`` backgrounds
    report which part of the message the reader pointed at.
    Example: ``@media print { body { background: url(https://t.example/print?id=9f2c...) } }``.
    """
    event = subject.reference.event
    return f"loads on {event}" if event else None


RULES = (hidden_by_css, event_triggered_css)
