"""One run context for every command (`run`, `load`, `report`, ...), independent of pytest.

It resolves the target (a profile file, a URL, or the embedded reference platform), writes the
canonical profile into the run folder, makes the run folder and the ``latest`` pointer, checks
everything that can be checked before the first case (exit 2 with one line), and words every error
the same way: one line that says what to do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conformance.profiles import MIMS, ProfileError, TargetProfile, from_url, load_profile
from conformance.verdicts import EXIT_INCONCLUSIVE, EXIT_USAGE

NGSILD_API_PATH = "/ngsi-ld/v1"


class RunError(Exception):
    """Something stops the run before it starts; ``exit_code`` says how it ends (2 usage, 3 target)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def usage(message: str) -> RunError:
    return RunError(message, EXIT_USAGE)


def unavailable(message: str) -> RunError:
    return RunError(message, EXIT_INCONCLUSIVE)


def normalise_target_url(url: str) -> tuple[str, str | None]:
    """The NGSI-LD root of a `--target-url`, and a remark when an API path was stripped from it."""
    stripped = url.rstrip("/")
    for suffix in (NGSILD_API_PATH, NGSILD_API_PATH + "/entities"):
        if stripped.endswith(suffix):
            root = stripped[: -len(suffix)]
            return root, f"--target-url: using {root} as the NGSI-LD root (the suite adds {NGSILD_API_PATH})"
    return stripped, None


@dataclass
class Target:
    """A resolved target: its profile and the canonical profile file the run uses."""

    profile: TargetProfile
    profile_path: Path
    label: str  # how the user named it: a profile path, --target-url, or the embedded reference


def _canonical_url_profile(profile: TargetProfile) -> str:
    base = profile.base_urls["mim1"]
    return f'[product]\nname = "{profile.name}"\n\n[mim1]\nbase_url = "{base}"\n'


def default_out(root: Path | None = None, suffix: str = "") -> Path:
    return (root or Path("reports")) / (time.strftime("%Y%m%d-%H%M%S", time.localtime()) + suffix)


def make_run_folder(out: str | None, *, suffix: str = "", latest: str = "latest") -> Path:
    """The run folder: the one given, or reports/<timestamp><suffix> with reports/<latest> pointing
    at it."""
    folder = Path(out) if out else default_out(suffix=suffix)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise usage(f"cannot create the run folder {folder}: {exc.strerror}; pass --out DIR") from None
    if not out:
        point_latest(folder, latest)
    return folder


def existing_run_folder(path: str) -> Path:
    """A run folder an earlier `mimcheck run` wrote (for `report` and the commands that read runs)."""
    folder = Path(path)
    if not folder.is_dir():
        raise usage(f"no run folder {folder}; pass --run DIR or run `mimcheck run` first")
    if not (folder / "allure-results").is_dir() and not (folder / "certificate.json").is_file():
        raise usage(f"{folder} is not a run folder (no certificate.json, no allure-results/); pass --run DIR")
    return folder


def point_latest(folder: Path, name: str = "latest") -> None:
    latest = folder.parent / name
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(folder.resolve(), target_is_directory=True)
    except OSError:
        pass


def check_environment() -> None:
    """The suite's own inputs: a fixtures folder named by MIMCHECK_FIXTURES must be readable."""
    folder = os.environ.get("MIMCHECK_FIXTURES")
    if folder and not (Path(folder).is_dir() and os.access(folder, os.R_OK)):
        raise usage(
            f"MIMCHECK_FIXTURES={folder} is not a readable folder; unset it to use the bundled fixtures"
        )


def check_profile(profile: TargetProfile, mims: list[str] | None = None, *, explicit: bool = False) -> None:
    """What can be checked before the first case: credentials present, chosen MIMs served (every
    one of them when the MIMs were chosen explicitly with --mim)."""
    auth = profile.auth
    for var, what in (
        (auth.token_env, "the bearer token"),
        (auth.client_secret_env, "the OAuth2 client secret"),
    ):
        if var and not os.environ.get(var):
            raise usage(
                f"{profile.source}: auth.type is '{auth.type}' but environment variable {var} is empty; "
                f"export {what} there"
            )
    if mims:
        served = [m for m in mims if profile.base_url(m)]
        missing = [m for m in mims if m not in served]
        if explicit and missing and profile.source == "--target-url":
            raise usage(
                f"--mim {','.join(mims)}: --target-url describes an NGSI-LD broker (mim1, mim2) only; "
                f"describe {missing[0]} in a target profile and pass it with --target"
            )
        if explicit and missing:
            raise usage(
                f"{profile.source}: --mim {','.join(mims)} names {missing[0]}, which has no base_url; "
                f"add [{missing[0]}] base_url = ... to the profile or leave {missing[0]} out of --mim"
            )
        if not served:
            raise usage(
                f"{profile.source}: none of {', '.join(mims)} has a base_url; add one "
                f"([{mims[0]}] base_url = ...) or choose other MIMs with --mim"
            )


@contextmanager
def resolve_target(
    *, target: str | None, target_url: str | None, folder: Path, say=print
) -> Iterator[Target]:
    """The target of a command, for the duration of the command: a profile file, a URL with
    defaults, or the embedded reference platform (started here, stopped on leaving)."""
    canonical = folder / "target-profile.toml"
    if target:
        try:
            profile = load_profile(target)
        except ProfileError as exc:
            raise usage(str(exc)) from None
        canonical.write_text(Path(target).read_text(encoding="utf-8"), encoding="utf-8")
        yield Target(profile, Path(target), target)
        return
    if target_url:
        root, remark = normalise_target_url(target_url)
        if remark:
            say(f"mimcheck: {remark}")
        try:
            profile = from_url(root)
        except ProfileError as exc:
            raise usage(str(exc)) from None
        canonical.write_text(_canonical_url_profile(profile), encoding="utf-8")
        yield Target(profile, canonical, "--target-url")
        return

    from conformance.embedded import EmbeddedReference, EmbeddedStartError

    try:
        with EmbeddedReference(log=folder / "reference.log") as ref:
            canonical.write_text(ref.profile_toml(), encoding="utf-8")
            try:
                profile = load_profile(canonical)
            except ProfileError as exc:
                raise unavailable(f"the embedded reference platform's profile is invalid: {exc}") from None
            say(f"mimcheck: embedded reference platform started on {ref.base_url}")
            yield Target(profile, canonical, "the embedded reference platform")
    except EmbeddedStartError as exc:
        raise unavailable(
            f"{exc}; start it by hand with `mimcheck serve` to see why, or pass --target/--target-url"
        ) from None


def parse_mims(value: str) -> list[str]:
    mims = [m.strip().lower() for m in value.split(",") if m.strip()]
    bad = [m for m in mims if m not in MIMS]
    if bad or not mims:
        raise usage(f"--mim: expected a comma-separated subset of {','.join(MIMS)}, got {value!r}")
    return mims
