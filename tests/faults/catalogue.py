"""The fault catalogue (catalogue.toml) as typed data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from proxy import Rule

CATALOGUE_DIR = Path(__file__).with_name("catalogue")


@dataclass(frozen=True)
class Fault:
    name: str
    imitates: str
    expect_fail: frozenset[str]
    mims: tuple[str, ...]
    rules: tuple[Rule, ...]
    notify_rules: tuple[Rule, ...] = ()  # applied between the target and the suite's receiver
    ci: bool = False
    select: str | None = None  # optional pytest -k expression to run only the scenarios concerned


def load_faults(folder: Path = CATALOGUE_DIR) -> list[Fault]:
    """Every fault of every catalogue/*.toml file (one file per area)."""
    faults = []
    names: set[str] = set()
    entries = []
    for path in sorted(folder.glob("*.toml")):
        entries += [
            (path, entry) for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("fault", [])
        ]
    for path, entry in entries:
        name = entry["name"]
        if name in names:
            raise ValueError(f"{path}: fault {name!r} is listed twice")
        names.add(name)
        faults.append(
            Fault(
                name=name,
                imitates=entry["imitates"],
                expect_fail=frozenset(entry["expect_fail"]),
                mims=tuple(entry.get("mims", ["mim1", "mim2", "mim3"])),
                rules=tuple(Rule.from_dict(rule) for rule in entry.get("rule", [])),
                notify_rules=tuple(Rule.from_dict(rule) for rule in entry.get("notify_rule", [])),
                ci=bool(entry.get("ci", False)),
                select=entry.get("select"),
            )
        )
    return faults
