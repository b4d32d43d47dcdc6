"""Type-checked by mypy --strict (not run by pytest): typical uses of the public API."""

from __future__ import annotations

import tasklib
from tasklib import Config, task


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task(max_retries=5, timeout_seconds=30)
async def shout(text: str) -> str:
    return text.upper()


def direct_calls() -> None:
    total: int = add(1, y=2)
    assert total == 3
    config: Config = Config(database_url="postgresql://localhost/app")
    assert config.database_url is not None
    definition: tasklib.TaskDefinition[[str], str] = shout
    assert definition.name.endswith("shout")
