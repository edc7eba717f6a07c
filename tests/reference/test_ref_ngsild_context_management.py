"""@context management, /jsonldContexts (clause 5.13): hosted, cached and implicitly created @contexts,
their metadata (details=true), serving, delete and reload; the subscription member jsonldContext."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import requests
from ref_support import CORE, JSON, E, link

C = "/ngsi-ld/v1/jsonldContexts"
DOC = {"@context": {"cm": "https://cm.example.org/ns/", "cmSpeed": "cm:speed"}}


class _ContextServer:
    """A remote @context that can be taken down (to reload a Cached @context that cannot be fetched)."""

    def __init__(self) -> None:
        doc = json.dumps(DOC).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(doc)))
                self.end_headers()
                self.wfile.write(doc)

            def log_message(self, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url_base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def remote() -> Iterator[_ContextServer]:
    server = _ContextServer()
    yield server
    server.stop()


def _add(base: str, http: requests.Session, doc: dict | None = None) -> str:
    resp = http.post(base + C, json=doc or DOC, headers=JSON)
    assert resp.status_code == 201, resp.text
    return resp.headers["Location"].rsplit("/", 1)[-1]


def _cache(base: str, http: requests.Session, url: str, uid: str) -> None:
    entity = {"id": f"urn:ngsi-ld:CM:{uid}", "type": "CM", "cmSpeed": {"type": "Property", "value": 1}}
    assert http.post(base + E, json=entity, headers={**JSON, "Link": link(url)}).status_code == 201


def test_hosted_lifecycle(base: str, http: requests.Session) -> None:
    local_id = _add(base, http)
    served = http.get(f"{base}{C}/{local_id}")
    assert served.status_code == 200 and served.json() == DOC
    assert served.headers["Content-Type"].startswith("application/ld+json")
    as_json = http.get(f"{base}{C}/{local_id}", headers={"Accept": "application/json"})
    assert as_json.headers["Content-Type"].startswith("application/json")
    meta = http.get(f"{base}{C}/{local_id}?details=true").json()
    assert meta["kind"] == "Hosted" and meta["localId"] == local_id and meta["URL"].endswith(local_id)
    assert meta["createdAt"] == meta["timestamp"]
    listed = http.get(base + C, params={"kind": "Hosted"}).json()
    assert any(u.endswith(local_id) for u in listed)
    detailed = http.get(base + C, params={"details": "true"}).json()
    assert all({"URL", "localId", "kind", "createdAt"} <= set(e) for e in detailed)
    assert http.delete(f"{base}{C}/{local_id}?reload=true").status_code == 400
    assert http.delete(f"{base}{C}/{local_id}?reload=maybe").status_code == 400
    assert http.delete(f"{base}{C}/{local_id}").status_code == 204
    assert http.get(f"{base}{C}/{local_id}").status_code == 404
    assert http.delete(f"{base}{C}/{local_id}").status_code == 404


@pytest.mark.parametrize(
    "query", [{"details": "yes"}, {"kind": "Other"}, {"kind": "hosted"}, {"details": "true", "kind": "x"}]
)
def test_list_rejects_bad_parameters(base: str, http: requests.Session, query: dict) -> None:
    resp = http.get(base + C, params=query)
    assert resp.status_code == 400 and resp.json()["type"].endswith("BadRequestData")


@pytest.mark.parametrize("payload", [{"x": 1}, [1], {"@context": 5}, {"@context": []}, {"@context": [1]}])
def test_add_rejects_bad_payloads(base: str, http: requests.Session, payload: object) -> None:
    assert http.post(base + C, json=payload, headers=JSON).status_code == 400


def test_cached_by_local_id_and_url(
    base: str, http: requests.Session, uid: str, remote: _ContextServer
) -> None:
    url = remote.url_base + f"/ctx-{uid}.jsonld"
    _cache(base, http, url, uid)
    entries = http.get(base + C, params={"details": "true", "kind": "Cached"}).json()
    entry = next(e for e in entries if e["URL"] == url)
    assert entry["createdAt"] and entry["numberOfHits"] >= 1 and entry["lastUsage"]
    for ident in (entry["localId"], url):
        meta = http.get(f"{base}{C}/{quote(ident, safe='')}", params={"details": "true"})
        assert meta.status_code == 200 and meta.json()["kind"] == "Cached"
        content = http.get(f"{base}{C}/{quote(ident, safe='')}")
        assert content.status_code == 422 and content.json()["type"].endswith("OperationNotSupported")
    assert http.delete(f"{base}{C}/{quote(url, safe='')}?reload=true").status_code == 204
    remote.stop()
    failed = http.delete(f"{base}{C}/{entry['localId']}?reload=true")
    assert failed.status_code == 504 and failed.json()["type"].endswith("LdContextNotAvailable")
    assert url in http.get(base + C, params={"kind": "Cached"}).json()  # the old copy stays
    assert http.delete(f"{base}{C}/{entry['localId']}").status_code == 204
    assert url not in http.get(base + C, params={"kind": "Cached"}).json()


def test_core_context_listed_not_deletable(base: str, http: requests.Session) -> None:
    assert CORE in http.get(base + C).json()
    meta = http.get(f"{base}{C}/{quote(CORE, safe='')}", params={"details": "true"}).json()
    assert meta["kind"] == "Cached" and meta["createdAt"]
    assert http.delete(f"{base}{C}/{quote(CORE, safe='')}").status_code == 400
