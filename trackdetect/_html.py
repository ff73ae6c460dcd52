"""Find every URL a mail client could fetch or follow in an HTML body.

Parsing uses Lexbor (through selectolax), an HTML5 parser that builds the same tree a
browser engine does. Lexbor's tree building is quadratic in the nesting depth of
non-table elements, so very tag-heavy input goes to BeautifulSoup with the lxml builder,
which stays linear. ``lxml.html`` is never used directly: it drops everything nested
deeper than 256 levels, which would let a sender hide a pixel.

Elements are found with CSS selectors evaluated inside Lexbor, so Python only touches the
few hundred elements that can carry a URL, never the whole tree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from . import _css
from ._urls import normalize_reference, scheme_of
from .report import Defect

logger = logging.getLogger(__name__)

LEXBOR_MAX_TAGS = 25_000
"""Above this many ``<`` characters the input goes to BeautifulSoup, whose cost stays linear."""
MAX_ANCESTORS = 40
"""Ancestors inspected for hiding styles; deeper wrappers are ignored."""
MAX_CONDITIONAL_DEPTH = 3
MAX_LINK_TEXT = 200
MAX_PING_URLS = 20
MAX_SRCDOCS = 10
"""``srcdoc`` documents read per HTML part, counting those inside other frames."""

_RESOURCE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "img": ("src", "srcset", "lowsrc", "dynsrc"),
    "image": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "input": ("src",),
    "video": ("poster", "src"),
    "audio": ("src",),
    "source": ("src", "srcset"),
    "track": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "object": ("data",),
    "embed": ("src",),
    "applet": ("code", "archive", "codebase"),
    "body": ("background",),
    "thead": ("background",),
    "tbody": ("background",),
    "tfoot": ("background",),
    "table": ("background",),
    "td": ("background",),
    "th": ("background",),
    "tr": ("background",),
    "div": ("background",),
    "v:fill": ("src",),
    "v:image": ("src",),
    "v:imagedata": ("src",),
    "v:rect": ("src",),
    "amp-img": ("src", "srcset"),
    "amp-anim": ("src", "srcset"),
    "amp-list": ("src",),
    "amp-state": ("src",),
    "amp-autocomplete": ("src",),
    "amp-render": ("src",),
}
_LINK_RELS = frozenset(
    {
        "stylesheet",
        "icon",
        "shortcut",
        "apple-touch-icon",
        "preload",
        "prefetch",
        "dns-prefetch",
        "preconnect",
        "prerender",
        "modulepreload",
        "manifest",
    }
)
_SELECTOR = ", ".join(
    [
        "img",
        "image",
        "feimage",
        "use",
        "input[type=image i]",
        "video",
        "audio",
        "source",
        "track",
        "iframe",
        "frame",
        "object",
        "embed",
        "applet",
        "[background]",
        "link[href]",
        "link[imagesrcset]",
        "meta[http-equiv=refresh i]",
        "base[href]",
        "a[href]",
        "area[href]",
        "v\\:fill",
        "v\\:image",
        "v\\:imagedata",
        "v\\:rect[src]",
        "amp-img",
        "amp-anim",
        "amp-list",
        "amp-state[src]",
        "form[action-xhr]",
        "form[action]",
        "button[formaction]",
        "input[formaction]",
        "amp-autocomplete[src]",
        "amp-render[src]",
        '[style*="url" i]',
        '[style*="image-set" i]',
        '[style*="\\\\"]',
        "style",
    ]
)
_IMAGE_ELEMENTS = frozenset({"img", "image", "input", "amp-img", "amp-anim", "v:image", "v:imagedata", "v:fill"})
_CONDITIONAL_OPEN = re.compile(r"<!--\[if[^\]]{0,100}\]>", re.I)
_CONDITIONAL_CLOSE = re.compile(r"<!\[endif\]-->", re.I)
# The URL of a refresh follows the delay and a ";" or ",", with or without "url=".
# Written so that no two adjacent parts can take the same characters: a content value of
# many spaces must fail in linear time.
_REFRESH_URL = re.compile(r"^\s*(?:[\d.]+\s*)?[;,]\s*(?:url\s*=\s*)?['\"]?([^'\"\s][^'\"]*)", re.I)
_HIDING_HINT = re.compile(
    r"(?=[nhomc:\-])(?:none|hidden|opacity|mso-hide|max-height|max-width|-\d{3}|clip|:\s*0)", re.I
)
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_WHITESPACE = " \t\n\f\r"


@dataclass(frozen=True, slots=True)
class Reference:
    """One URL in a body, with what a client does with it and where it sits."""

    url: str
    """Absolute URL as the client would request it (``data:`` and ``cid:`` URLs kept as written)."""
    element: str
    attribute: str
    part: str
    index: int
    role: str
    """``resource`` (fetched on open), ``link`` (followed on click), ``base`` or ``refresh``."""
    width: float | None = None
    height: float | None = None
    hidden: str | None = None
    event: str | None = None
    link_text: str | None = None
    context: str | None = None
    """``conditional-comment``, ``noscript``, ``amp``, ``text`` or ``srcdoc`` when not plain HTML markup."""
    classes: tuple[str, ...] = ()
    declared: tuple[str, ...] = ()
    """Source of each known dimension, for evidence (for example ``width=1``)."""


@dataclass(slots=True)
class ExtractResult:
    """References of one body and the problems met while reading it."""

    references: list[Reference] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    hidden_classes: frozenset[str] = frozenset()
    hidden_ids: frozenset[str] = frozenset()
    rule_matches: int = 0
    """Style-sheet selectors evaluated so far (bounded by ``MAX_RULE_MATCHES``)."""
    ancestor_hiding: dict[int, str | None] = field(default_factory=dict)
    """Hiding reason of each visited ancestor by node id (None when visible), so shared ancestors are read once."""
    in_noscript: frozenset[int] | None = None
    """Lexbor node ids inside ``<noscript>``; None means unknown (walk the ancestors)."""
    hidden_selectors: list[_css.HiddenSelector] = field(default_factory=list)
    """Hiding rules that apply only in a context (``.promo .hid``), resolved on each tree."""
    hidden_nodes: dict[int, str] = field(default_factory=dict)
    """Lexbor node ids that such a rule selects, with the rule's selector."""
    srcdocs_taken: int = 0
    """``<iframe srcdoc>`` documents taken for reading in this part, at any nesting level."""


