"""Robustness of detect(): no exception on any input, stable output, bounded cost, no I/O.

Hypothesis feeds arbitrary bytes and text, MIME-shaped noise and randomly damaged fixture
messages. Two checks run a fresh interpreter: one compares reports under different hash
seeds, the other records (with an audit hook) every file and socket detect() opens.
"""

from __future__ import annotations

import base64
import builtins
import io
import json
import os
import socket
import subprocess
import sys
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackdetect import Options, Report, detect, detect_html

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
FIXTURE_PATHS = sorted(FIXTURES.glob("*.eml"))
FIXTURE_BYTES = [path.read_bytes() for path in FIXTURE_PATHS]
SCHEMA_PATH = ROOT / "trackdetect" / "data" / "report.schema.json"

PIXEL_TAG = '<img src="https://t.example.net/open?u=8f3a2c9d71b4e6f0" width="1" height="1">'

# No example database: the tests must not write into the working tree.
FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check_report(report: Report) -> None:
    """Assert the invariants every report keeps, whatever the input."""
    assert isinstance(report, Report)
    text = report.to_json()
    assert json.loads(text) == report.to_dict()
    text.encode("utf-8")


# --- input strategies ----------------------------------------------------------------------


_FRAGMENTS = [
    b"From: a@example.org\r\n",
    b"To: =?x-unknown?Q?Ann?= <ann.lee@example.org>\r\n",
    b"Subject: =?utf-8?B?###?=\r\n",
    b"Disposition-Notification-To: a@example.org\r\n",
    b"MIME-Version: 1.0\r\n",
    b'Content-Type: multipart/mixed; boundary="b"\r\n',
    b'Content-Type: multipart/alternative; boundary="b"\r\n',
    b'Content-Type: multipart/related; boundary="c"\r\n',
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: text/html; charset=utf-8\r\n",
    b"Content-Type: text/html; charset=x-unknown\r\n",
    b"Content-Type: text/html; charset=iso-2022-jp\r\n",
    b"Content-Type: text/plain; charset=koi8-r\r\n",
    b"Content-Type: text/x-amp-html\r\n",
    b"Content-Type: image/png\r\nContent-ID: <p@x>\r\n",
    b"Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\n",
    b"Content-Disposition: attachment; filename=a.html\r\n",
    b"\r\n",
    b"\n",
    b"--b\r\n",
    b"--b--\r\n",
    b"--c\r\n",
    b"--c--\r\n",
    PIXEL_TAG.encode(),
    b'<img src=3D"https://t.exa=\r\nmple.net/o?u=3D8f3a2c9d71b4e6f0" width=3D1>',
    b"PGltZyBzcmM9Imh0dHBzOi8vdC5leGFtcGxlLm5ldC9vP3U9MSI+",
    b'<a href="https://click.example.net/c/8f3a2c9d71b4e6f0?u=42">x</a>',
    b'<div style="display:none;background:url(https://t.example.net/b?u=1)">',
    b"<style>.h{display:none} @import url(https://t.example.net/c.css);</style>",
    b'<img srcset="data:image/gif;base64,R0lG,AA== 1x, https://t.example.net/s?u=2 2x">',
    b'<!--[if mso]><v:rect><v:fill src="https://t.example.net/v?u=3"/></v:rect><![endif]-->',
    b'<base href="https://news.example.com/"><img src="/o.gif?u=4">',
    b'<meta http-equiv="refresh" content="0;url=https://t.example.net/r">',
    b"<div>" * 20,
    b"\xff\xfe\x00\x80\xe9",
    b"=?",
    b"?=",
    b"=\r\n",
    b"=3D",
]

mime_shaped = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.binary(max_size=16)), max_size=60).map(b"".join)


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    """Return a fixture message with a few bytes flipped, inserted, deleted or duplicated."""
    data = bytearray(draw(st.sampled_from(FIXTURE_BYTES)))
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        operation = draw(st.sampled_from(["flip", "insert", "delete", "duplicate"]))
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if operation == "flip" and data:
            data[position] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=64))]
        else:
            length = draw(st.integers(min_value=1, max_value=256))
            data[position:position] = data[position : position + length]
    return bytes(data)


# --- never raises --------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
def test_fuzz_bytes(raw: bytes) -> None:
    _check_report(detect(raw))


@FUZZ
@given(st.text(max_size=4096))
def test_fuzz_text(raw: str) -> None:
    _check_report(detect(raw))


