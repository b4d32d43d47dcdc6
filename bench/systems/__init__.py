"""Adapters: one module per system under test, each with the same client and worker surface."""

from __future__ import annotations

import importlib

from bench.systems.base import System

# name -> module; the module defines SYSTEM (a System subclass) and serve() for its workers.
MODULES = {
    "tasklib": "bench.systems.tasklib_system",
    "procrastinate": "bench.systems.procrastinate_system",
    "pgqueuer": "bench.systems.pgqueuer_system",
    "celery": "bench.systems.celery_system",
    "rq": "bench.systems.rq_system",
}


def load(name: str) -> type[System]:
    """The System class of ``name``; importing it imports that library only."""
    module = importlib.import_module(MODULES[name])
    system: type[System] = module.SYSTEM
    return system