class _Node(Protocol):
    tag: str | None

    @property
    def attributes(self) -> Mapping[str, str | None]: ...


def parse_dimension(value: str | None) -> float | None:
    """Return a width or height attribute in CSS pixels, as the HTML Standard's rules read it.

    Leading whitespace is skipped, then ASCII digits with an optional fraction are read
    and anything after them is ignored, so ``1``, ``1px``, ``1em``, ``1.`` and ``1e3`` all
    give 1. A percentage, a leading sign or dot, and non-ASCII digits give None.
    """
    if value is None:
        return None
    text = value[:64].lstrip(_ASCII_WHITESPACE)
    end = 0
    while end < len(text) and text[end] in _ASCII_DIGITS:
        end += 1
    if end == 0:
        return None
    number = text[:end]
    if end < len(text) and text[end] == ".":
        fraction_end = end + 1
        while fraction_end < len(text) and text[fraction_end] in _ASCII_DIGITS:
            fraction_end += 1
        if fraction_end > end + 1:
            number = text[:fraction_end]
        end = fraction_end
    if end < len(text) and text[end] == "%":
        return None
    return float(number)


def parse_srcset(value: str) -> list[str]:
    """Split a ``srcset`` into its URLs, following the HTML standard's candidate parsing.

    Commas inside a URL (as in ``data:image/png;base64,...``) do not split candidates:
    a URL runs until whitespace, and only trailing commas end it.
    """
    urls: list[str] = []
    position = 0
    length = len(value)
    while position < length and len(urls) < 50:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url = value[start:position]
        ended = url.endswith(",")
        url = url.rstrip(",")
        if url:
            urls.append(url)
        if ended:
            continue
        depth = 0
        while position < length:
            char = value[position]
            if char == "(":
                depth += 1
            elif char == ")":
                depth = max(0, depth - 1)
            elif char == "," and depth == 0:
                break
            position += 1
    return urls