@FUZZ
@given(mime_shaped)
def test_fuzz_mime_shaped(raw: bytes) -> None:
    _check_report(detect(raw))


@FUZZ
@given(mutated_fixture())
def test_fuzz_mutated_fixture(raw: bytes) -> None:
    _check_report(detect(raw))


@FUZZ
@given(mutated_fixture())
def test_fuzz_mutated_fixture_as_text(raw: bytes) -> None:
    _check_report(detect(raw.decode("utf-8", "surrogateescape")))


LONE_SURROGATES = [
    pytest.param("\ud800", id="alone"),
    pytest.param("Subject: \ud83d\r\n\r\nhello", id="in-header"),
    pytest.param(f"Content-Type: text/html\r\n\r\n<p>\udfff</p>{PIXEL_TAG}", id="in-body"),
]


@pytest.mark.parametrize("raw", LONE_SURROGATES)
def test_text_lone_surrogate(raw: str) -> None:
    _check_report(detect(raw))


def test_message_lone_surrogate_header() -> None:
    message = Message()
    message["Subject"] = "hello"
    message["X-Note"] = "\ud800"
    message.set_payload(PIXEL_TAG)
    _check_report(detect(message))


@pytest.mark.parametrize("word", ["=?utf-8?B?A?=", "=?utf-8?B?AAAAA?=", "=?iso-2022-jp?B?B?GyRC?="])
def test_header_bad_base64_word(word: str) -> None:
    raw = f"From: a@example.org\r\nSubject: {word}\r\nContent-Type: text/html\r\n\r\n{PIXEL_TAG}".encode()
    _check_report(detect(raw))


@pytest.mark.parametrize("word", ["=?utf-8?B?A?=", "=?utf-8?B?AAAAA?="])
def test_header_bad_base64_word_kept(word: str) -> None:
    # RFC 2047: text that does not decode as an encoded word is shown as written.
    raw = f"From: a@example.org\r\nSubject: {word}\r\n\r\nhello".encode()
    assert detect(raw).message.subject == word


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\t\x80", id="tab-then-8bit"),
        pytest.param(b" caf\xe9\r\nFrom: a@example.org\r\n\r\nhi", id="folded-8bit-first-line"),
    ],
)
def test_json_utf8_encodable(raw: bytes) -> None:
    detect(raw).to_json().encode("utf-8")


@pytest.mark.parametrize("raw", FIXTURE_BYTES, ids=[path.stem for path in FIXTURE_PATHS])
def test_fixture_truncated_everywhere(raw: bytes) -> None:
    # Cutting every 97 bytes ends the message inside headers, boundaries, encoded words and tags.
    for end in range(0, len(raw), 97):
        _check_report(detect(raw[:end]))


# --- deterministic output ------------------------------------------------------------------


@FUZZ
@given(st.one_of(mime_shaped, mutated_fixture()))
def test_deterministic_same_json(raw: bytes) -> None:
    assert detect(raw).to_json() == detect(raw).to_json()


@pytest.mark.parametrize("raw", FIXTURE_BYTES, ids=[path.stem for path in FIXTURE_PATHS])
def test_deterministic_fixture(raw: bytes) -> None:
    assert detect(raw).to_json() == detect(raw).to_json()


# A fresh interpreter imports trackdetect, then runs detect() on the inputs given as file
# paths while an audit hook records every file and socket opened. It prints one JSON object.
_ISOLATED_SCRIPT = r"""
import hashlib, json, sys
from pathlib import Path

from trackdetect import detect, preload

preload()
inputs = [(path, Path(path).read_bytes()) for path in sys.argv[1:]]
opened = []
sockets = []
imports = []
active = False


def hook(event, args):
    if not active:
        return
    if event == "open":
        opened.append(str(args[0]))
    elif event.startswith("socket."):
        sockets.append(event)
    elif event == "import":
        # Also an attempt that finds no module, which still searches the disk.
        imports.append(str(args[0]))


sys.addaudithook(hook)
modules_before = set(sys.modules)
reports = {}
active = True
for path, raw in inputs:
    reports[path] = hashlib.sha256(detect(raw).to_json().encode("utf-8")).hexdigest()
active = False
imported = sorted(set(sys.modules) - modules_before)
print(json.dumps({"reports": reports, "opened": opened, "sockets": sockets, "imported": imported, "imports": imports}))
"""


