"""Migrations: up, down and up again; idempotent; safe when two processes migrate at once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg

import tasklib
from tasklib.migrate import applied_changes, read_plan


def _schema_objects(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'tasklib'
            UNION ALL
            SELECT c.relkind::text || ' ' || c.relname FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'tasklib'
            """
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_migrate_up_down_up(make_database: Callable[[str], str]) -> None:
    url = make_database("updown")
    every_change = [change.name for change in read_plan()]

    assert tasklib.migrate(url) == every_change
    deployed = _schema_objects(url)
    assert "function tasklib.claim(text,integer,text[],double precision,uuid,text[])" in deployed

    assert tasklib.rollback(url) == list(reversed(every_change))
    assert _schema_objects(url) == set()
    assert applied_changes(url) == []

    assert tasklib.migrate(url) == every_change
    assert _schema_objects(url) == deployed


def test_second_migrate_changes_nothing(make_database: Callable[[str], str]) -> None:
    url = make_database("twice")
    tasklib.migrate(url)
    before = _schema_objects(url)
    assert tasklib.migrate(url) == []
    assert _schema_objects(url) == before


def test_concurrent_migrations_apply_each_change_once(make_database: Callable[[str], str]) -> None:
    url = make_database("race")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: tasklib.migrate(url), range(4)))
    applied = [name for result in results for name in result]
    assert sorted(applied) == sorted(change.name for change in read_plan())
    assert applied_changes(url) == [change.name for change in read_plan()]
