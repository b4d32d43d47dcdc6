"""Tasks that call a partner's rate-limited HTTP API; its 429 becomes tasklib.RateLimited.

``charge`` posts to the API at $PARTNER_API_URL (examples/flow_control/server.py in the
worked example of docs/flow-control.md). The account is the task's limit key, so the queue's
per-key limits count calls per account; on a 429 the task raises RateLimited with the server's
Retry-After, and TaskLib hands it back (no retry spent) and holds the account's other tasks
until then, so no worker spends a call the API would refuse.

    tasklib worker examples.flow_control.tasks
"""

from __future__ import annotations

import os
from typing import Any

import httpx

import tasklib

API_URL_ENV = "PARTNER_API_URL"

_client: httpx.AsyncClient | None = None


def api() -> httpx.AsyncClient:
    """One HTTP client per worker process: its connections are kept and reused."""
    global _client
    if _client is None:
        _client = httpx.AsyncClient(
            base_url=os.environ.get(API_URL_ENV, "http://127.0.0.1:8000"), timeout=10
        )
    return _client


@tasklib.task(name="flow_control.charge", queue="partner_api", limit_key="account")
async def charge(account: str, cents: int) -> dict[str, Any]:
    """Charge an account through the partner's API."""
    response = await api().post("/charge", json={"account": account, "cents": cents})
    if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
        # Retry-After may also be an HTTP date; this API sends seconds.
        raise tasklib.RateLimited(retry_after=float(response.headers.get("Retry-After", "1")))
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result
