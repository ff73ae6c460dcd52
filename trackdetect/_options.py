"""Options: the frozen settings object passed to ``detect()``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._lists import BlockList, ParameterRules
    from ._vendors import VendorIndex


@dataclass(frozen=True, slots=True)
class Options:
    """Settings for one call of ``detect()``.

    The defaults suit mail filters and archives. Build a custom index with
    ``trackdetect.load_vendor_index()`` to add a user's vendor file or block list; the
    core never reads files itself.
    """

    strict: bool = False
    """Raise ``InputError`` on the first defect instead of recording it."""
    select: tuple[str, ...] = ()
    """Rule codes or code prefixes to run (for example ``("TD1", "TD301")``); empty runs all."""
    ignore: tuple[str, ...] = ()
    """Rule codes or code prefixes never to run."""
    include_remote_content: bool = True
    """Report remote resources that are not tracking as ``remote_content`` findings."""
    vendor_index: VendorIndex | None = None
    """Tracker data to use; ``None`` uses the data shipped with the package."""
    parameter_rules: ParameterRules | None = None
    """Extra tracking-parameter rules (ClearURLs format), from ``trackdetect.parse_clearurls``."""
    blocklist: BlockList | None = None
    """Host and path filters from an Adblock Plus list, from ``trackdetect.parse_adblock``."""
    max_html_bytes: int = 8 * 1024 * 1024
    """HTML beyond this many characters per part is not read (a defect records the cut)."""
    max_references: int = 5000
    """At most this many references are judged per message; the rest are counted in a defect."""
    max_url_characters: int = 2 * 1024 * 1024
    """References are judged until their distinct http(s) URLs reach this many characters in
    total, and references with a new URL past it are counted in a defect. A ``<base href>``
    of 16 KiB before thousands of short relative URLs would otherwise make each of them a
    16 KiB URL to search."""
    extra_recipients: tuple[str, ...] = field(default=())
    """Addresses to look for in URLs in addition to the recipients."""

    def __post_init__(self) -> None:
        # A mistyped code would otherwise run no rule at all and report every message clean.
        from .rules import ALL_CODES

        for name in ("select", "ignore", "extra_recipients"):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, ())
            elif isinstance(value, (str, bytes)):
                raise TypeError(f"Options.{name} must be a tuple of strings, not a single {type(value).__name__}")
        for name in ("select", "ignore"):
            codes = normalize_codes(getattr(self, name))
            for code in codes:
                if len(code) < 3 or not any(known.startswith(code) for known in ALL_CODES):
                    raise ValueError(f"Options.{name}: unknown rule code or prefix {code!r}")
            object.__setattr__(self, name, codes)
        for name in ("max_html_bytes", "max_references", "max_url_characters"):
            if getattr(self, name) < 0:
                raise ValueError(f"Options.{name} must not be negative, not {getattr(self, name)}")

    def rule_enabled(self, code: str) -> bool:
        """Return whether the rule with this code runs under ``select`` and ``ignore``."""
        if not self.select and not self.ignore:
            return True
        if self.select and not any(code.startswith(prefix) for prefix in self.select):
            return False
        return not any(code.startswith(prefix) for prefix in self.ignore)


def normalize_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Return rule codes upper-cased and stripped, dropping empty ones."""
    return tuple(code.strip().upper() for code in codes if code.strip())