def extract(
    html: str,
    part: str,
    *,
    context: str | None = None,
    max_bytes: int = 8 * 1024 * 1024,
    base: str | None = None,
) -> ExtractResult:
    """Return every URL-bearing reference in an HTML body, in document order.

    ``base`` resolves relative URLs when the body has no ``<base href>`` of its own, as the
    part's ``Content-Location`` or ``Content-Base`` header does for a mail client.
    """
    result = ExtractResult()
    if len(html) > max_bytes:
        result.defects.append(Defect("html.truncated", f"HTML longer than {max_bytes} characters was cut", part))
        html = html[:max_bytes]
    _extract_into(html, part, context, result, 0, [0], base)
    return result


def _extract_into(
    html: str,
    part: str,
    context: str | None,
    result: ExtractResult,
    depth: int,
    counter: list[int],
    outer_base: str | None = None,
) -> None:
    if html.count("<") > LEXBOR_MAX_TAGS:
        result.defects.append(
            Defect("html.heavy", "very tag-heavy HTML was parsed with the linear-time fallback parser", part)
        )
        nodes: Iterable[Any] = list(_soup_nodes(html))
        base_href = _first_base(nodes) or outer_base
        tree = None
    else:
        tree = LexborHTMLParser(html)
        nodes = tree.css(_SELECTOR)
        base_href = _first_base(nodes) or outer_base
    # Node ids are memory addresses, which a later tree may reuse once this one is freed.
    result.ancestor_hiding = {}
    result.hidden_nodes = {}

    stylesheet_hidden_classes: set[str] = set(result.hidden_classes)
    stylesheet_hidden_ids: set[str] = set(result.hidden_ids)
    pending: list[tuple[Any, str]] = []
    style_references: list[_css.CssReference] = []
    for node in nodes:
        tag = (node.tag or "").lower()
        if tag == "style":
            text = _css.relevant_stylesheet(_own_text(node))
            if not text:
                continue
            info = _css.read_stylesheet(text)
            stylesheet_hidden_classes.update(info.hidden_classes)
            stylesheet_hidden_ids.update(info.hidden_ids)
            result.hidden_selectors.extend(info.hidden_selectors)
            for message in info.defects:
                result.defects.append(Defect("css.unreadable", message, part))
            style_references.extend(info.references)
            continue
        pending.append((node, tag))
    for rule in result.hidden_selectors:
        if tree is None or not _select_hidden(tree, rule, result):
            # Without a tree, or for a selector Lexbor cannot evaluate, every element with
            # the class or id counts as hidden: a few visible images may then be taken as
            # hidden, but no hidden one as visible.
            (stylesheet_hidden_classes if rule.kind == "class" else stylesheet_hidden_ids).add(rule.name)
    result.hidden_classes = frozenset(stylesheet_hidden_classes)
    result.hidden_ids = frozenset(stylesheet_hidden_ids)
    if tree is not None:
        result.in_noscript = (
            frozenset(node.mem_id for node in tree.css("noscript *")) if "noscript" in html else frozenset()
        )
    else:
        result.in_noscript = None

    # Style-sheet references are sized and checked for hiding only now, when every sheet of
    # the document has been read: a hiding rule in a later sheet, or one read after them,
    # still hides the box they are drawn in.
    for css_ref in style_references:
        geometry = _matched_geometry(tree, css_ref, result) if tree is not None else {}
        _add(
            result,
            counter,
            css_ref.url,
            base_href,
            "style",
            f"css:{css_ref.property}",
            part,
            "resource",
            context,
            **{**geometry, "event": css_ref.event},
        )

    srcdocs: list[str] = []
    for node, tag in pending:
        _read_element(node, tag, base_href, part, context, result, counter)
        if tag == "iframe" and result.srcdocs_taken < MAX_SRCDOCS:
            srcdoc = node.attributes.get("srcdoc")
            if srcdoc and "<" in srcdoc:
                # Counted when taken, so frames waiting to be read count against the limit.
                result.srcdocs_taken += 1
                srcdocs.append(srcdoc)

    if depth < MAX_CONDITIONAL_DEPTH and "[if" in html:
        # Outlook reads markup inside conditional comments; browsers and HTML parsers skip it.
        # All of them are parsed as one document: marketing mail has hundreds, and a parser
        # per comment would cost more than the rest of the message.
        inner = "\n".join(block for block in _conditional_blocks(html) if "<" in block)
        if inner:
            _extract_into(inner, part, "conditional-comment", result, depth + 1, counter, base_href)
    if depth < MAX_CONDITIONAL_DEPTH:
        for srcdoc in srcdocs:
            _extract_srcdoc(srcdoc, part, result, depth, counter, base_href)


