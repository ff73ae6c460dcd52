"""Classify URL query parameters as campaign tags, recipient identifiers or signatures.

`classify_parameter` reads one parameter. `clean_url` removes campaign and
recipient-id parameters from a URL, but leaves a signed URL alone because
removing anything from it would break the signature check at the server.

The known names live in `_RULES`, one row per parameter with the vendor that
uses it. Names are compared case-insensitively. A parameter that no row names
is still a recipient identifier when its value is a long, random-looking token.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from ._lists import ParameterRules

logger = logging.getLogger(__name__)

__all__ = ["CleanResult", "ParamClass", "classify_parameter", "clean_url"]

# Bounds that keep the work on hostile input small.
_MAX_URL_CHARS = 32_768
_MAX_PARAMS = 512
_MAX_CLEAN_PASSES = 8
_MAX_NAME_CHARS = 256
_MAX_VALUE_CHARS = 4_096
_MAX_SCORED_CHARS = 512

# A value under any name counts as an opaque token at this length and above.
_MIN_OPAQUE_CHARS = 20
_MIN_OPAQUE_BITS_PER_CHAR = 3.0
_MIN_CLASS_CHANGES_PER_CHAR = 0.2
_MIN_IDENTIFIER_CHARS = 6


class ParamClass(str, Enum):
    """Kind of data that a query parameter carries."""

    CAMPAIGN = "campaign"
    """A campaign, source or ad-click tag that is the same for every recipient."""
    RECIPIENT_ID = "recipient_id"
    """A value that identifies the recipient, the message sent to them or their browser."""
    SIGNATURE = "signature"
    """A signature or key over the URL: removing any parameter breaks the link."""


class _When(str, Enum):
    """When a named parameter counts, judged from its value."""

    ALWAYS = "always"
    IDENTIFIER = "identifier"  # an address, or a token of letters and digits
    OPAQUE = "opaque"  # a long random-looking token


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    """The parameter name in lower case, or a prefix when it ends with "*"."""
    param_class: ParamClass
    vendor: str
    when: _When = _When.ALWAYS


_C = ParamClass.CAMPAIGN
_R = ParamClass.RECIPIENT_ID
_S = ParamClass.SIGNATURE

# Names come from the ClearURLs rule catalogue (its globalRules list) and from links
# in real newsletters.
_RULES: tuple[_Rule, ...] = (
    # Campaign tags: the same value for every recipient of a campaign.
    _Rule("utm_*", _C, "UTM tags (Google Analytics and most mail platforms)"),
    _Rule("mtm_*", _C, "Matomo"),
    _Rule("pk_campaign", _C, "Matomo (Piwik tags)"),
    _Rule("pk_kwd", _C, "Matomo (Piwik tags)"),
    _Rule("pk_keyword", _C, "Matomo (Piwik tags)"),
    _Rule("pk_source", _C, "Matomo (Piwik tags)"),
    _Rule("pk_medium", _C, "Matomo (Piwik tags)"),
    _Rule("pk_content", _C, "Matomo (Piwik tags)"),
    _Rule("ga_*", _C, "Google Analytics (legacy campaign tags)"),
    _Rule("gclid", _C, "Google Ads click id"),
    _Rule("gclsrc", _C, "Google Ads click source"),
    _Rule("gbraid", _C, "Google Ads click id (apps)"),
    _Rule("wbraid", _C, "Google Ads click id (web to app)"),
    _Rule("dclid", _C, "Google Display & Video 360 (DoubleClick) click id"),
    _Rule("srsltid", _C, "Google Merchant Center"),
    _Rule("fbclid", _C, "Meta (Facebook) click id"),
    _Rule("igshid", _C, "Instagram share id"),
    _Rule("igsh", _C, "Instagram share id"),
    _Rule("msclkid", _C, "Microsoft Advertising click id"),
    _Rule("twclid", _C, "X (Twitter) Ads click id"),
    _Rule("ttclid", _C, "TikTok Ads click id"),
    _Rule("yclid", _C, "Yandex Direct click id"),
    _Rule("_openstat", _C, "Openstat (Yandex)"),
    _Rule("mc_cid", _C, "Mailchimp campaign id"),
    _Rule("mc_tc", _C, "Mailchimp"),
    _Rule("hsa_*", _C, "HubSpot ads"),
    _Rule("hsctatracking", _C, "HubSpot call-to-action"),
    _Rule("s_cid", _C, "Adobe Analytics campaign id"),
    _Rule("cmpid", _C, "campaign id used by several senders"),
    _Rule("cm_mmc", _C, "IBM Digital Analytics (Coremetrics) marketing programs"),
    _Rule("wt_mc", _C, "Mapp Intelligence (Webtrekk)"),
    _Rule("wt_zmc", _C, "Mapp Intelligence (Webtrekk)"),
    _Rule("at_medium", _C, "Piano Analytics (AT Internet)"),
    _Rule("at_campaign", _C, "Piano Analytics (AT Internet)"),
    _Rule("elqcampaignid", _C, "Oracle Eloqua"),
    _Rule("elqaid", _C, "Oracle Eloqua asset id"),
    _Rule("elqat", _C, "Oracle Eloqua asset type"),
    _Rule("mi_ecmp", _C, "Movable Ink"),
    _Rule("ss_source", _C, "Squarespace Email Campaigns"),
    _Rule("ss_campaign_id", _C, "Squarespace Email Campaigns"),
    _Rule("ss_campaign_name", _C, "Squarespace Email Campaigns"),
    _Rule("ss_campaign_sent_date", _C, "Squarespace Email Campaigns"),
    _Rule("itm_campaign", _C, "internal promotion tags (several sites)"),
    _Rule("itm_medium", _C, "internal promotion tags (several sites)"),
    _Rule("itm_source", _C, "internal promotion tags (several sites)"),
    _Rule("trk", _C, "LinkedIn"),
    _Rule("trkcampaign", _C, "LinkedIn"),
    _Rule("ref_src", _C, "X (Twitter)"),
    # NOTE: on code hosts (GitHub, GitLab) "ref" names a git branch or tag, and
    # removing it changes the page. This table cannot tell the two uses apart.
    _Rule("ref", _C, "referral tag (several senders)"),
    _Rule("referrer", _C, "referral tag (several senders)"),
    _Rule("spm", _C, "Alibaba"),
    _Rule("echobox", _C, "Echobox"),
    # Recipient identifiers: a different value for every recipient, message or browser.
    _Rule("mc_eid", _R, "Mailchimp subscriber id"),
    _Rule("_hsenc", _R, "HubSpot"),
    _Rule("_hsmi", _R, "HubSpot message id"),
    _Rule("__hstc", _R, "HubSpot visitor cookie"),
    _Rule("__hssc", _R, "HubSpot session cookie"),
    _Rule("__hsfp", _R, "HubSpot browser fingerprint"),
    _Rule("mkt_tok", _R, "Marketo (Adobe)"),
    _Rule("vero_id", _R, "Vero"),
    _Rule("vero_conv", _R, "Vero"),
    _Rule("oly_enc_id", _R, "Omeda (Olytics)"),
    _Rule("oly_anon_id", _R, "Omeda (Olytics)"),
    _Rule("ck_subscriber_id", _R, "Kit (ConvertKit)"),
    _Rule("_ke", _R, "Klaviyo"),
    _Rule("_kx", _R, "Klaviyo"),
    _Rule("_e", _R, "Iterable", _When.OPAQUE),
    _Rule("ml_subscriber", _R, "MailerLite"),
    _Rule("ml_subscriber_hash", _R, "MailerLite"),
    _Rule("__s", _R, "Drip subscriber id"),
    _Rule("wickedid", _R, "Wicked Reports"),
    _Rule("_branch_match_id", _R, "Branch"),
    _Rule("_bta_tid", _R, "Bronto (Oracle)"),
    _Rule("elqtrackid", _R, "Oracle Eloqua"),
    _Rule("elq", _R, "Oracle Eloqua recipient id", _When.IDENTIFIER),
    _Rule("mi_u", _R, "Movable Ink", _When.IDENTIFIER),
    _Rule("at_recipient_id", _R, "Piano Analytics (AT Internet)"),
    _Rule("li_fat_id", _R, "LinkedIn member id for ad tracking"),
    _Rule("_ga", _R, "Google Analytics client id (cross-domain linker)"),
    _Rule("_gl", _R, "Google Analytics client id (cross-domain linker)"),
    _Rule("sc_uid", _R, "mail platforms (vendor not identified)", _When.IDENTIFIER),
    _Rule("uid", _R, "generic", _When.IDENTIFIER),
    _Rule("userid", _R, "generic", _When.IDENTIFIER),
    _Rule("user_id", _R, "generic", _When.IDENTIFIER),
    _Rule("subscriber_id", _R, "generic", _When.IDENTIFIER),
    _Rule("subscriberid", _R, "generic", _When.IDENTIFIER),
    _Rule("sub_id", _R, "generic", _When.IDENTIFIER),
    _Rule("contact_id", _R, "generic", _When.IDENTIFIER),
    _Rule("rid", _R, "generic", _When.IDENTIFIER),
    _Rule("recipient_id", _R, "generic", _When.IDENTIFIER),
    _Rule("recipient", _R, "generic", _When.IDENTIFIER),
    _Rule("email", _R, "generic", _When.IDENTIFIER),
    _Rule("e", _R, "generic", _When.IDENTIFIER),
    _Rule("em", _R, "generic", _When.IDENTIFIER),
    # Signatures: the server checks them against the rest of the URL.
    _Rule("sig", _S, "Azure Storage SAS, Yahoo Mail image proxy, many signed links"),
    _Rule("signature", _S, "Amazon CloudFront, Amazon S3 (signature version 2), Google Cloud Storage"),
    _Rule("x-amz-signature", _S, "Amazon S3 (signature version 4)"),
    _Rule("x-goog-signature", _S, "Google Cloud Storage (V4 signing)"),
    _Rule("key-pair-id", _S, "Amazon CloudFront signed URL"),
    _Rule("hmac", _S, "Shopify"),
    _Rule("sdata", _S, "Microsoft Safe Links"),
    _Rule("usg", _S, "Google redirect (signs the destination)"),
    _Rule("hash", _S, "signed links of several senders", _When.OPAQUE),
)

_EXACT_RULES = {rule.name: rule for rule in _RULES if not rule.name.endswith("*")}
_PREFIX_RULES = tuple(rule for rule in _RULES if rule.name.endswith("*"))

# Parameters whose value is a credential the link needs to work (a password reset,
# a login, an invitation). A long token under one of these names is not reported
# as tracking, so clean_url keeps it.
_CREDENTIAL_NAMES = frozenset(
    {
        "access_token",
        "auth",
        "code",
        "confirmation_token",
        "csrf_token",
        "id_token",
        "invite",
        "invite_token",
        "key",
        "nonce",
        "otp",
        "reset_token",
        "session",
        "state",
        "ticket",
        "token",
    }
)

# A merge tag the sending platform never filled in ("*|UNIQID|*", "{{ contact.id }}",
# "%%emailaddr%%", a bare "UNIQID"): every recipient gets the same text, so it identifies no
# one. A tag contains a name, so an id inside braces ("{{8f3a91d0c2}}") is still an id.
_TAG_NAME = r"\s*[A-Za-z_][\w.\-]*\s*"
_UNFILLED_MERGE_TAG = re.compile(
    rf"\*\|{_TAG_NAME}\|\*|\{{\{{{_TAG_NAME}\}}\}}|\{{%{_TAG_NAME}%\}}|%%{_TAG_NAME}%%|\[\[?{_TAG_NAME}\]\]?|"
    rf"\$\{{{_TAG_NAME}\}}|<%=?{_TAG_NAME}%>|\{{{_TAG_NAME}\}}|[$#%][A-Za-z_]+[$#%]|"
    r"(?i:uniqid|e?mail|email_?addr(?:ess)?|subscriber_?id|contact_?id|user_?id|recipient_?id)"
)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=%")


def _char_class(char: str) -> int:
    if char.isdigit():
        return 0
    if char.islower():
        return 1
    if char.isupper():
        return 2
    return 3


def _bits_per_char(text: str) -> float:
    """Return the Shannon entropy of the character distribution of `text`."""
    counts = Counter(text)
    total = len(text)
    return -sum(count / total * math.log2(count / total) for count in counts.values())


def _looks_opaque(value: str) -> bool:
    """Return whether `value` is a long token of mixed letters and digits that looks random.

    Words joined by separators ("summer_sale_2024_final") change character class
    rarely, and random tokens change it often. Class changes per character
    therefore separate the two better than entropy alone.
    """
    if len(value) < _MIN_OPAQUE_CHARS or value.lower().startswith(("http:", "https:")):
        return False
    sample = value[:_MAX_SCORED_CHARS]
    if any(char not in _TOKEN_CHARS for char in sample):
        return False
    classes = [_char_class(char) for char in sample if char.isalnum()]
    if len(set(classes)) < 2:
        return False
    changes = sum(1 for left, right in itertools.pairwise(classes) if left != right)
    return changes >= _MIN_CLASS_CHANGES_PER_CHAR * len(sample) and _bits_per_char(sample) >= _MIN_OPAQUE_BITS_PER_CHAR


def _looks_like_address(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain and " " not in value and len(value) <= 254)


def _decodes_to_address(value: str) -> bool:
    stripped = value.rstrip("=")
    if len(stripped) < 8 or any(char not in _TOKEN_CHARS for char in stripped):
        return False
    standard = stripped.replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return _looks_like_address(decoded.decode("utf-8", errors="replace"))


def _looks_like_identifier(value: str) -> bool:
    """Return whether `value` is an address, an encoded address or an id with digits."""
    if _looks_like_address(value) or _decodes_to_address(value):
        return True
    if len(value) < _MIN_IDENTIFIER_CHARS or any(char not in _TOKEN_CHARS for char in value):
        return False
    return any(char.isdigit() for char in value) or _looks_opaque(value)


def _rule_for(name: str) -> _Rule | None:
    rule = _EXACT_RULES.get(name)
    if rule is not None:
        return rule
    for prefix_rule in _PREFIX_RULES:
        if name.startswith(prefix_rule.name[:-1]):
            return prefix_rule
    return None


def classify_parameter(name: str, value: str) -> ParamClass | None:
    """Classify one query parameter from its decoded name and decoded value.

    Known names are looked up in the vendor table. Some of them count only when the
    value fits (for example ``e`` or ``uid`` only when the value is an address or an
    id with digits). Any other name whose value is a long random-looking token
    (20 characters or more, mixed letters and digits) is a recipient identifier,
    unless the name is one that links use for credentials, such as ``token`` or
    ``code``. Returns None for anything else. Never raises.
    """
    if not isinstance(name, str) or not isinstance(value, str):
        return None
    key = name.strip().lower()[:_MAX_NAME_CHARS]
    sample = value.strip()[:_MAX_VALUE_CHARS]
    rule = _rule_for(key)
    if rule is not None:
        return _class_by_rule(rule, sample)
    if key in _CREDENTIAL_NAMES:
        return None
    # NOTE: judged from one value alone, so a long account or list id that is the
    # same for every recipient (Mailchimp's "u") counts as a recipient id, and a
    # short per-recipient token ("s=zVyFum2") does not.
    return ParamClass.RECIPIENT_ID if _looks_opaque(sample) else None


def known_parameter_class(name: str, value: str) -> ParamClass | None:
    """Classify a parameter only by the table of known names, without the opaque-value fallback."""
    if not isinstance(name, str) or not isinstance(value, str):
        return None
    rule = _rule_for(name.strip().lower()[:_MAX_NAME_CHARS])
    if rule is None:
        return None
    return _class_by_rule(rule, value.strip()[:_MAX_VALUE_CHARS])


def _class_by_rule(rule: _Rule, sample: str) -> ParamClass | None:
    """Return the class a known name's rule gives to this value, or None if the value does not fit."""
    if rule.param_class is ParamClass.RECIPIENT_ID and _UNFILLED_MERGE_TAG.fullmatch(sample):
        return None
    if rule.when is _When.ALWAYS:
        return rule.param_class
    if rule.when is _When.IDENTIFIER:
        return rule.param_class if _looks_like_identifier(sample) else None
    return rule.param_class if _looks_opaque(sample) else None


