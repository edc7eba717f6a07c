"""Admitting a submitted run: verify a package (or a sealed run folder) and read its certificate.

Shared by `mimcheck matrix` and `mimcheck tender`: only a run that `mimcheck verify` accepts is
admitted; any other is kept as rejected, with the reason, so that a report never silently drops it.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.records import Certificate
from conformance.runcontext import RunError

_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    """A file-system safe name for a product (its folder in a matrix)."""
    return _SLUG.sub("-", text).strip("-.")[:60] or "product"


@dataclass
class Admitted:
    """One submitted run: admitted (``cert`` set) or rejected (``reason`` set)."""

    source: str  # the package or folder as given
    cert: Certificate | None = None
    raw: dict[str, Any] | None = None  # the certificate JSON as written (members the record may not know)
    reason: str | None = None
    signed: bool = False
    fingerprint: str | None = None
    folder: Path | None = None  # where the verified run lies (unpacked), while it is kept

    @property
    def ok(self) -> bool:
        return self.cert is not None and self.reason is None

    @property
    def product(self) -> str:
        return str(self.cert.target.get("name", "")) if self.cert else ""


def rejected(source: str, reason: str) -> Admitted:
    return Admitted(source=source, reason=reason)


def admit(path: str, keep_in: Path | None = None, public_key: str | None = None) -> Admitted:
    """Verify a package or run folder; with ``keep_in`` the verified run is copied (unpacked) there."""
    from conformance.signing import unpack, verify

    given = Path(path)
    with tempfile.TemporaryDirectory(prefix="mimcheck-admit-") as tmp:
        if given.is_file() and zipfile.is_zipfile(given):
            try:
                folder = unpack(given, Path(tmp))
            except RunError as exc:
                return rejected(path, str(exc))
            except (OSError, zipfile.BadZipFile) as exc:
                return rejected(path, f"the package cannot be read: {exc}")
        elif given.is_dir():
            folder = given
        elif given.exists():
            return rejected(path, "neither a package `mimcheck package` wrote nor a run folder")
        else:
            return rejected(path, "no such file or folder")
        try:
            result = verify(folder, public_key)
        except RunError as exc:
            return rejected(path, str(exc))
        if not result.ok:
            return rejected(path, f"verification failed: {result.problems[0]}")
        cert_path = folder / "certificate.json"
        if not cert_path.is_file():
            return rejected(path, "verification passed but the run holds no certificate.json")
        try:
            raw = json.loads(cert_path.read_text(encoding="utf-8"))
            cert = Certificate.from_json(raw)
        except (ValueError, KeyError, TypeError) as exc:
            return rejected(path, f"certificate.json is not a certificate this suite wrote ({exc})")
        kept = None
        if keep_in is not None:
            if keep_in.exists():
                shutil.rmtree(keep_in)
            shutil.copytree(folder, keep_in)
            kept = keep_in
        return Admitted(
            source=path,
            cert=cert,
            raw=raw,
            signed=result.signed,
            fingerprint=result.fingerprint,
            folder=kept,
        )
