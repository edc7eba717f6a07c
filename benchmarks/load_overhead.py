"""How much each built-in load profile costs on the client side, beside a bare Locust user.

A tiny Starlette app, served by uvicorn in a thread of this script, answers every path at once with a
canned JSON body (201 to POST, 204 to PATCH, PUT and DELETE, 200 otherwise); an entity upserted by
batch is kept, and reading it back (``GET /ngsi-ld/v1/entities/{id}``) returns its keyValues form, so
that the sdm_ingestion profile's read-back validation is measured too. Against it, for each
built-in profile:

1. the profile's own request loop (its user classes with no wait time between tasks) for ``--seconds``;
   the server records the requests it receives (method, path and query, body);
2. a bare ``FastHttpUser`` with no wait time that replays exactly those requests, in the same order,
   with none of the profile's logic (no checks, no id bookkeeping, no statistics file), as long.

Both run in one Locust process each, headless, with the same number of users, against the same
server in the same run; it prints requests/s of both, as the server received them (first to last
request of the side), and their ratio (profile / bare); and, less sensitive to whatever else the
machine runs, the CPU time the Locust process spends per request between test start and stop on
each side, and their ratio (bare / profile: the share of the bare rate the profile reaches when the
client's CPU is what limits it). The canned
answers do not satisfy the profiles' checks, so many of their requests count as failures there; a
request is a request for throughput. The figures are a property of this machine: read them as a
ratio, not as absolutes.

    .venv/bin/python benchmarks/load_overhead.py --seconds 10 --users 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = ROOT / "conformance" / "loadprofiles"
CANNED = json.dumps(
    {"id": "urn:ngsi-ld:Noop:1", "type": "Noop", "name": {"type": "Property", "value": "noop"}}
).encode()
MAX_RECORDED = 5000
MAX_REMEMBERED = 50_000
UPSERT = "/entityOperations/upsert"
ENTITY = "/ngsi-ld/v1/entities/"

# appended to a copy of the profile's source: its user classes run their request loop flat out
NO_WAIT = """

from locust import User as _User, constant as _constant

for _user in list(globals().values()):
    if isinstance(_user, type) and issubclass(_user, _User) and _user.__module__ == __name__:
        _user.wait_time = _constant(0)
"""

# appended to both locustfiles: the CPU time the Locust process spends from test start to test stop
# (what the client side costs, whatever else the machine runs) and the requests it made meanwhile
CPU_PROBE = """

import json as _json
import os as _os
import time as _time

from locust import events as _events

_cpu = {}


@_events.test_start.add_listener
def _cpu_start(**_):
    _cpu["start"] = _time.process_time()


@_events.test_stop.add_listener
def _cpu_stop(environment, **_):
    seconds = _time.process_time() - _cpu.get("start", 0.0)
    requests = environment.stats.total.num_requests
    with open(_os.environ["BENCH_CPU_FILE"], "w", encoding="utf-8") as handle:
        handle.write(_json.dumps({"cpu_seconds": seconds, "requests": requests}))
"""

BARE_LOCUSTFILE = """\
import itertools
import json
import os

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

