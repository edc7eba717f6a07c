"""The pytest plugin: target configuration, fixtures, verdicts, evidence, Allure labels, certificate.

It is registered through the ``pytest11`` entry point and stays inert for test sessions that do not
collect conformance scenarios.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import evidence
from conformance.auth import AuthError, make_authorizer
from conformance.callback_server import CallbackServer, CallbackServerError
from conformance.cleanup import Cleanup
from conformance.outcomes import Inconclusive, NotApplicable
from conformance.profiles import ProfileError, TargetProfile, from_url, load_profile
from conformance.recording import RecordingClient, RunClock, exchange_text
from conformance.redaction import Redactor
from conformance.requirements import Requirement, of_item
from conformance.run_ids import RunIds, new_run_id
from conformance.verdicts import Verdict

PROPERTY = "mimcheck"

# Exceptions that come from the suite's own environment, not from what the target answered.
SUITE_ERRORS: tuple[type[BaseException], ...] = (OSError, ImportError, NameError, RecursionError, MemoryError)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mimcheck", "OASC MIM conformance")
    group.addoption("--mim-profile", metavar="PATH", help="target profile (TOML) of the product under test")
    group.addoption("--mim-target-url", metavar="URL", help="NGSI-LD base URL of the target, with defaults")
    group.addoption("--mim-out", metavar="DIR", help="run folder: evidence and certificate are written here")
    group.addoption("--mim-run-id", metavar="ID", help="run id carried by every identifier the run creates")
    group.addoption(
        "--mim-progress", action="store_true", help="print a short progress line instead of pytest's dots"
    )


@dataclass
class CaseRecord:
    """What the run learns about one test case across its setup, call and teardown."""

    nodeid: str
    requirement: Requirement | None
    verdict: Verdict | None = None
    reason: str = ""
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration: float = 0.0


class MimRun:
    """Per-process state of a conformance run (one per xdist worker, plus the controller)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.out_dir: Path | None = (
            Path(config.getoption("--mim-out")) if config.getoption("--mim-out") else None
        )
        self.run_id: str = config.getoption("--mim-run-id") or new_run_id()
        self.worker = getattr(config, "workerinput", {}).get("workerid", "")
        self._profile: TargetProfile | None = None
        self._profile_error: str | None = None
        self._client: RecordingClient | None = None
        self.redactor = Redactor()
        self.cleanup = Cleanup()
        self.ids = RunIds(self.run_id, self.worker)
        self.cases: dict[str, CaseRecord] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.started = time.time()
        self.collected = 0
        self._last_progress = 0.0

    @property
    def is_controller(self) -> bool:
        return not hasattr(self.config, "workerinput")

    def profile(self) -> TargetProfile:
        if self._profile is None:
            path = self.config.getoption("--mim-profile")
            url = self.config.getoption("--mim-target-url")
            try:
                if path:
                    self._profile = load_profile(path)
                elif url:
                    self._profile = from_url(url)
                else:
                    raise pytest.UsageError(
                        "no target: give --mim-profile PATH or --mim-target-url URL (or use `mimcheck run`)"
                    )
            except ProfileError as exc:
                raise pytest.UsageError(str(exc)) from None
            for value in self._profile.headers.values():
                if len(value) >= 8:  # extra headers often carry API keys: keep them out of evidence
                    self.redactor.add(value)
            for secret in self._profile.auth.secrets():
                self.redactor.add(secret)
        return self._profile

    def client(self) -> RecordingClient:
        if self._client is None:
            profile = self.profile()
            try:
                authorizer = make_authorizer(profile.auth, self.redactor, profile.timeout_seconds)
            except AuthError as exc:
                raise pytest.UsageError(str(exc)) from None
            self._client = RecordingClient(
                redactor=self.redactor,
                timeout=profile.timeout_seconds,
                clock=RunClock(profile.deadline_seconds),
                default_headers=dict(profile.headers),
                authorizer=authorizer,
            )
        return self._client

    def take_exchanges(self) -> list[dict[str, Any]]:
        if self._client is None:
            return []
        return [exchange.as_json() for exchange in self._client.take()]


_RUN_KEY = pytest.StashKey[MimRun]()


def run_of(config: pytest.Config) -> MimRun:
    return config.stash[_RUN_KEY]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(req): the conformance requirement a scenario checks")
    config.stash[_RUN_KEY] = MimRun(config)
    if config.getoption("--mim-out") and hasattr(signal, "SIGTERM") and not hasattr(config, "workerinput"):
        # An abort by SIGTERM unwinds like Ctrl-C, so that cleanup and the certificate still happen.
        def _terminate(signum: int, frame: object) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        try:
            signal.signal(signal.SIGTERM, _terminate)
        except ValueError:
            pass


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def mim_run(request: pytest.FixtureRequest) -> MimRun:
    return run_of(request.config)