def _extract_srcdoc(
    srcdoc: str, part: str, result: ExtractResult, depth: int, counter: list[int], base_href: str | None
) -> None:
    """Read the document of an ``<iframe srcdoc>``, which a client that shows frames renders.

    The frame is a document of its own: the style sheets of the page around it do not apply.
    """
    outer = (result.hidden_classes, result.hidden_ids, result.hidden_selectors)
    result.hidden_classes, result.hidden_ids, result.hidden_selectors = frozenset(), frozenset(), []
    try:
        _extract_into(srcdoc, part, "srcdoc", result, depth + 1, counter, base_href)
    finally:
        result.hidden_classes, result.hidden_ids, result.hidden_selectors = outer


def _conditional_blocks(html: str) -> list[str]:
    """Return the content of each conditional comment, up to its first ``<![endif]-->``.

    Each search starts where the previous one stopped, so the cost stays linear even when
    thousands of comments are never closed (one pattern over the whole text would rescan
    the rest of the document from every opening).
    """
    blocks: list[str] = []
    position = 0
    while True:
        opening = _CONDITIONAL_OPEN.search(html, position)
        if opening is None:
            return blocks
        closing = _CONDITIONAL_CLOSE.search(html, opening.end())
        if closing is None:
            return blocks
        blocks.append(html[opening.end() : closing.start()])
        position = closing.end()


def _select_hidden(tree: LexborHTMLParser, rule: _css.HiddenSelector, result: ExtractResult) -> bool:
    """Record the elements a context-dependent hiding rule selects; False when it cannot be evaluated."""
    if result.rule_matches >= MAX_RULE_MATCHES:
        return False
    result.rule_matches += 1
    try:
        nodes = tree.css(rule.selector)
    except (SelectolaxError, ValueError, TypeError, RuntimeError):
        return False
    for node in nodes:
        result.hidden_nodes.setdefault(node.mem_id, rule.selector)
    return True


def _first_base(nodes: Iterable[Any]) -> str | None:
    for node in nodes:
        if (node.tag or "").lower() == "base":
            href = node.attributes.get("href")
            if href:
                return normalize_reference(href)
    return None


def _link_text(node: Any) -> str:
    """Return the start of a link's text, reading only as much of its subtree as needed.

    SVG lets links nest, and the whole text of each link in a long chain would cost time
    quadratic in the chain's length.
    """
    pieces: list[str] = []
    total = 0
    if isinstance(node, _SoupNode):
        strings: Iterable[Any] = node._tag.strings
    else:
        strings = (child.text_content or "" for child in node.traverse(include_text=True) if child.tag == "-text")
    for piece in strings:
        pieces.append(str(piece))
        total += len(pieces[-1])
        if total > 2 * MAX_LINK_TEXT:
            break
    return "".join(pieces)


