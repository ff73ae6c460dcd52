"""Tests for the recipient address leak finder in trackdetect._leaks."""

from __future__ import annotations

import base64
import hashlib
import random
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackdetect import _leaks as leaks_module
from trackdetect import detect
from trackdetect._leaks import (
    _HASHES,
    ENCODINGS,
    HASH_ALGORITHMS,
    MAX_ADDRESSES,
    MAX_MATCHED_LENGTH,
    MAX_URL_LENGTH,
    AddressMatcher,
    LeakMatch,
)

ADDRESSES = (
    "john.doe+news@example.com",  # plus addressing and a dot
    "Alice.Smith@Example.ORG",  # upper case
    # A long domain; the "~" makes the standard and URL-safe base64 forms differ.
    "bob_1987~@mail.eu-west.corporate-intranet.example-holdings.co.uk",
)
MATCHER = AddressMatcher(ADDRESSES)

POSITIONS = {
    "path": ("https://t.example.net/o/{token}/p.gif", "path"),
    "query": ("https://t.example.net/o?c=7&u={token}&x=1", "query"),
    "fragment": ("https://t.example.net/o#u={token}", "fragment"),
    "css": (
        "https://t.example.net/r?s=background:url(https://img.example.net/p.png?e={token})",
        "query",
    ),
}


def _hex_digest(algorithm: str, data: bytes) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def encode(address: str, encoding: str) -> str:
    """Write ``address`` the way a sender using ``encoding`` would, independently of the module."""
    data = address.lower().encode("utf-8")
    if encoding == "plain":
        return address
    if encoding == "percent":
        return quote(address, safe="")
    if encoding == "percent2":
        return quote(quote(address, safe=""), safe="")
    if encoding == "base64":
        return base64.b64encode(data).decode("ascii")
    if encoding == "base64url":
        return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    if encoding == "hex":
        return data.hex().upper()
    if encoding in HASH_ALGORITHMS:
        return _hex_digest(encoding, data)
    if encoding.endswith("-base64"):
        digest = hashlib.new(encoding.removesuffix("-base64"), data).digest()
        return base64.b64encode(digest).decode("ascii")
    if encoding == "local-part":
        return address.rpartition("@")[0]
    outer, inner = encoding.rstrip(")").split("(")
    return _hex_digest(outer, _hex_digest(inner, data).encode("ascii"))


def expected_encoding(address: str, encoding: str) -> str:
    """Return the reported name: a URL-safe value without ``-`` or ``_`` reads as standard."""
    if encoding == "base64url" and not {"-", "_"} & set(encode(address, encoding)):
        return "base64"
    return encoding


def first_match(matches: tuple[LeakMatch, ...], address: str, encoding: str) -> LeakMatch | None:
    for match in matches:
        if match.address == address.strip().lower() and match.encoding == encoding:
            return match
    return None


MATRIX = [
    pytest.param(address, encoding, template, position, id=f"a{index}-{encoding}-{place}")
    for index, address in enumerate(ADDRESSES)
    for encoding in ENCODINGS
    for place, (template, position) in POSITIONS.items()
]


@pytest.mark.parametrize(("address", "encoding", "template", "position"), MATRIX)
def test_find_matrix(address: str, encoding: str, template: str, position: str) -> None:
    url = template.format(token=encode(address, encoding))
    match = first_match(MATCHER.find(url), address, expected_encoding(address, encoding))
    assert match is not None
    assert match.position == position
    assert match.matched in url


# Forms short enough for a DNS label, which is at most 63 characters long.
@pytest.mark.parametrize("encoding", ["md5", "sha1", "sha224", "md5(sha256)", "hex"])
def test_find_host(encoding: str) -> None:
    token = encode(ADDRESSES[0], encoding)
    url = f"https://{token}.t.example.net/o.gif"
    matches = MATCHER.find(url)
    assert [match.position for match in matches] == ["host"]


def test_find_host_protocol_relative() -> None:
    url = f"//{encode(ADDRESSES[0], 'md5')}.t.example.net/o.gif"
    assert MATCHER.find(url)[0].position == "host"


GIVEN_SPELLING = [
    pytest.param(algorithm, form, id=f"{algorithm}-{form}")
    for algorithm in HASH_ALGORITHMS
    for form in ("hex", "base64url", "md5-inner")
]


