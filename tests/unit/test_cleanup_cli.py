"""`mimcheck cleanup`: bad input is a one-line usage error (exit 2) before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.sweep import run_id_of


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cleanup"], "give a run folder"),
        (["cleanup", "--run-id", "not-a-run-id", "--target-url", "http://127.0.0.1:9"], "expected a run id"),
        (["cleanup", "/no/such/run/folder"], "no run folder"),
        (["cleanup", "--run-id", "20261130T233819c793eb"], "give --target"),
    ],
)
def test_bad_input_is_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_the_run_id_is_read_from_the_run_folder(tmp_path: Path) -> None:
    assert run_id_of(tmp_path) is None
    (tmp_path / "run.json").write_text('{"run_id": "20261130T233819c793eb"}', encoding="utf-8")
    assert run_id_of(tmp_path) == "20261130T233819c793eb"
