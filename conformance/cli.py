"""The `mimcheck` command: certify a target, list the requirement catalogue, serve the reference."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance import SUITE_NAME, __version__
from conformance.profiles import MIMS, ProfileError, TargetProfile, from_url, load_profile
from conformance.requirements import RequirementError, build_catalogue
from conformance.run_ids import new_run_id

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
PACKAGE_DIR = Path(__file__).resolve().parent


def _err(message: str) -> None:
    print(f"mimcheck: {message}", file=sys.stderr, flush=True)


def scenario_paths(mims: list[str]) -> list[str]:
    return [str(PACKAGE_DIR / mim) for mim in mims]


def pytest_base_args() -> list[str]:
    return ["-c", str(PACKAGE_DIR / "data" / "pytest.ini"), "--rootdir", str(PACKAGE_DIR.parent)]


def _parse_mims(value: str) -> list[str]:
    mims = [m.strip().lower() for m in value.split(",") if m.strip()]
    bad = [m for m in mims if m not in MIMS]
    if bad or not mims:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {','.join(MIMS)}, got {value!r}"
        )
    return mims


# ------------------------------------------------------------------------------------------- run


def _default_out() -> Path:
    return Path("reports") / time.strftime("%Y%m%d-%H%M%S", time.localtime())


def _point_latest(out: Path) -> None:
    latest = out.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(out.resolve(), target_is_directory=True)
    except OSError:
        pass


def _preflight(profile: TargetProfile, mims: list[str]) -> str | None:
    """One line naming what is unreachable, or None. Any HTTP answer counts as reachable."""
    for mim in mims:
        url = profile.base_url(mim)
        if url is None:
            continue
        try:
            requests.get(url, timeout=min(profile.timeout_seconds, 10))
        except requests.RequestException as exc:
            reason = type(exc).__name__
            return f"target unreachable: {url} ({mim}): {reason}"
    return None


def _summary(cert: dict[str, Any], out: Path) -> int:
    print(f"\nmimcheck: {cert['target']['name']} - {cert['cases']} test cases")
    for mim, m in cert["mims"].items():
        print(
            f"  {mim.upper()}  {m['verdict']:<14} {m['pass']} pass, {m['fail']} fail, "
            f"{m['not_applicable']} not applicable, {m['inconclusive']} inconclusive"
        )
    failed = [r for r in cert["requirements"] if r["verdict"] == "FAIL"]
    inconclusive = [r for r in cert["requirements"] if r["verdict"] == "INCONCLUSIVE"]
    for r in failed:
        print(f"  FAIL {r['id']} ({r['spec']} clause {r['clause']}): {r['title']}")
        for reason in r.get("reasons", [])[:3]:
            print(f"       {reason[:300]}")
    for r in inconclusive[:20]:
        print(f"  INCONCLUSIVE {r['id']}: {(r.get('reasons') or [''])[0][:300]}")
    print(f"  certificate: {out / 'certificate.html'}")
    if failed:
        print(f"Verdict: NOT CONFORMANT ({len(failed)} requirement(s) failed)")
        return EXIT_FAIL
    if inconclusive or cert["verdict"] == "INCONCLUSIVE":
        print(f"Verdict: INCONCLUSIVE ({len(inconclusive)} requirement(s) could not be checked)")
        return EXIT_INCONCLUSIVE
    print("Verdict: CONFORMANT")
    return EXIT_OK


def run_suite(
    profile_path: Path,
    profile: TargetProfile,
    mims: list[str],
    out: Path,
    *,
    workers: int = 0,
    keyword: str | None = None,
    only: list[str] | None = None,
    extra: list[str] | None = None,
) -> int:
    problem = _preflight(profile, mims)
    if problem:
        _err(problem)
        return EXIT_INCONCLUSIVE
    targets = [str(PACKAGE_DIR.parent / node) for node in only] if only else scenario_paths(mims)
    args = [
        *targets,
        *pytest_base_args(),
        "--mim-profile",
        str(profile_path),
        "--mim-out",
        str(out),
        "--mim-run-id",
        new_run_id(),
        "--mim-progress",
        "--alluredir",
        str(out / "allure-results"),
        "--clean-alluredir",
        "--junitxml",
        str(out / "junit.xml"),
        "-q",
        "--no-header",
        "--tb=no",
        "-rN",
        "-p",
        "no:warnings",
    ]
    if workers > 0:
        args += ["-n", str(workers)]
    if keyword:
        args += ["-k", keyword]
    args += extra or []
    print(f"mimcheck: certifying {profile.name} ({', '.join(mims)}) into {out}", flush=True)
    code = pytest.main(args)
    cert_path = out / "certificate.json"
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_USAGE
    if not cert_path.is_file():
        _err(f"the run ended without a certificate (pytest exit {int(code)})")
        return EXIT_INCONCLUSIVE
    cert = json.loads(cert_path.read_text(encoding="utf-8"))
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR) and cert["verdict"] != "FAIL":
        _err(f"the run was interrupted (pytest exit {int(code)}); the certificate is incomplete")
        _summary(cert, out)
        return EXIT_INCONCLUSIVE
    return _summary(cert, out)


def _only(ns: argparse.Namespace) -> list[str] | None:
    """Node ids given with --only / --only-file ([] when none); None after a usage error."""
    nodes = list(ns.only or [])
    if ns.only_file:
        try:
            text = Path(ns.only_file).read_text(encoding="utf-8")
        except OSError as exc:
            _err(f"--only-file {ns.only_file}: {exc.strerror}")
            return None
        nodes += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for node in nodes:
        if not node.startswith("conformance/") or "::" not in node:
            _err(f"--only {node!r}: expected a node id as `mimcheck requirements --format json` lists it")
            return None
    return nodes


def cmd_run(ns: argparse.Namespace) -> int:
    out = Path(ns.out) if ns.out else _default_out()
    out.mkdir(parents=True, exist_ok=True)
    if not ns.out:
        _point_latest(out)
    mims: list[str] = ns.mim
    extra = list(ns.pytest_args or [])
    only = _only(ns)
    if only is None:
        return EXIT_USAGE
    if ns.target:
        try:
            profile = load_profile(ns.target)
        except ProfileError as exc:
            _err(str(exc))
            return EXIT_USAGE
        return run_suite(
            Path(ns.target), profile, mims, out, workers=ns.workers, keyword=ns.k, only=only, extra=extra
        )
    if ns.target_url:
        try:
            profile = from_url(ns.target_url)
        except ProfileError as exc:
            _err(str(exc))
            return EXIT_USAGE
        path = out / "target-profile.toml"
        path.write_text(
            f'[product]\nname = "{profile.name}"\n\n[mim1]\nbase_url = "{profile.base_urls["mim1"]}"\n',
            encoding="utf-8",
        )
        return run_suite(path, profile, mims, out, workers=ns.workers, keyword=ns.k, only=only, extra=extra)

    from conformance.embedded import EmbeddedReference, EmbeddedStartError

    try:
        with EmbeddedReference(log=out / "reference.log") as ref:
            path = out / "target-profile.toml"
            path.write_text(ref.profile_toml(), encoding="utf-8")
            profile = load_profile(path)
            print(f"mimcheck: embedded reference platform started on {ref.base_url}", flush=True)
            return run_suite(
                path, profile, mims, out, workers=ns.workers, keyword=ns.k, only=only, extra=extra
            )
    except EmbeddedStartError as exc:
        _err(str(exc))
        return EXIT_INCONCLUSIVE


# ---------------------------------------------------------------------------------- requirements


class _Collector:
    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items = list(items)


def collect_catalogue(mims: list[str]) -> list[dict[str, Any]]:
    collector = _Collector()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = pytest.main(
            [*scenario_paths(mims), *pytest_base_args(), "--collect-only", "-q", "-p", "no:warnings"],
            plugins=[collector],
        )
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RequirementError(
            f"collecting the scenarios failed (pytest exit {int(code)}):\n{buffer.getvalue()}"
        )
    keys = ("id", "mim", "spec", "clause", "level", "capability", "title", "tests")
    return [{k: e.as_json()[k] for k in keys} for e in build_catalogue(collector.items)]


def _markdown(catalogue: list[dict[str, Any]]) -> str:
    lines = [
        "# Requirement catalogue",
        "",
        f"Generated by `mimcheck requirements --format markdown` ({SUITE_NAME} {__version__}) from the",
        "declarations in the scenarios; do not edit by hand.",
        "",
        "| Id | MIM | Spec | Clause | Level | Capability | Title | Cases |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in catalogue:
        lines.append(
            f"| {r['id']} | {r['mim']} | {r['spec']} | {r['clause']} | {r['level']} | "
            f"{r['capability'] or ''} | {r['title']} | {len(r['tests'])} |"
        )
    clauses = {(r["spec"], r["clause"]) for r in catalogue}
    lines += [
        "",
        f"{len(catalogue)} requirements, {len(clauses)} distinct clauses, "
        f"{sum(len(r['tests']) for r in catalogue)} test cases.",
        "",
    ]
    return "\n".join(lines)


def cmd_requirements(ns: argparse.Namespace) -> int:
    try:
        catalogue = collect_catalogue(ns.mim)
    except RequirementError as exc:
        _err(str(exc))
        return EXIT_USAGE
    if ns.format == "json":
        print(json.dumps(catalogue, indent=2))
    elif ns.format == "markdown":
        print(_markdown(catalogue))
    else:
        for r in catalogue:
            print(
                f"{r['id']:<14} {r['level']:<6} {r['spec']} {r['clause']:<10} {r['title']} ({len(r['tests'])})"
            )
    return EXIT_OK


# ---------------------------------------------------------------------------------------- serve


def cmd_serve(ns: argparse.Namespace) -> int:
    args = [sys.executable, "-m", "reference", "--host", ns.host, "--port", str(ns.port)]
    if ns.db:
        args += ["--db", ns.db]
    try:
        return subprocess.call(args)
    except KeyboardInterrupt:
        return EXIT_OK


# ----------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimcheck", description="Conformance and certification suite for the OASC MIMs (MIM1-MIM3)."
    )
    parser.add_argument("--version", action="version", version=f"{SUITE_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="certify a target (default: the embedded reference platform)")
    target = run.add_mutually_exclusive_group()
    target.add_argument("--target", metavar="PROFILE", help="target profile TOML (see profiles/targets/)")
    target.add_argument("--target-url", metavar="URL", help="NGSI-LD base URL of the target, with defaults")
    run.add_argument("--mim", type=_parse_mims, default=list(MIMS), help="MIMs to certify, e.g. mim1,mim3")
    run.add_argument("--out", metavar="DIR", help="run folder (default reports/<timestamp>, reports/latest)")
    run.add_argument("--workers", type=int, default=0, metavar="N", help="parallel workers (pytest-xdist)")
    run.add_argument("-k", metavar="EXPR", help="only scenarios matching this pytest -k expression")
    run.add_argument("--only", action="append", metavar="NODEID", help="only this test case (repeatable)")
    run.add_argument(
        "--only-file", metavar="FILE", help="only the test cases listed in FILE, one node id a line"
    )
    run.add_argument("pytest_args", nargs="*", help="further pytest arguments, after --")
    run.set_defaults(func=cmd_run)

    req = sub.add_parser("requirements", help="print the requirement catalogue generated from the scenarios")
    req.add_argument("--format", choices=("json", "markdown", "text"), default="text")
    req.add_argument("--mim", type=_parse_mims, default=list(MIMS))
    req.set_defaults(func=cmd_requirements)

    serve = sub.add_parser("serve", help="run the embedded reference platform")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=1026)
    serve.add_argument("--db", metavar="PATH", help="SQLite database file (default: in memory)")
    serve.set_defaults(func=cmd_serve)

    from conformance.load import add_load_parser

    add_load_parser(sub)

    from conformance.report import add_report_parser

    add_report_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    os.environ.setdefault("ALLURE_NO_ANALYTICS", "true")
    return int(ns.func(ns))


if __name__ == "__main__":
    sys.exit(main())
