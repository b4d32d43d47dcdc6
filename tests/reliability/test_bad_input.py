"""Bad input: every bad submission gets a clear TaskLibError, leaves no row, stops no worker.

Property-based tests (hypothesis) throw arbitrary arguments and tags at the Python client and
arbitrary names, JSON, priorities and delays at tasklib.submit; hand-written cases cover
malformed JSON, unknown names under strict validation, missing and mistyped arguments,
multi-megabyte payloads, NUL characters, int32 bounds, extreme delays and bad configuration.
"""

from __future__ import annotations

import json
import math
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pydantic_core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tasklib
from tasklib.errors import translate
from tasklib.task_types import register_task_types
from tests.reliability import tasks
from tests.reliability.conftest import Scale
from tests.reliability.support import ScenarioReport, fetch, wait_until_settled, workers

T = TypeVar("T")
INT32 = (-(2**31), 2**31 - 1)
MAX_DELAY_SECONDS = 3_155_760_000  # 100 years, the cap in tasklib._check_submission

# Any character, lone surrogates and NUL included: the client must answer every one clearly.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=20)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**100), 2**100)
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture
def client(database_url: str) -> Iterator[str]:
    tasklib.init(tasklib.Config(database_url=database_url))
    yield database_url
    tasklib.close()


def outcome(call: Callable[[], T]) -> tuple[T | None, Exception | None]:
    """The call's value, or the exception it raised (checked outside any except block)."""
    try:
        return call(), None
    except Exception as error:
        return None, error


def count_rows(url: str) -> int:
    return int(fetch(url, "SELECT count(*) FROM tasklib.tasks")[0][0])


