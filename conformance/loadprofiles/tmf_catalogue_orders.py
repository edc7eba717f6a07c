"""Load profile `tmf_catalogue_orders`: MIM3 catalogue browsing (TMF620) and order placement (TMF622).

It loads the target's ``[mim3]`` base URL. Before the users start, the profile creates
``seed_offerings`` product offerings (``--option seed_offerings=N``, default 30) named
``mimcheck-load-<run-id>-offering-<n>``; when the test stops it deletes them. The users, in the
proportions 3:3:2:2:1:2:

* list a page of offerings (``offset``/``limit``): 200 or 206, an array of at most ``limit``;
* list with ``fields=name,lifecycleStatus``: every item carries ``name`` and nothing but the selected
  attributes and the always-present ``id``/``href``/``@type``-family ones;
* find a seeded offering by attribute filter ``name=...``: 200, it is in the answer, every item has
  that name;
* retrieve a seeded offering by id: 200, same id and name;
* walk every page of the catalogue: no offering on two pages, every seeded one met (skipped for a
  catalogue of more than 50 pages);
* place an order (TMF622 ``POST productOrder``, one item on a seeded offering, ``externalId``
  ``mimcheck-load-<run-id>-order-<n>``): 201 in state ``acknowledged`` (or none); move it through
  ``inProgress`` to ``completed`` by merge-patch (200 each, the new state in the answer); read it back
  (200, ``completed``); delete it (204).

Any other status or content is a failure. Orders a user could not delete are deleted when it stops;
the CLI sweeps offerings and orders of the run that are left (by ``name`` / ``externalId``).
"""

from __future__ import annotations

import itertools
import random
from functools import cache
from typing import Any
from urllib.parse import quote

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance.load_locust import (
    JSON_CONTENT,
    PROCESS_TAG,
    LoadSettings,
    attach_reporting,
    body_of,
    expect_status,
    json_bytes,
    profile_option,
    run_name_prefix,
)

MIMCHECK_MIM = "mim3"
SETTINGS = LoadSettings.from_environ()
# Below the [mim3] base URL (the Locust host), unless the target profile's [mim3.roots] gives the
# API's root elsewhere (an absolute URL, which Locust then requests as is).
CATALOGUE = SETTINGS.tmf_roots.get("tmf620", "").rstrip("/") or "/productCatalogManagement/v4"
ORDERING = SETTINGS.tmf_roots.get("tmf622", "").rstrip("/") or "/productOrderingManagement/v4"
OFFERINGS = f"{CATALOGUE}/productOffering"
ORDERS = f"{ORDERING}/productOrder"
attach_reporting(events, SETTINGS, profile_name="tmf_catalogue_orders", tmf_resources=(OFFERINGS, ORDERS))
SEED = max(1, int(profile_option("seed_offerings", 30)))
PAGE = 10
MAX_WALK_PAGES = 50
ALWAYS = {"id", "href", "@type", "@baseType", "@schemaLocation", "@referredType"}
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
_orders = itertools.count(1)


def absolute(host: str, path: str) -> str:
    return path if path.startswith(("http://", "https://")) else f"{host}{path}"


def seed_name(index: int) -> str:
    return f"{run_name_prefix(SETTINGS.run_id)}offering-{index:04d}"


@cache
def seed_names(run_id: str) -> frozenset[str]:
    """The names of all seeded offerings (what a page walk must meet), once per run."""
    return frozenset(seed_name(i) for i in range(SEED))


def _headers() -> dict[str, str]:
    return {"Accept": "application/json", **SETTINGS.headers, **SETTINGS.credentials()}


@events.test_start.add_listener
def seed(environment: Any, **_: Any) -> None:
    """Create the offerings once: in the master of a distributed run, else in the only process."""
    from locust.runners import WorkerRunner

    if isinstance(environment.runner, WorkerRunner):
        return
    import requests

    for index in range(SEED):
        offering = {
            "name": seed_name(index),
            "description": "offering seeded by the mimcheck load profile tmf_catalogue_orders",
            "version": "1.0",
            "isBundle": False,
            "isSellable": True,
            "lifecycleStatus": "Active",
        }
        answer = requests.post(
            f"{absolute(environment.host, OFFERINGS)}",
            json=offering,
            headers=_headers(),
            timeout=30,
            allow_redirects=False,
        )
        if answer.status_code != 201:
            print(
                f"mimcheck-load: seeding answered HTTP {answer.status_code}: {answer.text[:200]}", flush=True
            )


