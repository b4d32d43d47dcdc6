"""The dashboard as a Starlette (ASGI) app: pages, actions, static files and their headers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklib.client import AsyncClient
from tasklib.config import Config
from tasklib.dashboard import _charts, _filters
from tasklib.dashboard._auth import COOKIE, SESSION_SECONDS, Credentials, Session
from tasklib.dashboard._data import DashboardData
from tasklib.db import statements
from tasklib.errors import (
    DatabaseUnavailableError,
    InvalidArgumentError,
    TaskLibError,
    TaskNotFoundError,
)

HERE = Path(__file__).parent
OTHER_SITE = "The request came from another site."
BULK_LIMIT = 1000
NOTICES = {
    "retried": "Task queued again.",
    "cancelled": "Cancellation recorded.",
    "paused": "Queue paused.",
    "resumed": "Queue resumed.",
    "login": "Logged in: actions are enabled.",
    "logout": "Logged out.",
}
# Pages allow only their own scripts, styles and images: no inline script, no style attribute.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        b" object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


@dataclass(frozen=True)
class Settings:
    """How the app was started: its reads, its credentials (None: read-only), its refresh."""

    data: DashboardData
    credentials: Credentials | None
    refresh_seconds: float
    bulk_limit: int
    # [whether tasklib.schedule_status exists, when that was asked (monotonic seconds)]
    schedules_checked: list[Any] = dataclasses.field(default_factory=lambda: [False, -1e9])


def create_app(
    database_url: str | None = None,
    *,
    client: AsyncClient | None = None,
    admin_token: str | None = None,
    secret: bytes | None = None,
    refresh_seconds: float = 5.0,
    bulk_limit: int = BULK_LIMIT,
) -> Starlette:
    """The dashboard, an ASGI app to serve (``tasklib dashboard``) or mount in another app.

    ``database_url`` (else $TASKLIB_DATABASE_URL), or an AsyncClient of yours. Read-only
    unless ``admin_token`` is given: then a browser that logs in with it may retry, cancel,
    pause and resume. ``secret`` signs the session cookies (random per process by default, so
    a restart logs everyone out; give the same one to every process behind one address).
    ``refresh_seconds`` is how often open pages reload their figures (0: never).
    """
    owned = client is None
    if client is None:
        # Config's own default reads $TASKLIB_DATABASE_URL.
        config = Config() if database_url is None else Config(database_url=database_url)
        client = AsyncClient(
            dataclasses.replace(
                config, application_name="tasklib-dashboard", min_pool_size=1, max_pool_size=4
            )
        )
    settings = Settings(
        data=DashboardData(client),
        credentials=Credentials(admin_token, secret) if admin_token else None,
        refresh_seconds=max(0.0, refresh_seconds),
        bulk_limit=bulk_limit,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Only when served on its own: a mounted app's lifespan is its host's, and the pool
        # then opens on first use and closes with the process.
        yield
        if owned:
            await client.aclose()

    routes = [
        Route("/", _page(settings, overview), name="overview"),
        Route("/tasks", _page(settings, task_list), name="tasks"),
        Route("/tasks/bulk", _action(settings, bulk_action), methods=["POST"]),
        Route("/tasks/{task_id}", _page(settings, task_detail), name="task"),
        Route("/tasks/{task_id}/retry", _action(settings, retry_action), methods=["POST"]),
        Route("/tasks/{task_id}/cancel", _action(settings, cancel_action), methods=["POST"]),
        Route("/workers", _page(settings, workers_page), name="workers"),
        Route("/queues", _page(settings, queues_page), name="queues"),
        Route("/queues/action", _action(settings, queue_action), methods=["POST"]),
        Route("/schedules", _page(settings, schedules_page), name="schedules"),
        Route("/metrics", _metrics(settings), name="metrics"),
        Route("/login", _page(settings, login_page), methods=["GET"]),
        Route("/login", _login(settings), methods=["POST"]),
        Route("/logout", _action(settings, logout_action), methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    app.state.dashboard = settings
    return app


class SecurityHeaders:
    """ASGI middleware: the security headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


# -- rendering -----------------------------------------------------------------------------------

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _moment(value: datetime | str | None) -> datetime | None:
    """A timestamp, also from the ISO text a JSON column holds (tasks.failures)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def _when(value: datetime | str | None) -> str:
    moment = _moment(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _error_line(error: str | None) -> str:
    """The telling line of an error, as tasklib._error_line picks it: a Python traceback's
    last line, else the first non-empty line."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("Traceback (most recent call last)") else lines[0]


def _ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = (datetime.now(UTC) - value).total_seconds()
    return f"{_filters.age(seconds)} ago" if seconds >= 0 else f"in {_filters.age(-seconds)}"


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return _filters.age((end - start).total_seconds())


_templates.filters.update(
    when=_when,
    moment=_moment,
    error_line=_error_line,
    ago=_ago,
    age=_filters.age,
    pretty=lambda value: json.dumps(value, indent=2, sort_keys=True, default=str),
    # The end of an id: its start is the submit time, alike for tasks submitted together.
    short=lambda value: "…" + str(value)[-8:],
    num=lambda value: f"{value:,}".replace(",", "\u2009"),
)
_templates.globals.update(seconds=_seconds, states=_filters.STATES)


