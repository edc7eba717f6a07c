"""The Allure history of a target is carried across its runs (the report's trend shows each
re-certification), and `mimcheck report` serves the multi-file report on loopback."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import pytest

from conformance import allure_history
from conformance.report import build_html_report, missing_tools, report_server


def _run(folder: Path, target: str, case_status: str = "passed") -> Path:
    results = folder / "allure-results"
    results.mkdir(parents=True)
    (results / "executor.json").write_text(
        json.dumps(
            {"name": "mimcheck", "type": "mimcheck", "reportName": target, "buildName": f"{target} run"}
        ),
        encoding="utf-8",
    )
    result = {
        "uuid": f"{folder.name}-0001",
        "historyId": "f00d",
        "name": "MIM1-ENT-001 create answers 201",
        "fullName": "conformance.mim1.test_entities#test_create",
        "status": case_status,
        "stage": "finished",
        "start": 1_700_000_000_000,
        "stop": 1_700_000_000_120,
        "labels": [{"name": "parentSuite", "value": "MIM1"}],
    }
    (results / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")
    return folder


def _fake_generate(run: Path, trend: list[dict[str, object]]) -> Path:
    """What Allure leaves in the report: its history, the trend of earlier builds plus this one."""
    report = run / "allure-report" / "history"
    report.mkdir(parents=True)
    (report / "history-trend.json").write_text(json.dumps(trend), encoding="utf-8")
    (report / "history.json").write_text("{}", encoding="utf-8")
    return report.parent


def test_history_folder_is_per_target_next_to_the_runs(tmp_path: Path) -> None:
    run = _run(tmp_path / "reports" / "20261201T000000", "ACME Broker 2.1 / Prod")
    assert allure_history.history_dir(run) == tmp_path / "reports" / "allure-history" / "acme-broker-2-1-prod"
    assert allure_history.slug("///") == "target"


def test_history_is_carried_from_one_run_to_the_next(tmp_path: Path) -> None:
    first = _run(tmp_path / "reports" / "run-1", "ACME")
    second = _run(tmp_path / "reports" / "run-2", "ACME", "failed")
    history = allure_history.history_dir(first)
    assert allure_history.seed(first / "allure-results", history) == 1
    assert not any((first / "allure-results" / "history").iterdir()), "no earlier run: nothing to copy"
    trend_1 = [{"buildOrder": 1, "data": {"passed": 1}}]
    assert allure_history.keep(_fake_generate(first, trend_1), history, 1)
    assert json.loads((history / "history-trend.json").read_text(encoding="utf-8")) == trend_1

    assert allure_history.seed(second / "allure-results", history) == 2
    seeded = second / "allure-results" / "history" / "history-trend.json"
    assert json.loads(seeded.read_text(encoding="utf-8")) == trend_1, "Allure reads the earlier trend here"
    executor = json.loads((second / "allure-results" / "executor.json").read_text(encoding="utf-8"))
    assert executor["buildOrder"] == 2 and executor["reportName"] == "ACME"
    trend_2 = [{"buildOrder": 2, "data": {"failed": 1}}, *trend_1]
    assert allure_history.keep(_fake_generate(second, trend_2), history, 2)
    assert json.loads((history / "history-trend.json").read_text(encoding="utf-8")) == trend_2

    # The first run reported again keeps its own view and does not overwrite the later history.
    assert allure_history.seed(first / "allure-results", history) == 1
    assert not allure_history.keep(first / "allure-report", history, 1)
    assert json.loads((history / "history-trend.json").read_text(encoding="utf-8")) == trend_2


def test_another_target_has_its_own_history(tmp_path: Path) -> None:
    one = _run(tmp_path / "reports" / "a", "ACME")
    other = _run(tmp_path / "reports" / "b", "Other Corp")
    assert allure_history.history_dir(one) != allure_history.history_dir(other)


def test_the_report_is_served_on_loopback(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html>report</html>", encoding="utf-8")
    server = report_server(tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as answer:
            assert answer.read() == b"<html>report</html>"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_two_reports_of_one_target_show_a_trend(tmp_path: Path) -> None:
    missing = missing_tools()
    if missing:
        pytest.skip("building the Allure report needs " + " and ".join(missing))
    history = tmp_path / "reports" / "allure-history" / "acme"
    for name, status in (("run-1", "passed"), ("run-2", "failed")):
        run = _run(tmp_path / "reports" / name, "ACME", status)
        build_html_report(run / "allure-results", run / "allure-report", history=history)
    trend = json.loads((history / "history-trend.json").read_text(encoding="utf-8"))
    assert [entry.get("buildOrder") for entry in trend] == [2, 1]
    assert (tmp_path / "reports" / "run-2" / "allure-report" / "widgets" / "history-trend.json").is_file()


def test_report_serves_unless_told_not_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from conformance import report

    run = _run(tmp_path / "reports" / "run-1", "ACME")
    built: list[tuple[bool, Path | None]] = []
    served: list[Path] = []

    def fake_build(results: Path, out: Path, single_file: bool = False, history: Path | None = None) -> Path:
        built.append((single_file, history))
        out.mkdir(parents=True, exist_ok=True)
        return out / "index.html"

    monkeypatch.setattr(report, "build_html_report", fake_build)
    monkeypatch.setattr(report, "serve", lambda folder, port: served.append(folder) or 0)

    def main(*args: str) -> int:
        parser = argparse.ArgumentParser(prog="mimcheck")
        report.add_report_parser(parser.add_subparsers(dest="command", required=True))
        ns = parser.parse_args(["report", "--run", str(run), *args])
        return int(ns.func(ns))

    assert main() == 0 and served == [run / "allure-report"]
    assert built[-1] == (False, tmp_path / "reports" / "allure-history" / "acme")
    assert main("--no-serve") == 0 and len(served) == 1
    assert main("--single-file") == 0 and len(served) == 1, "a single file opens from disk"
    assert main("--no-serve", "--no-history") == 0 and built[-1] == (False, None)
