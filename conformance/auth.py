"""Authentication towards the target: none, a bearer token from the environment, or OAuth2
client credentials. Every secret involved is registered with the redactor before first use."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import requests

from conformance.outcomes import Inconclusive
from conformance.profiles import Auth
from conformance.redaction import Redactor


class AuthError(RuntimeError):
    """Credentials are missing or were refused; the message says what to set."""


def make_authorizer(auth: Auth, redactor: Redactor, timeout: float = 10.0) -> Callable[[], dict[str, str]]:
    """A callable that returns the headers to authenticate one request."""
    if auth.type == "none":
        return lambda: {}
    if auth.type == "bearer":
        assert auth.token_env is not None
        token = os.environ.get(auth.token_env)
        if not token:
            raise AuthError(
                f"auth.type is 'bearer' but environment variable {auth.token_env} is empty; export the token there"
            )
        redactor.add(token)
        return lambda: {"Authorization": f"Bearer {token}"}
    return _client_credentials(auth, redactor, timeout)


def _client_credentials(auth: Auth, redactor: Redactor, timeout: float) -> Callable[[], dict[str, str]]:
    assert auth.client_secret_env and auth.token_url and auth.client_id
    secret = os.environ.get(auth.client_secret_env)
    if not secret:
        raise AuthError(
            f"auth.type is 'oauth2' but environment variable {auth.client_secret_env} is empty; "
            "export the client secret there"
        )
    redactor.add(secret)
    cache: dict[str, float | str] = {}

    def headers() -> dict[str, str]:
        if not cache or float(cache["expires"]) - 30 < time.time():
            form = {"grant_type": "client_credentials", "client_id": auth.client_id, "client_secret": secret}
            if auth.scope:
                form["scope"] = auth.scope
            try:
                resp = requests.post(auth.token_url, data=form, timeout=timeout)
            except requests.RequestException as exc:
                raise Inconclusive(
                    f"token endpoint {auth.token_url} unreachable ({type(exc).__name__})"
                ) from None
            if resp.status_code != 200:
                raise Inconclusive(f"token endpoint {auth.token_url} refused the client ({resp.status_code})")
            body = resp.json()
            token = str(body["access_token"])
            redactor.add(token)
            cache["token"] = token
            cache["expires"] = time.time() + float(body.get("expires_in", 300))
        return {"Authorization": f"Bearer {cache['token']}"}

    return headers
