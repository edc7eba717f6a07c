"""Allure history carried across the runs of one target, so that the report's trend shows every
re-certification: ``reports/allure-history/<target slug>/`` next to the run folders.

Before Allure generates a report, the target's history is copied into ``allure-results/history`` and
the run gets the next build order (``executor.json``); afterwards the generated report's ``history``
folder is copied back."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

HISTORY_FOLDER = "allure-history"


def slug(name: str) -> str:
    """A target name as a folder name."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:60].strip("-") or "target"


def target_name(run: Path) -> str:
    """The run's target name: from executor.json, else the certificate, else the folder name."""
    for path, keys in (
        (run / "allure-results" / "executor.json", ("reportName",)),
        (run / "certificate.json", ("target", "name")),
    ):
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            for key in keys:
                data = data[key]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(data, str) and data.strip():
            return data
    return run.resolve().name


def history_dir(run: Path) -> Path:
    """The history folder of the run's target: next to the run folders."""
    return run.resolve().parent / HISTORY_FOLDER / slug(target_name(run))


def _trend_builds(history: Path) -> int:
    try:
        trend = json.loads((history / "history-trend.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(trend, list):
        return 0
    orders = [e.get("buildOrder") for e in trend if isinstance(e, dict)]
    numbers = [o for o in orders if isinstance(o, int)]
    return max(numbers) if numbers else len(trend)


def seed(results: Path, history: Path) -> int:
    """Copy the target's history into the results and give the run the next build order (returned).

    A run reported before keeps the history and build order it got then, so that building its
    report again does not add it to the trend twice."""
    executor_file = results / "executor.json"
    try:
        executor = json.loads(executor_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        executor = {"name": "mimcheck", "type": "mimcheck"}
    if not isinstance(executor, dict):
        executor = {"name": "mimcheck", "type": "mimcheck"}
    into = results / "history"
    seeded = executor.get("buildOrder")
    if isinstance(seeded, int) and into.is_dir():
        return seeded
    if into.exists():
        shutil.rmtree(into)
    if history.is_dir():
        shutil.copytree(history, into)
    else:
        into.mkdir(parents=True)  # marks the run as seeded, even as the target's first
    order = _trend_builds(history) + 1
    executor["buildOrder"] = order
    executor.setdefault("buildName", f"run {order}")
    executor_file.write_text(json.dumps(executor), encoding="utf-8")
    return order


def keep(report: Path, history: Path, order: int) -> bool:
    """Copy the generated report's history back to the target's history folder; False when the
    report has none, or when the folder already holds a later run (an older run reported again)."""
    source = report / "history"
    if not source.is_dir() or _trend_builds(history) > order:
        return False
    history.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, history / path.name)
    return True
