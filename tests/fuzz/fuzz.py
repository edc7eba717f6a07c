"""Fuzz the embedded reference platform from the official OpenAPI files (schemathesis + hypothesis).

Every operation of the NGSI-LD V1.8.1 OpenAPI and of the TM Forum v4 swaggers is driven with requests
generated from its schema: mostly valid ones (positive mode) and some invalid ones (negative mode).
A finding is a 5xx status, a request that gets no answer (connection error, timeout: a crash), or a
2xx answer whose body does not match the schema the spec declares for it (schemathesis
`response_schema_conformance`). Generation is bounded per operation by a count and a time, and the
requests are counted here, not by schemathesis.

    python tests/fuzz/fuzz.py --max-requests 16000 --seconds 1200 --out reports/fuzz/summary.json
    python tests/fuzz/fuzz.py --api ngsild --api tmf620 --max-requests 500 --seconds 60

The spec files are read below REFERENCE_DATA (default: ../shared/reference-data beside the checkout).
Without --base-url the embedded reference platform is started on a free port and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from fuzz_specs import (  # noqa: E402
    APIS,
    FUZZ_ENTITY,
    NEGATIVE_SHARE,
    NO_NEGATIVE_BODIES,
    PATH_DEFAULT,
    PATH_VALUES,
    SCHEMA_CHECK_EXCLUDED,
    SCHEMA_PATCHES,
    api_base,
    load_operations,
    reference_data,
    spec_path,
)
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import HypothesisException, Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import response_schema_conformance  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402

from conformance.embedded import EmbeddedReference  # noqa: E402

REQUEST_TIMEOUT = 20.0
KEEP_FINDINGS = 20  # per kind and API, in the summary


class _Budget(BaseException):
    """Raised inside a hypothesis test to end an operation's run (not an Exception: not shrunk)."""


@dataclass
class Finding:
    kind: str  # "5xx" | "crash" | "schema"
    operation: str
    mode: str
    status: int | None
    detail: str
    curl: str


@dataclass
class ApiResult:
    api: str
    spec: str
    operations: int = 0
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    crashes: int = 0
    schema_violations: int = 0
    schema_checks: int = 0
    selected_answers: int = 0  # 2xx answers to a fields= request, not held to the whole schema
    skipped: int = 0  # operations not driven (hard time limit)
    accepted_invalid: int = 0  # 2xx to a negative (invalid on purpose) request: informative
    schema_check_excluded: dict[str, str] = field(default_factory=dict)
    schema_patches: list[str] = field(default_factory=list)
    not_generated: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def keep(self, finding: Finding) -> None:
        if sum(1 for f in self.findings if f.kind == finding.kind) < KEEP_FINDINGS:
            self.findings.append(finding)


def _curl(case: Any, base: str) -> str:
    try:
        return str(case.as_curl_command(base_url=base))
    except Exception as exc:  # noqa: BLE001 - evidence only
        return f"(no curl: {exc})"


def _text(response: requests.Response) -> str:
    return response.text[:400] if response.content else ""


