"""Tasks the dashboard tests run with a real worker: some succeed, one fails until fixed."""

from __future__ import annotations

import tasklib

# Cards charge() declines: a test empties it to make a retried charge succeed.
declined: set[str] = set()


class CardDeclinedError(Exception):
    """The card was refused."""


@tasklib.task(name="dashboard.resize")
def resize(path: str, width: int) -> str:
    return f"{path}@{width}"


@tasklib.task(name="dashboard.send_email", queue="mail")
def send_email(to: str) -> str:
    return f"sent to {to}"


@tasklib.task(name="dashboard.charge", queue="billing", max_retries=0)
def charge(card: str, cents: int) -> dict[str, object]:
    if card in declined:
        raise CardDeclinedError(f"card {card} declined for {cents} cents")
    return {"card": card, "charged": cents}


@tasklib.task(name="dashboard.report", queue="reports")
def report(day: str) -> str:
    return f"report {day}"
