"""`mimcheck report`: the Allure HTML report is built offline-viewable and without trackers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from conformance.report import (
    ReportError,
    add_report_parser,
    build_html_report,
    find_trackers,
    missing_tools,
    strip_trackers,
)

# What Allure 2.46 puts into index.html when ALLURE_NO_ANALYTICS is not set.
ALLURE_GTAG = """<body>
    <script src="assets/index.js"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-ABCDEFGHIJ"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-ABCDEFGHIJ', {'allureVersion': '2.46.1'});
    </script>
    <script>window.__allureResolveCoreLoaded([]);</script>
</body>"""


def _results(folder: Path) -> Path:
    folder.mkdir(parents=True)
    result = {
        "uuid": "5d2f0c5e-8f1b-4a57-9b1e-2f8d7c6b5a41",
        "historyId": "mimcheck-unit",
        "name": "MIM1-ENT-001 create entity returns 201",
        "fullName": "conformance.mim1.test_entities#test_create_entity",
        "status": "passed",
        "stage": "finished",
        "start": 1_700_000_000_000,
        "stop": 1_700_000_000_120,
        "labels": [{"name": "suite", "value": "MIM1"}],
    }
    (folder / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")
    return folder


def test_strip_trackers_removes_the_gtag_loader_and_set_up_only() -> None:
    assert find_trackers(ALLURE_GTAG) == ["googletagmanager.com", "gtag(", "dataLayer"]
    cleaned = strip_trackers(ALLURE_GTAG)
    assert find_trackers(cleaned) == []
    assert '<script src="assets/index.js"></script>' in cleaned
    assert "__allureResolveCoreLoaded" in cleaned


def test_a_clean_page_is_left_alone() -> None:
    page = '<html><script src="assets/app.js"></script><script>start()</script></html>'
    assert strip_trackers(page) == page


def test_no_results_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="mimcheck run") as caught:
        build_html_report(tmp_path / "allure-results", tmp_path / "allure-report")
    assert caught.value.exit_code == 2


def _report(*args: str) -> int:
    parser = argparse.ArgumentParser(prog="mimcheck")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args(["report", *args])
    return int(ns.func(ns))


def test_build_html_report_without_trackers(tmp_path: Path) -> None:
    missing = missing_tools()
    if missing:
        pytest.skip("building the Allure report needs " + " and ".join(missing))
    index = build_html_report(_results(tmp_path / "allure-results"), tmp_path / "allure-report")
    assert index == tmp_path / "allure-report" / "index.html"
    assert index.is_file()
    for page in index.parent.rglob("*.html"):
        assert find_trackers(page.read_text(encoding="utf-8")) == [], page


def test_report_subcommand_prints_the_report_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = missing_tools()
    if missing:
        pytest.skip("building the Allure report needs " + " and ".join(missing))
    _results(tmp_path / "run" / "allure-results")
    assert _report("--run", str(tmp_path / "run"), "--no-serve") == 0
    assert capsys.readouterr().out.strip() == str((tmp_path / "run" / "allure-report").resolve())


def test_report_refuses_a_folder_that_is_not_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.cli import main

    assert main(["report", "--run", str(tmp_path / "missing")]) == 2
    assert "`mimcheck run` first" in capsys.readouterr().err
    assert main(["report", "--run", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a run folder" in err and len(err.strip().splitlines()) == 1
