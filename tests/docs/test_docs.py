"""Every shell command and Python snippet of README.md, docs/*.md and the examples' READMEs runs.

Each ```bash / ```sh / ```python block is one test, run as a user would run it, against a
database of its document (migrated, shared by the document's blocks, which run in order):

- shell blocks run in the repository's root (a clone, as the README's quick start says), one
  bash script per block, each command in turn; the first that exits non-zero fails the block;
- Python blocks are saved in the document's scratch folder and run with ``python``;
- both with ``TASKLIB_DATABASE_URL`` set to that database, ``TASKLIB_HOME`` in the scratch
  folder, and the scratch folder on ``PYTHONPATH`` (it holds ``myapp``, the application the
  docs name: tests/docs/project, or the document's own ``<!-- doctest: file ... -->`` blocks);
- ``<id>`` and ``<task_id>`` in a command stand for the id of the newest task in the database.

What a block cannot do here (Docker, a suite of its own, a download) is marked above it in the
Markdown with ``<!-- doctest: skip: REASON -->``; tests/docs/blocks.py and DEVELOPERS.md list
the marks.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import tasklib
from tests.docs.blocks import PYTHON, ROOT, Block, blocks, commands, documents

# Each block starts processes (a worker, a server, the demo): about 20 s in all, so they run
# once in CI, on PostgreSQL 15. After editing a document: uv run pytest tests/docs
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent / "project"
TIMEOUT = 60  # seconds a background command gets to print what it is awaited for
PLACEHOLDERS = ("<id>", "<task_id>")

_SCRIPT_HEAD = r"""
set -u
__bg=()
__n=0
__newest_task() {
  psql "$TASKLIB_DATABASE_URL" -XAtc \
    "SELECT id FROM tasklib.tasks ORDER BY created_at DESC, id DESC LIMIT 1"
}
__stop_all() {  # SIGTERM every background command; each must exit 0 (or 143)
  local entry pid log what rc failed=0
  for entry in "${__bg[@]}"; do kill -TERM "${entry%%|*}" 2>/dev/null; done
  for entry in "${__bg[@]}"; do
    IFS='|' read -r pid log what <<<"$entry"
    wait "$pid"; rc=$?
    echo "::doctest output of $what:"; cat "$log"
    # 143: ended by the signal itself, as servers that re-raise it after a clean stop do (uvicorn)
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then
      echo "::doctest FAILED: $what exited $rc after SIGTERM"; failed=1
    fi
  done
  __bg=()
  return $failed
}
__fail() { echo "::doctest FAILED: $1"; __stop_all; exit 1; }
__start() {  # __start WHAT TEXT COMMAND: COMMAND in the background until its output shows TEXT
  local what=$1 text=$2 log="$DOCTEST_LOGS/background-$((__n += 1)).log"
  echo "::doctest start $what"
  bash -c "exec $3" >"$log" 2>&1 &
  local pid=$! deadline=$((SECONDS + DOCTEST_TIMEOUT))
  __bg+=("$pid|$log|$what")
  until grep -qF -- "$text" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      __fail "$what ended before printing \"$text\""
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      __fail "$what printed no \"$text\" within $DOCTEST_TIMEOUT s"
    fi
    sleep 0.1
  done
}
__run() {  # __run WHAT COMMAND
  echo "::doctest run $1"
  eval "$2"
  local rc=$?
  [ "$rc" -eq 0 ] || __fail "$1 exited $rc"
}
"""


@dataclass(frozen=True)
class Document:
    """What the blocks of one document share: a database and a scratch folder."""

    database_url: str
    folder: Path


def _runnable() -> list[Block]:
    return [
        block
        for path in documents()
        for block in blocks(path)
        if block.runnable and block.marks.file is None
    ]


def _document_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(path.relative_to(ROOT)).lower()).strip("_")


@pytest.fixture(scope="session")
def document_for(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Path], Document]:
    """The database and scratch folder of a document, made on first use."""
    made: dict[Path, Document] = {}

    def get(path: Path) -> Document:
        if path not in made:
            name = _document_name(path)
            url = make_database(f"doc_{name}"[:40])
            tasklib.migrate(url)
            folder = tmp_path_factory.mktemp(name)
            shutil.copytree(PROJECT, folder, dirs_exist_ok=True)
            (folder / "home").mkdir()
            for block in blocks(path):
                if block.marks.file is not None:
                    target = folder / block.marks.file
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(block.code)
            made[path] = Document(url, folder)
        return made[path]

    return get


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _script(block: Block, document: Document) -> str:
    """The bash script that runs the block."""
    marks = block.marks
    code = block.code
    for old, new in marks.replace:
        code = code.replace(old, new)
    lines = [_SCRIPT_HEAD]
    if block.language in PYTHON:
        saved = document.folder / (marks.run_as or f"block_{block.line}.py")
        saved.write_text(code)
        lines.append(f"cd {shlex.quote(str(document.folder))}")
        steps = [f"python {shlex.quote(saved.name)}"]
    else:
        lines.append(f"cd {shlex.quote(str(ROOT))}")
        steps = commands(code)
    for command, text in marks.beside:
        lines.append(f"__start {shlex.quote(command)} {shlex.quote(text)} {shlex.quote(command)}")
    for number, step in enumerate(steps, start=1):
        what = f"{block.where} command {number} ({step})"
        skipped = [
            reason for prefix, reason in marks.skip_prefixes.items() if step.startswith(prefix)
        ]
        if skipped:
            lines.append(f"echo {shlex.quote(f'::doctest skipped {what}: {skipped[0]}')}")
            continue
        for placeholder in PLACEHOLDERS:
            step = step.replace(placeholder, "$(__newest_task)")
        background = [text for prefix, text in marks.background.items() if step.startswith(prefix)]
        if marks.until is not None:
            lines.append(
                f"__start {shlex.quote(what)} {shlex.quote(marks.until)} {shlex.quote(step)}"
            )
            lines.append("__stop_all || exit 1")
        elif background:
            lines.append(
                f"__start {shlex.quote(what)} {shlex.quote(background[0])} {shlex.quote(step)}"
            )
        else:
            lines.append(f"__run {shlex.quote(what)} {shlex.quote(step)}")
    lines.append("__stop_all || exit 1")
    lines.append("echo '::doctest passed'")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("block", _runnable(), ids=lambda block: block.where)
def test_block_runs(block: Block, document_for: Callable[[Path], Document]) -> None:
    if block.marks.skip is not None:
        pytest.skip(f"{block.where}: {block.marks.skip}")
    document = document_for(block.path)
    logs = document.folder / "logs"
    logs.mkdir(exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "TASKLIB_DATABASE_URL": document.database_url,
        "TASKLIB_HOME": str(document.folder / "home"),
        "PYTHONPATH": str(document.folder),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "DOCTEST_LOGS": str(logs),
        "DOCTEST_TIMEOUT": str(TIMEOUT),
        "DOCTEST_PORT": str(_free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    script = _script(block, document)
    completed = subprocess.run(
        ["bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = completed.stdout + completed.stderr
    print(output)  # shown with -rP, or for a failure
    report = f"{block.where} ({block.language}):\n{block.code}\n--- output ---\n{output[-6000:]}"
    assert completed.returncode == 0, report
    for text in block.marks.expect:
        assert text in output, f"expected {text!r} in the output of {report}"