def _own_text(node: Any) -> str:
    """Return the text directly inside an element, without its child elements' text.

    In SVG, a ``<style>`` can contain elements, so a chain of nested ones would otherwise
    give each style sheet the text of all the others.
    """
    if hasattr(node, "text") and callable(node.text):
        return str(node.text(deep=False) or "")
    return "".join(str(piece) for piece in node._tag.find_all(string=True, recursive=False))


def _node_text(node: Any) -> str:
    if hasattr(node, "text") and callable(node.text):
        return str(node.text(deep=True) or "")
    return str(node.get_text() or "")


def _read_element(
    node: Any,
    tag: str,
    base_href: str | None,
    part: str,
    context: str | None,
    result: ExtractResult,
    counter: list[int],
) -> None:
    attributes: Mapping[str, str | None] = node.attributes
    element_context = context or _context_of(node, result)
    if tag == "base":
        href = attributes.get("href")
        if href:
            _add(result, counter, href, None, tag, "href", part, "base", element_context)
        return
    if tag in ("a", "area"):
        href = attributes.get("href")
        ping = attributes.get("ping")
        if href or ping:
            text = " ".join(_link_text(node).split())[:MAX_LINK_TEXT] if tag == "a" else (attributes.get("alt") or "")
            if href:
                _add(result, counter, href, base_href, tag, "href", part, "link", element_context, link_text=text)
            # A browser posts to each ping URL when the link is followed. The link text
            # describes the destination, not the ping URL, so it is not attached.
            for url in (ping or "").split()[:MAX_PING_URLS]:
                _add(result, counter, url, base_href, tag, "ping", part, "link", element_context)
        _read_style_urls(node, tag, attributes, base_href, part, element_context, result, counter)
        return
    if tag in ("form", "button") or (tag == "input" and attributes.get("formaction")):
        # Submitting a form is a click: its target is judged as a link.
        for attribute in ("action-xhr", "action", "formaction"):
            value = attributes.get(attribute)
            if value and not (tag == "form" and attribute == "action" and attributes.get("action-xhr")):
                _add(result, counter, value, base_href, tag, attribute, part, "link", element_context)
        if tag != "input" or (attributes.get("type") or "").lower() != "image":
            _read_style_urls(node, tag, attributes, base_href, part, element_context, result, counter)
            return
    if tag == "link":
        rel = {item.lower() for item in (attributes.get("rel") or "").split()}
        href = attributes.get("href")
        if href and (rel & _LINK_RELS or not rel):
            _add(result, counter, href, base_href, tag, "href", part, "resource", element_context)
        imagesrcset = attributes.get("imagesrcset")
        if imagesrcset and "preload" in rel:
            for url in parse_srcset(imagesrcset):
                _add(result, counter, url, base_href, tag, "imagesrcset", part, "resource", element_context)
        return
    if tag == "meta":
        content = attributes.get("content") or ""
        match = _REFRESH_URL.search(content)
        if match:
            _add(
                result, counter, match.group(1), base_href, tag, "http-equiv=refresh", part, "refresh", element_context
            )
        return
    if tag == "input" and (attributes.get("type") or "").lower() != "image":
        _read_style_urls(node, tag, attributes, base_href, part, element_context, result, counter)
        return

    geometry = _geometry(node, tag, attributes, result)
    for attribute in _RESOURCE_ATTRIBUTES.get(tag, ()):
        value = attributes.get(attribute)
        if not value:
            continue
        if attribute == "srcset":
            for url in parse_srcset(value):
                _add(result, counter, url, base_href, tag, attribute, part, "resource", element_context, **geometry)
        else:
            _add(result, counter, value, base_href, tag, attribute, part, "resource", element_context, **geometry)
    _read_style_urls(node, tag, attributes, base_href, part, element_context, result, counter, geometry)