@pytest.mark.parametrize(("algorithm", "form"), GIVEN_SPELLING)
def test_find_digest_of_given_spelling(algorithm: str, form: str) -> None:
    data = ADDRESSES[1].encode("utf-8")  # The upper-case spelling, not lower-cased.
    if form == "hex":
        token, encoding = _hex_digest(algorithm, data), algorithm
    elif form == "base64url":
        digest = hashlib.new(algorithm, data).digest()
        token, encoding = (
            base64.urlsafe_b64encode(digest).decode().rstrip("="),
            f"{algorithm}-base64",
        )
    else:
        token = _hex_digest(algorithm, _hex_digest("md5", data).encode("ascii"))
        encoding = f"{algorithm}(md5)"
    matches = MATCHER.find(f"https://t.example.net/o?h={token}")
    assert first_match(matches, ADDRESSES[1], encoding) is not None


EMBEDDED_BASE64 = [
    pytest.param(address, prefix, url_safe, id=f"a{index}-prefix{prefix}-{'url' if url_safe else 'std'}")
    for index, address in enumerate(ADDRESSES)
    for prefix in (0, 1, 2, 3, 4, 5)
    for url_safe in (False, True)
]


@pytest.mark.parametrize(("address", "prefix", "url_safe"), EMBEDDED_BASE64)
def test_find_base64_inside_longer_value(address: str, prefix: int, url_safe: bool) -> None:
    rng = random.Random(prefix)
    value = rng.randbytes(prefix) + address.lower().encode() + rng.randbytes(7)
    encoder = base64.urlsafe_b64encode if url_safe else base64.b64encode
    url = f"https://t.example.net/q/x{encoder(value).decode()}/p"
    encodings = {match.encoding for match in MATCHER.find(url)}
    assert encodings & {"base64", "base64url"}


@pytest.mark.parametrize("address", ADDRESSES)
def test_find_base64_padding_in_matched(address: str) -> None:
    token = base64.b64encode(address.lower().encode()).decode()
    url = f"https://t.example.net/o?u={token}&x=1"
    match = first_match(MATCHER.find(url), address, "base64")
    assert match is not None
    assert match.matched == token


@pytest.mark.parametrize(
    ("url", "encoding"),
    [
        ("https://t.example.net/o?e=john.doe%2bnews%40example.com", "percent"),
        ("https://t.example.net/o?e=john.doe+news%40example.com", "percent"),
        ("https://t.example.net/o?e=JOHN.DOE%2BNEWS%40EXAMPLE.COM", "percent"),
        ("https://t.example.net/o?e=john.doe+news%2540example.com", "percent2"),
        ("https://t.example.net/o?e=%6a%6f%68%6e.doe+news@example.com", "percent"),
        ("https://t.example.net/o?e=john.doe%2Bnews@example.com", "percent"),
        ("https://t.example.net/o?e=JoHn.DoE+NeWs@ExAmPlE.CoM", "plain"),
        ("https://t.example.net/o?e=xxjohn.doe+news@example.comxx", "plain"),
    ],
)
def test_find_percent_variants(url: str, encoding: str) -> None:
    assert [match.encoding for match in MATCHER.find(url)] == [encoding]


def test_find_percent_matched_is_raw() -> None:
    url = "https://t.example.net/o?e=john.doe%252Bnews%2540example.com&x=1"
    assert MATCHER.find(url)[0].matched == "john.doe%252Bnews%2540example.com"


def test_find_plain_and_percent_both() -> None:
    url = "https://t.example.net/o?a=john.doe+news@example.com&b=john.doe%2Bnews%40example.com"
    assert [match.encoding for match in MATCHER.find(url)] == ["plain", "percent"]


def test_find_order_by_address_then_offset() -> None:
    alice = encode(ADDRESSES[1], "md5")
    john = encode(ADDRESSES[0], "sha1")
    url = f"https://t.example.net/{alice}?e=john.doe+news@example.com&h={john}"
    found = [(match.address, match.encoding) for match in MATCHER.find(url)]
    assert found == [
        ("john.doe+news@example.com", "plain"),
        ("john.doe+news@example.com", "sha1"),
        ("alice.smith@example.org", "md5"),
    ]


@pytest.mark.parametrize(
    ("prefix", "suffix"),
    [("cafe", "0001"), ("0", ""), ("", "beef"), ("ab" * 40, "cd" * 40)],
)
def test_find_hex_inside_longer_run(prefix: str, suffix: str) -> None:
    url = f"https://t.example.net/o?u={prefix}{encode(ADDRESSES[0], 'sha256')}{suffix}"
    assert first_match(MATCHER.find(url), ADDRESSES[0], "sha256") is not None


