"""HTTPS targets: the profile's [tls] (a private CA, a client certificate for mTLS, insecure) reaches the
recording client, a self-signed server is refused by default, and insecure is recorded in the identity.
Certificates are made here with the cryptography package; the server is Python's own, on loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance.outcomes import Inconclusive
from conformance.profiles import ProfileError, parse_profile
from conformance.recording import RecordingClient
from conformance.redaction import Redactor


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    subject: str, issuer: tuple[x509.Name, Any] | None, *, ca: bool = False, usage: Any = None
) -> tuple[x509.Certificate, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name, issuer_key = issuer if issuer else (_name(subject), key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def _write(folder: Path, name: str, cert: x509.Certificate, key: Any) -> tuple[str, str]:
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    folder = tmp_path_factory.mktemp("pki")
    ca_cert, ca_key = _issue("mimcheck test CA", None, ca=True)
    server = _issue("127.0.0.1", (ca_cert.subject, ca_key), usage=ExtendedKeyUsageOID.SERVER_AUTH)
    client = _issue("mimcheck client", (ca_cert.subject, ca_key), usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    return {
        "ca": _write(folder, "ca", ca_cert, ca_key),
        "server": _write(folder, "server", *server),
        "client": _write(folder, "client", *client),
    }


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _https(pki: dict[str, tuple[str, str]], *, require_client: bool) -> Iterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki["server"])
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki["ca"][0])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def https(pki: dict[str, tuple[str, str]]) -> Iterator[str]:
    yield from _https(pki, require_client=False)


@pytest.fixture
def mtls(pki: dict[str, tuple[str, str]]) -> Iterator[str]:
    yield from _https(pki, require_client=True)


def _profile(tmp_path: Path, tls: dict[str, Any]) -> Any:
    data = {"product": {"name": "p"}, "mim1": {"base_url": "https://127.0.0.1:1/ngsi-ld/v1"}, "tls": tls}
    return parse_profile(data, str(tmp_path / "p.toml"))


def _client(profile: Any) -> RecordingClient:
    return RecordingClient(redactor=Redactor(), timeout=3, verify=profile.tls.verify, cert=profile.tls.cert)


def test_an_unknown_ca_is_refused_by_default(https: str, tmp_path: Path) -> None:
    with pytest.raises(Inconclusive, match="SSLError"):
        _client(_profile(tmp_path, {})).get(https + "/")


def test_the_profiles_ca_bundle_is_trusted(
    https: str, pki: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    profile = _profile(tmp_path, {"ca_bundle": pki["ca"][0]})
    assert _client(profile).get(https + "/").status_code == 200
    assert profile.identity()["tls"] == {
        "ca_bundle": "ca.crt",
        "client_certificate": False,
        "insecure": False,
    }


def test_insecure_is_explicit_and_recorded(https: str, tmp_path: Path) -> None:
    profile = _profile(tmp_path, {"insecure": True})
    assert _client(profile).get(https + "/").status_code == 200
    assert profile.identity()["tls"]["insecure"] is True
    assert "tls" not in _profile(tmp_path, {}).identity()


def test_mtls_needs_the_client_certificate(
    mtls: str, pki: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    without = _profile(tmp_path, {"ca_bundle": pki["ca"][0]})
    with pytest.raises(Inconclusive):
        _client(without).get(mtls + "/")
    cert, key = pki["client"]
    with_cert = _profile(tmp_path, {"ca_bundle": pki["ca"][0], "client_cert": cert, "client_key": key})
    assert _client(with_cert).get(mtls + "/").status_code == 200
    assert with_cert.identity()["tls"]["client_certificate"] is True


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ({"ca_bundle": "missing.pem"}, "no such file"),
        ({"insecure": "yes"}, "true or false"),
        ({"client_key": "__CA__"}, "needs client_cert"),
        ({"insecure": True, "ca_bundle": "__CA__"}, "not both"),
        ({"verify": False}, "verify"),
    ],
)
def test_bad_tls_tables_are_one_line_errors(
    tls: dict[str, Any], message: str, pki: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    tls = {k: (pki["ca"][0] if v == "__CA__" else v) for k, v in tls.items()}
    with pytest.raises(ProfileError, match=message) as err:
        _profile(tmp_path, tls)
    assert "\n" not in str(err.value)
