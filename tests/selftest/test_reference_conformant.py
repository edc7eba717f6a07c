"""Self-test: `mimcheck run` certifies the embedded reference platform as conformant, writes every
artefact, and lets no secret into any of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference

CANARY = "canary-7f3a9c-do-not-leak"


def mimcheck(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("run") / "out"
    return mimcheck("run", "--out", str(out)), out


def test_run_on_embedded_reference_is_conformant(
    embedded_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, out = embedded_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Verdict: CONFORMANT" in proc.stdout
    assert "test cases collected" in proc.stdout  # progress was shown
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert cert["verdict"] == "CONFORMANT" and cert["exit_code"] == 0
    assert set(cert["mims"]) == {"mim1", "mim2", "mim3"}
    for mim in cert["mims"].values():
        counts = mim["requirements"]
        assert mim["verdict"] == "PASS" and counts["fail"] == 0 and counts["inconclusive"] == 0
    for key in (
        "suite",
        "target",
        "declared_capabilities",
        "spec_versions",
        "started",
        "finished",
        "evidence_digest",
    ):
        assert key in cert
    assert len(cert["evidence_digest"]["value"]) == 64
    declared = set(cert["declared_capabilities"])
    for req in cert["requirements"]:
        if req["capability"] and req["capability"] not in declared:
            assert req["verdict"] == "NOT_APPLICABLE", req
        if req["verdict"] == "NOT_APPLICABLE":  # only ever for a capability the reference does not declare
            assert all("not declared" in reason for reason in req["reasons"]), req
            continue
        assert req["verdict"] == "PASS", req
        assert req["cases"] and len(req["evidence"]) == len(req["cases"])
        for path in req["evidence"]:
            doc = json.loads((out / path).read_text(encoding="utf-8"))
            assert doc["verdict"] == "PASS"
            assert doc["exchanges"], f"{path} holds no HTTP exchange"
    html = (out / "certificate.html").read_text(encoding="utf-8")
    # One inline filter script, no external script, and a policy that forbids every load.
    assert "<script src" not in html and html.count("<script>") == 1 and ">CONFORMANT<" in html
    assert "default-src 'none'" in html
    assert (out / "junit.xml").is_file()
    results = list((out / "allure-results").glob("*-result.json"))
    assert results
    labels = json.loads(results[0].read_text(encoding="utf-8"))["labels"]
    names = {label["name"] for label in labels}
    assert {"epic", "feature", "story", "severity"} <= names
    assert (out / "allure-results" / "environment.properties").is_file()


def test_catalogue_and_certificate_agree(embedded_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = embedded_run
    catalogue = json.loads(mimcheck("requirements", "--format", "json").stdout)
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert {r["id"] for r in catalogue} == {r["id"] for r in cert["requirements"]}


def test_a_canary_secret_appears_in_no_artefact(tmp_path: Path, reference: EmbeddedReference) -> None:
    profile = tmp_path / "target.toml"
    profile.write_text(
        f"""
[product]
name = "reference with auth"
[mim1]
base_url = "{reference.base_url}"
[mim3]
base_url = "{reference.base_url}/tmf-api"
[auth]
type = "bearer"
token_env = "MIMCHECK_TEST_TOKEN"
[headers]
X-Api-Key = "{CANARY}-header"
[capabilities]
declared = ["tmf620", "sdm-parking"]
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = mimcheck("run", "--target", str(profile), "--out", str(out), env={"MIMCHECK_TEST_TOKEN": CANARY})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), f"secret leaked into {path}"
    # The evidence shows that authentication was sent, masked.
    evidence = [path.read_text(encoding="utf-8") for path in (out / "evidence").glob("*.json")]
    assert any("***REDACTED***" in text for text in evidence)


