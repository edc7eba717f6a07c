"""`mimcheck run` against each hostile target of kinds.toml: it ends before its deadline, never with a
traceback, within the memory bound, and with the honest outcome (one root cause when nothing can be
certified, FAIL through a check for garbage, INCONCLUSIVE naming the cause when the target throttles)."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import socket
import ssl
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hostile_server import make_server

KINDS = tomllib.loads((Path(__file__).parent / "kinds.toml").read_text(encoding="utf-8"))["kind"]
OUTCOMES = {"unavailable", "inconclusive", "fail", "judged"}
DEFAULT_SELECT = "test_create_answers_201_with_location or test_retrieve_key_values"
DEADLINE_S = 45  # [run] deadline_seconds of the profile
SLACK_S = 20  # start-up and shutdown of the run around the deadline
MAX_RSS_MB = 400  # the stated bound: the run's peak resident memory, whatever the target sends


def test_catalogue_is_well_formed() -> None:
    assert len(KINDS) >= 20
    names = [k["name"] for k in KINDS]
    assert len(set(names)) == len(names)
    for kind in KINDS:
        assert kind["outcome"] in OUTCOMES, kind
        assert kind["what"].strip()
        assert kind["outcome"] not in ("unavailable", "inconclusive") or kind.get("cause"), kind


def _self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "s.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "s.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "s.crt", folder / "s.key")
    return context


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _profile(folder: Path, base: str) -> Path:
    path = folder / "hostile.toml"
    path.write_text(
        f"""[product]
name = "hostile target"

[mim1]
base_url = "{base}"

[notifications]
window_seconds = 2

[run]
timeout_seconds = 5
request_seconds = 15
deadline_seconds = {DEADLINE_S}
""",
        encoding="utf-8",
    )
    return path


def _run(profile: Path, out: Path, select: str) -> tuple[int, str, float, float]:
    """Run mimcheck; returns exit code, stderr+stdout, wall seconds, peak RSS in MB."""
    cmd = [sys.executable, "-m", "conformance.cli", "run", "--target", str(profile), "--mim", "mim1"]
    cmd += ["--workers", "0", "--out", str(out), "-k", select]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MIMCHECK_MAX_NOTIFICATIONS_PER_ENDPOINT": "100"},
    )
    try:
        output, _ = proc.communicate(timeout=DEADLINE_S + SLACK_S + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        pytest.fail(f"the run did not end: {output.decode(errors='replace')[-2000:]}")
    wall = time.monotonic() - started
    return proc.returncode, output.decode(errors="replace"), wall, _peak_rss_mb()


def _peak_rss_mb() -> float:
    """The largest peak resident memory of any child this process waited for (so an upper bound for the
    run just ended)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _cases(out: Path) -> dict[str, dict[str, Any]]:
    """Each case's evidence (verdict, blocked_by, notes, exchanges), by case id."""
    found = {}
    for path in (out / "evidence").glob("MIM*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["case_id"]] = data
    return found


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS, ids=[k["name"] for k in KINDS])
def test_hostile_target(kind: dict[str, Any], tmp_path: Path) -> None:
    server = None
    if kind["name"] == "refused":
        base = f"http://127.0.0.1:{_closed_port()}"
    else:
        server = make_server(kind["name"], tls=_self_signed(tmp_path) if kind.get("tls") else None).start()
        base = server.url
    try:
        code, output, wall, rss = _run(
            _profile(tmp_path, base), tmp_path / "run", kind.get("select", DEFAULT_SELECT)
        )
    finally:
        if server is not None:
            server.stop()
    assert "Traceback" not in output, output[-3000:]
    assert wall < DEADLINE_S + SLACK_S, f"the run took {wall:.0f} s"
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"
    if kind["outcome"] == "unavailable":
        assert code == 3, output
        lines = [ln for ln in output.splitlines() if ln.strip()]
        assert len(lines) == 1 and kind["cause"] in lines[0], output
        return
    cases = _cases(tmp_path / "run")
    assert cases, output
    verdicts = {c.get("verdict") for c in cases.values()}
    suite_errors = [i for i, c in cases.items() if "suite error" in str(c.get("blocked_by") or "")]
    assert not suite_errors, {i: cases[i] for i in suite_errors}
    if kind["outcome"] == "fail":
        assert "FAIL" in verdicts, cases
    elif kind["outcome"] == "inconclusive":
        assert "INCONCLUSIVE" in verdicts and "FAIL" not in verdicts, cases
        blocked = [c for c in cases.values() if c["verdict"] == "INCONCLUSIVE"]
        assert all(kind["cause"] in str(c.get("blocked_by")) for c in blocked), cases
    if kind.get("evidence"):
        texts = [json.dumps(c) for c in cases.values()]
        assert any(kind["evidence"] in t for t in texts), f"no evidence mentions {kind['evidence']!r}"
    if kind["name"] == "redirect-other-host":
        assert server is not None and server.foreign_hits == 0, "a redirect to another host was followed"
