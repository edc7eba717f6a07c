"""JSON-LD @context handling: term expansion and compaction (ETSI GS CIM 009 clause 5.5.7, 6.3.5).

The reference does not run a full JSON-LD processor on every request. NGSI-LD only needs the
vocabulary-relative IRI expansion of entity types, attribute names, sub-attribute names and a few
members typed ``@vocab`` (VocabProperty ``vocab``, Relationship ``objectType``), so this module
implements exactly that part of the JSON-LD 1.1 context processing algorithm: term definitions
(string or expanded with ``@id``), compact IRIs (``prefix:suffix``), ``@vocab`` and ``null`` terms,
remote contexts (fetched over HTTP, cached) and nested context arrays.

The NGSI-LD core @context is always applied first and its terms are protected (``@protected``):
a user @context cannot redefine them (such redefinitions are ignored, the core meaning wins).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .context_fetch import CacheEntry, cached_local_id, fetch_document, now_iso
from .errors import bad_request

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
CORE_CONTEXT_ALIAS = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
_CORE_URL_RE = re.compile(r"^https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v\d+\.\d+)?\.jsonld$")
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
NGSILD_NS = "https://uri.etsi.org/ngsi-ld/"
MAX_CONTEXT_DEPTH = 16


def is_core_url(url: str) -> bool:
    return bool(_CORE_URL_RE.match(url))


CORE_CONTEXT_FILE = Path(__file__).resolve().parents[1] / "data" / "ngsi-ld-core-context-v1.8.jsonld"


def load_core_document() -> dict[str, Any]:
    return json.loads(CORE_CONTEXT_FILE.read_text("utf-8"))


@dataclass(frozen=True)
class TermDef:
    iri: str
    type: str | None = None
    container: str | None = None


@dataclass
class ActiveContext:
    """The result of processing the core context followed by a user context."""

    terms: dict[str, TermDef] = field(default_factory=dict)
    vocab: str | None = DEFAULT_VOCAB
    protected: frozenset[str] = frozenset()
    # The user context as received (a URL, an object or an array), None for the core context only.
    source: Any = None
    _expand_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _compact_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _reverse: dict[str, list[str]] | None = field(default=None, repr=False)

    def copy_for_extension(self) -> ActiveContext:
        return ActiveContext(terms=dict(self.terms), vocab=self.vocab, protected=self.protected)

    # ----------------------------------------------------------------- expansion
    def expand(self, name: str) -> str:
        """Vocabulary-relative IRI expansion of a term (type name, attribute name, vocab value)."""
        cached = self._expand_cache.get(name)
        if cached is not None:
            return cached
        result = self._expand_uncached(name)
        if len(self._expand_cache) < 100_000:
            self._expand_cache[name] = result
        return result

    def _expand_uncached(self, name: str) -> str:
        if name.startswith("@"):
            return name
        definition = self.terms.get(name)
        if definition is not None:
            return definition.iri
        if ":" in name:
            prefix, suffix = name.split(":", 1)
            if suffix.startswith("//"):
                return name
            prefix_def = self.terms.get(prefix)
            if prefix_def is not None:
                return prefix_def.iri + suffix
            return name  # an absolute IRI such as urn:x:y
        if self.vocab:
            return self.vocab + name
        return name

    def term_type(self, name: str) -> str | None:
        definition = self.terms.get(name)
        return definition.type if definition else None

    # ---------------------------------------------------------------- compaction
    def _reverse_map(self) -> dict[str, list[str]]:
        if self._reverse is None:
            reverse: dict[str, list[str]] = {}
            for term, definition in self.terms.items():
                reverse.setdefault(definition.iri, []).append(term)
            for terms in reverse.values():
                terms.sort(key=lambda t: (len(t), t))
            self._reverse = reverse
        return self._reverse

    def compact(self, iri: str) -> str:
        cached = self._compact_cache.get(iri)
        if cached is not None:
            return cached
        result = self._compact_uncached(iri)
        if len(self._compact_cache) < 100_000:
            self._compact_cache[iri] = result
        return result

    def _compact_uncached(self, iri: str) -> str:
        reverse = self._reverse_map()
        candidates = reverse.get(iri)
        if candidates:
            return candidates[0]
        if self.vocab and iri.startswith(self.vocab) and len(iri) > len(self.vocab):
            suffix = iri[len(self.vocab) :]
            if ":" not in suffix and suffix not in self.terms:
                return suffix
        best: str | None = None
        for term, definition in self.terms.items():
            prefix_iri = definition.iri
            if not prefix_iri or ":" in term or not prefix_iri.endswith(("/", "#", ":")):
                continue
            if iri.startswith(prefix_iri) and len(iri) > len(prefix_iri):
                curie = term + ":" + iri[len(prefix_iri) :]
                if curie in self.terms:
                    continue
                if best is None or (len(curie), curie) < (len(best), best):
                    best = curie
        return best if best is not None else iri


class ContextResolver:
    """Processes and caches @contexts. Remote documents are fetched once and kept until deleted or
    reloaded through /jsonldContexts (clause 5.13.5)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._documents: dict[str, Any] = {}
        self.cache: dict[str, CacheEntry] = {}
        self.started = now_iso()
        self._processed: dict[str, ActiveContext] = {}
        core_doc = load_core_document()
        self.core_document = core_doc
        base = ActiveContext(terms={}, vocab=None)
        _apply_local(base, core_doc["@context"], self, depth=0, remote_seen=(), protect=True)
        base.protected = frozenset(base.terms)
        base.source = None
        self.core = base

    # ------------------------------------------------------------------ public
    def needs_fetch(self, value: Any) -> bool:
        """True when processing `value` would require a network fetch (so callers can off-load it)."""
        if value is None:
            return False
        key = _cache_key(value)
        if key in self._processed:
            return False
        for url in _urls_in(value):
            if not is_core_url(url) and url not in self._documents:
                return True
        return False

    def resolve(self, value: Any) -> ActiveContext:
        """Return the active context for a user context value (None means the core context only)."""
        if value is None or value == [] or (isinstance(value, str) and is_core_url(value)):
            return self.core
        self._count_hits(value)
        key = _cache_key(value)
        cached = self._processed.get(key)
        if cached is not None:
            return cached
        active = self.core.copy_for_extension()
        _apply(active, value, self, depth=0, remote_seen=())
        active.source = value
        with self._lock:
            if len(self._processed) > 2000:
                self._processed.clear()
            self._processed[key] = active
        return active

    def document(self, url: str) -> Any:
        """The parsed JSON document at `url` (cached)."""
        if is_core_url(url):
            return self.core_document
        with self._lock:
            if url in self._documents:
                return self._documents[url]
        doc = fetch_document(url)
        with self._lock:
            self._documents[url] = doc
            self.cache[url] = CacheEntry(url, cached_local_id(url), last_usage=now_iso(), hits=1)
        return doc

    def _count_hits(self, value: Any) -> None:
        for url in _urls_in(value):
            entry = self.cache.get(url)
            if entry is not None:
                entry.hits += 1
                entry.last_usage = now_iso()

    def cache_entries(self) -> list[CacheEntry]:
        with self._lock:
            return list(self.cache.values())

    def cached_entry(self, ident: str) -> CacheEntry | None:
        """The Cached @context with this local id or original URL (clause 5.13.4, 5.13.5)."""
        with self._lock:
            if ident in self.cache:
                return self.cache[ident]
            return next((e for e in self.cache.values() if e.local_id == ident), None)

    def forget(self, url: str) -> None:
        """Drop a Cached @context (and every processed context, which may have used it)."""
        with self._lock:
            self._documents.pop(url, None)
            self.cache.pop(url, None)
            self._processed.clear()

    def reload(self, url: str) -> None:
        """Download a Cached @context again; on failure the old copy stays (LdContextNotAvailable)."""
        doc = fetch_document(url)
        with self._lock:
            self._documents[url] = doc
            self.cache[url] = CacheEntry(url, cached_local_id(url))
            self._processed.clear()


