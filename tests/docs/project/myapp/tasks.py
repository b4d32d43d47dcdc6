"""``myapp.tasks``, the task module the docs' commands name (``tasklib worker myapp.tasks``).

A document whose blocks define their own ``myapp/tasks.py`` (``<!-- doctest: file ... -->``)
replaces this one in its scratch folder.
"""

import tasklib


@tasklib.task
def send_email(to: str, subject: str, body: str = "") -> bool:
    return "@" in to
