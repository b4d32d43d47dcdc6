"""Entry point of one worker process: ``python -m bench.worker NAME TARGET SETTINGS_JSON``."""

from __future__ import annotations

import importlib
import json
import sys

from bench.systems import MODULES


def main(argv: list[str]) -> None:
    name, target, settings = argv[0], argv[1], json.loads(argv[2])
    module = importlib.import_module(MODULES[name])
    module.serve(target, settings)


if __name__ == "__main__":
    main(sys.argv[1:])
