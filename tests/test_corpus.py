"""Accuracy on a development corpus of real, hand-labelled messages.

The corpus lives outside the repository (``../shared/corpus`` next to the checkout, or
the folder named by ``TRACKDETECT_CORPUS``); the tests skip when it is absent. Run this
file as a script to print the figures and every miss:

    python tests/test_corpus.py [--verbose]
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from trackdetect import Kind, detect

CORPUS = Path(os.environ.get("TRACKDETECT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
LABELS = CORPUS / "labels.jsonl"


def normalize_url(url: str) -> str:
    """Return a URL in a form that compares equal across HTML escaping, scheme and host case."""
    url = html.unescape(url.strip())
    if url[:3].lower() in ('3d"', "3d'"):
        # Undecoded quoted-printable: compare with the URL the scanner recovers from it.
        url = url[3:].replace("=3D", "=").replace("=3d", "=").rstrip("=\"'")
    for prefix in ("https://", "http://", "//"):
        if url.lower().startswith(prefix):
            url = url[len(prefix) :]
            break
    host, slash, rest = url.partition("/")
    return host.lower() + slash + rest


# Labels that name no vendor trackdetect could know: kits, unknown hosts, guesses, and mail
# providers' image proxies (which are never the tracker).
_UNATTRIBUTABLE = re.compile(r"unattributed|unidentified|inferred|image proxy", re.I)
_GENERIC_WORDS = {
    "email",
    "mail",
    "marketing",
    "cloud",
    "first",
    "party",
    "inbox",
    "monitor",
    "the",
    "and",
    "api",
    "bot",
    "image",
    "proxy",
    "platform",
    "transactional",
    "bird",
    "audience",
    "studio",
    "sales",
    "tracking",
    "pinpoint",
    "amazon",
}


def _name_words(name: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", name.lower().replace("twitter/x", "twitter x"))
    significant = {word for word in words if len(word) >= 3 and word not in _GENERIC_WORDS}
    return significant or set(words)


def same_vendor(label_name: str, reported_name: str) -> bool:
    """Return whether a label's vendor name and a reported vendor name mean the same service."""
    return bool(_name_words(label_name) & _name_words(reported_name))


@dataclass
class Scores:
    """Counts behind the accuracy figures, and the misses that explain them."""

    message_tp: int = 0
    message_fp: int = 0
    message_fn: int = 0
    message_tn: int = 0
    pixel_found: int = 0
    pixel_labelled: int = 0
    pixel_reported: int = 0
    pixel_reported_right: int = 0
    vendors_labelled: int = 0
    vendors_found: int = 0
    vendors_reported: int = 0
    vendors_reported_right: int = 0
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(numerator: int, denominator: int) -> float:
        return numerator / denominator if denominator else 1.0

    @property
    def message_precision(self) -> float:
        return self.ratio(self.message_tp, self.message_tp + self.message_fp)

    @property
    def message_recall(self) -> float:
        return self.ratio(self.message_tp, self.message_tp + self.message_fn)

    @property
    def pixel_recall(self) -> float:
        return self.ratio(self.pixel_found, self.pixel_labelled)

    @property
    def pixel_precision(self) -> float:
        return self.ratio(self.pixel_reported_right, self.pixel_reported)

    @property
    def vendor_recall(self) -> float:
        return self.ratio(self.vendors_found, self.vendors_labelled)

    @property
    def vendor_precision(self) -> float:
        return self.ratio(self.vendors_reported_right, self.vendors_reported)


