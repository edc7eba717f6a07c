"""Redaction of secrets from everything a run writes: evidence, attachments, logs, reports."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

MASK = "***REDACTED***"

# Header names whose values are credentials whatever they hold.
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "apikey", "x-auth-token"}
)

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_TOKEN_FIELDS = re.compile(
    r'(?i)("(?:access_token|refresh_token|id_token|client_secret|password)"\s*:\s*")[^"]*(")'
)
_FORM_SECRETS = re.compile(r"(?i)\b(client_secret|password|access_token|refresh_token)=[^&\s\"']+")


class Redactor:
    """Masks configured secret values and anything that looks like a credential."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register a value that must never appear in any artefact (short values are refused)."""
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def text(self, value: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, MASK)
        value = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", value)
        value = _TOKEN_FIELDS.sub(lambda m: f"{m.group(1)}{MASK}{m.group(2)}", value)
        value = _FORM_SECRETS.sub(lambda m: f"{m.group(1)}={MASK}", value)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: (MASK if name.lower() in SECRET_HEADERS else self.text(str(value)))
            for name, value in headers.items()
        }

    def scrub_tree(self, root: Path) -> int:
        """Last line of defence: rewrite every text file under root without the secrets.

        Returns how many files were changed.
        """
        if not self._secrets:
            return 0
        changed = 0
        for path in root.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                content = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            cleaned = content
            for secret in self._secrets:
                cleaned = cleaned.replace(secret, MASK)
            if cleaned != content:
                path.write_text(cleaned, encoding="utf-8")
                changed += 1
        return changed
