"""The suite's package data (conformance/data, conformance/loadprofiles), found through
importlib.resources so that it is the same in an editable checkout and in an installed wheel."""

from __future__ import annotations

import atexit
import contextlib
from functools import cache
from importlib import resources
from pathlib import Path


def path(*parts: str, package: str = "conformance") -> Path:
    """A file or folder of ``package`` as a file system path, e.g. ``path("data", "sdm")``.

    Installed and editable packages give a real path; a zipped one is extracted once, for the life
    of the process."""
    return _as_path(package, parts)


@cache
def _as_path(package: str, parts: tuple[str, ...]) -> Path:
    resource = resources.files(package).joinpath(*parts)
    if isinstance(resource, Path):
        return resource
    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    return Path(stack.enter_context(resources.as_file(resource)))