@dataclass(frozen=True, slots=True)
class CleanResult:
    """The outcome of `clean_url`."""

    url: str
    """The cleaned URL, or the input unchanged when cleaning was refused."""
    removed: tuple[str, ...]
    """The decoded names of the removed parameters, in URL order."""
    refused: str | None
    """The reason nothing was removed, or None when cleaning was allowed."""


_Piece = tuple[str, str, "ParamClass | None"]
"""A raw ``name=value`` piece of a query, its decoded name and its class."""


def _classify_pieces(query: str, listed: frozenset[str] = frozenset()) -> list[_Piece]:
    pieces: list[_Piece] = []
    for piece in query.split("&") if query else ():
        raw_name, _, raw_value = piece.partition("=")
        # A stray "?" before a name ("...&?utm_source=x") is a common slip in tracking links;
        # the parameter is still the same one.
        name = unquote(raw_name).lstrip("?")
        param_class = classify_parameter(name, unquote(raw_value))
        if param_class is None and name in listed:
            param_class = ParamClass.CAMPAIGN
        pieces.append((piece, name, param_class))
    return pieces


def _split_fragment(fragment: str) -> tuple[str, str]:
    """Split a fragment into the prefix to keep and its query-like part, which may be ""."""
    route, question, query = fragment.partition("?")
    if question and "=" not in route:
        return route + "?", query
    first_name = fragment.partition("&")[0].partition("=")[0]
    if "=" in fragment and first_name and "/" not in first_name:
        return "", fragment
    return fragment, ""


