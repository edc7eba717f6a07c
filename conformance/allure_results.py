"""The run's allure-results, finished when the run ends (controller only, before redaction and the
evidence digest): each case named by its requirement, its status from the verdict, its HTTP exchanges
as steps with their text attached and a failed check as the last step; plus ``categories.json``,
``environment.properties`` and ``executor.json``.

Allure statuses: PASS = passed, FAIL = failed (only an explicit check), INCONCLUSIVE = broken,
NOT_APPLICABLE = skipped. Categories tell product defects from suite errors and blocked cases."""

from __future__ import annotations

import hashlib
import json
import platform
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.allure_labels import CASE_LABEL
from conformance.recording import exchange_text
from conformance.records import CaseResult
from conformance.verdicts import Verdict

STATUS = {
    Verdict.PASS: "passed",
    Verdict.FAIL: "failed",
    Verdict.INCONCLUSIVE: "broken",
    Verdict.NOT_APPLICABLE: "skipped",
}
SUITE_ERROR = "INCONCLUSIVE (suite error): "
BLOCKED = "INCONCLUSIVE: "
NOT_APPLICABLE = "NOT APPLICABLE: "
CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Product defects (FAIL: an explicit check failed)",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Suite errors (INCONCLUSIVE: the suite's own error, not the product's)",
        "matchedStatuses": ["broken"],
        "messageRegex": r"(?s)INCONCLUSIVE \(suite error\): .*",
    },
    {
        "name": "Target unreachable or blocked (INCONCLUSIVE)",
        "matchedStatuses": ["broken"],
        "messageRegex": r"(?s)INCONCLUSIVE: .*",
    },
    {
        "name": "Not applicable (capability not declared)",
        "matchedStatuses": ["skipped"],
    },
]
MAX_STEP_NAME = 160


def status_message(result: CaseResult) -> str:
    """The Allure status message of a case; its prefix picks the category."""
    if result.verdict == Verdict.INCONCLUSIVE:
        if (result.blocked_by or "").startswith("suite error") or result.reason.startswith("suite error"):
            return SUITE_ERROR + result.reason
        blocked = result.blocked_by or ""
        if blocked and blocked not in result.reason:
            return f"{BLOCKED}blocked by {blocked}: {result.reason}"
        return BLOCKED + (result.reason or "no outcome")
    if result.verdict == Verdict.NOT_APPLICABLE:
        return NOT_APPLICABLE + result.reason
    return result.reason


def finish_results(results_dir: Path, out_dir: Path, results: list[CaseResult]) -> int:
    """Rewrite every case result in ``results_dir`` from the run's verdicts; returns how many."""
    by_case = {r.case_id: r for r in results}
    done = 0
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        hidden = _pop_hidden(data)
        if hidden is None:
            continue
        result = by_case.get(hidden.get("case", ""))
        if result is None:  # the run stopped before the case reported: INCONCLUSIVE in the certificate
            data["status"] = "broken"
            data["statusDetails"] = {
                "message": BLOCKED + "the case reported no outcome (the run was interrupted)"
            }
            path.write_text(json.dumps(data), encoding="utf-8")
            continue
        _rewrite(data, result, hidden.get("params", {}), results_dir, _evidence(out_dir, result))
        path.write_text(json.dumps(data), encoding="utf-8")
        done += 1
    return done


