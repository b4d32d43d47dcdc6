"""Loads the demo's sample tasks, which live with the other examples in examples/demo/tasks.py.

They are example code, not library code: importing tasklib never registers them. In a
checkout they are read from examples/; an installed wheel carries the same file (see
pyproject.toml's force-include).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tasklib.errors import ConfigurationError

MODULE_NAME = "tasklib_demo_tasks"
_CANDIDATES = (
    Path(__file__).resolve().parents[3] / "examples" / "demo" / "tasks.py",  # a checkout
    Path(__file__).resolve().parent / "_examples" / "tasks.py",  # an installed wheel
)


def sample_tasks() -> ModuleType:
    """The sample tasks module, imported once (its @task definitions register then)."""
    loaded = sys.modules.get(MODULE_NAME)
    if loaded is not None:
        return loaded
    path = next((candidate for candidate in _CANDIDATES if candidate.is_file()), None)
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path) if path else None
    if spec is None or spec.loader is None:
        raise ConfigurationError(
            "the demo's sample tasks (examples/demo/tasks.py) are missing from this install"
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[MODULE_NAME]
        raise
    return module