def test_unreachable_target_is_inconclusive_with_one_line(tmp_path: Path) -> None:
    from conformance.embedded import free_port

    url = f"http://127.0.0.1:{free_port()}"
    proc = mimcheck("run", "--target-url", url, "--out", str(tmp_path / "out"))
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and url in lines[0] and "unreachable" in lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--target", "/nonexistent/profile.toml"], "no such profile file"),
        (["run", "--mim", "mim9"], "mim9"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_usage_exits_2(tmp_path: Path, args: list[str], needle: str) -> None:
    proc = mimcheck(*args, "--out", str(tmp_path / "o")) if args[0] == "run" else mimcheck(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr


def test_a_url_with_the_api_path_is_accepted_and_said(tmp_path: Path, reference: EmbeddedReference) -> None:
    proc = mimcheck(
        "run",
        "--target-url",
        reference.base_url + "/ngsi-ld/v1/",
        "--out",
        str(tmp_path / "out"),
        "--only",
        "MIM1-ENT-002",
    )
    assert f"using {reference.base_url} as the NGSI-LD root" in proc.stdout
    assert "Verdict: PARTIAL" in proc.stdout and proc.returncode == 3, proc.stdout + proc.stderr


def test_a_wrong_base_url_is_one_root_cause(tmp_path: Path, reference: EmbeddedReference) -> None:
    profile = tmp_path / "target.toml"
    profile.write_text(
        f'[product]\nname = "misplaced"\n[mim1]\nbase_url = "{reference.base_url}/broker"\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    proc = mimcheck("run", "--target", str(profile), "--out", str(out), "--mim", "mim1")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    roots = [line for line in proc.stdout.splitlines() if "ROOT CAUSE" in line]
    assert len(roots) == 1 and "NGSI-LD API (mim1) not found" in roots[0], proc.stdout
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert cert["verdict"] == "INCOMPLETE"
    assert len(cert["root_causes"]) == 1
    inconclusive = [r for r in cert["requirements"] if r["verdict"] == "INCONCLUSIVE"]
    assert len(cert["root_causes"][0]["requirements"]) == len(inconclusive) > 50
    assert not [r for r in cert["requirements"] if r["verdict"] == "FAIL"]


def test_nothing_declared_certifies_nothing(tmp_path: Path, reference: EmbeddedReference) -> None:
    profile = tmp_path / "target.toml"
    profile.write_text(
        f'[product]\nname = "bare"\n[mim3]\nbase_url = "{reference.base_url}/tmf-api"\n', encoding="utf-8"
    )
    proc = mimcheck("run", "--target", str(profile), "--out", str(tmp_path / "out"), "--mim", "mim3")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Verdict: NOTHING CERTIFIED" in proc.stdout and "declare" in proc.stdout
    assert "Verdict: CONFORMANT" not in proc.stdout


def test_an_unset_token_variable_is_a_usage_error_before_any_case(tmp_path: Path) -> None:
    profile = tmp_path / "target.toml"
    profile.write_text(
        '[product]\nname = "p"\n[mim1]\nbase_url = "http://127.0.0.1:9"\n'
        '[auth]\ntype = "bearer"\ntoken_env = "MIMCHECK_UNSET_TOKEN_VAR"\n',
        encoding="utf-8",
    )
    proc = mimcheck("run", "--target", str(profile), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "MIMCHECK_UNSET_TOKEN_VAR" in lines[0]


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    import subprocess as sp

    proc = sp.run(
        f"{sys.executable} -m conformance.cli requirements | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.startswith("MIM1-")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_a_wrong_mim3_root_is_one_root_cause(tmp_path: Path, reference: EmbeddedReference) -> None:
    profile = tmp_path / "target.toml"
    profile.write_text(
        f'[product]\nname = "misplaced"\n[mim3]\nbase_url = "{reference.base_url}/tmf"\n'
        '[capabilities]\ndeclared = ["tmf620", "tmf622", "tmf641"]\n',
        encoding="utf-8",
    )
    proc = mimcheck("run", "--target", str(profile), "--out", str(tmp_path / "out"), "--mim", "mim3")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    roots = [line for line in proc.stdout.splitlines() if "ROOT CAUSE" in line]
    assert len(roots) == 1 and "no TM Forum API found" in roots[0], proc.stdout


def test_one_missing_tmf_api_is_its_own_root_cause(tmp_path: Path, reference: EmbeddedReference) -> None:
    """One API absent (its requests answered 404), the others served: only its cases are blocked."""
    from proxy import FaultProxy, Rule

    with FaultProxy(
        reference.base_url, [Rule(path="^/tmf-api/productOrderingManagement/", set_status=404, body="")]
    ) as proxy:
        profile = tmp_path / "target.toml"
        profile.write_text(
            f'[product]\nname = "no TMF622"\n[mim3]\nbase_url = "{proxy.base_url}/tmf-api"\n'
            '[capabilities]\ndeclared = ["tmf620", "tmf622"]\n',
            encoding="utf-8",
        )
        out = tmp_path / "out"
        proc = mimcheck("run", "--target", str(profile), "--out", str(out), "--mim", "mim3")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert len(cert["root_causes"]) == 1 and "TMF622 API not found" in cert["root_causes"][0]["cause"]
    by_api: dict[str, set[str]] = {}
    for r in cert["requirements"]:  # grouped by the API (capability) each requirement belongs to
        by_api.setdefault(r["capability"], set()).add(r["verdict"])
    assert by_api.pop("tmf622") == {"INCONCLUSIVE"} and by_api.pop("tmf620") == {"PASS"}, by_api
    assert set().union(*by_api.values()) == {"NOT_APPLICABLE"}, "the undeclared APIs"
