"""Tracker vendor data: loading, validation and fast matching of URLs and headers.

The data format is documented in ``trackdetect/data/README.md``. Matching cost does not
grow with the number of vendors. Shapes tied to a domain are indexed by registered
domain, and shapes that match on any host by the first two characters of their path
prefix. A URL is therefore only tried against the few shapes that could match it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ._errors import DataError
from ._urls import UrlParts, host_matches, registered_domain
from .report import DATA_PACKAGE

logger = logging.getLogger(__name__)

CATEGORIES = frozenset(
    {
        "esp",
        "marketing_automation",
        "transactional",
        "newsletter_platform",
        "sales_engagement",
        "personal_tracker",
        "ad_network",
        "analytics",
        "deliverability",
        "customer_messaging",
        "first_party",
        "survey",
        "events",
        "ecommerce",
        "affiliate",
        "chat_notification",
    }
)
ROLES = ("content", "open", "click")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_HOST = re.compile(r"[a-z0-9*]([a-z0-9.-]{0,251}[a-z0-9])?")
# A family of registered domains that a vendor creates per customer (Marketo's "mkto-*.com"):
# a fixed start of at least three characters, then letters and digits, then a public suffix.
_DOMAIN_PATTERN = re.compile(r"([a-z0-9][a-z0-9-]{2,62})\*\.([a-z0-9-]+(?:\.[a-z0-9-]+)*)")
_SHAPE_KEYS = frozenset({"domain", "host", "prefix", "path", "query_keys", "query"})
_VENDOR_KEYS = frozenset(
    {"id", "name", "category", "domains", "open", "click", "content", "headers", "sources", "notes"}
)

#: Mail providers' own domains: never listed whole as a tracker (their subdomains may be, such
#: as a provider's separate analytics host).
PROVIDER_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "google.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "office365.com",
        "office.com",
        "microsoft.com",
        "yahoo.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "apple.com",
        "fastmail.com",
        "proton.me",
        "protonmail.com",
        "gmx.net",
        "gmx.de",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "hey.com",
        "tutanota.com",
    }
)
#: Image proxies and link wrappers of mail providers and security gateways: they fetch on the
#: reader's behalf, so neither they nor any of their subdomains is ever a tracker.
PROXY_DOMAINS = frozenset(
    {
        "googleusercontent.com",
        "yimg.com",
        "yusercontent.com",
        "fastmailusercontent.com",
        "mimecast.com",
        "pphosted.com",
        "urldefense.com",
        "proofpoint.com",
        "outlook.com",
        "office365.us",
        "cudasvc.com",
        "clicktime.symantec.com",
    }
)


@dataclass(frozen=True, slots=True)
class Shape:
    """A URL pattern; every given field must match."""

    domain: str | None = None
    host: str | None = None
    prefix: str | None = None
    path: re.Pattern[str] | None = None
    query_keys: frozenset[str] = frozenset()
    query: re.Pattern[str] | None = None

    def matches(self, parts: UrlParts, query_names: frozenset[str]) -> bool:
        if self.host is not None and parts.host != self.host:
            return False
        if self.domain is not None and not host_matches(parts.host, self.domain):
            return False
        if self.prefix is not None and not parts.path.startswith(self.prefix):
            return False
        if self.path is not None and self.path.match(parts.path) is None:
            return False
        if not self.query_keys <= query_names:
            return False
        return self.query is None or self.query.search(parts.query[:4096]) is not None

    def describe(self) -> str:
        """Return a short human-readable form for evidence."""
        pieces = []
        if self.host:
            pieces.append(self.host)
        elif self.domain:
            pieces.append(f"*.{self.domain}")
        else:
            pieces.append("any host")
        if self.prefix:
            pieces.append(self.prefix)
        if self.path is not None:
            pieces.append(f"~{self.path.pattern}")
        if self.query_keys:
            pieces.append("?" + "&".join(sorted(self.query_keys)))
        if self.query is not None:
            pieces.append(f"?~{self.query.pattern}")
        return " ".join(pieces)


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """A header that identifies a vendor as the sending platform."""

    name: str
    pattern: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class Vendor:
    """A tracking or sending service."""

    id: str
    name: str
    category: str
    domains: tuple[str, ...]
    open: tuple[Shape, ...]
    click: tuple[Shape, ...]
    content: tuple[Shape, ...]
    headers: tuple[HeaderRule, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VendorMatch:
    """A vendor that a URL belongs to, and how it matched."""

    vendor: Vendor
    role: str
    """``open``, ``click``, ``content`` (a known non-tracking asset) or ``domain`` (only the host matched)."""
    shape: Shape | None


class VendorIndex:
    """Vendors indexed for matching; build one with ``load_vendor_index``."""

    def __init__(self, vendors: Sequence[Vendor], version: str) -> None:
        self.version = version
        self.vendors = tuple(vendors)
        self._by_domain: dict[str, list[tuple[Vendor, str, Shape]]] = {}
        self._any_host: dict[str, list[tuple[Vendor, str, Shape]]] = {}
        self._owners: dict[str, list[tuple[str, Vendor]]] = {}
        self._domain_patterns: list[tuple[str, str, Vendor]] = []
        self._headers: dict[str, list[tuple[Vendor, HeaderRule]]] = {}
        self.by_id = {vendor.id: vendor for vendor in self.vendors}
        for vendor in self.vendors:
            for role in ROLES:
                for shape in getattr(vendor, role):
                    anchor = shape.host or shape.domain
                    if anchor:
                        self._by_domain.setdefault(registered_domain(anchor), []).append((vendor, role, shape))
                    else:
                        key = (shape.prefix or "/")[1:3]
                        self._any_host.setdefault(key, []).append((vendor, role, shape))
            for domain in vendor.domains:
                pattern = _DOMAIN_PATTERN.fullmatch(domain)
                if pattern is not None:
                    self._domain_patterns.append((pattern.group(1), "." + pattern.group(2), vendor))
                    continue
                self._owners.setdefault(registered_domain(domain), []).append((domain, vendor))
            for rule in vendor.headers:
                self._headers.setdefault(rule.name.lower(), []).append((vendor, rule))
        # Content shapes come first so that a vendor's logo is never mistaken for its pixel.
        order = {"content": 0, "open": 1, "click": 2}
        for entries in self._by_domain.values():
            entries.sort(key=lambda entry: order[entry[1]])
        for entries in self._any_host.values():
            entries.sort(key=lambda entry: order[entry[1]])

    def __len__(self) -> int:
        return len(self.vendors)

    def match(self, parts: UrlParts) -> list[VendorMatch]:
        """Return every vendor the URL belongs to: shape matches first, then domain owners."""
        matches: list[VendorMatch] = []
        seen: set[tuple[str, str]] = set()
        query_names = (
            frozenset(pair.split("=", 1)[0] for pair in parts.query.split("&") if pair) if parts.query else frozenset()
        )
        candidates = self._by_domain.get(parts.domain, [])
        any_host = self._any_host.get(parts.path[1:3], [])
        content_vendors: set[str] = set()
        for vendor, role, shape in (*candidates, *any_host):
            if (vendor.id, role) in seen or vendor.id in content_vendors:
                continue
            if shape.matches(parts, query_names):
                seen.add((vendor.id, role))
                if role == "content":
                    content_vendors.add(vendor.id)
                matches.append(VendorMatch(vendor, role, shape))
        owners = [
            VendorMatch(vendor, "domain", None)
            for domain, vendor in self._owners.get(parts.domain, ())
            if host_matches(parts.host, domain)
        ]
        owners.extend(
            VendorMatch(vendor, "domain", None)
            for start, suffix, vendor in self._domain_patterns
            if _in_domain_family(parts.domain, start, suffix)
        )
        owner_first = bool(matches) and _is_any_host(matches[0])
        for owner in owners:
            if any(match.vendor.id == owner.vendor.id for match in matches):
                continue
            if owner_first:
                # A shape for any host (SendGrid's /ls/click) on a host another vendor owns
                # means that vendor sends through the shape's vendor: name the owner first.
                matches.insert(0, owner)
            else:
                matches.append(owner)
        return matches

    def match_headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[Vendor, str]]:
        """Return the vendors that the headers name as the sending platform, with the header seen."""
        found: list[tuple[Vendor, str]] = []
        seen: set[str] = set()
        for name, value in headers:
            for vendor, rule in self._headers.get(name.lower(), ()):
                if vendor.id in seen:
                    continue
                if rule.pattern is None or rule.pattern.search(value[:2000]):
                    seen.add(vendor.id)
                    found.append((vendor, name))
        return found


def _in_domain_family(domain: str, start: str, suffix: str) -> bool:
    """Tell whether a registered domain is ``start``, letters and digits, then ``suffix``."""
    if not (domain.startswith(start) and domain.endswith(suffix)):
        return False
    middle = domain[len(start) : len(domain) - len(suffix)]
    return middle.isascii() and middle.isalnum()


def _is_any_host(match: VendorMatch) -> bool:
    return match.shape is not None and match.shape.domain is None and match.shape.host is None


def _compile_shape(raw: Any, where: str) -> Shape:
    if not isinstance(raw, Mapping):
        raise DataError(f"{where}: a shape must be an object, not {type(raw).__name__}")
    unknown = set(raw) - _SHAPE_KEYS
    if unknown:
        raise DataError(f"{where}: unknown shape keys {sorted(unknown)}; allowed are {sorted(_SHAPE_KEYS)}")

    domain = raw.get("domain")
    host = raw.get("host")
    prefix = raw.get("prefix")
    path = raw.get("path")
    query_keys = raw.get("query_keys", [])
    for name, value in (("domain", domain), ("host", host)):
        if value is not None and (not isinstance(value, str) or not _HOST.fullmatch(value)):
            raise DataError(f"{where}: invalid {name} {value!r}; use a lower-case host name")
    if prefix is not None and (not isinstance(prefix, str) or not prefix.startswith("/")):
        raise DataError(f"{where}: prefix {prefix!r} must be a string starting with '/'")
    if not isinstance(query_keys, list) or not all(isinstance(key, str) for key in query_keys):
        raise DataError(f"{where}: query_keys must be a list of strings")

    compiled = None
    if path is not None:
        if not isinstance(path, str):
            raise DataError(f"{where}: path must be a regular expression string")
        try:
            compiled = re.compile(path)
        except re.error as error:
            raise DataError(f"{where}: invalid path regular expression {path!r}: {error}") from error
    query_pattern = None
    if raw.get("query") is not None:
        try:
            query_pattern = re.compile(str(raw["query"]))
        except re.error as error:
            raise DataError(f"{where}: invalid query regular expression {raw['query']!r}: {error}") from error

    if domain is None and host is None:
        root_only = prefix is None and compiled is not None and compiled.pattern == "^/$" and query_keys
        # A one-letter path (Inxmail's "/d?o<token>") is specific enough only when the whole path
        # is anchored and the query must match a pattern.
        short_exact = (
            prefix is not None
            and len(prefix) == 2
            and compiled is not None
            and compiled.pattern.endswith("$")
            and query_pattern is not None
        )
        if not (root_only or short_exact) and (prefix is None or len(prefix) < 3):
            raise DataError(
                f"{where}: a shape for any host needs a prefix of at least two characters after '/', "
                "path '^/$' with query_keys, or a one-letter prefix with an anchored path and a query pattern"
            )
        if compiled is None and not query_keys:
            raise DataError(f"{where}: a shape for any host needs a path or query_keys besides its prefix")
    if domain is None and host is None and prefix is None and compiled is None and not query_keys:
        raise DataError(f"{where}: an empty shape would match every URL")
    return Shape(
        domain=domain, host=host, prefix=prefix, path=compiled, query_keys=frozenset(query_keys), query=query_pattern
    )


def _compile_vendor(raw: Any, where: str) -> Vendor:
    if not isinstance(raw, Mapping):
        raise DataError(f"{where}: a vendor must be an object")
    unknown = set(raw) - _VENDOR_KEYS
    if unknown:
        raise DataError(f"{where}: unknown vendor keys {sorted(unknown)}")

    vendor_id = raw.get("id")
    if not isinstance(vendor_id, str) or not _ID.fullmatch(vendor_id):
        raise DataError(f"{where}: invalid id {vendor_id!r}; use a lower-case slug such as 'hubspot-sidekick'")
    where = f"{where} ({vendor_id})"

    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{where}: missing name")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise DataError(f"{where}: invalid category {category!r}; expected one of {sorted(CATEGORIES)}")

    domains = raw.get("domains", [])
    if not isinstance(domains, list) or not all(
        isinstance(d, str) and (_DOMAIN_PATTERN.fullmatch(d) if "*" in d else _HOST.fullmatch(d)) for d in domains
    ):
        raise DataError(
            f"{where}: domains must be a list of lower-case host names or domain families such as 'mkto-*.com'"
        )
    for domain in domains:
        if domain in PROVIDER_DOMAINS or registered_domain(domain) in PROXY_DOMAINS or domain in PROXY_DOMAINS:
            raise DataError(f"{where}: {domain!r} belongs to a mail provider or privacy proxy, never a tracker")

    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources):
        raise DataError(f"{where}: sources must list at least one public source")

    shapes = {}
    for role in ROLES:
        items = raw.get(role, [])
        if not isinstance(items, list):
            raise DataError(f"{where}: {role} must be a list of shapes")
        shapes[role] = tuple(_compile_shape(item, f"{where} {role}[{i}]") for i, item in enumerate(items))

    headers = []
    for i, item in enumerate(raw.get("headers", [])):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise DataError(f"{where} headers[{i}]: a header rule needs a name")
        pattern = item.get("pattern")
        try:
            compiled = re.compile(pattern, re.I) if pattern else None
        except re.error as error:
            raise DataError(f"{where} headers[{i}]: invalid pattern {pattern!r}: {error}") from error
        headers.append(HeaderRule(item["name"], compiled))

    if not domains and not any(shapes.values()) and not headers:
        raise DataError(f"{where}: a vendor needs domains, shapes or headers")
    return Vendor(
        id=vendor_id,
        name=name.strip(),
        category=category,
        domains=tuple(domains),
        open=shapes["open"],
        click=shapes["click"],
        content=shapes["content"],
        headers=tuple(headers),
        sources=tuple(sources),
    )


def vendors_from_data(data: Any, where: str) -> list[Vendor]:
    """Validate and compile one data document (the parsed JSON of a vendor file)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("vendors"), list):
        raise DataError(f"{where}: expected an object with a 'vendors' list")
    return [_compile_vendor(item, f"{where} vendors[{i}]") for i, item in enumerate(data["vendors"])]


