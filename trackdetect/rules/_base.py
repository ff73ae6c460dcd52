"""Rules and the subject each rule checks.

A rule is a small declarative object: a stable code, a name, a one-line summary, the roles
of reference it applies to, a weight, and a pure check that returns its evidence (a short
string) or None. The check's docstring is the rule's documentation. Everything a check
needs is computed once per reference by the engine and handed over in a ``Subject``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._html import Reference
    from .._leaks import LeakMatch
    from .._unwrap import EmbeddedDestination, Wrapper
    from .._urls import Token, UrlParts
    from .._vendors import VendorMatch


@dataclass(slots=True)
class Subject:
    """One reference as the rules see it, with everything derived from its URL."""

    reference: Reference
    url: str
    """The URL judged: the reference's URL, or the original behind an image proxy."""
    parts: UrlParts
    vendors: list[VendorMatch]
    tokens: tuple[Token, ...]
    recipient_parameters: list[tuple[str, str]]
    """Query parameters that identify the recipient (name, value)."""
    destination: EmbeddedDestination | None
    leaks: tuple[LeakMatch, ...]
    blocklist_match: str | None = None
    """The user block-list filter that matches the URL."""
    listed_parameters: list[tuple[str, str]] = field(default_factory=list)
    """Query parameters a user's ClearURLs rules list, with the rule's provider."""
    address: tuple[str, str] | None = None
    """An email address found in the URL that is not a known recipient, with its encoding."""
    proxy: Wrapper | None = None
    repeated_tokens: list[str] = field(default_factory=list)
    url_count: int = 1
    """How many references in the message use this exact URL."""

    @property
    def is_vendor_content(self) -> bool:
        """True when a vendor lists this URL as hosted content (a logo, an image), not tracking."""
        return any(match.role == "content" for match in self.vendors)


Check = Callable[[Subject], "str | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A detector with a stable code; ``check`` returns evidence when the rule fires."""

    code: str
    name: str
    summary: str
    roles: frozenset[str]
    """Reference roles the rule applies to: ``resource``, ``link``."""
    weight: float
    check: Check

    @property
    def doc(self) -> str:
        """The rule's documentation: its check's docstring."""
        return inspect.cleandoc(self.check.__doc__ or "")


def rule(code: str, name: str, summary: str, roles: tuple[str, ...], weight: float) -> Callable[[Check], Rule]:
    """Turn a check function into a ``Rule`` with the given metadata."""

    def wrap(check: Check) -> Rule:
        return Rule(code, name, summary, frozenset(roles), weight, check)

    return wrap


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """A rule that reads the message headers instead of a reference."""

    code: str
    name: str
    summary: str
    weight: float
    doc: str
