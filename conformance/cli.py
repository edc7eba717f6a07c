"""The `mimcheck` command: certify a target, list the requirement catalogue, serve the reference."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import SUITE_NAME, __version__, evidence
from conformance.certificate import read_certificate, rewrite_certificate
from conformance.preflight import PREFLIGHT_FILE, default_tmf_probes, run_preflight
from conformance.profiles import MIMS, TargetProfile
from conformance.records import Certificate
from conformance.requirements import CatalogueEntry, RequirementError, build_catalogue, render_markdown
from conformance.run_ids import new_run_id
from conformance.runcontext import (
    RunError,
    Target,
    check_environment,
    check_profile,
    make_run_folder,
    parse_mims,
    resolve_target,
    unavailable,
    usage,
)
from conformance.sweep import RUN_FILE
from conformance.verdicts import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, RunVerdict

CASE_ID = re.compile(r"^MIM[123]-[A-Z][A-Z0-9]*-\d{3}(\[.+\])?$")

PACKAGE_DIR = Path(__file__).resolve().parent


def _err(message: str) -> None:
    print(f"mimcheck: {message}", file=sys.stderr, flush=True)


def scenario_paths(mims: list[str]) -> list[str]:
    return [str(PACKAGE_DIR / mim) for mim in mims]


# pytest plugins installed beside the suite (by its load and fuzz tools or their dependencies) that no
# scenario uses: each xdist worker would import them (hypothesis and schemathesis take about 2 s of CPU
# per worker), which on two loaded cores delayed the first case of a run by 10 to 20 s.
UNUSED_PLUGINS = (
    "hypothesispytest",
    "schemathesis",
    "locust",
    "anyio",
    "pytest_httpserver",
    "xdist.looponfail",
)


def pytest_base_args() -> list[str]:
    blocked = [arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]
    return ["-c", str(PACKAGE_DIR / "data" / "pytest.ini"), "--rootdir", str(PACKAGE_DIR.parent), *blocked]


def _parse_mims(value: str) -> list[str]:
    try:
        return parse_mims(value)
    except RunError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--mim: ")) from None


# ------------------------------------------------------------------------------------------- run


def _summary(cert: Certificate, out: Path) -> int:
    """The closing summary; everything in it is read from the certificate."""
    cases = cert.cases
    print(
        f"\nmimcheck: {cert.target['name']}: {cases.get('total', 0)} test cases run"
        + (f", {cases['not_run']} not run" if cases.get("not_run") else "")
    )
    for mim, m in cert.mims.items():
        print(
            f"  {mim.upper()}  {m.verdict:<14} requirements: {m.passed} pass, {m.failed} fail"
            + (f" ({m.warnings} warning{'s' if m.warnings != 1 else ''})" if m.warnings else "")
            + f", {m.not_applicable} not applicable, {m.inconclusive} inconclusive"
        )
    for cause in cert.root_causes[:10]:
        print(f"  ROOT CAUSE {cause.cause}")
        print(
            f"       blocks {len(cause.cases)} case(s) of {', '.join(cause.requirements[:8])}"
            + (" ..." if len(cause.requirements) > 8 else "")
        )
    if len(cert.root_causes) > 10:
        print(f"  ... {len(cert.root_causes) - 10} more root causes in the certificate")
    for r in cert.failed:
        req = r.requirement
        print(f"  FAIL {req.id} ({req.level}, {req.spec} clause {req.clause}): {req.title}")
        for reason in r.reasons[:3]:
            print(f"       {reason[:300]}")
    for r in cert.warnings:
        req = r.requirement
        print(f"  WARNING {req.id} (SHOULD, {req.spec} clause {req.clause}): {req.title}")
        for reason in r.reasons[:2]:
            print(f"       {reason[:300]}")
    if cert.narrowed:
        print(f"  narrowed by {cert.narrowed}: {len(cert.not_run)} requirements not run")
    print(f"  certificate: {out / 'certificate.html'}")
    verdict = cert.verdict
    if verdict == RunVerdict.NOT_CONFORMANT:
        print(f"Verdict: NOT CONFORMANT ({len(cert.failed)} MUST requirement(s) failed)")
    elif verdict == RunVerdict.PARTIAL:
        print("Verdict: PARTIAL (the run was narrowed; a partial run certifies nothing)")
    elif verdict == RunVerdict.INCOMPLETE:
        inconclusive = sum(m.inconclusive for m in cert.mims.values())
        why = "the run was interrupted; " if cert.interrupted else ""
        print(f"Verdict: INCOMPLETE ({why}{inconclusive} requirement(s) could not be checked)")
    elif verdict == RunVerdict.NOTHING_CERTIFIED:
        print(
            "Verdict: NOTHING CERTIFIED (no requirement applies: declare the product's capabilities "
            "under [capabilities] and its base URLs in the target profile)"
        )
    else:
        warned = f" with {len(cert.warnings)} warning(s)" if cert.warnings else ""
        print(f"Verdict: CONFORMANT{warned}")
    return cert.exit_code


def _only(ns: argparse.Namespace) -> list[str] | None:
    """Case ids or node ids given with --only / --only-file (None when not narrowed)."""
    if not ns.only and not ns.only_file:
        return None
    nodes = list(ns.only or [])
    if ns.only_file:
        try:
            text = Path(ns.only_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise usage(f"--only-file {ns.only_file}: {exc.strerror}") from None
        nodes += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for node in nodes:
        if not (CASE_ID.match(node) or (node.startswith("conformance/") and "::" in node)):
            raise usage(
                f"--only {node!r}: expected a case id (MIM1-ENT-001[param]) or a node id, "
                "as `mimcheck requirements --format json` lists them"
            )
    return nodes


def run_suite(
    target: Target,
    mims: list[str] | None,
    out: Path,
    *,
    workers: int | None = 0,
    keyword: str | None = None,
    only: list[str] | None = None,
    extra: list[str] | None = None,
    sign_key: str | None = None,
) -> int:
    profile = target.profile
    signing_key = _signing_key(profile, sign_key)
    check_environment()
    explicit = mims is not None
    mims = mims or list(MIMS)
    check_profile(profile, mims, explicit=explicit)
    from conformance.auth import AuthError, make_authorizer
    from conformance.recording import RecordingClient
    from conformance.redaction import Redactor

    redactor = Redactor()
    for secret in profile.auth.secrets():
        redactor.add(secret)
    try:
        client = RecordingClient(
            redactor=redactor,
            timeout=min(profile.timeout_seconds, 10),
            default_headers=dict(profile.headers),
            authorizer=make_authorizer(
                profile.auth,
                redactor,
                profile.timeout_seconds,
                verify=profile.tls.verify,
                cert=profile.tls.cert,
            ),
            trusted_urls=profile.trusted_urls(),
            max_response_bytes=profile.max_response_bytes,
            request_seconds=min(profile.request_seconds, 30),
            verify=profile.tls.verify,
            cert=profile.tls.cert,
        )
        check = run_preflight(profile, mims, client, tmf_probes=default_tmf_probes())
    except AuthError as exc:
        raise unavailable(f"authentication: {exc}") from None
    if check.unreachable:
        raise unavailable(f"{check.unreachable}; check the base URL and that the product is running")
    (out / PREFLIGHT_FILE).write_text(json.dumps(check.to_json(), indent=2), encoding="utf-8")
    evidence.write(out, "_preflight", {**check.to_json(), "exchanges": [e.as_json() for e in client.take()]})
    for cause in sorted(check.blocked.values()):
        print(f"mimcheck: preflight: {cause}", flush=True)
    run_id = new_run_id()
    # the run id first, so that `mimcheck cleanup RUN_DIR` can find what a killed run left
    (out / RUN_FILE).write_text(json.dumps({"run_id": run_id}) + "\n", encoding="utf-8")
    args = [
        *scenario_paths(mims),
        *pytest_base_args(),
        "--mim-profile",
        str(target.profile_path),
        "--mim-out",
        str(out),
        "--mim-run-id",
        run_id,
        "--mim-preflight",
        str(out / PREFLIGHT_FILE),
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
    if only is not None:
        (out / "only.txt").write_text("\n".join(only) + "\n", encoding="utf-8")
        args += ["--mim-only-file", str(out / "only.txt")]
    workers = default_workers(profile) if workers is None else workers
    if workers > 0:
        args += ["-n", str(workers), "--dist", "worksteal"]
    if keyword:
        args += ["-k", keyword]
    args += extra or []
    print(f"mimcheck: certifying {profile.name} ({', '.join(mims)}) into {out}", flush=True)
    code = pytest.main(args)
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_USAGE
    if code == pytest.ExitCode.INTERRUPTED:  # what a worker stopped mid-way could not undo
        from conformance.abort import after_abort

        after_abort(profile, run_id, client, _say)
    if not (out / "certificate.json").is_file():
        _err(f"the run ended without a certificate (pytest exit {int(code)}); see the output above")
        return EXIT_INCONCLUSIVE
    cert = read_certificate(out)
    if signing_key is not None:
        from conformance.signing import ALGORITHM, fingerprint, public_raw

        cert.signer = {"algorithm": ALGORITHM, "fingerprint": fingerprint(public_raw(signing_key))}
        rewrite_certificate(out, cert)
    return _summary(cert, out)


def default_workers(profile: TargetProfile) -> int:
    """Two workers per core, at most four, where they pay (2 cores or more): the cases mostly wait on
    the target and on notifications, so four workers on two cores finish a full run in about three
    quarters of the time two take. None where each worker would bind the same fixed port."""
    if profile.notifications.bind_port != 0:
        return 0
    cores = os.cpu_count() or 1
    return min(4, 2 * cores) if cores >= 2 else 0


def _signing_key(profile: TargetProfile, sign_key: str | None) -> Any:
    """The run's signing key (checked before the first case), or None for an unsigned run."""
    if not sign_key and not profile.signing.configured:
        return None
    from conformance.signing import load_private_key

    if sign_key:
        return load_private_key(sign_key, None)
    return load_private_key(profile.signing.key_file, profile.signing.key_env)