def _pop_hidden(data: dict[str, Any]) -> dict[str, Any] | None:
    labels = data.get("labels", [])
    hidden = [label for label in labels if label.get("name") == CASE_LABEL]
    if not hidden:
        return None
    data["labels"] = [label for label in labels if label.get("name") != CASE_LABEL]
    try:
        value = json.loads(hidden[0]["value"])
    except (KeyError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _evidence(out_dir: Path, result: CaseResult) -> dict[str, Any]:
    if not result.evidence:
        return {}
    try:
        data = json.loads((out_dir / result.evidence).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _rewrite(
    data: dict[str, Any],
    result: CaseResult,
    params: dict[str, str],
    results_dir: Path,
    evidence: dict[str, Any],
) -> None:
    req = result.requirement
    param = result.case_id[len(req.id) :]
    data["name"] = f"{req.id} {req.title}" + (f" {param}" if param else "")
    data["historyId"] = hashlib.md5(result.case_id.encode("utf-8")).hexdigest()  # stable across runs
    data["status"] = STATUS[result.verdict]
    details = dict(data.get("statusDetails") or {})
    message = status_message(result)
    if message:
        details["message"] = message
    if result.verdict == Verdict.NOT_APPLICABLE:
        details.pop("trace", None)
    if details:
        data["statusDetails"] = details
    if params:
        data["parameters"] = [{"name": name, "value": value} for name, value in params.items()]
    steps = [_exchange_step(e, results_dir) for e in evidence.get("exchanges", []) if isinstance(e, dict)]
    failure = evidence.get("failure")
    if result.verdict == Verdict.FAIL:
        steps.append(_failed_check_step(failure if isinstance(failure, dict) else {}, result, data))
    data["steps"] = list(data.get("steps") or []) + steps
    data["attachments"] = [a for a in data.get("attachments") or [] if a.get("name") != "HTTP exchanges"]


def _exchange_step(exchange: dict[str, Any], results_dir: Path) -> dict[str, Any]:
    url = urlsplit(str(exchange.get("url", "")))
    target = url.path + (f"?{url.query}" if url.query else "")
    status = exchange.get("status")
    outcome = str(status) if status is not None else f"no response ({exchange.get('error') or 'error'})"
    name = f"{exchange.get('method', '?')} {target} -> {outcome}"
    if len(name) > MAX_STEP_NAME:
        name = name[: MAX_STEP_NAME - 3] + "..."
    source = f"{uuid.uuid4()}-attachment.txt"
    try:
        text = exchange_text(exchange)
    except (KeyError, TypeError, ValueError):
        text = json.dumps(exchange, indent=2)
    (results_dir / source).write_text(text, encoding="utf-8")
    start = int(float(exchange.get("started_at") or 0) * 1000)
    stop = start + int(float(exchange.get("elapsed_ms") or 0))
    step: dict[str, Any] = {
        "name": name,
        "status": "passed" if status is not None else "broken",
        "stage": "finished",
        "attachments": [{"name": "HTTP exchange", "source": source, "type": "text/plain"}],
    }
    if start:
        step.update(start=start, stop=stop)
    if exchange.get("note"):
        step["parameters"] = [{"name": "note", "value": str(exchange["note"])}]
    return step


def _failed_check_step(failure: dict[str, Any], result: CaseResult, data: dict[str, Any]) -> dict[str, Any]:
    message = str(failure.get("message") or result.reason)
    name = f"check failed: {message.splitlines()[0] if message else ''}"
    if len(name) > MAX_STEP_NAME:
        name = name[: MAX_STEP_NAME - 3] + "..."
    params = [
        {"name": key, "value": str(failure[key])}
        for key in ("expected", "seen", "exchange")
        if key in failure
    ]
    stop = int(data.get("stop") or 0)
    step: dict[str, Any] = {
        "name": name,
        "status": "failed",
        "stage": "finished",
        "statusDetails": {"message": message},
        "parameters": params,
    }
    if stop:
        step.update(start=stop, stop=stop)
    return step


def write_extras(
    results_dir: Path,
    *,
    profile: Any,
    run_id: str,
    suite: str,
    results: list[CaseResult],
) -> None:
    """categories.json, environment.properties (target identity, suite, specs, capabilities) and
    executor.json (the build name; ``mimcheck report`` adds the build order from the history)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "categories.json").write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")
    specs = sorted({r.requirement.spec for r in results})
    env = {
        "target": profile.name,
        "target.vendor": profile.vendor,
        "target.version": profile.version,
        "suite": suite,
        "run": run_id,
        "mims": ",".join(sorted({r.requirement.mim for r in results})) or "none",
        "specs": "; ".join(specs) or "none",
        "capabilities": ",".join(profile.capabilities) or "none",
        "python": platform.python_version(),
    }
    env.update({f"{mim}.base_url": url for mim, url in profile.base_urls.items()})
    (results_dir / "environment.properties").write_text(
        "".join(f"{k}={_property(v)}\n" for k, v in env.items()), encoding="utf-8"
    )
    executor = {
        "name": "mimcheck",
        "type": "mimcheck",
        "buildName": f"{profile.name} run {run_id}",
        "reportName": profile.name,
    }
    (results_dir / "executor.json").write_text(json.dumps(executor), encoding="utf-8")


def _property(value: Any) -> str:
    """A value for a Java properties file: one line, backslashes kept."""
    return str(value).replace("\\", "\\\\").replace("\r", " ").replace("\n", " ")