def _cache_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _urls_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _apply(
    active: ActiveContext, value: Any, resolver: ContextResolver, depth: int, remote_seen: tuple[str, ...]
) -> None:
    if depth > MAX_CONTEXT_DEPTH:
        raise bad_request("@context nesting is too deep")
    items = value if isinstance(value, list) else [value]
    for item in items:
        if item is None:
            # A null context resets to the initial (core) context in NGSI-LD.
            active.terms = dict(resolver.core.terms)
            active.vocab = resolver.core.vocab
            active._expand_cache.clear()
            continue
        if isinstance(item, str):
            if is_core_url(item):
                continue
            if item in remote_seen:
                raise bad_request(f"recursive @context inclusion of {item}")
            doc = resolver.document(item)
            if not isinstance(doc, dict) or "@context" not in doc:
                raise bad_request(f"the document at {item} is not a JSON-LD @context (no @context member)")
            _apply(active, doc["@context"], resolver, depth + 1, remote_seen + (item,))
        elif isinstance(item, dict):
            _apply_local(active, item, resolver, depth, remote_seen, protect=False)
        else:
            raise bad_request(f"invalid @context entry: {item!r}")


def _apply_local(
    active: ActiveContext,
    ctx: dict[str, Any],
    resolver: ContextResolver,
    depth: int,
    remote_seen: tuple[str, ...],
    protect: bool,
) -> None:
    if "@import" in ctx and isinstance(ctx["@import"], str):
        _apply(active, ctx["@import"], resolver, depth + 1, remote_seen)
    if "@vocab" in ctx:
        vocab = ctx["@vocab"]
        if vocab is None:
            active.vocab = None
        elif isinstance(vocab, str):
            active.vocab = _expand_with(active, ctx, vocab, set()) if vocab else vocab
        else:
            raise bad_request("invalid @vocab in @context")
    defined: set[str] = set()
    for term in ctx:
        if term.startswith("@"):
            continue
        _define(active, ctx, term, defined, protect)


