"""Payloads the scenarios send, and the test @contexts the suite serves: package data of the suite
(conformance/data/fixtures, installed with it); MIMCHECK_FIXTURES names another folder instead."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conformance import package_data

ENV_FIXTURES = "MIMCHECK_FIXTURES"


def root() -> Path:
    override = os.environ.get(ENV_FIXTURES)
    if override:
        return Path(override)
    return package_data.path("data", "fixtures")


def load(relative: str, **substitutions: str) -> Any:
    """Load a JSON fixture, replacing ``{name}`` placeholders in it by the given values."""
    path = root() / relative
    if not path.is_file():
        raise FileNotFoundError(f"fixture {relative} not found under {root()}; set {ENV_FIXTURES}")
    text = path.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)
