"""The detection pipeline: message -> parts -> references -> rule hits -> findings -> report.

``detect()`` is pure. It reads no file and opens no socket: tracker data, the public
suffix list and every parser are loaded when the package is imported, and options may
carry data the caller loaded.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import Message
from functools import cached_property, lru_cache
from urllib.parse import unquote

from . import _html, _params, _unwrap
from ._errors import InputError
from ._explain import explanation_code
from ._html import Reference
from ._leaks import AddressMatcher, LeakMatch
from ._mime import ParsedMessage, parse_message, read_addresses
from ._options import Options
from ._urls import (
    IMAGE_FILE,
    MAX_URL_LENGTH,
    Token,
    UrlParts,
    find_address,
    find_tokens,
    item_link_parameters,
    registered_domain,
    split_url,
)
from ._vendors import VendorIndex, VendorMatch, default_index
from .report import (
    Confidence,
    Defect,
    Finding,
    Hop,
    Kind,
    Leak,
    Location,
    MessageInfo,
    Report,
    RuleHit,
)
from .rules import BASE_URL, READ_RECEIPT, RULES, SECURITY_WRAPPER, Rule, Subject

logger = logging.getLogger(__name__)

_DEFAULT_OPTIONS = Options()
_TEXT_URL = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"'\])}]{3,4000}""")
_TRAILING_PUNCTUATION = ".,;:!?'\")]}>"
_RECEIPT_HEADERS = ("Disposition-Notification-To", "Return-Receipt-To", "X-Confirm-Reading-To")
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
# The part of a git send-email Message-ID before the author's address: a timestamp, a
# dot, digits, then the patch number ("20240317101538.2841-1-").
_GIT_MESSAGE_ID_START = re.compile(r"\d{14}\.[\d.]+-\d+-")
_MAILTO = re.compile(r"<mailto:([^>?\s]+@[^>?\s]+)", re.I)
# The look-ahead lets the engine pass over characters that start no alternative.
_UNSUBSCRIBE = re.compile(
    r"(?=[uoadcmep/])(?:unsub|opt[-_ ]?out|optout|abmelden|abbestellen|d[ée]sinscri|d[ée]sabonn|desuscrib|"
    r"cancelar.{0,12}inscri|manage.{0,12}(?:preferences|subscription)|email[-_ ]?preferences|"
    r"preference[-_ ]?cent|/prefs?\b)",
    re.I,
)
# Read in link text only: in a URL, "update-profile" may just name the page a tracker sends to.
_PREFERENCE_TEXT = re.compile(r"update.{0,12}(?:preferences|subscription|profile)", re.I)
# The whole text of a link that acts for the reader on a service. The sender writes link
# text, so such a link is still shown, as possible tracking, and only the whole text counts.
# NOTE: other links of such a service that also name the reader (a Calendar invitation's
# event-view links, whose eid carries the invitee's address) still count as tracked.
_ACTION_TEXT = re.compile(
    r"\s*(?:yes|no|maybe|accept|decline|tentative|reset (?:your |my )?password|block (?:the )?sender|"
    r"(?:confirm|verify) (?:your |my |this )?(?:e-?mail(?: address)?|address|subscription))\s*[.!]?\s*",
    re.I,
)
_SPACER_NAME = re.compile(
    r"(?:^|[/_.\-])(?:spacer|spc|transparent|trans|transp|blank|clear|clr|shim|empty|space|dot|s|x|pix)\d*\.(?:gif|png)$",
    re.I,
)
_WRAPPER_KINDS = (
    f"{_unwrap.SECURITY_WRAPPER}:",
    f"{_unwrap.IMAGE_PROXY}:",
    f"{_unwrap.MAIL_REDIRECT}:",
    f"{_unwrap.SHORTENER}:",
)
_SIGNING_PARAMETER = re.compile(r"(?i)x-amz-|x-goog-|expires$|key-pair-id$|policy$|signature$|sig$")
_IDENTIFIER_RULES = frozenset({"TD402", "TD404", "TD701", "TD702"})
# Evidence that a link passes through a tracker before the page: a vendor's host or click
# shape, a block list, a carried destination, a redirect path, or a ping on the click.
_REDIRECT_CODES = frozenset({"TD302", "TD303", "TD304", "TD501", "TD502", "TD505"})
_FONT_OR_STYLE = re.compile(r"^(?:css:@font-face|css:@import|style:@font-face)$")
_VISIBLE_SIZE = 20.0
"""An image declared at least this many pixels in a dimension is content, not a beacon."""


def detect(
    message: bytes | str | Message,
    *,
    recipients: Iterable[str] | None = None,
    options: Options | None = None,
) -> Report:
    """Find the tracking in one email message.

    ``message`` is the raw message as bytes (``bytearray`` and ``memoryview`` too) or text,
    or a parsed ``email.message.Message``.
    ``recipients`` are the addresses to look for in URLs; by default those in the To, Cc,
    Delivered-To and X-Original-To headers. Malformed input never raises: problems are
    recorded as defects on the report, unless ``options.strict`` is set, in which case the
    first defect raises ``InputError``.

    Raises ``TypeError`` when ``message`` is of another type.
    """
    if not isinstance(message, (bytes, bytearray, memoryview, str, Message)):
        raise TypeError(f"detect() expects bytes, str or email.message.Message, not {type(message).__name__}")
    if isinstance(message, (bytearray, memoryview)):
        message = bytes(message)
    options = options or _DEFAULT_OPTIONS
    parsed = parse_message(message)
    return _detect_parsed(parsed, recipients, options)


