"""A campaign of three products and a tender over their packages.

The products: the reference; the reference behind a fault proxy that breaks one MUST (MIM1-DISC-007:
an unknown type or attribute answers 400 instead of 404); the reference with the capability
ngsild-source-identity undeclared. The campaign is narrowed (MIM1, two scenarios) to stay fast.
The matrix must show exactly those two differences; a tender requiring ngsild-source-identity (and
MIM1) accepts the first bid and rejects the other two, each with its reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from proxy import FaultProxy, Rule

from conformance.cli import main
from conformance.embedded import EmbeddedReference

NARROW = "test_discovery_unknown or test_source_identity"
CAPABILITY = "ngsild-source-identity"
NAMES = {"ref": "Bid A reference", "broken": "Bid B broken MUST", "undeclared": "Bid C no source identity"}
REFERENCE_NAME = 'name = "OASC MIM embedded reference platform"'


def mimcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True, timeout=900
    )


def _profile(reference: EmbeddedReference, base_url: str, name: str, drop: str | None = None) -> str:
    text = reference.profile_toml(base_url)
    assert REFERENCE_NAME in text and f'"{CAPABILITY}"' in text
    text = text.replace(REFERENCE_NAME, f'name = "{name}"')
    if drop:
        text = text.replace(f'"{drop}", ', "").replace(f'"{drop}"', "")
    return text


@pytest.fixture(scope="module")
def campaign(reference: EmbeddedReference, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("campaign")
    rule = Rule(
        method="GET",
        path="^/ngsi-ld/v1/(types|attributes)/MimcheckUnknown",
        when_status=404,
        set_status=400,
    )
    with FaultProxy(reference.base_url, [rule]) as proxy:
        (folder / "ref.toml").write_text(
            _profile(reference, reference.base_url, NAMES["ref"]), encoding="utf-8"
        )
        (folder / "broken.toml").write_text(
            _profile(reference, proxy.base_url, NAMES["broken"]), encoding="utf-8"
        )
        (folder / "undeclared.toml").write_text(
            _profile(reference, reference.base_url, NAMES["undeclared"], drop=CAPABILITY), encoding="utf-8"
        )
        (folder / "campaign.toml").write_text(
            f'[campaign]\nname = "selftest"\nmims = ["mim1"]\nk = "{NARROW}"\n'
            + "".join(f'[[product]]\nlabel = "{key}"\nprofile = "{key}.toml"\n' for key in NAMES),
            encoding="utf-8",
        )
        proc = mimcheck(
            "campaign", str(folder / "campaign.toml"), "--out", str(folder / "out"), "--parallel", "3"
        )
        assert proxy.hits >= 1, "the fault never applied: the test proves nothing"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / "out", proc.stdout


def test_the_campaign_matrix_shows_exactly_the_differences(campaign: tuple[Path, str]) -> None:
    out, stdout = campaign
    for key in NAMES:
        assert f"{key}: started" in stdout and f"{key}: finished" in stdout, stdout
        assert (out / "packages" / f"{key}.zip").is_file()
    matrix = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    assert [p["label"] for p in matrix["products"]] == list(NAMES)
    assert all(p["admitted"] for p in matrix["products"])
    cells = {r["id"]: {k: v["verdict"] for k, v in r["cells"].items()} for r in matrix["requirements"]}
    assert cells == {
        "MIM1-DISC-007": {"ref": "PASS", "broken": "FAIL", "undeclared": "PASS"},
        "MIM1-DISC-012": {"ref": "PASS", "broken": "PASS", "undeclared": "NOT_APPLICABLE"},
    }
    for row in matrix["requirements"]:
        for key, cell in row["cells"].items():
            assert cell["evidence"], f"{row['id']} {key}: no evidence link"
            assert all((out / link).is_file() for link in cell["evidence"])
    page = (out / "matrix.html").read_text(encoding="utf-8")
    assert "http://" not in page.split("<body>")[0] and "src=" not in page  # nothing fetched
    assert "default-src 'none'" in page and "applyFilters" in page


def _tender(folder: Path, packages: Path) -> Path:
    bids = "".join(
        f'[[bid]]\nname = "{name}"\npackage = "{packages / (key + ".zip")}"\n' for key, name in NAMES.items()
    )
    path = folder / "tender.toml"
    path.write_text(
        '[tender]\nname = "selftest city"\naccept_partial_runs = true\n'
        f'[requires]\nmims = ["mim1"]\nngsild_capabilities = ["{CAPABILITY}"]\nmax_certificate_age_days = 30\n'
        "[desired]\nload = { throughput_rps = 50, p95_ms = 500 }\n" + bids,
        encoding="utf-8",
    )
    return path


def test_a_tender_accepts_one_bid_and_rejects_two_with_reasons(
    campaign: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = campaign
    packages = [str(out / "packages" / f"{key}.zip") for key in NAMES]
    proc = mimcheck(
        "tender", str(_tender(tmp_path, out / "packages")), *packages, "--out", str(tmp_path / "t")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "t" / "tender.json").read_text(encoding="utf-8"))
    by_bid = {b["bid"]: b for b in result["bids"]}
    assert result["accepted"] == [NAMES["ref"]]
    answers = {
        name: {c["clause"]: (c["answer"], c["requirements"]) for c in b["clauses"]}
        for name, b in by_bid.items()
    }
    assert answers[NAMES["ref"]]["MIM1 conformant"][0] == "met"
    assert answers[NAMES["ref"]][f"capability {CAPABILITY}"] == ("met", ["MIM1-DISC-012"])
    assert answers[NAMES["ref"]]["load: >= 50 requests/s at p95 <= 500 ms"][0] == "not evidenced"
    assert answers[NAMES["broken"]]["MIM1 conformant"] == ("not met", ["MIM1-DISC-007"])
    assert answers[NAMES["undeclared"]][f"capability {CAPABILITY}"] == ("not met", ["MIM1-DISC-012"])
    assert "MIM1-DISC-007" in by_bid[NAMES["broken"]]["reasons"][0]
    assert CAPABILITY in by_bid[NAMES["undeclared"]]["reasons"][0]
    assert "REJECTED" in proc.stdout and "ACCEPTED" in proc.stdout


def test_a_tampered_package_or_another_product_is_rejected(
    campaign: tuple[Path, str], tmp_path: Path
) -> None:
    import shutil
    import zipfile

    out, _ = campaign
    packages = tmp_path / "bids"
    packages.mkdir()
    shutil.copy(out / "packages" / "ref.zip", packages / "ref.zip")
    # the broken product's package submitted under the undeclared bid's file name: another product
    shutil.copy(out / "packages" / "broken.zip", packages / "undeclared.zip")
    with (
        zipfile.ZipFile(out / "packages" / "broken.zip") as src,
        zipfile.ZipFile(packages / "broken.zip", "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "run/certificate.json":
                data = data.replace(b'"FAIL"', b'"PASS"')
            dst.writestr(item, data)
    files = [str(packages / f"{key}.zip") for key in NAMES]
    proc = mimcheck("tender", str(_tender(tmp_path, packages)), *files, "--out", str(tmp_path / "t"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    by_bid = {b["bid"]: b for b in json.loads((tmp_path / "t" / "tender.json").read_text())["bids"]}
    assert by_bid[NAMES["ref"]]["status"] == "ACCEPTED"
    assert "verification failed: certificate.json" in by_bid[NAMES["broken"]]["reasons"][0]
    assert f"names the product '{NAMES['broken']}'" in by_bid[NAMES["undeclared"]]["reasons"][0]
    # the matrix admits the untouched packages and lists the tampered one as rejected
    proc = mimcheck("matrix", *files, "--out", str(tmp_path / "m"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    matrix = json.loads((tmp_path / "m" / "matrix.json").read_text(encoding="utf-8"))
    assert [p["admitted"] for p in matrix["products"]] == [True, False, True]
    assert "certificate.json" in matrix["products"][1]["reason"]


def test_diff_between_the_first_two_runs_lists_exactly_what_the_fault_broke(
    campaign: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = campaign
    runs = {p.name: p for p in (out / "runs").iterdir() if p.is_dir()}
    ref, broken = (next(path for name, path in runs.items() if key in name) for key in ("ref", "broken"))
    capsys.readouterr()
    assert main(["diff", str(ref), str(broken), "--format", "json"]) == 1, "a regression exits 1"
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["requirements"]] == ["MIM1-DISC-007"]
