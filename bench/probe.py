"""A shared clock between the harness and worker processes: tasks report their start over UDP.

Every process reads the same system clock (time.time()), so a task that sends the time it
started lets the harness compute pickup latency and the first start of a drain without any
database write inside the measured task. Loopback UDP does not drop datagrams this small
unless the receive buffer overflows, and the harness reads it continuously.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

ADDRESS_ENV = "BENCH_PROBE_ADDRESS"

_sender: socket.socket | None = None
_address: tuple[str, int] | None = None
_first_sent = False


def _send(message: str) -> None:
    global _sender, _address
    if _address is None:
        raw = os.environ.get(ADDRESS_ENV)
        if not raw:
            return
        host, _, port = raw.rpartition(":")
        _address = (host, int(port))
        _sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert _sender is not None
    _sender.sendto(message.encode(), _address)


def task_started(token: int) -> None:
    """Called first thing by a latency-probe task: report (token, now)."""
    _send(f"start {token} {time.time()!r}")


def task_began(token: int) -> None:
    """Called first thing by a workload task, on every attempt: the harness keeps the first."""
    _send(f"begin {token} {time.time()!r}")


def task_ended(token: int) -> None:
    """Called last by a workload task when its attempt succeeds."""
    _send(f"end {token} {time.time()!r}")


def first_task() -> None:
    """Called first thing by every no-op task: report this process's first start once."""
    global _first_sent
    if not _first_sent:
        _first_sent = True
        _send(f"first {os.getpid()} {time.time()!r}")


class ProbeListener(asyncio.DatagramProtocol):
    """The harness side: collects start times by token and first starts by process."""

    def __init__(self) -> None:
        self.starts: dict[int, float] = {}
        self.firsts: dict[int, float] = {}
        # Workload tasks (bench.workloads): first start and successful end, by token.
        self.begins: dict[int, float] = {}
        self.ends: dict[int, float] = {}
        self._waiters: dict[int, asyncio.Future[float]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls) -> ProbeListener:
        loop = asyncio.get_running_loop()
        listener = cls()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: listener, local_addr=("127.0.0.1", 0)
        )
        listener.transport = transport
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        return listener

    @property
    def address(self) -> str:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return f"{host}:{port}"

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        kind, key, stamp = data.decode().split()
        if kind == "first":
            self.firsts[int(key)] = float(stamp)
            return
        if kind == "begin":
            self.begins.setdefault(int(key), float(stamp))
            return
        if kind == "end":
            self.ends[int(key)] = float(stamp)
            return
        token = int(key)
        self.starts[token] = float(stamp)
        waiter = self._waiters.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(float(stamp))

    def reset(self) -> None:
        self.starts.clear()
        self.firsts.clear()
        self.begins.clear()
        self.ends.clear()

    async def wait_start(self, token: int, limit: float) -> float:
        """The start time the task with ``token`` reported; TimeoutError if it never starts."""
        if token in self.starts:
            return self.starts[token]
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[token] = future
        try:
            return await asyncio.wait_for(future, limit)
        finally:
            self._waiters.pop(token, None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