@pytest.mark.parametrize("case", ["lower", "upper"])
def test_find_hex_digest_case(case: str) -> None:
    token = encode(ADDRESSES[2], "sha384")
    token = token.upper() if case == "upper" else token.lower()
    assert first_match(MATCHER.find(f"https://t.example.net/{token}"), ADDRESSES[2], "sha384")


def _other_hashes() -> list[str]:
    other = b"jane.roe@example.com"
    return [_hex_digest(algorithm, other) for algorithm in HASH_ALGORITHMS] + [
        base64.b64encode(hashlib.new(algorithm, other).digest()).decode() for algorithm in HASH_ALGORITHMS
    ]


def _random_tokens() -> list[str]:
    rng = random.Random(20240601)
    tokens = []
    for size in (16, 20, 28, 32, 48, 64, 200):
        data = rng.randbytes(size)
        tokens += [
            data.hex(),
            base64.b64encode(data).decode(),
            base64.urlsafe_b64encode(data).decode(),
        ]
    return tokens


NEGATIVE_URLS = [
    "https://t.example.net/o?e=jane.doe%40example.com",
    "https://t.example.net/o?e=john.doe@example.com",
    "https://t.example.net/o?e=john.doe+other@example.com",
    "https://t.example.net/o?e=john.doe+news@example.net",
    "https://t.example.net/o?e=john.doe+news%40example.net",
    "https://t.example.net/o?e=john.doe+news%2540example.net",
    "https://t.example.net/o?e=alice.smith@example.or",
    "https://t.example.net/o?e=alice.smith@other.example",
    "https://t.example.net/u/alice.smithson/",
    "https://t.example.net/u/xbob_1987~/",
    "https://t.example.net/u/john.doe/alice/bob/",
    "https://example.com/newsletter?d=example.org",
    "https://mail.eu-west.corporate-intranet.example-holdings.co.uk/login?next=/",
    f"https://t.example.net/o?u={base64.b64encode(b'jane.doe+news@example.com').decode()}",
    f"https://t.example.net/o?u={b'alice.smith@example.net'.hex()}",
    "",
    "%",
    "%%%%2540%25%2",
    "not a url at all",
    "https://t.example.net/" + "%25" * 500,
    *(f"https://t.example.net/o/{token}?h={token}" for token in _other_hashes()),
    *(f"https://t.example.net/o/{token}?h={token}" for token in _random_tokens()),
]


@pytest.mark.parametrize("url", NEGATIVE_URLS)
def test_find_negative(url: str) -> None:
    assert MATCHER.find(url) == ()


LOCAL_PART_CASES = [
    ("jdoe12@example.com", "https://t.example.net/u/jdoe12/", True),
    ("johnsmith@example.com", "https://t.example.net/u/johnsmith/", True),
    ("12345678@example.com", "https://t.example.net/u?id=12345678", True),
    ("john.doe@example.com", "https://t.example.net/u?id=JOHN.DOE&x", True),
    ("john.doe@example.com", "https://t.example.net/u#john.doe", True),
    ("john.doe@example.com", "john.doe", True),
    ("johnny@example.com", "https://t.example.net/u/johnny/", False),
    ("1234567@example.com", "https://t.example.net/u?id=1234567", False),
    ("jo.do@example.com", "https://t.example.net/u/jo.do/", False),
    ("support@example.com", "https://t.example.net/support/", False),
    ("newsletter@example.com", "https://t.example.net/newsletter/", False),
    ("noreply@example.com", "https://t.example.net/noreply/", False),
    ("john.doe@example.com", "https://t.example.net/u/xjohn.doe/", False),
    ("john.doe@example.com", "https://t.example.net/u/john.doe1/", False),
    ("john.doe@example.com", "https://t.example.net/u?e=john.doe@other.example", False),
    ("john.doe@example.com", "https://t.example.net/u?e=john.doe%40other.example", False),
    ("john.doe@example.com", "https://t.example.net/u?e=john.doe%2540other.example", False),
]


@pytest.mark.parametrize(("address", "url", "expected"), LOCAL_PART_CASES)
def test_find_local_part(address: str, url: str, expected: bool) -> None:
    found = first_match(AddressMatcher([address]).find(url), address, "local-part") is not None
    assert found is expected


