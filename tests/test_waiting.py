"""tests/support/waiting.py: returns the condition's value; a timeout names what it awaited."""

from __future__ import annotations

import itertools

import pytest

from tests.support.waiting import WaitTimeout, wait_until, wait_until_async


def test_returns_the_first_truthy_value() -> None:
    calls = itertools.count()
    assert wait_until(lambda: [n] if (n := next(calls)) >= 2 else [], what="x", interval=0) == [2]


def test_a_timeout_names_what_was_awaited_and_the_last_state() -> None:
    with pytest.raises(WaitTimeout, match=r"after 0\.05 s waiting for the answer \(last seen: 0\)"):
        wait_until(lambda: 0, what="the answer", timeout=0.05, interval=0.01)
    with pytest.raises(AssertionError, match="waiting for it\n  the log"):
        wait_until(lambda: False, what="it", timeout=0, detail=lambda: "  the log")


def test_errors_end_the_wait_unless_retried() -> None:
    def refuse() -> bool:
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        wait_until(refuse, what="a connection", timeout=5)
    with pytest.raises(WaitTimeout, match="last attempt raised ConnectionError: refused"):
        wait_until(refuse, what="a connection", timeout=0.02, retry_on=(ConnectionError,))


async def test_async_form_takes_plain_and_async_conditions() -> None:
    calls = itertools.count()

    async def ready() -> bool:
        return next(calls) >= 3

    assert await wait_until_async(ready, what="x", interval=0) is True
    assert await wait_until_async(lambda: "done", what="x") == "done"
    with pytest.raises(WaitTimeout, match="waiting for never"):
        await wait_until_async(lambda: None, what="never", timeout=0.02, interval=0.01)
