"""The tasks the examples in examples/sql, examples/node and examples/shell submit.

A worker that imports this module runs them:  python -m examples.worker  (see examples/worker.py).
"""

from __future__ import annotations

import tasklib


@tasklib.task(name="examples.send_email", max_retries=5)
def send_email(to: str, subject: str, body: str = "") -> bool:
    """Pretend to send an email (the examples have no SMTP server)."""
    return "@" in to


@tasklib.task(name="examples.resize_image", queue="images", priority=5)
def resize_image(path: str, width: int, height: int | None = None) -> dict[str, object]:
    """Pretend to resize an image; returns what it would have written."""
    return {"path": path, "size": [width, height or width]}