@pytest.mark.parametrize(
    ("url", "encoding"),
    [
        ("https://t.example.net/o?e=jürgen.müller@example.de", "plain"),
        ("https://t.example.net/o?e=j%C3%BCrgen.m%C3%BCller%40example.de", "percent"),
        ("https://t.example.net/o?e=J%C3%BCrgen.M%C3%BCller%2540example.de", "percent2"),
        (f"https://t.example.net/o/{'jürgen.müller@example.de'.encode().hex()}", "hex"),
    ],
)
def test_find_non_ascii_address(url: str, encoding: str) -> None:
    matcher = AddressMatcher(["Jürgen.Müller@example.de"])
    assert encoding in {match.encoding for match in matcher.find(url)}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([" John.Doe@Example.COM\n"], ("john.doe@example.com",)),
        (["a@b.example", "A@B.EXAMPLE"], ("a@b.example",)),
        (["", "   ", "no-at-sign", "@example.com", "user@"], ()),
        (["a b@example.com", "tab\t@example.com", "nul\x00@example.com"], ()),
        ([None, 42, b"x@example.com"], ()),
        (["x" * 250 + "@example.com"], ()),
        (["b@example.com", "invalid", "a@example.com"], ("b@example.com", "a@example.com")),
    ],
)
def test_matcher_addresses(items: list[object], expected: tuple[str, ...]) -> None:
    assert AddressMatcher(items).addresses == expected  # type: ignore[arg-type]


def test_matcher_caps_addresses() -> None:
    matcher = AddressMatcher(f"user{index}@example.com" for index in range(MAX_ADDRESSES + 10))
    assert len(matcher.addresses) == MAX_ADDRESSES


def test_matcher_not_iterable() -> None:
    assert AddressMatcher(None).addresses == ()  # type: ignore[arg-type]


def test_matcher_without_addresses() -> None:
    assert AddressMatcher([]).find("https://t.example.net/o?e=john.doe@example.com") == ()


def test_matcher_many_addresses_finds_last() -> None:
    addresses = [f"user.number{index}@example.com" for index in range(MAX_ADDRESSES)]
    url = f"https://t.example.net/o?h={_hex_digest('sha256', addresses[-1].encode())}"
    assert AddressMatcher(addresses).find(url)[0].address == addresses[-1]


@pytest.mark.parametrize("url", [None, 42, b"https://t.example.net/?e=john.doe+news@example.com"])
def test_find_non_string(url: object) -> None:
    assert MATCHER.find(url) == ()  # type: ignore[arg-type]


def test_find_matched_truncated() -> None:
    address = "a" * 64 + "@" + "very-long-label." * 11 + "example"
    match = AddressMatcher([address]).find(f"https://t.example.net/o?e={address}")[0]
    assert len(match.matched) == MAX_MATCHED_LENGTH


@pytest.mark.parametrize(("padding", "found"), [(MAX_URL_LENGTH - 100, True), (MAX_URL_LENGTH, False)])
def test_find_url_length_cap(padding: int, found: bool) -> None:
    url = "https://t.example.net/" + "a" * padding + "?e=john.doe+news@example.com"
    assert bool(MATCHER.find(url)) is found


URL_PIECES = [
    "https://",
    "//",
    "t.example.net",
    "/",
    "?",
    "#",
    "&e=",
    "%",
    "%25",
    "%40",
    "%2540",
    "%2B",
    "=",
    "john.doe+news",
    "@example.com",
    "alice.smith",
    "bob_1987~",
    encode(ADDRESSES[0], "base64")[:20],
    encode(ADDRESSES[0], "base64")[20:],
    encode(ADDRESSES[1], "md5")[:16],
    encode(ADDRESSES[1], "md5")[16:],
    "cafe",
    "\u0130",
]
url_like = st.lists(st.sampled_from(URL_PIECES) | st.text(max_size=8), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400) | url_like)
def test_find_never_raises(url: str) -> None:
    assert isinstance(MATCHER.find(url), tuple)


@settings(max_examples=300, deadline=None)
@given(url_like)
def test_find_deterministic(url: str) -> None:
    assert MATCHER.find(url) == AddressMatcher(ADDRESSES).find(url)


