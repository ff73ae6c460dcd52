"""Golden tests: every fixture message gives the findings its .expected.json lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trackdetect import Report, detect
from trackdetect.report import Finding

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(path.stem for path in FIXTURES.glob("*.eml"))
FLAGGED_KINDS = {"pixel", "tracked_link", "tracked_image", "recipient_leak"}


def _load(name: str) -> tuple[Report, dict[str, Any]]:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    raw = (FIXTURES / f"{name}.eml").read_bytes()
    report = detect(raw, recipients=expected.get("recipients"))
    return report, expected


def _matches(finding: Finding, wanted: dict[str, Any]) -> bool:
    if finding.kind.value != wanted["kind"] or finding.url != wanted["url"]:
        return False
    if "element" in wanted and finding.location.element != wanted["element"]:
        return False
    if "attribute" in wanted and finding.location.attribute != wanted["attribute"]:
        return False
    if "event" in wanted and finding.event != wanted["event"]:
        return False
    return not ("vendor" in wanted and wanted["vendor"] not in finding.vendors and finding.vendor != wanted["vendor"])


def _describe(report: Report) -> str:
    return "\n".join(
        f"  {f.kind.value} {f.confidence.value} {f.url[:120]} {f.codes} {f.location.element}/{f.location.attribute} "
        f"event={f.event} vendors={list(f.vendors)}"
        for f in report.findings
    )


def test_fixtures_exist() -> None:
    assert len(CASES) >= 16


@pytest.mark.parametrize("name", CASES)
def test_fixture_verdict(name: str) -> None:
    report, expected = _load(name)
    assert report.tracked is expected["tracked"], _describe(report)


@pytest.mark.parametrize("name", CASES)
def test_fixture_expected_findings(name: str) -> None:
    report, expected = _load(name)
    for wanted in expected["findings"]:
        candidates = [finding for finding in report.findings if _matches(finding, wanted)]
        assert candidates, f"missing {wanted['kind']} {wanted['url']}\nreported:\n{_describe(report)}"
        fired = set(candidates[0].codes)
        missing_rules = set(wanted.get("rules", ())) - fired
        assert not missing_rules, f"{wanted['url']}: rules {sorted(missing_rules)} did not fire; fired {sorted(fired)}"


@pytest.mark.parametrize("name", CASES)
def test_fixture_not_flagged(name: str) -> None:
    report, expected = _load(name)
    flagged = {finding.url for finding in report.findings if finding.kind.value in FLAGGED_KINDS}
    for url in expected.get("not_flagged", ()):
        assert url not in flagged, f"{url} was flagged\n{_describe(report)}"


@pytest.mark.parametrize("name", CASES)
def test_fixture_defects(name: str) -> None:
    report, expected = _load(name)
    codes = [defect.code for defect in report.defects]
    for fragment in expected.get("defects", ()):
        assert any(fragment in code for code in codes), f"no defect with {fragment!r} in {codes}"
