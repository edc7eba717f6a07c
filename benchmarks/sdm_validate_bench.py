"""How fast the suite validates Smart Data Models keyValues entities, beside the naive way.

Generates ``--n`` keyValues entities (default 100,000) spread evenly over five bundled models (each
the model's bundled sample with its own id and a ``dateModified`` of its own), then validates all of
them twice in the same run, with strict format checks (conformance/sdm.py ``format_checker``):

1. **compiled**: the suite's way (conformance/sdm_registry.py ``Models.validator``): one
   Draft 2020-12 validator a model, built once and reused for every entity;
2. **naive**: what upstream tooling does: for every entity, read the model's schema file and
   build a new validator, then validate. It reuses the suite's offline ``$ref`` registry (nothing is
   fetched), so it is a lower bound of what a per-payload validator costs.

It prints entities/s of both sides, by wall clock and by the process's CPU time (on a shared
machine the CPU figure is the steadier one), and their ratio. Every generated entity is valid; a side that
finds an invalid one says so (a benchmark of the error path would be another benchmark). The
figures are a property of the machine: read them as a ratio.

    .venv/bin/python benchmarks/sdm_validate_bench.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jsonschema import Draft202012Validator  # noqa: E402

from conformance import sdm, sdm_registry  # noqa: E402

MODELS = ("ParkingSpot", "WeatherObserved", "Device", "Streetlight", "AirQualityObserved")


def entities(models: sdm_registry.Models, n: int) -> list[tuple[str, dict[str, Any]]]:
    """``n`` (model, keyValues entity) pairs, round robin over MODELS, each with its own id."""
    samples = {name: sdm.to_key_values(models[name].sample()) for name in MODELS}
    out = []
    for i in range(n):
        name = MODELS[i % len(MODELS)]
        entity = dict(samples[name])
        entity["id"] = f"urn:ngsi-ld:{name}:bench-{i}"
        entity["dateModified"] = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        out.append((name, entity))
    return out


def compiled(models: sdm_registry.Models) -> Callable[[str, dict[str, Any]], bool]:
    for name in MODELS:
        models.validator(name)  # compiled once, before the clock starts (as a run does at its first case)
    return lambda name, entity: models.validator(name).is_valid(entity)


def naive(models: sdm_registry.Models) -> Callable[[str, dict[str, Any]], bool]:
    checker = sdm.format_checker("strict")
    registries = {name: models.registry(name) for name in MODELS}
    paths = {name: models[name].schema_path for name in MODELS}

    def validate(name: str, entity: dict[str, Any]) -> bool:
        schema = json.loads(paths[name].read_text(encoding="utf-8"))
        validator = Draft202012Validator(schema, registry=registries[name], format_checker=checker)
        return validator.is_valid(entity)

    return validate


def timed(
    validate: Callable[[str, dict[str, Any]], bool], batch: list[tuple[str, dict[str, Any]]]
) -> tuple[float, float, int]:
    """Wall and CPU seconds to validate the batch, and how many entities were found invalid."""
    start, cpu = time.perf_counter(), time.process_time()
    invalid = sum(not validate(name, entity) for name, entity in batch)
    return time.perf_counter() - start, time.process_time() - cpu, invalid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="entities to validate (default 100000)")
    ns = parser.parse_args(argv)
    if ns.n < len(MODELS):
        parser.error(f"--n takes at least {len(MODELS)} (one entity a model)")
    models = sdm_registry.Models(format_checks="strict")
    batch = entities(models, ns.n)
    print(f"{ns.n} keyValues entities of {', '.join(MODELS)}; strict format checks")
    rates = {}
    for side, make in (("compiled", compiled), ("naive", naive)):
        wall, cpu, invalid = timed(make(models), batch)
        rates[side] = ns.n / max(cpu, 1e-9)
        print(
            f"{side:<9} wall {wall:8.2f} s {ns.n / max(wall, 1e-9):10,.0f} entities/s   "
            f"cpu {cpu:8.2f} s {rates[side]:10,.0f} entities/s   invalid: {invalid}"
        )
    print(f"compiled / naive (CPU): {rates['compiled'] / rates['naive']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