@settings(max_examples=300, deadline=None)
@given(url_like)
def test_find_matched_inside_url(url: str) -> None:
    for match in MATCHER.find(url):
        assert match.matched in url


def test_hex_needles_built_on_first_hex_run() -> None:
    # Digests are costly, so a matcher computes its hex forms only when a URL could hold one.
    matcher = AddressMatcher(["jane.doe@example.com"])
    assert matcher.find("https://t.example.net/o?u=plain-token") == ()
    assert matcher._hex is None
    digest = hashlib.sha256(b"jane.doe@example.com").hexdigest()
    assert [leak.encoding for leak in matcher.find(f"https://t.example.net/o?h={digest}")] == ["sha256"]
    assert matcher._hex is not None


def test_hex_of_short_address_found() -> None:
    # An address shorter than 16 bytes has a hex form shorter than any digest.
    matcher = AddressMatcher(["a@b.co"])
    assert [leak.encoding for leak in matcher.find("https://t.example.net/o?x=6140622e636f")] == ["hex"]


def test_hex_probe_uses_lowered_spelling() -> None:
    # KELVIN SIGN lowers to "k" in one byte, so the lowered spelling's hex form is shorter.
    matcher = AddressMatcher(["\u212aate@b.io"])
    assert [leak.encoding for leak in matcher.find("https://t.example.net/o?x=6b61746540622e696f")] == ["hex"]


def _matrix_urls() -> list[str]:
    return [
        template.format(token=encode(address, encoding))
        for address in ADDRESSES
        for encoding in ENCODINGS
        for template, _position in POSITIONS.values()
    ]


def test_clear_of_keeps_matching_urls() -> None:
    urls = [*_matrix_urls(), *NEGATIVE_URLS]
    clear = MATCHER.clear_of(urls)
    assert clear <= set(urls)
    assert [url for url in clear if MATCHER.find(url)] == []
    # Each matrix URL contains a form of an address, so none of them may be cleared.
    assert clear.isdisjoint(_matrix_urls())


def test_clear_of_clears_all_without_forms() -> None:
    urls = [
        "https://www.example.com/products/shoes?utm_source=news&utm_medium=email",
        "https://click.example.net/ls/click?upn=u001.Zm9vYmFyYmF6cXV4&c=%2Fhome",
        "https://img.example.net/logo.png",
        "https://t.example.net/o/0123456789ab",
    ]
    assert MATCHER.clear_of(urls) == frozenset(urls)


def test_clear_of_leaves_only_suspect_urls_to_find() -> None:
    digest = encode(ADDRESSES[0], "sha256")
    plain = "https://www.example.com/products/shoes"
    escaped = "https://www.example.com/search?q=caf%C3%A9"
    hashed = f"https://t.example.net/o?h={digest}"
    named = f"https://t.example.net/o?e={ADDRESSES[1]}"
    assert MATCHER.clear_of([plain, escaped, hashed, named]) == {plain}


@pytest.mark.parametrize("urls", [[], [None, 42, ""], ["https://t.example.net/o?e=john.doe+news@example.com"]])
def test_clear_of_without_addresses_or_urls(urls: list[object]) -> None:
    assert AddressMatcher([]).clear_of(urls) == {url for url in urls if isinstance(url, str) and url}  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.lists(url_like, max_size=6))
def test_clear_of_agrees_with_find(urls: list[str]) -> None:
    for url in MATCHER.clear_of(urls):
        assert MATCHER.find(url) == ()


def test_every_listed_algorithm_has_a_constructor() -> None:
    assert set(_HASHES) == set(HASH_ALGORITHMS)


def test_clear_of_in_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Long URL lists are screened in batches, which bounds memory. A smaller batch may clear
    # more URLs, never one with a match.
    urls = [*_matrix_urls(), *NEGATIVE_URLS, "https://www.example.com/products/shoes"]
    monkeypatch.setattr(leaks_module, "_SCREEN_BATCH_CHARS", 100)
    clear = MATCHER.clear_of(urls)
    assert [url for url in clear if MATCHER.find(url)] == []
    assert clear.isdisjoint(_matrix_urls())
    assert "https://www.example.com/products/shoes" in clear


def test_clear_of_growing_lowercase_batch() -> None:
    # "\u0130" lowers to two characters, so the join is folded one character at a time, and
    # a final capital sigma then folds differently from the URL alone.
    matcher = AddressMatcher(["\u039d\u0399\u039a\u039f\u03a3@example.gr"])
    leaking = "https://t.example.com/o?u=\u039d\u0399\u039a\u039f\u03a3@example.gr"
    assert matcher.find(leaking) != ()
    assert leaking not in matcher.clear_of([leaking, "https://x.example.com/\u0130stanbul"])