def _remove_tracking(pieces: list[_Piece], removed: list[str]) -> str:
    """Join the pieces that are not campaign or recipient-id parameters, recording the others."""
    kept = []
    for piece, name, param_class in pieces:
        if param_class in (ParamClass.CAMPAIGN, ParamClass.RECIPIENT_ID):
            removed.append(name)
        else:
            kept.append(piece)
    return "&".join(kept)


def clean_url(url: str, rules: ParameterRules | None = None) -> CleanResult:
    """Remove campaign and recipient-id parameters from `url`.

    ``rules`` adds tracking-parameter rules in the ClearURLs format (see
    ``trackdetect.parse_clearurls``); the parameters they list for this URL are removed too.

    Parameters are removed from the query and from a fragment that contains a query
    (``#utm_source=x`` or ``#/route?utm_source=x``). Every other parameter keeps
    its place and its exact encoding: nothing kept is decoded or re-encoded. An
    emptied query or fragment loses its "?" or "#". When a parameter signs the URL,
    nothing is removed and `refused` names it. Never raises.
    """
    if not isinstance(url, str):
        return CleanResult(str(url), (), "not a string")
    result = _clean_once(url, rules)
    removed = list(result.removed)
    # Removing the first parameter of a fragment can leave text that reads as a route and a
    # query ("#utm_=&0?utm_x" becomes "#0?utm_x"), so the result is cleaned again until
    # nothing more goes. Each pass removes a parameter, so a few passes are enough.
    for _ in range(_MAX_CLEAN_PASSES):
        if not result.removed:
            break
        again = _clean_once(result.url, rules)
        if not again.removed:
            break
        removed.extend(again.removed)
        result = again
    return CleanResult(result.url, tuple(removed), result.refused)


