"""Signed, verifiable run folders.

After a run, ``manifest.json`` lists the SHA-256 of every file of the run folder; with a signing key
(Ed25519, from the profile's ``[signing]``: a PEM file or an environment variable holding the PEM),
``signature.json`` holds the signature over the manifest, the public key and its fingerprint. The
certificate names the signer's fingerprint, the suite version, the catalogue digest and the evidence
digest. ``mimcheck verify`` recomputes everything and names the first file that differs.
The private key is never written into the run folder.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.runcontext import usage

MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
ALGORITHM = "ed25519"
# Files that are not covered by the manifest: the manifest and the signature themselves, and the
# reference's log (written by the embedded platform after the certificate, until it stops).
UNCOVERED = {MANIFEST, SIGNATURE, "reference.log"}


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            sha.update(block)
    return sha.hexdigest()


def run_files(folder: Path) -> dict[str, str]:
    """Every file of a run folder (relative POSIX path -> sha256), the uncovered ones left out."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel not in UNCOVERED:
            files[rel] = _sha256(path)
    return files


def fingerprint(public_raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(public_raw).hexdigest()


def catalogue_digest(requirements: list[dict[str, Any]]) -> str:
    """SHA-256 over the requirement declarations the run checked (id, clause, level, title, ...)."""
    keys = ("id", "mim", "spec", "clause", "level", "capability", "title")
    rows = sorted(({k: r.get(k) for k in keys} for r in requirements), key=lambda r: str(r["id"]))
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode("utf-8")).hexdigest()


def load_private_key(key_file: str | None, key_env: str | None) -> Any:
    """The Ed25519 private key named by the profile; a usage error says what is wrong."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if key_file:
        try:
            pem = Path(key_file).read_bytes()
        except OSError as exc:
            raise usage(f"signing.key_file {key_file}: {exc.strerror}") from None
        where = f"signing.key_file {key_file}"
    elif key_env:
        value = os.environ.get(key_env)
        if not value:
            raise usage(f"signing.key_env: environment variable {key_env} is empty; export the PEM key there")
        pem, where = value.encode("utf-8"), f"environment variable {key_env}"
    else:
        raise usage("no signing key configured: add [signing] key_file or key_env to the profile")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise usage(f"{where}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise usage(f"{where}: an Ed25519 key is required (`mimcheck keygen` makes one)")
    return key


def public_raw(private_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def write_manifest(folder: Path) -> bytes:
    data = json.dumps({"algorithm": "sha256", "files": run_files(folder)}, indent=1, sort_keys=True)
    blob = data.encode("utf-8")
    (folder / MANIFEST).write_bytes(blob)
    return blob


def seal(folder: Path, private_key: Any | None) -> None:
    """Write the manifest of a finished run folder and, with a key, its signature."""
    (folder / SIGNATURE).unlink(missing_ok=True)
    manifest = write_manifest(folder)
    if private_key is None:
        return
    raw = public_raw(private_key)
    signature = {
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(raw).decode("ascii"),
        "fingerprint": fingerprint(raw),
        "signature": base64.b64encode(private_key.sign(manifest)).decode("ascii"),
    }
    (folder / SIGNATURE).write_text(json.dumps(signature, indent=1), encoding="utf-8")


@dataclass
class Verification:
    ok: bool
    signed: bool
    problems: list[str] = field(default_factory=list)
    fingerprint: str | None = None

    def summary(self) -> str:
        if not self.ok:
            return f"verify: FAILED: {self.problems[0]}"
        if self.signed:
            return f"verify: OK: every file matches the manifest and the signature holds (key {self.fingerprint})"
        return "verify: OK (digests only: the run is not signed, so who made it is not proven)"


def _read_public_key(path: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise usage(f"--key {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise usage(f"--key {path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise usage(f"--key {path}: an Ed25519 public key is expected")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify(folder: Path, public_key_file: str | None = None) -> Verification:
    """Recompute every digest of a run folder and check its signature."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from conformance import evidence

    expected_key = _read_public_key(public_key_file) if public_key_file else None
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return Verification(False, False, [f"{manifest_path} is missing: the run was not sealed"])
    manifest_blob = manifest_path.read_bytes()
    try:
        listed: dict[str, str] = json.loads(manifest_blob)["files"]
    except (ValueError, KeyError, TypeError):
        return Verification(False, False, [f"{manifest_path} is not a manifest"])
    result = Verification(True, False)
    present = run_files(folder)
    for name in sorted(set(listed) | set(present)):
        if name not in present:
            result.problems.append(f"{name}: listed in the manifest but missing")
        elif name not in listed:
            result.problems.append(f"{name}: not listed in the manifest (added after the run)")
        elif present[name] != listed[name]:
            result.problems.append(f"{name}: its content differs from the manifest")
    cert_path = folder / "certificate.json"
    if cert_path.is_file() and "certificate.json" not in [p.split(":")[0] for p in result.problems]:
        try:
            cert = json.loads(cert_path.read_text(encoding="utf-8"))
            if cert["evidence_digest"]["value"] != evidence.digest(folder):
                result.problems.append("certificate.json: its evidence digest does not match evidence/")
            signer = cert.get("signer") or {}
        except (ValueError, KeyError, TypeError):
            result.problems.append("certificate.json: not a certificate")
            signer = {}
    else:
        signer = {}
    signature_path = folder / SIGNATURE
    if signature_path.is_file():
        result.signed = True
        try:
            sig = json.loads(signature_path.read_text(encoding="utf-8"))
            raw = base64.b64decode(sig["public_key"])
            Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(sig["signature"]), manifest_blob)
            result.fingerprint = fingerprint(raw)
        except InvalidSignature:
            result.problems.append(f"{SIGNATURE}: the signature does not match the manifest")
        except (ValueError, KeyError, TypeError):
            result.problems.append(f"{SIGNATURE}: not a signature this suite wrote")
        if result.fingerprint and signer.get("fingerprint") not in (None, result.fingerprint):
            result.problems.append("certificate.json: names another signer than the signature's key")
        if expected_key is not None and result.fingerprint != fingerprint(expected_key):
            result.problems.append(f"{SIGNATURE}: signed with another key ({result.fingerprint}) than --key")
    elif expected_key is not None:
        result.problems.append(
            f"{SIGNATURE} is missing: the run is not signed, but --key asks for a signature"
        )
    elif signer:
        result.problems.append(f"{SIGNATURE} is missing: the certificate names a signer")
    result.ok = not result.problems
    return result