@events.test_stop.add_listener
def unseed(environment: Any, **_: Any) -> None:
    from locust.runners import WorkerRunner

    if isinstance(environment.runner, WorkerRunner):
        return
    import requests

    for index in range(SEED):
        found = requests.get(
            f"{absolute(environment.host, OFFERINGS)}",
            params={"name": seed_name(index), "fields": "id,name"},
            headers=_headers(),
            timeout=30,
            allow_redirects=False,
        )
        if found.status_code not in (200, 206):
            continue
        for item in found.json():
            if isinstance(item, dict) and item.get("name") == seed_name(index) and item.get("id"):
                requests.delete(
                    f"{absolute(environment.host, OFFERINGS)}/{quote(str(item['id']), safe='')}",
                    headers=_headers(),
                    timeout=30,
                    allow_redirects=False,
                )


# The last listing checked for each query: (request name, query) -> (answer bytes, items, problem). The
# seeded catalogue does not change during a run, so an API answers one listing with the same bytes again
# and again; an answer byte for byte equal to the one already checked for the same query has the same
# verdict, with no second parse or check (not for the page walk, whose check follows the walk).
CHECKED: dict[tuple[str, str], tuple[bytes, list[dict[str, Any]], str | None]] = {}
MAX_CHECKED = 500  # the distinct listings of a run are about SEED + 10


