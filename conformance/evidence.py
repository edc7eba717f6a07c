"""Evidence files: one JSON document per test case with its verdict and every HTTP exchange."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from conformance.records import evidence_name

EVIDENCE_DIR = "evidence"


def write(out_dir: Path, case_id: str, document: dict[str, Any]) -> str:
    """Write one case's evidence, named by its stable case id; returns its path relative to the run
    folder."""
    folder = out_dir / EVIDENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = evidence_name(case_id)
    (folder / name).write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    return f"{EVIDENCE_DIR}/{name}"


def digest(out_dir: Path) -> str:
    """SHA-256 over every evidence file, in name order (name and content both count)."""
    sha = hashlib.sha256()
    folder = out_dir / EVIDENCE_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            sha.update(path.name.encode("utf-8") + b"\0")
            sha.update(path.read_bytes())
            sha.update(b"\0")
    return sha.hexdigest()