def detect_html(
    html: str,
    *,
    recipients: Iterable[str] | None = None,
    options: Options | None = None,
) -> Report:
    """Find the tracking in an HTML body that the caller has already taken out of a message."""
    if not isinstance(html, str):
        raise TypeError(f"detect_html() expects str, not {type(html).__name__}")
    from ._mime import BodyPart

    parsed = ParsedMessage()
    parsed.html_parts.append(BodyPart("1", "text/html", html))
    return _detect_parsed(parsed, recipients, options or _DEFAULT_OPTIONS)


def _detect_parsed(parsed: ParsedMessage, recipients: Iterable[str] | None, options: Options) -> Report:
    index = options.vendor_index or default_index()

    if recipients is None:
        recipient_list = _readers(parsed)
    else:
        recipient_list = _given_addresses(recipients, "recipients")
    sender_list = parsed.addresses("From")
    extra = _given_addresses(options.extra_recipients, "Options.extra_recipients")
    matcher = _matcher_for((*recipient_list, *extra, *sender_list))
    # Read after the address headers, which may add a defect of their own.
    defects: list[Defect] = list(parsed.defects)

    references: list[Reference] = []
    for body in parsed.html_parts:
        extracted = _html.extract(body.text, body.path, max_bytes=options.max_html_bytes, base=body.base)
        references.extend(extracted.references)
        defects.extend(extracted.defects)
    for body in parsed.amp_parts:
        extracted = _html.extract(body.text, body.path, context="amp", max_bytes=options.max_html_bytes, base=body.base)
        references.extend(extracted.references)
        defects.extend(extracted.defects)
    for body in parsed.text_parts:
        references.extend(_text_references(body.text, body.path, len(references)))

    if parsed.headers:
        defects.extend(_unresolved_cids(references, parsed))

    if len(references) > options.max_references:
        defects.append(
            Defect(
                "html.too-many-references",
                f"{len(references)} references; only the first {options.max_references} were judged",
            )
        )
        references = references[: options.max_references]
    references = _within_url_budget(references, options.max_url_characters, defects)

    if options.strict and defects:
        raise InputError(f"{defects[0].code}: {defects[0].message}")

    judge = _Judge(index, options, matcher, references, parsed, sender_list)
    findings = judge.run()

    for header in _RECEIPT_HEADERS:
        for value in parsed.header_values(header):
            if options.rule_enabled(READ_RECEIPT.code):
                findings.append(_read_receipt(header, value))

    platforms = sorted({vendor.name for vendor, _header in index.match_headers(parsed.headers)})
    findings = _dedupe(findings)
    findings.sort(key=Finding.sort_key)
    tracking = [finding for finding in findings if finding.is_tracking]
    # Wrappers (redirect findings) act for the recipient's side and are not trackers.
    excluded = (Kind.REMOTE_CONTENT, Kind.REDIRECT)
    vendors = sorted({name for finding in findings if finding.kind not in excluded for name in finding.vendors})
    score = round(sum((finding.score for finding in tracking), 0.0), 1)
    info = MessageInfo(
        message_id=parsed.header("Message-ID"),
        sender=parsed.header("From"),
        to=tuple(parsed.header_values("To")),
        subject=parsed.header("Subject"),
        date=parsed.header("Date"),
    )
    return Report(
        tracked=bool(tracking),
        score=score,
        message=info,
        findings=tuple(findings),
        defects=tuple(_dedupe_defects(defects)),
        vendors=tuple(vendors),
        sending_platforms=tuple(platforms),
        data_version=index.version,
        recipients=tuple(address.lower() for address in recipient_list),
    )


def _readers(parsed: ParsedMessage) -> list[str]:
    """Return the recipient headers' addresses, without a mailing list's posting address in To and Cc.

    List mail is addressed to the list, so the list's name in its archive and group links
    is not the reader's. Delivered-To and X-Original-To name the reader and are kept.
    """
    posting = {found.lower() for value in parsed.header_values("List-Post") for found in _MAILTO.findall(value)}
    if not posting:
        return parsed.addresses(*_RECIPIENT_HEADERS)
    addressed = [address for address in parsed.addresses("To", "Cc") if address.lower() not in posting]
    delivered = parsed.addresses("Delivered-To", "X-Original-To")
    seen = {address.lower() for address in addressed}
    return addressed + [address for address in delivered if address.lower() not in seen]


def _given_addresses(items: Iterable[str], name: str) -> list[str]:
    """Return the addresses a caller gave, taking ``Name <address>`` forms apart.

    Each address is kept as written otherwise: a sender may hash the address with the
    capitals the recipient typed. Raises TypeError for a single str or bytes, which would
    otherwise be read one character at a time.
    """
    if isinstance(items, (str, bytes)):
        raise TypeError(f"{name} must be an iterable of addresses, not a single {type(items).__name__}")
    # Each item is read as a To header is: display names, comments, several addresses.
    addresses, _readable = read_addresses([item for item in items if isinstance(item, str) and "@" in item])
    return addresses


