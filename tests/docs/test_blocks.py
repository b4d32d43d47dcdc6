"""The doctest marks: what tests/docs/blocks.py reads from the comments above a fence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.blocks import MarkError, blocks, commands


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def test_marks_above_a_fence_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "text\n"
        '<!-- doctest: skip "uv run pytest": the suite itself -->\n'
        '<!-- doctest: beside "tasklib worker app.py" until "Starting TaskWorker" -->\n'
        '<!-- doctest: replace "8000" "$DOCTEST_PORT" -->\n'
        "```bash\n"
        "uv run tasklib demo   # a comment\n"
        "uv run pytest\n"
        "```\n"
        "\n"
        "```python\n"
        "print(1)\n"
        "```\n",
    )
    first, second = blocks(path)
    assert (first.line, first.language) == (5, "bash")
    assert first.marks.skip_prefixes == {"uv run pytest": "the suite itself"}
    assert first.marks.beside == [("tasklib worker app.py", "Starting TaskWorker")]
    assert first.marks.replace == [("8000", "$DOCTEST_PORT")]
    assert second.marks.skip is None
    assert second.code == "print(1)\n"


def test_an_unknown_mark_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "<!-- doctest: skipp: typo -->\n```bash\ntrue\n```\n")
    with pytest.raises(MarkError, match=r"doc\.md:2: unknown doctest mark 'skipp: typo'"):
        blocks(path)


def test_commands_join_continued_lines_and_drop_comments() -> None:
    code = "# a comment\n\ncurl -X POST \\\n  http://x/y\ntasklib status  # trailing\n"
    assert commands(code) == ["curl -X POST    http://x/y", "tasklib status  # trailing"]
