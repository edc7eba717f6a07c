"""The hand-written SVG chart of a load run: well-formed, both panels, nothing without samples."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conformance.load_svg import nice_ceiling, run_chart

SVG = "{http://www.w3.org/2000/svg}"


def _report(points: int) -> dict:
    history = [
        {
            "t": float(t),
            "requests": 10 * t,
            "failures": 0,
            "rps": 10.0,
            "p50_ms": 2.0,
            "p95_ms": 5.0 + t,
            "users": 4,
        }
        for t in range(1, points + 1)
    ]
    return {
        "profile": "ngsi_ld_entities",
        "history": history,
        "total": {"requests": 10 * points, "p95_ms": 9.0},
    }


def test_run_chart_has_a_throughput_and_a_latency_panel() -> None:
    svg = run_chart(_report(6))
    assert svg is not None
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 3  # requests/s; median and p95
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"Throughput", "Response time", "requests/s", "median", "p95"} <= texts


def test_no_samples_no_chart() -> None:
    assert run_chart({"history": []}) is None
    assert run_chart({}) is None


def test_text_from_the_report_is_escaped() -> None:
    svg = run_chart({**_report(2), "profile": "<mine & yours>"})
    assert svg is not None and "&lt;mine &amp; yours&gt;" in svg
    ET.fromstring(svg)


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1.0), (0.7, 1.0), (3, 5.0), (12, 20.0), (240, 250.0), (1000, 1000.0)]
)
def test_axis_maxima_are_round(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling
