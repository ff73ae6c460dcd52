"""Read CSS for the URLs a mail client would fetch and for the facts that hide or size a box.

Stylesheets and style attributes are tokenized with tinycss2. The one exception is
:func:`box_facts`, which splits plain declarations on ``;`` and ``:`` because it runs for
every image. Every function here is pure, never raises on any ``str`` input, and bounds
its work: input length, nesting depth, references returned and defects recorded are capped.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import tinycss2
from tinycss2 import ast

_log = logging.getLogger(__name__)

MAX_STYLESHEET_CHARS = 1_000_000
"""Characters of a stylesheet that are read. A longer one is cut and gets a defect."""

MAX_STYLE_ATTRIBUTE_CHARS = 100_000
"""Characters of a style attribute that are read. The rest is ignored."""

MAX_REFERENCES = 2_000
"""References returned for one stylesheet or style attribute."""

MAX_DEPTH = 32
"""Levels of nested at-rules, style rules, functions and blocks that are read."""

MAX_DEFECTS = 20
"""Defect messages recorded for one stylesheet, including the final overflow count."""

EVENT_PRINT = "print"
EVENT_FORWARD = "forward"
EVENT_HOVER = "hover"


@dataclass(frozen=True, slots=True)
class CssReference:
    """A URL that CSS makes the mail client fetch.

    ``url`` is the text after CSS escape decoding and whitespace trimming, not resolved
    against any base. ``property`` is the lower-case property name, a custom property name
    as written (``--x``), ``"@import"`` or ``"@font-face"``. ``event`` is ``None`` when the
    URL loads with the message, ``"print"`` when it loads only for printing, ``"forward"``
    when the selector matches only inside a forwarded or replied copy, and ``"hover"`` when
    it needs the reader's pointer or keyboard (:hover, :active, :focus, :checked).
    ``selector`` is the rule's serialized selector, ``None`` for a style attribute.
    """

    url: str
    property: str
    event: str | None
    selector: str | None
    image_set: bool


@dataclass(frozen=True, slots=True)
class BoxFacts:
    """Size and visibility that one style attribute declares.

    ``width`` and ``height`` are CSS px (the smaller of width and max-width, raised to
    min-width), or ``None`` when no absolute length is declared. ``hidden`` names the first
    declaration that makes the box invisible, such as ``"display:none"``, or is ``None``.
    """

    width: float | None
    height: float | None
    hidden: str | None


@dataclass(frozen=True, slots=True)
class StylesheetInfo:
    """URL references of one stylesheet and the class and id selectors it hides.

    ``hidden_classes`` and ``hidden_ids`` come from rules whose last compound selector is
    one class or one id (optionally with a type), outside @media blocks that apply only to
    small screens, print or dark mode; a name that only rules with a context hide (such as
    ``.promo .hid``) is in ``hidden_selectors`` instead. Selectors with an attribute
    selector, a forward container or an interaction pseudo-class do not count. Later rules
    for the same class can show it again. ``defects`` are short messages for CSS that could
    not be read or was cut.
    """

    references: tuple[CssReference, ...]
    hidden_classes: frozenset[str]
    hidden_ids: frozenset[str]
    defects: tuple[str, ...]
    hidden_selectors: tuple[HiddenSelector, ...] = ()
    """Hiding rules that apply only in a context, such as ``.promo .hid``: their class or id
    is not in ``hidden_classes`` or ``hidden_ids``, and the selector decides which elements
    they hide."""


@dataclass(frozen=True, slots=True)
class HiddenSelector:
    """A hiding rule's selector with the class or id its last compound names."""

    selector: str
    kind: str
    """``class`` or ``id``."""
    name: str


# --- Cheap gate --------------------------------------------------------------------------

_GATE_WORDS = ("url(", "image-set", "@import")


def may_contain_reference(css: str) -> bool:
    """Return True when ``css`` may contain a URL reference, without tokenizing it.

    A backslash counts because CSS escapes can spell ``url(`` in other characters.
    False means the text has no ``url(``, ``image-set``, ``@import`` or backslash.
    """
    if "\\" in css:
        return True
    # Every gate word contains "(" or "@", so most style attributes skip lower().
    if "(" not in css and "@" not in css:
        return False
    lowered = css.lower()
    return any(word in lowered for word in _GATE_WORDS)


# Marks looked for in the lower-cased text. The look-ahead checks the first two characters of
# every alternative, so the regular expression engine skips quickly over most of the text.
_REFERENCE_MARK = re.compile(r"\\|url\(|image-set|@import")
# Loose on purpose: a mark only keeps a rule for the real reader, so a keyword alone is
# enough where the value can be written in many ways ("opacity:+0", "max-height:.0px",
# "display/**/:none", "left:-1e3px", "top:-11in").
_HIDING_MARK = re.compile(
    r"(?=[dvomc\-wh][ipsale\d.])(?:display[^;{}]{0,60}none|visibility|opacity|mso-hide|max-height|"
    r"max-width[\s:/*]*[-+.0]|-\d{3,}|-[\d.]+\s*(?:in|cm|pc)\b|-[\d.]+e|clip|"
    r"\bwidth[\s:/*]*[-+.0]|\bheight[\s:/*]*[-+.0])"
)
# Hiding inside a small-screen @media block hides nothing on a desktop client, so such a
# block is kept only for its references. Only a single max-width query counts: a list
# ("screen, (max-width:600px)") or a negation also applies to desktops.
_SMALL_SCREEN = re.compile(
    r"\s*@media\s+(?:only\s+)?(?:screen\s+and\s+)?\(\s*max-(?:device-)?width\s*:[^(),{};]*\)\s*$", re.I
)
_MEDIA_PRELUDE = re.compile(r"\s*@media\b", re.I)
# A string without its closing quote ends at the line break, as CSS reads it. Requiring the
# quote would let every quote of an unclosed string rescan the rest of the line.
_STRING_OR_COMMENT_PATTERN = r"""/\*.*?(?:\*/|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?"""
_STRING_OR_COMMENT = re.compile(_STRING_OR_COMMENT_PATTERN, re.S)
_TOP_LEVEL_TOKEN = re.compile(_STRING_OR_COMMENT_PATTERN + "|[{}()]", re.S)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Marks:
    """Offsets of reference and hiding marks in a stylesheet, searchable by range."""

    __slots__ = ("hiding", "references")

    def __init__(self, text: str) -> None:
        lowered = text.lower()
        if len(lowered) != len(text):
            # A few non-ASCII letters grow when lower-cased; keep offsets aligned with the text.
            lowered = text.translate(_ASCII_LOWER)
        self.references = [match.start() for match in _REFERENCE_MARK.finditer(lowered)]
        self.hiding = [match.start() for match in _HIDING_MARK.finditer(lowered)]

    def relevant(self, start: int, end: int, *, hiding: bool = True) -> bool:
        """Return True when text[start:end] contains a reference mark, or a hiding mark if asked."""
        if _any_between(self.references, start, end):
            return True
        return hiding and _any_between(self.hiding, start, end)


