"""Command line entry point: ``python -m reference [--host H] [--port P] [--db PATH]``.

``python -m reference --print-profile [--base-url URL]`` prints the platform's own capability profile
(a target profile TOML, from reference/data/profile.toml) for a platform reachable at URL (default
``http://HOST:PORT``) and exits: whoever starts the platform learns what it declares without importing
this package."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import socket
import sys
from collections.abc import Generator
from importlib import resources

import uvicorn

from . import __version__

PROFILE_TEMPLATE = "profile.toml"  # in reference/data; {base_url} and {version} are filled in


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reference", description="OASC MIM reference platform (NGSI-LD + TMF620)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1026, help="TCP port (default 1026; 0 picks a free port)")
    parser.add_argument(
        "--db", default=None, help="SQLite database file (default: a fresh in-memory database)"
    )
    parser.add_argument(
        "--print-profile",
        action="store_true",
        help="print the platform's capability profile (target profile TOML) and exit; nothing is started",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="with --print-profile: where the platform is reached (default http://HOST:PORT)",
    )
    return parser.parse_args(argv)


def profile_toml(base_url: str) -> str:
    """The platform's capability profile for a platform reachable at ``base_url``."""
    if any(c in base_url for c in '"\\') or not base_url.isprintable():
        raise ValueError(f"not a usable base URL: {base_url!r}")
    template = resources.files("reference").joinpath("data", PROFILE_TEMPLATE).read_text(encoding="utf-8")
    return template.replace("{base_url}", base_url.rstrip("/")).replace("{version}", __version__)


class _Server(uvicorn.Server):
    """uvicorn server that exits with status 0 on SIGTERM/SIGINT (uvicorn re-raises the signal)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self._request_exit, sig)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)

    def _request_exit(self, sig: int) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True


class _ListenError(Exception):
    def __init__(self, host: str, port: int, error: OSError) -> None:
        reason = (
            "address already in use" if error.errno == errno.EADDRINUSE else (error.strerror or str(error))
        )
        super().__init__(f"reference: cannot listen on {host}:{port}: {reason.lower()}")


async def serve(host: str, port: int, db: str | None) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit TCP_NODELAY: avoids 40 ms Nagle / delayed-ACK stalls per request
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _ListenError(host, port, exc) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    bound_port = sock.getsockname()[1]
    from .app import create_app  # here, so that --print-profile needs none of the platform

    config = uvicorn.Config(create_app(db), log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        sys.stdout.write(f"reference platform listening on http://{shown}:{bound_port}\n")
        sys.stdout.flush()
    await task


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.print_profile:
        shown = f"[{args.host}]" if ":" in args.host else args.host
        try:
            sys.stdout.write(profile_toml(args.base_url or f"http://{shown}:{args.port}"))
        except ValueError as exc:
            sys.stderr.write(f"reference: {exc}\n")
            return 2
        sys.stdout.flush()
        return 0
    try:
        asyncio.run(serve(args.host, args.port, args.db))
    except _ListenError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.stderr.flush()
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
