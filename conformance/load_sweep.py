"""`mimcheck load`, the sweep after a run: delete what the users of this run left behind (normally
nothing, as every profile cleans up after itself). Only data carrying the run's id is touched: NGSI-LD
entities whose id starts ``urn:ngsi-ld:<type>:<run-id>-``, NGSI-LD subscriptions whose id starts
``urn:ngsi-ld:Subscription:mimcheck-load-<run-id>-`` and TM Forum resources whose ``name`` or
``externalId`` starts ``mimcheck-load-<run-id>-``, whatever the target does with the query filters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from conformance.load_locust import run_entity_prefix, run_name_prefix, run_subscription_prefix

SWEEP_MAX_ROUNDS = 20
SWEEP_PAGE = 100


def sweep_run_entities(
    base: str, headers: Mapping[str, str], entity_types: Iterable[str], run_id: str, timeout: float
) -> tuple[int, str | None]:
    """Delete the entities of this run the users left behind (normally none).

    Only ids carrying this run's prefix are deleted, whatever the broker answers to ``idPattern``.
    Returns how many were deleted and a problem that stopped the sweep, if any.
    """
    import requests

    if not re.fullmatch(r"[A-Za-z0-9]+", run_id):
        return 0, f"run id {run_id!r} is not alphanumeric; sweep skipped"
    removed = 0
    with requests.Session() as http:
        http.headers.update({"Accept": "application/json", **headers})
        for entity_type in entity_types:
            prefix = run_entity_prefix(entity_type, run_id)
            for _ in range(SWEEP_MAX_ROUNDS):
                try:
                    found = http.get(
                        f"{base}/ngsi-ld/v1/entities",
                        params={"type": entity_type, "idPattern": f"^{prefix}.*", "limit": str(SWEEP_PAGE)},
                        timeout=timeout,
                        allow_redirects=False,
                    )
                    if found.status_code != 200:
                        return removed, f"query for leftovers answered HTTP {found.status_code}"
                    ours = [e["id"] for e in found.json() if str(e.get("id", "")).startswith(prefix)]
                    for entity_id in ours:
                        gone = http.delete(
                            f"{base}/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}",
                            timeout=timeout,
                            allow_redirects=False,
                        )
                        removed += gone.status_code in (204, 404)
                except (requests.RequestException, ValueError, TypeError, KeyError) as exc:
                    return removed, f"sweep failed: {type(exc).__name__}"
                if not ours:
                    break
    return removed, None


def sweep_run_tmf_resources(
    base: str, headers: Mapping[str, str], collections: Iterable[str], run_id: str, timeout: float
) -> tuple[int, str | None]:
    """Delete the TM Forum resources of this run the users left behind (normally none): those whose
    ``name`` or ``externalId`` starts ``mimcheck-load-<run-id>-``. Returns how many and a problem."""
    import requests

    prefix = run_name_prefix(run_id)
    removed = 0
    with requests.Session() as http:
        http.headers.update({"Accept": "application/json", **headers})
        for collection in collections:
            absolute = collection.startswith(("http://", "https://"))  # at a [mim3.roots] root
            url = collection.rstrip("/") if absolute else f"{base}/{collection.strip('/')}"
            ours: list[str] = []
            try:
                for page in range(SWEEP_MAX_ROUNDS):
                    found = http.get(
                        url,
                        params={"offset": str(page * SWEEP_PAGE), "limit": str(SWEEP_PAGE)},
                        timeout=timeout,
                        allow_redirects=False,
                    )
                    if found.status_code not in (200, 206):
                        return (
                            removed,
                            f"listing {collection} for leftovers answered HTTP {found.status_code}",
                        )
                    items = found.json()
                    ours += [
                        str(r["id"])
                        for r in items
                        if any(str(r.get(k) or "").startswith(prefix) for k in ("name", "externalId"))
                    ]
                    if len(items) < SWEEP_PAGE:
                        break
                for rid in ours:
                    gone = http.delete(f"{url}/{quote(rid, safe='')}", timeout=timeout, allow_redirects=False)
                    removed += gone.status_code in (200, 202, 204, 404)
            except (requests.RequestException, ValueError, TypeError, KeyError) as exc:
                return removed, f"sweep of {collection} failed: {type(exc).__name__}"
    return removed, None


def sweep_run_subscriptions(
    base: str, headers: Mapping[str, str], run_id: str, timeout: float
) -> tuple[int, str | None]:
    """Delete the NGSI-LD subscriptions of this run still on the target (normally none: a profile
    deletes its own when the test stops; a Locust process killed outright cannot). Returns how many
    were deleted and a problem that stopped the sweep, if any."""
    import requests

    prefix = run_subscription_prefix(run_id)
    ours: list[str] = []
    with requests.Session() as http:
        http.headers.update({"Accept": "application/json", **headers})
        try:
            for page in range(SWEEP_MAX_ROUNDS):
                found = http.get(
                    f"{base}/ngsi-ld/v1/subscriptions",
                    params={"offset": str(page * SWEEP_PAGE), "limit": str(SWEEP_PAGE)},
                    timeout=timeout,
                    allow_redirects=False,
                )
                if found.status_code != 200:
                    return 0, f"listing subscriptions for leftovers answered HTTP {found.status_code}"
                items = found.json()
                ours += [str(s["id"]) for s in items if str(s.get("id", "")).startswith(prefix)]
                if len(items) < SWEEP_PAGE:
                    break
            removed = 0
            for sid in ours:
                gone = http.delete(
                    f"{base}/ngsi-ld/v1/subscriptions/{quote(sid, safe=':')}",
                    timeout=timeout,
                    allow_redirects=False,
                )
                removed += gone.status_code in (204, 404)
        except (requests.RequestException, ValueError, TypeError, KeyError, AttributeError) as exc:
            return 0, f"sweep of subscriptions failed: {type(exc).__name__}"
    return removed, None