def _any_between(offsets: list[int], start: int, end: int) -> bool:
    index = bisect.bisect_left(offsets, start)
    return index < len(offsets) and offsets[index] < end


@dataclass(slots=True)
class _Unit:
    """A rule of a stylesheet, top-level or inside an ``@media`` block, while filtering."""

    start: int
    end: int
    keep: bool
    hiding: bool
    """Kept for a hiding declaration: its class and id names make showing rules matter."""


@dataclass(slots=True)
class _Block:
    """A top-level rule, or an ``@media`` block with its inner rules."""

    start: int
    end: int
    units: list[_Unit]
    body_start: int = -1
    """Offset after the ``{`` of an ``@media`` block, or -1 for a plain rule."""
    closed: bool = True
    """False for an ``@media`` block that the sheet ends inside."""


# Class and id names as written, non-ASCII letters and "--x" included.
_SELECTOR_NAME = re.compile(r"""[.#]([^\s.#:,>+~\[\](){}*;!'"=/\\]+)""")


def relevant_stylesheet(text: str) -> str:
    """Return only the rules of a stylesheet that can matter to detection.

    A rule matters when it may contain a reference (see ``may_contain_reference``) or a
    hiding declaration, or when its selector names a class or id that a hiding rule names,
    since it may show that element again. Marketing mail carries kilobytes of layout CSS
    that matters for none of these, and tokenizing it with tinycss2 would cost more than the
    rest of the detection. Top-level rules are kept or dropped whole, except ``@media``
    blocks, which keep only their rules that matter. Braces inside comments and strings are
    skipped.
    """
    text = text[:MAX_STYLESHEET_CHARS]
    marks = _Marks(text)
    if not marks.references and not marks.hiding:
        return ""
    if marks.hiding and "\\" in text and "\\" in _STRING_OR_COMMENT.sub("", text):
        # An escaped name (".\61" is ".a") cannot be matched by its spelling, so a sheet
        # with escapes and hiding rules is read whole. Escapes inside strings and comments
        # (content: '\03D1') name nothing.
        return text
    blocks = _stylesheet_blocks(text, marks)
    # Names are read from the whole rule, so that rules nested in other at-rules count too.
    # A colour such as #fff read as a name only keeps a few more rules.
    hiding_rules = [text[unit.start : unit.end] for block in blocks for unit in block.units if unit.hiding]
    hidden_names = {name for rule in hiding_rules for name in _SELECTOR_NAME.findall(rule)}
    if hidden_names:
        for block in blocks:
            for unit in block.units:
                rule = text[unit.start : unit.end]
                if not unit.keep and any(name in hidden_names for name in _SELECTOR_NAME.findall(rule)):
                    unit.keep = True
    kept: list[str] = []
    for block in blocks:
        inner = [text[unit.start : unit.end] for unit in block.units if unit.keep]
        if not inner:
            continue
        if block.body_start == -1:
            kept.append(inner[0])
        else:
            kept.append(f"{text[block.start : block.body_start]}{''.join(inner)}{'}' if block.closed else ''}")
    return "\n".join(kept)


def _stylesheet_blocks(text: str, marks: _Marks) -> list[_Block]:
    """Split a stylesheet into top-level rules and ``@media`` blocks, marking what matters."""
    blocks: list[_Block] = []
    depth = 0
    start = 0
    media = False
    small_screen = False
    body_start = 0
    inner_start = 0
    units: list[_Unit] = []

    def unit(unit_start: int, unit_end: int) -> _Unit:
        hiding = not small_screen and _any_between(marks.hiding, unit_start, unit_end)
        keep = marks.relevant(unit_start, unit_end, hiding=not small_screen)
        return _Unit(unit_start, unit_end, keep, hiding)

    parentheses = 0
    for match in _TOP_LEVEL_TOKEN.finditer(text):
        token = match.group(0)
        if token == "(":
            parentheses += 1
            continue
        if token == ")":
            parentheses = max(0, parentheses - 1)
            continue
        if parentheses:
            continue  # a brace inside parentheses belongs to the value, as CSS reads it
        if token == "{":
            depth += 1
            if depth == 1:
                media = _MEDIA_PRELUDE.match(text, start, match.start()) is not None
                small_screen = _SMALL_SCREEN.match(text, start, match.start()) is not None
                body_start = inner_start = match.end()
                units = []
        elif token == "}" and depth > 0:
            depth -= 1
            if depth == 1 and media:
                units.append(unit(inner_start, match.end()))
                inner_start = match.end()
            elif depth == 0:
                if media:
                    if text[inner_start : match.start()].strip():
                        units.append(unit(inner_start, match.start()))
                    blocks.append(_Block(start, match.end(), units, body_start))
                else:
                    blocks.append(_Block(start, match.end(), [unit(start, match.end())]))
                start = match.end()
    if depth and media:
        # CSS closes an unclosed block at the end of the sheet, so an unclosed @media block
        # keeps only its rules that matter, as a closed one does. Nothing is appended to close
        # it: a string left open at the end reads differently before a "}".
        if text[inner_start:].strip():
            units.append(unit(inner_start, len(text)))
        blocks.append(_Block(start, len(text), units, body_start, closed=False))
    elif text[start:].strip():
        # What follows the last closed rule, any other unclosed block included, is one unit,
        # kept like any rule: for a mark, or for naming a class or id that a rule hides.
        hiding = _any_between(marks.hiding, start, len(text))
        blocks.append(_Block(start, len(text), [_Unit(start, len(text), marks.relevant(start, len(text)), hiding)]))
    return blocks