def evaluate() -> Scores:
    """Run detect() on every labelled message and compare with the labels."""
    scores = Scores()
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        report = detect((CORPUS / "raw" / label["file"]).read_bytes())
        name = label["file"]
        if label["tracked"] is True:
            if report.tracked:
                scores.message_tp += 1
            else:
                scores.message_fn += 1
                scores.misses.append(f"message missed: {name}")
        elif label["tracked"] is False:
            if report.tracked:
                scores.message_fp += 1
                first = next(f for f in report.findings if f.is_tracking)
                scores.misses.append(f"message false alarm: {name}: {first.kind.value} {first.url[:100]} {first.codes}")
            else:
                scores.message_tn += 1

        named = [*report.vendors, *report.sending_platforms]
        for vendor in label["vendors"]:
            if _UNATTRIBUTABLE.search(vendor):
                continue
            scores.vendors_labelled += 1
            if any(same_vendor(vendor, name) for name in named):
                scores.vendors_found += 1
            else:
                scores.misses.append(f"vendor missed: {name}: {vendor} (reported {named})")
        for reported_vendor in report.vendors:
            scores.vendors_reported += 1
            if any(same_vendor(vendor, reported_vendor) for vendor in label["vendors"]):
                scores.vendors_reported_right += 1
            else:
                scores.misses.append(f"vendor not labelled: {name}: {reported_vendor}")

        reported: dict[str, str] = {}
        for finding in report.by_kind(Kind.PIXEL):
            keys = {normalize_url(finding.url)} | {normalize_url(hop.url) for hop in finding.hops}
            for key in keys:
                reported[key] = finding.url
        labelled = {normalize_url(pixel["url"]) for pixel in label["pixels"]}
        for key in labelled:
            scores.pixel_labelled += 1
            if key in reported:
                scores.pixel_found += 1
            else:
                scores.misses.append(f"pixel missed: {name}: {key[:110]}")
        pixel_findings = report.by_kind(Kind.PIXEL)
        for finding in pixel_findings:
            keys = {normalize_url(finding.url)} | {normalize_url(hop.url) for hop in finding.hops}
            scores.pixel_reported += 1
            if keys & labelled:
                scores.pixel_reported_right += 1
            elif label["tracked"] != "unsure":
                scores.misses.append(f"pixel not labelled: {name}: {finding.url[:100]} {finding.codes}")
    return scores


pytestmark = pytest.mark.skipif(not LABELS.is_file(), reason=f"corpus not found at {CORPUS} (set TRACKDETECT_CORPUS)")


@pytest.fixture(scope="module")
def scores() -> Scores:
    result = evaluate()
    print(
        f"\ncorpus: message precision {result.message_precision:.3f} recall {result.message_recall:.3f}; "
        f"pixel precision {result.pixel_precision:.3f} recall {result.pixel_recall:.3f}; "
        f"vendor attribution precision {result.vendor_precision:.3f} recall {result.vendor_recall:.3f}"
    )
    return result


def test_message_precision(scores: Scores) -> None:
    assert scores.message_precision >= 0.95, "\n".join(scores.misses)


def test_message_recall(scores: Scores) -> None:
    assert scores.message_recall >= 0.95, "\n".join(scores.misses)


def test_pixel_recall(scores: Scores) -> None:
    assert scores.pixel_recall >= 0.95, "\n".join(scores.misses)


def test_pixel_precision(scores: Scores) -> None:
    assert scores.pixel_precision >= 0.90, "\n".join(scores.misses)


def test_vendor_attribution_recall(scores: Scores) -> None:
    # Labels name vendors the data cannot know (small first-party senders), so the bar is lower.
    assert scores.vendor_recall >= 0.85, "\n".join(line for line in scores.misses if line.startswith("vendor"))


def test_every_corpus_file_parses() -> None:
    for path in sorted((CORPUS / "raw").glob("*.eml")):
        report = detect(path.read_bytes())
        json.loads(report.to_json())


if __name__ == "__main__":
    if not LABELS.is_file():
        sys.exit(f"corpus not found at {CORPUS}: set TRACKDETECT_CORPUS to the folder holding labels.jsonl")
    result = evaluate()
    print(
        f"messages: precision {result.message_precision:.3f} recall {result.message_recall:.3f} "
        f"(tp {result.message_tp} fp {result.message_fp} fn {result.message_fn} tn {result.message_tn})"
    )
    print(
        f"pixels: precision {result.pixel_precision:.3f} ({result.pixel_reported_right}/{result.pixel_reported}) "
        f"recall {result.pixel_recall:.3f} ({result.pixel_found}/{result.pixel_labelled})"
    )
    print(
        f"vendors: precision {result.vendor_precision:.3f} ({result.vendors_reported_right}/{result.vendors_reported}) "
        f"recall {result.vendor_recall:.3f} ({result.vendors_found}/{result.vendors_labelled})"
    )
    if "--verbose" in sys.argv:
        print("\n".join(result.misses))
