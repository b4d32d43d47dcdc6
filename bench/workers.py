"""Worker processes for one measurement: started with the probe address, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from bench.probe import ADDRESS_ENV

REPO = Path(__file__).resolve().parent.parent


class WorkerGroup:
    """``count`` identical worker processes whose output goes to one log file."""

    def __init__(self, argv: list[str], count: int, probe_address: str, log_path: Path) -> None:
        env = {
            **os.environ,
            ADDRESS_ENV: probe_address,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.processes = [
            subprocess.Popen(argv, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
            for _ in range(count)
        ]

    def check_alive(self) -> None:
        """Raise, with the end of the log, if a worker exited on its own."""
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"worker {process.pid} exited with {process.returncode}:\n{self.log_tail()}"
                )

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (a graceful stop for every system here), then SIGKILL after ``grace``."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._log.close()
