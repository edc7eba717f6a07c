"""Self-test: a Smart Data Model added with `mimcheck models add` (a made-up one, in tmp_path) and
named by the profile's [mim2] models_path gets every MIM2 scenario against the embedded reference,
with no code change; it is NOT_APPLICABLE where its subject's capability is not declared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import collect_catalogue
from conformance.embedded import EmbeddedReference

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from sdm_samples import make_subject  # noqa: E402


def _run(ref: EmbeddedReference, tmp_path: Path, declared: list[str]) -> tuple[int, dict[str, str]]:
    models = tmp_path / "models"
    if not models.is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "models",
                "add",
                str(make_subject(tmp_path)),
                "--into",
                str(models),
            ],
            check=True,
            capture_output=True,
        )
    profile = tmp_path / "profile.toml"
    profile.write_text(
        f'[product]\nname = "added model"\n[mim1]\nbase_url = "{ref.base_url}"\n[mim2]\nmodels_path = "models"\n'
        f"[capabilities]\ndeclared = {json.dumps(declared)}\n",
        encoding="utf-8",
    )
    out = tmp_path / f"run-{len(declared)}"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(profile), "--mim", "mim2"]
        + ["--workers", "0", "--out", str(out), "-k", "BikeRack"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MIMCHECK_MODELS": str(tmp_path / "no-user-models")},
    )
    verdicts = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))["verdict"]
        for path in (out / "evidence").glob("MIM2-*.json")
    }
    return proc.returncode, verdicts


@pytest.mark.slow
def test_added_model_passes_every_mim2_scenario_on_the_reference(
    reference: EmbeddedReference, tmp_path: Path
) -> None:
    code, verdicts = _run(reference, tmp_path, ["sdm-mobility"])
    assert code == 3, "a run narrowed by -k is PARTIAL"
    assert all("[BikeRack" in case for case in verdicts), verdicts
    mim2 = {entry["id"] for entry in collect_catalogue(["mim2"])}
    assert {case.split("[")[0] for case in verdicts} == mim2, "every MIM2 requirement ran for the added model"
    assert set(verdicts.values()) == {"PASS"}, verdicts
    _, verdicts = _run(reference, tmp_path, ["sdm-parking"])
    assert set(verdicts.values()) == {"NOT_APPLICABLE"}, verdicts
