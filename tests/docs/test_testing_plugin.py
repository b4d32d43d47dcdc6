"""tasklib.testing as a user runs it: the example project of docs/testing.md, in its own pytest.

The project's files (conftest.py, myapp/tasks.py, tests/test_tasks.py, pyproject.toml) are the
`<!-- doctest: file ... -->` blocks of docs/testing.md, so the page cannot drift from what works.
"""

from __future__ import annotations

import pytest

# yoyo loads only when a migration runs. Imported here, it is in the modules pytester's
# in-process run keeps: a first import inside that run would be unloaded after it, and the
# next migrate in this process would find yoyo's backends gone.
import tasklib._yoyo  # noqa: F401
from tasklib.testing import TEST_DATABASE_URL_ENV
from tests.docs.blocks import ROOT, blocks

pytest_plugins = ["pytester"]

GUIDE = ROOT / "docs" / "testing.md"


def test_the_guides_example_project_passes(
    pytester: pytest.Pytester, pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {block.marks.file: block.code for block in blocks(GUIDE) if block.marks.file}
    assert set(files) == {"conftest.py", "myapp/tasks.py", "tests/test_tasks.py", "pyproject.toml"}
    for name, code in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    # The plugin makes (and drops) its session database on the suite's server.
    monkeypatch.setenv(TEST_DATABASE_URL_ENV, pg_server_url)
    monkeypatch.delenv("TASKLIB_DATABASE_URL", raising=False)

    # In-process, tasklib.testing is imported already, so pytest cannot rewrite its asserts.
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"
    )

    outcomes = result.parseoutcomes()
    assert outcomes == {"passed": 3}, "\n".join(result.outlines[-60:])
