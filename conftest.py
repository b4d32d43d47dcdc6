"""Registers the test database and pgTAP plugins for both tests/ and sqltests/."""

pytest_plugins = [
    "tests.support.database",
    "tests.support.pgbouncer",
    "tests.support.pgtap",
    "tests.support.scenario_reports",
]
