"""Tests for the CSS reader: URL references, events, hidden selectors and box facts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackdetect._css import (
    MAX_REFERENCES,
    MAX_STYLESHEET_CHARS,
    BoxFacts,
    CssReference,
    StylesheetInfo,
    box_facts,
    may_contain_reference,
    read_stylesheet,
    references_in_style_attribute,
    relevant_stylesheet,
)


def urls(css: str) -> list[str]:
    return [reference.url for reference in read_stylesheet(css).references]


def only_reference(css: str) -> CssReference:
    references = read_stylesheet(css).references
    assert len(references) == 1, references
    return references[0]


# --- may_contain_reference ---------------------------------------------------------------


@pytest.mark.parametrize(
    "css",
    [
        "background:url(x.png)",
        "BACKGROUND:URL(x.png)",
        "background-image:-webkit-image-set('a.png' 1x)",
        '@IMPORT "a.css";',
        r"background:\75 rl(x.png)",
    ],
)
def test_gate_positive(css: str) -> None:
    assert may_contain_reference(css)


@pytest.mark.parametrize(
    "css",
    ["", "display:block;width:100%", "color:rgb(0,0,0)", "a{b:c} @media print{}", "urlx: y"],
)
def test_gate_negative(css: str) -> None:
    assert not may_contain_reference(css)


# --- URL vectors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected_url", "expected_property"),
    [
        ("a{background:url(http://t.example/p.gif)}", "http://t.example/p.gif", "background"),
        (
            'a{background-image:url( "http://t.example/q" )}',
            "http://t.example/q",
            "background-image",
        ),
        ("a{background-image:url('  spaced.png  ')}", "spaced.png", "background-image"),
        ("li{list-style-image:url(dot.png)}", "dot.png", "list-style-image"),
        ("a{border-image:url(b.png) 30 round}", "b.png", "border-image"),
        ("a{cursor:url(c.cur), auto}", "c.cur", "cursor"),
        ("a::after{content:url(after.png)}", "after.png", "content"),
        ("a{mask-image:url(m.svg)}", "m.svg", "mask-image"),
        ("a{BACKGROUND:URL(upper.png)}", "upper.png", "background"),
        ("a{background:linear-gradient(red,blue),url(layer.png)}", "layer.png", "background"),
        ("a{background:var(--missing, url(fallback.png))}", "fallback.png", "background"),
        ("a{--track:url(custom.png)}", "custom.png", "--track"),
    ],
)
def test_url_positive(css: str, expected_url: str, expected_property: str) -> None:
    reference = only_reference(css)
    assert reference.url == expected_url
    assert reference.property == expected_property


@pytest.mark.parametrize(
    "css",
    [
        "a{background:red}",
        "a{content:'url(not-a-url.png)'}",
        "/* a{background:url(comment.png)} */",
        "a{background:url()}",
        "a{background:url('')}",
        "a{font-family:'image-set'}",
        "@namespace svg url(http://www.w3.org/2000/svg);",
        "@-moz-document url(http://only-a-condition.example/) { }",
        "@unknown-rule { a { background:url(dropped.png) } }",
        "a{background:url(bad url.png)}",
    ],
)
def test_url_negative(css: str) -> None:
    assert urls(css) == []


def test_url_selector_serialized() -> None:
    assert only_reference("  td.hero  >  a  {background:url(x)}").selector == "td.hero  >  a"


def test_url_order_preserved() -> None:
    assert urls("a{background:url(1),url(2)} b{background:url(3)}") == ["1", "2", "3"]


def test_bad_url_is_defect() -> None:
    defects = read_stylesheet("a{background:url(bad url.png)}").defects
    assert any("bad-url" in defect for defect in defects)


# --- Escapes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected_url"),
    [
        (r"a{background:\75 rl(http://t.example/a)}", "http://t.example/a"),
        (r"a{background:u\72l(http://t.example/b)}", "http://t.example/b"),
        (r"a{background:\55\52\4c(http://t.example/c)}", "http://t.example/c"),
        (r"a{background:url(http://t.example/\64 .gif)}", "http://t.example/d.gif"),
        (r"a{background:url('http://t.example/\65 .gif')}", "http://t.example/e.gif"),
        (r"a{background:\75 rl('http://t.example/f')}", "http://t.example/f"),
        (r"a{b\61 ckground:url(g)}", "g"),
    ],
)
def test_escape_decoded(css: str, expected_url: str) -> None:
    assert urls(css) == [expected_url]


def test_escaped_property_name() -> None:
    assert only_reference(r"a{b\61 ckground:url(g)}").property == "background"


@pytest.mark.parametrize("css", [r"a{background:\75 rl(x)}", r"a{background:u\72l(x)}", r"a{b:url(\78)}"])
def test_escape_passes_gate(css: str) -> None:
    assert may_contain_reference(css)


# --- image-set ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected_urls"),
    [
        ("a{background-image:image-set(url(a.png) 1x, url(b.png) 2x)}", ["a.png", "b.png"]),
        ("a{background-image:-webkit-image-set('a.png' 1x, \"b.png\" 2x)}", ["a.png", "b.png"]),
        (
            'a{background-image:image-set("data:image/png;base64,AA,BB" 1x, url(c.png) 2x)}',
            ["data:image/png;base64,AA,BB", "c.png"],
        ),
        (
            "a{background-image:image-set(url(data:image/gif;base64,R0,lG) 1x)}",
            ["data:image/gif;base64,R0,lG"],
        ),
        (
            'a{background-image:image-set("a.avif" type("image/avif"), "a.png")}',
            ["a.avif", "a.png"],
        ),
    ],
)
def test_image_set_urls(css: str, expected_urls: list[str]) -> None:
    assert urls(css) == expected_urls


def test_image_set_flag_set() -> None:
    assert only_reference("a{background:image-set('a.png' 1x)}").image_set


def test_image_set_flag_unset() -> None:
    assert not only_reference("a{background:url(a.png)}").image_set


def test_bare_string_outside_image_set() -> None:
    assert urls("a{background:linear-gradient('x.png')}") == []


# --- @import and @font-face --------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected_url"),
    [
        ('@import "string.css";', "string.css"),
        ("@import url(bare.css);", "bare.css"),
        ('@import url("quoted.css") screen;', "quoted.css"),
        ("@import 'layered.css' layer(base) supports(display:grid);", "layered.css"),
    ],
)
def test_import_positive(css: str, expected_url: str) -> None:
    reference = only_reference(css)
    assert reference.url == expected_url
    assert reference.property == "@import"


@pytest.mark.parametrize("css", ["@import ;", "@import foo;", "a{b:c}"])
def test_import_negative(css: str) -> None:
    assert urls(css) == []


@pytest.mark.parametrize(
    ("css", "expected_event"),
    [
        ("@import url(p.css) print;", "print"),
        ('@import "p.css" layer(x) print;', "print"),
        ("@import url(s.css) screen;", None),
        ("@import url(a.css) print, screen;", None),
        ("@import url(a.css);", None),
    ],
)
def test_import_event(css: str, expected_event: str | None) -> None:
    assert only_reference(css).event == expected_event


def test_font_face_sources() -> None:
    css = "@font-face{font-family:X;src:local(X),url(x.woff2) format('woff2'),url('x.woff')}"
    assert urls(css) == ["x.woff2", "x.woff"]


def test_font_face_property() -> None:
    assert {r.property for r in read_stylesheet("@font-face{src:url(a.woff)}").references} == {"@font-face"}


def test_font_face_local_only() -> None:
    assert urls("@font-face{font-family:X;src:local('Arial')}") == []


# --- Custom properties -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected_property"),
    [
        (":root{--bg:url(bg.png)}", "--bg"),
        (":root{--Hero-Image: url(bg.png)}", "--Hero-Image"),
        (":root{--set: image-set('bg.png' 1x)}", "--set"),
    ],
)
def test_custom_property_reported(css: str, expected_property: str) -> None:
    assert only_reference(css).property == expected_property


def test_custom_property_without_url() -> None:
    assert urls(":root{--color:#fff; --text:'url'}") == []


# --- Events: print -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "css",
    [
        "@media print{#t{background:url(p)}}",
        "@media only print{#t{background:url(p)}}",
        "@media PRINT and (orientation:portrait){#t{background:url(p)}}",
        "@media not screen{#t{background:url(p)}}",
        "@supports (display:block){@media print{#t{background:url(p)}}}",
        "@media print{@media screen{#t{background:url(p)}}}",
        "@media print{blockquote #t{background:url(p)}}",
        "@page{background:url(p)}",
    ],
)
def test_print_event_positive(css: str) -> None:
    assert only_reference(css).event == "print"


@pytest.mark.parametrize(
    "css",
    [
        "@media screen{#t{background:url(p)}}",
        "@media all{#t{background:url(p)}}",
        "@media (max-width:600px){#t{background:url(p)}}",
        "@media print, screen{#t{background:url(p)}}",
        "@media not print{#t{background:url(p)}}",
        "@media {#t{background:url(p)}}",
        "@supports (display:grid){#t{background:url(p)}}",
        "@layer base{#t{background:url(p)}}",
        "@container (min-width:400px){#t{background:url(p)}}",
        "@-moz-document url-prefix(){#t{background:url(p)}}",
        "@document url-prefix(){#t{background:url(p)}}",
    ],
)
def test_print_event_negative(css: str) -> None:
    assert only_reference(css).event is None


# --- Events: forward ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "selector",
    [
        "blockquote #t",
        "BLOCKQUOTE .x",
        "blockquote[type=cite] #t",
        "[type=cite] #t",
        ".gmail_quote #t",
        "div.gmail_quote #t",
        "#divRplyFwdMsg",
        "#DIVRPLYFWDMSG ~ div #t",
        "#appendonsend + div #t",
        "div.OutlookMessageHeader",
        "#OLK_SRC_BODY_SECTION #t",
        ".yahoo_quoted #t",
        ".moz-cite-prefix",
        ".moz-forward-container #t",
        "table.moz-email-headers-table",
        "#MailContainerBody #t",
        "#x_divRplyFwdMsg #t",
        "[class~=gmail_quote] #t",
        "div.OutlookMessageHeader, table.moz-email-headers-table, blockquote #t",
        ":is(blockquote, .gmail_quote) #t",
    ],
)
def test_forward_event_positive(selector: str) -> None:
    assert only_reference(selector + "{background-image:url(f)}").event == "forward"


@pytest.mark.parametrize(
    "selector",
    [
        "#t",
        "div.quote #t",
        "blockquote-like #t",
        ".gmail_quoted_text #t",
        "a, blockquote #t",
        "div:not(blockquote) #t",
        "[title=blockquote] #t",
        ":is(blockquote, div) #t",
    ],
)
def test_forward_event_negative(selector: str) -> None:
    assert only_reference(selector + "{background-image:url(f)}").event is None


def test_print_beats_forward() -> None:
    assert only_reference("@media print{blockquote #t{background:url(p)}}").event == "print"


def test_forward_beats_hover() -> None:
    assert only_reference("blockquote a:hover{background:url(p)}").event == "forward"


def test_nested_rule_keeps_forward() -> None:
    css = "blockquote { .t { background:url(p) } }"
    assert only_reference(css).event == "forward"


# --- Events: hover -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "selector",
    [
        "a:hover",
        "a:HOVER",
        "a:active",
        "input:focus",
        "div:focus-within",
        "#box:checked + .x",
        "a:hover, a:focus",
        "td:is(:hover) span",
    ],
)
def test_hover_event_positive(selector: str) -> None:
    assert only_reference(selector + "{background-image:url(h)}").event == "hover"


@pytest.mark.parametrize(
    "selector",
    ["a", "a:visited", "a:first-child", "a:hover, a", "a:not(:hover)", "p::first-line", ".hover"],
)
def test_hover_event_negative(selector: str) -> None:
    assert only_reference(selector + "{background-image:url(h)}").event is None


# --- Style attributes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "expected_urls"),
    [
        ("background:url(a.png)", ["a.png"]),
        ("background-image:url('b.png');width:1px", ["b.png"]),
        ("background:url(a.png); --x:url(c.png)", ["a.png", "c.png"]),
        (r"background:\75 rl(d.png)", ["d.png"]),
        ("background-image:image-set('e.png' 1x)", ["e.png"]),
        ("background:url(data:image/png;base64,AA==)", ["data:image/png;base64,AA=="]),
    ],
)
def test_style_attribute_positive(style: str, expected_urls: list[str]) -> None:
    assert [r.url for r in references_in_style_attribute(style)] == expected_urls


@pytest.mark.parametrize(
    "style",
    ["", "color:red", "font-family:'url(x)'", "/* url(x) */ color:red", "a{background:url(x)}"],
)
def test_style_attribute_negative(style: str) -> None:
    assert references_in_style_attribute(style) == ()


def test_style_attribute_no_selector() -> None:
    assert references_in_style_attribute("background:url(a)")[0].selector is None


def test_style_attribute_no_event() -> None:
    assert references_in_style_attribute("background:url(a)")[0].event is None


# --- Hidden classes and ids --------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (".x{display:none}", "x"),
        ("img.x{visibility:hidden}", "x"),
        ("*.x{max-height:0;overflow:hidden}", "x"),
        (".y, .x{display:none}", "x"),
        (".x{display:none !important} .x{display:block}", "x"),
        ("@media screen{.x{display:none}}", "x"),
        ("@media (min-width:601px){.x{display:none}}", "x"),
        ("@supports (display:block){.x{display:none}}", "x"),
        (".CaseKept{display:none}", "CaseKept"),
    ],
)
def test_hidden_class_positive(css: str, expected: str) -> None:
    assert expected in read_stylesheet(css).hidden_classes


@pytest.mark.parametrize(
    "css",
    [
        ".x{display:block}",
        ".x{font-size:0}",
        ".x{display:none} .x{display:block}",
        ".x .y{display:none}",
        ".x.y{display:none}",
        ".x:hover{display:none}",
        ".x[title]{display:none}",
        "[data-ogsc] .x{display:none}",
        "blockquote .x{display:none}",
        "@media print{.x{display:none}}",
        "@media (max-width:600px){.x{display:none}}",
        "@media screen and (max-device-width:480px){.x{display:none}}",
        "@media (width < 600px){.x{display:none}}",
        "@media (prefers-color-scheme:dark){.x{display:none}}",
        ".a{.x{display:none}}",
    ],
)
def test_hidden_class_negative(css: str) -> None:
    assert "x" not in read_stylesheet(css).hidden_classes


@pytest.mark.parametrize(
    ("css", "expected"),
    [("#p{display:none}", "p"), ("img#p{opacity:0}", "p")],
)
def test_hidden_id_positive(css: str, expected: str) -> None:
    assert expected in read_stylesheet(css).hidden_ids


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        pytest.param(".a .x{opacity:0}", (".a .x", "class", "x"), id="descendant"),
        pytest.param(".a > .x{mso-hide:all}", (".a > .x", "class", "x"), id="child"),
        pytest.param("div #p{visibility:hidden}", ("div #p", "id", "p"), id="id-descendant"),
        pytest.param("h1 + .x{display:none}", ("h1 + .x", "class", "x"), id="sibling"),
    ],
)
def test_hidden_selector_scoped(css: str, expected: tuple[str, str, str]) -> None:
    # Only the document can tell which elements a rule with a context hides.
    info = read_stylesheet(css)
    assert [(rule.selector, rule.kind, rule.name) for rule in info.hidden_selectors] == [expected]
    assert expected[2] not in info.hidden_classes | info.hidden_ids


@pytest.mark.parametrize(
    "css",
    [
        pytest.param(".x{display:none} .a .x{display:none}", id="plain-rule-first"),
        pytest.param(".a .x{display:none} .x{display:none}", id="plain-rule-later"),
    ],
)
def test_plain_rule_hides_every_element(css: str) -> None:
    info = read_stylesheet(css)
    assert "x" in info.hidden_classes
    assert info.hidden_selectors == ()


@pytest.mark.parametrize(
    ("css", "selectors"),
    [
        pytest.param(".x{display:block} .a .x{display:none}", (".a .x",), id="plain-shows-scoped-hides"),
        pytest.param(".a .x{display:none} .x{color:red}", (".a .x",), id="plain-rule-without-hiding"),
        pytest.param(".a .x{display:none} .b .x{display:block}", (".a .x",), id="other-context-shows"),
        pytest.param(".a .x{display:none} .b .x{display:block} .c .x{display:none}", (".a .x", ".c .x"), id="three"),
        pytest.param(".a .x{display:none} .a .x{display:block}", (), id="same-context-shows-again"),
    ],
)
def test_scoped_rules_cascade_apart(css: str, selectors: tuple[str, ...]) -> None:
    # Each context has its own cascade, so a rule for another context neither hides nor shows it.
    info = read_stylesheet(css)
    assert tuple(rule.selector for rule in info.hidden_selectors) == selectors
    assert "x" not in info.hidden_classes


@pytest.mark.parametrize("css", ["#p{display:block}", "#p:hover{display:none}", "#p.x{display:none}", "#p{color:red}"])
def test_hidden_id_negative(css: str) -> None:
    assert "p" not in read_stylesheet(css).hidden_ids


# --- box_facts: hiding reasons -----------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("display:none", "display:none"),
        ("DISPLAY : NONE", "display:none"),
        ("display:none !important;display:block", "display:none"),
        ("display:block;display:none", "display:none"),
        ("visibility:hidden", "visibility:hidden"),
        ("visibility:collapse", "visibility:collapse"),
        ("opacity:0", "opacity:0"),
        ("opacity:0.0", "opacity:0"),
        ("opacity:0%", "opacity:0"),
        ("mso-hide:all", "mso-hide:all"),
        ("position:absolute;left:-9999px", "off-screen"),
        ("position:fixed;top:-999px", "off-screen"),
        ("position:absolute;left:-1000em", "off-screen"),
        ("text-indent:-9999px", "off-screen"),
        ("max-height:0", "max-height:0"),
        ("max-height:0px;overflow:hidden", "max-height:0"),
        ("position:absolute;clip:rect(0 0 0 0)", "clip"),
        ("position:absolute;clip:rect(1px,1px,1px,1px)", "clip"),
        ("clip-path:inset(50%)", "clip"),
        ("/* c */ display:none", "display:none"),
        ("font-family:'A;B';display:none", "display:none"),
        (r"display:n\6f ne", "display:none"),
    ],
)
def test_hidden_reason_positive(style: str, expected: str) -> None:
    assert box_facts(style).hidden == expected


@pytest.mark.parametrize(
    "style",
    [
        "",
        "display:block",
        "display:none;display:block",
        "display:block !important;display:none",
        "font-size:0",
        "font-size:0;line-height:0",
        "opacity:0.5",
        "visibility:visible",
        "mso-hide:none",
        "left:-9999px",
        "position:relative;left:-9999px",
        "position:absolute;left:-10px",
        "text-indent:-20px",
        "max-height:10px",
        "clip:rect(0 0 0 0)",
        "position:absolute;clip:rect(0 10px 10px 0)",
        "clip-path:inset(10%)",
        "font-family:'display:none'",
        "background:url('x;display:none')",
        "display:none!importantx",
        "/* display:none */",
    ],
)
def test_hidden_reason_negative(style: str) -> None:
    assert box_facts(style).hidden is None


# --- box_facts: sizes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1px", 1.0),
        ("0", 0.0),
        ("0px", 0.0),
        ("0.5pt", 0.5 * 96 / 72),
        ("1in", 96.0),
        ("2.54cm", 96.0),
        ("10mm", 96.0 / 2.54),
        ("1pc", 16.0),
        ("4Q", 96.0 / 101.6 * 4),
        ("1PX", 1.0),
        ("1px !important", 1.0),
    ],
)
def test_width_units_known(value: str, expected: float) -> None:
    assert box_facts(f"width:{value}").width == pytest.approx(expected)


@pytest.mark.parametrize("value", ["1", "100%", "auto", "2em", "1rem", "-1px", "1e999px", "1_0px", "inf", "px", "1 px"])
def test_width_units_unknown(value: str) -> None:
    assert box_facts(f"width:{value}").width is None


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("display:block;width:100%;max-width:600px;height:auto;border:0", 600.0),
        ("width:700px;max-width:600px", 600.0),
        ("width:1px;max-width:600px", 1.0),
        ("width:1px;min-width:50px", 50.0),
        ("width:2px;width:3px", 3.0),
        ("width:2px !important;width:3px", 2.0),
        ("width:1px/* c */", 1.0),
    ],
)
def test_width_combined(style: str, expected: float) -> None:
    assert box_facts(style).width == expected


@pytest.mark.parametrize(
    ("style", "expected"),
    [("height:1px", 1.0), ("height:5px;max-height:2px", 2.0), ("max-height:0", 0.0)],
)
def test_height_combined(style: str, expected: float) -> None:
    assert box_facts(style).height == expected


def test_height_auto_unknown() -> None:
    assert box_facts("height:auto").height is None


def test_box_facts_type() -> None:
    assert box_facts("width:1px;height:1px") == BoxFacts(width=1.0, height=1.0, hidden=None)


# --- Bounds ------------------------------------------------------------------------------


def test_nested_media_depth_bounded() -> None:
    css = "@media screen{" * 1000 + "a{background:url(x)}" + "}" * 1000
    assert any("nested deeper" in defect for defect in read_stylesheet(css).defects)


def test_nested_parentheses_bounded() -> None:
    css = "a{background:" + "(" * 50_000 + "url(x)}"
    assert isinstance(read_stylesheet(css), StylesheetInfo)


def test_nested_selector_bounded() -> None:
    css = ":is(" * 5_000 + "a" + ")" * 5_000 + "{background:url(x)}"
    assert isinstance(read_stylesheet(css), StylesheetInfo)


def test_deep_style_attribute_bounded() -> None:
    assert box_facts("clip:" + "(" * 50_000).hidden is None


def test_references_capped() -> None:
    css = "a{background:" + ",".join(f"url({i})" for i in range(MAX_REFERENCES + 10)) + "}"
    assert len(read_stylesheet(css).references) == MAX_REFERENCES


def test_references_cap_defect() -> None:
    css = "a{background:" + ",".join(f"url({i})" for i in range(MAX_REFERENCES + 10)) + "}"
    assert any("more than" in defect for defect in read_stylesheet(css).defects)


def test_long_stylesheet_cut() -> None:
    css = "a{background:url(x)}" + " " * MAX_STYLESHEET_CHARS
    assert any("cut" in defect for defect in read_stylesheet(css).defects)


def test_parse_error_defect() -> None:
    assert read_stylesheet("a{color:red} b").defects != ()


def test_defects_capped() -> None:
    css = "a{background:url(a b)}" * 100
    assert len(read_stylesheet(css).defects) <= 20


# --- Properties --------------------------------------------------------------------------

css_alphabet = st.sampled_from([*"a{}()[];:,.#@\\\"' \n*/!-0x%<>=+~|", "url(", "image-set("])
css_text = st.one_of(st.text(max_size=300), st.lists(css_alphabet, max_size=120).map("".join))


@settings(max_examples=300, deadline=None)
@given(css_text)
def test_read_stylesheet_never_raises(text: str) -> None:
    info = read_stylesheet(text)
    assert isinstance(info, StylesheetInfo)
    assert all(isinstance(reference, CssReference) for reference in info.references)
    assert all(isinstance(defect, str) for defect in info.defects)


@settings(max_examples=300, deadline=None)
@given(css_text)
def test_style_attribute_never_raises(text: str) -> None:
    references = references_in_style_attribute(text)
    assert all(isinstance(reference, CssReference) for reference in references)


@settings(max_examples=300, deadline=None)
@given(css_text)
def test_box_facts_never_raises(text: str) -> None:
    assert isinstance(box_facts(text), BoxFacts)


@settings(max_examples=300, deadline=None)
@given(css_text)
def test_gate_never_misses(text: str) -> None:
    if references_in_style_attribute(text):
        assert may_contain_reference(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "display:none",
                "display:block",
                "width:1px",
                "width:100%",
                "max-width:600px",
                "height:0",
                "opacity:0",
                "font-family:'A B'",
                "color:rgb(0,0,0)",
                "visibility:hidden !important",
                "position:absolute",
                "left:-9999px",
            ]
        ),
        max_size=8,
    )
)
def test_fast_path_matches_tokenizer(declarations: list[str]) -> None:
    style = ";".join(declarations)
    # A comment forces the tinycss2 path without changing the declarations.
    assert box_facts(style) == box_facts(style + ";/* x */")


# --- Stylesheet pre-filter -------------------------------------------------------------


@pytest.mark.parametrize(
    ("css", "kept"),
    [
        pytest.param(".a{color:red}.b{background:url(x.png)}", ".b{background:url(x.png)}", id="reference-rule"),
        pytest.param(".a{color:red}.hid{display:none}", ".hid{display:none}", id="hiding-rule"),
        pytest.param(
            "@media print{.a{color:red}.b{background:url(p.png)}}",
            "@media print{.b{background:url(p.png)}}",
            id="media-keeps-inner-rule",
        ),
        pytest.param(
            "@media screen and (max-width:600px){.m{display:none}.n{background:url(n.png)}}",
            "@media screen and (max-width:600px){.n{background:url(n.png)}}",
            id="small-screen-drops-hiding",
        ),
        pytest.param(
            "@font-face{font-family:A;src:url(a.woff)}", "@font-face{font-family:A;src:url(a.woff)}", id="font"
        ),
        pytest.param(".a{content:'}'}.b{background:url(b.png)}", ".b{background:url(b.png)}", id="brace-in-string"),
        pytest.param("/* { */.b{background:url(b.png)}", "/* { */.b{background:url(b.png)}", id="brace-in-comment"),
        pytest.param(".a{color:red}.b{background:url(b.png)", ".b{background:url(b.png)", id="unclosed-block"),
        pytest.param(
            "@media screen and (max-width:600px){.m{display:none}.k{color:red}.n{background:url(n.png)}",
            "@media screen and (max-width:600px){.n{background:url(n.png)}",
            id="unclosed-small-screen-media",
        ),
        pytest.param(
            "@media print{.a{color:red}.b{background:url(b.png)",
            "@media print{.b{background:url(b.png)",
            id="unclosed-media-rule",
        ),
        pytest.param(
            ".k{content:' \\03D1'}.hid{display:none}.x{color:red}",
            ".k{content:' \\03D1'}\n.hid{display:none}",
            id="escape-in-string-only",
        ),
        pytest.param(
            ".\\68 id{display:none}.x{color:red}",
            ".\\68 id{display:none}.x{color:red}",
            id="escaped-name-reads-whole",
        ),
        pytest.param("\u0130.a{color:red}.b{BACKGROUND:URL(b.png)}", ".b{BACKGROUND:URL(b.png)}", id="non-ascii-case"),
        pytest.param(
            ".hid{display:none}.hid{display:block}.x{color:red}",
            ".hid{display:none}\n.hid{display:block}",
            id="showing-rule-kept",
        ),
        pytest.param(
            "@media screen{.hid{display:none}.hid{display:block}.x{color:red}}",
            "@media screen{.hid{display:none}.hid{display:block}}",
            id="showing-rule-kept-in-media",
        ),
    ],
)
def test_relevant_kept(css: str, kept: str) -> None:
    assert relevant_stylesheet(css) == kept


@pytest.mark.parametrize(
    "css",
    [
        pytest.param(".a{color:red;width:600px}", id="layout-only"),
        pytest.param("@media (max-width:480px){.m{display:none !important}}", id="small-screen-hiding"),
        pytest.param("", id="empty"),
    ],
)
def test_relevant_dropped(css: str) -> None:
    assert relevant_stylesheet(css) == ""


css_rule = st.sampled_from(
    [
        ".a{color:red}",
        ".hid{display:none}",
        "#i{visibility:hidden}",
        ".b{background:url(https://t.example/b.gif)}",
        "td.c{background-image:url('https://t.example/c.png');width:1px}",
        ".d{content:'}'}",
        "/* } { */",
        "@import url(https://t.example/s.css);",
        "@font-face{font-family:F;src:url(https://t.example/f.woff)}",
        ".hid{display:block}",
        "td.hid{visibility:visible;color:red}",
        "#i{color:blue}",
        ".e{background:\\75 rl(https://t.example/e.gif)}",
        ".k{content:'\\61'}",
        ".\\68 id{display:block}",
        "blockquote .f{background:url(https://t.example/f.gif)}",
        ".g:hover{background:url(https://t.example/g.gif)}",
    ]
)
css_block = st.one_of(
    css_rule,
    st.builds(
        lambda prelude, rules: prelude + "{" + "".join(rules) + "}",
        st.sampled_from(["@media print", "@media screen", "@media (max-width:600px)", "@supports (display:grid)"]),
        st.lists(css_rule, max_size=4),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(css_block, max_size=8).map("\n".join))
def test_relevant_keeps_every_reference(css: str) -> None:
    # Filtering only saves tokenizing time: reading the kept rules finds the same URLs.
    def found(text: str) -> list[tuple[str, str, str | None, str | None]]:
        info = read_stylesheet(text)
        return [(ref.url, ref.property, ref.event, ref.selector) for ref in info.references]

    assert found(relevant_stylesheet(css)) == found(css)


@settings(max_examples=300, deadline=None)
@given(st.lists(css_block, max_size=8).map("\n".join))
def test_relevant_hiding_unchanged(css: str) -> None:
    # Rules that show a hidden class again are kept too, so filtering changes no hiding.
    filtered = read_stylesheet(relevant_stylesheet(css))
    whole = read_stylesheet(css)
    assert filtered.hidden_classes == whole.hidden_classes
    assert filtered.hidden_ids == whole.hidden_ids
    assert filtered.hidden_selectors == whole.hidden_selectors


@settings(max_examples=300, deadline=None)
@given(st.lists(css_block, min_size=1, max_size=8).map("\n".join), st.floats(0.3, 1.0))
def test_relevant_same_when_cut_short(css: str, fraction: float) -> None:
    # A sheet that ends inside a block (an @media block, a rule, a string) is read as CSS
    # reads it at the end of the input, with or without the filter.
    cut = css[: int(len(css) * fraction)]
    filtered = read_stylesheet(relevant_stylesheet(cut))
    whole = read_stylesheet(cut)
    assert [(ref.url, ref.property, ref.event) for ref in filtered.references] == [
        (ref.url, ref.property, ref.event) for ref in whole.references
    ]
    assert (filtered.hidden_classes, filtered.hidden_ids) == (whole.hidden_classes, whole.hidden_ids)
    assert filtered.hidden_selectors == whole.hidden_selectors


def test_long_style_not_cached() -> None:
    # The caches keep short, repeated attributes; a long one would only take memory.
    from trackdetect import _css

    long_style = "width:1px;" + "color:red;" * 400
    before = (_css._cached_box_facts.cache_info().currsize, _css._cached_style_references.cache_info().currsize)
    assert box_facts(long_style).width == 1
    assert references_in_style_attribute(long_style + "background:url(x.png)")[0].url == "x.png"
    after = (_css._cached_box_facts.cache_info().currsize, _css._cached_style_references.cache_info().currsize)
    assert after == before


@pytest.mark.parametrize(
    "css",
    [
        pytest.param(".\\61{display:none} .a{display:block}", id="escaped-name"),
        pytest.param(".k{content:'\\61'} .a{display:none} .a{display:block}", id="escape-in-string"),
        pytest.param('.a\\"b{display:none} .a\\"b{display:block}', id="escaped-quote-in-name"),
        pytest.param(".é{display:none} .é{display:block}", id="non-ascii-name"),
        pytest.param(".--x{display:none} .--x{display:block}", id="double-dash-name"),
        pytest.param(".a{display:block!important} .a{display:none", id="unclosed-trailing-rule"),
        pytest.param(".a{opacity:-1}", id="negative-opacity"),
        pytest.param(".a{opacity:.0}", id="opacity-dot-zero"),
        pytest.param(".a{display:/**/none}", id="comment-in-value"),
        pytest.param(".a{position:absolute;top:-11in}", id="offset-in-inches"),
    ],
)
def test_relevant_same_hiding_as_whole(css: str) -> None:
    filtered = read_stylesheet(relevant_stylesheet(css))
    whole = read_stylesheet(css)
    assert (filtered.hidden_classes, filtered.hidden_ids) == (whole.hidden_classes, whole.hidden_ids)


def test_scoped_selector_whitespace_shared() -> None:
    assert read_stylesheet(".a  .x{display:none} .a .x{display:block}").hidden_selectors == ()


@pytest.mark.parametrize(
    "css",
    [
        pytest.param(".x{opacity:+0}", id="opacity-plus-zero"),
        pytest.param(".x{opacity:/**/0}", id="opacity-comment"),
        pytest.param(".x{display/**/:none}", id="comment-before-colon"),
        pytest.param(".x{max-height:.0px}", id="max-height-dot-zero"),
        pytest.param(".x{position:absolute;left:-1e3px}", id="exponent-offset"),
        pytest.param("@media screen, (max-width:600px){.x{display:none}}", id="media-list-with-small"),
        pytest.param("@media not all and (max-width:600px){.x{display:none}}", id="media-negated-small"),
        pytest.param(".a{b:( } )} .x{display:none}", id="brace-in-parentheses"),
    ],
)
def test_relevant_keeps_unusual_hiding(css: str) -> None:
    assert read_stylesheet(relevant_stylesheet(css)).hidden_classes == read_stylesheet(css).hidden_classes
    assert "x" in read_stylesheet(css).hidden_classes
