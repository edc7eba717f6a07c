"""The certification matrix from hand-made certificates: cells, totals, rejected packages, the page."""

from __future__ import annotations

import json
from pathlib import Path

from handmade_certs import certificate, packaged, sealed_run

from conformance.cli import main
from conformance.matrix import CELLS, Column, build_matrix

A = certificate(
    "Product A",
    {"MIM1-ENT-001": "PASS", "MIM1-ENT-002": "FAIL", "MIM1-DISC-012": "PASS", "MIM3-CAT-001": "PASS"},
    ["ngsild-source-identity", "tmf620"],
)
B = certificate(
    "Product B",
    {"MIM1-ENT-001": "FAIL", "MIM1-DISC-012": "NOT_APPLICABLE"},
    [],
    narrowed="-k ent",
)


def test_cells_rows_and_totals() -> None:
    matrix = build_matrix(
        [
            Column("A", "a.zip", A, link="products/A"),
            Column("B", "b.zip", B),
            Column("C", "c.zip", reason="bad"),
        ]
    )
    assert [r.id for r in matrix.rows] == ["MIM1-DISC-012", "MIM1-ENT-001", "MIM1-ENT-002", "MIM3-CAT-001"]
    a, b, c = matrix.columns
    assert a.cell("MIM1-ENT-002") == ("WARNING", ["products/A/evidence/MIM1-ENT-002.json"])
    assert b.cell("MIM1-ENT-001") == ("FAIL", [])
    assert b.cell("MIM1-DISC-012")[0] == "NOT_APPLICABLE"
    assert b.cell("MIM3-CAT-001")[0] == "ABSENT"
    assert c.cell("MIM1-ENT-001") == ("", [])
    assert matrix.totals(a) == {**matrix.totals(c), "PASS": 3, "WARNING": 1}
    assert matrix.totals(a, "mim3")["PASS"] == 1 and matrix.totals(b, "mim1")["FAIL"] == 1
    data = matrix.to_json()
    assert [p["admitted"] for p in data["products"]] == [True, True, False]
    assert data["products"][0]["mims"]["mim1"] == {
        "verdict": "PASS",
        "totals": {**dict.fromkeys(CELLS, 0), "PASS": 2, "WARNING": 1},
    }
    assert data["products"][2]["reason"] == "bad"
    assert matrix.capabilities == ["ngsild-source-identity", "tmf620"] and matrix.mims == ["mim1", "mim3"]


def test_matrix_command_admits_verified_packages_only(tmp_path: Path, capsys) -> None:
    good = packaged(tmp_path, "a", A)
    unsealed = tmp_path / "b-run"
    sealed_run(unsealed, B)
    (unsealed / "evidence" / "MIM1-ENT-001.json").write_text("{}", encoding="utf-8")  # after sealing
    code = main(
        ["matrix", str(good), str(unsealed), str(tmp_path / "missing.zip"), "--out", str(tmp_path / "m")]
    )
    assert code == 1
    data = json.loads((tmp_path / "m" / "matrix.json").read_text(encoding="utf-8"))
    assert [p["label"] for p in data["products"]] == ["Product A", "b-run", "missing"]
    assert [p["admitted"] for p in data["products"]] == [True, False, False]
    assert "evidence/MIM1-ENT-001.json: its content differs" in data["products"][1]["reason"]
    assert data["products"][2]["reason"] == "no such file or folder"
    assert (tmp_path / "m" / "products" / "Product-A" / "evidence" / "MIM1-ENT-001.json").is_file()
    page = (tmp_path / "m" / "matrix.html").read_text(encoding="utf-8")
    assert "REJECTED" in page and "Product A" in page and "<script>" in page and "https://" not in page
    assert "products/Product-A/evidence/MIM1-ENT-001.json" in page


def test_matrix_labels_must_match_the_packages(tmp_path: Path, capsys) -> None:
    good = packaged(tmp_path, "a", A)
    assert main(["matrix", str(good), "--label", "x", "--label", "y", "--out", str(tmp_path / "m")]) == 2
    assert "--label given 2 time(s) for 1 package(s)" in capsys.readouterr().err