def _within_url_budget(references: list[Reference], budget: int, defects: list[Defect]) -> list[Reference]:
    """Drop the references whose http(s) URL is new once the distinct URLs pass ``budget``.

    Analysis time grows with the length of each distinct URL, so this bounds it for a message
    whose URLs are few characters in the HTML but long once resolved. Other URLs (``data:``,
    ``cid:``) are never analysed and do not count, and a URL judged before the budget ran
    out keeps all its references.
    """
    judged: set[str] = set()
    dropped: set[str] = set()
    total = 0
    remaining = []
    for reference in references:
        url = reference.url
        if url in judged or not url[:8].lower().startswith(("http://", "https://")):
            remaining.append(reference)
        elif not dropped and total + min(len(url), MAX_URL_LENGTH) <= budget:
            judged.add(url)
            total += min(len(url), MAX_URL_LENGTH)
            remaining.append(reference)
        else:
            dropped.add(url)
    if dropped:
        defects.append(
            Defect(
                "html.too-many-url-characters",
                f"the URLs of the message exceed {budget} characters in total; "
                f"{len(dropped)} distinct URLs after the first {len(judged)} were not judged",
            )
        )
    return remaining


def _names_own_account(leak: LeakMatch, parts: UrlParts, link: bool, senders: frozenset[str]) -> bool:
    """Tell whether a local part found in a URL names a site's own account, not the reader.

    The sender's own name in a host name is the sender's site (platformer@substack.com and
    platformer.substack.com). A link on an address's own site that names its local part
    most often opens the account's own page there: a mailing list's page, a repository, a
    profile. That site already has the address. A recipient's local part in a host, or
    in an image on the recipient's own domain, still counts: a tracker can give every
    reader a host or an image of their own.
    """
    if leak.encoding != "local-part":
        return False
    if leak.position == "host":
        return leak.address.lower() in senders
    return link and registered_domain(leak.address.rpartition("@")[2]) == parts.domain


def _inside_message_id(leak: LeakMatch, url: str) -> bool:
    """Tell whether an address found in a URL is the right end of a git send-email Message-ID.

    Archive links name messages by Message-ID, and git send-email builds one from a
    timestamp, a counter and the author's address ("20240317101538.2841-1-ann@example.org").
    Only that form counts: an address glued to any other token stays a leak.
    """
    if leak.encoding not in ("plain", "percent"):
        return False
    # Every occurrence must be one: the same address elsewhere in the URL is a leak.
    start = url.find(leak.matched)
    if start == -1:
        return False
    while start != -1:
        end = start + len(leak.matched)
        ends_segment = end == len(url) or url[end] in "/?#&"
        if start == 0 or url[start - 1] not in "-." or not ends_segment:
            return False
        left = start
        while left > 0 and (url[left - 1].isalnum() or url[left - 1] in "._-"):
            left -= 1
        if _GIT_MESSAGE_ID_START.fullmatch(url, left, start) is None:
            return False
        start = url.find(leak.matched, end)
    return True