# --- Collecting references ---------------------------------------------------------------

_IMAGE_SET_FUNCTIONS = frozenset({"image-set", "-webkit-image-set"})


@dataclass(slots=True)
class _Collector:
    """Mutable accumulator for one read, from which the public results are built."""

    references: list[CssReference] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    omitted_defects: int = 0
    full: bool = False
    too_deep: bool = False

    def add_reference(self, reference: CssReference) -> None:
        if len(self.references) < MAX_REFERENCES:
            self.references.append(reference)
            return
        if not self.full:
            self.full = True
            self.add_defect(f"more than {MAX_REFERENCES} URL references; the rest were not read")

    def add_defect(self, message: str) -> None:
        # One place is kept for the overflow count.
        if len(self.defects) < MAX_DEFECTS - 1:
            self.defects.append(message)
        else:
            self.omitted_defects += 1

    def note_too_deep(self) -> None:
        if not self.too_deep:
            self.too_deep = True
            self.add_defect(f"CSS nested deeper than {MAX_DEPTH} levels; the inner part was not read")

    def note_parse_error(self, error: ast.ParseError) -> None:
        self.add_defect(
            f"CSS parse error ({error.kind}) at line {error.source_line}, column {error.source_column}: {error.message}"
        )

    def final_defects(self) -> tuple[str, ...]:
        if self.omitted_defects:
            return (*self.defects, f"{self.omitted_defects} more CSS defects not listed")
        return tuple(self.defects)


def _url_function_argument(arguments: Sequence[ast.Node]) -> str | None:
    """Return the string inside ``url( "..." )``, the form tinycss2 keeps as a function."""
    for node in arguments:
        if isinstance(node, ast.StringToken):
            return str(node.value)
        if not isinstance(node, (ast.WhitespaceToken, ast.Comment)):
            return None
    return None


def _urls_in_values(
    values: Iterable[ast.Node],
    depth: int,
    in_image_set: bool,
    collector: _Collector,
    strings_are_urls: bool = False,
) -> Iterator[tuple[str, bool]]:
    """Yield ``(url, image_set)`` for every URL in a component value list, in order.

    Bare strings count as URLs only directly inside image-set(), where
    ``strings_are_urls`` is set; elsewhere, as in ``type("image/avif")``, a string is text.
    """
    for node in values:
        if isinstance(node, ast.URLToken):
            yield node.value, in_image_set
        elif isinstance(node, ast.StringToken):
            if strings_are_urls:
                yield node.value, True
        elif isinstance(node, ast.ParseError):
            collector.note_parse_error(node)
        elif isinstance(node, ast.FunctionBlock):
            if node.lower_name == "url":
                text = _url_function_argument(node.arguments)
                if text is not None:
                    yield text, in_image_set
            elif depth >= MAX_DEPTH:
                collector.note_too_deep()
            else:
                image_set = node.lower_name in _IMAGE_SET_FUNCTIONS
                yield from _urls_in_values(node.arguments, depth + 1, in_image_set or image_set, collector, image_set)
        elif isinstance(node, (ast.ParenthesesBlock, ast.SquareBracketsBlock, ast.CurlyBracketsBlock)):
            if depth >= MAX_DEPTH:
                collector.note_too_deep()
            else:
                yield from _urls_in_values(node.content, depth + 1, in_image_set, collector)


def _property_name(declaration: ast.Declaration) -> str:
    # Custom property names are case-sensitive because var() matches them exactly.
    name = str(declaration.name)
    return name if name.startswith("--") else str(declaration.lower_name)


def _collect_declaration(
    declaration: ast.Declaration,
    property_name: str,
    event: str | None,
    selector: str | None,
    collector: _Collector,
) -> None:
    for raw_url, image_set in _urls_in_values(declaration.value, 0, False, collector):
        if collector.full:
            return
        url = raw_url.strip()
        if url:
            collector.add_reference(CssReference(url, property_name, event, selector, image_set))


MAX_CACHED_STYLE_CHARS = 2048
"""Style attributes up to this length are cached; longer ones are rare and would fill memory."""


def references_in_style_attribute(value: str) -> tuple[CssReference, ...]:
    """Find the URLs that a style attribute fetches, in source order.

    Reads at most :data:`MAX_STYLE_ATTRIBUTE_CHARS` characters and returns at most
    :data:`MAX_REFERENCES` references, all with ``selector=None`` and ``event=None``.
    Results are cached, because a message often repeats one style attribute.
    """
    value = value[:MAX_STYLE_ATTRIBUTE_CHARS]
    if len(value) > MAX_CACHED_STYLE_CHARS:
        return _style_references(value)
    return _cached_style_references(value)


def _style_references(value: str) -> tuple[CssReference, ...]:
    if not may_contain_reference(value):
        return ()
    collector = _Collector()
    # NOTE: a style attribute longer than MAX_STYLE_ATTRIBUTE_CHARS is cut without a defect,
    # because this function has no defect channel.
    nodes = tinycss2.parse_blocks_contents(value[:MAX_STYLE_ATTRIBUTE_CHARS], skip_comments=True, skip_whitespace=True)
    for node in nodes:
        if collector.full:
            break
        if isinstance(node, ast.Declaration):
            _collect_declaration(node, _property_name(node), None, None, collector)
    return tuple(collector.references)


# --- Media queries -----------------------------------------------------------------------


def _significant(nodes: Iterable[ast.Node]) -> list[ast.Node]:
    return [node for node in nodes if not isinstance(node, (ast.WhitespaceToken, ast.Comment))]


def _split_on_commas(nodes: Iterable[ast.Node]) -> list[list[ast.Node]]:
    parts: list[list[ast.Node]] = [[]]
    for node in nodes:
        if isinstance(node, ast.LiteralToken) and node.value == ",":
            parts.append([])
        else:
            parts[-1].append(node)
    return parts


