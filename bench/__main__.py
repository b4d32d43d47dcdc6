"""``python -m bench run [--quick]`` measures; ``python -m bench report`` renders the docs."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bench.run import ITEMS, RESULTS_DIR, run
from bench.systems import MODULES

DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def _overrides(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``--set pgqueuer.batch_size=50`` -> {"pgqueuer": {"batch_size": 50}} (JSON values)."""
    found: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        system, dot, setting = key.partition(".")
        if not sep or not dot or system not in MODULES:
            raise SystemExit(
                f"--set wants SYSTEM.SETTING=VALUE with SYSTEM in {sorted(MODULES)}, got {pair!r}"
            )
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        found.setdefault(system, {})[setting] = value
    return found


def _csv(choices: tuple[str, ...] | list[str]) -> Any:
    def parse(raw: str) -> list[str]:
        values = [v.strip() for v in raw.split(",") if v.strip()]
        unknown = sorted(set(values) - set(choices))
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(choices)}")
        return values

    return parse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run_cmd = commands.add_parser(
        "run", help="measure, write bench/results/<stamp>.json, render the report"
    )
    run_cmd.add_argument(
        "--quick", action="store_true", help="small sizes, one run: a smoke test, noisy numbers"
    )
    run_cmd.add_argument(
        "--systems",
        type=_csv(list(MODULES)),
        default=list(MODULES),
        help=f"comma-separated subset of {','.join(MODULES)}",
    )
    run_cmd.add_argument(
        "--items",
        type=_csv(ITEMS),
        default=list(ITEMS),
        help=f"comma-separated subset of {','.join(ITEMS)}",
    )
    run_cmd.add_argument(
        "--database-url",
        default=None,
        help="admin URL of a server to use instead of starting an embedded PostgreSQL 18",
    )
    run_cmd.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS,
        help=f"Redis for Celery and RQ, FLUSHed between runs (default {DEFAULT_REDIS})",
    )
    run_cmd.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SYSTEM.KEY=VALUE",
        help="override a system's setting, e.g. --set tasklib.concurrency=200",
    )
    run_cmd.add_argument(
        "--db-prefix", default="bench_", help="prefix of the databases created (and dropped)"
    )
    run_cmd.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the result JSON goes")
    run_cmd.add_argument(
        "--no-report", action="store_true", help="do not render the report afterwards"
    )

    report_cmd = commands.add_parser(
        "report", help="render a result JSON (default: the newest full run)"
    )
    report_cmd.add_argument("result", type=Path, nargs="?")
    report_cmd.add_argument(
        "--docs",
        action="store_true",
        help="write docs/benchmarks.md and docs/benchmarks.png (default for a full run)",
    )

    args = parser.parse_args(argv)
    if args.command == "run":
        path = asyncio.run(
            run(
                quick=args.quick,
                system_names=args.systems,
                items=set(args.items),
                admin_url=args.database_url,
                redis_url=args.redis_url,
                overrides=_overrides(args.overrides),
                db_prefix=args.db_prefix,
                out_dir=args.out,
            )
        )
        if not args.no_report:
            from bench import report

            # docs/ shows complete runs only; a subset renders next to its JSON.
            complete = set(args.systems) == set(MODULES) and set(args.items) == set(ITEMS)
            report.render(path, to_docs=complete and not args.quick)
    else:
        from bench import report

        path = args.result or report.newest_full()
        report.render(path, to_docs=args.docs or json.loads(path.read_text())["mode"] == "full")


if __name__ == "__main__":
    main(sys.argv[1:])
