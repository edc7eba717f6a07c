"""The pytest plugin: target configuration, collection (MIM choice, narrowing, the run's plan), case
outcomes, evidence, progress and the certificate at the end. The scenarios' fixtures are in
``scenario_fixtures``, a case's outcome rules in ``case_outcome``, Allure labels in ``allure_labels``
(the Allure results are finished from the verdicts at the end, ``allure_results``).

The module registers one ``MimcheckPlugin`` object per pytest run (as pytest's own junitxml plugin
does); the object owns all the run's state, there are no module globals. It stays inert for test
sessions that collect no conformance scenario.

It decides no verdict beyond a single case's outcome: requirement, MIM and run verdicts come from
``conformance.verdicts`` through ``conformance.certificate``.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import evidence
from conformance.abort import WorkerProcesses
from conformance.allure_labels import allure_marks
from conformance.auth import AuthError, make_authorizer
from conformance.case_outcome import CaseState, exc_text, judge
from conformance.cleanup import Cleanup
from conformance.outcomes import Inconclusive, NotApplicable
from conformance.preflight import Preflight, default_tmf_probes, run_preflight
from conformance.profiles import MIMS, ProfileError, TargetProfile, from_url, load_profile
from conformance.recording import RecordingClient, RunClock
from conformance.records import CaseResult
from conformance.redaction import Redactor
from conformance.requirements import case_id_of, of_item
from conformance.run_ids import RunIds, new_run_id
from conformance.run_plan import RunPlan, read_only_file
from conformance.verdicts import Verdict

PROPERTY = "mimcheck-case"
PLUGIN_NAME = "mimcheck-run"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mimcheck", "OASC MIM conformance")
    group.addoption("--mim-profile", metavar="PATH", help="target profile (TOML) of the product under test")
    group.addoption("--mim-target-url", metavar="URL", help="NGSI-LD base URL of the target, with defaults")
    group.addoption("--mim-out", metavar="DIR", help="run folder: evidence and certificate are written here")
    group.addoption("--mim-run-id", metavar="ID", help="run id carried by every identifier the run creates")
    group.addoption(
        "--mim", dest="mim_select", metavar="MIMS", help="only these MIMs' scenarios, e.g. mim1,mim3"
    )
    group.addoption(
        "--mim-only-file",
        metavar="FILE",
        help="only the cases listed in FILE (case ids or node ids, one a line): a narrowed, PARTIAL run",
    )
    group.addoption("--mim-preflight", metavar="FILE", help="preflight result written by `mimcheck run`")
    group.addoption(
        "--mim-progress", action="store_true", help="print a short progress line instead of pytest's dots"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(req): the conformance requirement a scenario checks")
    plugin = MimcheckPlugin(config)
    config.stash[_PLUGIN] = plugin
    config.pluginmanager.register(plugin, PLUGIN_NAME)
    from conformance import scenario_fixtures

    if not config.pluginmanager.is_registered(scenario_fixtures):
        config.pluginmanager.register(scenario_fixtures, "mimcheck-fixtures")


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(_PLUGIN, None)
    if plugin is not None:
        config.pluginmanager.unregister(plugin)
        del config.stash[_PLUGIN]


_PLUGIN = pytest.StashKey["MimcheckPlugin"]()


def plugin_of(config: pytest.Config) -> MimcheckPlugin:
    return config.stash[_PLUGIN]


class MimcheckPlugin:
    """Per-process state of a conformance run (one per xdist worker, plus the controller)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        out = config.getoption("--mim-out")
        self.out_dir: Path | None = Path(out) if out else None
        self.run_id: str = config.getoption("--mim-run-id") or new_run_id()
        self.worker: str = getattr(config, "workerinput", {}).get("workerid", "")
        self.redactor = Redactor()
        self.cleanup = Cleanup()
        self.ids = RunIds(self.run_id, self.worker)
        self.cases: dict[str, CaseState] = {}
        self.results: dict[str, CaseResult] = {}
        self.plan = RunPlan()
        self.active = False  # the session collected conformance scenarios
        self.started = time.time()
        self.collected = 0
        self._last_progress = 0.0
        self._profile: TargetProfile | None = None
        self._client: RecordingClient | None = None
        self._preflight: Preflight | None = None
        self._mim_filtered: set[str] = set()
        self._workers = WorkerProcesses()
        if config.getoption("--mim-out"):  # a run of `mimcheck run`: the main process and its workers
            self._trap_sigterm()

    # -- target -----------------------------------------------------------------------------

    @property
    def is_controller(self) -> bool:
        return not self.worker

    def has_target(self) -> bool:
        return bool(self.config.getoption("--mim-profile") or self.config.getoption("--mim-target-url"))

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
                        "mimcheck: no target: give --mim-profile PATH or --mim-target-url URL (or use `mimcheck run`)"
                    )
            except ProfileError as exc:
                raise pytest.UsageError(f"mimcheck: {exc}") from None
            for value in self._profile.headers.values():
                if len(value) >= 8:  # extra headers often carry API keys: keep them out of evidence
                    self.redactor.add(value)
            for secret in self._profile.auth.secrets():
                self.redactor.add(secret)
        return self._profile

    def client(self) -> RecordingClient:
        if self._client is None:
            profile = self.profile()
            authorizer = make_authorizer(
                profile.auth,
                self.redactor,
                profile.timeout_seconds,
                verify=profile.tls.verify,
                cert=profile.tls.cert,
            )
            self._client = RecordingClient(
                redactor=self.redactor,
                timeout=profile.timeout_seconds,
                clock=RunClock(profile.deadline_seconds),
                default_headers=dict(profile.headers),
                authorizer=authorizer,
                trusted_urls=profile.trusted_urls(),
                max_response_bytes=profile.max_response_bytes,
                request_seconds=profile.request_seconds,
                verify=profile.tls.verify,
                cert=profile.tls.cert,
            )
        return self._client

    def preflight(self) -> Preflight:
        """The preflight result: from `mimcheck run`'s file, or probed here once per process."""
        if self._preflight is None:
            path = self.config.getoption("--mim-preflight")
            if path:
                self._preflight = Preflight.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
            else:
                try:
                    client = self.client()
                except AuthError:
                    self._preflight = Preflight()
                else:
                    self._preflight = run_preflight(
                        self.profile(), list(MIMS), client, tmf_probes=default_tmf_probes()
                    )
                    client.take()
        return self._preflight

    def take_exchanges(self) -> list[dict[str, Any]]:
        if self._client is None:
            return []
        return [exchange.as_json() for exchange in self._client.take()]

    def _trap_sigterm(self) -> None:
        # An abort by SIGTERM unwinds like Ctrl-C, so that cleanup and the certificate still happen: in
        # the main process, which passes it on to its xdist workers, and in each worker. Once: a second
        # SIGTERM ends the process at once.
        def _terminate(signum: int, frame: object) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self._workers.interrupt()  # they hold the undo stacks of the cases under way
            raise KeyboardInterrupt(f"signal {signum}")

        try:
            signal.signal(signal.SIGTERM, _terminate)
        except ValueError:
            pass

    # -- collection ---------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        scenarios = [item for item in items if of_item(item) is not None]
        if not scenarios:
            return
        self.active = True
        if not self.has_target() and not config.option.collectonly:
            raise pytest.UsageError(
                "mimcheck: these are conformance scenarios and no target is given: pass --mim-profile PATH "
                "or --mim-target-url URL, or run them with `mimcheck run`"
            )
        for item in scenarios:
            req = of_item(item)
            assert req is not None
            for mark in allure_marks(req, item):
                item.add_marker(mark)
        keep = list(items)
        chosen = self.config.getoption("mim_select")
        if chosen:
            mims = {m.strip().lower() for m in chosen.split(",") if m.strip()}
            bad = mims - set(MIMS)
            if bad:
                raise pytest.UsageError(f"mimcheck: --mim {chosen!r}: expected a subset of {','.join(MIMS)}")
            dropped = [i for i in keep if (r := of_item(i)) is not None and r.mim not in mims]
            self._mim_filtered = {i.nodeid for i in dropped}
            keep = [i for i in keep if i.nodeid not in self._mim_filtered]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
        only = self.config.getoption("--mim-only-file")
        if only:
            try:
                wanted = read_only_file(only)
            except OSError as exc:
                raise pytest.UsageError(f"mimcheck: --mim-only-file {only}: {exc.strerror}") from None
            dropped = [i for i in keep if of_item(i) is not None and not ({i.nodeid, case_id_of(i)} & wanted)]
            keep = [i for i in keep if i not in dropped]
            self.plan.narrowed("--only")
            if dropped:
                config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            if item.nodeid in self._mim_filtered:
                continue
            case = case_id_of(item)
            req = of_item(item)
            if case is not None and req is not None:
                self.plan.deselected[case] = req.id
                if "--only" not in self.plan.narrowed_by:
                    self.plan.narrowed(_deselection_option(self.config))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.active:
            return
        for item in session.items:
            req = of_item(item)
            case = case_id_of(item)
            if req is not None and case is not None:
                self.plan.cases[case] = {"nodeid": item.nodeid, "requirement": req.to_json()}
        self.collected = len(self.plan.cases)
        if self.out_dir is not None:
            self.plan.write(self.out_dir, self.worker or "main")
        if self.config.getoption("--mim-progress") and self.collected and (self.is_controller):
            self.say(f"mimcheck: {self.collected} test cases collected")

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        self._workers.add(node)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.config.getoption("--mim-progress") and not self.collected:
            self.collected = len(ids)
            self.say(f"mimcheck: {self.collected} test cases collected")

    # -- one case -----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        req = of_item(item)
        case = case_id_of(item)
        if req is None or case is None:
            return
        self.cases[item.nodeid] = CaseState(case_id=case, nodeid=item.nodeid, requirement=req)
        profile = self.profile()
        if profile.base_url(req.mim) is None:
            raise NotApplicable(f"the target profile declares no base_url for {req.mim}")
        if req.capability and not profile.declares(req.capability):
            raise NotApplicable(f"capability {req.capability!r} is not declared by the target")
        cause = self.preflight().cause(req.mim, req.capability)
        if cause:
            raise Inconclusive(f"blocked by the preflight: {cause}", blocked_by=cause)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome: Any = yield
        report: pytest.TestReport = outcome.get_result()
        case = self.cases.get(item.nodeid)
        if case is None:
            return
        case.exchanges.extend(self.take_exchanges())
        case.duration += report.duration
        if report.when in ("setup", "call") and (report.failed or report.skipped):
            judge(case, call.excinfo, report.when)
        elif report.when == "call" and report.passed:
            case.verdict, case.reason = Verdict.PASS, ""
        if report.when == "teardown":
            if report.failed:
                case.notes.append(f"teardown failed: {exc_text(call.excinfo)}")
            if self.cleanup.failures:
                case.notes.extend(f"cleanup: {failure}" for failure in self.cleanup.failures)
                self.cleanup.failures.clear()
            result = self._finish(case)
            report.user_properties.append((PROPERTY, json.dumps(result.to_json())))
            del self.cases[item.nodeid]

    def _finish(self, case: CaseState) -> CaseResult:
        verdict = case.verdict or Verdict.INCONCLUSIVE
        reason = self.redactor.text(case.reason or ("" if case.verdict else "the case reported no outcome"))
        result = CaseResult(
            case_id=case.case_id,
            requirement=case.requirement,
            verdict=verdict,
            reason=reason,
            blocked_by=self.redactor.text(case.blocked_by) if case.blocked_by else None,
            nodeid=case.nodeid,
            exchanges=len(case.exchanges),
            duration_s=round(case.duration, 4),
            notes=[self.redactor.text(n) for n in case.notes],
        )
        if self.out_dir is not None:
            document = result.to_json()
            document["exchanges"] = case.exchanges
            if case.failure:
                document["failure"] = {k: self.redactor.text(str(v)) for k, v in case.failure.items()}
            if case.trace:
                document["traceback"] = self.redactor.text(case.trace)
            result.evidence = evidence.write(self.out_dir, case.case_id, document)
        return result

    # -- controller: results and progress ---------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        for key, value in report.user_properties:
            if key == PROPERTY and isinstance(value, str):
                result = CaseResult.from_json(json.loads(value))
                self.results[result.case_id] = result
                self._progress()

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        if config.getoption("--mim-progress") and report.when == "call":
            return report.outcome, "", ""
        if config.getoption("--mim-progress") and report.when == "setup" and report.skipped:
            return "skipped", "", ""
        return None

    def say(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def _progress(self) -> None:
        if not self.config.getoption("--mim-progress"):
            return
        done = len(self.results)
        now = time.monotonic()
        if done != self.collected and now - self._last_progress < 2.0:
            return
        self._last_progress = now
        counts = {v: 0 for v in Verdict}
        for result in self.results.values():
            counts[result.verdict] += 1
        total = max(self.collected, done)
        pct = 100 * done // total if total else 100
        self.say(
            f"mimcheck: [{pct:3d}%] {done}/{total} cases  pass {counts[Verdict.PASS]}  fail {counts[Verdict.FAIL]}"
            f"  n/a {counts[Verdict.NOT_APPLICABLE]}  inconclusive {counts[Verdict.INCONCLUSIVE]}"
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.cleanup.sweep()
        if self._client is not None:
            self._client.close()
        if not self.is_controller or self.out_dir is None or not (self.active or self.results):
            return
        from conformance import sdm_provenance
        from conformance.certificate import write_run_outputs

        try:
            profile = self.profile()
        except pytest.UsageError:
            return
        plan = self.plan.merged_with_written(self.out_dir)
        write_run_outputs(
            out_dir=self.out_dir,
            profile=profile,
            results=list(self.results.values()),
            plan=plan.cases,
            deselected=plan.deselected,
            narrowed_by=plan.narrowed_by,
            started=self.started,
            finished=time.time(),
            run_id=self.run_id,
            redactor=self.redactor,
            interrupted=bool(session.shouldstop) or exitstatus == pytest.ExitCode.INTERRUPTED,
            models=sdm_provenance.models_of_run(
                list(self.results.values()), profile.models_paths, profile.format_checks
            ),
        )


def _deselection_option(config: pytest.Config) -> str:
    if config.getoption("keyword"):
        return f"-k {config.getoption('keyword')}"
    if config.getoption("markexpr"):
        return f"-m {config.getoption('markexpr')}"
    return "deselection"