def _base(request: Request) -> str:
    """The path the app is served under ('' at the root; the mount path when mounted)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _session(settings: Settings, request: Request) -> Session | None:
    if settings.credentials is None:
        return None
    return settings.credentials.session(request.cookies.get(COOKIE))


def render(
    settings: Settings,
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    refresh: bool = False,
) -> HTMLResponse:
    session = _session(settings, request)
    base = _base(request)
    html = _templates.get_template(template).render(
        request=request,
        url=lambda path: base + path,
        actions_enabled=settings.credentials is not None,
        admin=session is not None,
        csrf=settings.credentials.csrf_token(session) if settings.credentials and session else "",
        refresh=settings.refresh_seconds if refresh else 0,
        notice=NOTICES.get(request.query_params.get("notice", ""), ""),
        has_schedules=getattr(request.state, "has_schedules", False),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


Handler = Callable[[Settings, Request], Awaitable[Response]]


def _page(settings: Settings, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A GET page: errors from the database become an error page, not a traceback."""

    async def endpoint(request: Request) -> Response:
        request.state.has_schedules = await _schedules_known(settings)
        try:
            return await handler(settings, request)
        except TaskNotFoundError as error:
            return _error(settings, request, 404, "Not found", str(error))
        except InvalidArgumentError as error:
            return _error(settings, request, 400, "Bad request", str(error))
        except DatabaseUnavailableError as error:
            return _error(settings, request, 503, "Database unavailable", str(error))
        except TaskLibError as error:
            return _error(settings, request, 500, "Database error", str(error))

    return endpoint


def _error(settings: Settings, request: Request, status: int, title: str, text: str) -> Response:
    return render(settings, request, "error.html", {"title": title, "message": text}, status=status)


