"""The report's JSON form: schema, determinism, ordering and immutability."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import jsonschema
import pytest

from trackdetect import Kind, detect, detect_html
from trackdetect.report import SCHEMA_VERSION, Finding, load_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS_RAW = (
    Path(os.environ.get("TRACKDETECT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")) / "raw"
)
VALIDATOR = jsonschema.Draft202012Validator(load_schema())
FIXTURE_FILES = sorted(FIXTURES.glob("*.eml"))


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_fixture_report_matches_schema(path: Path) -> None:
    report = detect(path.read_bytes())
    VALIDATOR.validate(json.loads(report.to_json()))


@pytest.mark.skipif(not CORPUS_RAW.is_dir(), reason=f"corpus not found at {CORPUS_RAW}")
def test_corpus_reports_match_schema() -> None:
    for path in sorted(CORPUS_RAW.glob("*.eml")):
        report = detect(path.read_bytes())
        errors = list(VALIDATOR.iter_errors(report.to_dict()))
        assert not errors, f"{path.name}: {errors[0].message}"


@pytest.mark.parametrize("path", FIXTURE_FILES[:6], ids=lambda path: path.stem)
def test_json_is_deterministic(path: Path) -> None:
    raw = path.read_bytes()
    assert detect(raw).to_json() == detect(raw).to_json()


def test_json_key_order_is_fixed() -> None:
    report = detect((FIXTURES / "hubspot-sidekick-sales.eml").read_bytes())
    keys = list(report.to_dict())
    assert keys == [
        "schema_version",
        "data_version",
        "tracked",
        "score",
        "message",
        "recipients",
        "vendors",
        "sending_platforms",
        "findings",
        "defects",
    ]


def test_findings_are_sorted() -> None:
    report = detect((FIXTURES / "mailchimp-newsletter-qp.eml").read_bytes())
    keys = [finding.sort_key() for finding in report.findings]
    assert keys == sorted(keys)


def test_schema_version_in_output() -> None:
    data = detect_html("<p>hello</p>").to_dict()
    assert data["schema_version"] == SCHEMA_VERSION


def test_data_version_in_output() -> None:
    data = detect_html("<p>hello</p>").to_dict()
    assert data["data_version"]


def test_report_is_frozen() -> None:
    report = detect_html('<img src="https://t.example.net/o/8f3a91d0c2b7e5f4a1c3" width="1" height="1">')
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.tracked = False  # type: ignore[misc]


def test_finding_is_frozen_and_hashable() -> None:
    report = detect_html('<img src="https://t.example.net/o/8f3a91d0c2b7e5f4a1c3" width="1" height="1">')
    finding = report.findings[0]
    assert isinstance(finding, Finding)
    assert hash(finding) == hash(dataclasses.replace(finding))
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.url = "x"  # type: ignore[misc]


def test_by_kind_filters() -> None:
    report = detect((FIXTURES / "hubspot-sidekick-sales.eml").read_bytes())
    pixels = report.by_kind("pixel")
    assert pixels
    assert all(finding.kind is Kind.PIXEL for finding in pixels)


def test_message_headers_in_report() -> None:
    report = detect((FIXTURES / "hubspot-sidekick-sales.eml").read_bytes())
    assert report.message.message_id
    assert report.message.subject
    assert report.message.sender
    assert report.message.to
    assert report.message.date


def test_every_finding_has_explanation() -> None:
    from trackdetect import explain

    report = detect((FIXTURES / "css-background-and-event-pixels.eml").read_bytes())
    for finding in report.findings:
        assert explain(finding.explanation), finding.explanation


def test_every_category_has_pixel_explanation() -> None:
    from trackdetect import explain
    from trackdetect._vendors import CATEGORIES

    for category in CATEGORIES:
        assert f"pixel:{category}" in _explanation_codes(), category
        assert explain(f"pixel:{category}")


def _explanation_codes() -> tuple[str, ...]:
    from trackdetect._explain import EXPLANATION_CODES

    return EXPLANATION_CODES


def test_explanation_falls_back_to_kind() -> None:
    from trackdetect import explain

    assert explain("tracked_link:survey") == explain("tracked_link")


def test_strict_option_raises_on_defect() -> None:
    from trackdetect import InputError, Options

    with pytest.raises(InputError, match=r"mime\.not-email"):
        detect(b"\x00\x01 not a message", options=Options(strict=True))


def test_default_option_records_defect() -> None:
    report = detect(b"\x00\x01 not a message")
    assert "mime.not-email" in [defect.code for defect in report.defects]


def test_by_kind_rejects_unknown_kind() -> None:
    report = detect_html("<p>hello</p>")
    with pytest.raises(ValueError, match="expected one of pixel"):
        report.by_kind("nonsense")
