from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from conformance.auth import AuthError, make_authorizer
from conformance.profiles import Auth
from conformance.redaction import MASK, Redactor

TOKEN = "issued-token-0123456789"


@pytest.fixture
def token_server() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    seen: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            seen.append(form)
            ok = form.get("client_secret") == ["s3cret-client"]
            body = json.dumps(
                {"access_token": TOKEN, "expires_in": 3600} if ok else {"error": "invalid_client"}
            )
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token", seen
    server.shutdown()


def _oauth(url: str) -> Auth:
    return Auth(
        type="oauth2", token_url=url, client_id="mimcheck", client_secret_env="T_SECRET", scope="ngsi-ld"
    )


def test_client_credentials_fetches_once_and_registers_secrets(
    token_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = token_server
    monkeypatch.setenv("T_SECRET", "s3cret-client")
    redactor = Redactor()
    headers = make_authorizer(_oauth(url), redactor)
    assert headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert len(seen) == 1, "the token is cached until it expires"
    assert seen[0]["grant_type"] == ["client_credentials"] and seen[0]["scope"] == ["ngsi-ld"]
    assert redactor.text(f"x {TOKEN} s3cret-client") == f"x {MASK} {MASK}"


def test_refused_client_is_inconclusive(
    token_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = token_server
    monkeypatch.setenv("T_SECRET", "wrong-secret")
    with pytest.raises(AuthError, match="refused"):
        make_authorizer(_oauth(url), Redactor())()


def test_missing_environment_variables_say_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_SECRET", raising=False)
    monkeypatch.delenv("T_TOKEN", raising=False)
    with pytest.raises(AuthError, match="T_SECRET"):
        make_authorizer(_oauth("http://127.0.0.1:9/token"), Redactor())
    with pytest.raises(AuthError, match="T_TOKEN"):
        make_authorizer(Auth(type="bearer", token_env="T_TOKEN"), Redactor())


def test_bearer_token_is_sent_and_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_TOKEN", "bearer-canary-xyz")
    redactor = Redactor()
    assert make_authorizer(Auth(type="bearer", token_env="T_TOKEN"), redactor)() == {
        "Authorization": "Bearer bearer-canary-xyz"
    }
    assert "bearer-canary-xyz" in redactor.secrets


@contextmanager
def token_endpoint(answer: Callable[[], bytes]) -> Iterator[str]:
    """A token endpoint answering 200 with ``answer()`` to every POST; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            body = answer()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()


def test_an_oauth2_token_is_refreshed_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    issued: list[str] = []

    def short_lived() -> bytes:
        issued.append(f"short-lived-token-{len(issued) + 1:04d}")
        return json.dumps({"access_token": issued[-1], "expires_in": 2}).encode()

    monkeypatch.setenv("T_SECRET", "s3cret-client")
    with token_endpoint(short_lived) as url:
        redactor = Redactor()
        headers = make_authorizer(_oauth(url), redactor)
        first = headers()
        assert headers() == first, "a fresh token is reused"
        time.sleep(1.2)  # past the refresh point (half of a 2 s lifetime), before the expiry
        second = headers()
        assert second != first and len(issued) == 2
        assert redactor.text(second["Authorization"]) == f"Bearer {MASK}", "each new token is redacted"


def test_a_token_answer_without_access_token_is_an_auth_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_SECRET", "s3cret-client")
    with token_endpoint(lambda: b'{"token_type": "bearer"}') as url:
        authorizer = make_authorizer(_oauth(url), Redactor())
        with pytest.raises(AuthError, match="without an access_token"):
            authorizer()
