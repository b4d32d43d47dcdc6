"""Renders a result JSON: the results half of docs/benchmarks.md, and a PNG chart beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
CHART = REPO / "docs" / "benchmarks.png"
RESULTS = REPO / "bench" / "results"
MARKER = "<!-- Everything below is rendered by `python -m bench report`; edit above this line. -->"

# (key in a system's results, label, unit, higher is better)
METRICS = (
    ("single_submits_per_s", "Single submits (one client, sequential awaits)", "/s", True),
    ("bulk_submits_per_s", "Bulk submits (batches of {bulk_batch})", "/s", True),
    ("drain_1", "Throughput, 1 worker process ({drain_n:,} no-ops)", "tasks/s", True),
    ("drain_2", "Throughput, 2 worker processes ({drain_n:,} no-ops)", "tasks/s", True),
    ("latency_ms.p50", "Idle pickup latency p50 ({latency_n} tasks)", "ms", False),
    ("latency_ms.p95", "Idle pickup latency p95", "ms", False),
    ("latency_ms.p99", "Idle pickup latency p99", "ms", False),
)


def newest_full() -> Path:
    # A run of the workload items alone (no system in "systems") is shown beside another run.
    found = [
        path
        for path in sorted(RESULTS.glob("*-full.json"))
        if json.loads(path.read_text()).get("systems")
    ]
    if not found:
        raise SystemExit("no full run in bench/results/ yet: run `python -m bench run` first")
    return found[-1]


def _workload_source(result: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The run whose workload and memory items (8 and 9) to show: this one's, or else those of
    the newest full run that measured them (they are often run alone: --items io,...,memory)."""
    if "workloads" in result or "memory" in result:
        return result, ""
    for path in sorted(RESULTS.glob("*-full.json"), reverse=True):
        other = json.loads(path.read_text())
        if "workloads" in other or "memory" in other:
            machine = other["machine"]
            return other, (
                f"Items 8 and 9 come from another full-size run, `bench/results/{path.name}` "
                f"(`{other['command']}`, started {other['started_at']}, commit "
                f"{other.get('commit')}, load average {machine['loadavg_at_start'][0]:.2f} at "
                f"start and {machine.get('loadavg_at_end', [0])[0]:.2f} at end, PostgreSQL "
                f"{other.get('postgresql', {}).get('settings', {}).get('server_version', '?')}, "
                f"Redis {other.get('redis', {}).get('version', '–')}; every system of these "
                "items in that same run).\n\n"
            )
    return None, ""


def _get(system: dict[str, Any], key: str) -> dict[str, Any] | None:
    node: Any = system
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) and "median" in node else None


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(figure: dict[str, Any] | None, runs: int) -> str:
    if figure is None:
        return "–"
    text = _fmt(figure["median"])
    if runs > 1:
        text += f" ({_fmt(figure['min'])}–{_fmt(figure['max'])})"
    return text + (" †" if figure.get("capped") else "")