@pytest.fixture(scope="session")
def profile(mim_run: MimRun) -> TargetProfile:
    return mim_run.profile()


@pytest.fixture(scope="session")
def http(mim_run: MimRun) -> RecordingClient:
    """The recording HTTP client."""
    return mim_run.client()


@pytest.fixture(scope="session")
def run_ids(mim_run: MimRun) -> RunIds:
    return mim_run.ids


@pytest.fixture(scope="session")
def callback_server(profile: TargetProfile) -> Iterator[CallbackServer]:
    """Where the target reaches the suite (served @contexts, notifications): one server a session."""
    settings = profile.notifications
    server = CallbackServer(settings.bind_host, settings.bind_port, settings.callback_url)
    try:
        server.start()
    except CallbackServerError as exc:
        raise Inconclusive(str(exc)) from None
    yield server
    server.stop()


@pytest.fixture
def cleanup(mim_run: MimRun) -> Iterator[Cleanup]:
    """Undo actions pushed by a test case run at its teardown."""
    mark = mim_run.cleanup.mark()
    yield mim_run.cleanup
    mim_run.cleanup.unwind(mark)


def _allure_marks(req: Requirement) -> list[pytest.MarkDecorator]:
    """Allure labels of a scenario: epic MIM, feature area, story requirement, severity, spec link.

    Given as markers at collection, so that cases stopped in set-up (NOT_APPLICABLE) carry them too."""
    marks = [
        pytest.mark.allure_label(req.mim.upper(), label_type="epic"),
        pytest.mark.allure_label(req.area, label_type="feature"),
        pytest.mark.allure_label(f"{req.id} {req.title}", label_type="story"),
        pytest.mark.allure_label(
            {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}[req.level], label_type="severity"
        ),
        pytest.mark.allure_label(req.id, label_type="requirement"),
        pytest.mark.allure_label(req.level, label_type="tag"),
    ]
    if req.capability:
        marks.append(pytest.mark.allure_label(req.capability, label_type="tag"))
    if req.spec_link:
        marks.append(
            pytest.mark.allure_link(req.spec_link, link_type="link", name=f"{req.spec} clause {req.clause}")
        )
    return marks


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        req = of_item(item)
        if req is not None:
            for mark in _allure_marks(req):
                item.add_marker(mark)


# ---------------------------------------------------------------------------------------------
# Applicability and verdicts


def pytest_runtest_setup(item: pytest.Item) -> None:
    req = of_item(item)
    if req is None:
        return
    run = run_of(item.config)
    run.cases[item.nodeid] = CaseRecord(nodeid=item.nodeid, requirement=req)
    profile = run.profile()
    if profile.base_url(req.mim) is None:
        raise NotApplicable(f"the target profile declares no base_url for {req.mim}")
    if req.capability and not profile.declares(req.capability):
        raise NotApplicable(f"capability {req.capability!r} is not declared by the target")


