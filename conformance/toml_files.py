"""Reading the user's TOML files (campaigns, tenders): every error one line naming the file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from conformance.runcontext import usage


def bad_key(source: Path, where: str, expected: str) -> Exception:
    """The usage error for a key: ``FILE: KEY: what was expected``."""
    return usage(f"{source}: {where}: {expected}")


def read_toml(source: Path) -> dict[str, Any]:
    """The file's tables; a missing, unreadable or invalid file is a usage error."""
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise usage(f"{source}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise usage(f"{source}: not valid TOML ({exc})") from None


def table(source: Path, data: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    """The table ``name`` (empty when absent), refused when it is no table or holds an unknown key."""
    head = data.get(name, {})
    if not isinstance(head, dict):
        raise bad_key(source, name, "expected a table")
    unknown = sorted(set(head) - allowed)
    if unknown:
        raise bad_key(
            source, f"{name}.{unknown[0]}", f"unknown key; expected one of {', '.join(sorted(allowed))}"
        )
    return head