def _ratio(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> str:
    if ours is None or theirs is None or not theirs["median"]:
        return "–"
    return f"{ours['median'] / theirs['median']:.2f}×"


def _best_throughput(system: dict[str, Any]) -> dict[str, Any] | None:
    figures = [f for f in (_get(system, "drain_1"), _get(system, "drain_2")) if f is not None]
    return max(figures, key=lambda f: f["median"]) if figures else None


def _ceiling(result: dict[str, Any]) -> dict[str, Any] | None:
    clients = result.get("pgbench", {}).get("clients", {})
    figures = [entry["rows_per_s"] for entry in clients.values()]
    return max(figures, key=lambda f: f["median"]) if figures else None


def _commit_note(result: dict[str, Any]) -> str:
    rate = result.get("postgresql", {}).get("plain_commits_per_s")
    if rate is None:
        return ""
    return (
        f"One client's plain one-row INSERT commits: {rate:,.0f}/s (the disk's flush latency, "
        "which bounds any durable single submit). "
    )


def markdown(result: dict[str, Any], chart_name: str | None) -> str:
    sizes, runs = result["sizes"], result["sizes"]["runs"]
    systems = result["systems"]
    names = list(systems)
    ok = [n for n in names if systems[n].get("status") == "ok"]
    out: list[str] = []
    add = out.append
    mode = "full run" if result["mode"] == "full" else "QUICK smoke test: small sizes, noisy"
    add(f"## Results of {result['started_at']} ({mode})\n")
    machine = result["machine"]
    pg = result.get("postgresql", {}).get("settings", {})
    add(
        f"Machine: {machine['cpu_count']} × {machine['cpu_model']}, {machine['memory_gib']} GiB; "
        f"load average {machine['loadavg_at_start'][0]:.2f} at start, "
        f"{machine.get('loadavg_at_end', [0])[0]:.2f} at end. "
        f"PostgreSQL {pg.get('server_version', '?')} (fsync={pg.get('fsync')}, "
        f"synchronous_commit={pg.get('synchronous_commit')}, "
        f"shared_buffers={pg.get('shared_buffers')}). "
        + _commit_note(result)
        + f"Redis {result.get('redis', {}).get('version', '–')}. Commit {result.get('commit')}. "
        f"Each figure is the median of {runs} run(s)"
        + (", with the range of the runs in parentheses." if runs > 1 else ".")
        + "\n"
    )
    header = "| | " + " | ".join(systems[n]["label"] for n in ok) + " |"
    add(header)
    add("|---" * (len(ok) + 1) + "|")
    for key, label, unit, _higher in METRICS:
        cells = [_cell(_get(systems[n], key), runs) for n in ok]
        add(f"| {label.format(**sizes)} ({unit}) | " + " | ".join(cells) + " |")
    for n in ok:
        for variant in systems[n].get("single_submit_variants", {}).values():
            add(
                f"\n{systems[n]['label']} single submits with {variant['label']}: "
                f"{_cell(variant, runs)}/s."
            )
    capped = [
        systems[n]["label"]
        for n in ok
        if any((_get(systems[n], k) or {}).get("capped") for k in ("drain_1", "drain_2"))
    ]
    if capped:
        add(
            f"\n† stopped at the {sizes['drain_cap_seconds']:.0f} s cap before the queue was empty "
            f"({', '.join(capped)}); the rate is what completed by then.\n"
        )
    smaller = {
        systems[n]["label"]: systems[n]["drain_1"]["details"][0]["submitted"]
        for n in ok
        if "drain_1" in systems[n]
        and systems[n]["drain_1"]["details"][0]["submitted"] != sizes["drain_n"]
    }
    if smaller:
        listed = ", ".join(f"{label} {count:,}" for label, count in smaller.items())
        add(f"\nDrains of fewer than {sizes['drain_n']:,} tasks (for time): {listed}.\n")
    failed = [n for n in names if systems[n].get("status") != "ok"]
    for name in failed:
        add(f"\n{systems[name]['label']}: {systems[name].get('status')}\n")

    if "tasklib" in ok:
        ours = systems["tasklib"]
        add("\n### TaskLib relative to each peer\n")
        add("Above 1× is better for TaskLib in the rate rows, below 1× in the latency rows.\n")
        peers = [n for n in ok if n != "tasklib"]
        add("| | " + " | ".join(f"TaskLib / {systems[n]['label']}" for n in peers) + " |")
        add("|---" * (len(peers) + 1) + "|")
        for key, label, _unit, _higher in METRICS:
            cells = [_ratio(_get(ours, key), _get(systems[n], key)) for n in peers]
            add(f"| {label.format(**sizes)} | " + " | ".join(cells) + " |")

    ceiling = _ceiling(result)
    if "pgbench" in result and "clients" in result["pgbench"]:
        bench = result["pgbench"]
        add("\n### The pgbench ceiling\n")
        add(
            f"`{bench.get('pgbench', 'pgbench')}` running TaskLib's own batched claim and complete "
            f"of {bench['batch']} rows for {bench['seconds']} s on a table pre-filled with "
            f"{bench['prefilled_rows']:,} pending tasks:\n"
        )
        add("| Clients | Rows claimed and completed per second |")
        add("|---|---|")
        for clients, entry in bench["clients"].items():
            note = " (ran out of rows: a lower bound)" if entry["exhausted"] else ""
            add(f"| {clients} | {_cell(entry['rows_per_s'], runs)}{note} |")
        if "tasklib" in ok and ceiling is not None:
            best = _best_throughput(systems["tasklib"])
            if best is not None:
                add(
                    f"\nTaskLib's best end-to-end throughput is "
                    f"{best['median'] / ceiling['median']:.0%} of the best pgbench figure "
                    f"({_fmt(best['median'])} / {_fmt(ceiling['median'])} per second).\n"
                )
        add("\n```\n" + bench["script"].rstrip() + "\n```\n")
    elif "pgbench" in result:
        add(f"\npgbench: {result['pgbench'].get('status')}\n")

    history = result.get("claim_history", {})
    if "sizes" in history:
        add("\n### Claim cost as history grows (TaskLib)\n")
        add(
            f"Time for one `tasklib.claim(worker, {history['batch']})` round trip with finished "
            f"tasks in the table (median of {history['cycles_per_run']} claims per run):\n"
        )
        add("| Finished tasks | Claim of 100 (ms) | Plan uses tasks_claim_idx |")
        add("|---|---|---|")
        for size, entry in history["sizes"].items():
            used = "yes" if entry["uses_tasks_claim_idx"] else "**no**"
            add(f"| {int(size):,} | {_cell(entry['claim_ms'], runs)} | {used} |")
        add(f"\nLargest / smallest: {history['ratio_large_to_small']:.2f}×.\n")
        largest = max(history["sizes"], key=int)
        add(f"Plan of claim's inner query at {int(largest):,} finished tasks (auto_explain):\n")
        add("```\n" + history["sizes"][largest]["plan"].rstrip() + "\n```\n")

    if "flow" in result:
        from bench import flow

        add("\n" + flow.markdown(result["flow"]))

    from bench import workloads

    source, note = _workload_source(result)
    if source is not None:
        add("\n" + note + workloads.markdown(source))

    add(_targets(result, ok, ceiling))
    add("\n### Settings of each system\n")
    for name in names:
        settings = systems[name].get("settings")
        if settings:
            add(f"- {systems[name]['label']}: `{json.dumps(settings, sort_keys=True)}`")
    versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    add(f"\nVersions: {versions}.\n")
    if chart_name:
        add(f"\n![Benchmark chart]({chart_name})\n")
    return "\n".join(out) + "\n"


def _targets(result: dict[str, Any], ok: list[str], ceiling: dict[str, Any] | None) -> str:
    """Issue 7's floor, each line measured against this run."""
    if "tasklib" not in ok:
        return ""
    systems = result["systems"]
    ours = systems["tasklib"]
    rows: list[tuple[str, str, bool | None]] = []

    def median(figure: dict[str, Any] | None) -> float | None:
        return None if figure is None else float(figure["median"])

    best = median(_best_throughput(ours))
    pgq = median(_best_throughput(systems["pgqueuer"])) if "pgqueuer" in ok else None
    rows.append(("Throughput ≥ 10,000 tasks/s", _opt(best, "{:,.0f}/s"), _ge(best, 10_000)))
    rows.append(
        (
            "Throughput ≥ 2× PgQueuer's best",
            _opt(best / pgq if best and pgq else None, "{:.2f}×"),
            _ge(best / pgq if best and pgq else None, 2.0),
        )
    )
    share = best / ceiling["median"] if best and ceiling else None
    rows.append(("Throughput ≥ 40% of the pgbench ceiling", _opt(share, "{:.0%}"), _ge(share, 0.4)))
    single = median(_get(ours, "single_submits_per_s"))
    rows.append(
        (
            "Single submits ≥ 2,000/s (submit_task, durable)",
            _opt(single, "{:,.0f}/s"),
            _ge(single, 2000),
        )
    )
    for variant in ours.get("single_submit_variants", {}).values():
        rate = median(variant)
        rows.append(
            (
                f"Single submits ≥ 2,000/s: {variant['label']}",
                _opt(rate, "{:,.0f}/s"),
                _ge(rate, 2000),
            )
        )
    bulk = median(_get(ours, "bulk_submits_per_s"))
    rows.append(("Bulk submits ≥ 50,000/s", _opt(bulk, "{:,.0f}/s"), _ge(bulk, 50_000)))
    p50 = median(_get(ours, "latency_ms.p50"))
    rows.append(("Pickup p50 ≤ 2 ms", _opt(p50, "{:.2f} ms"), None if p50 is None else p50 <= 2))
    p99 = median(_get(ours, "latency_ms.p99"))
    rows.append(("Pickup p99 ≤ 15 ms", _opt(p99, "{:.2f} ms"), None if p99 is None else p99 <= 15))
    ratio = result.get("claim_history", {}).get("ratio_large_to_small")
    rows.append(
        (
            "Claim at the largest history ≤ 1.5× the smallest",
            _opt(ratio, "{:.2f}×"),
            None if ratio is None else ratio <= 1.5,
        )
    )
    lines = [
        "\n### Issue 7's targets, against this run\n",
        "| Target | Measured | Met |",
        "|---|---|---|",
    ]
    for target, measured, met in rows:
        lines.append(
            f"| {target} | {measured} | {'–' if met is None else ('yes' if met else '**no**')} |"
        )
    return "\n".join(lines) + "\n"


def _opt(value: float | None, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def _ge(value: float | None, floor: float) -> bool | None:
    return None if value is None else value >= floor


def chart(result: dict[str, Any], path: Path) -> None:
    """Four panels: throughput with the ceiling, submits, pickup latency, claim vs history."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = result["systems"]
    ok = [n for n in systems if systems[n].get("status") == "ok"]
    labels = [systems[n]["label"] for n in ok]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    title = "TaskLib and peers, no-op tasks"
    if result["mode"] != "full":
        title += " — QUICK smoke test, noisy"
    fig.suptitle(f"{title} ({result['machine']['cpu_count']} cores, {result['started_at']})")

    def bars(ax: Any, keys: list[tuple[str, str]], ylabel: str, log: bool) -> None:
        width = 0.8 / len(keys)
        for index, (key, name) in enumerate(keys):
            figures = [_get(systems[n], key) for n in ok]
            xs = [i + (index - (len(keys) - 1) / 2) * width for i in range(len(ok))]
            heights = [f["median"] if f else 0 for f in figures]
            low = [f["median"] - f["min"] if f else 0 for f in figures]
            high = [f["max"] - f["median"] if f else 0 for f in figures]
            ax.bar(xs, heights, width, yerr=[low, high], capsize=3, label=name)
        ax.set_xticks(range(len(ok)), labels)
        ax.set_ylabel(ylabel)
        if log and any(p.get_height() > 0 for p in ax.patches):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)

    bars(
        axes[0][0],
        [("drain_1", "1 worker process"), ("drain_2", "2 worker processes")],
        "tasks/s (log)",
        True,
    )
    ceiling = _ceiling(result)
    if ceiling is not None:
        axes[0][0].axhline(
            ceiling["median"], color="black", linestyle="--", linewidth=1, label="pgbench ceiling"
        )
        axes[0][0].legend(fontsize=8)
    axes[0][0].set_title("End-to-end throughput")
    bars(
        axes[0][1],
        [("single_submits_per_s", "single"), ("bulk_submits_per_s", "bulk")],
        "submits/s (log)",
        True,
    )
    axes[0][1].set_title("Submits")
    bars(
        axes[1][0],
        [("latency_ms.p50", "p50"), ("latency_ms.p95", "p95"), ("latency_ms.p99", "p99")],
        "ms",
        False,
    )
    axes[1][0].set_title("Idle pickup latency (lower is better)")
    ax = axes[1][1]
    history = result.get("claim_history", {}).get("sizes", {})
    if history:
        sizes = list(history)
        medians = [history[s]["claim_ms"]["median"] for s in sizes]
        ax.bar([f"{int(s):,}" for s in sizes], medians, color="tab:green")
        ax.set_xlabel("finished tasks in the table")
        ax.set_ylabel("ms")
    ax.set_title("TaskLib: claim of 100 tasks vs history")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(path: Path, *, to_docs: bool) -> None:
    """Full runs go into docs/; quick runs into bench/results/ next to their JSON."""
    result = json.loads(path.read_text())
    if to_docs:
        chart(result, CHART)
        body = markdown(result, CHART.name)
        head = DOC.read_text().split(MARKER)[0].rstrip() + "\n\n" if DOC.exists() else ""
        DOC.write_text(head + MARKER + "\n\n" + body)
        print(f"rendered {DOC} and {CHART}")
    else:
        png = path.with_suffix(".png")
        chart(result, png)
        md = path.with_suffix(".md")
        md.write_text(markdown(result, png.name))
        print(f"rendered {md} and {png}")
