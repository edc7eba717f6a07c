"""`mimcheck campaign CAMPAIGN.toml`: certify several products in one go and compare them.

Each listed product profile is certified by its own `mimcheck run` process, in its own run folder
(runs/<name>/, with its output in runs/<name>.log) and with its own notification receiver (each
process binds its own callback port); one at a time, or N at a time with --parallel N. Each run is
packaged (packages/<name>.zip, as `mimcheck package` does), and the campaign matrix
(matrix.html, matrix.json) is built from the packages exactly as `mimcheck matrix` builds it. A
product whose run fails keeps its column, which says why.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.admission import slug
from conformance.profiles import MIMS, ProfileError, load_profile
from conformance.runcontext import default_out, usage
from conformance.toml_files import bad_key, read_toml, table

CAMPAIGN_KEYS = {"name", "mims", "k", "parallel", "workers", "sign_key", "out"}
PRODUCT_KEYS = {"label", "profile"}
PROGRESS_EVERY_S = 15.0


@dataclass
class Product:
    label: str
    profile: Path | None  # None: the embedded reference platform
    folder: str = ""  # the run folder's name under runs/


@dataclass
class Campaign:
    name: str
    products: list[Product]
    mims: list[str] | None = None
    k: str | None = None
    parallel: int = 1
    workers: int | None = None
    sign_key: Path | None = None
    out: Path | None = None


_fail = bad_key


def _str(source: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, where, "expected a non-empty string")
    return value


def _int(source: Path, where: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _fail(source, where, f"expected an integer >= {minimum}")
    return value


def load_campaign(path: str) -> Campaign:
    """Read and check a campaign file; every error is one line naming the file and the key."""
    source = Path(path)
    data = read_toml(source)
    unknown = sorted(set(data) - {"campaign", "product"})
    if unknown:
        raise _fail(source, unknown[0], "unknown table; expected [campaign] and [[product]]")
    head = table(source, data, "campaign", CAMPAIGN_KEYS)
    base = source.parent
    campaign = Campaign(name=_str(source, "campaign.name", head.get("name", source.stem)), products=[])
    if "mims" in head:
        mims = head["mims"]
        if not isinstance(mims, list) or not mims or any(m not in MIMS for m in mims):
            raise _fail(source, "campaign.mims", f"expected a non-empty list of {', '.join(MIMS)}")
        campaign.mims = list(mims)
    if "k" in head:
        campaign.k = _str(source, "campaign.k", head["k"])
    if "parallel" in head:
        campaign.parallel = _int(source, "campaign.parallel", head["parallel"], 1)
    if "workers" in head:
        campaign.workers = _int(source, "campaign.workers", head["workers"], 0)
    if "sign_key" in head:
        campaign.sign_key = base / _str(source, "campaign.sign_key", head["sign_key"])
    if "out" in head:
        campaign.out = base / _str(source, "campaign.out", head["out"])
    products = data.get("product")
    if not isinstance(products, list) or not products:
        raise _fail(source, "product", "expected at least one [[product]] table")
    for n, entry in enumerate(products, 1):
        where = f"product #{n}"
        bad = sorted(set(entry) - PRODUCT_KEYS)
        if bad:
            raise _fail(source, f"{where}.{bad[0]}", "unknown key; expected label and profile")
        profile = base / _str(source, f"{where}.profile", entry["profile"]) if "profile" in entry else None
        if profile is not None:
            try:
                name = load_profile(profile).name
            except ProfileError as exc:
                raise usage(f"{source}: {where}: {exc}") from None
        else:
            name = "embedded reference"
        label = _str(source, f"{where}.label", entry.get("label", name))
        campaign.products.append(Product(label, profile))
    labels = [p.label for p in campaign.products]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise _fail(source, "product.label", f"{twice[0]!r} names two products; give each its own label")
    folders: set[str] = set()
    for p in campaign.products:
        p.folder = slug(p.label)
        while p.folder in folders:
            p.folder += "_"
        folders.add(p.folder)
    return campaign


def check_ports(campaign: Campaign, parallel: int) -> None:
    """Runs at the same time each need their own callback port: two profiles binding the same fixed
    port cannot run in parallel."""
    if parallel < 2:
        return
    seen: dict[int, str] = {}
    for p in campaign.products:
        if p.profile is None:
            continue
        port = load_profile(p.profile).notifications.bind_port
        if port and port in seen:
            raise usage(
                f"--parallel {parallel}: {seen[port]!r} and {p.label!r} both bind the callback port {port}; "
                "give each profile its own [notifications] bind port (or port 0), or run them in sequence"
            )
        if port:
            seen[port] = p.label


@dataclass
class Job:
    product: Product
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    last_said: float = 0.0
    last_line: str = ""
    code: int | None = None
    failure: str | None = None
    package: Path | None = None
    log: Path = field(default_factory=Path)


def _run_args(campaign: Campaign, product: Product, folder: Path, workers: int | None) -> list[str]:
    args = [sys.executable, "-m", "conformance.cli", "run", "--out", str(folder)]
    if product.profile is not None:
        args += ["--target", str(product.profile)]
    if campaign.mims:
        args += ["--mim", ",".join(campaign.mims)]
    if campaign.k:
        args += ["-k", campaign.k]
    if workers is not None:
        args += ["--workers", str(workers)]
    if campaign.sign_key is not None:
        args += ["--sign-key", str(campaign.sign_key)]
    return args


def _last_progress(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith("mimcheck: [") and "cases" in line:
            return line.removeprefix("mimcheck: ").strip()
    return ""


def _why(log: Path, code: int) -> str:
    try:
        lines = [
            x.strip() for x in log.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()
        ]
    except OSError:
        lines = []
    errors = [x for x in lines if x.startswith("mimcheck: ") and not x.startswith("mimcheck: [")]
    detail = (errors or lines or ["no output"])[-1]
    return f"the run ended without a certificate (exit {code}): {detail[:300]}"


def run_campaign(campaign: Campaign, out: Path, parallel: int, say: Any = print) -> list[Job]:
    """Run every product (at most ``parallel`` at a time) and package each run; never raises for
    one product's failure."""
    from conformance.signing import package

    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "packages").mkdir(parents=True, exist_ok=True)
    workers = campaign.workers if campaign.workers is not None else (0 if parallel > 1 else None)
    total = len(campaign.products)
    pending = [Job(p, n, log=out / "runs" / f"{p.folder}.log") for n, p in enumerate(campaign.products, 1)]
    running: list[Job] = []
    done: list[Job] = []
    try:
        while pending or running:
            while pending and len(running) < parallel:
                job = pending.pop(0)
                folder = out / "runs" / job.product.folder
                with job.log.open("wb") as log:
                    job.proc = subprocess.Popen(
                        _run_args(campaign, job.product, folder, workers),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    )
                job.started = job.last_said = time.monotonic()
                say(f"campaign: [{job.index}/{total}] {job.product.label}: started ({folder})")
                running.append(job)
            time.sleep(0.3)
            for job in list(running):
                assert job.proc is not None
                now = time.monotonic()
                if job.proc.poll() is None:
                    line = _last_progress(job.log)
                    if line and line != job.last_line and now - job.last_said >= PROGRESS_EVERY_S:
                        job.last_line, job.last_said = line, now
                        say(f"campaign: [{job.index}/{total}] {job.product.label}: {line}")
                    continue
                running.remove(job)
                job.code = job.proc.returncode
                folder = out / "runs" / job.product.folder
                elapsed = f"{now - job.started:.0f}s"
                if (folder / "certificate.json").is_file() and (folder / "manifest.json").is_file():
                    job.package = package(folder, out / "packages" / f"{job.product.folder}.zip")
                    say(
                        f"campaign: [{job.index}/{total}] {job.product.label}: finished (exit {job.code}) "
                        f"in {elapsed}; package {job.package}"
                    )
                else:
                    job.failure = _why(job.log, job.code)
                    say(
                        f"campaign: [{job.index}/{total}] {job.product.label}: FAILED in {elapsed}: {job.failure}"
                    )
                done.append(job)
    except KeyboardInterrupt:
        for job in running:
            if job.proc is not None and job.proc.poll() is None:
                job.proc.terminate()
        for job in running:
            if job.proc is not None:
                try:
                    job.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    job.proc.kill()
        raise
    return sorted(done, key=lambda j: j.index)


