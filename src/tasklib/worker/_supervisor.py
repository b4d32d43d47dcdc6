"""Several worker processes from one command: start them, pass signals on, report failures."""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import time
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger("tasklib.worker.processes")

_POLL_SECONDS = 0.1
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def supervise(commands: Sequence[Sequence[str]], env: dict[str, str]) -> int:
    """Run one child process per command until all have exited; returns the exit code.

    SIGTERM and SIGINT are passed on to every child that still runs (each worker then stops
    gracefully; a second signal, passed on too, skips its grace period). A child that exits
    without being asked to makes the others stop, and its exit code (1 if it was 0 or a signal)
    becomes the command's, so that systemd, Kubernetes or a shell sees the failure. After a
    stop request, the exit code is 0 if every child stopped cleanly.
    """
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signum)

    previous = {sig: signal.signal(sig, pass_on) for sig in _STOP_SIGNALS}
    failed: subprocess.Popen[bytes] | None = None
    try:
        for command in commands:
            children.append(subprocess.Popen(list(command), env=env))
        log.info(
            "started %d worker processes (pids %s)",
            len(children),
            ", ".join(str(child.pid) for child in children),
        )
        while any(child.poll() is None for child in children):
            if not stopping and failed is None:
                failed = next((c for c in children if c.returncode is not None), None)
                if failed is not None:
                    log.error(
                        "worker process %d exited with code %s; stopping the others",
                        failed.pid,
                        failed.returncode,
                    )
                    for child in children:
                        if child.poll() is None:
                            child.send_signal(signal.SIGTERM)
            time.sleep(_POLL_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for child in children:
            if child.poll() is None:  # only when this function itself failed
                child.kill()
                child.wait()
    if failed is not None:
        return failed.returncode if failed.returncode > 0 else 1
    # Killed by the stop signal itself, before its handler was installed: a clean stop too.
    clean = {0, *(-sig for sig in _STOP_SIGNALS)}
    codes = [child.returncode for child in children if child.returncode not in clean]
    if codes:
        log.error("worker processes exited with codes %s", ", ".join(map(str, codes)))
        return next((code for code in codes if code > 0), 1)
    log.info("all %d worker processes stopped", len(children))
    return 0
