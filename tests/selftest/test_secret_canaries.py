"""No credential in any artefact: a canary value in each auth mode (a bearer token, an OAuth2 client
secret and the access token it yields, an extra header) is sent to the target and appears in no file of
the run folder, the submission package, a load run's folder or a campaign's folder (runs, packages,
matrix), in clear or base64."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conformance.embedded import EmbeddedReference

BEARER = "canary-bearer-7f3a9c1e5b"
CLIENT_SECRET = "canary-client-secret-2d8e4f"
ACCESS_TOKEN = "canary-access-token-9b1c7a"
API_KEY = "canary-api-key-5e6f7a8b"
CANARIES = (BEARER, CLIENT_SECRET, ACCESS_TOKEN, API_KEY)
SELECT = "test_create_answers_201_with_location or test_retrieve_key_values"


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw)]


def leaks(folder: Path) -> list[str]:
    """Files (and archive members) holding any canary, in clear or base64."""
    found = []
    for path in [folder] if folder.is_file() else folder.rglob("*"):
        if not path.is_file():
            continue
        blobs = {str(path): path.read_bytes()}
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                blobs.update({f"{path}!{n}": archive.read(n) for n in archive.namelist()})
        for name, blob in blobs.items():
            found += [f"{name}: {s}" for s in CANARIES if any(form in blob for form in _forms(s))]
    return found


@pytest.fixture
def token_server(httpserver: HTTPServer) -> str:
    def issue(request: Request) -> Response:
        assert request.form.get("client_secret") == CLIENT_SECRET
        body = {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/token", method="POST").respond_with_handler(issue)
    return httpserver.url_for("/token")


def _profile(tmp_path: Path, base: str, auth: str) -> Path:
    path = tmp_path / "canary.toml"
    path.write_text(
        f"""[product]
name = "reference with canary credentials"

[mim1]
base_url = "{base}"

[auth]
{auth}

[headers]
X-Api-Key = "{API_KEY}"
""",
        encoding="utf-8",
    )
    return path


AUTH_MODES = {
    "bearer": 'type = "bearer"\ntoken_env = "MIMCHECK_CANARY_BEARER"',
    "oauth2": 'type = "oauth2"\ntoken_url = "{token_url}"\nclient_id = "mimcheck"\n'
    'client_secret_env = "MIMCHECK_CANARY_SECRET"',
}


def _mimcheck(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIMCHECK_CANARY_BEARER": BEARER, "MIMCHECK_CANARY_SECRET": CLIENT_SECRET}
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True, timeout=600, env=env
    )


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(AUTH_MODES))
def test_no_canary_in_any_artefact(
    mode: str, reference: EmbeddedReference, token_server: str, tmp_path: Path
) -> None:
    profile = _profile(tmp_path, reference.base_url, AUTH_MODES[mode].format(token_url=token_server))
    run = tmp_path / "run"
    result = _mimcheck(
        "run", "--target", str(profile), "--mim", "mim1", "--workers", "0", "--out", str(run), "-k", SELECT
    )
    assert result.returncode == 3, result.stdout + result.stderr  # a narrowed run: PARTIAL
    evidence = "".join(p.read_text(encoding="utf-8") for p in (run / "evidence").glob("MIM1-*.json"))
    assert "Authorization" in evidence and "X-Api-Key" in evidence, (
        "the credentials were not sent: proves nothing"
    )
    package = _mimcheck("package", str(run), "--out", str(tmp_path / "package.zip"))
    assert package.returncode == 0, package.stdout + package.stderr
    load = _mimcheck(
        "load", "--target", str(profile), "--users", "2", "--duration", "3s", "--out", str(tmp_path / "load")
    )
    assert load.returncode in (0, 1), load.stdout + load.stderr
    (tmp_path / "campaign.toml").write_text(
        f'[campaign]\nname = "canary"\nmims = ["mim1"]\nk = "{SELECT}"\n'
        f'[[product]]\nlabel = "canary"\nprofile = "{profile}"\n',
        encoding="utf-8",
    )
    campaign = _mimcheck("campaign", str(tmp_path / "campaign.toml"), "--out", str(tmp_path / "campaign"))
    assert campaign.returncode == 0, campaign.stdout + campaign.stderr
    outputs = "".join(p.stdout + p.stderr for p in (result, package, load, campaign))
    assert not [s for s in CANARIES if s in outputs], "a canary in the console output"
    for artefacts in (run, tmp_path / "package.zip", tmp_path / "load", tmp_path / "campaign"):
        assert leaks(artefacts) == [], leaks(artefacts)


def test_the_scanner_finds_a_planted_canary(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"h": base64.b64encode(API_KEY.encode()).decode()}))
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        archive.writestr("evidence/x.json", f"Bearer {ACCESS_TOKEN}")
    found = leaks(tmp_path)
    assert f"{tmp_path / 'a.json'}: {API_KEY}" in found  # in base64
    assert f"{tmp_path / 'p.zip'}!evidence/x.json: {ACCESS_TOKEN}" in found