def cmd_campaign(ns: argparse.Namespace) -> int:
    from conformance.matrix import admit_columns, build_matrix, print_summary, write_matrix

    campaign = load_campaign(ns.campaign)
    parallel = ns.parallel if ns.parallel is not None else campaign.parallel
    if parallel < 1:
        raise usage(f"--parallel {parallel}: expected 1 or more")
    check_ports(campaign, parallel)
    out = Path(ns.out) if ns.out else campaign.out or default_out(suffix="-campaign")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise usage(f"cannot create the campaign folder {out}: {exc.strerror}; pass --out DIR") from None
    print(
        f"campaign: {campaign.name}: {len(campaign.products)} product(s), {parallel} at a time, into {out}",
        flush=True,
    )
    jobs = run_campaign(campaign, out, parallel, say=lambda line: print(line, flush=True))
    sources = [(str(j.package) if j.package else str(j.log), j.product.label, j.failure) for j in jobs]
    matrix = build_matrix(admit_columns(sources, out))
    html_path, json_path = write_matrix(matrix, out, f"Campaign: {campaign.name}")
    print_summary(matrix)
    print(f"campaign matrix: {html_path} and {json_path}")
    return 0 if all(c.admitted for c in matrix.columns) else 1


def add_campaign_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "campaign",
        help="certify every product a campaign file lists, package each run and build the matrix",
        description="Run the suite against each product profile of CAMPAIGN.toml (see "
        "profiles/campaigns/example.toml), package each run and build matrix.html/matrix.json. Exit 0 "
        "when every product was certified and its package verified, 1 when one was not (its column "
        "says why), 2 for a bad campaign file.",
    )
    parser.add_argument("campaign", help="the campaign file (TOML)")
    parser.add_argument("--parallel", type=int, metavar="N", help="run N products at a time (default 1)")
    parser.add_argument("--out", metavar="DIR", help="campaign folder (default reports/<timestamp>-campaign)")
    parser.set_defaults(func=cmd_campaign)