def _clean_once(url: str, rules: ParameterRules | None) -> CleanResult:
    if len(url) > _MAX_URL_CHARS:
        return CleanResult(url, (), f"URL longer than {_MAX_URL_CHARS} characters")
    head, hash_sign, fragment = url.partition("#")
    base, question, query = head.partition("?")
    fragment_prefix, fragment_query = _split_fragment(fragment)
    if query.count("&") + fragment_query.count("&") + 2 > _MAX_PARAMS:
        return CleanResult(url, (), f"more than {_MAX_PARAMS} parameters")

    listed: frozenset[str] = frozenset()
    if rules is not None:
        names = [unquote(item.partition("=")[0]).lstrip("?") for item in f"{query}&{fragment_query}".split("&") if item]
        listed = frozenset(name for name, _provider in rules.tracking_parameters(url, names))
    query_pieces = _classify_pieces(query, listed)
    fragment_pieces = _classify_pieces(fragment_query, listed)
    for _, name, param_class in query_pieces + fragment_pieces:
        if param_class is ParamClass.SIGNATURE:
            return CleanResult(url, (), f"signed URL: parameter {name!r} signs the query")

    removed: list[str] = []
    new_query = _remove_tracking(query_pieces, removed)
    new_fragment_query = _remove_tracking(fragment_pieces, removed)
    if not removed:
        return CleanResult(url, (), None)

    cleaned = base + (question + new_query if new_query else "")
    if new_fragment_query:
        new_fragment = fragment_prefix + new_fragment_query
    else:
        new_fragment = fragment_prefix.removesuffix("?") if fragment_query else fragment_prefix
    if new_fragment:
        cleaned += hash_sign + new_fragment
    logger.debug("removed %d tracking parameters", len(removed))
    return CleanResult(cleaned, tuple(removed), None)
