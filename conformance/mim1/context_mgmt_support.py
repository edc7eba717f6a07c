"""Shared steps of the @context management scenarios (test_context_management.py,
test_context_stored.py; ETSI GS CIM 009 V1.8.1 clause 5.13): a Hosted @context of the case, a Cached
one (downloaded at a URL of its own), an ImplicitlyCreated one, and the check of LdContextMetadata."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urljoin

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLdOps, made
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.payloads import probe
from conformance.outcomes import precondition
from conformance.run_ids import RunIds

KINDS = ("Hosted", "Cached", "ImplicitlyCreated")
USER = "mimcheck-v1.jsonld"
WITH_CORE = "mimcheck-with-core.jsonld"
TERMS = {"mc": "https://mimcheck.example.org/ns/", "MimcheckProbe": "mc:MimcheckProbe", "speed": "mc:speed"}


def hosted(ngsild: NgsiLdOps, run_ids: RunIds) -> tuple[str, dict[str, Any]]:
    """A Hosted @context of this case: (local id, document)."""
    doc = {"@context": {"mc": "https://mimcheck.example.org/ns/", f"t{run_ids.next()[-5:]}": "mc:hosted"}}
    resp = ngsild.add_context(doc)
    precondition(resp.status_code == 201, f"adding an @context answered {resp.status_code}")
    location = resp.headers.get("Location", "")
    precondition(bool(location), "adding an @context answered no Location")
    local_id = unquote(location.rstrip("/").rsplit("/", 1)[-1])  # the API quotes it again
    ngsild.undo_later(f"delete @context {local_id}", lambda: ngsild.delete_context(local_id))
    return local_id, doc


def cached_entry(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, evidence: CaseEvidence
) -> dict[str, Any] | None:
    """Have the target download a @context of its own URL (an entity created with it in a Link
    header); its Cached metadata entry, or None when the target lists none (caching is optional)."""
    url = contexts.variant_url(USER, run_ids.next())
    made(ngsild, probe(run_ids), context=url)
    ngsild.undo_later("delete cached @context", lambda: ngsild.delete_context(url))
    resp = ngsild.list_contexts(params={"details": "true", "kind": "Cached"})
    checks.status_is(resp, 200)
    entries = [e for e in checks.json_array(resp) if isinstance(e, dict) and e.get("URL") == url]
    if not entries:
        evidence.note(f"the target lists no Cached @context for {url}: caching is optional (5.13.1)")
        return None
    return entries[0]


def ident(entry: dict[str, Any], by: str) -> str:
    ident = entry.get("URL") if by == "url" else entry.get("localId")
    if not isinstance(ident, str) or not ident:
        checks.fail(f"the Cached @context entry has no {by}: {entry!r}")
        raise AssertionError  # unreachable
    return ident


def check_metadata(what: str, entry: Any, evidence: CaseEvidence, kind: str | None = None) -> None:
    """LdContextMetadata (clause 5.13.3): URL, localId, kind, the creation time, optional members."""
    if not isinstance(entry, dict):
        checks.fail(f"{what}: expected a JSON object, got {entry!r}"[:300])
        return
    for member in ("URL", "localId"):
        value = checks.member(what, entry, member)
        if not isinstance(value, str) or not value:
            checks.fail(f"{what}: {member} should be a non-empty string, got {value!r}")
    got_kind = checks.member(what, entry, "kind")
    if got_kind not in KINDS:
        checks.fail(f"{what}: kind should be one of {KINDS}, got {got_kind!r}")
    if kind is not None:
        checks.equal(f"{what}: kind", got_kind, kind)
    # The clause text calls the creation time createdAt, the V1.8.1 OpenAPI schema timestamp.
    names = [n for n in ("createdAt", "timestamp") if n in entry]
    if not names:
        checks.fail(f"{what}: no creation time (createdAt, or timestamp as the OpenAPI names it): {entry!r}")
    for name in names:
        checks.utc_datetime(f"{what}: {name}", entry[name])
    evidence.note(f"{what}: creation time given as {' and '.join(names)}")
    if "lastUsage" in entry:
        checks.utc_datetime(f"{what}: lastUsage", entry["lastUsage"])
    hits = entry.get("numberOfHits", 0)
    if not isinstance(hits, int) or isinstance(hits, bool) or hits < 0:
        checks.fail(f"{what}: numberOfHits should be a non-negative integer, got {hits!r}")
    if not isinstance(entry.get("extraInfo", {}), dict):
        checks.fail(f"{what}: extraInfo should be a JSON object, got {entry['extraInfo']!r}")


def listed(ngsild: NgsiLdOps, kind: str) -> list[Any]:
    resp = ngsild.list_contexts(params={"kind": kind})
    checks.status_is(resp, 200)
    return checks.json_array(resp)


def implicit_context(
    ngsild: NgsiLdOps, run_ids: RunIds, contexts: ContextServer, evidence: CaseEvidence
) -> str | None:
    """The local id of an ImplicitlyCreated @context (made for the Link of a JSON answer to a query
    with an inline @context); None when the Link names no /jsonldContexts resource of the target."""
    entity = made(ngsild, probe(run_ids), context=contexts.url(USER))
    inline = {**TERMS, f"i{run_ids.next()[-5:]}": "mc:implicit"}
    query = {"type": "Query", "entities": [{"id": entity["id"], "type": "MimcheckProbe"}], "@context": inline}
    resp = ngsild.send("POST", f"{API_ROOT}/entityOperations/query", query, content_type=JSONLD, accept=JSON)
    precondition(resp.status_code == 200, f"the query with an inline @context answered {resp.status_code}")
    url = urljoin(resp.url, checks.link_context(resp))
    if f"{API_ROOT}/jsonldContexts/" not in url:
        evidence.note(f"the Link names {url}, not a /jsonldContexts resource: nothing to delete")
        return None
    local_id = unquote(url.rstrip("/").rsplit("/", 1)[-1])
    ngsild.undo_later("delete implicit @context", lambda: ngsild.delete_context(local_id))
    return local_id