def _read_style_urls(
    node: Any,
    tag: str,
    attributes: Mapping[str, str | None],
    base_href: str | None,
    part: str,
    context: str | None,
    result: ExtractResult,
    counter: list[int],
    geometry: dict[str, Any] | None = None,
) -> None:
    style = attributes.get("style")
    if not style or not _css.may_contain_reference(style):
        return
    references = _css.references_in_style_attribute(style)
    if not references:
        return
    if geometry is None:
        geometry = _geometry(node, tag, attributes, result)
    for css_ref in references:
        _add(
            result,
            counter,
            css_ref.url,
            base_href,
            tag,
            f"style:{css_ref.property}",
            part,
            "resource",
            context,
            **{**geometry, "event": css_ref.event or geometry.get("event")},
        )


def _geometry(node: Any, tag: str, attributes: Mapping[str, str | None], result: ExtractResult) -> dict[str, Any]:
    """Return declared size, hiding and classes of an element, looking at its ancestors for hiding."""
    declared: list[str] = []
    width = parse_dimension(attributes.get("width"))
    if width is not None:
        declared.append(f"width={attributes.get('width')}")
    height = parse_dimension(attributes.get("height"))
    if height is not None:
        declared.append(f"height={attributes.get('height')}")
    hidden: str | None = None
    if tag == "source" and width is None and height is None:
        # A <source> is drawn in the box of its <picture>'s <img>, or of its <video>.
        box = _source_box(node)
        if box is not None:
            box_tag = (getattr(box, "tag", None) or "").lower()
            return _geometry(box, box_tag, box.attributes, result)
    if tag == "v:fill" and width is None and height is None:
        # A VML fill has no size of its own: it paints the shape that contains it.
        parent = node.parent
        parent_tag = (getattr(parent, "tag", None) or "") if parent is not None else ""
        if parent_tag.startswith("v:"):
            return _geometry(parent, parent_tag, parent.attributes, result)
    style = attributes.get("style") or ""
    if style:
        facts = _css.box_facts(style)
        if facts.width is not None and (width is None or facts.width < width):
            width = facts.width
            declared.append(f"css width {facts.width:g}px")
        if facts.height is not None and (height is None or facts.height < height):
            height = facts.height
            declared.append(f"css height {facts.height:g}px")
        hidden = facts.hidden
    if hidden is None and "hidden" in attributes:
        hidden = "hidden attribute"
    classes = tuple((attributes.get("class") or "").split())
    if hidden is None and result.hidden_classes and any(name in result.hidden_classes for name in classes):
        hidden = "class hidden by stylesheet"
    if hidden is None and result.hidden_ids and (attributes.get("id") or "") in result.hidden_ids:
        hidden = "id hidden by stylesheet"
    if hidden is None and result.hidden_nodes and _node_key(node) in result.hidden_nodes:
        hidden = f"hidden by stylesheet rule {result.hidden_nodes[_node_key(node)][:80]}"
    if hidden is None:
        hidden = _hidden_ancestor(node, result)
    return {"width": width, "height": height, "hidden": hidden, "classes": classes, "declared": tuple(declared)}


MAX_RULE_MATCHES = 50
"""Style-sheet rules whose selector is matched against the document to find a box size."""


def _matched_geometry(tree: LexborHTMLParser, css_ref: _css.CssReference, result: ExtractResult) -> dict[str, Any]:
    """Return the declared size and hiding of the first element a style rule's selector matches.

    A background set by a rule is drawn in the elements the rule selects, so a 1x1 box
    selected by class makes a pixel just as a 1x1 ``<img>`` does. Selectors Lexbor cannot
    evaluate, and event selectors such as ``:hover``, give no size.
    """
    selector = css_ref.selector
    if not selector or css_ref.event or result.rule_matches >= MAX_RULE_MATCHES:
        return {}
    result.rule_matches += 1
    try:
        node = tree.css_first(selector)
    except (SelectolaxError, ValueError, TypeError, RuntimeError):
        return {}
    if node is None:
        return {}
    geometry = _geometry(node, (node.tag or "").lower(), node.attributes, result)
    geometry.pop("classes", None)
    return geometry


