"""Zero residue, proven: a platform seeded with foreign data (1,000 entities, subscriptions,
registrations, TM Forum resources, none carrying a run id) is left exactly as it was by a complete run,
by runs stopped with SIGINT and SIGTERM, and by a run killed with SIGKILL followed by
`mimcheck cleanup RUN_DIR`; nothing carrying the run's id remains; a second cleanup finds nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.embedded import EmbeddedReference
from conformance.profiles import parse_profile
from conformance.recording import RecordingClient
from conformance.redaction import Redactor
from conformance.sweep import Sweeper, run_id_of

NGSI = "/ngsi-ld/v1"
FOREIGN_TYPES = ("https://city.example/ns/StreetLight", "https://city.example/ns/Bin")
TMF_SEEDS = {"tmf620": ("/productCatalogManagement/v4", "productOffering", {"name": "foreign offering"})}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    """A reference platform of its own (the shared one serves other tests), seeded with foreign data."""
    with EmbeddedReference(log=tmp_path_factory.mktemp("zero") / "reference.log") as ref:
        _seed(ref.base_url)
        yield ref


def _seed(base: str) -> None:
    entities = [
        {
            "id": f"urn:ngsi-ld:Foreign:{n:04d}",
            "type": FOREIGN_TYPES[n % 2],
            "level": {"type": "Property", "value": n},
        }
        for n in range(1000)
    ]
    for start in range(0, len(entities), 100):
        resp = requests.post(
            f"{base}{NGSI}/entityOperations/create", json=entities[start : start + 100], timeout=30
        )
        assert resp.status_code == 201, resp.text
    for n in range(5):
        sub = {
            "id": f"urn:ngsi-ld:Subscription:foreign-{n}",
            "type": "Subscription",
            "entities": [{"type": FOREIGN_TYPES[0]}],
            "notification": {"endpoint": {"uri": f"http://127.0.0.1:9/foreign-{n}"}},
        }
        assert requests.post(f"{base}{NGSI}/subscriptions", json=sub, timeout=10).status_code == 201
    for n in range(3):
        reg = {
            "id": f"urn:ngsi-ld:ContextSourceRegistration:foreign-{n}",
            "type": "ContextSourceRegistration",
            "information": [{"entities": [{"type": "https://city.example/ns/Remote"}]}],
            "endpoint": f"http://127.0.0.1:9/source-{n}",
        }
        assert requests.post(f"{base}{NGSI}/csourceRegistrations", json=reg, timeout=10).status_code == 201
    for root, resource, body in TMF_SEEDS.values():
        for n in range(3):
            resp = requests.post(
                f"{base}/tmf-api{root}/{resource}", json={**body, "name": f"{body['name']} {n}"}, timeout=10
            )
            assert resp.status_code == 201, resp.text


def _all(url: str, **params: Any) -> list[Any]:
    out: list[Any] = []
    while True:
        page = requests.get(url, params={**params, "limit": 100, "offset": len(out)}, timeout=30)
        assert page.status_code == 200, (url, page.status_code, page.text[:300])
        out += page.json()
        if len(page.json()) < 100:
            return out


def snapshot(base: str) -> str:
    """Everything a run could touch, canonical: types, entities of every type, subscriptions, registrations,
    context source subscriptions, TM Forum resources of the seeded APIs."""
    types = requests.get(f"{base}{NGSI}/types", timeout=10).json()["typeList"]
    data: dict[str, Any] = {"types": sorted(types)}
    for type_name in types:
        data[f"entities {type_name}"] = sorted(
            _all(f"{base}{NGSI}/entities", type=type_name), key=lambda e: e["id"]
        )
    data["subscriptions"] = sorted(_all(f"{base}{NGSI}/subscriptions"), key=lambda s: s["id"])
    for sub in data["subscriptions"]:
        sub.pop("notification", None)  # delivery bookkeeping (timesSent, lastFailure) moves on its own
    data["registrations"] = sorted(
        _all(f"{base}{NGSI}/csourceRegistrations", type="https://city.example/ns/Remote"),
        key=lambda r: r["id"],
    )
    for reg in data["registrations"]:  # the platform's own bookkeeping of forwarding to the source
        for member in ("lastFailure", "lastSuccess", "timesSent", "timesFailed", "status"):
            reg.pop(member, None)
    data["csource subscriptions"] = _all(f"{base}{NGSI}/csourceSubscriptions")
    for root, resource, _ in TMF_SEEDS.values():
        data[resource] = sorted(_all(f"{base}/tmf-api{root}/{resource}"), key=lambda r: r["id"])
    return json.dumps(data, sort_keys=True)


def same_snapshot(after: str, before: str) -> None:
    """The platform as it was; else name what differs, per collection."""
    a, b = json.loads(after), json.loads(before)
    differs = {k: (b.get(k), a.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
    assert not differs, {k: (str(v[0])[:400], str(v[1])[:400]) for k, v in differs.items()}


def leftovers(base: str, run_id: str, profile_toml: str) -> int:
    """What a dry-run sweep for the run id finds on the platform."""
    profile = parse_profile(__import__("tomllib").loads(profile_toml), "<reference>")
    sweeper = Sweeper(
        RecordingClient(redactor=Redactor(), timeout=10), run_id, dry_run=True, say=lambda _: None
    )
    return sweeper.target(profile).total


def tagged_processes(tag: str) -> list[str]:
    """Processes whose environment carries the tag (every process a run starts inherits it)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if f"MIMCHECK_TEST_TAG={tag}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def no_process_left(tag: str) -> None:
    """Every process the run started has ended (the reference, a Mosquitto, xdist workers)."""
    deadline = time.monotonic() + 10
    while (left := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes left behind: {left}"


def _start(
    platform: EmbeddedReference, tmp_path: Path, name: str
) -> tuple[subprocess.Popen[str], Path, Path]:
    profile = tmp_path / f"{name}.toml"
    profile.write_text(platform.profile_toml(), encoding="utf-8")
    out = tmp_path / name
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(profile), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "MIMCHECK_TEST_TAG": name},
    )
    return proc, out, profile