def cmd_run(ns: argparse.Namespace) -> int:
    only = _only(ns)
    out = make_run_folder(ns.out)
    with resolve_target(target=ns.target, target_url=ns.target_url, folder=out, say=_say) as target:
        code = run_suite(
            target,
            ns.mim,
            out,
            workers=ns.workers,
            keyword=ns.k,
            only=only,
            extra=list(ns.pytest_args or []),
            sign_key=ns.sign_key,
        )
    if (out / "certificate.json").is_file():
        from conformance.signing import seal

        seal(out, _signing_key(target.profile, ns.sign_key))
    return code


def _say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------------------------- requirements


class _Collector:
    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items = list(items)


def collect_entries(mims: list[str]) -> list[CatalogueEntry]:
    """The requirement catalogue of these MIMs, collected from the scenarios (no target needed)."""
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
    return build_catalogue(collector.items)


def collect_catalogue(mims: list[str]) -> list[dict[str, Any]]:
    """The catalogue as JSON: each requirement with its case ids and node ids."""
    return [entry.to_json() for entry in collect_entries(mims)]


def catalogue_markdown(mims: list[str]) -> str:
    return render_markdown(collect_entries(mims), f"{SUITE_NAME} {__version__}")


def cmd_requirements(ns: argparse.Namespace) -> int:
    try:
        entries = collect_entries(ns.mim)
    except RequirementError as exc:
        _err(str(exc))
        return EXIT_USAGE
    if ns.format == "json":
        print(json.dumps([e.to_json() for e in entries], indent=2))
    elif ns.format == "markdown":
        print(render_markdown(entries, f"{SUITE_NAME} {__version__}"))
    else:
        for e in entries:
            r = e.requirement
            print(f"{r.id:<14} {r.level:<6} {r.spec} {r.clause:<10} {r.title} ({len(e.cases)})")
    return EXIT_OK


