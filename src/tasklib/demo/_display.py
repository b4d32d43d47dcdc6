"""What `tasklib demo` shows: the live progress bars and the closing report."""

from __future__ import annotations

import json
from statistics import mean
from types import TracebackType
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from tasklib.cli._status import status_table
from tasklib.demo._samples import sample_tasks

_OVERALL = "all tasks"


def intro(count: int, run_id: str, seconds: float) -> RenderableType:
    """The lines printed once the batch is queued."""
    return Text.assemble(
        ("Submitted ", ""),
        (f"{count} tasks", "bold"),
        (f" in one submit_many call ({seconds * 1000:.0f} ms), all tagged ", ""),
        (f"demo_run={run_id}", "cyan"),
        (
            f".\nStarting a TaskWorker on queue {sample_tasks().DEMO_QUEUE!r}; "
            "each bar counts finished tasks.",
            "",
        ),
    )


class LiveProgress:
    """One bar per task name plus one for all tasks, redrawn from STATUS_SQL counts."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
            transient=False,
            refresh_per_second=8,
        )
        self._bars: dict[str, TaskID] = {}

    def __enter__(self) -> LiveProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, traceback)

    def update(self, status: dict[str, Any]) -> None:
        """Move every bar to the counts in ``status`` (as returned by status_from_rows)."""
        for name, counts in [(_OVERALL, status["overall"])] + [
            (row["name"], row) for row in status["by_name"]
        ]:
            finished = counts["completed"] + counts["failed_permanent"] + counts["cancelled"]
            bar = self._bars.get(name)
            if bar is None:
                bar = self._progress.add_task(name, total=counts["total"], detail="")
                self._bars[name] = bar
            self._progress.update(
                bar, completed=finished, total=counts["total"], detail=_detail(counts)
            )


def _detail(counts: dict[str, int]) -> str:
    parts = [
        f"{counts['pending']} waiting" if counts["pending"] else "",
        f"{counts['running']} running" if counts["running"] else "",
        f"{counts['failed_retrying']} retrying" if counts["failed_retrying"] else "",
        f"{counts['failed_permanent']} failed" if counts["failed_permanent"] else "",
    ]
    return " · ".join(part for part in parts if part)


def report(
    status: dict[str, Any],
    rows: list[dict[str, Any]],
    run_id: str,
    problems: list[str],
    seconds: float,
) -> RenderableType:
    """The closing report: status table, sample results and errors, checks, next steps."""
    parts: list[RenderableType] = [
        Text(""),
        status_table(status, title=f"Status of demo run {run_id}"),
        Text(""),
        _results(rows),
        Text(""),
        _errors(rows),
        Text(""),
        _observations(rows),
        Text(""),
        _verdict(rows, problems, seconds),
        Text(""),
        _next_steps(rows, run_id),
    ]
    return Group(*parts)


def _results(rows: list[dict[str, Any]]) -> RenderableType:
    table = Table(title="A result of each task", title_justify="left", box=None, pad_edge=False)
    table.add_column("task", style="bold", no_wrap=True)
    table.add_column("retries", justify="right")
    table.add_column("result (tasks.result)")
    # One completed task per name, the most retried one, so that retries show when there are.
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        best = chosen.get(row["name"])
        if row["state"] == "completed" and (
            best is None or row["retry_count"] > best["retry_count"]
        ):
            chosen[row["name"]] = row
    for name, row in sorted(chosen.items()):
        value = json.dumps(row["result"]["value"] if row["result"] else None)
        table.add_row(name, str(row["retry_count"]), _clip(value, 60))
    flaky = [r for r in rows if r["name"] == "demo.flaky_api" and r["state"] == "completed"]
    retried = [r for r in flaky if r["retry_count"] > 0]
    note = Text(
        f"demo.flaky_api: {len(retried)} of {len(flaky)} calls failed once or twice and "
        "completed on a retry (backoff 0.2 s x 2^retry_count).",
        style="dim",
    )
    return Group(table, note)


def _errors(rows: list[dict[str, Any]]) -> RenderableType:
    # Two lines per failure rather than a table: the id and the error line do not fit side by
    # side in 80 columns, and both are worth showing whole.
    failed = [r for r in rows if r["state"] == "failed" and r["terminal"]]
    lines = [Text(f"Permanent failures ({len(failed)}): every attempt failed", style="italic")]
    for row in failed[:3]:
        attempts = f"{row['retry_count'] + 1}/{row['max_retries'] + 1} attempts"
        lines.append(Text.assemble(f"  {row['id']}  ", (row["name"], "bold"), f"  {attempts}"))
        lines.append(Text(f"    {_last_line(row['error'])}", style="red"))
    if len(failed) > 3:
        lines.append(Text(f"  ... and {len(failed) - 3} more", style="dim"))
    return Group(*lines)


def _observations(rows: list[dict[str, Any]]) -> RenderableType:
    def waits(name: str) -> list[float]:
        return [
            (r["started_at"] - r["created_at"]).total_seconds()
            for r in rows
            if r["name"] == name and r["started_at"] is not None
        ]

    high, low, delayed = (
        waits("demo.alert_admin"),
        waits("demo.cleanup_logs"),
        waits("demo.send_reminder"),
    )
    lines = []
    if high and low:
        lines.append(
            f"Priority: demo.alert_admin (priority 100, submitted last) waited {mean(high):.2f} s "
            f"on average; demo.cleanup_logs (priority -10, submitted first) {mean(low):.2f} s."
        )
    if delayed:
        lines.append(
            "Delay: demo.send_reminder was submitted with "
            f"delay_seconds={sample_tasks().REMINDER_DELAY_SECONDS:g}"
            f" and started after {min(delayed):.2f} s at the earliest."
        )
    lines.append(
        'Tags: demo.send_email carries {"campaign": "welcome", "cohort": "2025-10"}; '
        "`tasklib tasks list --tag campaign=welcome` finds them."
    )
    return Group(*(Text(line) for line in lines))


def _verdict(rows: list[dict[str, Any]], problems: list[str], seconds: float) -> RenderableType:
    if not problems:
        completed = sum(1 for r in rows if r["state"] == "completed")
        failed = sum(1 for r in rows if r["state"] == "failed")
        return Text(
            f"✓ All {len(rows)} tasks ended as expected in {seconds:.1f} s: "
            f"{completed} completed, {failed} failed permanently (declined cards).",
            style="bold green",
        )
    lines = [Text(f"✗ {len(problems)} expectation(s) not met:", style="bold red")]
    lines += [Text(f"  {problem}", style="red") for problem in problems[:10]]
    if len(problems) > 10:
        lines.append(Text(f"  ... and {len(problems) - 10} more", style="red"))
    return Group(*lines)


def _next_steps(rows: list[dict[str, Any]], run_id: str) -> RenderableType:
    failed = next((r for r in rows if r["state"] == "failed"), None)
    commands = [
        "tasklib status",
        f"tasklib tasks list --tag demo_run={run_id} --state failed",
    ]
    if failed is not None:
        commands += [f"tasklib tasks show {failed['id']}", f"tasklib tasks retry {failed['id']}"]
    commands.append("tasklib purge --older-than 7d")
    body = Group(*(Text(f"  {command}", style="cyan") for command in commands))
    return Group(Text("Look around (same database; add --database-url if you gave one):"), body)


def _last_line(error: str | None) -> str:
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