def _action(settings: Settings, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A POST action: refused unless actions are enabled, the browser logged in, the CSRF
    token matches its session and the request comes from this site."""

    async def endpoint(request: Request) -> Response:
        if settings.credentials is None:
            return _error(
                settings,
                request,
                403,
                "Read-only",
                "This dashboard was started without an admin token: it shows, and changes nothing.",
            )
        session = _session(settings, request)
        if session is None:
            return _error(settings, request, 403, "Not logged in", "Log in to act.")
        if not _same_origin(request):
            return _error(settings, request, 403, "Forbidden", OTHER_SITE)
        form = await request.form()
        if not settings.credentials.csrf_matches(session, str(form.get("csrf", ""))):
            return _error(
                settings,
                request,
                403,
                "Forbidden",
                "The form's CSRF token does not match this session: reload the page and try again.",
            )
        try:
            return await handler(settings, request)
        except TaskNotFoundError as error:
            return _error(settings, request, 404, "Not found", str(error))
        except DatabaseUnavailableError as error:
            return _error(settings, request, 503, "Database unavailable", str(error))
        except TaskLibError as error:
            return _error(settings, request, 409, "Refused", str(error))

    return endpoint


def _same_origin(request: Request) -> bool:
    """Whether the Origin header (sent by browsers with every POST), if any, is this site."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def _redirect(request: Request, path: str, notice: str = "") -> Response:
    separator = "&" if "?" in path else "?"
    target = _base(request) + path + (f"{separator}notice={notice}" if notice else "")
    return RedirectResponse(target, status_code=303)


async def _schedules_known(settings: Settings) -> bool:
    """Whether the database has cron schedules (the nav shows the page): asked once a minute."""
    now = time.monotonic()
    if now - settings.schedules_checked[1] > 60:
        try:
            found = await settings.data.has_schedules()
        except TaskLibError:
            found = False
        settings.schedules_checked[:] = [found, now]
    return bool(settings.schedules_checked[0])


# -- pages ---------------------------------------------------------------------------------------


async def overview(settings: Settings, request: Request) -> Response:
    data = await settings.data.overview()
    return render(
        settings,
        request,
        "overview.html",
        {
            "data": data,
            "throughput_chart": _charts.throughput_chart(data.minutes),
            "failure_chart": _charts.failure_rate_chart(data.minutes),
        },
        refresh=True,
    )


async def task_list(settings: Settings, request: Request) -> Response:
    query = _filters.parse_query(request.query_params)
    page, names, queues = await asyncio.gather(
        settings.data.task_page(query), settings.data.task_names(), settings.data.queues()
    )
    return render(
        settings,
        request,
        "tasks.html",
        {
            "query": query,
            "page": page,
            "names": names,
            "queue_names": [queue.queue for queue in queues],
            "ranges": _filters.RANGES,
            "page_sizes": _filters.PAGE_SIZES,
            "described": _filters.describe(query),
            "bulk_limit": settings.bulk_limit,
        },
        status=400 if query.problems else 200,
        refresh=query.before is None and query.after is None,
    )


def _task_id(request: Request) -> UUID:
    try:
        return UUID(request.path_params["task_id"])
    except ValueError:
        raise TaskNotFoundError(f"{request.path_params['task_id']!r} is not a task id") from None


async def task_detail(settings: Settings, request: Request) -> Response:
    detail = await settings.data.task(_task_id(request))
    return render(
        settings,
        request,
        "task.html",
        {"detail": detail, "task": detail.task},
        refresh=not detail.task.terminal,
    )


async def workers_page(settings: Settings, request: Request) -> Response:
    return render(
        settings,
        request,
        "workers.html",
        {"workers": await settings.data.workers(), "now": datetime.now(UTC)},
        refresh=True,
    )


async def queues_page(settings: Settings, request: Request) -> Response:
    return render(
        settings, request, "queues.html", {"queues": await settings.data.queues()}, refresh=True
    )


async def schedules_page(settings: Settings, request: Request) -> Response:
    found = await settings.data.has_schedules()
    settings.schedules_checked[:] = [found, time.monotonic()]
    request.state.has_schedules = found
    if not found:
        return _error(
            settings,
            request,
            404,
            "No schedules",
            "This database has no cron schedules "
            "(tasklib.schedule_status does not exist: its migration is not applied).",
        )
    return render(
        settings,
        request,
        "schedules.html",
        {"schedules": await settings.data.schedules()},
        refresh=True,
    )


def _metrics(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """Prometheus metrics: the queue gauges (one statement per scrape) and this process's
    registry (a worker running in this process counts there); 501 without the extra."""

    async def endpoint(request: Request) -> Response:
        try:
            from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
            from prometheus_client.exposition import CONTENT_TYPE_LATEST

            from tasklib import metrics
        except ImportError:
            return Response("install tasklib-pg[metrics] for /metrics\n", status_code=501)
        registry = CollectorRegistry(auto_describe=False)
        error = 0.0
        try:
            rows = await settings.data.rows(statements.QUEUE_DEPTH)
            families = metrics.queue_families([tuple(row.values()) for row in rows])
        except TaskLibError:
            families, error = [], 1.0
        registry.register(metrics.StaticCollector([*families, metrics.scrape_error(error)]))
        body = generate_latest(REGISTRY) + generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return endpoint


async def login_page(settings: Settings, request: Request) -> Response:
    if settings.credentials is None:
        return _error(
            settings,
            request,
            404,
            "Read-only",
            "This dashboard was started without an admin "
            "token (tasklib dashboard --admin-token, or $TASKLIB_DASHBOARD_ADMIN_TOKEN).",
        )
    return render(settings, request, "login.html", {"failed": False})


def _login(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        credentials = settings.credentials
        if credentials is None:
            return await login_page(settings, request)
        if not _same_origin(request):
            return _error(settings, request, 403, "Forbidden", OTHER_SITE)
        form = await request.form()
        if not credentials.token_matches(str(form.get("token", ""))):
            await asyncio.sleep(0.2)  # a little friction for guessing
            return render(settings, request, "login.html", {"failed": True}, status=403)
        _, cookie = credentials.new_session()
        response = _redirect(request, "/", "login")
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=SESSION_SECONDS,
            path=_base(request) or "/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    return endpoint


# -- actions -------------------------------------------------------------------------------------


async def retry_action(settings: Settings, request: Request) -> Response:
    task_id = _task_id(request)
    await settings.data.retry(task_id)
    return _redirect(request, f"/tasks/{task_id}", "retried")


async def cancel_action(settings: Settings, request: Request) -> Response:
    task_id = _task_id(request)
    form = await request.form()
    reason = str(form.get("reason", "")).strip() or None
    await settings.data.cancel(task_id, reason)
    return _redirect(request, f"/tasks/{task_id}", "cancelled")


async def bulk_action(settings: Settings, request: Request) -> Response:
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    query = _filters.parse_query(fields)
    action = fields.get("action", "")
    if action not in ("retry", "cancel"):
        raise InvalidArgumentError(f"unknown bulk action {action!r}")
    if query.problems:
        raise InvalidArgumentError("; ".join(query.problems))
    if query.task_filter.is_empty():
        raise InvalidArgumentError(
            "a bulk action needs a filter (state, name, queue, tags or time): it never applies "
            "to every task"
        )
    reason = fields.get("reason", "").strip() or None
    count = await settings.data.bulk(action, query, reason, settings.bulk_limit)
    verb = "queued again" if action == "retry" else "cancelled"
    return render(
        settings,
        request,
        "bulk_done.html",
        {
            "count": count,
            "verb": verb,
            "described": _filters.describe(query),
            "query": query,
            "bulk_limit": settings.bulk_limit,
        },
    )


async def queue_action(settings: Settings, request: Request) -> Response:
    form = await request.form()
    queue = str(form.get("queue", ""))
    action = str(form.get("action", ""))
    if action == "pause":
        await settings.data.pause(queue)
    elif action == "resume":
        await settings.data.resume(queue)
    else:
        raise InvalidArgumentError(f"unknown queue action {action!r}")
    return _redirect(request, "/queues", "paused" if action == "pause" else "resumed")


async def logout_action(settings: Settings, request: Request) -> Response:
    response = _redirect(request, "/", "logout")
    response.delete_cookie(COOKIE, path=_base(request) or "/")
    return response
