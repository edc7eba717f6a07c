"""Authentication towards the target: none, a bearer token from the environment, or OAuth2
client credentials. Every secret involved is registered with the redactor before first use."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import requests

from conformance.profiles import Auth
from conformance.redaction import Redactor


class AuthError(RuntimeError):
    """Credentials are missing or were refused; the message says what to set."""


def make_authorizer(
    auth: Auth,
    redactor: Redactor,
    timeout: float = 10.0,
    *,
    verify: bool | str = True,
    cert: tuple[str, str] | str | None = None,
) -> Callable[[], dict[str, str]]:
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
    return _client_credentials(auth, redactor, timeout, verify, cert)


def _client_credentials(
    auth: Auth,
    redactor: Redactor,
    timeout: float,
    verify: bool | str,
    cert: tuple[str, str] | str | None,
) -> Callable[[], dict[str, str]]:
    assert auth.client_secret_env and auth.token_url and auth.client_id
    secret = os.environ.get(auth.client_secret_env)
    if not secret:
        raise AuthError(
            f"auth.type is 'oauth2' but environment variable {auth.client_secret_env} is empty; "
            "export the client secret there"
        )
    redactor.add(secret)
    token_url, client_id = auth.token_url, auth.client_id
    cache: dict[str, float | str] = {}

    def headers() -> dict[str, str]:
        if not cache or time.time() >= float(cache["refresh_at"]):
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
            if auth.scope:
                form["scope"] = auth.scope
            try:
                resp = requests.post(
                    token_url, data=form, timeout=timeout, verify=verify, cert=cert, allow_redirects=False
                )
            except requests.RequestException as exc:
                raise AuthError(
                    f"token endpoint {auth.token_url} unreachable ({type(exc).__name__}); check auth.token_url"
                ) from None
            if resp.status_code != 200:
                raise AuthError(
                    f"token endpoint {auth.token_url} refused the client ({resp.status_code}); "
                    "check auth.client_id and the client secret"
                )
            try:
                body = resp.json()
            except ValueError:
                body = None
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise AuthError(f"token endpoint {auth.token_url} answered 200 without an access_token")
            try:
                lifetime = float(body.get("expires_in", 300))  # type: ignore[union-attr,unused-ignore]
            except (TypeError, ValueError):
                lifetime = 300.0
            redactor.add(token)
            cache["token"] = token
            # refreshed before it expires: 30 s early, or halfway through a short lifetime
            cache["refresh_at"] = time.time() + lifetime - min(30.0, lifetime / 2)
        return {"Authorization": f"Bearer {cache['token']}"}

    return headers