def build_index(documents: Iterable[tuple[str, Any]], version: str) -> VendorIndex:
    """Build an index from (name, parsed JSON) documents, checking ids and domains are unique."""
    vendors: list[Vendor] = []
    ids: dict[str, str] = {}
    domains: dict[str, str] = {}
    for where, data in documents:
        for vendor in vendors_from_data(data, where):
            if vendor.id in ids:
                raise DataError(f"{where}: duplicate vendor id {vendor.id!r} (also in {ids[vendor.id]})")
            ids[vendor.id] = where
            for domain in vendor.domains:
                if domain in domains and domains[domain] != vendor.id:
                    raise DataError(
                        f"{where}: domain {domain!r} of {vendor.id!r} is already listed by {domains[domain]!r}"
                    )
                domains[domain] = vendor.id
            vendors.append(vendor)
    return VendorIndex(vendors, version)


_SHIPPED: tuple[list[tuple[str, Any]], str] | None = None


def read_shipped_data() -> tuple[list[tuple[str, Any]], str]:
    """Read the shipped vendor files and data version once; later calls return the same data.

    The package calls this at import, so that ``detect()`` never opens a file. Building
    the index from the parsed documents happens on first use and needs no file.
    """
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = (_read_documents(), _read_version())
    return _SHIPPED