def _skip_verdict(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[Verdict, str]:
    if excinfo is not None and isinstance(excinfo.value, NotApplicable):
        return Verdict.NOT_APPLICABLE, excinfo.value.reason
    if excinfo is not None and isinstance(excinfo.value, Inconclusive):
        return Verdict.INCONCLUSIVE, excinfo.value.reason
    message = str(excinfo.value) if excinfo is not None else "skipped"
    return Verdict.INCONCLUSIVE, f"skipped without a verdict: {message}"


def _failure_text(call: pytest.CallInfo[None]) -> str:
    if call.excinfo is None:
        return ""
    return f"{call.excinfo.typename}: {call.excinfo.value}"[:2000]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    run = run_of(item.config)
    case = run.cases.get(item.nodeid)
    if case is None:
        return
    case.exchanges.extend(run.take_exchanges())
    case.duration += report.duration
    if report.when == "setup":
        if report.failed:
            case.verdict, case.reason = Verdict.INCONCLUSIVE, f"set-up failed: {_failure_text(call)}"
        elif report.skipped:
            case.verdict, case.reason = _skip_verdict(call.excinfo)
    elif report.when == "call":
        if report.passed:
            case.verdict, case.reason = Verdict.PASS, ""
        elif report.failed and call.excinfo is not None and call.excinfo.errisinstance(SUITE_ERRORS):
            # Not the target's answer but the suite's own environment broke (a fixture file missing,
            # a module not importable): never blame the product for that.
            case.verdict = Verdict.INCONCLUSIVE
            case.reason = f"the scenario could not run (suite error): {_failure_text(call)}"
        elif report.failed and call.excinfo is not None and not call.excinfo.errisinstance(AssertionError):
            # A scenario tripping over the answer (a member that is not an object, a missing key)
            # means the answer does not have the shape the requirement prescribes.
            case.verdict = Verdict.FAIL
            case.reason = f"the answer does not have the required shape: {_failure_text(call)}"
        elif report.failed:
            case.verdict, case.reason = Verdict.FAIL, _failure_text(call)
        else:
            case.verdict, case.reason = _skip_verdict(call.excinfo)
        _attach(run, case)
    elif report.when == "teardown":
        if report.failed:
            case.notes.append(f"teardown failed: {_failure_text(call)}")
        if run.cleanup.failures:
            case.notes.extend(f"cleanup: {failure}" for failure in run.cleanup.failures)
            run.cleanup.failures.clear()
        _finish(run, case, report)


def _attach(run: MimRun, case: CaseRecord) -> None:
    if not case.exchanges:
        return
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest is a dependency
        return
    text = "\n\n".join(exchange_text(e) for e in case.exchanges)
    allure.attach(run.redactor.text(text), name="HTTP exchanges", attachment_type=allure.attachment_type.TEXT)


def _finish(run: MimRun, case: CaseRecord, report: pytest.TestReport) -> None:
    assert case.requirement is not None
    verdict = case.verdict or Verdict.INCONCLUSIVE
    document = {
        "nodeid": case.nodeid,
        "requirement": case.requirement.id,
        "verdict": str(verdict),
        "reason": run.redactor.text(case.reason),
        "notes": [run.redactor.text(n) for n in case.notes],
        "duration_s": round(case.duration, 4),
        "exchanges": case.exchanges,
    }
    path = evidence.write(run.out_dir, case.nodeid, document) if run.out_dir else None
    summary = {
        "nodeid": case.nodeid,
        "requirement": _requirement_json(case.requirement),
        "verdict": str(verdict),
        "reason": document["reason"],
        "evidence": path,
        "exchanges": len(case.exchanges),
    }
    report.user_properties.append((PROPERTY, json.dumps(summary)))
    del run.cases[case.nodeid]


def _requirement_json(req: Requirement) -> dict[str, Any]:
    return {
        "id": req.id,
        "mim": req.mim,
        "spec": req.spec,
        "clause": req.clause,
        "level": req.level,
        "capability": req.capability,
        "title": req.title,
        "area": req.area,
    }


# ---------------------------------------------------------------------------------------------
# Controller side: collect results, progress, certificate


def pytest_collection_finish(session: pytest.Session) -> None:
    run = run_of(session.config)
    run.collected = sum(1 for item in session.items if of_item(item) is not None)
    if session.config.getoption("--mim-progress") and run.is_controller and run.collected:
        _say(session.config, f"mimcheck: {run.collected} test cases collected")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":
        return
    for key, value in report.user_properties:
        if key == PROPERTY:
            summary = json.loads(value)
            config = _CONFIG.get("config")
            if config is None:
                return
            run = run_of(config)
            run.results[summary["nodeid"]] = summary
            _progress(config, run)


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    if config.getoption("--mim-progress") and report.when == "call":
        return report.outcome, "", ""
    if config.getoption("--mim-progress") and report.when == "setup" and report.skipped:
        return "skipped", "", ""
    return None


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(line)
    else:
        print(line, file=sys.stderr, flush=True)


def _progress(config: pytest.Config, run: MimRun) -> None:
    if not config.getoption("--mim-progress"):
        return
    done = len(run.results)
    now = time.monotonic()
    if done != run.collected and now - run._last_progress < 2.0:
        return
    run._last_progress = now
    counts = {v: 0 for v in Verdict}
    for summary in run.results.values():
        counts[Verdict(summary["verdict"])] += 1
    total = max(run.collected, done)
    pct = 100 * done // total if total else 100
    _say(
        config,
        f"mimcheck: [{pct:3d}%] {done}/{total} cases  pass {counts[Verdict.PASS]}  fail {counts[Verdict.FAIL]}"
        f"  n/a {counts[Verdict.NOT_APPLICABLE]}  inconclusive {counts[Verdict.INCONCLUSIVE]}",
    )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = run_of(session.config)
    run.cleanup.sweep()
    if run._client is not None:
        run._client.close()
    if not run.is_controller or run.out_dir is None:
        return
    from conformance.certificate import write_run_outputs

    profile = run._profile
    if profile is None:
        try:
            profile = run.profile()
        except pytest.UsageError:
            return
    write_run_outputs(
        out_dir=run.out_dir,
        profile=profile,
        results=list(run.results.values()),
        started=run.started,
        finished=time.time(),
        run_id=run.run_id,
        redactor=run.redactor,
        interrupted=session.shouldstop or exitstatus == pytest.ExitCode.INTERRUPTED,
    )
