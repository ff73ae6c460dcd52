"""The command line: outputs, exit codes and error lines."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trackdetect import detect, detect_html
from trackdetect._render import render_text
from trackdetect.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_TRACKED, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRACKED = FIXTURES / "hubspot-sidekick-sales.eml"
CLEAN = FIXTURES / "personal-no-tracking.eml"


def test_text_output_names_vendor(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([str(TRACKED)])
    out = capsys.readouterr().out
    assert status == EXIT_TRACKED
    assert "TRACKED" in out
    assert "Sidekick" in out
    assert "What the sender learns" in out


def test_clean_message_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([str(CLEAN)])
    out = capsys.readouterr().out
    assert status == EXIT_CLEAN
    assert "no tracking found" in out


def test_json_output_is_one_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--json", str(TRACKED)])
    data = json.loads(capsys.readouterr().out)
    assert status == EXIT_TRACKED
    assert data["tracked"] is True
    assert data["schema_version"] == "1.0"


def test_jsonl_output_has_line_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--jsonl", str(TRACKED), str(CLEAN)])
    lines = capsys.readouterr().out.splitlines()
    assert status == EXIT_TRACKED
    assert len(lines) == 2
    assert json.loads(lines[0])["file"] == str(TRACKED)
    assert json.loads(lines[1])["tracked"] is False


def test_json_with_two_files_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--json", str(TRACKED), str(CLEAN)])
    assert status == EXIT_ERROR
    assert "--jsonl" in capsys.readouterr().err


def test_missing_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["/nonexistent/message.eml"])
    err = capsys.readouterr().err
    assert status == EXIT_ERROR
    assert err.count("\n") == 1
    assert "/nonexistent/message.eml: file not found" in err


def test_empty_directory_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a message")
    status = main([str(tmp_path)])
    assert status == EXIT_ERROR
    assert f"{tmp_path}: is a directory with no .eml files" in capsys.readouterr().err


def test_directory_reads_eml_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "b.EML").write_bytes(TRACKED.read_bytes())
    (tmp_path / "a.eml").write_bytes(CLEAN.read_bytes())
    (tmp_path / "notes.txt").write_text("not a message")
    status = main(["--jsonl", str(tmp_path)])
    files = [json.loads(line)["file"] for line in capsys.readouterr().out.splitlines()]
    assert status == EXIT_TRACKED
    assert files == [str(tmp_path / "a.eml"), str(tmp_path / "b.EML")]


def test_directory_with_json_needs_jsonl(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("a.eml", "b.eml"):
        (tmp_path / name).write_bytes(CLEAN.read_bytes())
    assert main(["--json", str(tmp_path)]) == EXIT_ERROR
    assert "use --jsonl" in capsys.readouterr().err


def test_directory_rejected_as_mbox(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--mbox", str(tmp_path)]) == EXIT_ERROR
    assert "is a directory; pass the mbox files inside it" in capsys.readouterr().err


def test_error_does_not_stop_other_files(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["/nonexistent.eml", str(TRACKED)])
    captured = capsys.readouterr()
    assert status == EXIT_ERROR
    assert "TRACKED" in captured.out


def test_stdin_is_read(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TRACKED.read_bytes())))
    status = main(["--json", "-"])
    assert status == EXIT_TRACKED
    assert json.loads(capsys.readouterr().out)["tracked"] is True


def test_garbage_input_reports_defects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The report is still printed for scripts, and the exit status marks the input error.
    path = tmp_path / "junk.eml"
    path.write_bytes(bytes(range(256)) * 10)
    status = main(["--json", str(path)])
    data = json.loads(capsys.readouterr().out)
    assert status == EXIT_ERROR
    assert data["defects"]


def test_mbox_reads_every_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = tmp_path / "box.mbox"
    box.write_bytes(
        b"From a@example.com Mon Jan  1 00:00:00 2024\n"
        + TRACKED.read_bytes().replace(b"\r\n", b"\n")
        + b"\nFrom b@example.com Mon Jan  1 00:00:00 2024\n"
        + CLEAN.read_bytes().replace(b"\r\n", b"\n")
    )
    status = main(["--mbox", "--jsonl", str(box)])
    lines = capsys.readouterr().out.splitlines()
    assert status == EXIT_TRACKED
    assert [json.loads(line)["file"] for line in lines] == [f"{box}#1", f"{box}#2"]


def test_recipient_option_finds_leak(capsys: pytest.CaptureFixture[str]) -> None:
    leak_fixture = FIXTURES / "recipient-address-leaks.eml"
    expected = json.loads((FIXTURES / "recipient-address-leaks.expected.json").read_text())
    arguments = ["--json"]
    for address in expected.get("recipients", []):
        arguments += ["--recipient", address]
    main([*arguments, str(leak_fixture)])
    data = json.loads(capsys.readouterr().out)
    assert any(finding["kind"] == "recipient_leak" for finding in data["findings"])


def test_select_option_limits_codes(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--json", "--select", "TD6", str(TRACKED)])
    data = json.loads(capsys.readouterr().out)
    codes = {rule["code"] for finding in data["findings"] for rule in finding["rules"]}
    assert codes <= {"TD601"}


def test_bad_vendor_file_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vendors = tmp_path / "vendors.json"
    vendors.write_text('{"vendors": [{"id": "BAD ID"}]}')
    status = main(["--vendors", str(vendors), str(TRACKED)])
    assert status == EXIT_ERROR
    assert "invalid id" in capsys.readouterr().err


def test_user_vendor_file_attributes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vendors = tmp_path / "vendors.json"
    vendors.write_text(
        json.dumps(
            {
                "vendors": [
                    {
                        "id": "orchard-pixels",
                        "name": "Orchard Pixels",
                        "category": "analytics",
                        "domains": ["orchardlane.example.net"],
                        "sources": ["https://example.org/doc"],
                    }
                ]
            }
        )
    )
    main(["--json", "--vendors", str(vendors), str(FIXTURES / "generic-hidden-and-css-sized-pixels.eml")])
    data = json.loads(capsys.readouterr().out)
    assert "Orchard Pixels" in data["vendors"]


def test_rules_command_lists_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == EXIT_CLEAN
    out = capsys.readouterr().out
    assert "TD101" in out
    assert "TD601" in out


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trackdetect.cli", str(TRACKED)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == EXIT_TRACKED
    assert "Traceback" not in result.stderr


def test_usage_error_exit_code() -> None:
    result = subprocess.run([sys.executable, "-m", "trackdetect.cli"], capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_ERROR
    assert "usage:" in result.stderr


def test_rules_doc_is_current() -> None:
    from trackdetect._docs import rules_markdown

    expected = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert rules_markdown() == expected, "docs/rules.md is stale: run 'trackdetect rules --markdown > docs/rules.md'"


def test_jsonl_lines_match_schema(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    from trackdetect.report import load_schema

    main(["--jsonl", str(TRACKED), str(CLEAN)])
    for line in capsys.readouterr().out.splitlines():
        jsonschema.validate(json.loads(line), load_schema())


def test_nul_in_charset_is_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nul.eml"
    path.write_bytes(b'From: a@example.org\nContent-Type: text/html; charset="\x00utf-8"\n\n<p>hi</p>\n')
    assert main(["--json", str(path)]) == EXIT_CLEAN
    assert json.loads(capsys.readouterr().out)["defects"]


def test_empty_file_is_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.eml"
    path.write_bytes(b"")
    assert main([str(path)]) == EXIT_ERROR
    assert "not an email message" in capsys.readouterr().err


def test_unknown_rule_code_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--select", "XX999", str(TRACKED)]) == EXIT_ERROR
    assert "unknown rule code" in capsys.readouterr().err


def test_mbox_on_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    box = (
        b"From a@example.com Mon Jan  1 00:00:00 2024\n"
        + TRACKED.read_bytes().replace(b"\r\n", b"\n")
        + b"\nFrom b@example.com Mon Jan  1 00:00:00 2024\n"
        + CLEAN.read_bytes().replace(b"\r\n", b"\n")
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(box)))
    assert main(["--mbox", "--jsonl", "-"]) == EXIT_TRACKED
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["file"] for line in lines] == ["<stdin>#1", "<stdin>#2"]


def test_closed_pipe_is_quiet() -> None:
    script = "import sys; from trackdetect.cli import entry_point; sys.argv = ['trackdetect', '-v'] + sys.argv[1:]; entry_point()"
    command = f'{sys.executable} -c "{script}" {TRACKED} {TRACKED} {TRACKED} | head -n 1'
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert "Broken pipe" not in result.stderr
    assert "Traceback" not in result.stderr


def test_closed_pipe_keeps_verdict_status() -> None:
    # A reader that stops early (head) still gets the status of the messages judged so far.
    script = "import sys; from trackdetect.cli import entry_point; sys.argv = ['trackdetect', '-v'] + sys.argv[1:]; entry_point()"
    command = f'{sys.executable} -c "{script}" {TRACKED} {TRACKED} {TRACKED} | head -n 1; exit ${{PIPESTATUS[0]}}'
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_invisible_characters_are_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hidden.eml"
    path.write_bytes("From: Bank\U000e0139 <a@example.org>\nSubject: Hi\u202e\n\nhello\n".encode())
    main([str(path)])
    out = capsys.readouterr().out
    assert "\U000e0139" not in out
    assert "\\U000e0139" in out
    assert "\\u202e" in out


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        pytest.param("\U0001f469\u200d\U0001f4bb Dev news", "\U0001f469\u200d\U0001f4bb Dev news", id="emoji-joiner"),
        pytest.param("\u2764\ufe0f Sale", "\u2764\ufe0f Sale", id="emoji-presentation"),
        pytest.param(
            "\U0001f469\U0001f3fd\u200d\U0001f4bb ok", "\U0001f469\U0001f3fd\u200d\U0001f4bb ok", id="skin-tone"
        ),
        pytest.param("Pay\u200dpal", "Pay\\u200dpal", id="joiner-between-letters"),
        pytest.param("x\ufe0fy", "x\\ufe0fy", id="selector-after-letter"),
        pytest.param("1\ufe0f\u20e3 Step one", "1\ufe0f\u20e3 Step one", id="keycap"),
    ],
)
def test_emoji_sequences_kept_whole(subject: str, shown: str) -> None:
    report = detect(f"From: a@example.org\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi")
    assert f"Subject: {shown}\n" in render_text(report)


# --- Text rendering -----------------------------------------------------------------------

LONG_PIXEL = "https://t.example.net/o/" + "a1b2c3d4e5" * 12 + "?r=1"


def test_one_remote_resource_singular() -> None:
    report = detect_html('<img src="https://cdn.example.com/img/hero.jpg" width="600" height="300">')
    assert "1 other remote resource (use" in render_text(report)


def test_wrapper_section_not_sender_learns() -> None:
    report = detect_html('<a href="https://tinyurl.com/y3kx9abc">offer</a>')
    text = render_text(report)
    assert "What this is: A security gateway" in text
    assert "[high]" not in text


def test_each_explanation_heads_its_findings() -> None:
    # A print pixel and an ordinary open pixel tell the sender different things.
    html = (
        "<style>@media print { .p { background-image: url(https://t.example.net/print/8f3a2c9d71b4e6f0a1) } }</style>"
        '<div class="p">x</div>'
        '<img src="https://t.example.net/o/9d71b4e6f0a18f3a2c" width="1" height="1">'
    )
    text = render_text(detect_html(html))
    print_line = text.index("What the sender learns: Tells the sender when you print this message")
    open_line = text.index("What the sender learns: Tells the sender when you open this message")
    print_pixel = text.index("https://t.example.net/print/")
    open_pixel = text.index("https://t.example.net/o/")
    assert (print_line < print_pixel < open_line < open_pixel) or (open_line < open_pixel < print_line < print_pixel)


def test_verbose_keeps_whole_url() -> None:
    report = detect_html(f'<img src="{LONG_PIXEL}" width="1" height="1">')
    assert LONG_PIXEL in render_text(report, verbose=True)
    assert LONG_PIXEL not in render_text(report)


def test_clean_score_is_float() -> None:
    report = detect_html("<p>Hello</p>")
    assert isinstance(report.score, float)
    assert isinstance(json.loads(report.to_json())["score"], float)


def test_internal_error_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr("trackdetect.cli.detect", broken)
    status = main([str(CLEAN), str(TRACKED)])
    err = capsys.readouterr().err
    assert status == EXIT_ERROR
    assert err.count("internal error (ZeroDivisionError); please report it") == 2
    assert "Traceback" not in err


def test_internal_error_in_mbox_goes_on(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from trackdetect import detect

    calls = []

    def flaky(raw: bytes, **kwargs: object) -> object:
        calls.append(raw)
        if len(calls) == 1:
            raise ZeroDivisionError("simulated bug")
        return detect(raw, **kwargs)  # type: ignore[arg-type]

    box = tmp_path / "box.mbox"
    message = CLEAN.read_bytes().replace(b"\r\n", b"\n")
    box.write_bytes(
        b"From a@b Mon Jan  1 00:00:00 2024\n" + message + b"\nFrom a@b Mon Jan  1 00:00:00 2024\n" + message
    )
    monkeypatch.setattr("trackdetect.cli.detect", flaky)
    status = main(["--jsonl", "--mbox", str(box)])
    captured = capsys.readouterr()
    assert status == EXIT_ERROR
    assert f"{box}#1: internal error (ZeroDivisionError)" in captured.err
    assert [json.loads(line)["file"] for line in captured.out.splitlines()] == [f"{box}#2"]


def test_render_error_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> str:
        raise KeyError("simulated rendering bug")

    monkeypatch.setattr("trackdetect.cli.render_text", broken)
    status = main([str(CLEAN), str(TRACKED)])
    err = capsys.readouterr().err
    assert status == EXIT_ERROR
    assert err.count("internal error (KeyError); please report it") == 2


def test_rules_command_rejects_unknown_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["rules", "--bogus"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_empty_recipient_keeps_header_recipients(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = tmp_path / "leak.eml"
    message.write_text(
        "From: news@shop.example.com\nTo: ann.lee@example.org\nContent-Type: text/html\n\n"
        '<img src="https://t.example.net/o?e=ann.lee@example.org" width="1" height="1">\n',
        encoding="utf-8",
    )
    main(["--json", "-r", "", str(message)])
    assert json.loads(capsys.readouterr().out)["recipients"] == ["ann.lee@example.org"]


def test_repeated_leak_heading_counts_urls() -> None:
    links = "".join(
        f'<a href="https://shop.example.net/{page}?email=ann.lee%40example.org">{page}</a>' for page in ("a", "b", "c")
    )
    text = render_text(detect_html(links, recipients=["ann.lee@example.org"]))
    assert "Your address in URLs (1, in 3 URLs):" in text
    assert text.count("ann.lee@example.org (percent, in the query)") == 1


def test_sender_address_leak_not_called_yours() -> None:
    raw = (
        "From: news@shop.example.com\r\nTo: ann.lee@example.org\r\nContent-Type: text/html\r\n\r\n"
        '<a href="https://click.example.net/r?from=news%40shop.example.com">Sale</a>'
    )
    text = render_text(detect(raw))
    assert "Addresses in URLs (yours or the sender's) (1):" in text
    assert "Your address in URLs" not in text


def test_possible_tracking_shows_location() -> None:
    html = '<p>Track it: <a href="https://www.example.org/orders/9f3a8c2d71b4e6f0a1b2">order</a></p>'
    text = render_text(detect_html(html))
    assert "Possible tracking, low confidence (1)" in text
    assert "    part 1, <a> href; " in text
