"""TaskLib in FastAPI and Starlette: a lifespan that opens and closes the client, and a
request-scoped transaction that submits commit or roll back with (docs/fastapi.md).

``lifespan`` and ``transaction`` need only Starlette's lifespan protocol and an async
generator; ``Transaction`` (the dependency, as a type) needs FastAPI.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, TypeVar

import psycopg

from tasklib.client import aclose, default_async_client, init
from tasklib.config import Config

App = TypeVar("App")
AsyncConnection = psycopg.AsyncConnection[Any]
Lifespan = Callable[[App], AbstractAsyncContextManager[Any]]


def lifespan(config: Config | None = None, *, then: Lifespan[App] | None = None) -> Lifespan[App]:
    """A lifespan for ``FastAPI(lifespan=...)`` or ``Starlette(lifespan=...)``.

    At startup: ``tasklib.init(config)`` (default ``Config()``, i.e. $TASKLIB_DATABASE_URL)
    and the default async client's pool opened, so that a database that cannot be reached
    fails the startup rather than the first request. At shutdown: ``tasklib.aclose()``.
    ``then`` is the application's own lifespan, run inside TaskLib's (whatever state it
    yields is the application's state).
    """

    @asynccontextmanager
    async def run(app: App) -> AsyncIterator[Any]:
        init(config if config is not None else Config())
        try:
            await default_async_client().pool()
            if then is None:
                yield None
            else:
                async with then(app) as state:
                    yield state
        finally:
            await aclose()

    return run


async def transaction() -> AsyncIterator[AsyncConnection]:
    """A connection of TaskLib's pool in a transaction, for one request.

    As a FastAPI dependency (``Transaction``): pass it as ``connection=`` to
    ``tasklib.submit_task`` and run the request's own statements on it; the transaction
    commits when the endpoint returns and rolls back if it raises (an HTTPException too), so
    the task exists only together with the request's writes.
    """
    pool = await default_async_client().pool()
    async with pool.connection() as connection, connection.transaction():
        yield connection


def _depends_before_response() -> Any:
    from fastapi import Depends

    # Where Depends has a scope, "function" ends the dependency before the response is sent:
    # the commit (or its failure) then decides the response. Before that, it ended there.
    if "scope" in inspect.signature(Depends).parameters:
        return Depends(transaction, scope="function")
    return Depends(transaction)  # pragma: no cover - older FastAPI


try:
    Transaction = Annotated[AsyncConnection, _depends_before_response()]
    """The request's transaction as an endpoint parameter: ``connection: Transaction``."""
except ImportError:  # pragma: no cover - Starlette without FastAPI
    pass
