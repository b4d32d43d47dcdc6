"""A FastAPI application that submits TaskLib tasks and reports their state.

Run it from this folder with ``python -m uvicorn app:app``, and a worker beside it
(``tasklib worker app``) to see tasks complete. The database URL comes from
$TASKLIB_DATABASE_URL, like the tasklib command's.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import psycopg
from fastapi import FastAPI, HTTPException

import tasklib
from tasklib.client import default_async_client
from tasklib.contrib.fastapi import Transaction, lifespan


@asynccontextmanager
async def create_tables(app: FastAPI) -> AsyncIterator[None]:
    # The application's own table, in the same database as TaskLib's.
    pool = await default_async_client().pool()
    async with pool.connection() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS signups (email text PRIMARY KEY)")
    yield


# TaskLib's client opens at startup ($TASKLIB_DATABASE_URL) and closes at shutdown.
app = FastAPI(lifespan=lifespan(then=create_tables))


# Define tasks
@tasklib.task
def send_email(to: str, subject: str) -> bool:
    # Your email logic
    return True


# Use in endpoints: async endpoints call the async API, which never blocks the event loop.
@app.post("/send-email")
async def send_email_endpoint(to: str, subject: str) -> dict[str, object]:
    task_id = await tasklib.submit_task(send_email, to=to, subject=subject)
    return {"task_id": task_id, "status": "queued"}


# One transaction per request: the signup row and its welcome email commit together, or
# neither does (a second signup of the same address is refused and queues nothing).
@app.post("/signup")
async def signup(email: str, conn: Transaction) -> dict[str, object]:
    try:
        await conn.execute("INSERT INTO signups (email) VALUES (%s)", (email,))
    except psycopg.errors.UniqueViolation:
        raise HTTPException(status_code=409, detail=f"{email} has signed up already") from None
    task_id = await tasklib.submit_task(send_email, to=email, subject="Welcome!", connection=conn)
    return {"task_id": task_id, "status": "queued"}


@app.get("/task/{task_id}")
async def get_task_status(task_id: UUID) -> dict[str, object]:
    # A task_id that is not a UUID is answered 422 by FastAPI, with the reason in JSON.
    try:
        task = await tasklib.get_task_async(task_id)
    except tasklib.TaskNotFoundError:
        raise HTTPException(status_code=404, detail=f"no task with id {task_id}") from None
    return {"id": task.id, "state": task.state, "result": task.result, "error": task.error}