def _source_box(node: Any) -> Any | None:
    """Return the element whose box a <source> is drawn in, or None."""
    parent = node.parent
    parent_tag = (getattr(parent, "tag", None) or "").lower() if parent is not None else ""
    if parent_tag in ("video", "audio"):
        return parent
    if parent_tag == "picture":
        for child in _children(parent):
            if (getattr(child, "tag", None) or "").lower() == "img":
                return child
    return None


def _children(node: Any) -> list[Any]:
    if isinstance(node, _SoupNode):
        return node.children()
    return list(node.iter(include_text=False))


def _hidden_ancestor(node: Any, result: ExtractResult) -> str | None:
    """Return why an ancestor of the node hides it, or None.

    Results are remembered per ancestor, so images in one table share the walk up to
    their common ancestors and each ancestor's style is read once per document.
    """
    cache = result.ancestor_hiding
    visited: list[int] = []
    reason: str | None = None
    parent = node.parent
    for _ in range(MAX_ANCESTORS):
        if parent is None:
            break
        key = _node_key(parent)
        if key in cache:
            reason = cache[key]
            break
        tag = getattr(parent, "tag", None) or getattr(parent, "name", None)
        if tag in (None, "html", "[document]", "-document"):
            break
        visited.append(key)
        reason = _own_hiding(parent, tag, result)
        if reason is not None:
            break
        parent = parent.parent
    for key in visited:
        cache[key] = reason
    return reason


def _node_key(node: Any) -> int:
    mem_id = getattr(node, "mem_id", None)
    return int(mem_id) if mem_id is not None else id(getattr(node, "_tag", node))


def _own_hiding(element: Any, tag: str, result: ExtractResult) -> str | None:
    """Return why an element hides its content, looking at its own style, attribute and classes."""
    # One read: Lexbor builds a new dictionary on each access of ``attributes``.
    attributes = getattr(element, "attributes", None)
    if attributes is None:
        attributes = element.attrs
    if not attributes:
        return None
    style = attributes.get("style")
    if style and _HIDING_HINT.search(style):
        facts = _css.box_facts(style)
        if facts.hidden:
            return f"ancestor <{tag}> {facts.hidden}"
        if (facts.width == 0 or facts.height == 0) and "overflow" in style.lower():
            return f"ancestor <{tag}> has zero size with overflow hidden"
    if "hidden" in attributes:
        return f"ancestor <{tag}> hidden attribute"
    if result.hidden_classes:
        classes = attributes.get("class") or ""
        if isinstance(classes, list):
            classes = " ".join(classes)
        if any(name in result.hidden_classes for name in classes.split()):
            return f"ancestor <{tag}> class hidden by stylesheet"
    if result.hidden_ids and attributes.get("id") in result.hidden_ids:
        return f"ancestor <{tag}> id hidden by stylesheet"
    if result.hidden_nodes:
        selector = result.hidden_nodes.get(_node_key(element))
        if selector is not None:
            return f"ancestor <{tag}> hidden by stylesheet rule {selector[:80]}"
    return None


def _context_of(node: Any, result: ExtractResult) -> str | None:
    if result.in_noscript is not None:
        return "noscript" if getattr(node, "mem_id", None) in result.in_noscript else None
    parent = node.parent
    for _ in range(MAX_ANCESTORS):
        if parent is None:
            return None
        tag = getattr(parent, "tag", None) or getattr(parent, "name", None)
        if tag == "noscript":
            return "noscript"
        parent = parent.parent
    return None