def shipped_documents() -> list[tuple[str, Any]]:
    """Return the vendor files shipped with the package, parsed, in name order."""
    return list(read_shipped_data()[0])


def shipped_version() -> str:
    """Return the version of the shipped tracker data."""
    return read_shipped_data()[1]


def _read_documents() -> list[tuple[str, Any]]:
    folder = resources.files(DATA_PACKAGE).joinpath("vendors")
    documents = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            documents.append((f"vendors/{entry.name}", json.loads(entry.read_text(encoding="utf-8"))))
    return documents


def _read_version() -> str:
    manifest = resources.files(DATA_PACKAGE).joinpath("manifest.json")
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def load_vendor_index(extra: Iterable[Mapping[str, Any]] = (), *, include_shipped: bool = True) -> VendorIndex:
    """Build a vendor index from the shipped data plus extra documents in the same format.

    ``extra`` holds parsed JSON documents (for example from ``json.load`` of a user's file);
    this function reads no file but the package's own data.
    """
    documents = shipped_documents() if include_shipped else []
    extra_documents = [(f"extra[{i}]", document) for i, document in enumerate(extra)]
    version = shipped_version() if include_shipped else "user"
    if include_shipped and extra_documents:
        version += "+user"
    return build_index(documents + extra_documents, version)


_DEFAULT: VendorIndex | None = None


def default_index() -> VendorIndex:
    """Return the index of the shipped data, built on first use from data read at import."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_vendor_index()
    return _DEFAULT
