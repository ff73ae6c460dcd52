"""User lists: parsing, and update-lists against a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackdetect import DataError, Options, detect_html, load_saved_lists, load_vendor_index, parse_adblock
from trackdetect._lists import detect_format, update_lists, update_lists_main
from trackdetect._urls import split_url

VENDORS = {
    "vendors": [
        {
            "id": "quill-beacon",
            "name": "Quill Beacon",
            "category": "analytics",
            "domains": ["quillbeacon.example.net"],
            "open": [{"domain": "quillbeacon.example.net", "prefix": "/b/"}],
            "sources": ["https://example.org/quill-beacon-docs"],
        }
    ]
}
CLEARURLS = {"providers": {"shop": {"urlPattern": "^https?://shop\\.example\\.com", "rules": ["ref_src"]}}}
ADBLOCK = "[Adblock Plus 2.0]\n! Title: test list\n||pixels.example.net^\n||stats.example.org/open/\n/emailtrack.gif?\n"
PAGES: dict[str, tuple[int, bytes]] = {
    "/vendors.json": (200, json.dumps(VENDORS).encode()),
    "/clearurls.json": (200, json.dumps(CLEARURLS).encode()),
    "/easy.txt": (200, ADBLOCK.encode()),
    "/broken.json": (200, b'{"vendors": [{"id": "Bad Id"}]}'),
    "/unknown.txt": (200, b"hello world"),
    "/huge.txt": (200, b"||a.example.net^\n" * 10000),
    "/missing": (404, b"not here"),
}


CLASHING_VENDORS = {
    "vendors": [
        {
            "id": "quill-sendgrid",
            "name": "Quill copy of SendGrid",
            "category": "esp",
            "domains": ["sendgrid.net"],
            "sources": ["https://example.org/quill"],
        }
    ]
}
PAGES["/clash.json"] = (200, json.dumps(CLASHING_VENDORS).encode())


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path in ("/short.txt", "/silent.txt"):
            # A body cut short of its Content-Length, or headers and then nothing.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            if self.path == "/short.txt":
                self.wfile.write(b"||a.example.net^\n")
            else:
                time.sleep(3)
            return
        if self.path == "/drip.txt":
            # Two bytes every 0.3 s: each read is quick, the whole download is not.
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"||")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
            return
        status, body = PAGES.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep requests from sending the test traffic to a proxy named in the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_update_saves_each_format(server: str, tmp_path: Path) -> None:
    urls = [f"{server}/vendors.json", f"{server}/clearurls.json", f"{server}/easy.txt"]
    outcomes = update_lists(urls, folder=tmp_path, timeout=5)
    assert all(outcome.startswith("saved") for _url, outcome in outcomes), outcomes
    assert len(list(tmp_path.iterdir())) == 3


def test_saved_lists_feed_detection(server: str, tmp_path: Path) -> None:
    update_lists(
        [f"{server}/vendors.json", f"{server}/easy.txt", f"{server}/clearurls.json"], folder=tmp_path, timeout=5
    )
    saved = load_saved_lists(tmp_path)
    index = load_vendor_index(saved.vendor_documents)
    options = Options(vendor_index=index, blocklist=saved.blocklist, parameter_rules=saved.parameter_rules)
    html = (
        '<img src="https://quillbeacon.example.net/b/5f2a9c81d0e4b7a3" width="1" height="1">'
        '<img src="https://pixels.example.net/x.gif">'
    )
    report = detect_html(html, options=options)
    assert "Quill Beacon" in report.vendors
    blocked = [finding for finding in report.findings if "TD304" in finding.codes]
    assert blocked[0].url == "https://pixels.example.net/x.gif"


def test_failed_download_keeps_previous(server: str, tmp_path: Path) -> None:
    update_lists([f"{server}/vendors.json"], folder=tmp_path, timeout=5)
    saved_name = next(tmp_path.iterdir()).name
    PAGES["/vendors.json"] = (200, b'{"vendors": [{"id": "Bad Id"}]}')
    try:
        outcomes = update_lists([f"{server}/vendors.json"], folder=tmp_path, timeout=5)
    finally:
        PAGES["/vendors.json"] = (200, json.dumps(VENDORS).encode())
    assert outcomes[0][1].startswith("failed")
    assert json.loads((tmp_path / saved_name).read_text()) == VENDORS


def test_second_update_keeps_previous_copy(server: str, tmp_path: Path) -> None:
    update_lists([f"{server}/easy.txt"], folder=tmp_path, timeout=5)
    update_lists([f"{server}/easy.txt"], folder=tmp_path, timeout=5)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert any(name.endswith(".previous") for name in names)


def test_http_error_is_reported(server: str, tmp_path: Path) -> None:
    outcomes = update_lists([f"{server}/missing"], folder=tmp_path, timeout=5)
    assert "404" in outcomes[0][1]
    assert not list(tmp_path.iterdir())


def test_size_limit_is_enforced(server: str, tmp_path: Path) -> None:
    outcomes = update_lists([f"{server}/huge.txt"], folder=tmp_path, max_bytes=1000, timeout=5)
    assert "limit" in outcomes[0][1]


def test_sha256_is_checked(server: str, tmp_path: Path) -> None:
    good = hashlib.sha256(ADBLOCK.encode()).hexdigest()
    assert update_lists([f"{server}/easy.txt"], folder=tmp_path, sha256=[good], timeout=5)[0][1].startswith("saved")
    bad = update_lists([f"{server}/easy.txt"], folder=tmp_path / "other", sha256=["0" * 64], timeout=5)
    assert "SHA-256" in bad[0][1]


def test_unknown_format_is_rejected(server: str, tmp_path: Path) -> None:
    outcomes = update_lists([f"{server}/unknown.txt"], folder=tmp_path, timeout=5)
    assert "unknown list format" in outcomes[0][1]


def test_command_exit_codes(server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert update_lists_main([f"{server}/easy.txt", "--dir", str(tmp_path), "--timeout", "5"]) == 0
    assert update_lists_main([f"{server}/missing", "--dir", str(tmp_path), "--timeout", "5"]) == 2
    assert "failed" in capsys.readouterr().err


def test_non_http_url_is_rejected(tmp_path: Path) -> None:
    outcomes = update_lists(["file:///etc/passwd"], folder=tmp_path)
    assert "only http and https" in outcomes[0][1]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (json.dumps(VENDORS).encode(), "vendors"),
        (json.dumps(CLEARURLS).encode(), "clearurls"),
        (ADBLOCK.encode(), "adblock"),
    ],
)
def test_detect_format(content: bytes, kind: str) -> None:
    assert detect_format(content) == kind


def test_detect_format_rejects_other_json() -> None:
    with pytest.raises(DataError):
        detect_format(b'{"rules": []}')


def test_adblock_parsing_keeps_network_filters() -> None:
    blocklist = parse_adblock(ADBLOCK + "@@||pixels.example.net/ok^\n##.banner\n/ads/*\n", "t")
    assert "pixels.example.net" in blocklist.hosts
    assert blocklist.paths == ("/emailtrack.gif?",)
    matched = split_url("https://stats.example.org/open/123")
    assert matched is not None
    assert blocklist.match(matched) == "||stats.example.org/open/"


def test_adblock_no_match_for_other_host() -> None:
    blocklist = parse_adblock(ADBLOCK, "t")
    other = split_url("https://www.example.com/index.html")
    assert other is not None
    assert blocklist.match(other) is None


def test_missing_data_folder_gives_empty_lists(tmp_path: Path) -> None:
    saved = load_saved_lists(tmp_path / "absent")
    assert saved.vendor_documents == ()
    assert saved.blocklist is None


def test_adblock_exception_cancels_match() -> None:
    blocklist = parse_adblock("||pixels.example.net^\n@@||pixels.example.net/allowed^\n", "t")
    allowed = split_url("https://pixels.example.net/allowed/banner.png")
    blocked = split_url("https://pixels.example.net/p.gif")
    assert allowed is not None and blocked is not None
    assert blocklist.match(allowed) is None
    assert blocklist.match(blocked) == "||pixels.example.net^"


def test_adblock_image_option_skips_links() -> None:
    blocklist = parse_adblock("||clicks.example.net^$image\n", "t")
    parts = split_url("https://clicks.example.net/go")
    assert parts is not None
    assert blocklist.match(parts) == "||clicks.example.net^"
    assert blocklist.match(parts, link=True) is None


def test_adblock_page_only_filters_skipped() -> None:
    blocklist = parse_adblock("||popups.example.net^$popup\n||frames.example.net^$document\n", "t")
    assert not blocklist.hosts


def test_blocklist_names_vendor() -> None:
    blocklist = parse_adblock("||pixels.example.net^\n", "EasyPrivacy")
    report = detect_html(
        '<img src="https://pixels.example.net/p.gif?u=8f3a91d0c2b7e5f4a1c3" width="1" height="1">',
        options=Options(blocklist=blocklist),
    )
    assert report.findings[0].vendor == "listed in EasyPrivacy"


def test_failed_first_download_says_nothing_saved(server: str, tmp_path: Path) -> None:
    outcomes = update_lists([f"{server}/missing"], folder=tmp_path, timeout=5)
    assert outcomes[0][1].endswith("nothing saved")
    assert not outcomes[0][1].startswith(f"failed: {server}")


def test_slow_download_stops_at_timeout(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    outcomes = update_lists([f"{server}/drip.txt"], folder=tmp_path, timeout=1)
    assert "took longer than 1 seconds" in outcomes[0][1]
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--timeout", "-1"], ["--max-bytes", "0"]])
def test_command_rejects_non_positive_limits(option: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        update_lists_main(["http://127.0.0.1:9/x.txt", *option])
    assert stopped.value.code == 2
    assert "must be positive" in capsys.readouterr().err


def test_vendor_list_clashing_with_shipped_data_is_rejected(server: str, tmp_path: Path) -> None:
    outcomes = update_lists([f"{server}/clash.json"], folder=tmp_path, timeout=5)
    assert "sendgrid.net" in outcomes[0][1]
    assert "nothing saved" in outcomes[0][1]
    assert not list(tmp_path.iterdir())


def test_stray_file_in_data_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "easy.txt").write_text(ADBLOCK, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("remember to update the lists", encoding="utf-8")
    saved = load_saved_lists(tmp_path)
    assert saved.blocklist is not None
    [reason] = saved.skipped
    assert reason.startswith(f"{tmp_path / 'notes.txt'} was left out: unknown list format")


def test_command_rejects_malformed_sha256(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        update_lists_main(["http://127.0.0.1:9/x.txt", "--sha256", "0000"])
    assert stopped.value.code == 2
    assert "not a SHA-256 digest" in capsys.readouterr().err


def test_refused_connection_reads_short(tmp_path: Path) -> None:
    # Port 9 (discard) has no listener here, so the connection is refused at once.
    outcomes = update_lists(["http://127.0.0.1:9/x.txt"], folder=tmp_path, timeout=5)
    assert outcomes[0][1].startswith("failed: download failed: ")
    assert len(outcomes[0][1]) < 150


@pytest.mark.parametrize("path", ["/short.txt", "/silent.txt"])
def test_broken_body_is_a_failed_download(server: str, tmp_path: Path, path: str) -> None:
    outcomes = update_lists([f"{server}{path}", f"{server}/easy.txt"], folder=tmp_path, timeout=1)
    assert outcomes[0][1].startswith("failed: download failed")
    # The next list is still downloaded.
    assert outcomes[1][1].startswith("saved adblock list")


def test_vendor_list_clashing_saved_rejected(server: str, tmp_path: Path) -> None:
    assert update_lists([f"{server}/vendors.json"], folder=tmp_path, timeout=5)[0][1].startswith("saved")
    PAGES["/mirror.json"] = PAGES["/vendors.json"]
    outcomes = update_lists([f"{server}/mirror.json"], folder=tmp_path, timeout=5)
    port = server.rsplit(":", 1)[1]
    assert f"127.0.0.1_{port}_vendors.json" in outcomes[0][1]
    assert "nothing saved" in outcomes[0][1]
    # Downloading the same list again replaces its own copy, which is no clash.
    assert update_lists([f"{server}/vendors.json"], folder=tmp_path, timeout=5)[0][1].startswith("saved")


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_command_rejects_infinite_timeout(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        update_lists_main(["http://127.0.0.1:9/x.txt", "--timeout", value])
    assert "must be positive and finite" in capsys.readouterr().err


def test_update_despite_broken_saved_list(server: str, tmp_path: Path) -> None:
    # A saved ClearURLs file that no longer parses must not stop the download that replaces it.
    (tmp_path / "broken.json").write_text('{"providers": 5}', encoding="utf-8")
    assert update_lists([f"{server}/easy.txt"], folder=tmp_path, timeout=5)[0][1].startswith("saved")


def test_same_file_name_in_two_folders_both_saved(server: str, tmp_path: Path) -> None:
    # Two lists of one server with the same file name must not replace each other.
    other = json.loads(json.dumps(VENDORS))
    other["vendors"][0].update(
        id="quill-beacon-b", name="Quill Beacon B", domains=["quillbeacon-b.example.net"], open=[]
    )
    PAGES["/a/vendors.json"] = PAGES["/vendors.json"]
    PAGES["/b/vendors.json"] = (200, json.dumps(other).encode())
    outcomes = update_lists([f"{server}/a/vendors.json", f"{server}/b/vendors.json"], folder=tmp_path, timeout=5)
    assert [outcome.split(" to ")[0] for _url, outcome in outcomes] == ["saved vendors list"] * 2
    assert len({outcome.split(" to ")[1] for _url, outcome in outcomes}) == 2
    assert len(load_saved_lists(tmp_path).vendor_documents) == 2


def test_list_under_former_name_is_replaced(server: str, tmp_path: Path) -> None:
    # A copy saved under the former host-and-file-name scheme is the same list: no clash.
    (tmp_path / "127.0.0.1_vendors.json").write_bytes(PAGES["/vendors.json"][1])
    outcomes = update_lists([f"{server}/vendors.json"], folder=tmp_path, timeout=5)
    assert outcomes[0][1].startswith("saved vendors list")
    assert not (tmp_path / "127.0.0.1_vendors.json").exists()
    assert (tmp_path / "127.0.0.1_vendors.json.previous").exists()
    assert len(load_saved_lists(tmp_path).vendor_documents) == 1


def test_folder_and_underscore_names_differ() -> None:
    from trackdetect._lists import _list_name

    assert _list_name("https://lists.example.org/a/vendors.json") != _list_name(
        "https://lists.example.org/a_vendors.json"
    )
