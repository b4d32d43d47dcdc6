"""The worker's lifecycle: one state, and the only transitions allowed between states."""

from __future__ import annotations

import asyncio
import enum
import logging

from tasklib.errors import TaskLibError

log = logging.getLogger("tasklib.worker")


class State(enum.Enum):
    """Where a TaskWorker is in its life; it only ever moves forward."""

    NEW = 1
    """Created; ``run`` has not been called."""
    STARTING = 2
    """``run`` was called: signal handlers, thread pool and connections are being set up."""
    RUNNING = 3
    """Claiming and running tasks."""
    DRAINING = 4
    """Asked to stop: no more claims; running tasks get the grace period to finish."""
    STOPPING = 5
    """Grace over (or skipped): what still runs is cancelled and handed back, outcomes recorded."""
    STOPPED = 6
    """Connections closed; nothing of this worker is left running. A worker is not restarted."""


_ALLOWED: dict[State, frozenset[State]] = {
    # stop() before run(): there is nothing to shut down.
    State.NEW: frozenset({State.STARTING, State.STOPPED}),
    State.STARTING: frozenset({State.RUNNING, State.DRAINING, State.STOPPING}),
    # Straight to STOPPING when cancelled from outside or told twice: no grace period.
    State.RUNNING: frozenset({State.DRAINING, State.STOPPING}),
    State.DRAINING: frozenset({State.STOPPING}),
    State.STOPPING: frozenset({State.STOPPED}),
    State.STOPPED: frozenset(),
}


class IllegalTransitionError(TaskLibError):
    """A TaskWorker was asked to move to a state it cannot reach from its current one."""


class Lifecycle:
    """Holds the state; ``advance`` is the one way to change it and refuses illegal moves."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.state = State.NEW
        # One event per state, set once that state (or a later one) is reached, so waiters
        # for DRAINING also wake when a worker goes straight to STOPPING.
        self._reached = {state: asyncio.Event() for state in State}

    def advance(self, to: State) -> None:
        """Move to ``to``; IllegalTransitionError if that is not a legal next state."""
        if to not in _ALLOWED[self.state]:
            raise IllegalTransitionError(
                f"TaskWorker {self._name} cannot go from {self.state.name} to {to.name}"
            )
        log.debug("TaskWorker %s: %s -> %s", self._name, self.state.name, to.name)
        self.state = to
        for state in State:
            if state.value <= to.value:
                self._reached[state].set()

    def has_reached(self, state: State) -> bool:
        """Whether the worker is in ``state`` or past it."""
        return self.state.value >= state.value

    async def reached(self, state: State) -> None:
        """Return once the worker is in ``state`` or past it."""
        await self._reached[state].wait()