def _make_test(
    api: str,
    label: str,
    excluded: str | None,
    base: str,
    session: requests.Session,
    result: ApiResult,
    mode: GenerationMode,
    count: int,
    deadline: float,
    calls: list[int],
) -> Any:
    """The hypothesis test body of one operation in one generation mode."""

    def one(case: Any) -> None:
        if calls[0] >= count or time.monotonic() > deadline:
            raise _Budget
        calls[0] += 1
        try:
            response = case.call(base_url=base, session=session, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            result.crashes += 1
            result.keep(Finding("crash", label, mode.value, None, repr(exc)[:400], _curl(case, base)))
            return
        except Exception as exc:  # noqa: BLE001 - a request schemathesis cannot build or send
            result.statuses["unsent"] += 1
            result.not_generated.setdefault(f"{label} [{mode.value}]", repr(exc)[:200])
            return
        status = response.status_code
        result.statuses[f"{status // 100}xx"] += 1
        if status >= 500:
            result.server_errors += 1
            result.keep(Finding("5xx", label, mode.value, status, _text(response), _curl(case, base)))
        elif 200 <= status < 300 and mode is GenerationMode.NEGATIVE:
            # a request made invalid on purpose and accepted: whatever the answer echoes of it cannot
            # be held to the spec's schema; counted (schemathesis's negative_data_rejection), not failed
            result.accepted_invalid += 1
        elif 200 <= status < 300 and (case.query or {}).get("fields") is not None:
            # TMF630 attribute selection: the answer holds the selected attributes only (plus id, href,
            # @type), so it may lack what the schema requires of a whole resource; not held to it
            result.selected_answers += 1
        elif 200 <= status < 300 and not excluded:
            result.schema_checks += 1
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except (AssertionError, FailureGroup) as exc:
                result.schema_violations += 1
                detail = f"{str(exc)[:600]} | body: {_text(response)}"
                result.keep(Finding("schema", label, mode.value, status, detail, _curl(case, base)))

    return one


def _fixed_path_strategy(operation: Any, mode: GenerationMode) -> Any:
    """The operation's cases with its path parameters drawn from PATH_VALUES."""
    names = [p.name for p in operation.path_parameters]
    combos: list[dict[str, str]] = [{}]
    for name in names:
        values = PATH_VALUES.get(name, PATH_DEFAULT)
        combos = [{**c, name: v} for c in combos for v in values]
    return st.one_of(*(operation.as_strategy(generation_mode=mode, path_parameters=c) for c in combos))


def fuzz_operation(
    api: str,
    operation: Any,
    base: str,
    session: requests.Session,
    result: ApiResult,
    *,
    examples: int,
    seconds: float,
) -> int:
    """Drive one operation; returns the number of requests sent."""
    label = f"{operation.method.upper()} {operation.path}"
    excluded = SCHEMA_CHECK_EXCLUDED.get((api, operation.method.upper(), operation.path))
    if excluded:
        result.schema_check_excluded[label] = excluded
    sent = 0
    if os.environ.get("FUZZ_TRACE"):
        print(f"  {api} {label}", file=sys.stderr, flush=True)
    negative = math.floor(examples * NEGATIVE_SHARE)
    if api in NO_NEGATIVE_BODIES and list(operation.body):
        negative = 0
    for mode, count in ((GenerationMode.POSITIVE, examples - negative), (GenerationMode.NEGATIVE, negative)):
        if count <= 0:
            continue
        deadline = time.monotonic() + seconds * count / examples
        calls = [0]
        one = _make_test(api, label, excluded, base, session, result, mode, count, deadline, calls)
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception as exc:  # noqa: BLE001 - recorded: the operation is not generated in this mode
            result.not_generated[f"{label} [{mode.value}]"] = repr(exc)[:200]
            continue
        run = settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
        )(given(case=strategy)(one))
        try:
            run()
        except _Budget:
            pass
        except Unsatisfiable as exc:
            if not list(operation.path_parameters):
                result.not_generated[f"{label} [{mode.value}]"] = repr(exc)[:200]
            else:
                try:
                    fixed = _fixed_path_strategy(operation, mode)
                    settings(
                        max_examples=count,
                        deadline=None,
                        database=None,
                        phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck),
                        verbosity=Verbosity.quiet,
                    )(given(case=fixed)(one))()
                except _Budget:
                    pass
                except Exception as exc2:  # noqa: BLE001 - recorded
                    result.not_generated[f"{label} [{mode.value}]"] = repr(exc2)[:200]
        except HypothesisException as exc:
            result.not_generated[f"{label} [{mode.value}]"] = repr(exc)[:200]
        except Exception as exc:  # noqa: BLE001 - schemathesis could not generate for this operation
            result.not_generated[f"{label} [{mode.value}]"] = repr(exc)[:200]
        sent += calls[0]
    return sent


def _seed(session: requests.Session, base: str) -> None:
    """(Re)create the entity the fixed path values name (a fuzzed DELETE may have removed it)."""
    entity = {"id": FUZZ_ENTITY, "type": "FuzzThing", "name": {"type": "Property", "value": "fuzz"}}
    try:
        session.post(base + "/entities", json=entity, timeout=REQUEST_TIMEOUT)
    except requests.RequestException:
        pass  # a crash shows in the fuzzed requests that follow