def _is_literal(node: ast.Node | None, value: str) -> bool:
    return isinstance(node, ast.LiteralToken) and node.value == value


def _feature_limits_desktop(block: ast.ParenthesesBlock) -> bool:
    """Tell whether a media feature can exclude a wide, light-mode desktop screen.

    Upper bounds (``max-*``, ``width < 600px``) and ``prefers-color-scheme: dark`` can;
    lower bounds and other features are taken to match a desktop screen.
    """
    tokens = _significant(block.content)
    names = [i for i, token in enumerate(tokens) if isinstance(token, ast.IdentToken)]
    if not names:
        return False
    first = tokens[names[0]]
    assert isinstance(first, ast.IdentToken)
    if first.lower_value.startswith("max-"):
        return True
    if first.lower_value == "prefers-color-scheme":
        return any(isinstance(t, ast.IdentToken) and t.lower_value == "dark" for t in tokens)
    # Range syntax: "width < 600px" and "600px > width" both bound the width from above.
    for position, token in enumerate(tokens):
        if (_is_literal(token, "<") or _is_literal(token, "<=")) and position > names[0]:
            return True
        if (_is_literal(token, ">") or _is_literal(token, ">=")) and position < names[-1]:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _MediaFacts:
    print_only: bool
    on_desktop: bool


def _media_query_facts(query: Sequence[ast.Node]) -> _MediaFacts:
    """Classify one media query: print only, and whether a desktop screen matches it."""
    tokens = _significant(query)
    negated = False
    media_type: str | None = None
    position = 0
    if position < len(tokens) and isinstance(tokens[position], ast.IdentToken):
        word = tokens[position]
        assert isinstance(word, ast.IdentToken)
        if word.lower_value in ("not", "only"):
            negated = word.lower_value == "not"
            position += 1
    if position < len(tokens) and isinstance(tokens[position], ast.IdentToken):
        word = tokens[position]
        assert isinstance(word, ast.IdentToken)
        if word.lower_value != "and":
            media_type = word.lower_value
    limited = any(isinstance(token, ast.ParenthesesBlock) and _feature_limits_desktop(token) for token in tokens)
    screen_like = media_type in (None, "all", "screen")
    if negated:
        # "not screen" leaves print (and speech), which a mail viewer meets only when printing.
        print_only = media_type == "screen" and not limited
        return _MediaFacts(print_only=print_only, on_desktop=not screen_like or limited)
    return _MediaFacts(print_only=media_type == "print", on_desktop=screen_like and not limited)


def _media_list_facts(prelude: Sequence[ast.Node]) -> _MediaFacts:
    """Classify a media query list: print only if every query is, on desktop if any is."""
    queries = [query for query in _split_on_commas(prelude) if _significant(query)]
    if not queries:
        return _MediaFacts(print_only=False, on_desktop=True)
    facts = [_media_query_facts(query) for query in queries]
    return _MediaFacts(
        print_only=all(fact.print_only for fact in facts),
        on_desktop=any(fact.on_desktop for fact in facts),
    )


# --- Selectors ---------------------------------------------------------------------------

# Class and id names that mail clients put around a quoted or forwarded message, lower-case.
# Gmail: gmail_quote. Yahoo: yahoo_quoted. Outlook desktop: OutlookMessageHeader,
# divRplyFwdMsg, appendonsend, OLK_SRC_BODY_SECTION. Outlook.com and Hotmail: MailContainerBody.
# Thunderbird: moz-cite-prefix, moz-forward-container, moz-email-headers-table.
# Litmus and Everest forward-tracking snippets use OutlookMessageHeader,
# moz-email-headers-table, MailContainerBody and "blockquote #id".
_FORWARD_NAMES = frozenset(
    {
        "gmail_quote",
        "yahoo_quoted",
        "outlookmessageheader",
        "divrplyfwdmsg",
        "appendonsend",
        "olk_src_body_section",
        "mailcontainerbody",
        "moz-cite-prefix",
        "moz-forward-container",
        "moz-email-headers-table",
    }
)
_FORWARD_ELEMENTS = frozenset({"blockquote"})
_INTERACTION_PSEUDO_CLASSES = frozenset({"hover", "active", "focus", "focus-within", "focus-visible", "checked"})
# Functional pseudo-classes whose arguments are selectors the element itself matches.
_MATCHING_PSEUDO_FUNCTIONS = frozenset({"is", "where", "matches", "-webkit-any", "-moz-any", "has"})


def _is_forward_name(name: str) -> bool:
    lowered = name.lower()
    # Outlook.com prefixes class and id names with "x_" when it shows or forwards a message.
    return lowered in _FORWARD_NAMES or lowered.removeprefix("x_") in _FORWARD_NAMES


def _attribute_is_forward(block: ast.SquareBracketsBlock) -> bool:
    """Tell whether an attribute selector targets a quoted-message container."""
    tokens = _significant(block.content)
    if not tokens or not isinstance(tokens[0], ast.IdentToken):
        return False
    attribute = tokens[0].lower_value
    values = [t.value for t in tokens[1:] if isinstance(t, (ast.IdentToken, ast.StringToken))]
    if attribute in ("class", "id"):
        return any(_is_forward_name(value) for value in values)
    # Apple Mail and Thunderbird quote with <blockquote type="cite">.
    return attribute == "type" and any(value.lower() == "cite" for value in values)


@dataclass(frozen=True, slots=True)
class _SelectorMarks:
    forward: bool
    interaction: bool


def _complex_selector_marks(tokens: Sequence[ast.Node], depth: int, collector: _Collector) -> _SelectorMarks:
    """Find forward and interaction conditions anywhere in one complex selector.

    Arguments of :not() are skipped because they exclude rather than require a match.
    """
    forward = False
    interaction = False
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        if isinstance(token, ast.IdentToken):
            if _is_literal(previous, "."):
                forward = forward or _is_forward_name(token.value)
            elif _is_literal(previous, ":"):
                interaction = interaction or token.lower_value in _INTERACTION_PSEUDO_CLASSES
            else:
                forward = forward or token.lower_value in _FORWARD_ELEMENTS
        elif isinstance(token, ast.HashToken):
            forward = forward or _is_forward_name(token.value)
        elif isinstance(token, ast.SquareBracketsBlock):
            forward = forward or _attribute_is_forward(token)
        elif isinstance(token, ast.FunctionBlock) and _is_literal(previous, ":"):
            if token.lower_name not in _MATCHING_PSEUDO_FUNCTIONS:
                continue
            if depth >= MAX_DEPTH:
                collector.note_too_deep()
                continue
            inner = _selector_list_marks(token.arguments, depth + 1, collector)
            forward = forward or inner.forward
            interaction = interaction or inner.interaction
    return _SelectorMarks(forward, interaction)


