"""How much each built-in load profile costs on the client side, beside a bare Locust user.

A small Starlette app, served by uvicorn in a thread of this script, answers as a broker or a TM
Forum API would, plausibly enough that the profiles' checks pass (``load_overhead_answers.py``: the
entities created are kept, read back, queried, paged; TM Forum resources are created, listed,
filtered, projected, merge-patched), so that what is measured is a profile's normal work, each
answer checked, not its failure reporting; no notification is sent. Against it, for each built-in
profile:

1. the profile's own request loop (its user classes with no wait time between tasks) for ``--seconds``
   counted from the end of its set-up (a slow seed does not shorten the measured run);
   the server records the requests it receives (method, path and query, body, Content-Type, Accept);
2. a bare ``FastHttpUser`` with no wait time that replays exactly those requests, in the same order,
   with none of the profile's logic (no checks, no id bookkeeping, no statistics file), as long. The
   requests the profile sent before its measured window (its set-up, e.g. seeding) are sent again
   once before the replay's window, those after it (its tear-down) are not replayed: the replay gets
   the answers the profile got, not those of a server its tear-down emptied.

Both run in one Locust process each, headless, with the same number of users, against the same
server; with ``--runs N`` the two sides alternate which goes first, and the medians are printed too,
and the ratio of each side's smallest CPU time per request (other work on the machine only adds to it).
It prints requests/s of both, as the server received them (first to last request of the side), and
their ratio (profile / bare); and, less sensitive to whatever else the machine runs, the CPU time the
Locust process spends per HTTP request it sends, from test start (after the profile's set-up, e.g.
seeding) until its users have stopped (their clean-up included, the profile's tear-down not), on each
side, and their ratio (bare / profile: the share of the bare rate the profile reaches when the
client's CPU is what limits it); and the minor page faults per request of each Locust process in that
window (fresh memory a profile touches as it runs: what a profile keeping every request's text shows).
The figures are a property of this machine: read them as a ratio, not as absolutes.

    .venv/bin/python benchmarks/load_overhead.py --seconds 10 --users 5 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = ROOT / "conformance" / "loadprofiles"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # load_overhead_answers, beside this script
MAX_RECORDED = 5000
SETUP_BOUND = 120  # seconds a side's set-up may take before its measured run time
MAX_FIRST = 1000  # the requests kept from the start of a side: its set-up (a seed of up to this many)
Recorded = tuple[float, str, str, str, str, str]
FIGURES = ("rps", "cpu_ms_per_request", "faults_per_request", "requests", "failures")  # of each side

# appended to a copy of the profile's source: its user classes run their request loop flat out
NO_WAIT = """

from locust import User as _User, constant as _constant

for _user in list(globals().values()):
    if isinstance(_user, type) and issubclass(_user, _User) and _user.__module__ == __name__:
        _user.wait_time = _constant(0)
"""

# appended to both locustfiles: the CPU time the Locust process spends from test start (after the
# profile's own start listeners: seeding is set-up) until its users have stopped (their clean-up
# included, the profile's own stop listeners not: unseeding is tear-down), and the HTTP requests it
# made meanwhile (a profile's other records, the notifications it times, are not requests it sent)
CPU_PROBE = """

import json as _json
import os as _os
import resource as _resource
import time as _time

import gevent as _gevent
from locust import events as _events

_cpu = {}
_HTTP = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


@_events.test_start.add_listener
def _cpu_start(environment, **_):
    _cpu["start"], _cpu["start_at"] = _time.process_time(), _time.monotonic()
    _cpu["faults"] = _resource.getrusage(_resource.RUSAGE_SELF).ru_minflt
    # the measured run time counts from here, after the profile's set-up (Locust's own -t counts
    # from the start, set-up included: a seed as long as the run left no window on a loaded machine)
    _gevent.spawn_later(float(_os.environ["BENCH_SECONDS"]), environment.runner.quit)


