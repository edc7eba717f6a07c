"""The suite's pages in headless Chromium at 1,024 px: certificate.html (from a small real run and from
a hand-made certificate with every verdict), matrix.html, tender.html and the diff page. Each renders
without horizontal scroll, shows failures first, loads nothing from outside its file, has working
filters where it has filters, links evidence files that exist, and prints on A4. A PNG of each is kept
under reports/browser/."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from handmade_certs import certificate, packaged, sealed_run
from pagecheck import (
    csp,
    emulate_print,
    horizontal_overflow,
    local_links,
    open_page,
    outside_loads,
    pdf_page_size,
    print_pdf,
    screenshot,
    script_errors,
    visible_texts,
)

from conformance.certificate_html import render_html
from conformance.cli import main
from conformance.records import Certificate, MimResult, RequirementResult, evidence_name
from conformance.requirements import SPEC_NGSILD, SPEC_SDM, SPEC_TMF620, SPEC_TMF622, Requirement
from conformance.verdicts import RunVerdict, Verdict

RANK = {"FAIL": 0, "WARNING": 1, "INCONCLUSIVE": 2, "PASS": 3, "NOT_APPLICABLE": 4}
LONG_PATH = "$.components.schemas." + ".".join(f"ProductOfferingPriceRelationship{n}" for n in range(8))


def _select(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_value(value)


def _type(driver: Any, element_id: str, text: str) -> None:
    box = driver.find_element("id", element_id)
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() fires no input event
        driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)


def _shown_rows(driver: Any) -> list[str]:
    return [
        tr.get_attribute("id") for tr in driver.find_elements("css selector", "tr.req") if tr.is_displayed()
    ]


def _common(driver: Any, page: Path, name: str, max_pages: int) -> int:
    """Opens the page and checks width, loads, CSP and print; returns the PDF's page count."""
    open_page(driver, page)
    assert horizontal_overflow(driver) == []
    assert outside_loads(driver) == []
    assert "default-src 'none'" in csp(driver)
    assert script_errors(driver) == []
    screenshot(driver, name)
    pdf, pages = print_pdf(driver)
    width, height = pdf_page_size(pdf)
    assert abs(width - 595) < 3 and abs(height - 842) < 3, (width, height)  # A4 in points
    assert 1 <= pages <= max_pages, pages
    return pages


# ---------------------------------------------------------------------------------------------
# certificate.html


def _req(
    rid: str, spec: str, clause: str, level: str, title: str, capability: str | None = None
) -> Requirement:
    return Requirement(rid, rid.split("-")[0].lower(), spec, clause, level, capability, title)


