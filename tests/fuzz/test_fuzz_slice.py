"""CI's bounded slice of the fuzzing of the reference (tests/fuzz/fuzz.py; the full run is `tox -e fuzz`,
its figures in docs/fuzz.md): requests generated from the NGSI-LD V1.8.1 OpenAPI (entities, batch,
types) and from two TM Forum v4 swaggers, about 30 s of requests. No 5xx, no request
without an answer, no 2xx answer that breaks the schema the spec declares for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzz import fuzz, spec_path, summary

from conformance.embedded import EmbeddedReference

REFERENCE_DATA = os.environ.get("REFERENCE_DATA")
SLICE_APIS = ["ngsild", "tmf622", "tmf670"]
NGSILD_PATHS = ["/entities", "/entityOperations", "/types"]


@pytest.mark.slow
@pytest.mark.skipif(
    not REFERENCE_DATA,
    reason="REFERENCE_DATA is not set: point it at the shared reference data (the NGSI-LD OpenAPI and "
    "the TM Forum swaggers are read from there)",
)
def test_fuzz_slice(reference: EmbeddedReference) -> None:
    data = Path(REFERENCE_DATA or "")
    for api in SLICE_APIS:
        assert spec_path(api, data).is_file(), spec_path(api, data)
    results = {}
    for api, prefixes, requests_, seconds in (
        ("ngsild", NGSILD_PATHS, 120, 15.0),
        ("tmf622", None, 100, 6.0),
        ("tmf670", None, 80, 5.0),
    ):
        results.update(
            fuzz(
                [api],
                reference.base_url,
                max_requests=requests_,
                seconds=seconds,
                data=data,
                path_prefixes=prefixes,
                hard_limit=True,
            )
        )
    out = summary(results, 0.0)
    findings = [f for r in results.values() for f in r.findings]
    assert out["requests"] >= 30, out
    assert not findings, "\n".join(
        f"{f.kind} {f.operation} [{f.mode}] {f.status}: {f.detail}\n{f.curl}" for f in findings
    )
    assert out["server_errors"] == out["crashes"] == out["schema_violations"] == 0