def _wait_for_own_data(platform: EmbeddedReference, out: Path) -> str:
    """Wait until the run has entities of its own on the platform; returns its run id."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run_id = run_id_of(out)
        if run_id and any(
            run_id.replace("-", "") in t.replace("-", "") or "Mimcheck" in t for t in _types(platform)
        ):
            time.sleep(2.0)  # a few more scenarios under way
            return run_id
        time.sleep(0.1)
    pytest.fail("the run created nothing within 90 s: the abort would prove nothing")


def _types(platform: EmbeddedReference) -> list[str]:
    return requests.get(f"{platform.base_url}{NGSI}/types", timeout=10).json()["typeList"]


@pytest.mark.slow
def test_a_complete_run_leaves_the_platform_as_it_found_it(
    platform: EmbeddedReference, tmp_path: Path
) -> None:
    before = snapshot(platform.base_url)
    proc, out, profile = _start(platform, tmp_path, "complete")
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, output[-3000:]
    no_process_left("complete")
    same_snapshot(snapshot(platform.base_url), before)
    assert leftovers(platform.base_url, run_id_of(out) or "", profile.read_text()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_an_aborted_run_leaves_nothing(platform: EmbeddedReference, tmp_path: Path, how: str) -> None:
    before = snapshot(platform.base_url)
    proc, out, profile = _start(platform, tmp_path, how.lower())
    run_id = _wait_for_own_data(platform, out)
    if how == "SIGINT":  # Ctrl-C: the terminal signals the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
    elif how == "SIGTERM":  # a container runtime or systemd: the main process
        proc.send_signal(signal.SIGTERM)
    else:  # the machine is gone: every process of the run, at once
        os.killpg(proc.pid, signal.SIGKILL)
    output, _ = proc.communicate(timeout=120)
    no_process_left(how.lower())
    if how == "SIGKILL":
        time.sleep(0.5)
        cleanup = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "cleanup", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
        assert f"cleanup of run {run_id}: deleted" in cleanup.stdout
        again = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "cleanup", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert f"cleanup of run {run_id}: deleted nothing" in again.stdout, again.stdout
    else:
        assert proc.returncode == 3, output[-3000:]
    assert leftovers(platform.base_url, run_id, profile.read_text()) == 0
    same_snapshot(snapshot(platform.base_url), before)