def _selector_list_marks(tokens: Sequence[ast.Node], depth: int, collector: _Collector) -> _SelectorMarks:
    """Combine a selector list: a condition applies only if every selector in it requires it."""
    parts = [part for part in _split_on_commas(tokens) if _significant(part)]
    if not parts:
        return _SelectorMarks(False, False)
    marks = [_complex_selector_marks(part, depth, collector) for part in parts]
    if not all(mark.forward or mark.interaction for mark in marks):
        return _SelectorMarks(False, False)
    # Every selector is conditional; a forward condition outranks an interaction one.
    return _SelectorMarks(
        forward=any(mark.forward for mark in marks),
        interaction=not any(mark.forward for mark in marks),
    )


def _marks_event(marks: _SelectorMarks) -> str | None:
    if marks.forward:
        return EVENT_FORWARD
    if marks.interaction:
        return EVENT_HOVER
    return None


def _last_compound(tokens: Sequence[ast.Node]) -> list[ast.Node]:
    compound: list[ast.Node] = []
    for token in reversed(tokens):
        if isinstance(token, ast.WhitespaceToken) or any(_is_literal(token, c) for c in ">+~"):
            if compound:
                break
            continue
        compound.append(token)
    compound.reverse()
    return compound


def _hiding_target(tokens: Sequence[ast.Node]) -> tuple[str, str] | None:
    """Return ``("class", name)`` or ``("id", name)`` for a last compound like ``img.x``.

    Compounds with more than one class or id, pseudo-classes or attribute selectors return
    None, because the name alone would not tell which elements they hide.
    """
    compound = _last_compound(tokens)
    if compound and (isinstance(compound[0], ast.IdentToken) or _is_literal(compound[0], "*")):
        compound = compound[1:]
    if len(compound) == 2 and _is_literal(compound[0], ".") and isinstance(compound[1], ast.IdentToken):
        return ("class", compound[1].value)
    if len(compound) == 1 and isinstance(compound[0], ast.HashToken) and compound[0].is_identifier:
        return ("id", compound[0].value)
    return None


def _node_depth_exceeds(nodes: Iterable[ast.Node], limit: int) -> bool:
    """Tell whether blocks nest deeper than ``limit``, without recursion as serialize() uses."""
    stack: list[tuple[Iterable[ast.Node], int]] = [(nodes, 0)]
    while stack:
        current, depth = stack.pop()
        for node in current:
            if isinstance(node, ast.FunctionBlock):
                children: Iterable[ast.Node] = node.arguments
            elif isinstance(node, (ast.ParenthesesBlock, ast.SquareBracketsBlock, ast.CurlyBracketsBlock)):
                children = node.content
            else:
                continue
            if depth + 1 > limit:
                return True
            stack.append((children, depth + 1))
    return False


def _selector_text(prelude: Sequence[ast.Node], collector: _Collector) -> str:
    if _node_depth_exceeds(prelude, MAX_DEPTH):
        collector.note_too_deep()
        return ""
    return str(tinycss2.serialize(prelude)).strip()


# --- Reading stylesheets -----------------------------------------------------------------

# Declared property state for cascading: name -> (lower-case value, important).
_Cascade = dict[str, tuple[str, bool]]


def _cascade(state: _Cascade, name: str, value: str, important: bool) -> None:
    """Apply one declaration: the later one wins unless only the earlier is !important."""
    earlier = state.get(name)
    if earlier is not None and earlier[1] and not important:
        return
    state[name] = (value, important)


@dataclass(frozen=True, slots=True)
class _Scope:
    """Position of a rule: the enclosing media conditions and style rules."""

    print_only: bool = False
    on_desktop: bool = True
    selector: str | None = None
    selector_marks: _SelectorMarks = _SelectorMarks(False, False)
    in_style_rule: bool = False

    @property
    def event(self) -> str | None:
        if self.print_only:
            return EVENT_PRINT
        return _marks_event(self.selector_marks)


