"""The run's plan: every case it means to run (with its requirement), the cases a narrowed run left
out, and how it was narrowed. Each process (each xdist worker) writes what it collected into the run
folder; the controller merges them at the end, so that a case that never ran is known as "not run"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLAN_DIR = ".plan"


@dataclass
class RunPlan:
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> nodeid, requirement
    deselected: dict[str, str] = field(default_factory=dict)  # case id -> requirement id
    narrowed_by: list[str] = field(default_factory=list)

    def narrowed(self, how: str) -> None:
        if how not in self.narrowed_by:
            self.narrowed_by.append(how)

    def write(self, out_dir: Path, process: str) -> None:
        folder = out_dir / PLAN_DIR
        folder.mkdir(parents=True, exist_ok=True)
        document = {"plan": self.cases, "deselected": self.deselected, "narrowed_by": self.narrowed_by}
        (folder / f"{process}.json").write_text(json.dumps(document), encoding="utf-8")

    def merged_with_written(self, out_dir: Path) -> RunPlan:
        """This plan merged with those the processes wrote, which are removed."""
        merged = RunPlan(dict(self.cases), dict(self.deselected), list(self.narrowed_by))
        folder = out_dir / PLAN_DIR
        if not folder.is_dir():
            return merged
        for path in sorted(folder.glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            merged.cases.update(doc.get("plan", {}))
            merged.deselected.update(doc.get("deselected", {}))
            for how in doc.get("narrowed_by", []):
                merged.narrowed(how)
            path.unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass
        return merged


def read_only_file(path: str) -> set[str]:
    """The case ids and node ids listed in an --only file (one a line, # comments)."""
    text = Path(path).read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
