"""`mimcheck load`, the target side: the base URL a load profile needs, the credentials and plain
headers of the target profile, the redactor of its secrets, and a preflight that the target answers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.load_stats import EXIT_UNAVAILABLE, EXIT_USAGE
from conformance.profiles import TargetProfile


def _err(message: str) -> None:
    print(f"mimcheck load: {message}", file=sys.stderr, flush=True)


def auth_headers(profile: TargetProfile) -> dict[str, str]:
    """The Authorization header for the profile's auth (empty for none). Raises AuthError."""
    from conformance.auth import make_authorizer
    from conformance.redaction import Redactor

    return make_authorizer(profile.auth, Redactor(), timeout=profile.timeout_seconds)()


def plain_headers(profile: TargetProfile) -> dict[str, str]:
    """Headers that are not credentials: the profile's extra headers and the NGSI-LD tenant."""
    headers = dict(profile.headers)
    if profile.tenant:
        headers["NGSILD-Tenant"] = profile.tenant
    return headers


def preflight(url: str, headers: Mapping[str, str], timeout: float) -> str | None:
    """One line naming why the target is unreachable, or None. Any HTTP answer counts as reachable."""
    import requests

    try:
        requests.get(url, headers=dict(headers), timeout=min(timeout, 10), allow_redirects=False)
    except requests.RequestException as exc:
        return (
            f"target unreachable: {url} ({type(exc).__name__}); check the URL and that the broker is running"
        )
    return None


PREFLIGHT_PATHS = {
    "mim1": "/ngsi-ld/v1/types",
    "mim3": "/productCatalogManagement/v4/productOffering?limit=1",
}


@dataclass
class Prepared:
    """A target ready to be loaded: base URL, headers, credentials and the redactor of its secrets."""

    profile: TargetProfile
    label: str
    mim: str
    base: str
    headers: dict[str, str]
    credentials: dict[str, str]
    redactor: Any
    run_ids: list[str] = field(default_factory=list)


def prepare(profile: TargetProfile, label: str, mim: str) -> Prepared | int:
    """Check the target can be loaded (base URL, credentials, reachable); an exit code if not."""
    from conformance.auth import AuthError
    from conformance.outcomes import Inconclusive
    from conformance.redaction import SECRET_HEADERS, Redactor

    base = profile.base_url(mim)
    if base is None:
        what = "NGSI-LD (MIM1)" if mim == "mim1" else "TM Forum (MIM3)"
        _err(f"{profile.source}: the profile has no [{mim}] base_url; this load profile exercises {what}")
        return EXIT_USAGE
    try:
        credentials = auth_headers(profile)
    except AuthError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except Inconclusive as exc:  # the oauth2 token endpoint: unreachable or refusing
        _err(f"could not obtain a token: {exc.reason}")
        return EXIT_UNAVAILABLE
    headers = plain_headers(profile) if mim == "mim1" else dict(profile.headers)
    # as in `mimcheck run`: extra header values of 8 characters or more often carry API keys
    redactor = Redactor(
        [
            *credentials.values(),
            *profile.auth.secrets(),
            *(v for k, v in headers.items() if k.lower() in SECRET_HEADERS or len(v) >= 8),
        ]
    )
    probe = base + PREFLIGHT_PATHS.get(mim, "")
    if mim == "mim3" and "tmf620" in profile.tmf_roots:  # the catalogue is at a root of its own
        probe = profile.tmf_roots["tmf620"].rstrip("/") + "/productOffering?limit=1"
    problem = preflight(probe, {**headers, **credentials}, profile.timeout_seconds)
    if problem:
        _err(problem)
        return EXIT_UNAVAILABLE
    return Prepared(profile, label, mim, base, headers, credentials, redactor)
