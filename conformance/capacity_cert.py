"""`mimcheck capacity --into RUN_DIR`: write the capacity statement into a run's certificate.

The statement is the certificate member ``load`` that `mimcheck tender` reads (``throughput_rps``,
``p95_ms``; the other figures and the method are informative). The run folder is checked before the
search starts: it must verify as it is (a folder that does not is never re-sealed: that would launder
a change), be a certificate of the same product and version as the loaded target, and, when it is
signed, the signing key must be given (``--sign-key``, the key that signed it), because a changed
certificate.json breaks the signature: the run is re-signed with it. An unsigned run gets a fresh
manifest. certificate.html is rendered again, so that it shows the statement too. capacity.json and the chart are copied into ``load/`` of the run folder, so the package
carries the measurement behind the statement.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.records import Certificate
from conformance.runcontext import RunError, usage

LOAD_DIR = "load"


@dataclass
class Amendable:
    folder: Path
    certificate: dict[str, Any]
    key: Any  # the Ed25519 private key of a signed run, None for an unsigned one


def check_run_folder(folder: Path, sign_key: str | None, identity: dict[str, Any]) -> Amendable:
    """Everything that can go wrong with --into, found before the (long) search. Raises RunError."""
    from conformance.certificate_html import render_html
    from conformance.signing import SIGNATURE, fingerprint, load_private_key, public_raw, verify

    cert_path = folder / "certificate.json"
    if not cert_path.is_file():
        raise usage(f"--into {folder}: no certificate.json there; give the folder of a `mimcheck run`")
    try:
        certificate = json.loads(cert_path.read_text(encoding="utf-8"))
        signer = certificate.get("signer") or {}
        product = certificate["target"]
        render_html(Certificate.from_json(certificate))  # certificate.html is rendered again from it
    except (ValueError, KeyError, TypeError, AttributeError):
        raise usage(f"--into {folder}: certificate.json is not a certificate this suite wrote") from None
    result = verify(folder)
    if not result.ok:
        raise usage(f"--into {folder}: the run does not verify ({result.problems[0]}); it is not amended")
    for member in ("name", "version"):
        if product.get(member) != identity.get(member):
            raise usage(
                f"--into {folder}: the certificate is for {product.get('name')!r} {product.get('version')!r}, "
                f"the loaded target is {identity.get('name')!r} {identity.get('version')!r}"
            )
    key = None
    if (folder / SIGNATURE).is_file():
        if not sign_key:
            raise usage(
                f"--into {folder}: the run is signed and the capacity statement changes certificate.json, "
                "so it must be re-signed: pass --sign-key PEM (the key that signed it)"
            )
        key = load_private_key(sign_key, None)
        if signer.get("fingerprint") != fingerprint(public_raw(key)):
            raise usage(f"--into {folder}: --sign-key is not the key that signed this run")
    elif sign_key:
        raise usage(
            f"--into {folder}: the run is not signed; drop --sign-key (a signature is not added later)"
        )
    return Amendable(folder, certificate, key)


def write_statement(target: Amendable, statement: dict[str, Any], capacity_dir: Path) -> None:
    """Add ``load`` to certificate.json, render certificate.html again from it, copy the capacity
    files in, and seal (re-sign) the run. certificate.json keeps every member it had (written from
    its own JSON, not re-serialised from the record)."""
    from conformance.certificate_html import render_html
    from conformance.signing import seal

    folder = target.folder
    certificate = {**target.certificate, "load": statement}
    (folder / "certificate.json").write_text(json.dumps(certificate, indent=2), encoding="utf-8")
    (folder / "certificate.html").write_text(
        render_html(Certificate.from_json(certificate)), encoding="utf-8"
    )
    copies = folder / LOAD_DIR
    copies.mkdir(exist_ok=True)
    for name in ("capacity.json", "capacity-chart.svg"):
        if (capacity_dir / name).is_file():
            shutil.copyfile(capacity_dir / name, copies / name)
    try:
        seal(folder, target.key)
    except OSError as exc:
        raise RunError(f"--into {folder}: could not re-seal the run: {exc}") from None
