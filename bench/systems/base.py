"""What every system under test offers the harness: submits, a drained check, worker commands."""

from __future__ import annotations

import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from bench.work import WorkItem


class System(ABC):
    """One queue library configured as its documentation recommends for short tasks.

    The harness process uses the client side; worker processes run ``python -m bench.worker
    NAME TARGET SETTINGS``, which calls the module's ``serve(target, settings)``.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    backend: ClassVar[str]  # "postgresql" or "redis"
    packages: ClassVar[tuple[str, ...]]
    # The configuration used, recorded with every result; the CLI may override entries.
    defaults: ClassVar[dict[str, Any]]

    def __init__(self, target: str, settings: dict[str, Any]) -> None:
        self.target = target  # a database URL, or a Redis URL
        self.settings = {**self.defaults, **settings}

    @abstractmethod
    async def setup(self) -> None:
        """Install the schema (on a fresh database) and open the client."""

    @abstractmethod
    async def reset(self) -> None:
        """Empty the queue and the history, so each run starts alike."""

    @abstractmethod
    async def submit_noop(self) -> None:
        """Submit one no-op task, the way an application submits one task."""

    def single_submit_variants(self) -> dict[str, str]:
        """Other ways this library submits one task, measured too: key -> label (none here)."""
        return {}

    async def use_single_submit_variant(self, key: str | None) -> None:
        """Make submit_noop submit the ``key`` way from now on (None: the default way)."""
        if key is not None:
            raise ValueError(f"{self.name} has no single-submit variant {key!r}")

    @abstractmethod
    async def submit_noops(self, n: int) -> None:
        """Submit ``n`` no-op tasks with the library's bulk API, in one call when it has one."""

    @abstractmethod
    async def submit_probe(self, token: int) -> None:
        """Submit a task that reports ``token`` and its start time through bench.probe."""

    @abstractmethod
    async def unfinished(self) -> bool:
        """Whether any submitted task is not yet recorded as completed (cheap: polled)."""

    @abstractmethod
    async def completed(self) -> int:
        """How many tasks are recorded as completed (may scan: called once per drain)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the client's connections."""

    # -- the workloads (bench.workloads); a system without them is left out of those items --

    def workload_settings(
        self, concurrency: int, processes: int, sync: bool
    ) -> tuple[dict[str, Any], int]:
        """This system's settings for running ``concurrency`` tasks at a time in each of
        ``processes`` worker processes (``sync``: plain def tasks), and how many worker
        processes it runs for that (Celery's prefork pool is one process with children)."""
        raise NotImplementedError(f"{self.name} has no workload adapter")

    async def submit_work(self, items: Sequence[WorkItem]) -> list[float] | None:
        """Submit workload tasks: one with the single-submit API, several with the bulk one.

        Called from several coroutines at once by the concurrent-producers workload. Returns
        when each task became visible to workers (time.time()) if that was before the call
        returned (a "bulk" submit that publishes one message at a time), else None.
        """
        raise NotImplementedError(f"{self.name} has no workload adapter")

    def worker_argv(self) -> list[str]:
        """The command line of one worker process."""
        return [
            sys.executable,
            "-m",
            "bench.worker",
            self.name,
            self.target,
            json.dumps(self.settings),
        ]

    @classmethod
    def versions(cls) -> dict[str, str]:
        found = {}
        for package in cls.packages:
            try:
                found[package] = metadata.version(package)
            except metadata.PackageNotFoundError:
                found[package] = "not installed"
        return found