def _leak_message(to: str, sender: str, href: str) -> str:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Digest\r\nContent-Type: text/html\r\n\r\n"
        f'<p>Read more: <a href="{href}">here</a></p>'
    )


@pytest.mark.parametrize(
    ("to", "sender", "href"),
    [
        pytest.param(
            "python-tools@lists.example.org",
            "python-tools-request@lists.example.org",
            "https://lists.example.org/mailman/listinfo/python-tools",
            id="list-page-on-list-domain",
        ),
        pytest.param(
            "gitcoin.com@noreply.github.com",
            "Notifier <notifications@github.com>",
            "https://github.com/mail-notifier/gitcoin.com/issues/145",
            id="repository-on-parent-domain",
        ),
        pytest.param(
            "ann.lee@example.org",
            "harborline@e.harborline.example",
            "https://www.harborline.example/women",
            id="sender-name-in-host",
        ),
        pytest.param(
            "ann.lee@example.org",
            "platformer@mail.example.com",
            "https://platformer.blogs.example/p/weekly",
            id="sender-name-as-subdomain",
        ),
    ],
)
def test_local_part_naming_own_account_not_leak(to: str, sender: str, href: str) -> None:
    report = detect(_leak_message(to, sender, href))
    assert [finding.kind.value for finding in report.findings if finding.kind.value == "recipient_leak"] == []
    assert not report.tracked


@pytest.mark.parametrize(
    ("to", "href", "position"),
    [
        pytest.param(
            "johnsmith1987@example.org",
            "https://click.tracker.example/u/johnsmith1987/x",
            "path",
            id="third-party-path",
        ),
        pytest.param(
            "johnsmith1987@example.org",
            "https://johnsmith1987.tracker.example/o?u=1",
            "host",
            id="recipient-name-as-subdomain",
        ),
        pytest.param(
            "johnsmith1987@example.org",
            "https://www.example.org/account?user=johnsmith1987@example.org",
            "query",
            id="whole-address-on-own-site",
        ),
    ],
)
def test_local_part_leak_elsewhere_still_found(to: str, href: str, position: str) -> None:
    report = detect(_leak_message(to, "news@shop.example.com", href))
    leaks = [finding for finding in report.findings if finding.kind.value == "recipient_leak"]
    assert [(finding.url, finding.leak.position) for finding in leaks if finding.leak] == [(href, position)]


@pytest.mark.parametrize(
    ("to", "src"),
    [
        pytest.param("ann.lee@corp.example.com", "https://img.corp.example.com/o/ann.lee.gif", id="own-domain-image"),
        pytest.param("johnsmith1987@example.org", "https://johnsmith1987.trk.example.net/o.gif", id="host-image"),
    ],
)
def test_local_part_in_image_still_found(to: str, src: str) -> None:
    # An image loads on opening, so a local part in it shows the host who opened, on any site.
    report = detect(
        _leak_message(to, "news@shop.example.com", "https://shop.example.com/").replace(
            "<p>Read more", f'<img src="{src}" width="1" height="1"><p>Read more'
        )
    )
    assert [(f.kind.value, f.url) for f in report.findings if f.kind.value == "recipient_leak"] == [
        ("recipient_leak", src)
    ]


def test_list_posting_address_not_the_reader() -> None:
    # List mail is addressed to the list: its name in the group's links is not the reader's.
    raw = (
        "From: Bram <bram.jansen@example.net>\r\nTo: pgbridge-users@groups.example.com\r\n"
        "Delivered-To: felipe.duarte@example.org\r\n"
        "List-Post: <https://groups.example.com/group/pgbridge-users/post>, <mailto:pgbridge-users@groups.example.com>\r\n"
        "Content-Type: text/html\r\n\r\n"
        '<a href="https://groups.example.net/d/msgid/pgbridge-users/7f3a9c2e41d8%40example.net">view</a>'
    )
    report = detect(raw)
    assert report.recipients == ("felipe.duarte@example.org",)
    assert [f.kind.value for f in report.findings if f.is_tracking] == []


