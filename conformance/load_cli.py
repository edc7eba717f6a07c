"""`mimcheck load`, the command line: options, the built-in load profiles, and ``cmd_load``, which
resolves the target exactly like ``mimcheck run`` and hands one run to ``load_run.measure``."""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

from conformance import package_data
from conformance.load_run import REMOTE_WORKERS_WAIT_SECONDS, RunSpec, measure, profile_mim
from conformance.load_stats import (
    EXIT_USAGE,
    MAX_DURATION_SECONDS,
    Thresholds,
    parse_duration,
    print_summary,
)
from conformance.load_target import prepare
from conformance.load_worker import DEFAULT_MASTER_PORT
from conformance.profiles import ProfileError

LOAD_PROFILES_PACKAGE = "conformance.loadprofiles"  # the built-in locustfiles, shipped as package data
MAX_WORKERS = 16


def _err(message: str, command: str = "load") -> None:
    print(f"mimcheck {command}: {message}", file=sys.stderr, flush=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 1000, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0 or math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number > 0, got 0")
    return value


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def load_profiles_dir() -> Path:
    """The folder of the built-in load profiles (conformance/loadprofiles), wherever the suite is installed."""
    return package_data.path(package=LOAD_PROFILES_PACKAGE)


def available_profiles() -> list[str]:
    folder = load_profiles_dir()
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def resolve_load_profile(name: str) -> Path:
    """A locustfile path: ``name`` itself if it is a file, else the built-in profile ``<name>``."""
    direct = Path(name)
    if direct.suffix == ".py" and direct.is_file():
        return direct.resolve()
    if name in available_profiles():
        return (load_profiles_dir() / f"{name}.py").resolve()
    known = ", ".join(available_profiles()) or "none found"
    raise ProfileError(
        "--profile",
        name,
        f"no such load profile; pass a locustfile path or one of the built-in ones: {known}",
    )


PROFILE_OPTION = re.compile(r"""profile_option\(\s*["']([a-z_][a-z0-9_]*)["']""")


def known_options(locustfile: Path) -> set[str]:
    """The knobs a locustfile reads (its ``profile_option("name", ...)`` calls), found in its text."""
    try:
        return set(PROFILE_OPTION.findall(locustfile.read_text(encoding="utf-8")))
    except OSError:
        return set()


def _profile_options(pairs: list[str] | None, locustfile: Path | None = None) -> dict[str, float]:
    """``--option NAME=VALUE`` pairs (numbers) for the load profile; a name it does not read is refused."""
    known = known_options(locustfile) if locustfile is not None else None
    options = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name.strip()):
            raise ValueError(f"--option {pair!r}: expected NAME=NUMBER, e.g. seed_entities=200")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"--option {pair!r}: {value!r} is not a number") from None
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"--option {pair!r}: expected a number >= 0")
        if known is not None and name.strip() not in known:
            offered = ", ".join(sorted(known)) or "none"
            raise ValueError(
                f"--option {name.strip()}: the profile {locustfile.stem if locustfile else ''} "
                f"has no such option (it has: {offered})"
            )
        options[name.strip()] = number
    return options


