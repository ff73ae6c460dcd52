"""Renderings of a report: readable text for people. JSON lives on ``Report.to_json()``."""

from __future__ import annotations

import unicodedata

from ._explain import explain
from .report import TRACKING_KINDS, Confidence, Finding, Kind, Report

_HEADINGS = {
    Kind.PIXEL: "Open-tracking pixels",
    Kind.TRACKED_LINK: "Tracked links",
    Kind.TRACKED_IMAGE: "Tracked images",
    Kind.RECIPIENT_LEAK: "Your address in URLs",
    Kind.READ_RECEIPT: "Read-receipt requests",
    Kind.REDIRECT: "Link wrappers (not the sender's tracking)",
    Kind.REMOTE_CONTENT: "Other remote content",
}
_MAX_PER_KIND = 12
_URL_WIDTH = 110


def _visible(text: str) -> str:
    """Show control and invisible format characters (tag characters, bidi overrides) as escapes.

    Senders hide such characters in display names and subjects to fool filters or readers.
    The joiner and presentation selector inside an emoji sequence ("👩‍💻", "❤️") are part
    of the emoji and stay as they are.
    """
    parts = []
    for position, char in enumerate(text):
        if _invisible(char) and not _joins_emoji(text, position):
            code = ord(char)
            parts.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            parts.append(char)
    return "".join(parts)


def _joins_emoji(text: str, position: int) -> bool:
    """Tell whether the character at ``position`` is an emoji's joiner or presentation selector."""
    char = text[position]
    before = text[position - 1] if position else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    if char in "\ufe0e\ufe0f":
        # A keycap ("1️⃣") is a digit, the selector, then the enclosing keycap mark.
        return _is_symbol(before) or after == "\u20e3"
    if char == "\u200d":
        return (_is_symbol(before) or before == "\ufe0f" or _is_modifier(before)) and _is_symbol(after)
    return False


def _is_symbol(char: str) -> bool:
    return bool(char) and unicodedata.category(char) == "So"


def _is_modifier(char: str) -> bool:
    # Skin tones (U+1F3FB to U+1F3FF) may sit between a person and the joiner.
    return bool(char) and 0x1F3FB <= ord(char) <= 0x1F3FF


def _invisible(char: str) -> bool:
    code = ord(char)
    # Variation selectors are marks, not format characters, but render as nothing too.
    return unicodedata.category(char) in ("Cc", "Cf", "Co") or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _short(url: str, width: int = _URL_WIDTH, *, verbose: bool = False) -> str:
    # Verbose output promises every detail, and two URLs may differ only in their tails.
    return url if verbose or len(url) <= width else url[: width - 1] + "…"


def _finding_lines(finding: Finding, verbose: bool) -> list[str]:
    vendor = finding.vendor or "unknown vendor"
    extra = f", loads on {finding.event}" if finding.event else ""
    if finding.kind is Kind.READ_RECEIPT:
        evidence = finding.rules[0].evidence if finding.rules else ""
        lines = [f"  - {evidence}"]
    elif finding.kind is Kind.RECIPIENT_LEAK and finding.leak is not None:
        leak = finding.leak
        lines = [
            f"  - {leak.address} ({leak.encoding}, in the {leak.position}) sent to {leak.receiver}",
            f"    {_short(finding.url, verbose=verbose)}",
        ]
    else:
        # A wrapper is not a tracker, so it carries no confidence tag that reads like one.
        tag = "" if finding.kind is Kind.REDIRECT else f" [{finding.confidence.value}{extra}]"
        lines = [f"  - {vendor}{tag}", f"    {_short(finding.url, verbose=verbose)}"]
        if finding.destination:
            lines.append(f"    goes to {_short(finding.destination, _URL_WIDTH - 9, verbose=verbose)}")
    lines.append(f"    {_where(finding)}; rules {', '.join(finding.codes)}")
    if verbose:
        for hit in finding.rules:
            lines.append(f"      {hit.code} {hit.name}: {hit.evidence}")
    return lines