@lru_cache(maxsize=64)
def _enabled_rules(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """Return the rules for resources and for links that run under ``select`` and ``ignore``."""
    options = Options(select=select, ignore=ignore)
    enabled = [rule for rule in RULES if options.rule_enabled(rule.code)]
    return (
        tuple(rule for rule in enabled if "resource" in rule.roles),
        tuple(rule for rule in enabled if "link" in rule.roles),
    )


@lru_cache(maxsize=256)
def _matcher_for(addresses: tuple[str, ...]) -> AddressMatcher:
    """Return a matcher for these addresses; an archive scan meets the same recipients often."""
    return AddressMatcher(addresses)


def _unresolved_cids(references: Sequence[Reference], parsed: ParsedMessage) -> list[Defect]:
    """Return a defect for each ``cid:`` reference that names no part of the message (RFC 2392)."""
    missing = []
    for reference in references:
        if reference.url[:4].lower() != "cid:":
            continue
        content_id = unquote(reference.url[4:]).strip().strip("<>").lower()
        if content_id not in parsed.inline_images:
            missing.append(
                Defect("mime.missing-cid", f"cid:{content_id[:80]} names no part of the message", reference.part)
            )
    return missing


def _text_references(text: str, part: str, start: int) -> list[Reference]:
    references = []
    for number, match in enumerate(_TEXT_URL.finditer(text[:2_000_000])):
        if number >= 2000:
            break
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if url.lower().startswith("www."):
            url = "http://" + url
        references.append(
            Reference(
                url=url,
                element="text",
                attribute="url",
                part=part,
                index=start + number + 1,
                role="link",
                context="text",
            )
        )
    return references


def _base_finding(reference: Reference) -> Finding:
    hit = RuleHit(BASE_URL.code, BASE_URL.name, "relative URLs in this part resolve against it", BASE_URL.weight)
    return Finding(
        kind=Kind.REMOTE_CONTENT,
        url=reference.url,
        confidence=Confidence.LOW,
        score=0.0,
        rules=(hit,),
        location=Location(reference.part, reference.element, reference.attribute, reference.index, reference.context),
        explanation=explanation_code(Kind.REMOTE_CONTENT, None),
    )


def _read_receipt(header: str, value: str) -> Finding:
    hit = RuleHit(READ_RECEIPT.code, READ_RECEIPT.name, f"{header}: {value[:120]}", READ_RECEIPT.weight)
    return Finding(
        kind=Kind.READ_RECEIPT,
        url="",
        confidence=Confidence.HIGH,
        score=READ_RECEIPT.weight,
        rules=(hit,),
        location=Location("headers", "header", header, 0),
        explanation=explanation_code(Kind.READ_RECEIPT, None),
    )


@dataclass(frozen=True, slots=True)
class _UrlFacts:
    """Facts the rules read from one URL, shared by every reference that uses it."""

    parts: UrlParts
    vendors: list[VendorMatch]
    tokens: tuple[Token, ...]
    recipient_parameters: list[tuple[str, str]]
    destination: _unwrap.EmbeddedDestination | None
    leaks: tuple[LeakMatch, ...]
    address: tuple[str, str] | None
    blocklist_match: str | None
    listed_parameters: list[tuple[str, str]]


_JUDGED_ROLES = ("resource", "link", "refresh")


class _Judge:
    """Runs the rules over every reference of one message and decides each finding's kind."""

    def __init__(
        self,
        index: VendorIndex,
        options: Options,
        matcher: AddressMatcher,
        references: Sequence[Reference],
        parsed: ParsedMessage,
        senders: Sequence[str] = (),
    ) -> None:
        self.index = index
        self.options = options
        # A provider's redirect in the provider's own mail is its click tracking, not a wrapper.
        self.sender_domains = {registered_domain(address.rpartition("@")[2]) for address in senders}
        self.senders = frozenset(address.lower() for address in senders)

        self.matcher = matcher
        self.references = references
        self.parsed = parsed
        self.resource_rules, self.link_rules = _enabled_rules(options.select, options.ignore)
        self.url_counts = Counter(ref.url for ref in references if ref.role == "resource")
        self._facts: dict[tuple[str, str, bool], _UrlFacts | None] = {}
        # One search over all the URLs clears most of them. An unwrapped URL is searched alone.
        self._leak_free = matcher.clear_of(ref.url for ref in references if ref.role in _JUDGED_ROLES)
        self.visible_folders = {_folder(ref.url) for ref in references if ref.role == "resource" and not ref.hidden}

    def _link_purpose(self, subject: Subject) -> str | None:
        """Return ``preference`` (unsubscribe or preference link), ``action`` or None for a link.

        Both kinds must name the reader to work. A plain-text link takes the purpose of an
        HTML link to the same URL, since it has no link text of its own.
        """
        reference = subject.reference
        if _UNSUBSCRIBE.search(subject.url):
            return "preference"
        if reference.element == "text":
            return self.purposes_by_url.get(subject.url)
        return _text_purpose(reference.link_text)

    @cached_property
    def purposes_by_url(self) -> dict[str, str]:
        """Return the purpose of each link URL whose text marks one; read only for plain-text links."""
        purposes: dict[str, str] = {}
        for ref in self.references:
            if ref.role == "link" and ref.url not in purposes:
                purpose = _text_purpose(ref.link_text)
                if purpose is not None:
                    purposes[ref.url] = purpose
        return purposes

    def run(self) -> list[Finding]:
        findings: list[Finding] = []
        subjects: list[tuple[Subject, list[Hop]]] = []
        judged: set[tuple[object, ...]] = set()
        for reference in self.references:
            if (
                reference.role == "base"
                and self.options.rule_enabled(BASE_URL.code)
                and self.options.include_remote_content
            ):
                findings.append(_base_finding(reference))
            if reference.role not in _JUDGED_ROLES:
                continue
            # A reference that repeats an earlier one in all but its place (one logo linked three
            # times) gives the same findings, and _dedupe() would keep only the earlier ones.
            key = _judged_key(reference)
            if key in judged:
                continue
            judged.add(key)
            built = self._subject(reference, findings)
            if built is not None:
                subjects.append(built)

        token_urls: dict[str, set[str]] = {}
        for subject, _hops in subjects:
            for token in subject.tokens:
                token_urls.setdefault(token.value, set()).add(subject.url)
        for subject, _hops in subjects:
            subject.repeated_tokens = [t.value for t in subject.tokens if len(token_urls.get(t.value, ())) > 1]

        for subject, hops in subjects:
            rules = self.link_rules if subject.reference.role != "resource" else self.resource_rules
            hits = [
                RuleHit(rule.code, rule.name, evidence, rule.weight)
                for rule in rules
                if (evidence := rule.check(subject)) is not None
            ]
            finding = self._decide(subject, hits, hops)
            if finding is not None:
                findings.append(finding)
            # A leak in a link that is itself tracked (a vendor's redirect) keeps its confidence.
            tracked = finding is not None and finding.is_tracking
            findings.extend(self._leak_findings(subject, tracked))
        return findings

    def _subject(self, reference: Reference, findings: list[Finding]) -> tuple[Subject, list[Hop]] | None:
        url = reference.url
        parts = split_url(url)
        if parts is None:
            return None

        proxy = None
        hops: list[Hop] = []
        judged = url
        if reference.role == "resource":
            wrapper = _unwrap.unwrap(url)
            if wrapper is not None and wrapper.kind == _unwrap.IMAGE_PROXY:
                proxy = wrapper
                if wrapper.inner and split_url(wrapper.inner) is not None:
                    judged = wrapper.inner
        else:
            followed, hops = self._follow_link(reference, findings)
            if followed is None:
                return None
            judged = followed

        if proxy is not None:
            hops = [Hop(url, proxy.name, f"{proxy.kind}:{proxy.name}")]
            if judged != url:
                hops.append(Hop(judged, None, ""))

        static_paths = _static_path_search(reference, self.visible_folders)
        link = reference.role != "resource"
        facts = self._facts.get((judged, static_paths, link))
        if facts is None:
            facts = self._analyze(judged, static_paths, link)
            self._facts[(judged, static_paths, link)] = facts
        if facts is None:
            return None

        subject = Subject(
            reference=reference,
            url=judged,
            parts=facts.parts,
            vendors=facts.vendors,
            tokens=facts.tokens,
            recipient_parameters=facts.recipient_parameters,
            destination=facts.destination,
            leaks=facts.leaks,
            address=facts.address,
            blocklist_match=facts.blocklist_match,
            listed_parameters=facts.listed_parameters,
            proxy=proxy,
            url_count=self.url_counts.get(url, 1),
        )
        return subject, hops

    def _analyze(self, judged: str, static_paths: str, link: bool) -> _UrlFacts | None:
        """Compute everything the rules read from one URL; done once per distinct URL."""
        judged_parts = split_url(judged)
        if judged_parts is None:
            return None

        params = judged_parts.params()
        classified = [(name, value, _params.known_parameter_class(name, value)) for name, value in params]
        recipient_parameters = [
            (name, value) for name, value, param_class in classified if param_class is _params.ParamClass.RECIPIENT_ID
        ]

        vendors = self.index.match(judged_parts)
        tracking_host = any(match.role != "content" for match in vendors)
        if static_paths == "none" and tracking_host and not IMAGE_FILE.search(judged_parts.path):
            # On a tracking vendor's host a style sheet or font path may number the recipient.
            # Image folders there are usually account ids, so they stay unsearched.
            static_paths = "folders"

        # Campaign tags are the same for every recipient, and the signing parameters of a signed
        # URL (S3, CloudFront, Google Cloud Storage) belong to the URL rather than to a reader,
        # so neither counts as a per-recipient token.
        signed = any(param_class is _params.ParamClass.SIGNATURE for _name, _value, param_class in classified)
        not_tokens = {
            name
            for name, _value, param_class in classified
            if param_class in (_params.ParamClass.CAMPAIGN, _params.ParamClass.SIGNATURE)
            or (signed and _SIGNING_PARAMETER.match(name))
        }
        tokens = tuple(
            token
            for token in find_tokens(judged_parts, static_paths=static_paths)
            if not (token.where.startswith("query:") and token.where[6:] in not_tokens)
        )

        item_parameters = item_link_parameters(judged_parts) if link and not tracking_host else None
        if item_parameters is not None:
            # A share link's or parcel page's ids (its path and the host's own id parameters)
            # name the file or parcel, not the reader. Other parameters and addresses still count.
            tokens = tuple(
                token
                for token in tokens
                if token.where.startswith("query:") and token.where[6:].lower() not in item_parameters
            )
            recipient_parameters = [
                (name, value) for name, value in recipient_parameters if name.lower() not in item_parameters
            ]

        # Only the judged URL is searched: a proxy or security wrapper around it belongs to
        # the recipient's own provider, which already has the address.
        leaks = () if judged in self._leak_free else self.matcher.find(judged)
        if leaks:
            leaks = tuple(
                leak
                for leak in leaks
                if not _names_own_account(leak, judged_parts, link, self.senders)
                and not (link and _inside_message_id(leak, judged))
            )
        address = None if leaks or ("@" not in judged and len(judged) < 40) else find_address(judged)

        blocklist = self.options.blocklist
        rules = self.options.parameter_rules
        return _UrlFacts(
            parts=judged_parts,
            vendors=vendors,
            tokens=tokens,
            recipient_parameters=recipient_parameters,
            destination=_unwrap.embedded_destination(judged),
            leaks=leaks,
            address=address,
            blocklist_match=blocklist.match(judged_parts, link=link) if blocklist is not None else None,
            listed_parameters=(
                rules.tracking_parameters(judged, [name for name, _value in params]) if rules and params else []
            ),
        )

    def _follow_link(self, reference: Reference, findings: list[Finding]) -> tuple[str | None, list[Hop]]:
        """Return the first URL of a link that is not a wrapper, and the link's hops.

        Wrappers in front (security gateways, provider redirects, shorteners) become
        informational ``redirect`` findings. When the link is nothing but an opaque wrapper
        (a Mimecast or shortener link whose destination cannot be read offline) the URL to
        judge is None.
        """
        chain = _unwrap.unwrap_chain(reference.url)
        if len(chain) == 1 and chain[0][1] is None:
            # Nothing wraps the link: no hops to name, and the URL itself is judged.
            return chain[0][0], []
        hops: list[Hop] = []
        judged: str | None = None
        for position, (url, step) in enumerate(chain):
            parts = split_url(url)
            vendor_names = self._vendor_names(self.index.match(parts)) if parts else []
            via = ""
            if isinstance(step, _unwrap.Wrapper):
                via = f"{step.kind}:{step.name}"
            elif step is not None:
                via = step.where
            if isinstance(step, _unwrap.Wrapper):
                hops.append(Hop(url, step.name, via))
            else:
                hops.append(Hop(url, vendor_names[0] if vendor_names else None, via))
            if (
                judged is None
                and isinstance(step, _unwrap.Wrapper)
                and not self.sender_domains.intersection(step.owners)
            ):
                # A link to a proxied image (common in forwarded mail) points at the
                # provider's copy: the original is judged, and the proxy is only a hop.
                if step.kind != _unwrap.IMAGE_PROXY and self.options.rule_enabled(SECURITY_WRAPPER.code):
                    findings.append(self._redirect_finding(reference, url, step, chain, position))
                continue
            if judged is None:
                judged = url
        return judged, hops if len(hops) > 1 else []

    def _redirect_finding(
        self,
        reference: Reference,
        url: str,
        wrapper: _unwrap.Wrapper,
        chain: Sequence[tuple[str, object]],
        position: int,
    ) -> Finding:
        inner = wrapper.inner
        evidence = f"{wrapper.name} ({wrapper.kind.replace('_', ' ')})" + (
            "" if inner else ", destination not recoverable offline"
        )
        hit = RuleHit(SECURITY_WRAPPER.code, SECURITY_WRAPPER.name, evidence, SECURITY_WRAPPER.weight)
        final = chain[-1][0] if len(chain) > position + 1 else None
        return Finding(
            kind=Kind.REDIRECT,
            url=url,
            confidence=Confidence.HIGH,
            score=0.0,
            rules=(hit,),
            location=_location(reference),
            vendor=wrapper.name,
            vendors=(wrapper.name,),
            destination=final,
            explanation=explanation_code(Kind.REDIRECT, None),
            link_text=reference.link_text,
        )

    @staticmethod
    def _vendor_names(matches: Sequence[VendorMatch]) -> list[str]:
        names: list[str] = []
        for match in matches:
            if match.role != "content" and match.vendor.name not in names:
                names.append(match.vendor.name)
        return names

    def _decide(self, subject: Subject, hits: list[RuleHit], hops: list[Hop]) -> Finding | None:
        reference = subject.reference
        codes = {hit.code for hit in hits}
        if reference.role == "resource":
            kind, confidence = _judge_resource(subject, codes)
        else:
            kind, confidence = _judge_link(subject, codes, lambda: self._link_purpose(subject))
        if kind is None or not hits:
            # A finding always shows the rule behind it, so ignoring every rule that fired
            # (TD801 for plain remote content) drops the finding.
            return None
        if kind is Kind.REMOTE_CONTENT and not self.options.include_remote_content:
            return None

        vendor_names = self._vendor_names(subject.vendors)
        if subject.blocklist_match and not vendor_names and self.options.blocklist is not None:
            vendor_names.append(f"listed in {self.options.blocklist.name}")
        for hop in hops:
            # Wrappers and proxies act for the recipient's side, so they are never the tracker.
            if hop.vendor and hop.vendor not in vendor_names and not hop.via.startswith(_WRAPPER_KINDS):
                vendor_names.append(hop.vendor)

        score = round(sum((hit.weight for hit in hits), 0.0), 1)
        destination = None
        if reference.role != "resource":
            if hops:
                destination = hops[-1].url if hops[-1].url != subject.url else None
            elif subject.destination is not None:
                destination = subject.destination.url

        primary = next((m.vendor for m in subject.vendors if m.role != "content"), None)
        category = primary.category if primary is not None else None
        if kind is Kind.TRACKED_LINK and category is None and not hops and not codes & _REDIRECT_CODES:
            # No redirect shows, so it is the page the link opens that learns from its ids who clicked.
            category = "direct"
        return Finding(
            kind=kind,
            url=subject.url,
            confidence=confidence,
            score=score,
            rules=tuple(hits),
            location=_location(reference),
            vendor=vendor_names[0] if vendor_names else None,
            vendors=tuple(vendor_names),
            destination=destination,
            event=reference.event,
            explanation=explanation_code(kind, category, reference.event),
            hops=tuple(hops),
            link_text=reference.link_text,
        )

    def _leak_findings(self, subject: Subject, tracked: bool = False) -> list[Finding]:
        if not subject.leaks or not self.options.rule_enabled("TD701"):
            return []
        # An unsubscribe, preference or action link carries the address because it must, so
        # the leak is shown as possible tracking. Decided once for all the leaks of the URL.
        functional = subject.reference.role != "resource" and not tracked and self._link_purpose(subject) is not None
        findings = []
        seen: set[tuple[str, str]] = set()
        for leak in subject.leaks:
            key = (leak.address, leak.encoding)
            if key in seen:
                continue
            seen.add(key)
            findings.append(self._leak_finding(subject, leak, functional))
        return findings

    def _leak_finding(self, subject: Subject, leak: LeakMatch, functional: bool) -> Finding:
        rule = next(r for r in RULES if r.code == "TD701")
        hit = RuleHit(rule.code, rule.name, f"{leak.encoding} address in {leak.position}", rule.weight)
        vendor_names = self._vendor_names(subject.vendors)
        return Finding(
            kind=Kind.RECIPIENT_LEAK,
            url=subject.url,
            confidence=Confidence.LOW if functional else Confidence.HIGH,
            score=rule.weight,
            rules=(hit,),
            location=_location(subject.reference),
            vendor=vendor_names[0] if vendor_names else None,
            vendors=tuple(vendor_names),
            explanation=explanation_code(Kind.RECIPIENT_LEAK, None),
            leak=Leak(leak.address, leak.encoding, leak.position, subject.parts.domain),
            link_text=subject.reference.link_text,
        )


def _judged_key(reference: Reference) -> tuple[object, ...]:
    """Return every field of a reference that the rules may read: all but its part and index."""
    return (
        reference.url,
        reference.element,
        reference.attribute,
        reference.role,
        reference.width,
        reference.height,
        reference.hidden,
        reference.event,
        reference.link_text,
        reference.context,
        reference.classes,
        reference.declared,
    )


def _folder(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[0]


def _static_path_search(reference: Reference, visible_folders: set[str]) -> str:
    """Return how much of a static file's path may hold a recipient token, for ``find_tokens``.

    A tiny image, or a hidden one, is not content, so its whole path counts, unless it is a
    responsive copy: a hidden image from the same folder as a visible one. A resource that
    loads on an event counts by its folders.
    """
    if reference.role != "resource":
        return "none"
    if any(size is not None and size <= 1 for size in (reference.width, reference.height)):
        return "all"
    if reference.hidden:
        return "none" if _folder(reference.url) in visible_folders else "all"
    return "folders" if reference.event else "none"


def _location(reference: Reference) -> Location:
    return Location(reference.part, reference.element, reference.attribute, reference.index, reference.context)


def _is_spacer(subject: Subject, codes: set[str]) -> bool:
    """Return whether a tiny image is a static layout spacer rather than a pixel.

    A spacer carries no identifier: no token, no tracking parameter, no address, no vendor
    tracking shape and no query string. It is a static image file, or reused, or named like
    a spacer (``spacer.gif``, ``transparent.png``).
    """
    if codes & (_IDENTIFIER_RULES | {"TD301", "TD302", "TD304", "TD501"}):
        return False
    parts = subject.parts
    if parts.query:
        return False
    if subject.url_count >= 2 or _SPACER_NAME.search(parts.path) or IMAGE_FILE.search(parts.path):
        return True
    # Without digits in its path a URL cannot number the recipient or the mailing.
    return not any(char.isdigit() for char in parts.path)


def _judge_resource(subject: Subject, codes: set[str]) -> tuple[Kind | None, Confidence]:
    """Decide what a fetched resource is from the rules that fired on it."""
    identifier = bool(codes & _IDENTIFIER_RULES)
    vendor_tracking = bool(codes & {"TD302", "TD304"})
    tiny = "TD101" in codes
    hidden = "TD201" in codes
    words = "TD401" in codes
    redirect = "TD501" in codes and identifier
    reference = subject.reference
    category = next((m.vendor.category for m in subject.vendors if m.role != "content"), None)
    visible = any(size is not None and size >= _VISIBLE_SIZE for size in (reference.width, reference.height))

    if subject.is_vendor_content and "TD301" not in codes:
        # A vendor's own hosted content (logos, campaign images) is never its pixel.
        return Kind.REMOTE_CONTENT, Confidence.LOW
    if "TD301" in codes:
        if visible and category == "ad_network":
            # An ad server's impression URL on a full-size image is an ad that also counts opens.
            return Kind.TRACKED_IMAGE, Confidence.HIGH
        return Kind.PIXEL, Confidence.HIGH
    preload = reference.element == "link" and reference.attribute != "imagesrcset"
    if preload or _FONT_OR_STYLE.match(reference.attribute):
        # Fonts and style sheets report an open too, but only an identifier makes them a tracker.
        if codes & {"TD404", "TD701"} or (identifier and vendor_tracking):
            return Kind.PIXEL, Confidence.MEDIUM
        return Kind.REMOTE_CONTENT, Confidence.LOW
    if "TD202" in codes:
        if identifier or vendor_tracking:
            return Kind.PIXEL, Confidence.HIGH
        if reference.event == "hover":
            return Kind.REMOTE_CONTENT, Confidence.LOW
        # A static print or forward image still reveals to its server that the event happened,
        # but not who caused it. It is reported without deciding the verdict.
        return Kind.PIXEL, Confidence.LOW
    if tiny and not _is_spacer(subject, codes):
        strong = identifier or vendor_tracking or words or hidden
        return Kind.PIXEL, Confidence.HIGH if strong else Confidence.MEDIUM
    if hidden and (identifier or vendor_tracking or words):
        return Kind.PIXEL, Confidence.HIGH if (vendor_tracking or "TD404" in codes) else Confidence.MEDIUM
    if words and (identifier or vendor_tracking):
        return Kind.PIXEL, Confidence.MEDIUM
    if redirect:
        return Kind.PIXEL, Confidence.MEDIUM
    if vendor_tracking and category in ("ad_network", "analytics", "deliverability"):
        return Kind.PIXEL, Confidence.MEDIUM
    if identifier:
        explicit = bool(codes & {"TD404", "TD701"})
        return Kind.TRACKED_IMAGE, Confidence.MEDIUM if explicit else Confidence.LOW
    # A visible image on a tracker's host but without an identifier: the host learns of the
    # opening, not who opened. It is remote content, with the vendor named.
    return Kind.REMOTE_CONTENT, Confidence.LOW


# Every code after the unsubscribe test below that can make a link tracked.
_LINK_TRACKING_CODES = frozenset({"TD302", "TD304", "TD402", "TD404", "TD501", "TD502", "TD701", "TD702"})


def _text_purpose(text: str | None) -> str | None:
    """Return ``preference`` or ``action`` for link text that marks such a link, else None."""
    if not text:
        return None
    if _UNSUBSCRIBE.search(text) or _PREFERENCE_TEXT.search(text):
        return "preference"
    return "action" if _ACTION_TEXT.fullmatch(text) else None


def _judge_link(
    subject: Subject, codes: set[str], purpose: Callable[[], str | None] | None = None
) -> tuple[Kind | None, Confidence]:
    """Decide whether a link is tracked from the rules that fired on it."""
    if "TD303" in codes or "TD505" in codes:
        return Kind.TRACKED_LINK, Confidence.HIGH
    if not codes & _LINK_TRACKING_CODES:
        return None, Confidence.LOW
    found_purpose = purpose() if purpose is not None else None
    if found_purpose == "preference":
        # Unsubscribe and preference links must identify the reader to work at all.
        return None, Confidence.LOW
    if found_purpose == "action":
        # So must an action link, but its text is the sender's word, so it stays in view.
        return Kind.TRACKED_LINK, Confidence.LOW
    if codes & {"TD404", "TD701"}:
        return Kind.TRACKED_LINK, Confidence.HIGH
    if "TD702" in codes:
        return Kind.TRACKED_LINK, Confidence.MEDIUM
    if codes & {"TD302", "TD304"} and not subject.is_vendor_content:
        identifier = "TD402" in codes or "TD501" in codes
        return Kind.TRACKED_LINK, Confidence.HIGH if identifier else Confidence.MEDIUM
    if "TD502" in codes:
        return Kind.TRACKED_LINK, Confidence.MEDIUM
    if "TD501" in codes and "TD402" in codes:
        return Kind.TRACKED_LINK, Confidence.MEDIUM
    if "TD501" in codes or "TD402" in codes:
        return Kind.TRACKED_LINK, Confidence.LOW
    return None, Confidence.LOW


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Keep the first finding of each (kind, URL, leak) so repeated links are reported once."""
    seen: set[tuple[str, str, str, str]] = set()
    kept = []
    for finding in findings:
        leak_key = f"{finding.leak.address}|{finding.leak.encoding}" if finding.leak else ""
        key = (
            finding.kind.value,
            finding.url,
            leak_key,
            finding.location.attribute if finding.kind is Kind.READ_RECEIPT else "",
        )
        if key in seen:
            continue
        seen.add(key)
        kept.append(finding)
    return kept


def _dedupe_defects(defects: list[Defect]) -> list[Defect]:
    seen: set[tuple[str, str, str | None]] = set()
    kept = []
    for defect in defects:
        key = (defect.code, defect.message, defect.part)
        if key not in seen:
            seen.add(key)
            kept.append(defect)
    return kept[:200]


#: Charsets whose codecs mail commonly names; ``preload()`` imports them ahead of time.
PRELOADED_CHARSETS = (
    "utf-8",
    "utf-16",
    "utf-32",
    "ascii",
    "latin-1",
    "cp1250",
    "cp1251",
    "cp1252",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "cp874",
    "cp932",
    "cp949",
    "cp950",
    "iso8859-2",
    "iso8859-3",
    "iso8859-4",
    "iso8859-5",
    "iso8859-6",
    "iso8859-7",
    "iso8859-8",
    "iso8859-9",
    "iso8859-10",
    "iso8859-13",
    "iso8859-14",
    "iso8859-15",
    "iso8859-16",
    "koi8-r",
    "koi8-u",
    "mac-roman",
    "shift_jis",
    "euc-jp",
    "iso2022-jp",
    "gbk",
    "gb2312",
    "gb18030",
    "big5",
    "big5hkscs",
    "euc-kr",
    "iso2022-kr",
    "hz",
    "tis-620",
    "utf-7",
    "punycode",
    "quopri",
    "base64",
)


def preload() -> None:
    """Import every module ``detect()`` may need later, so that no call reads a file.

    ``detect()`` never reads data files, opens sockets or writes caches. To keep the import
    fast, it does import a few modules on first need: Pillow for the size of an embedded
    image, BeautifulSoup with lxml for very tag-heavy HTML, and the codec of a charset it
    has not met before. A sandboxed process that must not touch the disk after start-up
    calls ``preload()`` once; afterwards ``detect()`` opens no file at all.
    """
    import codecs
    import encodings
    import pkgutil

    from . import _mime

    # Every codec module of the standard library, not only the common ones: a message may
    # name any charset, and the first lookup of a codec imports its module.
    modules = [module.name for module in pkgutil.iter_modules(encodings.__path__)]
    for charset in (*PRELOADED_CHARSETS, *modules):
        try:
            codecs.lookup(charset)
        except (LookupError, ImportError):
            continue
    _mime.forbid_codec_imports()
    _mime.image_dimensions(_TINY_GIF, "", _mime.ParsedMessage())
    from PIL import Image

    # Pillow imports only its common format plugins at first. An image that none of them
    # reads (a truncated JPEG, a TIFF) makes it import all the others.
    Image.init()
    from bs4 import BeautifulSoup

    BeautifulSoup("<p>x</p>", "lxml")


_TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def clear_caches() -> None:
    """Empty the per-process caches of URL analysis (used by the benchmark for cold timings)."""
    from . import _css, _leaks, _urls

    for cached in (
        _css.read_stylesheet,
        _css._cached_box_facts,
        _css._cached_style_references,
        _matcher_for,
        _unwrap.unwrap,
        _unwrap.embedded_destination,
        _unwrap.unwrap_chain,
        _urls.split_url,
        _urls.registered_domain,
        _urls.find_address,
        _urls.is_opaque_token,
        _urls.find_tokens,
        _urls.parse_query,
        _leaks._address_needles,
        _leaks._hex_needles,
    ):
        cached.cache_clear()