def _isolated_inputs(tmp_path: Path) -> list[str]:
    heavy = tmp_path / "heavy.eml"
    # More than LEXBOR_MAX_TAGS tags, so the BeautifulSoup fallback runs.
    html = "<div>" * 30_000 + PIXEL_TAG
    heavy.write_bytes(b"From: a@example.org\r\nContent-Type: text/html\r\n\r\n" + html.encode())
    koi8 = tmp_path / "koi8.eml"
    koi8.write_bytes(
        b"From: a@example.org\r\nContent-Type: text/html; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "<p>Привет</p>".encode("koi8-r")
        + PIXEL_TAG.encode()
    )
    charsets = []
    # Apple Mail's name for Mac Cyrillic, a codec outside the common list, and a name that
    # no codec has: none of them may start an import after preload().
    # "dbcs" is an alias of a codec that exists on Windows only, and "utf-\uff18" (a fullwidth
    # digit) is looked up as "utf".
    for number, charset in enumerate(["x-mac-cyrillic", "mac-croatian", "x-no-such-charset", "dbcs", "utf-\uff18"]):
        path = tmp_path / f"charset-{number}.eml"
        path.write_bytes(
            f"From: a@example.org\r\nContent-Type: text/html; charset={charset}\r\n\r\n".encode()
            + b"<p>caf\xe9</p>"
            + PIXEL_TAG.encode()
        )
        charsets.append(str(path))
    images = []
    # Embedded images that Pillow's first plugins cannot read: it then imports all the
    # others, which preload() must have done already.
    for number, data in enumerate([b"\xff\xd8\xff\xe0\x00\x10JFIF", b"II*\x00\x08\x00", b"not an image at all"]):
        path = tmp_path / f"image-{number}.eml"
        path.write_bytes(
            b'From: a@example.org\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n'
            b'--b\r\nContent-Type: text/html\r\n\r\n<img src="cid:i">' + PIXEL_TAG.encode() + b"\r\n"
            b"--b\r\nContent-Type: image/jpeg\r\nContent-ID: <i>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(data)
            + b"\r\n--b--\r\n"
        )
        images.append(str(path))
    return [str(path) for path in FIXTURE_PATHS] + [str(heavy), str(koi8), *charsets, *images]


def _run_isolated(inputs: list[str], hash_seed: str) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", _ISOLATED_SCRIPT, *inputs],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="module")
def isolated_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs = _isolated_inputs(tmp_path_factory.mktemp("isolated"))
    return _run_isolated(inputs, "1"), _run_isolated(inputs, "2718281")


