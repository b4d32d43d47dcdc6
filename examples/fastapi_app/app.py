"""The seed's FastAPI integration, runnable: ``uvicorn app:app`` from this folder.

It follows the seed line by line, except that the database URL comes from
$TASKLIB_DATABASE_URL instead of a placeholder, and shutdown closes TaskLib's pools.
Run a worker next to it (``tasklib worker app``) to see tasks complete.
"""

import os

from fastapi import FastAPI

import tasklib

app = FastAPI()


# Initialize at startup
@app.on_event("startup")
async def startup():
    config = tasklib.Config(database_url=os.environ["TASKLIB_DATABASE_URL"])
    tasklib.init(config)


@app.on_event("shutdown")
async def shutdown():
    await tasklib.aclose()


# Define tasks
@tasklib.task
def send_email(to: str, subject: str) -> bool:
    # Your email logic
    return True


# Use in endpoints
@app.post("/send-email")
async def send_email_endpoint(to: str, subject: str):
    task_id = await tasklib.submit_task(send_email, to=to, subject=subject)
    return {"task_id": task_id, "status": "queued"}


@app.get("/task/{task_id}")
async def get_task_status(task_id: str):
    from uuid import UUID

    task = tasklib.get_task(UUID(task_id))
    return {"id": task.id, "state": task.state, "result": task.result, "error": task.error}
