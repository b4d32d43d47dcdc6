"""The reliability scenarios' reports in pytest's terminal summary, with or without xdist.

Each scenario appends a ScenarioReport (tests/reliability/support.py). Under pytest-xdist a
worker's terminal summary is never shown, so each worker hands its lines to the controller at
the end of its session, and the controller prints them with its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.reliability.support import REPORTS

_OUTPUT_KEY = "tasklib_scenario_reports"
_from_workers: list[str] = []


def _report_lines() -> list[str]:
    return [line for entry in REPORTS for line in entry.lines()]


def pytest_sessionfinish(session: pytest.Session) -> None:
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[_OUTPUT_KEY] = _report_lines()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    _from_workers.extend(getattr(node, "workeroutput", {}).get(_OUTPUT_KEY, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [*_from_workers, *_report_lines()]
    if lines:
        terminalreporter.section("tasklib reliability scenarios")
        for line in lines:
            terminalreporter.write_line(line)