def cmd_load(ns: argparse.Namespace) -> int:
    """Resolve the target exactly like `mimcheck run` (the shared run context), then load it."""
    from conformance.runcontext import check_profile, make_run_folder, resolve_target

    try:
        locustfile = resolve_load_profile(ns.profile)
        options = _profile_options(ns.option, locustfile)
    except (ProfileError, ValueError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    problem = _distributed_usage(ns)
    if problem:
        _err(problem)
        return EXIT_USAGE
    if ns.worker:
        from conformance.load_worker import run_worker

        return run_worker(ns, locustfile, options)
    workers = ns.expect_workers if ns.master else ns.workers
    if workers > ns.users:
        flag = "--expect-workers" if ns.master else "--workers"
        _err(f"{flag} {workers} is more than --users {ns.users}: some workers would run no user")
        return EXIT_USAGE
    out = make_run_folder(ns.out, suffix="-load", latest="latest-load").resolve()
    with resolve_target(target=ns.target, target_url=ns.target_url, folder=out) as target:
        check_profile(target.profile)
        prepared = prepare(target.profile, target.label, profile_mim(locustfile))
        if isinstance(prepared, int):
            return prepared
        spec = RunSpec(
            locustfile,
            ns.users,
            ns.spawn_rate,
            ns.duration,
            Thresholds(ns.max_failure_ratio, ns.max_p95_ms),
            ns.progress_seconds,
            workers,
            options,
            remote_workers=ns.master,
            master_bind_host=ns.master_bind_host if ns.master else "127.0.0.1",
            master_port=ns.master_port if ns.master else 0,
        )
        mode = f", {workers} workers" if workers else ""
        if ns.master:
            mode += (
                f" started elsewhere: waiting for them on {ns.master_bind_host}:{ns.master_port} "
                f"(mimcheck load --worker --profile {ns.profile} --master-host <this machine> "
                f"--master-port {ns.master_port})"
            )
        print(
            f"mimcheck load: {locustfile.stem} against {target.label} ({prepared.base}): {ns.users} users, "
            f"spawn {ns.spawn_rate:g}/s, {ns.duration} s{mode}, into {out}",
            flush=True,
        )
        report, code = measure(prepared, spec, out)
        if report is None:
            return code
        return print_summary(report, out / "load-stats.json")


def _distributed_usage(ns: argparse.Namespace) -> str | None:
    """What is wrong with the distributed-mode options, if anything."""
    if ns.master and ns.worker:
        return "--master and --worker exclude each other"
    if (ns.master or ns.worker) and ns.workers:
        return "--workers starts workers on this machine; with --master or --worker leave it out"
    if ns.worker and not ns.master_host:
        return "--worker needs --master-host HOST (the machine running mimcheck load --master)"
    if ns.master_host and not ns.worker:
        return "--master-host is for --worker"
    if ns.expect_workers is not None and not ns.master:
        return "--expect-workers is for --master"
    if ns.master_bind_host is not None and not ns.master:
        return "--master-bind-host is for --master"
    if ns.master and ns.master_bind_host is None:
        ns.master_bind_host = "*"
    if ns.master and ns.expect_workers is None:
        ns.expect_workers = 1
    if ns.master_port is None:
        ns.master_port = DEFAULT_MASTER_PORT
    return None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def _expected_workers(text: str) -> int:
    value = _workers(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected at least 1 worker")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to {MAX_WORKERS}, got {value}")
    return value


def add_common_options(cmd: argparse.ArgumentParser) -> None:
    """Target, profile and thresholds: the options `load` and `capacity` share."""
    target = cmd.add_mutually_exclusive_group()
    target.add_argument("--target", metavar="PROFILE", help="target profile TOML (see profiles/targets/)")
    target.add_argument("--target-url", metavar="URL", help="NGSI-LD base URL of the target, with defaults")
    cmd.add_argument(
        "--profile",
        default="ngsi_ld_entities",
        metavar="NAME",
        help="load profile: a built-in one (" + ", ".join(available_profiles()) + ") or a locustfile path "
        "(default ngsi_ld_entities)",
    )
    cmd.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="a numeric knob of the load profile, e.g. seed_entities=200 (see docs/load.md); repeatable",
    )
    cmd.add_argument(
        "--spawn-rate",
        type=_positive_float,
        default=5.0,
        metavar="R",
        help="users started per second (default 5)",
    )
    cmd.add_argument(
        "--max-failure-ratio",
        type=_non_negative_float,
        default=Thresholds.max_failure_ratio,
        metavar="X",
        help="highest acceptable share of failed requests, 0..1 (default 0.01)",
    )
    cmd.add_argument(
        "--progress-seconds",
        type=_non_negative_float,
        default=5.0,
        metavar="S",
        help="seconds between progress lines, 0 for none (default 5)",
    )


def add_load_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    load = sub.add_parser(
        "load",
        help="run a Locust load profile against a target (default: the embedded reference platform)",
        description="Run a bounded Locust load profile headless and judge the failure ratio and p95 "
        "response time. Exit 0 within thresholds, 1 a threshold broken, 2 bad usage, 3 target "
        "unreachable, Locust could not run, or a worker dropped out (verdict withheld).",
    )
    add_common_options(load)
    load.add_argument(
        "--users", type=_positive_int, default=10, metavar="N", help="concurrent users (default 10)"
    )
    load.add_argument(
        "--duration",
        type=_duration,
        default=20,
        metavar="T",
        help=f"run time, e.g. 20s, 2m (default 20s, at most {MAX_DURATION_SECONDS // 60}m)",
    )
    load.add_argument(
        "--max-p95-ms",
        type=_positive_float,
        default=Thresholds.max_p95_ms,
        metavar="MS",
        help="highest acceptable 95th percentile response time over all requests (default 500)",
    )
    load.add_argument(
        "--workers",
        type=_workers,
        default=0,
        metavar="N",
        help="Locust's distributed mode on this machine: a master and N worker processes (default 0: one process)",
    )
    spread = load.add_argument_group(
        "across machines (Locust's distributed mode)",
        "one `mimcheck load --master` judges the run on the merged statistics of the "
        "`mimcheck load --worker` processes that connect to it",
    )
    spread.add_argument(
        "--master",
        action="store_true",
        help="be the master of a distributed run: no users here, workers connect from elsewhere",
    )
    spread.add_argument(
        "--expect-workers",
        type=_expected_workers,
        metavar="N",
        help=f"with --master: start when N workers have connected (default 1; they have "
        f"{REMOTE_WORKERS_WAIT_SECONDS} s)",
    )
    spread.add_argument(
        "--master-bind-host",
        metavar="H",
        help="with --master: the interface to listen on (default *: all)",
    )
    spread.add_argument(
        "--worker",
        action="store_true",
        help="be a worker of the master at --master-host; the master's target, users, duration and "
        "thresholds apply (give the same --profile and --option; --target for headers and credentials)",
    )
    spread.add_argument("--master-host", metavar="H", help="with --worker: the machine of the master")
    spread.add_argument(
        "--master-port",
        type=_port,
        metavar="P",
        help=f"the master's port (default {DEFAULT_MASTER_PORT})",
    )
    load.add_argument(
        "--out", metavar="DIR", help="run folder (default reports/<timestamp>-load, reports/latest-load)"
    )
    load.set_defaults(func=cmd_load)