def test_deterministic_across_hash_seeds(isolated_runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = isolated_runs
    assert first["reports"] == second["reports"]


def test_isolated_no_socket(isolated_runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    assert isolated_runs[0]["sockets"] == []


def test_isolated_no_lazy_import(isolated_runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    assert isolated_runs[0]["imported"] == []
    assert isolated_runs[0]["imports"] == []


def test_isolated_no_file_opened(isolated_runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    assert isolated_runs[0]["opened"] == []


# --- JSON form -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", FIXTURE_BYTES, ids=[path.stem for path in FIXTURE_PATHS])
def test_json_round_trip(raw: bytes) -> None:
    report = detect(raw)
    assert json.loads(report.to_json()) == report.to_dict()


@pytest.mark.parametrize("raw", FIXTURE_BYTES, ids=[path.stem for path in FIXTURE_PATHS])
def test_json_compact_round_trip(raw: bytes) -> None:
    report = detect(raw)
    assert json.loads(report.to_json(indent=None)) == report.to_dict()


needs_schema = pytest.mark.skipif(
    not SCHEMA_PATH.exists(),
    reason="trackdetect/data/report.schema.json does not exist, so reports cannot be validated",
)


def _schema_validator() -> Any:
    import jsonschema  # type: ignore[import-untyped]

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@needs_schema
@pytest.mark.parametrize("raw", FIXTURE_BYTES, ids=[path.stem for path in FIXTURE_PATHS])
def test_json_schema_fixture(raw: bytes) -> None:
    validator = _schema_validator()
    validator.validate(json.loads(detect(raw).to_json()))


@needs_schema
@settings(FUZZ, max_examples=30)
@given(st.one_of(mime_shaped, mutated_fixture()))
def test_json_schema_fuzz(raw: bytes) -> None:
    validator = _schema_validator()
    validator.validate(json.loads(detect(raw).to_json()))


# --- bounded cost --------------------------------------------------------------------------


# The 20 MiB message is judged in a child interpreter: a regression then fails after
# HUGE_TIMEOUT seconds instead of stalling the run, and the child's peak resident size
# measures detect() plus the import, undisturbed by earlier tests.
HUGE_TIMEOUT = 120.0
_HUGE_SCRIPT = r"""
import json, resource, time
from trackdetect import detect

head = (
    b"From: Shop <news@shop.example.com>\r\nTo: ann.lee@example.org\r\nSubject: big\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>"
)
tag = b'<img src="https://cdn.example.com/i/1234567.png" width="1" height="1">\r\n'
raw = head + tag * (20 * 1024 * 1024 // len(tag)) + b"</body></html>\r\n"
started = time.perf_counter()
report = detect(raw)
elapsed = time.perf_counter() - started
print(json.dumps({
    "size": len(raw),
    "elapsed": elapsed,
    "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "defects": [defect.code for defect in report.defects],
}))
"""


@pytest.fixture(scope="module")
def huge_message_run() -> dict[str, Any]:
    return _run_child(_HUGE_SCRIPT)


def _run_child(script: str, *arguments: str) -> dict[str, Any]:
    """Run a script in a fresh interpreter and return the JSON it prints.

    A regression then fails after HUGE_TIMEOUT seconds instead of stalling the whole run.
    """
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        completed = subprocess.run(
            [sys.executable, "-c", script, *arguments],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=environment,
            timeout=HUGE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child interpreter did not finish within {HUGE_TIMEOUT} s")
    assert completed.returncode == 0, completed.stderr[-2000:]
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_huge_message_size(huge_message_run: dict[str, Any]) -> None:
    assert huge_message_run["size"] >= 20 * 1024 * 1024 - 100


def test_huge_message_time(huge_message_run: dict[str, Any]) -> None:
    # Measured at 5 to 8 s on a shared development container. The bound is generous
    # because the point is "finishes".
    assert huge_message_run["elapsed"] < 60.0


def test_huge_message_memory(huge_message_run: dict[str, Any]) -> None:
    # ru_maxrss is in KiB on Linux. The child's peak, import included, measured about 370 MiB.
    assert huge_message_run["peak_kib"] < 1536 * 1024


def test_huge_message_truncated(huge_message_run: dict[str, Any]) -> None:
    assert "html.truncated" in huge_message_run["defects"]


# --- no socket, no file --------------------------------------------------------------------


class _NoSocket:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("detect() created a socket")


def _no_open(*args: object, **kwargs: object) -> Any:
    raise AssertionError(f"detect() opened {args[0] if args else '?'!r}")


def test_no_socket_no_open(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = list(FIXTURE_BYTES)
    with monkeypatch.context() as patch:
        patch.setattr(socket, "socket", _NoSocket)
        patch.setattr(builtins, "open", _no_open)
        patch.setattr(io, "open", _no_open)
        patch.setattr(os, "open", _no_open)
        reports = [detect(raw) for raw in messages]
    assert len(reports) == len(messages)


_PIXEL_TAG = '<img src="https://t.example.net/o/8f3a2c9d71b4e6f0a1" width="1" height="1">'
# Each document would take minutes with a pattern that rescans the rest of the text.
LINEAR_CASES = [
    # More than 25,000 tags sends the document to the fallback parser, and one start tag
    # contains 300,000 spaces before its ">".
    pytest.param('"<p>x</p>" * 26_000 + "<div" + " " * 300_000 + ">"', 1, id="fallback-long-start-tag"),
    # Thousands of conditional comments that are never closed: the first one makes the rest
    # of the document, the pixel included, a comment.
    pytest.param('"<!--[if mso]><p>x" * 40_000 + "<p>end</p>"', 0, id="unclosed-conditional-comments"),
    # SVG lets <style> and <a> nest, so each one's text would include all the others'.
    pytest.param('"<svg>" + "<style>@media print{.a{background:url(x)}}" * 3_000', 1, id="svg-nested-styles"),
    # (20,000 links exceed the cap on references, so the pixel after them is not judged.)
    pytest.param('"<svg>" + \'<a href="https://x.example/1">xxxxxxxxxx\' * 20_000', 0, id="svg-nested-links"),
    # A style sheet that is one unclosed string of escaped quotes.
    pytest.param('"<style>" + "\\"" + "\\\\\\"" * 60_000 + "</style>"', 1, id="unclosed-css-string"),
    # A refresh content of 300,000 spaces and nothing else.
    pytest.param('\'<meta http-equiv="refresh" content="\' + " " * 300_000 + \'">\'', 1, id="refresh-spaces"),
]
_LINEAR_SCRIPT = r"""
import json, sys, time
from trackdetect import detect_html

html = eval(sys.argv[1]) + sys.argv[2]
started = time.perf_counter()
report = detect_html(html)
print(json.dumps({"elapsed": time.perf_counter() - started, "pixels": len(report.by_kind("pixel"))}))
"""


@pytest.mark.parametrize(("expression", "pixels"), LINEAR_CASES)
def test_pathological_markup_linear(expression: str, pixels: int) -> None:
    result = _run_child(_LINEAR_SCRIPT, expression, _PIXEL_TAG)
    assert result["pixels"] == pixels
    assert result["elapsed"] < 30.0


_LONG_BASE_SCRIPT = r"""
import json, time
from trackdetect import detect_html

# Each relative URL is a few characters in the HTML but 16 KiB once resolved against the base.
base = "https://x.example.com/" + "a%41" * 4000 + "/"
html = f'<base href="{base}">' + "".join(f'<img src="p{number}.gif">' for number in range(4000))
started = time.perf_counter()
report = detect_html(html, recipients=["ann.lee@example.org"])
print(json.dumps({
    "elapsed": time.perf_counter() - started,
    "judged": len(report.findings),
    "defects": [defect.code for defect in report.defects],
}))
"""


def test_long_base_url_bounded() -> None:
    # Judging 4,000 URLs of 16 KiB each took about 15 s. The URL budget stops it early.
    result = _run_child(_LONG_BASE_SCRIPT)
    assert "html.too-many-url-characters" in result["defects"]
    assert 100 < result["judged"] < 200
    assert result["elapsed"] < 30.0


_LONG_HEADER_SCRIPT = r"""
import json, sys, time
from trackdetect import detect

params = b"".join(b"title*%d*=us-ascii''a%%20b; " % number for number in range(300_000))
pixel = b'<img src="https://t.example.net/o/8f3a2c9d71b4e6f0a1" width="1" height="1">'
head = b"From: a@shop.example.com\r\nTo: ann.lee@example.org\r\nMIME-Version: 1.0\r\n"
if sys.argv[1] == "multipart":
    # The parser itself looks up the boundary while it reads a multipart.
    raw = (
        head + b'Content-Type: multipart/mixed; boundary="B"; ' + params + b"\r\n\r\n"
        b"--B\r\nContent-Type: text/html\r\n\r\n" + pixel + b"\r\n--B--\r\n"
    )
else:
    raw = head + b"Content-Type: text/html; " + params + b"\r\n\r\n" + pixel
started = time.perf_counter()
report = detect(raw)
print(json.dumps({
    "elapsed": time.perf_counter() - started,
    "pixels": len(report.by_kind("pixel")),
    "defects": [defect.code for defect in report.defects],
}))
"""


@pytest.mark.parametrize("shape", ["single", "multipart"])
def test_long_content_type_linear(shape: str) -> None:
    # 300,000 parameters (9 MB): the standard library's parameter splitting is quadratic.
    result = _run_child(_LONG_HEADER_SCRIPT, shape)
    assert result["pixels"] == 1
    assert "header.too-long" in result["defects"]
    assert result["elapsed"] < 30.0


def test_url_budget_drops_new_urls_past_it() -> None:
    first = "https://t.example.net/o/" + "a1" * 20
    second = "https://t.example.net/o/" + "b2" * 20
    html = f'<img src="{first}"><img src="{second}"><a href="{first}">again</a>'
    report = detect_html(html, options=Options(max_url_characters=len(first) + 10))
    # The link repeats a URL judged before the budget ran out, so it is judged too.
    assert sorted({(finding.kind.value, finding.url) for finding in report.findings}) == [
        ("tracked_image", first),
        ("tracked_link", first),
    ]
    [defect] = [defect for defect in report.defects if defect.code == "html.too-many-url-characters"]
    assert "1 distinct URLs after the first 1 were not judged" in defect.message


def test_url_budget_ignores_inline_data() -> None:
    # A large inline image is never analysed, so it must not use up the budget.
    data = "data:image/png;base64," + "iVBORw0KGgo" * 300_000
    pixel = "https://t.example-esp.com/o/8f3a2c9d71b4e6f0a1/open.gif"
    report = detect_html(f'<img src="{data}"><img src="{pixel}" width="1" height="1">')
    assert [finding.url for finding in report.by_kind("pixel")] == [pixel]
    assert "html.too-many-url-characters" not in [defect.code for defect in report.defects]
