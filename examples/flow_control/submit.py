"""Queue charges for a few accounts, wait until every one is done, print what the API saw.

    python -m examples.flow_control.submit --calls 60 --accounts 3

Each charge is a task of examples/flow_control/tasks.py; its account is its limit key (from
``@task(limit_key="account")``). At the end: how many calls the API accepted and refused, the
most it refused in one window of one account, and whether any task spent a retry.
"""

from __future__ import annotations

import argparse
import asyncio
import os

import httpx

import tasklib
from examples.flow_control.tasks import API_URL_ENV, charge


async def main(calls: int, accounts: int) -> None:
    ids = await tasklib.submit_many(
        charge.prepare(account=f"acct{i % accounts}", cents=100 + i) for i in range(calls)
    )
    print(f"queued {len(ids)} charges over {accounts} accounts")
    tasks = [await tasklib.wait_for_task(task_id, timeout=120) for task_id in ids]
    states = {task.state for task in tasks}
    retried = sum(1 for task in tasks if task.retry_count > 0)
    print(f"finished: {', '.join(sorted(states))}; tasks that spent a retry: {retried}")
    base_url = os.environ.get(API_URL_ENV, "http://127.0.0.1:8000")
    async with httpx.AsyncClient(base_url=base_url) as api:
        stats = (await api.get("/stats")).json()
    print(
        f"API: {stats['accepted']} accepted, {stats['refused']} refused (429) in"
        f" {stats['windows']} windows; most refused in one window:"
        f" {stats['most_refused_in_a_window']}"
    )
    await tasklib.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--accounts", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.accounts))