@dataclass(slots=True)
class _Reader:
    collector: _Collector = field(default_factory=_Collector)
    hiding: dict[tuple[str, str], _Cascade] = field(default_factory=dict)
    scoped: dict[str, tuple[tuple[str, str], _Cascade]] = field(default_factory=dict)
    """Rules with a context (``.promo .hid``), by selector: their target and their own
    cascade. ``hiding`` contains the cascade of the plain rules of each target."""

    def read_rule_list(self, nodes: Iterable[ast.Node], scope: _Scope, depth: int) -> None:
        for node in nodes:
            if self.collector.full:
                return
            if isinstance(node, ast.QualifiedRule):
                self.read_style_rule(node, scope, depth)
            elif isinstance(node, ast.AtRule):
                self.read_at_rule(node, scope, depth)
            elif isinstance(node, ast.ParseError):
                self.collector.note_parse_error(node)

    def read_block(self, content: Sequence[ast.Node], scope: _Scope, depth: int) -> None:
        """Read a style rule's block: declarations, nested style rules and at-rules."""
        if depth >= MAX_DEPTH:
            self.collector.note_too_deep()
            return
        nodes = tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
        for node in nodes:
            if self.collector.full:
                return
            if isinstance(node, ast.Declaration):
                _collect_declaration(node, _property_name(node), scope.event, scope.selector, self.collector)
            elif isinstance(node, ast.QualifiedRule):
                self.read_style_rule(node, scope, depth + 1)
            elif isinstance(node, ast.AtRule):
                self.read_at_rule(node, scope, depth + 1)
            elif isinstance(node, ast.ParseError):
                self.collector.note_parse_error(node)

    def read_style_rule(self, rule: ast.QualifiedRule, scope: _Scope, depth: int) -> None:
        if depth >= MAX_DEPTH:
            self.collector.note_too_deep()
            return
        marks = _selector_list_marks(rule.prelude, 0, self.collector)
        # A nested rule keeps every condition of the rules around it.
        combined = _SelectorMarks(
            forward=marks.forward or scope.selector_marks.forward,
            interaction=marks.interaction or scope.selector_marks.interaction,
        )
        inner = _Scope(
            print_only=scope.print_only,
            on_desktop=scope.on_desktop,
            selector=_selector_text(rule.prelude, self.collector),
            selector_marks=combined,
            in_style_rule=True,
        )
        self.read_block(rule.content, inner, depth)
        if scope.on_desktop and not scope.print_only and not scope.in_style_rule:
            self.record_hiding(rule)

    def record_hiding(self, rule: ast.QualifiedRule) -> None:
        """Cascade this rule's box declarations into each class or id it targets.

        NOTE: rules for one class cascade in source order only, so a more specific earlier
        rule (``img.x{display:block}`` before ``.x{display:none}``) still loses here.
        """
        targets: list[tuple[tuple[str, str], str | None]] = []
        for part in _split_on_commas(rule.prelude):
            marks = _complex_selector_marks(part, 0, self.collector)
            # An attribute selector anywhere, such as Outlook.com's dark-mode "[data-ogsc] .x",
            # makes the rule depend on markup or a mode the message may not have.
            if marks.forward or marks.interaction or any(isinstance(token, ast.SquareBracketsBlock) for token in part):
                continue
            target = _hiding_target(part)
            if target is not None:
                # A selector with more than its last compound applies only inside some context.
                scoped = len(_last_compound(part)) < len([t for t in part if not isinstance(t, ast.WhitespaceToken)])
                # Whitespace is normalised, so that ".a  .x" and ".a .x" share one cascade.
                selector = " ".join(_selector_text(part, self.collector).split()) if scoped else None
                targets.append((target, selector))
        if not targets:
            return
        declarations = [
            node
            for node in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            if isinstance(node, ast.Declaration)
            and node.lower_name in _BOX_PROPERTIES
            and not _node_depth_exceeds(node.value, MAX_DEPTH)
        ]
        for target, selector in targets:
            if selector is None:
                state = self.hiding.setdefault(target, {})
            else:
                state = self.scoped.setdefault(selector, (target, {}))[1]
            for declaration in declarations:
                value = str(tinycss2.serialize(declaration.value)).strip().lower()
                _cascade(state, declaration.lower_name, value, declaration.important)

    def read_at_rule(self, rule: ast.AtRule, scope: _Scope, depth: int) -> None:
        if depth >= MAX_DEPTH:
            self.collector.note_too_deep()
            return
        keyword = rule.lower_at_keyword
        if keyword == "import":
            self.read_import(rule, scope)
        elif keyword == "font-face":
            self.read_font_face(rule, scope, depth)
        elif keyword == "media":
            facts = _media_list_facts(rule.prelude)
            inner = _Scope(
                print_only=scope.print_only or facts.print_only,
                on_desktop=scope.on_desktop and facts.on_desktop,
                selector=scope.selector,
                selector_marks=scope.selector_marks,
                in_style_rule=scope.in_style_rule,
            )
            self.read_nested(rule, inner, depth)
        elif keyword in (
            "supports",
            "document",
            "-moz-document",
            "layer",
            "container",
            "scope",
            "starting-style",
        ):
            # The prelude of @document contains URL conditions, not fetched resources.
            self.read_nested(rule, scope, depth)
        elif keyword == "page":
            self.read_page(rule, scope, depth)
        elif keyword.endswith("keyframes"):
            self.read_keyframes(rule, scope, depth)
        elif keyword == "counter-style" and rule.content is not None:
            # The symbols descriptor may list images.
            counter_scope = _Scope(
                print_only=scope.print_only,
                on_desktop=False,
                selector=f"@{keyword}",
                in_style_rule=True,
            )
            self.read_block(rule.content, counter_scope, depth + 1)
        else:
            # Browsers drop unknown at-rules, @namespace's URL names a namespace, and
            # @charset contains no URL.
            _log.debug("skipped @%s rule", keyword)

    def read_nested(self, rule: ast.AtRule, scope: _Scope, depth: int) -> None:
        if rule.content is None:
            return
        if scope.in_style_rule:
            self.read_block(rule.content, scope, depth + 1)
            return
        nodes = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
        self.read_rule_list(nodes, scope, depth + 1)

    def read_import(self, rule: ast.AtRule, scope: _Scope) -> None:
        tokens = _significant(rule.prelude)
        if not tokens:
            return
        first = tokens[0]
        if isinstance(first, (ast.URLToken, ast.StringToken)):
            url = first.value
        elif isinstance(first, ast.FunctionBlock) and first.lower_name == "url":
            url = _url_function_argument(first.arguments) or ""
        else:
            return
        # layer(...) and supports(...) come before the media query list.
        rest = [
            token
            for token in rule.prelude[rule.prelude.index(first) + 1 :]
            if not (isinstance(token, ast.FunctionBlock) and token.lower_name in ("layer", "supports"))
            and not (isinstance(token, ast.IdentToken) and token.lower_value == "layer")
        ]
        print_only = scope.print_only or _media_list_facts(rest).print_only
        url = url.strip()
        if url:
            event = EVENT_PRINT if print_only else None
            self.collector.add_reference(CssReference(url, "@import", event, None, False))

    def read_font_face(self, rule: ast.AtRule, scope: _Scope, depth: int) -> None:
        if rule.content is None:
            return
        nodes = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
        for node in nodes:
            if isinstance(node, ast.Declaration):
                _collect_declaration(node, "@font-face", scope.event, "@font-face", self.collector)
            elif isinstance(node, ast.ParseError):
                self.collector.note_parse_error(node)

    def read_page(self, rule: ast.AtRule, scope: _Scope, depth: int) -> None:
        if rule.content is None:
            return
        page_scope = _Scope(
            print_only=True,
            on_desktop=False,
            selector=f"@page {_selector_text(rule.prelude, self.collector)}".strip(),
            in_style_rule=True,
        )
        self.read_block(rule.content, page_scope, depth + 1)

    def read_keyframes(self, rule: ast.AtRule, scope: _Scope, depth: int) -> None:
        if rule.content is None:
            return
        nodes = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
        for node in nodes:
            if isinstance(node, ast.QualifiedRule):
                # Keyframe selectors (from, 50%) are not element selectors.
                frame_scope = _Scope(
                    print_only=scope.print_only,
                    on_desktop=False,
                    selector=_selector_text(node.prelude, self.collector),
                    selector_marks=scope.selector_marks,
                    in_style_rule=True,
                )
                self.read_block(node.content, frame_scope, depth + 1)

    def hidden_names(self, kind: str) -> frozenset[str]:
        """Return the names of this kind that every element carrying them hides."""
        names = set()
        for target, state in self.hiding.items():
            if target[0] == kind and _hidden_reason(_values(state)) is not None:
                names.add(target[1])
        return frozenset(names)

    def hidden_selectors(self) -> tuple[HiddenSelector, ...]:
        """Return the scoped selectors of hidden targets, which only a document can resolve."""
        found: list[HiddenSelector] = []
        plain = {"class": self.hidden_names("class"), "id": self.hidden_names("id")}
        for selector, (target, state) in self.scoped.items():
            if not selector or target[1] in plain[target[0]]:
                continue  # a plain rule already hides every element with the name
            if _hidden_reason(_values(state)) is not None:
                found.append(HiddenSelector(selector, target[0], target[1]))
        return tuple(found)