_QP_ARTIFACT = re.compile(r"^3D[\"']?(?=[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def _repair_quoted_printable(value: str, result: ExtractResult, part: str) -> str:
    """Undo quoted-printable left in an attribute value (``3D"https://...?a=3D1``).

    Some senders paste already-encoded HTML into a part declared 7bit, so the parser reads
    ``src=3D"https://..."``. A lenient client or a later decoder would recover the URL, so
    the scanner does too, and records a defect.
    """
    if not _QP_ARTIFACT.match(value):
        return value
    result.defects.append(Defect("html.undecoded-quoted-printable", "attribute value still quoted-printable", part))
    value = _QP_ARTIFACT.sub("", value).replace("=3D", "=").replace("=3d", "=")
    return value.rstrip("=\"'")


def _add(
    result: ExtractResult,
    counter: list[int],
    raw: str,
    base_href: str | None,
    element: str,
    attribute: str,
    part: str,
    role: str,
    context: str | None,
    *,
    width: float | None = None,
    height: float | None = None,
    hidden: str | None = None,
    event: str | None = None,
    link_text: str | None = None,
    classes: tuple[str, ...] = (),
    declared: tuple[str, ...] = (),
) -> None:
    stripped = raw.strip()
    if stripped[:2] in ("3D", "3d"):
        stripped = _repair_quoted_printable(stripped, result, part)
    scheme = scheme_of(stripped)
    if scheme in ("data", "cid", "mailto", "tel", "sms", "javascript", "about", "blob", "callto", "skype"):
        url: str | None = stripped
    else:
        url = normalize_reference(stripped, base_href)
    if url is None:
        return
    counter[0] += 1
    result.references.append(
        Reference(
            url=url,
            element=element,
            attribute=attribute,
            part=part,
            index=counter[0],
            role=role,
            width=width,
            height=height,
            hidden=hidden,
            event=event,
            link_text=link_text,
            context=context,
            classes=classes,
            declared=declared,
        )
    )


# Fallback parser --------------------------------------------------------------------------


class _SoupNode:
    """Adapter giving a BeautifulSoup tag the few members the extractor reads."""

    __slots__ = ("_tag",)

    def __init__(self, tag: Any) -> None:
        self._tag = tag

    @property
    def tag(self) -> str:
        return str(self._tag.name)

    @property
    def attributes(self) -> dict[str, str]:
        return {
            key: " ".join(value) if isinstance(value, list) else str(value) for key, value in self._tag.attrs.items()
        }

    @property
    def parent(self) -> _SoupNode | None:
        parent = self._tag.parent
        if parent is None or parent.name == "[document]":
            return None
        return _SoupNode(parent)

    def text(self, deep: bool = True) -> str:
        return str(self._tag.get_text())

    def children(self) -> list[_SoupNode]:
        return [_SoupNode(child) for child in self._tag.find_all(True, recursive=False)]


# HTML5 ignores "/>" on the start tag of an HTML element that is not void, so "<div/>"
# stays open and contains what follows. lxml closes it at once. SVG and VML names are not
# listed, because "/>" does close them.
_SELF_CLOSING_CONTAINER = re.compile(
    r"<((?:div|span|p|table|thead|tbody|tfoot|tr|td|th|center|font|section|article|header|footer|main|"
    r"aside|nav|ul|ol|li|dl|dt|dd|b|i|u|s|em|strong|small|big|h[1-6]|blockquote|form|label|button|"
    r"picture|video|audio|object|iframe|noscript)(?=[\s/])[^<>]*?)/>",
    re.I,
)


def _soup_nodes(html: str) -> Iterator[_SoupNode]:
    """Yield the URL-bearing elements of a document parsed by BeautifulSoup with lxml."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_SELF_CLOSING_CONTAINER.sub(r"<\1>", html), "lxml")
    wanted = set(_RESOURCE_ATTRIBUTES) | {"a", "area", "link", "meta", "base", "form", "button", "style"}
    inert = {id(inner) for template in soup.find_all("template") for inner in template.find_all(True)}
    for tag in soup.find_all(True):
        name = str(tag.name).lower()
        attrs = tag.attrs
        if (
            name in wanted
            or "background" in attrs
            or ("style" in attrs and _css.may_contain_reference(str(attrs["style"])))
        ):
            if name == "meta" and str(attrs.get("http-equiv", "")).lower() != "refresh":
                continue
            if id(tag) in inert:
                continue  # template content is inert: never rendered, never fetched
            yield _SoupNode(tag)
