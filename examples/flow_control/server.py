"""A partner's HTTP API with a rate limit: past it, 429 Too Many Requests with Retry-After.

Each account may make ``limit`` calls per window of ``window_seconds``; a window opens with the
account's first call after the previous one closed, as many providers count. A call past the
limit is answered 429 with ``Retry-After``: the whole seconds until the window closes, rounded
up (HTTP's Retry-After is an integer). The server counts every call it accepted and refused,
per account and window, so a test can tell how many calls a client wasted.

    python -m examples.flow_control.server --port 8000 --limit 5 --window 1

    POST /charge  {"account": "acct1", "cents": 250}  -> 200 {"charged": 250, "account": "acct1"}
                                                      -> 429 Retry-After: 1 (past the limit)
    GET  /stats                                       -> {"accepted": ..., "refused": ..., ...}

Standard library only (http.server): a stand-in for the real API, not a production server.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclasses.dataclass
class Window:
    """One account's window: when it opened, and the calls it accepted and refused."""

    account: str
    opened: float
    accepted: int = 0
    refused: int = 0


@dataclasses.dataclass(frozen=True)
class Stats:
    accepted: int
    refused: int
    windows: list[Window]


class RateLimiter:
    """Fixed windows per account, opened by the first call after the last one closed."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._current: dict[str, Window] = {}
        self._windows: list[Window] = []

    def admit(self, account: str) -> float | None:
        """None if the call is accepted, else the seconds until the account's window closes."""
        now = time.monotonic()
        with self._lock:
            window = self._current.get(account)
            if window is None or now >= window.opened + self.window_seconds:
                window = Window(account, now)
                self._current[account] = window
                self._windows.append(window)
            if window.accepted < self.limit:
                window.accepted += 1
                return None
            window.refused += 1
            return window.opened + self.window_seconds - now

    def stats(self) -> Stats:
        with self._lock:
            windows = [dataclasses.replace(w) for w in self._windows]
        return Stats(
            accepted=sum(w.accepted for w in windows),
            refused=sum(w.refused for w in windows),
            windows=windows,
        )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive: a worker's HTTP client reuses its connections.
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        if self.path != "/charge":
            self._answer(HTTPStatus.NOT_FOUND, {"error": "no such endpoint"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        account = str(body.get("account", ""))
        wait = self.server.limiter.admit(account)
        if wait is not None:
            retry_after = max(1, math.ceil(wait))
            self._answer(
                HTTPStatus.TOO_MANY_REQUESTS,
                {"error": "rate limit exceeded", "retry_after": retry_after},
                {"Retry-After": str(retry_after)},
            )
            return
        self._answer(HTTPStatus.OK, {"charged": body.get("cents"), "account": account})

    def do_GET(self) -> None:
        if self.path != "/stats":
            self._answer(HTTPStatus.NOT_FOUND, {"error": "no such endpoint"})
            return
        stats = self.server.limiter.stats()
        self._answer(
            HTTPStatus.OK,
            {
                "accepted": stats.accepted,
                "refused": stats.refused,
                "windows": len(stats.windows),
                "most_refused_in_a_window": max((w.refused for w in stats.windows), default=0),
            },
        )

    def _answer(
        self, status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per call would drown the worker's log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Many workers connect at once; socketserver's default backlog of 5 would reset some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], limiter: RateLimiter) -> None:
        super().__init__(address, _Handler)
        self.limiter = limiter


class ApiServer:
    """The API on 127.0.0.1 in a thread of this process (port 0: a free one), as a context."""

    def __init__(self, limit: int = 5, window_seconds: float = 1.0, port: int = 0) -> None:
        self.limiter = RateLimiter(limit, window_seconds)
        self._server = _Server(("127.0.0.1", port), self.limiter)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stats(self) -> Stats:
        return self.limiter.stats()

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--limit", type=int, default=5, help="calls per account and window")
    parser.add_argument("--window", type=float, default=1.0, help="window length in seconds")
    args = parser.parse_args()
    server = _Server(("127.0.0.1", args.port), RateLimiter(args.limit, args.window))
    print(
        f"partner API on http://127.0.0.1:{args.port}: {args.limit} calls per account"
        f" every {args.window:g} s",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
