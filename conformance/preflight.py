"""Preflight: one request per API root before the first case, so that a wrong base URL, a missing
API or refused credentials become one root cause instead of dozens of verdicts.

A root is "mim1" or "mim2" (the NGSI-LD API at that MIM's base URL) or "mim3:<api>" (one TM Forum
API under the MIM3 base URL). Only answers that say the API is not there (404/405 without the API's
own error body) or that the credentials were refused (401/403) block a root; any other answer,
right or wrong, is left for the scenarios to judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient

NGSILD_ERROR_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"
PREFLIGHT_FILE = "preflight.json"


def root_of(mim: str, capability: str | None) -> str:
    """The API root a requirement depends on."""
    if mim == "mim3" and capability and capability.startswith("tmf"):
        return f"mim3:{capability}"
    return mim


@dataclass
class Preflight:
    blocked: dict[str, str] = field(default_factory=dict)  # root -> root cause
    unreachable: str | None = None  # one line when the target answered nothing at all
    checked: list[str] = field(default_factory=list)

    def cause(self, mim: str, capability: str | None) -> str | None:
        return self.blocked.get(root_of(mim, capability)) or (
            self.blocked.get(mim) if mim == "mim3" else None
        )

    def to_json(self) -> dict[str, Any]:
        return {"blocked": dict(self.blocked), "unreachable": self.unreachable, "checked": list(self.checked)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preflight:
        return cls(
            blocked=dict(data.get("blocked", {})),
            unreachable=data.get("unreachable"),
            checked=list(data.get("checked", [])),
        )


def _is_problem_of(body: str, prefix: str | None) -> bool:
    try:
        data = json.loads(body or "")
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    if prefix is not None:
        return isinstance(data.get("type"), str) and data["type"].startswith(prefix)
    return isinstance(data.get("code"), str | int)  # a TMF Error


def _judge(what: str, url: str, status: int, body: str, prefix: str | None, hint: str) -> str | None:
    if status in (401, 403):
        return (
            f"{what}: GET {url} answered {status}: the credentials were refused; check [auth] in the profile"
        )
    if status in (404, 405) and not _is_problem_of(body, prefix):
        return f"{what} not found: GET {url} answered {status}; {hint}"
    return None


def run_preflight(
    profile: TargetProfile,
    mims: list[str],
    client: RecordingClient,
    *,
    tmf_probes: dict[str, str] | None = None,
) -> Preflight:
    """Probe each API root the chosen MIMs use. ``tmf_probes`` maps a TMF capability to the path of a
    collection under the MIM3 base URL (only declared APIs are probed)."""
    from conformance.outcomes import Inconclusive

    result = Preflight()
    seen: dict[str, str | None] = {}

    def probe(root: str, what: str, url: str, headers: dict[str, str], prefix: str | None, hint: str) -> None:
        result.checked.append(root)
        if url in seen:
            if seen[url]:
                result.blocked[root] = seen[url]  # type: ignore[assignment]
            return
        try:
            resp = client.get(url, headers=headers)
        except Inconclusive as exc:
            result.unreachable = result.unreachable or f"target unreachable: {exc.reason}"
            seen[url] = None
            return
        problem = _judge(what, url, resp.status_code, resp.text, prefix, hint)
        seen[url] = problem
        if problem:
            result.blocked[root] = problem

    for mim in mims:
        base = profile.base_url(mim)
        if base is None:
            continue
        if mim in ("mim1", "mim2"):
            headers = {"Accept": "application/json"}
            if profile.tenant:
                headers["NGSILD-Tenant"] = profile.tenant
            probe(
                mim,
                f"the NGSI-LD API ({mim})",
                f"{base}/ngsi-ld/v1/types",
                headers,
                NGSILD_ERROR_PREFIX,
                f"check [{mim}] base_url: it is the root under which /ngsi-ld/v1 is served",
            )
        elif mim == "mim3":
            declared = {c: p for c, p in sorted((tmf_probes or {}).items()) if profile.declares(c)}
            for capability, path in declared.items():
                # where the swagger's basePath differs (TMF676), the API may be served there instead
                urls = _tmf_urls(base, capability, path, profile.tmf_roots)
                where = " or ".join(url.rsplit("/", 1)[0] for url in urls)
                for url in urls:
                    result.blocked.pop(f"mim3:{capability}", None)
                    probe(
                        f"mim3:{capability}",
                        f"the {capability.upper()} API",
                        f"{url}?limit=1",
                        {"Accept": "application/json"},
                        None,
                        f"check [mim3.roots] {capability}: {capability.upper()} is expected at {where}"
                        if capability in profile.tmf_roots
                        else f"check [mim3] base_url: {capability.upper()} is expected at {where}",
                    )
                    if "not found" not in result.blocked.get(f"mim3:{capability}", ""):
                        break
            missing = [c for c in declared if "not found" in result.blocked.get(f"mim3:{c}", "")]
            if len(missing) > 1 and len(missing) == len(declared):
                # Not one API missing but the root itself wrong: one root cause, not one per API.
                cause = (
                    f"no TM Forum API found under {base} ({', '.join(c.upper() for c in missing)} "
                    "all answered 404 or 405); check [mim3] base_url"
                )
                for capability in missing:
                    result.blocked[f"mim3:{capability}"] = cause
    return result


def _tmf_urls(base: str, capability: str, path: str, roots: dict[str, str] | None = None) -> list[str]:
    """The collection URLs where the API may be: at the root the profile gives it ([mim3.roots]), else
    below the MIM3 base URL, then (TMF676, whose swagger basePath lacks /tmf-api) below the server root."""
    from conformance.tmf.api import API_ROOTS, root_candidates
    from conformance.tmf.v5_resources import V5_APIS, v5_root

    v5_roots = {a.capability: a.root for a in V5_APIS}
    if capability in v5_roots and path.startswith(v5_roots[capability]):
        return [v5_root(base, capability, roots) + path.removeprefix(v5_roots[capability])]
    root = API_ROOTS.get(capability)
    if root is None or not path.startswith(root):
        return [f"{base}{path}"]
    return [candidate + path.removeprefix(root) for candidate in root_candidates(base, capability, roots)]


def default_tmf_probes() -> dict[str, str]:
    """The collection each TM Forum API the suite knows is probed at: its first resource."""
    from conformance.tmf.api import API_ROOTS
    from conformance.tmf.resources import APIS, resources_of
    from conformance.tmf.v5_resources import V5_APIS, v5_resources_of

    probes = {}
    for api in APIS:
        names = [r.name for r in resources_of(api)]
        if names and api.capability in API_ROOTS:
            probes[api.capability] = f"{API_ROOTS[api.capability]}/{names[0]}"
    for v5 in V5_APIS:  # the v5 surface of an API (tmf620-v5) at its own root
        probes[v5.capability] = f"{v5.root}/{v5_resources_of(v5)[0].name}"
    return probes
