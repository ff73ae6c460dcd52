"""TD3xx: URLs of known tracking vendors."""

from __future__ import annotations

from ._base import Subject, rule


@rule("TD301", "vendor-open-shape", "Matches a known vendor's open-pixel URL", ("resource",), 6.0)
def vendor_open_shape(subject: Subject) -> str | None:
    """Fire when the URL matches an open-pixel shape of a vendor in the tracker data.

    Why: the vendor's own documentation or observed mail shows that fetching this URL
    records an open. Shapes may be tied to the vendor's domains or, for trackers served
    from the sender's own subdomain (SendGrid ``/wf/open``, Mailgun ``/o/``), to the path
    alone. False positives: a shape for any host that is too loose; shapes are reviewed
    for that.
    Example: ``https://t.sidekickopen03.com/e1t/o/5/f18dQhb0...``.
    """
    for match in subject.vendors:
        if match.role == "open" and match.shape is not None:
            return f"{match.vendor.name}: {match.shape.describe()}"
    return None


@rule("TD302", "vendor-tracking-domain", "Hosted on a known tracking vendor's domain", ("resource", "link"), 2.0)
def vendor_tracking_domain(subject: Subject) -> str | None:
    """Fire when the host belongs to a tracking vendor and the URL is not listed as its content.

    Why: hosts such as ``list-manage.com`` or ``awstrack.me`` exist to count opens and
    clicks. URLs that a vendor lists as hosted content (logos, image CDNs) do not fire.
    Example: ``https://sm791.mjt.lu/img/...`` on Mailjet's tracking domain.
    """
    if subject.is_vendor_content:
        return None
    for match in subject.vendors:
        if match.role in ("domain", "click", "open"):
            return f"{subject.parts.host} belongs to {match.vendor.name}"
    return None


@rule("TD303", "vendor-click-shape", "Matches a known vendor's click-redirect URL", ("link",), 6.0)
def vendor_click_shape(subject: Subject) -> str | None:
    """Fire when a link matches a click-redirect shape of a vendor in the tracker data.

    Why: the redirect records who clicked which link, then sends the reader on.
    Example: ``https://u123.ct.sendgrid.net/ls/click?upn=...``.
    """
    for match in subject.vendors:
        if match.role == "click" and match.shape is not None:
            return f"{match.vendor.name}: {match.shape.describe()}"
    return None


@rule("TD304", "listed-by-blocklist", "Matches a filter of the user's block list", ("resource", "link"), 2.0)
def listed_by_blocklist(subject: Subject) -> str | None:
    """Fire when a host or path filter of a user-supplied Adblock Plus list matches the URL.

    Why: lists such as EasyPrivacy name tracking hosts that the shipped data may not know.
    Only network filters naming a host (``||host^``), a host and path, or a path part are
    used. Treated like a tracking vendor's domain.
    """
    if subject.blocklist_match is None:
        return None
    return f"filter {subject.blocklist_match}"


RULES = (vendor_open_shape, vendor_tracking_domain, vendor_click_shape, listed_by_blocklist)