def test_list_posting_address_kept_in_delivered_to() -> None:
    # Delivered-To names the reader even when it equals a List-Post address.
    raw = (
        "From: news@example.com\r\nTo: ann.lee@example.org\r\nDelivered-To: ann.lee@example.org\r\n"
        "List-Post: <mailto:ann.lee@example.org>\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>"
    )
    assert detect(raw).recipients == ("ann.lee@example.org",)


@pytest.mark.parametrize(
    ("text", "href"),
    [
        pytest.param("Yes", "https://calendar.example.com/event?action=RESPOND&who=ann.lee%40example.org", id="rsvp"),
        pytest.param(
            "block the sender",
            "https://drive.example.com/blockuser?blockerEmail=ann.lee@example.org&blockee=x",
            id="block-sender",
        ),
        pytest.param(
            "Reset your password",
            "https://cloud.example.net/lostpassword/reset/form/Zk3vW8qN1rT5yB0xM7cL/ann.lee",
            id="password-reset",
        ),
    ],
)
def test_action_link_leak_is_possible_only(text: str, href: str) -> None:
    # Such a link acts for the reader, so it names the reader: link and leak are possible tracking.
    report = detect(_leak_message("ann.lee@example.org", "notify@example.com", href).replace(">here<", f">{text}<"))
    assert sorted((f.kind.value, f.confidence.value) for f in report.findings if f.url == href) == [
        ("recipient_leak", "low"),
        ("tracked_link", "low"),
    ]
    assert not report.tracked


@pytest.mark.parametrize(
    "text",
    ["Confirm your subscription to 50% off", "Verify your account", "Yes, show me the sale"],
)
def test_action_words_inside_longer_text_still_tracked(text: str) -> None:
    # Only a link whose whole text is the action counts: the sender writes link text.
    href = "https://go.shop-mail.example.net/c/8f3a91d0c2b7e5f4a1b2?e=ann.lee%40example.org"
    report = detect(_leak_message("ann.lee@example.org", "news@example.com", href).replace(">here<", f">{text}<"))
    assert report.tracked
    assert ("recipient_leak", "high") in [(f.kind.value, f.confidence.value) for f in report.findings]


def test_leak_in_tracked_unsubscribe_redirect_stays_high() -> None:
    # The link is a vendor's click redirect, so its address is part of the tracking.
    href = "https://tallyhome.us14.list-manage.com/track/click?u=3f8b1c9d2e&id=5c4b3a2d1e&e=ann.lee%40example.org"
    report = detect(_leak_message("ann.lee@example.org", "news@example.com", href).replace(">here<", ">Unsubscribe<"))
    assert ("recipient_leak", "high") in [(f.kind.value, f.confidence.value) for f in report.findings if f.url == href]


def test_message_id_in_archive_link_not_leak() -> None:
    href = "https://lore.example.org/r/20240317101538.2841-1-m.schulte@example.de"
    raw = _leak_message("ann.lee@example.org", "m.schulte@example.de", href)
    assert [f.kind.value for f in detect(raw).findings if f.url == href] == []


def test_message_id_form_elsewhere_in_url_still_leak() -> None:
    # The same address outside the Message-ID form, or not ending a path segment, is a leak.
    href = "https://click.example.net/c/20240317101538.2841-1-ann.lee@example.org?to=ann.lee@example.org"
    raw = _leak_message("ann.lee@example.org", "news@example.com", href)
    assert ("recipient_leak", href) in [(f.kind.value, f.url) for f in detect(raw).findings]


def test_message_id_with_address_in_image_still_leak() -> None:
    src = "https://t.example.net/o/20240317101538.2841-1-ann.lee@example.org/p.gif"
    raw = _leak_message("ann.lee@example.org", "news@example.com", "https://shop.example.com/").replace(
        "<p>Read more", f'<img src="{src}" width="1" height="1"><p>Read more'
    )
    assert ("recipient_leak", src) in [(f.kind.value, f.url) for f in detect(raw).findings]


def test_address_glued_to_token_still_leak() -> None:
    # Only git send-email's timestamp form counts as a Message-ID. A kit's token before the address does not.
    href = "http://kit.example.net/4NrzSh38026DYHi793kjxazjxxyl14302TIWHVHNOPBFENGC2ZVVY3ann.lee@example.org"
    raw = _leak_message("ann.lee@example.org", "news@example.com", href)
    assert ("recipient_leak", href) in [(f.kind.value, f.url) for f in detect(raw).findings]
