"""Evidence files: one JSON document per test case with its verdict and every HTTP exchange."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

EVIDENCE_DIR = "evidence"


def file_name(nodeid: str) -> str:
    return hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:20] + ".json"


def write(out_dir: Path, nodeid: str, document: dict[str, Any]) -> str:
    """Write one case's evidence; returns its path relative to the run folder."""
    folder = out_dir / EVIDENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(nodeid)
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
