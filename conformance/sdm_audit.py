"""``mimcheck audit``: read-only validation of the Smart Data Models entities already on a platform.

For each model (every model of the registry whose subject capability the profile declares, or
those named with ``--model``) the entities are listed page by page with GET /ngsi-ld/v1/entities
(``type`` = the model's type IRI from its own @context, and the short name for entities created
without it; ``limit``/``offset``; ``count=true`` on the first page for the progress bar). Each page
is checked as it arrives, and only the results are kept. The platform's answers use the core
@context only, so attribute IRIs are compacted here with the model's local @context (pyld, no
fetch). Only GET requests are ever sent: the client is wrapped so that nothing else can be.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import requests

from conformance import sdm_forms
from conformance.profiles import TargetProfile
from conformance.sdm_names import ModelNames
from conformance.sdm_registry import Models
from conformance.sdm_validate import Result

ENTITIES = "/ngsi-ld/v1/entities"
LOCAL_CONTEXT = (
    "https://mimcheck.invalid/models/"  # where the oracle finds a model's @context (never fetched)
)
MAX_PAGES = 100_000  # a platform that ignores offset cannot keep the audit going for ever


class AuditError(Exception):
    """The platform did not answer a listing as NGSI-LD says (status, body): one line for the user."""


class Getter(Protocol):
    def get(self, url: str, **kw: Any) -> requests.Response: ...


class ReadOnly:
    """A client that can only GET: the audit never changes the platform's data."""

    def __init__(self, client: Getter) -> None:
        self._client = client

    def get(self, url: str, *, params: dict[str, Any], headers: dict[str, str]) -> requests.Response:
        return self._client.get(url, params=params, headers=headers)


def _check(response: requests.Response, what: str) -> list[Any]:
    if response.status_code != 200:
        raise AuditError(f"{what}: {response.status_code} {response.text[:200]!r}")
    try:
        body = response.json()
    except ValueError:
        raise AuditError(f"{what}: the answer is not JSON: {response.text[:200]!r}") from None
    if not isinstance(body, list):
        raise AuditError(f"{what}: expected a JSON array of entities, got {type(body).__name__}")
    return body


def pages(
    client: ReadOnly,
    base_url: str,
    params: dict[str, Any],
    headers: dict[str, str],
    page_size: int,
    limit: int | None,
) -> Iterator[tuple[int | None, list[Any]]]:
    """(total when the platform counts, entities) of each page, until a short page, ``limit`` or the total."""
    offset, total, previous = 0, None, None
    for number in range(MAX_PAGES):
        size = page_size if limit is None else min(page_size, limit - offset)
        if size <= 0:
            return
        query = {**params, "limit": size, "offset": offset, **({"count": "true"} if number == 0 else {})}
        response = client.get(base_url + ENTITIES, params=query, headers=headers)
        page = _check(response, f"GET {ENTITIES}?type={params['type']} (offset {offset})")
        if number == 0 and response.headers.get("NGSILD-Results-Count", "").isdigit():
            total = int(response.headers["NGSILD-Results-Count"])
        first = page[0].get("id") if page and isinstance(page[0], dict) else None
        if not page or (first is not None and first == previous):
            return  # the end, or a platform that ignores offset
        yield total, page
        previous, offset = first, offset + len(page)
        if len(page) < size or (total is not None and offset >= total):
            return


FORMS = ("normalized", "keyValues")
ID_CHUNK = 50  # ids per keyValues read-back request (the URL stays well under 8 KB)

Checked = tuple[Result, list[tuple[str, str, str]]]  # a result and its (path, rule, message) violations


