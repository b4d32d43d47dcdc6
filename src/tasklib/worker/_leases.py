"""The lease token of every task this worker holds: what complete, fail, heartbeat and release
must present for each id (fencing, see docs/security.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tasklib.db.statements import TaskId

# Stands in for the token of an id this worker no longer knows (given up meanwhile): it matches
# no task, so the database refuses that id's outcome as not held, which is the truth.
_NO_TOKEN = "00000000-0000-0000-0000-000000000000"


class Leases:
    """Task id -> the token of the claim that took it (one text per claim, shared by its tasks).

    Every ``tasklib.claim`` call gets a fresh ``uuid.uuid4()`` as its lease token. A token is
    forgotten once its task's outcome has been recorded (or refused) or the task was given up.
    ``lost_claims`` holds the tokens of claims whose answer was lost with the connection: their
    tasks, if the claim committed, are released by token before the next claim and at shutdown.
    """

    def __init__(self) -> None:
        self.tokens: dict[TaskId, str] = {}
        self.lost_claims: list[str] = []

    @staticmethod
    def new_token() -> str:
        """A fresh token for one claim call."""
        return str(uuid.uuid4())

    def hold(self, task_id: TaskId, token: str) -> None:
        """Remember the token of a claimed task."""
        self.tokens[task_id] = token

    def tokens_of(self, ids: Iterable[TaskId]) -> str:
        """The tokens of ids, in their order, as one uuid[] literal (parallel to id_array)."""
        tokens = self.tokens
        return "{" + ",".join([tokens.get(task_id, _NO_TOKEN) for task_id in ids]) + "}"

    def forget(self, ids: Iterable[TaskId]) -> None:
        """Drop the tokens of tasks this worker no longer holds."""
        tokens = self.tokens
        for task_id in ids:
            tokens.pop(task_id, None)

    def every_token(self) -> str:
        """Every token that may still hold a task here, as one uuid[] literal (for release)."""
        return "{" + ",".join({*self.tokens.values(), *self.lost_claims}) + "}"