def fuzz(
    apis: list[str],
    base_url: str,
    *,
    max_requests: int,
    seconds: float,
    data: Path,
    log: Any = None,
    path_prefixes: list[str] | None = None,
    hard_limit: bool = False,
) -> dict[str, ApiResult]:
    """Spread max_requests and seconds over every operation of the APIs (those whose path starts with
    one of path_prefixes, if given), in proportion. With hard_limit, the operations still undriven
    when the time is up are skipped (counted); without it each still gets a short run."""
    ops = {
        api: [
            op
            for op in load_operations(api, data)
            if not path_prefixes or any(op.path.startswith(p) for p in path_prefixes)
        ]
        for api in apis
    }
    total_ops = max(1, sum(len(o) for o in ops.values()))
    per_op = max(2, math.ceil(max_requests / total_ops))
    per_op_seconds = seconds / total_ops
    results: dict[str, ApiResult] = {}
    started = time.monotonic()
    with requests.Session() as session:
        for api in apis:
            result = results[api] = ApiResult(api, str(spec_path(api, data)), operations=len(ops[api]))
            result.schema_patches = [why for _patch, why in SCHEMA_PATCHES.get(api, [])]
            base = api_base(api, base_url)
            t0 = time.monotonic()
            for operation in ops[api]:
                # an operation that finished early leaves its time to the others
                left = seconds - (time.monotonic() - started)
                remaining_ops = total_ops - sum(r.operations for r in results.values()) + len(ops[api])
                if left <= 0 and hard_limit:
                    result.skipped += 1  # out of time: the operations left are not driven
                    continue
                budget = max(per_op_seconds, left / max(1, remaining_ops)) if left > 0 else 0.5
                if api == "ngsild":
                    _seed(session, base)
                result.requests += fuzz_operation(
                    api, operation, base, session, result, examples=per_op, seconds=budget
                )
                remaining_ops -= 1
            result.seconds = round(time.monotonic() - t0, 1)
            if log:
                print(
                    f"{api}: {result.operations} operations, {result.requests} requests, "
                    f"{result.seconds} s, 5xx {result.server_errors}, crashes {result.crashes}, "
                    f"schema {result.schema_violations}/{result.schema_checks}, "
                    f"invalid accepted {result.accepted_invalid}, {dict(result.statuses)}",
                    file=log,
                    flush=True,
                )
    return results


def summary(results: dict[str, ApiResult], seconds: float) -> dict[str, Any]:
    apis = {api: asdict(r) | {"statuses": dict(r.statuses)} for api, r in results.items()}
    return {
        "requests": sum(r.requests for r in results.values()),
        "seconds": round(seconds, 1),
        "server_errors": sum(r.server_errors for r in results.values()),
        "crashes": sum(r.crashes for r in results.values()),
        "schema_violations": sum(r.schema_violations for r in results.values()),
        "accepted_invalid": sum(r.accepted_invalid for r in results.values()),
        "apis": apis,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--api", action="append", choices=APIS, help="an API to fuzz (repeatable; default all)"
    )
    parser.add_argument("--max-requests", type=int, default=16000, help="requests over all operations")
    parser.add_argument("--seconds", type=float, default=1200, help="time over all operations")
    parser.add_argument("--path-prefix", action="append", help="only operations whose path starts so")
    parser.add_argument("--base-url", help="a running reference platform (default: start the embedded one)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "fuzz" / "summary.json")
    args = parser.parse_args(argv)
    apis = args.api or APIS
    data = reference_data()
    missing = [str(spec_path(api, data)) for api in apis if not spec_path(api, data).is_file()]
    if missing:
        parser.error(f"spec files not found (set REFERENCE_DATA): {', '.join(missing)}")
    t0 = time.monotonic()
    if args.base_url:
        results = fuzz(
            apis,
            args.base_url,
            max_requests=args.max_requests,
            seconds=args.seconds,
            data=data,
            log=sys.stdout,
            path_prefixes=args.path_prefix,
        )
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with EmbeddedReference(log=args.out.parent / "reference.log") as ref:
            results = fuzz(
                apis,
                ref.base_url,
                max_requests=args.max_requests,
                seconds=args.seconds,
                data=data,
                log=sys.stdout,
                path_prefixes=args.path_prefix,
            )
    out = summary(results, time.monotonic() - t0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(
        f"total: {out['requests']} requests in {out['seconds']} s, 5xx {out['server_errors']}, "
        f"crashes {out['crashes']}, schema violations {out['schema_violations']} -> {args.out}"
    )
    return 0 if not (out["server_errors"] or out["crashes"] or out["schema_violations"]) else 1


if __name__ == "__main__":
    sys.exit(main())