def generate_keypair(folder: Path) -> tuple[Path, Path]:
    """A new Ed25519 key pair: private.pem (mode 600) and public.pem."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = folder / "private.pem"
    public = folder / "public.pem"
    if private.exists():
        raise usage(f"{private} exists; choose another --out folder")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


# -- commands: mimcheck verify, mimcheck keygen ------------------------------------------------


def cmd_verify(ns: argparse.Namespace) -> int:
    given = Path(ns.run)
    if given.is_file() and zipfile.is_zipfile(given):
        with tempfile.TemporaryDirectory(prefix="mimcheck-verify-") as tmp:
            folder = unpack(given, Path(tmp))
            result = verify(folder, ns.key)
    elif given.is_dir():
        result = verify(given, ns.key)
    else:
        raise usage(
            f"{given}: neither a run folder nor a package; give what `mimcheck run` or `mimcheck package` wrote"
        )
    print(result.summary())
    for problem in result.problems[1:]:
        print(f"  also: {problem}")
    return 0 if result.ok else 1


def cmd_keygen(ns: argparse.Namespace) -> int:
    private, public = generate_keypair(Path(ns.out))
    print(f"private key: {private} (keep it secret; name it in the profile's [signing] key_file)")
    print(f"public key:  {public} (publish it; `mimcheck verify RUN --key {public}`)")
    print(f"fingerprint: {fingerprint(public_raw(load_private_key(str(private), None)))}")
    return 0


def package(folder: Path, target: Path) -> Path:
    """One submission archive of a sealed run folder: every file the manifest covers, plus the
    manifest and the signature (the reference platform's log stays out)."""
    if not (folder / MANIFEST).is_file():
        raise usage(f"{folder}: no {MANIFEST}; package a run folder `mimcheck run` wrote")
    names = [*run_files(folder), MANIFEST] + ([SIGNATURE] if (folder / SIGNATURE).is_file() else [])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(folder / name, f"run/{name}")
    return target


def unpack(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.namelist():
            if member.startswith("/") or ".." in Path(member).parts or not member.startswith("run/"):
                raise usage(
                    f"{archive}: unexpected member {member!r}; not a package `mimcheck package` wrote"
                )
        zipped.extractall(into)
    return into / "run"


def cmd_package(ns: argparse.Namespace) -> int:
    folder = Path(ns.run)
    target = Path(ns.out) if ns.out else folder.with_suffix(".zip")
    package(folder, target)
    print(f"package: {target} (`mimcheck verify {target}` checks it)")
    return 0


def add_signing_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ver = sub.add_parser(
        "verify",
        help="recompute every digest of a run folder and check its signature; names the first file that differs",
    )
    ver.add_argument("run", help="the run folder, or a package `mimcheck package` wrote")
    ver.add_argument("--key", metavar="PUBLIC_PEM", help="require a signature by this Ed25519 public key")
    ver.set_defaults(func=cmd_verify)

    keygen = sub.add_parser("keygen", help="make an Ed25519 key pair to sign runs with")
    keygen.add_argument("--out", metavar="DIR", default=".", help="folder for private.pem and public.pem")
    keygen.set_defaults(func=cmd_keygen)

    pack = sub.add_parser(
        "package", help="one submission archive of a run folder, which `mimcheck verify` accepts"
    )
    pack.add_argument("run", help="the run folder")
    pack.add_argument(
        "--out", metavar="ZIP", help="the archive to write (default: the run folder's name + .zip)"
    )
    pack.set_defaults(func=cmd_package)