def _where(finding: Finding) -> str:
    location = finding.location
    if location.element == "text":
        return f"part {location.part}, URL in plain text"
    where = f"part {location.part}, <{location.element}> {location.attribute}"
    return f"{where} ({location.context})" if location.context else where


def _one_per_leak(findings: list[Finding]) -> list[Finding]:
    """Keep one finding per (address, encoding, receiver): a leak repeated in many links reads once."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for finding in findings:
        if finding.leak is None:
            kept.append(finding)
            continue
        key = (finding.leak.address, finding.leak.encoding, finding.leak.receiver)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def render_text(report: Report, source: str = "", *, verbose: bool = False) -> str:
    """Return a readable summary: the verdict, each tracker with what it reveals to the sender."""
    lines: list[str] = []
    title = f"{source}: " if source else ""
    subject = report.message.subject or "(no subject)"
    verdict = "TRACKED" if report.tracked else "no tracking found"
    lines.append(f"{title}{verdict} (score {report.score:g})")
    lines.append(f"  Subject: {_visible(subject)}")
    if report.message.sender:
        lines.append(f"  From: {_visible(report.message.sender)}")
    if report.vendors:
        lines.append(f"  Trackers: {', '.join(report.vendors)}")
    if report.sending_platforms:
        lines.append(f"  Sent through (from headers): {', '.join(report.sending_platforms)}")

    possible = [f for f in report.findings if f.kind in TRACKING_KINDS and f.confidence is Confidence.LOW]
    for kind, heading in _HEADINGS.items():
        findings = [finding for finding in report.findings if finding.kind is kind and finding not in possible]
        count = f"{len(findings)}"
        if kind is Kind.RECIPIENT_LEAK:
            leaks = _one_per_leak(findings)
            urls = len({finding.url for finding in findings})
            if len(leaks) < urls:
                count = f"{len(leaks)}, in {urls} URLs"
            if any(f.leak is not None and f.leak.address.lower() not in report.recipients for f in leaks):
                heading = "Addresses in URLs (yours or the sender's)"
            findings = leaks
        if kind is Kind.REMOTE_CONTENT and not verbose:
            if findings:
                noun = "resource" if len(findings) == 1 else "resources"
                lines.append(f"\n  {len(findings)} other remote {noun} (use --verbose to list them)")
            continue
        if not findings:
            continue
        lines.append(f"\n  {heading} ({count}):")
        shown = findings if verbose else findings[:_MAX_PER_KIND]
        # Findings of one kind can tell the sender different things (an analytics beacon, a
        # print pixel), so each explanation heads the findings it belongs to.
        by_explanation: dict[str, list[Finding]] = {}
        for finding in shown:
            by_explanation.setdefault(finding.explanation, []).append(finding)
        label = "What this is" if kind is Kind.REDIRECT else "What the sender learns"
        for position, (code, group) in enumerate(by_explanation.items()):
            explanation = explain(code)
            if explanation:
                if position:
                    lines.append("")  # sets the next explanation apart from the finding above
                lines.append(f"    {label}: {explanation}")
            for finding in group:
                lines.extend(_finding_lines(finding, verbose))
        if len(shown) < len(findings):
            lines.append(f"    ... and {len(findings) - len(shown)} more (use --verbose)")
    if possible:
        lines.append(f"\n  Possible tracking, low confidence ({len(possible)}); not counted in the verdict:")
        for finding in possible if verbose else possible[:_MAX_PER_KIND]:
            lines.append(f"  - {finding.kind.value.replace('_', ' ')}: {_short(finding.url, verbose=verbose)}")
            lines.append(f"    {_where(finding)}; {', '.join(hit.evidence for hit in finding.rules if hit.weight)}")
        if not verbose and len(possible) > _MAX_PER_KIND:
            lines.append(f"    ... and {len(possible) - _MAX_PER_KIND} more (use --verbose)")
    if report.defects:
        lines.append(f"\n  Problems reading the message ({len(report.defects)}):")
        for defect in report.defects[: None if verbose else 5]:
            where = f" (part {defect.part})" if defect.part else ""
            lines.append(f"    {defect.code}{where}: {defect.message}")
    return "\n".join(lines) + "\n"
