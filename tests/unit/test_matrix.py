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


def test_the_filter_script_hides_rows_by_mim_capability_and_verdict(tmp_path: Path) -> None:
    """The page's inline script, run by node against a minimal stand-in for the DOM."""
    import shutil
    import subprocess

    import pytest

    from conformance.matrix_html import _SCRIPT

    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    harness = (
        """
var values={'f-mim':'','f-cap':'','f-ver':''}, count={textContent:''};
function row(mim,cap,verdicts,diff){return {dataset:{group:mim+'/x',mim:mim,cap:cap,verdicts:verdicts,diff:diff},style:{}};}
var rows=[row('mim1','','PASS','0'),row('mim1','ngsild-temporal','FAIL PASS','1'),row('mim3','tmf620','PASS','0')];
var groups=[{dataset:{group:'mim1/x'},style:{}},{dataset:{group:'mim3/x'},style:{}}];
var document={getElementById:function(id){return id==='count'?count:{value:values[id]};},
  querySelectorAll:function(sel){return sel==='tr.req'?rows:sel==='tr.g'?groups:[];}};
"""
        + _SCRIPT
        + """
var out=[];
[['f-mim','mim3'],['f-cap','ngsild-temporal'],['f-cap','-'],['f-ver','FAIL'],['f-ver','DIFF'],['f-ver','PASS']].forEach(function(f){
  values={'f-mim':'','f-cap':'','f-ver':''}; values[f[0]]=f[1]; applyFilters();
  out.push(rows.map(function(r){return r.style.display==='none'?0:1;}).join('')+
           groups.map(function(g){return g.style.display==='none'?0:1;}).join('')+count.textContent);
});
console.log(out.join(' '));
"""
    )
    script = tmp_path / "filters.js"
    script.write_text(harness, encoding="utf-8")
    proc = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["001011", "010101", "100101", "010101", "010101", "111113"]
