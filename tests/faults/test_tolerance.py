"""A correct product is never failed: legal variations from the tolerance catalogue, injected by the
proxy, leave every verdict unchanged (no FAIL, no INCONCLUSIVE) and are really exercised.

CI runs the variations marked ``ci = true`` here (two at a time); `tox -e tolerance-matrix` runs
the whole catalogue (tests/faults/tolerance.py)."""

from __future__ import annotations

import re

import pytest
from proxy import Rule
from tolerance import TOLERANCE_DIR, VariationResult, load_variations, on_references, run_variation

from conformance.cli import collect_catalogue
from conformance.embedded import EmbeddedReference

VARIATIONS = load_variations()
CI_VARIATIONS = [v for v in VARIATIONS if v.ci]
CITATION = re.compile(
    r"CIM 009|RFC \d{4}|TMF\d{3}|TM Forum|JSON-LD|OpenAPI|Orion|Scorpio|Stellio|ISO 8601", re.IGNORECASE
)


def test_catalogue_is_well_formed() -> None:
    assert len(VARIATIONS) >= 40
    assert 6 <= len(CI_VARIATIONS) <= 12
    known = {r["id"].split("-")[0].lower() for r in collect_catalogue(["mim1", "mim2", "mim3"])}
    for variation in VARIATIONS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", variation.name), variation.name
        assert variation.rules or variation.notify_rules, f"{variation.name}: no rule"
        assert all(isinstance(r, Rule) for r in variation.rules + variation.notify_rules)
        assert set(variation.mims) <= known, f"{variation.name}: unknown MIMs {variation.mims}"
        assert len(variation.legal_because) >= 60 and CITATION.search(variation.legal_because), (
            f"{variation.name}: legal_because must say why, citing a clause, an RFC, a TM Forum "
            f"guideline or a broker's documented behaviour"
        )
        assert variation.known_false_fail is None or variation.known_false_fail.strip()
    assert sorted(p.stem for p in TOLERANCE_DIR.glob("*.toml")) == sorted({v.area for v in VARIATIONS})


@pytest.fixture(scope="module")
def ci_results(reference: EmbeddedReference, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every CI variation, two at a time, each on a reference of its own (the session's and one more)."""
    work = tmp_path_factory.mktemp("tolerance")
    with EmbeddedReference(log=work / "second-reference.log") as second:
        results = on_references(
            [reference.base_url, second.base_url],
            [lambda u, v=v: run_variation(v, u, work) for v in CI_VARIATIONS],
        )
    return {r.name: (r, work / r.name) for r in results}


@pytest.mark.parametrize("variation", [pytest.param(v, id=v.name) for v in CI_VARIATIONS])
def test_legal_variation_changes_no_verdict(variation, ci_results: dict) -> None:
    result, folder = ci_results[variation.name]
    assert isinstance(result, VariationResult)
    assert result.error is None, result.error
    assert result.proxy_hits > 0 and result.proxy_changes > 0, (
        f"{variation.name} never changed an exchange: the rule is wrong, and proves nothing"
    )
    assert result.cases.get("total", 0) > 0, f"{variation.name}: no case ran; see {folder / 'output.txt'}"
    if variation.known_false_fail:
        pytest.xfail(f"known false FAIL: {variation.known_false_fail}")
    assert not result.bad, (
        f"{variation.name} is legal ({variation.legal_because[:120]}...) but the suite gave "
        + "; ".join(f"{rid}: {' | '.join(reasons[:2])}" for rid, reasons in result.reasons.items())
    )


def test_results_are_judged_as_the_matrix_reports_them() -> None:
    def result(**kw: object) -> VariationResult:
        base: dict = dict(
            name="v", area="a", legal_because="x", mims=["mim1"], select=None, failed=[], inconclusive=[],
            exit_code=0, seconds=1.0, proxy_hits=3, proxy_changes=2,
        )  # fmt: skip
        return VariationResult(**{**base, **kw})  # type: ignore[arg-type]

    assert result().result == "tolerated" and not result().regression
    assert result(failed=["R-1"]).result == "FALSE FAIL" and result(failed=["R-1"]).regression
    assert result(inconclusive=["R-2"]).regression, "an INCONCLUSIVE is no better than a FAIL here"
    assert result(proxy_changes=0).result == "NOT EXERCISED" and result(proxy_changes=0).regression
    known = result(failed=["R-1"], known_false_fail="open suite bug")
    assert known.result == "KNOWN FALSE FAIL" and not known.regression
    fixed = result(known_false_fail="open suite bug")
    assert fixed.result.startswith("tolerated") and "fixed" in fixed.result and not fixed.regression
    assert result(error="no certificate").regression
    changed = result(verdicts={"R-1": "NOT_APPLICABLE", "R-2": "PASS"})
    changed.compare({"R-1": "PASS", "R-2": "PASS"})
    assert changed.verdict_changes == ["R-1: PASS -> NOT_APPLICABLE"] and not changed.regression
