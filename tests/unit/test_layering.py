"""Layering: the conformance suite and the embedded reference platform never import each other.

The suite talks to the reference only over HTTP (it starts it as a child process), and the reference is
written from the specifications only, so neither package may import the other. Every ``.py`` file of
both packages is parsed with ``ast``; an ``import``/``from ... import`` of the other package (also inside
functions or ``if TYPE_CHECKING:`` blocks) and ``importlib.import_module("...")``/``__import__("...")``
with a literal name are reported with file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (package whose files are checked, package they shall not import)
RULES = [("conformance", "reference"), ("reference", "conformance")]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _dynamic_import_name(node: ast.Call) -> str | None:
    """The literal module name of ``importlib.import_module("x")``, ``import_module("x")`` or
    ``__import__("x")``; None for any other call."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def forbidden_imports(source: str, forbidden: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, statement) of every import of package ``forbidden`` (or a module below it) in ``source``.

    Relative imports (``from . import x``) stay inside their own package and are never reported."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _within(alias.name, forbidden):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and _within(node.module, forbidden):
                names = ", ".join(alias.name for alias in node.names)
                found.append((node.lineno, f"from {node.module} import {names}"))
        elif isinstance(node, ast.Call):
            name = _dynamic_import_name(node)
            if name is not None and _within(name, forbidden):
                found.append((node.lineno, f"dynamic import of {name!r}"))
    return sorted(found)


def python_files(package_dir: Path) -> list[Path]:
    return sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def layering_violations(root: Path, package: str, forbidden: str) -> list[str]:
    """``path:line: statement`` for every import of ``forbidden`` in the files of ``root/package``."""
    violations: list[str] = []
    for path in python_files(root / package):
        source = path.read_text(encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        for line, statement in forbidden_imports(source, forbidden, filename=relative):
            violations.append(f"{relative}:{line}: {statement}")
    return violations


# ------------------------------------------------------------------------------ the rule


@pytest.mark.parametrize(("package", "forbidden"), RULES)
def test_package_does_not_import_the_other(package: str, forbidden: str) -> None:
    files = python_files(ROOT / package)
    assert len(files) >= 5, f"expected the {package}/ package under {ROOT}, found {len(files)} .py files"
    violations = layering_violations(ROOT, package, forbidden)
    assert not violations, f"{package}/ shall not import {forbidden}:\n" + "\n".join(violations)


# ------------------------------------------------------------------ the check itself works


BAD_SOURCE = '''\
"""A module that breaks the layering in every way the check knows."""
import json
import reference
import os, reference.ngsild.http as http
from reference import app
from reference.ngsild.model import ATTRIBUTE_TYPES, VALUE_MEMBERS


def later():
    import importlib

    from reference.app import create_app

    importlib.import_module("reference.storage")
    return __import__("reference")
'''


def test_check_finds_every_form_of_forbidden_import() -> None:
    assert forbidden_imports(BAD_SOURCE, "reference") == [
        (3, "import reference"),
        (4, "import reference.ngsild.http"),
        (5, "from reference import app"),
        (6, "from reference.ngsild.model import ATTRIBUTE_TYPES, VALUE_MEMBERS"),
        (12, "from reference.app import create_app"),
        (14, "dynamic import of 'reference.storage'"),
        (15, "dynamic import of 'reference'"),
    ]


def test_check_ignores_lookalikes_and_relative_imports() -> None:
    source = (
        "import references\n"
        "import referencelib.x\n"
        "from conformance import reference\n"
        "from . import reference\n"
        "from .reference import thing\n"
        "from ..reference.app import create_app\n"
        "import importlib\n"
        "importlib.import_module(name)\n"
        'cmd = ["python", "-m", "reference"]\n'
        "# import reference\n"
    )
    assert forbidden_imports(source, "reference") == []


def test_violations_name_file_and_line(tmp_path: Path) -> None:
    package = tmp_path / "conformance"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Clean."""\n', encoding="utf-8")
    bad = "import json\n\nfrom reference.app import create_app\n"
    (package / "sub" / "bad.py").write_text(bad, encoding="utf-8")
    assert layering_violations(tmp_path, "conformance", "reference") == [
        "conformance/sub/bad.py:3: from reference.app import create_app"
    ]
