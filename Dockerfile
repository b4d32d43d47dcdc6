# The image docker-compose.yml runs: TaskLib with its CLI, plus the examples (the FastAPI
# app and the worker health check). Dependencies come from uv.lock, so the image matches CI.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv \
    && useradd --create-home --uid 10001 tasklib

WORKDIR /app

# Dependencies first, in their own layer: they change less often than the code.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

# The package itself (not editable: the wheel carries sql/ for `tasklib migrate`), then the
# example app's web server, which TaskLib itself does not need.
COPY src ./src
COPY sql ./sql
# The wheel carries the demo's sample tasks (pyproject.toml's force-include).
COPY examples/demo ./examples/demo
RUN uv sync --frozen --no-dev --no-editable \
    && uv pip install --python /opt/venv/bin/python "fastapi>=0.110" "uvicorn>=0.29"

COPY examples/fastapi_app ./examples/fastapi_app
COPY examples/docker ./examples/docker

USER tasklib
CMD ["tasklib", "--help"]