@lru_cache(maxsize=256)
def read_stylesheet(text: str) -> StylesheetInfo:
    """Read a stylesheet for URL references and for classes and ids it hides.

    Reads the first :data:`MAX_STYLESHEET_CHARS` characters; a longer text, nesting
    deeper than :data:`MAX_DEPTH`, more than :data:`MAX_REFERENCES` references and
    tinycss2 parse errors become defects.
    """
    reader = _Reader()
    if len(text) > MAX_STYLESHEET_CHARS:
        reader.collector.add_defect(f"stylesheet of {len(text)} characters cut to the first {MAX_STYLESHEET_CHARS}")
        text = text[:MAX_STYLESHEET_CHARS]
    nodes = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    reader.read_rule_list(nodes, _Scope(), 0)
    return StylesheetInfo(
        references=tuple(reader.collector.references),
        hidden_classes=reader.hidden_names("class"),
        hidden_ids=reader.hidden_names("id"),
        defects=reader.collector.final_defects(),
        hidden_selectors=reader.hidden_selectors(),
    )


# --- Box facts ---------------------------------------------------------------------------

_BOX_PROPERTIES = frozenset(
    {
        "width",
        "max-width",
        "min-width",
        "height",
        "max-height",
        "min-height",
        "display",
        "visibility",
        "opacity",
        "mso-hide",
        "position",
        "left",
        "top",
        "text-indent",
        "clip",
        "clip-path",
    }
)

_PX_PER_UNIT = {
    "px": 1.0,
    "in": 96.0,
    "cm": 96.0 / 2.54,
    "mm": 96.0 / 25.4,
    "q": 96.0 / 101.6,
    "pt": 96.0 / 72.0,
    "pc": 16.0,
}
# For off-screen offsets only: -999em is at least 999px away for any font size of 1px or more.
_OFFSET_PX_PER_UNIT = {**_PX_PER_UNIT, "em": 1.0, "rem": 1.0}

_UNIT_CHARACTERS = "abcdefghijklmnopqrstuvwxyz%"
_MAX_NUMBER_CHARS = 32
_OFF_SCREEN_PX = -999.0

# Text that sends a style attribute to the tinycss2 path: comments, escapes and blocks
# change where a declaration ends.
_SLOW_PATH_MARKERS = ("/*", "\\", "{", "}", "[", "]")


def _plain_split_is_safe(style: str) -> bool:
    """Tell whether splitting on ";" finds the same declarations as tokenizing would.

    Strings and parentheses are allowed when they are closed, not nested and contain no ";",
    as in ``font-family:'Open Sans'`` or ``color:rgb(0,0,0)``.
    """
    if any(marker in style for marker in _SLOW_PATH_MARKERS):
        return False
    position = 0
    while True:
        starts = [index for index in (style.find(c, position) for c in "\"'(") if index >= 0]
        if not starts:
            return True
        start = min(starts)
        opener = style[start]
        end = style.find(")" if opener == "(" else opener, start + 1)
        if end < 0:
            return False
        inner = style[start + 1 : end]
        if ";" in inner or "\n" in inner or (opener == "(" and any(c in inner for c in "(\"'")):
            return False
        position = end + 1


