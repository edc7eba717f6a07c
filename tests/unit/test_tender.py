"""Tender files: every parsing error is one line naming the key (exit 2); clauses evaluated against
hand-made certificates: met, not met, not evidenced, with the requirement ids behind each answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from handmade_certs import certificate, packaged

from conformance.cli import main
from conformance.runcontext import RunError
from conformance.tender import load_tender

BIDS = '[[bid]]\nname = "Product A"\npackage = "a.zip"\n[[bid]]\nname = "Product B"\npackage = "b.zip"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[requires\n", "not valid TOML"),
        ("[tender]\nname = 'x'\n" + BIDS, "requires: missing"),
        ("[requires]\n" + BIDS, "requires: empty"),
        ("[requires]\nmims = ['mim4']\n" + BIDS, "requires.mims: 'mim4' is not a MIM"),
        ("[requires]\nmims = 'mim1'\n" + BIDS, "requires.mims: expected a list"),
        ("[requires]\ntmf_apis = ['tmf999']\n" + BIDS, "'tmf999' is not a capability this suite knows"),
        ("[requires]\ntmf_apis = ['ngsild-temporal']\n" + BIDS, "is not a TM Forum API capability"),
        ("[requires]\nngsild_capabilities = ['tmf620']\n" + BIDS, "is not an NGSI-LD capability"),
        ("[requires]\nsmart_data_models = ['parking']\n" + BIDS, "is not a Smart Data Models capability"),
        (
            "[requires]\nmin_suite_version = 'latest'\n" + BIDS,
            "requires.min_suite_version: expected a version",
        ),
        ("[requires]\nmax_certificate_age_days = -1\n" + BIDS, "max_certificate_age_days: expected a whole"),
        (
            "[requires]\nload = { throughput_rps = 0 }\n" + BIDS,
            "requires.load.throughput_rps: expected a positive",
        ),
        ("[requires]\nload = { rps = 10 }\n" + BIDS, "requires.load.rps: unknown key"),
        ("[requires]\nmims = ['mim1']\ncolour = 'red'\n" + BIDS, "requires.colour: unknown key"),
        ("[requires]\nmims = ['mim1']\n[extra]\n" + BIDS, "extra: unknown table"),
        (
            "[tender]\nas_of = 'yesterday'\n[requires]\nmims = ['mim1']\n" + BIDS,
            "tender.as_of: expected a date",
        ),
        ("[tender]\nwinner = 'A'\n[requires]\nmims = ['mim1']\n" + BIDS, "tender.winner: unknown key"),
        ("[requires]\nmims = ['mim1']\n", "bid: expected at least one [[bid]]"),
        ("[requires]\nmims = ['mim1']\n[[bid]]\nname = 'A'\n", "bid #1.package: expected a non-empty string"),
        ("[requires]\nmims = ['mim1']\n[[bid]]\nname = 'A'\npackage = 'a.zip'\nprice = 3\n", "bid #1.price"),
        (
            "[requires]\nmims = ['mim1']\n[[bid]]\nname = 'A'\npackage = 'x/a.zip'\n[[bid]]\nname = 'B'\n"
            "package = 'y/a.zip'\n",
            "bid.package: 'a.zip' is named by two bids",
        ),
    ],
)
def test_tender_file_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tender.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RunError) as info:
        load_tender(str(path))
    assert info.value.exit_code == 2
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_tender_file_and_an_unnamed_package_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["tender", str(tmp_path / "none.toml")]) == 2
    path = tmp_path / "tender.toml"
    path.write_text("[requires]\nmims = ['mim1']\n" + BIDS, encoding="utf-8")
    assert main(["tender", str(path), str(tmp_path / "c.zip"), "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert "no [[bid]] of the tender names this package" in err


def _check(tmp_path: Path, requires: str, certs: dict[str, tuple], desired: str = "", head: str = "") -> dict:
    files = [str(packaged(tmp_path, stem, *cert)) for stem, cert in certs.items()]
    path = tmp_path / "tender.toml"
    path.write_text(
        f"[tender]\nname = 'unit'\nas_of = 2027-02-01\n{head}\n[requires]\n{requires}\n"
        + (f"[desired]\n{desired}\n" if desired else "")
        + BIDS,
        encoding="utf-8",
    )
    code = main(["tender", str(path), *files, "--out", str(tmp_path / "t")])
    data = json.loads((tmp_path / "t" / "tender.json").read_text(encoding="utf-8"))
    assert "Clauses and bids" in (tmp_path / "t" / "tender.html").read_text(encoding="utf-8")
    data["code"] = code
    return data


def _answers(data: dict, bid: str) -> dict[str, tuple[str, list[str]]]:
    (entry,) = [b for b in data["bids"] if b["bid"] == bid]
    return {c["clause"]: (c["answer"], c["requirements"]) for c in entry["clauses"]}


FULL_A = {"MIM1-ENT-001": "PASS", "MIM1-ENT-002": "FAIL", "MIM1-DISC-012": "PASS", "MIM3-CAT-001": "PASS"}


def test_clauses_met_not_met_and_not_evidenced(tmp_path: Path) -> None:
    a = certificate("Product A", FULL_A, ["ngsild-source-identity", "tmf620"])
    b = certificate(
        "Product B",
        {"MIM1-ENT-001": "FAIL", "MIM1-DISC-012": "NOT_APPLICABLE", "MIM3-CAT-001": "INCONCLUSIVE"},
        ["tmf620"],
        finished="2026-01-01T00:00:00Z",
        suite_version="0.0.9",
    )
    data = _check(
        tmp_path,
        "mims = ['mim1', 'mim3']\ntmf_apis = ['tmf620']\nngsild_capabilities = ['ngsild-source-identity']\n"
        "min_suite_version = '0.1'\nmax_certificate_age_days = 90",
        {"a": (a, {"load": {"throughput_rps": 120, "p95_ms": 80}}), "b": (b,)},
        desired="load = { throughput_rps = 100, p95_ms = 100 }\nsmart_data_models = ['sdm-parking']",
    )
    assert data["code"] == 0 and data["accepted"] == ["Product A"]
    a_ans, b_ans = _answers(data, "Product A"), _answers(data, "Product B")
    assert a_ans["MIM1 conformant"] == (
        "met",
        ["MIM1-DISC-012", "MIM1-ENT-001"],
    )  # the failed SHOULD is a warning
    assert a_ans["capability tmf620"] == ("met", ["MIM3-CAT-001"])
    assert a_ans["load: >= 100 requests/s at p95 <= 100 ms"][0] == "met"
    assert a_ans["capability sdm-parking"] == ("not met", [])  # desired only: A is still accepted
    assert a_ans["certificate at most 90 days old"][0] == "met"
    assert b_ans["MIM1 conformant"] == ("not met", ["MIM1-ENT-001"])
    assert b_ans["MIM3 conformant"] == ("not evidenced", ["MIM3-CAT-001"])
    assert b_ans["capability tmf620"] == ("not evidenced", ["MIM3-CAT-001"])
    assert b_ans["capability ngsild-source-identity"] == ("not met", ["MIM1-DISC-012"])
    assert b_ans["suite version >= 0.1"][0] == "not met"
    assert b_ans["certificate at most 90 days old"][0] == "not met"
    assert b_ans["load: >= 100 requests/s at p95 <= 100 ms"][0] == "not evidenced"
    (b_entry,) = [x for x in data["bids"] if x["bid"] == "Product B"]
    assert b_entry["status"] == "REJECTED" and len(b_entry["reasons"]) == 6


def test_slow_load_figures_are_not_met_and_no_bid_meeting_everything_exits_1(tmp_path: Path) -> None:
    a = certificate("Product A", FULL_A, [])
    data = _check(
        tmp_path,
        "load = { throughput_rps = 100, p95_ms = 100 }",
        {"a": (a, {"load": {"throughput_rps": 150, "p95_ms": 300}})},
    )
    assert data["code"] == 1 and data["accepted"] == []
    answer, _ = _answers(data, "Product A")["load: >= 100 requests/s at p95 <= 100 ms"]
    assert answer == "not met"
    (b,) = [x for x in data["bids"] if x["bid"] == "Product B"]
    assert b["reasons"] == ["rejected: no package given for this bid"]


def test_a_narrowed_run_certifies_nothing_unless_the_tender_accepts_partial_runs(tmp_path: Path) -> None:
    a = certificate("Product A", FULL_A, ["tmf620"], narrowed="-k x")
    data = _check(tmp_path / "1", "mims = ['mim1']\ntmf_apis = ['tmf620']", {"a": (a,)})
    ans = _answers(data, "Product A")
    assert ans["MIM1 conformant"][0] == ans["capability tmf620"][0] == "not evidenced"
    assert data["code"] == 1
    data = _check(
        tmp_path / "2",
        "mims = ['mim1']\ntmf_apis = ['tmf620']",
        {"a": (a,)},
        head="accept_partial_runs = true",
    )
    assert data["code"] == 0 and data["accepted"] == ["Product A"]


def test_the_example_files_parse() -> None:
    from conformance.campaign import load_campaign

    root = Path(__file__).resolve().parents[2] / "profiles"
    tender = load_tender(str(root / "tenders" / "example.toml"))
    assert [b.name for b in tender.bids] == ["Example Context Broker", "Another Platform"]
    assert sum(c.mandatory for c in tender.clauses) == 9 and not tender.accept_partial_runs
    campaign = load_campaign(str(root / "campaigns" / "example.toml"))
    assert [p.label for p in campaign.products] == [
        "Reference (embedded)",
        "Reference (local)",
        "Example Context Broker",
    ]