def _cpu_stop(environment, **_):
    seconds = _time.process_time() - _cpu.get("start", 0.0)
    requests = sum(e.num_requests for e in environment.stats.entries.values() if e.method in _HTTP)
    faults = _resource.getrusage(_resource.RUSAGE_SELF).ru_minflt - _cpu.get("faults", 0)
    window = {"start_at": _cpu.get("start_at", 0.0), "stop_at": _time.monotonic()}
    with open(_os.environ["BENCH_CPU_FILE"], "w", encoding="utf-8") as handle:
        handle.write(_json.dumps({"cpu_seconds": seconds, "faults": faults, "requests": requests, **window}))


_events.test_stop._handlers.insert(0, _cpu_stop)  # before the profile's own stop listeners
"""

BARE_LOCUSTFILE = """\
import itertools
import json
import os

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

RECORDED = json.loads(open(os.environ["BENCH_REQUESTS"], encoding="utf-8").read())
_next = itertools.cycle(RECORDED["run"])


@events.test_start.add_listener
def set_up(environment, **_):
    # the profile's set-up (e.g. its seeding), sent again once before the users start: the data its
    # tear-down removed is there again for the replay (outside the measured window, as for the profile)
    import urllib.error
    import urllib.request

    for method, path, body, content_type, accept in RECORDED["setup"]:
        headers = {"Content-Type": content_type} if content_type else {}
        if accept:
            headers["Accept"] = accept
        data = body.encode() if body else None
        request = urllib.request.Request(environment.host + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
        except urllib.error.HTTPError:
            pass  # answered all the same


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def replay(self):
        method, path, body, content_type, accept = next(_next)
        headers = {"Content-Type": content_type} if content_type else {}
        if accept:
            headers["Accept"] = accept
        self.client.request(method, path, data=body.encode() if body else None, headers=headers, name=method)
"""


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.py") if not p.stem.startswith("_"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NoopServer:
    """Starlette + uvicorn in a thread: plausible answers (``load_overhead_answers``); requests recorded."""

    def __init__(self) -> None:
        from load_overhead_answers import Answers

        self.port = free_port()
        # (monotonic arrival time, method, raw path and query, body, Content-Type, Accept): the first
        # requests of a side (its set-up comes first) and the last MAX_RECORDED
        self.first_recorded: list[Recorded] = []
        self.recorded: deque[Recorded] = deque(maxlen=MAX_RECORDED)
        self.answers = Answers()
        self.server: Any = None
        self.count, self.first, self.last = 0, 0.0, 0.0
        self.thread: threading.Thread | None = None

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def anything(request: Request) -> Response:
            body = await request.body()
            now = time.monotonic()
            self.count, self.first, self.last = self.count + 1, self.first or now, now
            query = request.url.query
            raw_path = request.scope.get("raw_path") or request.url.path.encode()
            record = (
                now,
                request.method,
                raw_path.decode("latin-1") + (f"?{query}" if query else ""),
                body.decode(errors="replace"),
                request.headers.get("content-type", ""),
                request.headers.get("accept", ""),
            )
            if len(self.first_recorded) < MAX_FIRST:
                self.first_recorded.append(record)
            self.recorded.append(record)
            status, payload = self.answers.answer(request.method, request.url.path, query, body)
            if status == 204:
                return Response(status_code=204)
            return Response(payload, status_code=status, media_type="application/json")

        methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", anything, methods=methods)])

    def reset(self) -> None:
        self.first_recorded.clear()
        self.recorded.clear()
        self.count, self.first, self.last = 0, 0.0, 0.0

    def rate(self) -> float:
        """Requests received per second since the last reset (first to last request)."""
        span = self.last - self.first
        return self.count / span if span > 0 else 0.0

    def __enter__(self) -> NoopServer:
        import uvicorn

        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the no-op server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


def run_locust(locustfile: Path, host: str, users: int, seconds: int, env: dict[str, str]) -> dict[str, Any]:
    """One headless Locust run; its requests and failures as Locust counted them, and the CPU time
    of the Locust process per request between test start and stop (milliseconds)."""
    stats_file = locustfile.with_suffix(".stats")
    cpu_file = locustfile.with_suffix(".cpu.json")
    cpu_file.unlink(missing_ok=True)
    env = {**env, "BENCH_CPU_FILE": str(cpu_file), "BENCH_SECONDS": str(seconds)}
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host]
    # the probe stops the run ``seconds`` after the set-up; -t only bounds a set-up that never ends
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds + SETUP_BOUND}s", "--stop-timeout", "5"]
    cmd += ["--json-file", str(stats_file), "--loglevel", "WARNING", "--only-summary"]
    proc = subprocess.run(
        cmd,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=locustfile.parent,
        capture_output=True,
        text=True,
        timeout=seconds + SETUP_BOUND + 90,
    )
    path = stats_file.with_name(stats_file.name + ".json")
    if not path.is_file():
        raise RuntimeError(f"{locustfile.name}: no statistics (exit {proc.returncode}): {proc.stderr[-800:]}")
    entries = json.loads(path.read_text(encoding="utf-8"))
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    cpu = json.loads(cpu_file.read_text(encoding="utf-8")) if cpu_file.is_file() else {}
    per_request = 1000.0 * cpu["cpu_seconds"] / cpu["requests"] if cpu.get("requests") else 0.0
    faults = cpu["faults"] / cpu["requests"] if cpu.get("requests") else 0.0
    window = (cpu.get("start_at", 0.0), cpu.get("stop_at", float("inf")))
    return {
        "requests": requests,
        "failures": failures,
        "cpu_ms_per_request": per_request,
        "faults_per_request": faults,
        "window": window,
    }


def run_profile(name: str, server: NoopServer, users: int, seconds: int, folder: Path) -> dict[str, Any]:
    """The profile's own request loop; the requests the server received are kept for the bare replay."""
    host = f"http://127.0.0.1:{server.port}"
    wrapper = folder / f"profile_{name}.py"
    source = (PROFILES_DIR / f"{name}.py").read_text(encoding="utf-8")
    wrapper.write_text(source + NO_WAIT + CPU_PROBE, encoding="utf-8")
    env = {
        "MIMCHECK_LOAD_PROGRESS_SECONDS": "0",
        "MIMCHECK_LOAD_STATS": str(folder / f"{name}-load-stats.json"),
        "MIMCHECK_LOAD_TMF_ROOTS": "{}",
    }
    server.reset()
    profile = {**run_locust(wrapper, host, users, seconds, env), "rps": server.rate()}
    start_at, stop_at = profile["window"]
    setup = [r[1:] for r in server.first_recorded if r[0] < start_at]
    run = [r[1:] for r in server.recorded if start_at <= r[0] <= stop_at]
    if not run:
        raise RuntimeError(f"{name}: the profile sent no request")
    replay = {"setup": setup, "run": run}
    (folder / f"{name}-requests.json").write_text(json.dumps(replay), encoding="utf-8")
    return profile


def run_bare(name: str, server: NoopServer, users: int, seconds: int, folder: Path) -> dict[str, Any]:
    """A bare FastHttpUser replaying the requests the profile's last run sent."""
    host = f"http://127.0.0.1:{server.port}"
    bare_file = folder / f"bare_{name}.py"
    bare_file.write_text(BARE_LOCUSTFILE + CPU_PROBE, encoding="utf-8")
    server.reset()
    replay = {"BENCH_REQUESTS": str(folder / f"{name}-requests.json")}
    return {**run_locust(bare_file, host, users, seconds, replay), "rps": server.rate()}


def compare(name: str, profile: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    ratio = profile["rps"] / bare["rps"] if bare["rps"] else 0.0
    mine_cpu, bare_cpu = profile["cpu_ms_per_request"], bare["cpu_ms_per_request"]
    cpu_ratio = bare_cpu / mine_cpu if mine_cpu else 0.0
    return {"profile": name, "mine": profile, "bare": bare, "ratio": ratio, "cpu_ratio": cpu_ratio}


def bench_profile(
    name: str, server: NoopServer, users: int, seconds: int, folder: Path, bare_first: bool = False
) -> dict[str, Any]:
    """One run of each side; ``bare_first`` replays the profile's previous run before running it again
    (runs alternate which side goes first, so that neither always meets the machine first)."""
    if bare_first:
        bare = run_bare(name, server, users, seconds, folder)
        profile = run_profile(name, server, users, seconds, folder)
    else:
        profile = run_profile(name, server, users, seconds, folder)
        bare = run_bare(name, server, users, seconds, folder)
    return compare(name, profile, bare)


def median_row(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over the runs (each column on its own)."""

    def median(side: str, key: str) -> float:
        return float(statistics.median(row[side][key] for row in rows))

    sides = {side: {key: median(side, key) for key in FIGURES} for side in ("mine", "bare")}
    return {
        "profile": name,
        **sides,
        "ratio": statistics.median(row["ratio"] for row in rows),
        "cpu_ratio": statistics.median(row["cpu_ratio"] for row in rows),
    }


def print_row(label: str, row: dict[str, Any]) -> None:
    mine, bare = row["mine"], row["bare"]
    print(
        f"  {label:<24} {mine['rps']:>13.1f} {bare['rps']:>11.1f} {row['ratio']:>6.2f}  "
        f"{mine['cpu_ms_per_request']:>10.3f} {bare['cpu_ms_per_request']:>6.3f} "
        f"{row['cpu_ratio']:>9.2f}  {mine['faults_per_request']:>6.2f} {bare['faults_per_request']:>5.2f}"
        f"  ({mine['failures']:.0f} of {mine['requests']:.0f})",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="run time of each side (default 10)")
    parser.add_argument("--users", type=int, default=5, help="concurrent users of each side (default 5)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each side, then medians (default 1)")
    parser.add_argument("--profile", action="append", help="only this built-in profile (repeatable)")
    args = parser.parse_args(argv)
    names = args.profile or builtin_profiles()
    unknown = sorted(set(names) - set(builtin_profiles()))
    if unknown:
        parser.error(f"no such built-in profile: {', '.join(unknown)}")
    if args.runs < 1 or args.seconds < 1 or args.users < 1:
        parser.error("--runs, --seconds and --users must be at least 1")
    print(f"load profile overhead: {args.users} users, {args.seconds} s per side, {args.runs} run(s)")
    print(
        f"  {'profile':<24} {'profile req/s':>13} {'bare req/s':>11} {'ratio':>6}  "
        f"{'CPU ms/req':>10} {'bare':>6} {'CPU ratio':>9}  {'faults':>6} {'bare':>5}  (profile failures)"
    )
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="load-overhead-") as tmp, NoopServer() as server:
        for run in range(args.runs):
            for name in names:
                row = bench_profile(
                    name, server, args.users, args.seconds, Path(tmp), bare_first=run % 2 == 1
                )
                rows[name].append(row)
                print_row(name if args.runs == 1 else f"{name} #{run + 1}", row)
    if args.runs > 1:
        print("  medians:")
        for name in names:
            print_row(name, median_row(name, rows[name]))
        print("  smallest CPU ms/req of each side over the runs (other work on the machine only adds to it):")
        for name in names:
            mine = min(row["mine"]["cpu_ms_per_request"] for row in rows[name])
            bare = min(row["bare"]["cpu_ms_per_request"] for row in rows[name])
            print(f"  {name:<24} {'':>13} {'':>11} {'':>6}  {mine:>10.3f} {bare:>6.3f} {bare / mine:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
