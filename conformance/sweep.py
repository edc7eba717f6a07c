"""`mimcheck cleanup`: find and delete what a run left on a target, by its run id.

A run deletes what it creates, case by case and in a sweep at its end, also after Ctrl-C or SIGTERM.
A run killed outright (SIGKILL, a lost machine) cannot: this command finishes the job afterwards.
It only ever deletes objects whose id (or, for TM Forum resources, whose body) carries the run id,
so it is safe on a live platform, and it is idempotent: a second call finds nothing.

Swept: NGSI-LD entities (every type `/types` lists), temporal entities, subscriptions, context source
registrations and their subscriptions, and @contexts added under a run-scoped URL; the TM Forum
resources of every API the profile declares. Not reachable through the API: NGSI-LD tenants (there is
no operation to list or delete one) and entities of run-scoped tenants are said so, not guessed.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance.outcomes import Inconclusive
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient

PAGE = 100
MAX_PAGES = 1000  # 100,000 objects of one kind: a bound, whatever the target answers
RUN_ID = re.compile(r"^\d{8}T\d{6}[0-9a-f]{6}$")
RUN_FILE = "run.json"  # written into the run folder before the first case: the run id survives a SIGKILL
NGSILD_ROOT = "/ngsi-ld/v1"


@dataclass
class SweepReport:
    deleted: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.deleted[kind] = self.deleted.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class Sweeper:
    def __init__(
        self,
        client: RecordingClient,
        run_id: str,
        *,
        dry_run: bool = False,
        say: Callable[[str], None] = print,
    ) -> None:
        if not RUN_ID.match(run_id):
            raise ValueError(f"{run_id!r} is not a run id (like 20261130T233819c793eb)")
        self.http = client
        self.run_id = run_id
        self.dry_run = dry_run
        self.say = say
        self.report = SweepReport()

    def ours(self, value: Any) -> bool:
        return self.run_id in (value if isinstance(value, str) else json.dumps(value))

    # ------------------------------------------------------------------------------- plumbing

    def _pages(self, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """The pages of a collection (limit/offset, as NGSI-LD and TM Forum both page), until one is short."""
        for number in range(MAX_PAGES):
            resp = self.http.get(
                url,
                params={**params, "limit": PAGE, "offset": number * PAGE},
                headers={"Accept": "application/json"},
            )
            if resp.status_code != 200:
                raise _Refused(f"GET {url} answered {resp.status_code}")
            try:
                page = resp.json()
            except ValueError:
                raise _Refused(f"GET {url} answered a body that is not JSON") from None
            if not isinstance(page, list):
                raise _Refused(f"GET {url} answered no JSON array")
            yield page
            if len(page) < PAGE:
                return

    def _delete(self, kind: str, url: str) -> None:
        if self.dry_run:
            self.say(f"would delete {kind} {url}")
            self.report.count(kind)
            return
        resp = self.http.delete(url)
        if resp.status_code in (200, 202, 204):
            self.report.count(kind)
        elif resp.status_code != 404:  # 404: gone meanwhile (idempotent)
            self.report.failed.append(f"DELETE {url} answered {resp.status_code}")

    def _sweep(self, kind: str, list_url: str, item_url: Callable[[Any], str | None], **params: Any) -> None:
        try:
            doomed = [u for page in self._pages(list_url, params) for item in page if (u := item_url(item))]
        except _Refused as exc:
            self.report.skipped.append(f"{kind}: {exc}")
            return
        for url in doomed:
            self._delete(kind, url)

    # ------------------------------------------------------------------------------- NGSI-LD

    def ngsild(self, base_url: str) -> None:
        root = base_url.rstrip("/") + NGSILD_ROOT
        types = self._types(root)

        def by_id(path: str, *, whole: bool = False) -> Callable[[Any], str | None]:
            """The item's URL when it is the run's: its id carries the run id, or (``whole``: subscriptions
            and registrations, whose id the target may have chosen) anything in it does, e.g. the
            notification endpoint or the registered source's address."""

            def url(item: Any) -> str | None:
                ident = item.get("id") if isinstance(item, dict) else None
                if not isinstance(ident, str) or not self.ours(item if whole else ident):
                    return None
                return f"{root}{path}/{quote(ident, safe=':')}"

            return url

        for type_name in types:
            pattern = f".*{re.escape(self.run_id)}.*"
            self._sweep("entity", f"{root}/entities", by_id("/entities"), type=type_name, idPattern=pattern)
            self._sweep(
                "temporal entity",
                f"{root}/temporal/entities",
                by_id("/temporal/entities"),
                type=type_name,
                idPattern=pattern,
                lastN=1,
            )
        self._sweep("subscription", f"{root}/subscriptions", by_id("/subscriptions", whole=True))
        self._sweep(
            "context source subscription",
            f"{root}/csourceSubscriptions",
            by_id("/csourceSubscriptions", whole=True),
        )
        self._registrations(root, types, by_id("/csourceRegistrations", whole=True))
        self._sweep("@context", f"{root}/jsonldContexts", self._context_url(root))
        self.report.skipped.append(
            "NGSI-LD tenants: the API has no operation to list or delete one; a run-scoped tenant stays (empty)"
        )

    def _types(self, root: str) -> list[str]:
        resp = self.http.get(f"{root}/types", headers={"Accept": "application/json"})
        try:
            body = resp.json() if resp.status_code == 200 else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            names = body.get("typeList", [])
        elif isinstance(body, list):  # details=true form, or a broker that lists EntityType objects
            names = [t.get("typeName") or t.get("id") for t in body if isinstance(t, dict)]
        else:
            self.report.skipped.append(f"entities: GET {root}/types answered {resp.status_code}")
            return []
        return [n for n in names if isinstance(n, str)]

    def _registrations(self, root: str, types: list[str], url: Callable[[Any], str | None]) -> None:
        kind = "context source registration"
        before = len(self.report.skipped)
        self._sweep(kind, f"{root}/csourceRegistrations", url)
        if len(self.report.skipped) == before:
            return
        del self.report.skipped[before:]  # a broker that needs a type to list registrations: ask per type
        for type_name in types:
            self._sweep(kind, f"{root}/csourceRegistrations", url, type=type_name)

    def _context_url(self, root: str) -> Callable[[Any], str | None]:
        def url(item: Any) -> str | None:
            address = item.get("url") if isinstance(item, dict) else item
            if isinstance(address, str) and self.ours(address):
                return f"{root}/jsonldContexts/{quote(address, safe='')}"
            return None

        return url

    # ------------------------------------------------------------------------------- TM Forum

    def tmf(self, base_url: str, declared: tuple[str, ...]) -> None:
        from conformance.tmf.api import NOT_DELETABLE, root_candidates
        from conformance.tmf.resources import APIS, resources_of

        for api in APIS:
            if api.capability not in declared:
                continue
            root = root_candidates(base_url, api.capability)[0]
            for resource in resources_of(api):
                if (api.capability, resource.name) in NOT_DELETABLE or not resource.deletable:
                    continue

                def url(item: Any, collection: str = f"{root}/{resource.name}") -> str | None:
                    ident = item.get("id") if isinstance(item, dict) else None
                    return f"{collection}/{quote(str(ident), safe='')}" if ident and self.ours(item) else None

                self._sweep(f"{api.capability} {resource.name}", f"{root}/{resource.name}", url)

    def target(self, profile: TargetProfile) -> SweepReport:
        seen = set()
        for mim in ("mim1", "mim2"):
            base = profile.base_url(mim)
            if base and base not in seen:
                seen.add(base)
                self.ngsild(base)
        base = profile.base_url("mim3")
        if base:
            self.tmf(base, profile.capabilities)
        return self.report