def _expand_with(active: ActiveContext, local: dict[str, Any], value: str, defining: set[str]) -> str:
    """Expand an IRI appearing inside a context, using local (not yet applied) definitions."""
    if value.startswith("@"):
        return value
    if ":" in value:
        prefix, suffix = value.split(":", 1)
        if suffix.startswith("//"):
            return value
        if prefix in local and prefix not in defining:
            _define(active, local, prefix, set(), protect=False, defining=defining | {prefix})
        prefix_def = active.terms.get(prefix)
        if prefix_def is not None:
            return prefix_def.iri + suffix
        return value
    if value in local and value not in defining:
        _define(active, local, value, set(), protect=False, defining=defining | {value})
    definition = active.terms.get(value)
    if definition is not None:
        return definition.iri
    if active.vocab:
        return active.vocab + value
    return value


def _define(
    active: ActiveContext,
    local: dict[str, Any],
    term: str,
    defined: set[str],
    protect: bool,
    defining: set[str] | None = None,
) -> None:
    if term in defined:
        return
    defined.add(term)
    if not protect and term in active.protected:
        return  # core terms are protected: a user @context cannot redefine them
    if not term:
        raise bad_request("empty term in @context")
    spec = local[term]
    chain = (defining or set()) | {term}
    if spec is None:
        active.terms.pop(term, None)
        active._expand_cache.clear()
        active._reverse = None
        return
    term_type: str | None = None
    container: str | None = None
    if isinstance(spec, str):
        iri_source: str | None = spec
    elif isinstance(spec, dict):
        raw_id = spec.get("@id", term if "@reverse" not in spec else None)
        if raw_id is None and "@id" in spec:
            active.terms.pop(term, None)
            return
        if raw_id is not None and not isinstance(raw_id, str):
            raise bad_request(f"invalid @id for term {term!r} in @context")
        iri_source = raw_id
        raw_type = spec.get("@type")
        if raw_type is not None:
            if not isinstance(raw_type, str):
                raise bad_request(f"invalid @type for term {term!r} in @context")
            term_type = raw_type if raw_type.startswith("@") else _expand_with(active, local, raw_type, chain)
        raw_container = spec.get("@container")
        if isinstance(raw_container, str):
            container = raw_container
        elif isinstance(raw_container, list) and raw_container:
            container = str(raw_container[0])
    else:
        raise bad_request(f"invalid definition for term {term!r} in @context")
    if iri_source is None:
        return
    if iri_source == term and ":" not in term:
        iri = (active.vocab + term) if active.vocab else term
    else:
        iri = _expand_with(active, local, iri_source, chain)
    active.terms[term] = TermDef(iri=iri, type=term_type, container=container)
    active._expand_cache.clear()
    active._compact_cache.clear()
    active._reverse = None
