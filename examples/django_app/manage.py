#!/usr/bin/env python
"""The sample project's manage.py: `uv run examples/django_app/manage.py migrate`, then `demo`."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