REQUESTS = json.loads(open(os.environ["BENCH_REQUESTS"], encoding="utf-8").read())
_next = itertools.cycle(REQUESTS)


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
    """Starlette + uvicorn in a thread: every path answered with the canned body; requests recorded."""

    def __init__(self) -> None:
        self.port = free_port()
        self.recorded: deque[tuple[str, str, str, str, str]] = deque(maxlen=MAX_RECORDED)
        self.upserted: OrderedDict[str, bytes] = OrderedDict()
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
            query = f"?{request.url.query}" if request.url.query else ""
            content_type = request.headers.get("content-type", "")
            accept = request.headers.get("accept", "")
            self.recorded.append(
                (
                    request.method,
                    request.url.path + query,
                    body.decode(errors="replace"),
                    content_type,
                    accept,
                )
            )
            if request.method in ("PATCH", "PUT", "DELETE"):
                return Response(status_code=204)
            if request.method == "POST" and request.url.path.endswith(UPSERT):
                self.remember(body)
            elif request.method == "GET" and request.url.path.startswith(ENTITY):
                stored = self.upserted.get(unquote(request.url.path[len(ENTITY) :]))
                if stored is not None:
                    return Response(stored, status_code=200, media_type="application/json")
            status = 201 if request.method == "POST" else 200
            return Response(CANNED, status_code=status, media_type="application/json")

        methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
        return Starlette(routes=[Route("/{path:path}", anything, methods=methods)])

    def remember(self, body: bytes) -> None:
        """Keep the keyValues form of upserted entities, so that reading one back returns it (the
        sdm_ingestion profile then validates what it reads, as against a real broker)."""
        from conformance.sdm import to_key_values

        try:
            entities = json.loads(body)
        except ValueError:
            return
        for entity in entities if isinstance(entities, list) else []:
            if isinstance(entity, dict) and isinstance(entity.get("id"), str):
                self.upserted[entity["id"]] = json.dumps(to_key_values(entity)).encode()
        while len(self.upserted) > MAX_REMEMBERED:
            self.upserted.popitem(last=False)

    def reset(self) -> None:
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
    env = {**env, "BENCH_CPU_FILE": str(cpu_file)}
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host]
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "5"]
    cmd += ["--json-file", str(stats_file), "--loglevel", "WARNING", "--only-summary"]
    proc = subprocess.run(
        cmd,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=locustfile.parent,
        capture_output=True,
        text=True,
        timeout=seconds + 90,
    )
    path = stats_file.with_name(stats_file.name + ".json")
    if not path.is_file():
        raise RuntimeError(f"{locustfile.name}: no statistics (exit {proc.returncode}): {proc.stderr[-800:]}")
    entries = json.loads(path.read_text(encoding="utf-8"))
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    cpu = json.loads(cpu_file.read_text(encoding="utf-8")) if cpu_file.is_file() else {}
    per_request = 1000.0 * cpu["cpu_seconds"] / cpu["requests"] if cpu.get("requests") else 0.0
    return {"requests": requests, "failures": failures, "cpu_ms_per_request": per_request}


def bench_profile(name: str, server: NoopServer, users: int, seconds: int, folder: Path) -> dict[str, Any]:
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
    recorded = list(server.recorded)
    if not recorded:
        raise RuntimeError(f"{name}: the profile sent no request")
    replay = folder / f"{name}-requests.json"
    replay.write_text(json.dumps(recorded), encoding="utf-8")
    bare_file = folder / f"bare_{name}.py"
    bare_file.write_text(BARE_LOCUSTFILE + CPU_PROBE, encoding="utf-8")
    server.reset()
    bare = {
        **run_locust(bare_file, host, users, seconds, {"BENCH_REQUESTS": str(replay)}),
        "rps": server.rate(),
    }
    ratio = profile["rps"] / bare["rps"] if bare["rps"] else 0.0
    mine_cpu, bare_cpu = profile["cpu_ms_per_request"], bare["cpu_ms_per_request"]
    cpu_ratio = bare_cpu / mine_cpu if mine_cpu else 0.0
    return {"profile": name, "mine": profile, "bare": bare, "ratio": ratio, "cpu_ratio": cpu_ratio}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="run time of each side (default 10)")
    parser.add_argument("--users", type=int, default=5, help="concurrent users of each side (default 5)")
    parser.add_argument("--profile", action="append", help="only this built-in profile (repeatable)")
    args = parser.parse_args(argv)
    names = args.profile or builtin_profiles()
    unknown = sorted(set(names) - set(builtin_profiles()))
    if unknown:
        parser.error(f"no such built-in profile: {', '.join(unknown)}")
    print(
        f"load profile overhead: {args.users} users, {args.seconds} s per side, no-op Starlette/uvicorn server"
    )
    print(
        f"  {'profile':<24} {'profile req/s':>13} {'bare req/s':>11} {'ratio':>6}  "
        f"{'CPU ms/req':>10} {'bare':>6} {'CPU ratio':>9}  (profile failures)"
    )
    with tempfile.TemporaryDirectory(prefix="load-overhead-") as tmp, NoopServer() as server:
        for name in names:
            row = bench_profile(name, server, args.users, args.seconds, Path(tmp))
            mine, bare = row["mine"], row["bare"]
            print(
                f"  {name:<24} {mine['rps']:>13.1f} {bare['rps']:>11.1f} {row['ratio']:>6.2f}  "
                f"{mine['cpu_ms_per_request']:>10.3f} {bare['cpu_ms_per_request']:>6.3f} "
                f"{row['cpu_ratio']:>9.2f}  ({mine['failures']} of {mine['requests']})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
