"""`mimcheck audit` against the embedded reference holding many entities: rate and memory.

Starts the reference platform, seeds it with ``--n`` entities per size (default 1,000 and 20,000),
half ParkingSpot and half WeatherObserved (each the model's bundled sample with its own id), one
ParkingSpot in a hundred broken (its ``status`` outside the enum), created by batches of 100 under
the model's own @context. Then runs ``mimcheck audit`` on both models in a child process, in both
forms (the listing normalized, each page read again as keyValues by id), and prints per size:

- entities audited per second (wall clock of the child);
- the child's peak resident memory (``wait4`` rusage ``ru_maxrss``): flat when the audit streams;
- whether it found exactly the broken entities (by id, from ``audit-invalid.ndjson``).

Each size gets a fresh reference. The figures are a property of the machine.

    .venv/bin/python benchmarks/sdm_audit_bench.py [--n 1000 --n 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance import sdm_registry  # noqa: E402
from conformance.embedded import EmbeddedReference  # noqa: E402

MODELS = ("ParkingSpot", "WeatherObserved")
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
BATCH = 100


def seed(base: str, n: int) -> set[str]:
    """``n`` entities over MODELS; returns the ids of the broken ones."""
    models = sdm_registry.load()
    contexts = {
        name: json.loads(models[name].context_path.read_text(encoding="utf-8"))["@context"] for name in MODELS
    }
    broken: set[str] = set()
    batch: list[dict[str, Any]] = []
    for i in range(n):
        name = MODELS[i % len(MODELS)]
        entity = {k: v for k, v in models[name].sample().items() if k != "@context"}
        entity["id"] = f"urn:ngsi-ld:{name}:audit-bench-{i}"
        if name == "ParkingSpot" and i % 200 == 0:
            entity["status"] = {"type": "Property", "value": "weird"}
            broken.add(entity["id"])
        entity["@context"] = [contexts[name], CORE]
        batch.append(entity)
        if len(batch) == BATCH or i == n - 1:
            resp = requests.post(
                f"{base}/ngsi-ld/v1/entityOperations/create",
                data=json.dumps(batch),
                headers={"Content-Type": "application/ld+json"},
                timeout=120,
            )
            if resp.status_code != 201:
                raise SystemExit(f"seeding failed: {resp.status_code} {resp.text[:300]}")
            batch = []
    return broken


def audit(base: str, out: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one `mimcheck audit` child."""
    args = [sys.executable, "-m", "conformance.cli", "audit", "--target-url", base, "--no-progress"]
    args += [arg for name in MODELS for arg in ("--model", name)]
    args += ["--out", str(out), "--format", "json"]
    started = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(
            f"audit failed (exit {code}): {proc.stderr.read().decode()[-500:] if proc.stderr else ''}"
        )
    return wall, usage.ru_maxrss, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="entities on the platform (repeatable)")
    sizes = parser.parse_args().n or [1000, 20000]
    print(
        f"{'entities':>9} {'seed s':>7} {'audit s':>8} {'entities/s':>11} {'peak RSS MiB':>13}  exactly the broken ones"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            with EmbeddedReference() as ref:
                t0 = time.monotonic()
                broken = seed(ref.base_url, n)
                seeded = time.monotonic() - t0
                out = Path(tmp) / f"audit-{n}"
                wall, rss_kib, _ = audit(ref.base_url, out)
            found = {
                json.loads(line)["id"]
                for line in (out / "audit-invalid.ndjson").read_text(encoding="utf-8").splitlines()
            }
            report = json.loads((out / "audit.json").read_text(encoding="utf-8"))
            assert report["summary"]["entities"] == n, report["summary"]
            print(
                f"{n:>9,} {seeded:>7.1f} {wall:>8.1f} {n / wall:>11,.0f} {rss_kib / 1024:>13.1f}  "
                f"{'yes' if found == broken else 'NO'} ({len(found)} of {len(broken)})"
            )


if __name__ == "__main__":
    main()
