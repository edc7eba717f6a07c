"""Signed run folders: `mimcheck verify` passes an untouched signed run and fails, naming the file,
for a flipped byte in an evidence file, an edited verdict, an added file, a removed file and a wrong
key; an unsigned run verifies its digests only, and says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def mimcheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    proc = mimcheck("keygen", "--out", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert oct((folder / "private.pem").stat().st_mode & 0o777) == "0o600"
    return folder / "private.pem", folder / "public.pem"


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    out = tmp_path_factory.mktemp("signed") / "run"
    proc = mimcheck("run", "--mim", "mim3", "--out", str(out), "--sign-key", str(keys[0]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _copy(run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(run, target)
    return target


def test_an_untouched_signed_run_verifies(signed_run: Path, keys: tuple[Path, Path]) -> None:
    proc = mimcheck("verify", str(signed_run), "--key", str(keys[1]))
    assert proc.returncode == 0 and "signature holds" in proc.stdout, proc.stdout + proc.stderr
    cert = json.loads((signed_run / "certificate.json").read_text(encoding="utf-8"))
    assert cert["signer"]["algorithm"] == "ed25519" and cert["signer"]["fingerprint"].startswith("sha256:")
    assert len(cert["catalogue_digest"]["value"]) == 64
    private = keys[0].read_bytes()
    for path in signed_run.rglob("*"):
        if path.is_file():
            assert private not in path.read_bytes(), f"the private key leaked into {path}"


def _tampered(name: str, run: Path) -> str:
    """Tamper with a copy of the run in one way; returns the file name verify must name."""
    evidence = sorted((run / "evidence").glob("MIM3-*.json"))[0]
    if name == "flipped-byte":
        data = bytearray(evidence.read_bytes())
        data[len(data) // 2] ^= 0x01
        evidence.write_bytes(bytes(data))
        return f"evidence/{evidence.name}"
    if name == "edited-verdict":
        cert = json.loads((run / "certificate.json").read_text(encoding="utf-8"))
        cert["requirements"][0]["verdict"] = "FAIL"
        (run / "certificate.json").write_text(json.dumps(cert, indent=2), encoding="utf-8")
        return "certificate.json"
    if name == "added-file":
        (run / "evidence" / "extra.json").write_text("{}", encoding="utf-8")
        return "evidence/extra.json"
    if name == "removed-file":
        evidence.unlink()
        return f"evidence/{evidence.name}"
    raise AssertionError(name)


@pytest.mark.parametrize("tampering", ["flipped-byte", "edited-verdict", "added-file", "removed-file"])
def test_any_change_fails_and_names_the_file(
    signed_run: Path, keys: tuple[Path, Path], tmp_path: Path, tampering: str
) -> None:
    run = _copy(signed_run, tmp_path)
    name = _tampered(tampering, run)
    proc = mimcheck("verify", str(run), "--key", str(keys[1]))
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout.startswith(f"verify: FAILED: {name}"), proc.stdout


def test_a_wrong_key_fails(signed_run: Path, tmp_path: Path) -> None:
    other = mimcheck("keygen", "--out", str(tmp_path / "other"))
    assert other.returncode == 0
    proc = mimcheck("verify", str(signed_run), "--key", str(tmp_path / "other" / "public.pem"))
    assert proc.returncode == 1 and "another key" in proc.stdout, proc.stdout


def test_a_resigned_manifest_does_not_pass_for_the_original_key(
    signed_run: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """Edit a verdict, then re-seal with another key: verify against the vendor's key fails."""
    from conformance.signing import load_private_key, seal

    run = _copy(signed_run, tmp_path)
    _tampered("edited-verdict", run)
    assert mimcheck("keygen", "--out", str(tmp_path / "forger")).returncode == 0
    seal(run, load_private_key(str(tmp_path / "forger" / "private.pem"), None))
    proc = mimcheck("verify", str(run), "--key", str(keys[1]))
    assert proc.returncode == 1, proc.stdout


def test_an_unsigned_run_verifies_its_digests_only(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert mimcheck("run", "--mim", "mim3", "--out", str(out), "-k", "test_retrieve").returncode == 3
    proc = mimcheck("verify", str(out))
    assert proc.returncode == 0 and "digests only" in proc.stdout, proc.stdout
    _tampered("flipped-byte", out)
    assert mimcheck("verify", str(out)).returncode == 1


def test_a_missing_signing_key_stops_before_the_first_case(tmp_path: Path) -> None:
    env_var = "MIMCHECK_TEST_SIGNING_KEY_UNSET"
    os.environ.pop(env_var, None)
    profile = tmp_path / "p.toml"
    profile.write_text(
        f'[product]\nname = "p"\n[mim1]\nbase_url = "http://127.0.0.1:9"\n[signing]\nkey_env = "{env_var}"\n',
        encoding="utf-8",
    )
    proc = mimcheck("run", "--target", str(profile), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and env_var in proc.stderr, proc.stderr


def test_a_package_verifies_and_a_changed_package_does_not(
    signed_run: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    import zipfile

    archive = tmp_path / "submission.zip"
    assert mimcheck("package", str(signed_run), "--out", str(archive)).returncode == 0
    names = zipfile.ZipFile(archive).namelist()
    assert "run/certificate.json" in names and "run/signature.json" in names
    assert "run/reference.log" not in names
    proc = mimcheck("verify", str(archive), "--key", str(keys[1]))
    assert proc.returncode == 0, proc.stdout
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(changed, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "run/certificate.json":
                data = data.replace(b'"CONFORMANT"', b'"NOT CONFORMANT"', 1)
            dst.writestr(name, data)
    proc = mimcheck("verify", str(changed), "--key", str(keys[1]))
    assert proc.returncode == 1 and "certificate.json" in proc.stdout, proc.stdout