def _handmade_certificate() -> Certificate:
    rows = [
        (_req("MIM1-ENT-001", SPEC_NGSILD, "5.6.1", "MUST", "Create Entity answers 201 Created"), "FAIL"),
        (_req("MIM1-ENT-002", SPEC_NGSILD, "5.6.2", "SHOULD", "Update answers 204 " + LONG_PATH), "FAIL"),
        (_req("MIM3-CAT-001", SPEC_TMF620, "TMF620 6.1", "MUST", "Catalog list", "tmf620"), "INCONCLUSIVE"),
        (
            _req("MIM1-DISC-012", SPEC_NGSILD, "5.7.3", "MUST", "Source identity", "ngsild-source-identity"),
            "NOT_APPLICABLE",
        ),
        (_req("MIM2-SDM-001", SPEC_SDM, "4.5.1", "MUST", "ParkingSpot entities validate"), "PASS"),
        (_req("MIM3-ORD-001", SPEC_TMF622, "TMF622 6.1", "MUST", "Create ProductOrder", "tmf622"), "PASS"),
    ]
    results = []
    for req, verdict in rows:
        cases = [f"{req.id}[{p}-{LONG_PATH[:40]}]" for p in ("json", "ld+json", "a b/c")]
        v = Verdict(verdict)
        entry = RequirementResult(
            req,
            v,
            cases,
            evidence=[f"evidence/{evidence_name(c)}" for c in cases],
            warning=req.level == "SHOULD" and v == Verdict.FAIL,
        )
        if v != Verdict.PASS:
            entry.reasons = [f"{c}: expected 201 at {LONG_PATH}, got 400" for c in cases]
        if v == Verdict.INCONCLUSIVE:
            entry.blocked_by = ["POST /productCatalogManagement/v4/catalog answered 503"]
        results.append(entry)
    mims = {
        "mim1": MimResult(Verdict.FAIL, 0, 2, 1, 0, 1),
        "mim2": MimResult(Verdict.PASS, 1, 0, 0, 0, 0),
        "mim3": MimResult(Verdict.INCONCLUSIVE, 1, 0, 0, 1, 0),
    }
    return Certificate(
        suite={"name": "mimcheck", "version": "0.1.0"},
        run_id="run-handmade",
        target={
            "name": "Hand-made product",
            "vendor": "Vendor",
            "version": "1",
            "base_urls": {
                "mim1": "http://broker.example:1026/ngsi-ld/v1/" + "x" * 150,
                "mim3": "http://tmf.example/",
            },
        },
        declared_capabilities=["tmf620", "tmf622"],
        spec_versions={
            "mim1": SPEC_NGSILD,
            "mim2": f"{SPEC_SDM} (1 model schema(s) from smart-data-models/dataModel.Parking)",
            "mim3": f"{SPEC_TMF620}; {SPEC_TMF622}",
        },
        started="2027-01-10T12:00:00Z",
        finished="2027-01-10T12:05:00Z",
        verdict=RunVerdict.NOT_CONFORMANT,
        exit_code=1,
        mims=mims,
        requirements=results,
        cases={"total": 18},
        evidence_digest="0" * 64,
        models=[
            {
                "name": "ParkingSpot",
                "schemaVersion": "0.1.0",
                "source": "smart-data-models/dataModel.Parking",
                "commit": "d49af3c051dfc06d08d43183d2a7a3586d2ba163",
                "sha256": "c" * 64,
                "bundled": True,
            }
        ],
    )


@pytest.fixture(scope="module")
def handmade_page() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mimcheck-browser-cert-") as tmp:
        yield _write_handmade(Path(tmp))


def _write_handmade(folder: Path) -> Path:
    cert = _handmade_certificate()
    (folder / "evidence").mkdir()
    for r in cert.requirements:
        for case in r.cases:
            (folder / "evidence" / evidence_name(case)).write_text(
                json.dumps({"case_id": case}), encoding="utf-8"
            )
    page = folder / "certificate.html"
    page.write_text(render_html(cert), encoding="utf-8")
    return page


def test_handmade_certificate_page(browser: Any, handmade_page: Path) -> None:
    driver = browser
    _common(driver, handmade_page, "certificate-handmade", max_pages=10)
    open_page(driver, handmade_page)
    order = [tr.get_attribute("data-verdict") for tr in driver.find_elements("css selector", "tr.req")]
    assert order == ["FAIL", "WARNING", "INCONCLUSIVE", "PASS", "PASS", "NOT_APPLICABLE"]
    # Problems are open, passed and not applicable requirements collapsed.
    assert _shown_rows(driver) == ["r-MIM1-ENT-001", "r-MIM1-ENT-002", "r-MIM3-CAT-001"]
    na = driver.find_element("id", "r-MIM1-DISC-012").get_attribute("textContent")
    assert "does not declare the capability ngsild-source-identity" in na
    # Specification links where the catalogue knows them; CIM 009 clause numbers as text.
    ord_row = driver.find_element("id", "r-MIM3-ORD-001")
    assert "product-ordering-management-api-TMF622" in ord_row.find_element(
        "css selector", "a"
    ).get_attribute("href")
    assert "clause 5.6.1" in driver.find_element("id", "r-MIM1-ENT-001").text
    # The failed list links to its row.
    assert driver.find_element("css selector", "a[href='#r-MIM1-ENT-001']").is_displayed()

    # Filters: verdict, MIM, text; the count follows.
    _select(driver, "f-verdict", "NOT_APPLICABLE")
    assert _shown_rows(driver) == ["r-MIM1-DISC-012"]
    assert driver.find_element("id", "f-count").text == "1"
    _select(driver, "f-verdict", "")
    _select(driver, "f-mim", "mim3")
    assert _shown_rows(driver) == ["r-MIM3-CAT-001", "r-MIM3-ORD-001"]
    _select(driver, "f-mim", "")
    _type(driver, "f-text", "parkingspot")
    assert _shown_rows(driver) == ["r-MIM2-SDM-001"]
    assert driver.find_element("css selector", "details.grp[data-group='FAIL']").is_displayed() is False

    # Printing shows everything, filtered or collapsed, and hides the filters.
    emulate_print(driver, True)
    try:
        assert not driver.find_element("id", "f-form").is_displayed()
        assert len(_shown_rows(driver)) == 6
        # (selenium's is_displayed calls anything in a closed <details> hidden: ask the layout instead)
        case_item = driver.find_element("css selector", "#r-MIM3-ORD-001 details.cases li")
        assert driver.execute_script("return arguments[0].getBoundingClientRect().height", case_item) > 0
    finally:
        emulate_print(driver, False)
    _type(driver, "f-text", "")
    assert len(_shown_rows(driver)) == 6  # every row again; the groups the filters opened stay open

    # Every evidence link resolves to a file beside the page (ids with brackets, spaces and slashes).
    links = local_links(driver, "a[href^='evidence/']")
    assert len(links) == 18 and all(p.is_file() for p in links), [p for p in links if not p.is_file()]
    assert script_errors(driver) == []