class TmfCatalogueOrderUser(FastHttpUser):
    wait_time = between(0.05, 0.25)
    network_timeout = 10.0
    connection_timeout = 5.0
    max_redirects = 0
    insecure = False
    default_headers = {"Accept": "application/json", **SETTINGS.headers}

    def on_start(self) -> None:
        self.known: dict[int, str] = {}  # seeded offering index -> its id, as found
        self.open_orders: list[str] = []

    def on_stop(self) -> None:
        for order_id in list(self.open_orders):
            self.delete_order(order_id)

    def get_list(self, query: str, name: str, check: Any, memo: bool = True) -> list[dict[str, Any]] | None:
        """GET productOffering?<query>: the items, or None after marking the request failed.
        ``check(items)`` names a problem of the answer; with ``memo`` it must be a function of the
        query and the answer alone (an answer equal to one already checked is not checked again)."""
        with self.client.get(
            f"{OFFERINGS}?{query}", name=name, headers=SETTINGS.credentials(), catch_response=True
        ) as response:
            if not expect_status(response, 200, 206):
                return None
            content = response.content
            known = CHECKED.get((name, query)) if memo else None
            if known is not None and known[0] == content:
                body, problem = known[1], known[2]
            else:
                body = body_of(response)
                if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
                    response.failure("the answer is not an array of resources")
                    return None
                problem = check(body)
                if memo and isinstance(content, bytes) and (known is not None or len(CHECKED) < MAX_CHECKED):
                    CHECKED[(name, query)] = content, body, problem
            if problem:
                response.failure(problem)
                return None
            return body

    @task(3)
    def list_page(self) -> None:
        offset = random.randrange(0, SEED, PAGE)
        self.get_list(
            f"offset={offset}&limit={PAGE}",
            "GET productOffering?offset&limit",
            lambda b: f"{len(b)} items for limit={PAGE}" if len(b) > PAGE else None,
        )

    @task(3)
    def list_fields(self) -> None:
        def check(items: list[dict[str, Any]]) -> str | None:
            for item in items:
                extra = set(item) - ALWAYS - {"name", "lifecycleStatus"}
                if "name" not in item or extra:
                    return f"fields=name,lifecycleStatus answered {sorted(item)[:8]}"
            return None

        self.get_list(f"fields=name,lifecycleStatus&limit={PAGE}", "GET productOffering?fields=", check)

    @task(2)
    def find_offering(self) -> None:
        self.find_by_name()

    def find_by_name(self) -> str | None:
        """Find a random seeded offering by ``name=`` filter; its id (remembered), or None."""
        index = random.randrange(SEED)
        wanted = seed_name(index)

        def check(items: list[dict[str, Any]]) -> str | None:
            if any(i.get("name") != wanted for i in items):
                return f"name={wanted} answered offerings of other names"
            if not items:
                return f"the seeded offering {wanted} was not found"
            return None

        found = self.get_list(f"name={quote(wanted)}", "GET productOffering?name=", check)
        if found:
            self.known[index] = str(found[0].get("id"))
        return self.known.get(index)

    @task(2)
    def retrieve(self) -> None:
        if not self.known:
            self.find_by_name()
            return
        index, offering_id = random.choice(list(self.known.items()))
        with self.client.get(
            f"{OFFERINGS}/{quote(offering_id, safe='')}",
            name="GET productOffering/{id}",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if expect_status(response, 200):
                body = body_of(response)
                if (
                    not isinstance(body, dict)
                    or body.get("id") != offering_id
                    or body.get("name") != seed_name(index)
                ):
                    response.failure(f"the answer does not describe offering {offering_id}")

    @task(1)
    def walk_pages(self) -> None:
        seen: list[str] = []
        for page in range(MAX_WALK_PAGES):

            def check(items: list[dict[str, Any]]) -> str | None:
                seen.extend(str(i.get("name")) for i in items)
                if len(items) == PAGE:
                    return None
                prefix = run_name_prefix(SETTINGS.run_id)
                ours = [n for n in seen if n.startswith(prefix)]
                if len(ours) != len(set(ours)):
                    return "the page walk met one offering on two pages"
                missing = seed_names(SETTINGS.run_id) - set(ours)
                return f"{len(missing)} seeded offerings missing from the pages" if missing else None

            found = self.get_list(
                f"offset={page * PAGE}&limit={PAGE}&fields=name",
                "GET productOffering (page walk)",
                check,
                memo=False,
            )
            if found is None or len(found) < PAGE:
                return

    @task(2)
    def place_order(self) -> None:
        offering_id = self.find_by_name()
        if offering_id is None:
            return
        order = {
            "externalId": f"{run_name_prefix(SETTINGS.run_id)}order-{PROCESS_TAG}-{next(_orders):06d}",
            "description": "order placed by the mimcheck load profile tmf_catalogue_orders",
            "productOrderItem": [
                {"id": "1", "action": "add", "quantity": 1, "productOffering": {"id": offering_id}}
            ],
        }
        with self.client.post(
            f"{ORDERS}",
            data=json_bytes(order),
            name="POST productOrder",
            headers={**JSON_CONTENT, **SETTINGS.credentials()},
            catch_response=True,
        ) as response:
            if not expect_status(response, 201):
                return
            body = body_of(response)
            if not isinstance(body, dict) or not body.get("id"):
                response.failure("the created order has no id")
                return
            order_id = str(body["id"])
            self.open_orders.append(order_id)
            if body.get("state") not in (None, "acknowledged"):
                response.failure(f"a new order is in state {body.get('state')!r}, not acknowledged")
        for state in ("inProgress", "completed"):
            if not self.move(order_id, state):
                break
        else:
            with self.client.get(
                f"{ORDERS}/{quote(order_id, safe='')}",
                name="GET productOrder/{id}",
                headers=SETTINGS.credentials(),
                catch_response=True,
            ) as response:
                if expect_status(response, 200):
                    body = body_of(response)
                    if not isinstance(body, dict) or body.get("state") != "completed":
                        response.failure("the completed order does not read back as completed")
        self.delete_order(order_id)

    def move(self, order_id: str, state: str) -> bool:
        with self.client.patch(
            f"{ORDERS}/{quote(order_id, safe='')}",
            data=json_bytes({"state": state}),
            name=f"PATCH productOrder/{{id}} state={state}",
            headers={**SETTINGS.credentials(), **MERGE_PATCH},
            catch_response=True,
        ) as response:
            if not expect_status(response, 200):
                return False
            body = body_of(response)
            if not isinstance(body, dict) or body.get("state") != state:
                response.failure(f"the order is not in state {state} after the patch")
                return False
            return True

    def delete_order(self, order_id: str) -> None:
        with self.client.delete(
            f"{ORDERS}/{quote(order_id, safe='')}",
            name="DELETE productOrder/{id}",
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            expect_status(response, 204)
        if order_id in self.open_orders:
            self.open_orders.remove(order_id)