# ---------------------------------------------------------------------------------- capabilities


def capabilities_markdown() -> str:
    from conformance.capabilities import render_markdown as render_capabilities

    return render_capabilities(f"{SUITE_NAME} {__version__}")


def cmd_capabilities(ns: argparse.Namespace) -> int:
    import dataclasses

    from conformance.capabilities import CAPABILITIES, RETIRED

    if ns.format == "markdown":
        print(capabilities_markdown())
    elif ns.format == "json":
        table = [dataclasses.asdict(c) for c in CAPABILITIES.values()]
        print(json.dumps({"capabilities": table, "retired": RETIRED}, indent=2))
    else:
        for c in CAPABILITIES.values():
            print(f"{c.name:<32} {c.spec} clause {c.clause}: {c.description}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------- serve


def cmd_serve(ns: argparse.Namespace) -> int:
    """The reference platform takes this process over (exec), so that SIGTERM or Ctrl-C sent to
    `mimcheck serve` reaches it directly and no orphan keeps the port."""
    args = [sys.executable, "-m", "reference", "--host", ns.host, "--port", str(ns.port)]
    if ns.db:
        args += ["--db", ns.db]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)
    return EXIT_OK  # not reached


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
    run.add_argument(
        "--mim", type=_parse_mims, default=None, help="MIMs to certify, e.g. mim1,mim3 (default: all)"
    )
    run.add_argument("--out", metavar="DIR", help="run folder (default reports/<timestamp>, reports/latest)")
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="parallel workers (pytest-xdist); default 4 on a machine with 2 cores or more, 0 (one process) "
        "when the profile binds the callback server to a fixed port",
    )
    run.add_argument("-k", metavar="EXPR", help="only scenarios matching this pytest -k expression")
    run.add_argument(
        "--only",
        action="append",
        metavar="CASE",
        help="only this case id or node id (repeatable): a PARTIAL run",
    )
    run.add_argument(
        "--only-file", metavar="FILE", help="only the cases listed in FILE, one case id or node id a line"
    )
    run.add_argument(
        "--sign-key",
        metavar="PEM",
        help="Ed25519 private key to sign the run with (else the profile's [signing])",
    )
    run.add_argument("pytest_args", nargs="*", help="further pytest arguments, after --")
    run.set_defaults(func=cmd_run)

    from conformance.signing import add_signing_parsers

    add_signing_parsers(sub)

    req = sub.add_parser("requirements", help="print the requirement catalogue generated from the scenarios")
    req.add_argument("--format", choices=("json", "markdown", "text"), default="text")
    req.add_argument("--mim", type=_parse_mims, default=list(MIMS))
    req.set_defaults(func=cmd_requirements)

    caps = sub.add_parser(
        "capabilities", help="print the optional capabilities a profile may declare, with their clauses"
    )
    caps.add_argument("--format", choices=("json", "markdown", "text"), default="text")
    caps.set_defaults(func=cmd_capabilities)

    from conformance.coverage import add_coverage_parser

    add_coverage_parser(sub)

    serve = sub.add_parser("serve", help="run the embedded reference platform")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=1026)
    serve.add_argument("--db", metavar="PATH", help="SQLite database file (default: in memory)")
    serve.set_defaults(func=cmd_serve)

    from conformance.load import add_load_parser

    add_load_parser(sub)

    from conformance.capacity_cli import add_capacity_parser

    add_capacity_parser(sub)

    from conformance.report import add_report_parser

    add_report_parser(sub)

    from conformance.rundiff import add_diff_parser

    add_diff_parser(sub)

    from conformance.campaign import add_campaign_parser
    from conformance.matrix import add_matrix_parser
    from conformance.tender import add_tender_parser

    add_campaign_parser(sub)
    add_matrix_parser(sub)
    add_tender_parser(sub)

    from conformance.sdm_cli import add_sdm_parsers

    add_sdm_parsers(sub)

    from conformance.sweep import add_cleanup_parser

    add_cleanup_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    os.environ.setdefault("ALLURE_NO_ANALYTICS", "true")
    try:
        return int(ns.func(ns))
    except RunError as exc:
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INCONCLUSIVE
    except BrokenPipeError:
        # `mimcheck ... | head`: the reader left; end quietly, without a second error on exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