@pytest.fixture(scope="module")
def real_run() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mimcheck-browser-run-") as tmp:
        yield _real_run(Path(tmp) / "run")


def _real_run(out: Path) -> Path:
    mimcheck = Path(sys.executable).with_name("mimcheck")
    done = subprocess.run(
        [
            str(mimcheck),
            "run",
            "--mim",
            "mim3",
            "--workers",
            "0",
            "-k",
            "catalog",  # 56 cases of the TMF620 catalog, a few seconds
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode == 3 and (out / "certificate.json").is_file(), output  # narrowed: PARTIAL
    return out


@pytest.mark.slow
def test_certificate_page_of_a_real_run(browser: Any, real_run: Path) -> None:
    driver = browser
    cert = json.loads((real_run / "certificate.json").read_text(encoding="utf-8"))
    _common(driver, real_run / "certificate.html", "certificate-real-run", max_pages=60)
    open_page(driver, real_run / "certificate.html")
    order = [tr.get_attribute("data-verdict") for tr in driver.find_elements("css selector", "tr.req")]
    assert order == sorted(order, key=RANK.__getitem__) and len(order) == len(cert["requirements"])
    links = local_links(driver, "a[href^='evidence/']")
    expected = sum(len(r["evidence"]) for r in cert["requirements"])
    assert expected > 0 and len(links) == expected
    assert all(p.is_file() for p in links), [p for p in links if not p.is_file()]
    assert "TMF620 Product Catalog Management" in driver.find_element("css selector", "table.facts").text
    first = cert["requirements"][0]["id"]
    _type(driver, "f-text", first.lower())
    assert _shown_rows(driver) == [f"r-{first}"] and script_errors(driver) == []


# ---------------------------------------------------------------------------------------------
# matrix.html, tender.html, the diff page

A = certificate(
    "Product A",
    {"MIM1-ENT-001": "PASS", "MIM1-ENT-002": "FAIL", "MIM1-DISC-012": "PASS", "MIM3-CAT-001": "PASS"},
    ["ngsild-source-identity", "tmf620"],
)
B = certificate(
    "Product B",
    {"MIM1-ENT-001": "FAIL", "MIM1-DISC-012": "NOT_APPLICABLE", "MIM3-CAT-001": "INCONCLUSIVE"},
    ["tmf620"],
)


def test_matrix_page(browser: Any, scratch: Path) -> None:
    driver = browser
    more = [  # six products in all: the columns still fit 1,024 px
        certificate(
            f"Product with a rather long name {n}",
            {"MIM1-ENT-001": "PASS", "MIM3-CAT-001": "INCONCLUSIVE"},
            [],
        )
        for n in range(4)
    ]
    packages = [str(packaged(scratch, "a", A)), str(packaged(scratch, "b", B))]
    packages += [str(packaged(scratch, f"more{n}", cert)) for n, cert in enumerate(more)]
    assert main(["matrix", *packages, "--out", str(scratch / "m")]) in (0, 1)
    page = scratch / "m" / "matrix.html"
    _common(driver, page, "matrix", max_pages=4)
    open_page(driver, page)
    rows = driver.find_elements("css selector", "tr.req")
    problem = [
        bool({"FAIL", "WARNING", "INCONCLUSIVE"} & set((r.get_attribute("data-verdicts") or "").split()))
        for r in rows
    ]
    assert problem == sorted(problem, reverse=True) and problem[0], problem  # failures first
    _select(driver, "f-ver", "FAIL")
    shown = [r for r in rows if r.is_displayed()]
    assert shown and all("FAIL" in r.get_attribute("data-verdicts").split() for r in shown)
    _select(driver, "f-ver", "")
    links = local_links(driver, "a[href*='evidence/']")
    assert links and all(p.is_file() for p in links), [p for p in links if not p.is_file()]


def test_tender_page(browser: Any, scratch: Path) -> None:
    driver = browser
    files = [str(packaged(scratch, "a", A)), str(packaged(scratch, "b", B))]
    path = scratch / "tender.toml"
    path.write_text(
        "[tender]\nname = 'browser'\nas_of = 2027-02-01\n[requires]\nmims = ['mim1', 'mim3']\n"
        "tmf_apis = ['tmf620']\nngsild_capabilities = ['ngsild-source-identity']\nmax_certificate_age_days = 90\n"
        '[[bid]]\nname = "Product A"\npackage = "a.zip"\n[[bid]]\nname = "Product B"\npackage = "b.zip"\n',
        encoding="utf-8",
    )
    main(["tender", str(path), *files, "--out", str(scratch / "t")])
    page = scratch / "t" / "tender.html"
    _common(driver, page, "tender", max_pages=4)
    open_page(driver, page)
    rank = {"not met": 0, "not evidenced": 1, "met": 2}
    tables = driver.find_elements("css selector", "table.bid")
    assert len(tables) == 2
    seen = set()
    for table in tables:
        answers = [td.text for td in table.find_elements("css selector", "td.answer")]
        assert answers == sorted(answers, key=rank.__getitem__), answers  # failures first
        seen.update(answers)
    assert seen == {"met", "not met", "not evidenced"}


def test_diff_page(browser: Any, scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    driver = browser
    old = certificate(
        "P", {"MIM1-ENT-001": "PASS", "MIM1-ENT-002": "FAIL", "MIM3-CAT-001": "PASS"}, ["tmf620"]
    )
    new = certificate(
        "P", {"MIM1-ENT-001": "FAIL", "MIM1-ENT-002": "PASS", "MIM3-CAT-001": "INCONCLUSIVE"}, ["tmf620"]
    )
    sealed_run(scratch / "old", old)
    sealed_run(scratch / "new", new)
    assert main(["diff", str(scratch / "old"), str(scratch / "new"), "--format", "html"]) == 1
    page = scratch / "diff.html"
    page.write_text(capsys.readouterr().out, encoding="utf-8")
    _common(driver, page, "diff", max_pages=3)
    open_page(driver, page)
    rows = driver.find_elements("css selector", "table tr")[1:]
    regressions = ["r" in (tr.get_attribute("class") or "").split() for tr in rows]
    assert regressions == sorted(regressions, reverse=True) and regressions[0]  # regressions first


# ---------------------------------------------------------------------------------------------
# The checks themselves


def test_the_checks_see_an_outside_load_a_script_error_and_a_page_too_wide(
    browser: Any, scratch: Path
) -> None:
    driver = browser
    page = scratch / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
        "<img src='http://127.0.0.1:9/x.png'><table><tr><td>" + "x" * 400 + "</td></tr></table>"
        "<script>throw new Error('boom')</script></body></html>",
        encoding="utf-8",
    )
    open_page(driver, page)
    assert any("127.0.0.1:9" in x for x in outside_loads(driver))
    assert horizontal_overflow(driver)
    assert any("boom" in x for x in script_errors(driver))
    assert visible_texts(driver, "td")