def audit(
    client: ReadOnly,
    base_url: str,
    models: Models,
    names: list[str],
    *,
    tenant: str | None = None,
    page_size: int = 100,
    limit: int | None = None,
    forms: tuple[str, ...] = FORMS,
    progress: Callable[[str, int | None, int], None] = lambda model, total, done: None,
) -> Iterator[tuple[str, Any, list[Checked]]]:
    """(model, entity id, its result in each form) of every entity of the named models, page by page.

    The listing is read normalized; with ``keyValues`` among the forms, the entities of each page are
    read again with ``options=keyValues`` (by their ids) and that answer is validated as it is."""
    headers = {"Accept": "application/json", **({"NGSILD-Tenant": tenant} if tenant else {})}
    for name in names:
        listing = ModelNames(models[name])
        models.check_refs(name)
        params = {"type": f"{listing.type_iri},{name}"}
        done = 0
        for total, page in pages(client, base_url, params, headers, page_size, limit):
            simplified = _key_values(client, base_url, params, headers, page) if "keyValues" in forms else {}
            for entity in page:
                done += 1
                ident = entity.get("id") if isinstance(entity, dict) else None
                checked = []
                if "normalized" in forms:
                    checked.append(_result(models, listing, base_url, done, entity, "normalized"))
                if "keyValues" in forms:
                    checked.append(
                        _result(models, listing, base_url, done, simplified.get(ident), "keyValues")
                    )
                yield name, ident, checked
            progress(name, total, done)
        progress(name, done, done)


def _key_values(
    client: ReadOnly, base_url: str, params: dict[str, Any], headers: dict[str, str], page: list[Any]
) -> dict[Any, Any]:
    """The page's entities read again with options=keyValues, by id."""
    ids = [e["id"] for e in page if isinstance(e, dict) and isinstance(e.get("id"), str)]
    found: dict[Any, Any] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        query = {**params, "id": ",".join(chunk), "options": "keyValues", "limit": len(chunk), "offset": 0}
        response = client.get(base_url + ENTITIES, params=query, headers=headers)
        for entity in _check(response, f"GET {ENTITIES}?type={params['type']}&options=keyValues (by id)"):
            if isinstance(entity, dict):
                found[entity.get("id")] = entity
    return found


def _result(
    models: Models, listing: ModelNames, base_url: str, number: int, entity: Any, form: str
) -> Checked:
    name = listing.entry.name
    where = f" {name} #{number}"
    if entity is None:
        skipped = "not in the keyValues answer (deleted or changed while the audit ran?)"
        return Result(
            base_url, where, None, None, name, listing.entry.schema_version, form, skipped=skipped
        ), []
    if not isinstance(entity, dict):
        rule = ("(root)", "type", "not an entity (a JSON object)")
        return Result(base_url, where, None, None, name, errors=[f"{rule[0]}: {rule[2]}"], form=form), [rule]
    compacted = listing.compact(entity)
    _, key_values = sdm_forms.to_key_values(compacted, "keyValues" if form == "keyValues" else "auto")
    result = Result(
        base_url, where, entity.get("id"), compacted.get("type"), name, listing.entry.schema_version, form
    )
    rules = models.violations(name, key_values)
    result.errors = [f"{path}: {message}" for path, _, message in rules]
    return result, rules


class Progress:
    """A rich progress bar on standard error (one task per model), or nothing."""

    def __init__(self, show: bool) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}
        if show:
            try:
                from rich.console import Console
                from rich.progress import Progress as RichProgress
            except ImportError:  # rich is optional: no bar then
                return
            self.bar = RichProgress(console=Console(stderr=True), transient=False)

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, model: str, total: int | None, done: int) -> None:
        if self.bar is None:
            return
        if model not in self.tasks:
            self.tasks[model] = self.bar.add_task(model, total=total)
        self.bar.update(self.tasks[model], completed=done, total=total)


def show_progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def make_client(profile: TargetProfile) -> ReadOnly:
    """The profile's HTTP client (auth, TLS, headers, timeouts), able to GET only."""
    from conformance.auth import make_authorizer
    from conformance.recording import RecordingClient
    from conformance.redaction import Redactor

    redactor = Redactor()
    for secret in profile.auth.secrets():
        redactor.add(secret)
    client = RecordingClient(
        redactor=redactor,
        timeout=profile.timeout_seconds,
        default_headers=dict(profile.headers),
        authorizer=make_authorizer(
            profile.auth, redactor, profile.timeout_seconds, verify=profile.tls.verify, cert=profile.tls.cert
        ),
        trusted_urls=profile.base_urls.values(),
        max_response_bytes=profile.max_response_bytes,
        request_seconds=profile.request_seconds,
        verify=profile.tls.verify,
        cert=profile.tls.cert,
    )
    return ReadOnly(_Forgetful(client))


class _Forgetful:
    """The recording client, less its record: an audit keeps results, not exchanges."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, **kw: Any) -> requests.Response:
        try:
            return self.client.get(url, **kw)
        finally:
            self.client.take()
