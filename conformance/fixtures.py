"""Payloads the scenarios send, read from the fixtures/ folder (MIMCHECK_FIXTURES overrides it)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def root() -> Path:
    override = os.environ.get("MIMCHECK_FIXTURES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / "fixtures"


def load(relative: str, **substitutions: str) -> Any:
    """Load a JSON fixture, replacing ``{name}`` placeholders in it by the given values."""
    path = root() / relative
    if not path.is_file():
        raise FileNotFoundError(f"fixture {relative} not found under {root()}; set MIMCHECK_FIXTURES")
    text = path.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)