class _Refused(Exception):
    """The target did not list a collection (not there, or refused)."""


# ----------------------------------------------------------------------------------- the command


def run_id_of(folder: Path) -> str | None:
    """The run id a run folder records (run.json from the start of the run, else the certificate)."""
    for name, key in ((RUN_FILE, "run_id"), ("certificate.json", "run_id")):
        try:
            value = json.loads((folder / name).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, str):
            return value
    return None


def add_cleanup_parser(sub: Any) -> None:
    p = sub.add_parser(
        "cleanup",
        help="delete what a run left on a target (after a killed run), found by its run id; idempotent",
    )
    p.add_argument("run", nargs="?", metavar="RUN_DIR", help="the run folder (its run id and target profile)")
    p.add_argument("--run-id", help="the run id (as printed by `mimcheck run` and in certificate.json)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--target", metavar="PROFILE", help="target profile TOML (default: the run folder's)")
    group.add_argument("--target-url", metavar="URL", help="NGSI-LD base URL of the target")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    p.set_defaults(func=cmd_cleanup)


def cmd_cleanup(ns: argparse.Namespace) -> int:
    from conformance.profiles import ProfileError, from_url, load_profile
    from conformance.redaction import Redactor
    from conformance.runcontext import unavailable, usage
    from conformance.verdicts import EXIT_OK

    folder = Path(ns.run) if ns.run else None
    if folder is not None and not folder.is_dir():
        raise usage(f"no run folder {folder}")
    run_id = ns.run_id or (run_id_of(folder) if folder else None)
    if not run_id:
        raise usage("give a run folder (RUN_DIR) or --run-id ID")
    if not RUN_ID.match(run_id):
        raise usage(f"--run-id {run_id!r}: expected a run id like 20261130T233819c793eb")
    try:
        if ns.target_url:
            profile = from_url(ns.target_url)
        elif ns.target or (folder and (folder / "target-profile.toml").is_file()):
            profile = load_profile(ns.target or folder / "target-profile.toml")  # type: ignore[operator]
        else:
            raise usage(
                "give --target PROFILE or --target-url URL (the run folder has no target-profile.toml)"
            )
    except ProfileError as exc:
        raise usage(str(exc)) from None
    from conformance.auth import AuthError, make_authorizer

    redactor = Redactor()
    try:
        authorizer = make_authorizer(
            profile.auth, redactor, profile.timeout_seconds, verify=profile.tls.verify, cert=profile.tls.cert
        )
    except AuthError as exc:
        raise usage(f"authentication: {exc}") from None
    client = RecordingClient(
        redactor=redactor,
        timeout=profile.timeout_seconds,
        default_headers=dict(profile.headers),
        authorizer=authorizer,
        trusted_urls=profile.base_urls.values(),
        verify=profile.tls.verify,
        cert=profile.tls.cert,
    )
    sweeper = Sweeper(client, run_id, dry_run=ns.dry_run)
    try:
        report = sweeper.target(profile)
    except Inconclusive as exc:
        raise unavailable(f"cleanup of run {run_id}: {exc.blocked_by or exc}") from None
    verb = "would delete" if ns.dry_run else "deleted"
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.deleted.items())) or "nothing"
    print(f"mimcheck: cleanup of run {run_id}: {verb} {kinds}")
    for line in report.skipped:
        print(f"mimcheck: not swept: {line}")
    for line in report.failed:
        print(f"mimcheck: failed: {line}")
    return EXIT_OK if not report.failed else 1
