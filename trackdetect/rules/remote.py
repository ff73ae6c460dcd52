"""TD8xx: remote content that is fetched when the message is shown."""

from __future__ import annotations

from ._base import Subject, rule


@rule("TD801", "remote-resource", "Fetched from a remote server when displayed", ("resource",), 0.0)
def remote_resource(subject: Subject) -> str | None:
    """Fire on every remote resource a mail client fetches when it shows the message.

    Informational: any fetch reveals to the server the time and the reader's IP address,
    unless the client loads images through a proxy. Such resources are reported as
    ``remote_content`` unless other rules make them trackers.
    """
    return f"{subject.reference.element} {subject.reference.attribute} from {subject.parts.host}"


@rule("TD802", "image-proxy", "Served through a mail provider's image proxy", ("resource",), 0.0)
def image_proxy(subject: Subject) -> str | None:
    """Fire when the URL goes through a mail provider's image proxy; the original is judged.

    Why: providers rewrite image URLs (Gmail's ``googleusercontent.com/proxy/``, Yahoo,
    Fastmail). The proxy is never the tracker: the URL it fetches is, and is reported when
    it can be recovered.
    """
    if subject.proxy is None:
        return None
    recovered = "original recovered" if subject.proxy.inner else "original not recoverable"
    return f"{subject.proxy.name}, {recovered}"


RULES = (remote_resource, image_proxy)