def normal(value: Any) -> Any:
    """JSON data compared the way jsonb stores it: every number as a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normal(v) for k, v in value.items()}
    return value


def any_leaf(value: Any, test: Callable[[Any], bool]) -> bool:
    """Whether ``test`` holds for any scalar inside ``value`` (list items, dict keys and values)."""
    if isinstance(value, list | tuple):
        return any(any_leaf(v, test) for v in value)
    if isinstance(value, dict):
        return any(any_leaf(k, test) or any_leaf(v, test) for k, v in value.items())
    return test(value)


def has_nul(value: Any) -> bool:
    return any_leaf(value, lambda leaf: isinstance(leaf, str) and "\x00" in leaf)


def has_surrogate(value: Any) -> bool:
    return any_leaf(
        value, lambda leaf: isinstance(leaf, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in leaf)
    )


def has_non_finite(value: Any) -> bool:
    return any_leaf(value, lambda leaf: isinstance(leaf, float) and not math.isfinite(leaf))


# -- the Python client ---------------------------------------------------------------------


def test_client_submit_arguments_and_tags_property(
    client: str, scale: Scale, report: ScenarioReport
) -> None:
    outcomes = {"stored": 0, "rejected": 0}

    @settings(
        max_examples=scale.hypothesis_examples,
        # CI replays the same examples on every run, so a pass or a failure is reproducible;
        # soak mode explores new ones each time.
        derandomize=not scale.soak,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        # Mostly valid values, so that both outcomes are exercised.
        text=st.text(max_size=20) | ANY_TEXT | st.integers() | st.none(),
        number=st.integers(-(2**80), 2**80) | st.floats() | ANY_TEXT,
        items=st.none() | st.lists(st.integers(-(2**70), 2**70), max_size=5),
        tags=st.none() | st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4),
        priority=st.none() | st.integers(-(2**40), 2**40),
    )
    def check(text: Any, number: Any, items: Any, tags: Any, priority: Any) -> None:
        before = count_rows(client)
        kwargs = {"text": text, "number": number, "items": items}
        task_id, error = outcome(
            lambda: tasklib.submit_task_sync(tasks.echo, tags=tags, priority=priority, **kwargs)
        )
        if error is not None:
            assert isinstance(error, tasklib.TaskLibError), repr(error)
            assert str(error).strip(), "the error says what is wrong"
            assert count_rows(client) == before, "a rejected submission leaves no row"
            if (has_nul(kwargs) or has_nul(tags)) and not isinstance(
                error, tasklib.TaskValidationError
            ):
                assert "NUL" in str(error) or "surrogate" in str(error), str(error)
            outcomes["rejected"] += 1
            return
        # Accepted: exactly one row, holding what the function will be called with.
        assert count_rows(client) == before + 1
        assert task_id is not None
        row = tasklib.get_task(task_id)
        expected = tasks.echo.validate_args(kwargs)
        assert row.args == expected
        assert tasks.echo.rebuild_args(row.args) == tasks.echo.rebuild_args(expected)
        assert normal(row.tags) == normal(json.loads(pydantic_core.to_json(tags or {})))
        assert row.priority == (priority if priority is not None else 0)
        assert not has_nul(kwargs)
        assert not has_nul(tags)
        assert not has_surrogate(kwargs)
        assert not has_surrogate(tags)
        assert not has_non_finite(tags)
        outcomes["stored"] += 1

    check()
    assert outcomes["stored"], outcomes
    assert outcomes["rejected"], outcomes
    report.figures.append(
        f"hypothesis: {outcomes['stored']} submissions stored intact, "
        f"{outcomes['rejected']} rejected with a TaskLibError and no row"
    )


# -- the SQL API ---------------------------------------------------------------------------


def test_sql_submit_property(database_url: str, scale: Scale, report: ScenarioReport) -> None:
    outcomes = {"stored": 0, "rejected": 0}
    conn = psycopg.connect(database_url, autocommit=True)

    @settings(
        max_examples=scale.hypothesis_examples,
        # CI replays the same examples on every run, so a pass or a failure is reproducible;
        # soak mode explores new ones each time.
        derandomize=not scale.soak,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        name=st.text(max_size=300),
        args=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4),
        tags=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4),
        priority=st.none() | st.integers(*INT32),
        delay=st.floats(allow_nan=True, allow_infinity=True)
        | st.floats(min_value=0, max_value=1e9),
    )
    def check(name: str, args: Any, tags: Any, priority: Any, delay: float) -> None:
        before = count_rows(database_url)
        # NaN and infinity are not JSON: the caller's encoder refuses them first.
        try:
            args_json, tags_json = json.dumps(args, allow_nan=False), json.dumps(tags)
        except ValueError:
            return
        if has_non_finite(tags):
            return
        # Delays are capped at 100 years, so that now() + delay is always a valid timestamp.
        bad_option = name == "" or len(name) > 255 or not (0 <= delay <= MAX_DELAY_SECONDS)
        row, error = outcome(
            lambda: conn.execute(
                "SELECT tasklib.submit(name => %s, args => %s::jsonb, delay_seconds => %s,"
                " priority => %s::integer, tags => %s::jsonb)",
                (name, args_json, delay, priority, tags_json),
            ).fetchone()
        )
        if error is not None:
            assert isinstance(error, psycopg.Error), repr(error)
            mapped = translate(error)
            assert isinstance(mapped, tasklib.TaskLibError)
            assert str(mapped).strip()
            assert count_rows(database_url) == before
            if has_nul(name) or has_nul(args) or has_nul(tags):
                # psycopg refuses NUL in a text parameter; jsonb refuses \u0000.
                assert isinstance(error, psycopg.DataError), error
                assert "NUL" in str(mapped) or "0x00" in str(mapped), str(mapped)
            elif has_surrogate(args) or has_surrogate(tags):
                # JSON may escape a lone surrogate; jsonb cannot hold it.
                assert isinstance(error, psycopg.DataError), error
                assert "surrogate" in str(mapped), str(mapped)
            elif bad_option:
                assert error.sqlstate == "TL002", error
            else:
                raise AssertionError(f"a valid submission was refused: {error}") from error
            outcomes["rejected"] += 1
            return
        assert not bad_option
        assert row is not None
        stored = fetch(
            database_url,
            "SELECT name, args, tags, priority FROM tasklib.tasks WHERE id = %s",
            (row[0],),
        )[0]
        assert stored[0] == name
        assert normal(stored[1]) == normal(args)
        assert normal(stored[2]) == normal(tags)
        assert stored[3] == (priority if priority is not None else 0)
        assert count_rows(database_url) == before + 1
        outcomes["stored"] += 1

    try:
        check()
    finally:
        conn.close()
    assert outcomes["stored"], outcomes
    assert outcomes["rejected"], outcomes
    report.figures.append(
        f"hypothesis: {outcomes['stored']} SQL submissions stored intact, "
        f"{outcomes['rejected']} rejected with a clear SQLSTATE and no row"
    )


# (label, SQL, parameters, setup, expected TaskLibError class, words the message must have)
SQL_CASES: list[tuple[str, str, tuple[Any, ...], str, type[tasklib.TaskLibError], str]] = [
    (
        "malformed JSON",
        "SELECT tasklib.submit('rel.echo', %s::jsonb)",
        ('{"text": ',),
        "",
        tasklib.InvalidArgumentError,
        "json",
    ),
    (
        "args not an object",
        "SELECT tasklib.submit('rel.echo', %s::jsonb)",
        ('["a"]',),
        "",
        tasklib.InvalidArgumentError,
        "must be a JSON object",
    ),
    (
        "unknown name, strict",
        "SELECT tasklib.submit('rel.no_such_task', '{}')",
        (),
        "SET tasklib.submit_validation = 'strict'",
        tasklib.UnknownTaskError,
        "unknown task rel.no_such_task",
    ),
    (
        "missing argument",
        "SELECT tasklib.submit('rel.echo', %s::jsonb)",
        ('{"number": 1}',),
        "",
        tasklib.ArgumentSchemaError,
        'missing required key "text"',
    ),
    (
        "mistyped argument",
        "SELECT tasklib.submit('rel.echo', %s::jsonb)",
        ('{"text": 5}',),
        "",
        tasklib.ArgumentSchemaError,
        'key "text" must be string',
    ),
    (
        "unexpected argument",
        "SELECT tasklib.submit('rel.echo', %s::jsonb)",
        ('{"text": "a", "colour": "red"}',),
        "",
        tasklib.ArgumentSchemaError,
        'unexpected key "colour"',
    ),
    (
        "NUL character in JSON",
        "SELECT tasklib.submit('rel.echo', %s::jsonb)",
        ('{"text": "a\\u0000b"}',),
        "",
        tasklib.InvalidArgumentError,
        "NUL",
    ),
    (
        "priority above int32",
        "SELECT tasklib.submit('rel.echo', '{\"text\": \"a\"}', priority => %s::integer)",
        (2**31,),
        "",
        tasklib.InvalidArgumentError,
        "out of range",
    ),
    (
        "priority below int32",
        "SELECT tasklib.submit('rel.echo', '{\"text\": \"a\"}', priority => %s::integer)",
        (-(2**31) - 1,),
        "",
        tasklib.InvalidArgumentError,
        "out of range",
    ),
    (
        "negative delay",
        "SELECT tasklib.submit('rel.echo', '{\"text\": \"a\"}', delay_seconds => %s)",
        (-1.0,),
        "",
        tasklib.InvalidArgumentError,
        "delay_seconds",
    ),
    (
        "infinite delay",
        "SELECT tasklib.submit('rel.echo', '{\"text\": \"a\"}', delay_seconds => %s)",
        (math.inf,),
        "",
        tasklib.InvalidArgumentError,
        "delay_seconds",
    ),
    (
        "delay past the end of time",
        "SELECT tasklib.submit('rel.echo', '{\"text\": \"a\"}', delay_seconds => %s)",
        (1e300,),
        "",
        tasklib.InvalidArgumentError,
        "100 years",
    ),
    (
        "a bad task in a batch",
        "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)",
        (
            json.dumps(
                [
                    {"name": "rel.echo", "args": {"text": "ok"}},
                    {"name": "rel.echo", "args": {"text": "ok too"}},
                    {"name": "rel.echo", "args": {"text": 3}},
                ]
            ),
        ),
        "",
        tasklib.ArgumentSchemaError,
        'key "text" must be string',
    ),
]


@pytest.mark.parametrize(
    ("label", "query", "params", "setup", "expected", "words"),
    SQL_CASES,
    ids=[case[0] for case in SQL_CASES],
)
def test_bad_sql_submission(
    database_url: str,
    label: str,
    query: str,
    params: tuple[Any, ...],
    setup: str,
    expected: type[tasklib.TaskLibError],
    words: str,
) -> None:
    register_task_types(database_url, [tasks.echo])
    with psycopg.connect(database_url, autocommit=True) as conn:
        if setup:
            conn.execute(setup)
        with pytest.raises(psycopg.Error) as raised:
            conn.execute(query, params)
    error = translate(raised.value)
    assert isinstance(error, expected), (label, error)
    assert words.lower() in str(error).lower(), (label, str(error))
    assert count_rows(database_url) == 0


def test_extreme_but_valid_values_are_stored_exactly(client: str) -> None:
    low = tasklib.submit_task_sync(tasks.echo, text="low", priority=INT32[0])
    high = tasklib.submit_task_sync(tasks.echo, text="high", priority=INT32[1])
    later = tasklib.submit_task_sync(tasks.echo, text="later", delay_seconds=1e9)
    assert tasklib.get_task(low).priority == INT32[0]
    assert tasklib.get_task(high).priority == INT32[1]
    assert tasklib.get_task(later).scheduled_at.year >= 2050
    for priority in (INT32[1] + 1, INT32[0] - 1):
        with pytest.raises(tasklib.InvalidArgumentError, match="out of range"):
            tasklib.submit_task_sync(tasks.echo, text="x", priority=priority)
    assert count_rows(client) == 3


def test_nul_and_surrogates_from_python_are_clear_errors(client: str) -> None:
    for kwargs, tags in (
        ({"text": "a\x00b"}, None),
        ({"text": "a"}, {"k": "v\x00"}),
        ({"text": "a", "items": None}, {"k\x00": 1}),
    ):
        with pytest.raises(tasklib.InvalidArgumentError, match="NUL"):
            tasklib.submit_task_sync(tasks.echo, tags=tags, **kwargs)
    with pytest.raises(tasklib.TaskLibError, match="surrogate"):
        tasklib.submit_task_sync(tasks.echo, text="\ud800")
    with pytest.raises(tasklib.TaskLibError, match="surrogate"):
        tasklib.submit_task_sync(tasks.echo, text="a", tags={"k": "\udfff"})
    assert count_rows(client) == 0


# -- configuration -------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "mysql://localhost/db",
        "localhost:5432",
        "postgresql://a b",
        "postgresql://h/db?colour=red",
        "postgresql://h:notaport/db",
        "postgresql://h/db?sslmode=bogus",
    ],
)
def test_malformed_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(tasklib.ConfigurationError, match="database_url"):
        tasklib.Config(database_url=url)


def test_unreachable_server_is_a_database_unavailable_error(report: ScenarioReport) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere?connect_timeout=2"
    tasklib.init(tasklib.Config(database_url=url))
    began = time.monotonic()
    try:
        with pytest.raises(tasklib.DatabaseUnavailableError) as raised:
            tasklib.submit_task_sync(tasks.echo, text="x")
    finally:
        tasklib.close()
    waited = time.monotonic() - began
    # One direct attempt reports the refusal at once, naming where it tried.
    assert waited < 10
    assert "127.0.0.1" in str(raised.value)
    assert "refused" in str(raised.value)
    report.run_twice["-"] = 0
    report.figures.append(f"submit to a closed port: {raised.value} (after {waited:.1f} s)")


def test_worker_with_an_unreachable_server_exits_3_and_says_why(tmp_path: Path) -> None:
    """Unreachable at start: a wrong URL or a server that is down. The worker says so and exits
    (3, as `tasklib status`); it reconnects only to a server it once reached (tests/worker)."""
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere"
    with workers(url, tmp_path) as group:
        worker = group.start("waiting")
        assert group.procs[worker].wait(30) == 3, group.log(worker)
        assert "Connection refused" in group.log(worker)


def test_worker_with_malformed_url_exits_with_the_reason(tmp_path: Path) -> None:
    with workers("mysql://localhost/db", tmp_path) as group:
        worker = group.start("misconfigured")
        assert group.procs[worker].wait(30) == 2
        assert "database_url must start with postgresql://" in group.log(worker)


# -- a worker meanwhile --------------------------------------------------------------------


def test_worker_keeps_running_through_bad_input(
    database_url: str, records: Path, report: ScenarioReport
) -> None:
    """Bad submissions around a live worker, and bad rows that reach it: it runs on."""
    # Just under the 1 MiB limit on args (tasklib.limits()).
    big = "x" * (2**20 - 64)
    with workers(database_url, records, "--poll-interval", "0.2") as group:
        worker = group.start("steady")
        group.wait_until_announced([worker])
        rejected = 0
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("SET tasklib.submit_validation = 'strict'")
            for _label, query, params, _setup, _expected, _words in SQL_CASES:
                with pytest.raises(psycopg.Error):
                    conn.execute(query, params)
                rejected += 1
            conn.execute("SET tasklib.submit_validation = 'off'")
            # Past the submit checks (validation off), a wrong row reaches the worker, which
            # fails it at once without retries and goes on; a name no worker can run is not
            # claimed at all: it waits, pending, for a worker that can.
            conn.execute("SELECT tasklib.submit('rel.echo', '{\"text\": 5}', max_retries => 3)")
            conn.execute("SELECT tasklib.submit('rel.nobody', '{}', max_retries => 3)")
            conn.execute("RESET tasklib.submit_validation")
            # A payload near the size limit is accepted and round-trips through the worker.
            conn.execute(
                "SELECT tasklib.submit('rel.echo', %s::jsonb)", (json.dumps({"text": big}),)
            )
            conn.execute("SELECT tasklib.submit('rel.echo', '{\"text\": \"after\"}')")
        # The tasks submitted after rel.nobody finish: the worker had every chance to take it.
        settled = wait_until_settled(database_url, 3, within=60, where="name <> 'rel.nobody'")
        assert group.alive() == [worker]
        assert group.stop_all() == {worker: 0}
    rows = {
        str(name_and_text): (state, retry_count, result, error)
        for name_and_text, state, retry_count, result, error in fetch(
            database_url,
            "SELECT name || ':' || left(coalesce(args->>'text', ''), 5), state, retry_count,"
            " result, error FROM tasklib.tasks",
        )
    }
    assert rows["rel.echo:after"][:3] == ("completed", 0, {"value": "after"})
    assert rows["rel.echo:xxxxx"][0] == "completed"
    assert fetch(
        database_url,
        "SELECT length(result->>'value') FROM tasklib.tasks WHERE args->>'text' LIKE 'xxx%%'",
    ) == [(len(big),)]
    mistyped = rows["rel.echo:5"]
    assert mistyped[:2] == ("failed", 0)
    assert "text" in mistyped[3]
    unknown = rows["rel.nobody:"]
    assert unknown == ("pending", 0, None, None)
    report.submitted = rejected + 4
    report.completed = settled.completed
    report.failed_as_expected = settled.failed
    report.run_twice["-"] = 0
    report.figures.append(
        f"{rejected} bad SQL submissions rejected around a live worker; a row with bad arguments "
        "(validation off) failed once without retry, one naming a task no worker runs stayed "
        "pending; a payload near the 1 MiB limit and a normal task completed"
    )