def _length(value: str, units: Mapping[str, float]) -> float | None:
    """Convert ``12px``, ``0.5pt`` or unitless ``0`` to px, or return None for anything else."""
    value = value.strip()
    if not value or len(value) > _MAX_NUMBER_CHARS:
        return None
    number_text = value.rstrip(_UNIT_CHARACTERS)
    unit = value[len(number_text) :]
    # float() also accepts "1_0", "inf" and surrounding space, which CSS does not.
    if not number_text or "_" in number_text or number_text[-1].isspace():
        return None
    try:
        number = float(number_text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if not unit:
        # NOTE: quirks-mode rendering (HTML without a doctype) reads unitless "width:1" as
        # 1px; this reader follows standards mode and ignores it.
        return 0.0 if number == 0 else None
    factor = units.get(unit)
    return None if factor is None else number * factor


def _size(value: str | None) -> float | None:
    if value is None:
        return None
    length = _length(value, _PX_PER_UNIT)
    return None if length is None or length < 0 else length


def _box_length(values: Mapping[str, str], axis: str) -> float | None:
    """Return the used size on one axis: min(size, max-size), raised to min-size."""
    size = _size(values.get(axis))
    maximum = _size(values.get("max-" + axis))
    if maximum is not None:
        size = maximum if size is None else min(size, maximum)
    minimum = _size(values.get("min-" + axis))
    if size is not None and minimum is not None:
        size = max(size, minimum)
    return size


def _is_off_screen(values: Mapping[str, str]) -> bool:
    indent = _length(values.get("text-indent", ""), _OFFSET_PX_PER_UNIT)
    if indent is not None and indent <= _OFF_SCREEN_PX:
        return True
    if values.get("position") not in ("absolute", "fixed"):
        return False
    for side in ("left", "top"):
        offset = _length(values.get(side, ""), _OFFSET_PX_PER_UNIT)
        if offset is not None and offset <= _OFF_SCREEN_PX:
            return True
    return False


def _is_clipped(values: Mapping[str, str]) -> bool:
    """Tell whether clip or clip-path leaves no visible area.

    ``clip: rect()`` applies only to absolutely positioned boxes. It hides the box when the
    bottom edge is not below the top edge, or the right edge is not right of the left edge.
    ``clip-path: inset()`` hides the box when every inset is 50% or more.
    """
    clip = values.get("clip", "")
    if clip.startswith("rect(") and values.get("position") in ("absolute", "fixed"):
        edges = _function_lengths(clip, "rect")
        if edges is not None and len(edges) == 4:
            top, right, bottom, left = edges
            if bottom <= top or right <= left:
                return True
    clip_path = values.get("clip-path", "")
    if clip_path.startswith("inset("):
        tokens = _significant(tinycss2.parse_component_value_list(clip_path))
        if len(tokens) == 1 and isinstance(tokens[0], ast.FunctionBlock):
            insets = [t for t in _significant(tokens[0].arguments) if isinstance(t, ast.PercentageToken)]
            if insets and all(t.value >= 50 for t in insets):
                return True
    return False


def _function_lengths(text: str, name: str) -> list[float] | None:
    """Read the px lengths inside ``name(...)``, separated by spaces or commas."""
    tokens = _significant(tinycss2.parse_component_value_list(text))
    if len(tokens) != 1 or not isinstance(tokens[0], ast.FunctionBlock) or tokens[0].lower_name != name:
        return None
    lengths: list[float] = []
    for token in _significant(tokens[0].arguments):
        if _is_literal(token, ","):
            continue
        length = _length(token.serialize(), _PX_PER_UNIT)
        if length is None:
            return None
        lengths.append(length)
    return lengths


def _hidden_reason(values: Mapping[str, str]) -> str | None:
    """Name the first declaration that makes the box invisible, or None.

    font-size:0 is not a reason, because it hides text but not an image.
    """
    if values.get("display") == "none":
        return "display:none"
    visibility = values.get("visibility")
    if visibility in ("hidden", "collapse"):
        return f"visibility:{visibility}"
    opacity = values.get("opacity")
    if opacity is not None and _opacity_is_zero(opacity):
        return "opacity:0"
    if values.get("mso-hide") == "all":
        return "mso-hide:all"
    if _is_off_screen(values):
        return "off-screen"
    if _size(values.get("max-height")) == 0:
        return "max-height:0"
    if ("clip" in values or "clip-path" in values) and _is_clipped(values):
        return "clip"
    return None


def _opacity_is_zero(value: str) -> bool:
    text = value.strip()
    if text.endswith("%"):
        text = text[:-1]
    if not text or len(text) > _MAX_NUMBER_CHARS or "_" in text:
        return False
    try:
        number = float(text)
    except ValueError:
        return False
    # Opacity is clamped to [0, 1], so a negative value is also transparent.
    return math.isfinite(number) and number <= 0


def _split_important(value: str) -> tuple[str, bool] | None:
    """Strip a trailing ``!important``, or return None when "!" is followed by other text."""
    head, bang, tail = value.partition("!")
    if not bang:
        return value.strip(), False
    if tail.strip() != "important":
        return None
    return head.strip(), True


def _box_declarations_fast(style: str) -> _Cascade:
    state: _Cascade = {}
    for piece in style.split(";"):
        name, colon, raw_value = piece.partition(":")
        if not colon:
            continue
        name = name.strip().lower()
        if name not in _BOX_PROPERTIES:
            continue
        parsed = _split_important(raw_value.lower())
        if parsed is not None and parsed[0]:
            _cascade(state, name, parsed[0], parsed[1])
    return state


def _box_declarations_slow(style: str) -> _Cascade:
    state: _Cascade = {}
    nodes = tinycss2.parse_blocks_contents(style, skip_comments=True, skip_whitespace=True)
    for node in nodes:
        if isinstance(node, ast.Declaration) and node.lower_name in _BOX_PROPERTIES:
            if _node_depth_exceeds(node.value, MAX_DEPTH):
                continue
            value = tinycss2.serialize(node.value).strip().lower()
            if value:
                _cascade(state, node.lower_name, value, node.important)
    return state


def _values(state: _Cascade) -> dict[str, str]:
    return {name: value for name, (value, _important) in state.items()}


def box_facts(style_attribute: str) -> BoxFacts:
    """Read the declared size and any hiding declaration from a style attribute.

    The last declaration of a property wins unless an earlier one is ``!important``.
    Plain attributes are split on ``;`` and ``:``. Attributes with comments, escapes,
    blocks, or a ``;`` inside a string or parentheses are tokenized with tinycss2. Reads at most
    :data:`MAX_STYLE_ATTRIBUTE_CHARS` characters. Results are cached, because marketing mail
    repeats the same style attribute on many cells and images.
    """
    style = style_attribute[:MAX_STYLE_ATTRIBUTE_CHARS]
    if len(style) > MAX_CACHED_STYLE_CHARS:
        return _box_facts(style)
    return _cached_box_facts(style)


def _box_facts(style: str) -> BoxFacts:
    if _plain_split_is_safe(style):
        state = _box_declarations_fast(style)
    else:
        state = _box_declarations_slow(style)
    values = _values(state)
    return BoxFacts(
        width=_box_length(values, "width"),
        height=_box_length(values, "height"),
        hidden=_hidden_reason(values),
    )


_cached_style_references = lru_cache(maxsize=1024)(_style_references)
_cached_box_facts = lru_cache(maxsize=4096)(_box_facts)
