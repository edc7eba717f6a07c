"""The built-in load profiles, each run briefly against the embedded reference platform: it must pass
(no failed request), exercise every operation of its mix, and leave nothing behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.load_cli import available_profiles
from conformance.load_run import profile_mim

REPO = Path(__file__).resolve().parents[2]
PROFILES = {
    "ngsi_ld_queries": (
        ["--option", "seed_entities=40"],
        {
            "GET /entities?q=temperature>=N",
            'GET /entities?q=category=="..."',
            "GET /entities?georel=near;maxDistance",
            "GET /entities?georel=within (Polygon)",
            "GET /entities?q&limit&offset (page walk)",
        },
    ),
    "ngsi_ld_notifications": (
        [],
        {"POST /entities", "PATCH /entities/{id}/attrs", "notification end-to-end", "DELETE /entities/{id}"},
    ),
    "sdm_ingestion": (
        ["--option", "validate_ratio=1", "--option", "batch_size=4"],
        {
            "POST /entityOperations/upsert (new)",
            "GET /entities/{id}?options=keyValues (validate)",
            "POST /entityOperations/delete (cleanup)",
        },
    ),
    "tmf_catalogue_orders": (
        ["--option", "seed_offerings=12"],
        {
            "GET productOffering?offset&limit",
            "GET productOffering?fields=",
            "GET productOffering?name=",
            "POST productOrder",
            "PATCH productOrder/{id} state=completed",
            "DELETE productOrder/{id}",
        },
    ),
}


def test_every_kind_of_work_has_a_built_in_profile() -> None:
    assert {"ngsi_ld_entities", *PROFILES} <= set(available_profiles())


def test_a_profile_names_the_mim_it_loads(tmp_path: Path) -> None:
    from conformance.load_cli import resolve_load_profile

    assert profile_mim(resolve_load_profile("tmf_catalogue_orders")) == "mim3"
    assert profile_mim(resolve_load_profile("sdm_ingestion")) == "mim1"
    plain = tmp_path / "mine.py"
    plain.write_text("# no MIMCHECK_MIM line\n", encoding="utf-8")
    assert profile_mim(plain) == "mim1"


def _load(out: Path, profile: str, *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", "--profile", profile, "--duration", "4s"]
        + ["--users", "2", "--spawn-rate", "2", "--progress-seconds", "0", "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=out.parent,
    )
    stats = out / "load-stats.json"
    report = json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else {}
    return done.returncode, report, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profile_passes_the_reference_and_cleans_up(tmp_path: Path, profile: str) -> None:
    args, expected = PROFILES[profile]
    code, report, output = _load(tmp_path / "run", profile, *args)
    assert code == 0, output
    assert report["total"]["failures"] == 0, report["errors"]
    assert expected <= set(report["requests"]), sorted(report["requests"])
    # the profile removed everything itself: the sweep after the run found nothing of this run
    assert report["cleanup"] == {"leftover_entities_removed": 0, "problem": None}
    assert (tmp_path / "run" / "locust-report.html").is_file()
    assert (tmp_path / "run" / "load-chart.svg").is_file()


def test_bad_profile_option_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from conformance.cli import main

    assert main(["load", "--option", "seed_entities", "--out", str(tmp_path)]) == 2
    assert main(["load", "--option", "seed_entities=many", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("mimcheck load: --option") for line in err)
