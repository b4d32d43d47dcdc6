"""The web dashboard: an ASGI app over the monitoring views and the client API.

``tasklib dashboard`` serves it; ``create_app(...)`` returns it to mount in FastAPI, Starlette
or Django (docs/operations.md). Needs the extra: ``pip install 'tasklib-pg[dashboard]'``.
"""

from tasklib.dashboard._app import create_app

__all__ = ["create_app"]
