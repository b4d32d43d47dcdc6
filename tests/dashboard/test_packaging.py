"""The wheel carries the dashboard's templates and static files; the extra names its packages."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "tasklib" / "dashboard"


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to build the wheel")
def test_the_wheel_ships_the_dashboard_assets(tmp_path: Path) -> None:
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("tasklib_pg-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith("/METADATA"))
    assets = {
        f"tasklib/dashboard/{path.relative_to(PACKAGE).as_posix()}"
        for folder in ("templates", "static")
        for path in (PACKAGE / folder).iterdir()
    }
    assert assets, "no assets found in the source tree"
    assert assets <= names, assets - names
    for requirement in ("starlette", "jinja2", "python-multipart", "uvicorn"):
        assert f"Requires-Dist: {requirement}" in metadata
        assert "extra == 'dashboard'" in metadata
