"""Result types of trackdetect: the report, its findings and its defects.

Every type here is a frozen, slotted dataclass, so a report can be shared, hashed and
compared safely. ``Report.to_dict()`` is the stable JSON form described by
``trackdetect/data/report.schema.json``: keys come in a fixed order and findings are
sorted, so two runs on the same message give byte-identical JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA_VERSION = "1.0"


class Kind(str, Enum):
    """Kind of a finding."""

    PIXEL = "pixel"
    """A resource whose job is to report that the message was opened (or printed, forwarded)."""
    TRACKED_LINK = "tracked_link"
    """A link that goes through a click tracker or carries a per-recipient identifier."""
    TRACKED_IMAGE = "tracked_image"
    """A visible content image whose URL carries a per-recipient identifier."""
    REMOTE_CONTENT = "remote_content"
    """Any other remote resource a mail client would fetch; informational."""
    READ_RECEIPT = "read_receipt"
    """A header that requests a reading confirmation from the recipient's client."""
    RECIPIENT_LEAK = "recipient_leak"
    """The recipient's address, plain or encoded, inside a URL."""
    REDIRECT = "redirect"
    """A security wrapper, mail-provider redirect or public shortener around a link; informational."""


class Confidence(str, Enum):
    """Certainty that a finding is what its kind names."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


#: Kinds that decide the verdict when their confidence is at least medium.
TRACKING_KINDS = frozenset({Kind.PIXEL, Kind.TRACKED_LINK, Kind.TRACKED_IMAGE, Kind.READ_RECEIPT, Kind.RECIPIENT_LEAK})

# Relative to this package, so that a copy of it under another name reads its own data.
DATA_PACKAGE = f"{__package__}.data"
_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}
_CONFIDENCE_ORDER = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}


@dataclass(frozen=True, slots=True)
class Location:
    """Position of a reference: MIME part path, element, attribute, document order and context."""

    part: str
    element: str
    attribute: str
    index: int = 0
    context: str | None = None
    """``conditional-comment``, ``noscript``, ``amp``, ``text`` or ``srcdoc`` when not plain HTML markup."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "element": self.element,
            "attribute": self.attribute,
            "index": self.index,
            "context": self.context,
        }


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired on a reference, with the evidence it saw."""

    code: str
    name: str
    evidence: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "evidence": self.evidence, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a link's redirect chain: the URL and the service it belongs to."""

    url: str
    vendor: str | None
    via: str
    """Step that found the next hop in this URL (for example ``query:url``), or ``""`` at the end."""

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "vendor": self.vendor, "via": self.via}


@dataclass(frozen=True, slots=True)
class Leak:
    """Details of a recipient-address leak."""

    address: str
    encoding: str
    position: str
    receiver: str
    """Registered domain of the host that receives the address."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "encoding": self.encoding,
            "position": self.position,
            "receiver": self.receiver,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One tracker, tracked link, leak or remote resource found in a message."""

    kind: Kind
    url: str
    confidence: Confidence
    score: float
    rules: tuple[RuleHit, ...]
    location: Location
    vendor: str | None = None
    vendors: tuple[str, ...] = ()
    destination: str | None = None
    event: str | None = None
    explanation: str = ""
    """Stable code of the plain-language explanation (see ``trackdetect.explain``)."""
    hops: tuple[Hop, ...] = ()
    leak: Leak | None = None
    link_text: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes of the rules that fired, in the order they fired."""
        return tuple(hit.code for hit in self.rules)

    @property
    def is_tracking(self) -> bool:
        """True when this finding decides the verdict: a tracking kind at medium or high confidence."""
        return self.kind in TRACKING_KINDS and self.confidence is not Confidence.LOW

    def sort_key(self) -> tuple[Any, ...]:
        return (
            _KIND_ORDER[self.kind],
            _CONFIDENCE_ORDER[self.confidence],
            self.location.part,
            self.location.index,
            self.url,
            self.location.element,
            self.location.attribute,
            self.leak.encoding if self.leak else "",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "url": self.url,
            "destination": self.destination,
            "vendor": self.vendor,
            "vendors": list(self.vendors),
            "confidence": self.confidence.value,
            "score": self.score,
            "event": self.event,
            "explanation": self.explanation,
            "rules": [hit.to_dict() for hit in self.rules],
            "location": self.location.to_dict(),
            "hops": [hop.to_dict() for hop in self.hops],
            "leak": self.leak.to_dict() if self.leak else None,
            "link_text": self.link_text,
        }


@dataclass(frozen=True, slots=True)
class Defect:
    """Something in the message that could not be read as the standards specify.

    Detection goes on with whatever could be read; a defect only records the problem.
    """

    code: str
    message: str
    part: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "part": self.part}


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """Identifying headers of the message, decoded to text."""

    message_id: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    subject: str | None = None
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "date": self.date,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """Everything trackdetect found in one message."""

    tracked: bool
    score: float
    message: MessageInfo
    findings: tuple[Finding, ...]
    defects: tuple[Defect, ...]
    vendors: tuple[str, ...]
    """Every vendor named by a tracking finding, sorted."""
    sending_platforms: tuple[str, ...]
    """Platforms the headers point to. Context only: headers are easy to forge."""
    data_version: str
    schema_version: str = SCHEMA_VERSION
    recipients: tuple[str, ...] = field(default=())

    def by_kind(self, kind: Kind | str) -> tuple[Finding, ...]:
        """Return the findings of one kind, in report order; raise ValueError for an unknown kind."""
        try:
            wanted = Kind(kind)
        except ValueError:
            names = ", ".join(item.value for item in Kind)
            raise ValueError(f"unknown finding kind {kind!r}; expected one of {names}") from None
        return tuple(finding for finding in self.findings if finding.kind is wanted)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data with a fixed key order."""
        return {
            "schema_version": self.schema_version,
            "data_version": self.data_version,
            "tracked": self.tracked,
            "score": self.score,
            "message": self.message.to_dict(),
            "recipients": list(self.recipients),
            "vendors": list(self.vendors),
            "sending_platforms": list(self.sending_platforms),
            "findings": [finding.to_dict() for finding in self.findings],
            "defects": [defect.to_dict() for defect in self.defects],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return ``to_dict()`` as JSON text (UTF-8 safe, deterministic)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def load_schema() -> dict[str, Any]:
    """Return the JSON Schema that every ``Report.to_dict()`` output satisfies."""
    from importlib import resources

    text = resources.files(DATA_PACKAGE).joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
