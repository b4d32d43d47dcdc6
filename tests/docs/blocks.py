"""The fenced code blocks of the project's Markdown, with their `<!-- doctest: ... -->` marks.

A mark is an HTML comment (invisible on GitHub) on a line of its own directly above a fence;
several may stand one above the other. Each says one thing (DEVELOPERS.md has the table):

    <!-- doctest: skip: REASON -->                    the block is not run, for REASON
    <!-- doctest: skip "PREFIX": REASON -->           its commands starting with PREFIX are not
    <!-- doctest: file PATH -->                       the block is the file PATH of the scratch
                                                      folder (written, not run by itself)
    <!-- doctest: as PATH -->                         a Python block is saved as PATH and run
    <!-- doctest: until "TEXT" -->                    each command (a Python block: the script) runs
                                                      until its output shows TEXT, then gets
                                                      SIGTERM and must exit 0 (or 143: ended by
                                                      that signal after a clean stop)
    <!-- doctest: background "PREFIX" until "TEXT" --> commands starting with PREFIX start in the
                                                      background, the next runs once their output
                                                      shows TEXT; SIGTERM at the end, exit 0/143
    <!-- doctest: beside "COMMAND" until "TEXT" -->   COMMAND runs in the background while the
                                                      block runs (same rules)
    <!-- doctest: expect "TEXT" -->                   the block's output must contain TEXT
    <!-- doctest: replace "OLD" "NEW" -->             run the block with OLD replaced by NEW
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_MARK = re.compile(r"^\s*<!--\s*doctest:\s*(?P<body>.*?)\s*-->\s*$")
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("skip_prefix", re.compile(rf"^skip\s+{_QUOTED}\s*:\s*(.+)$")),
    ("skip", re.compile(r"^skip\s*:\s*(.+)$")),
    ("file", re.compile(r"^file\s+(\S+)$")),
    ("as", re.compile(r"^as\s+(\S+)$")),
    ("until", re.compile(rf"^until\s+{_QUOTED}$")),
    ("background", re.compile(rf"^background\s+{_QUOTED}\s+until\s+{_QUOTED}$")),
    ("beside", re.compile(rf"^beside\s+{_QUOTED}\s+until\s+{_QUOTED}$")),
    ("expect", re.compile(rf"^expect\s+{_QUOTED}$")),
    ("replace", re.compile(rf"^replace\s+{_QUOTED}\s+{_QUOTED}$")),
]

SHELL = frozenset({"bash", "sh", "shell", "console"})
PYTHON = frozenset({"python", "py"})


class MarkError(ValueError):
    """A `<!-- doctest: ... -->` comment that says nothing this module understands."""


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@dataclass
class Marks:
    """What the comments above one block say."""

    skip: str | None = None
    skip_prefixes: dict[str, str] = field(default_factory=dict)
    file: str | None = None
    run_as: str | None = None
    until: str | None = None
    background: dict[str, str] = field(default_factory=dict)
    beside: list[tuple[str, str]] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)

    def add(self, body: str, where: str) -> None:
        for kind, pattern in _RULES:
            match = pattern.match(body)
            if match is None:
                continue
            groups = [_unquote(group) for group in match.groups()]
            if kind == "skip":
                self.skip = groups[0]
            elif kind == "skip_prefix":
                self.skip_prefixes[groups[0]] = groups[1]
            elif kind == "file":
                self.file = groups[0]
            elif kind == "as":
                self.run_as = groups[0]
            elif kind == "until":
                self.until = groups[0]
            elif kind == "background":
                self.background[groups[0]] = groups[1]
            elif kind == "beside":
                self.beside.append((groups[0], groups[1]))
            elif kind == "expect":
                self.expect.append(groups[0])
            else:
                self.replace.append((groups[0], groups[1]))
            return
        raise MarkError(f"{where}: unknown doctest mark {body!r} (see tests/docs/blocks.py)")


@dataclass
class Block:
    """One fenced block: where it is, its language, its text, and its marks."""

    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    marks: Marks

    @property
    def where(self) -> str:
        return f"{shown(self.path)}:{self.line}"

    @property
    def runnable(self) -> bool:
        """A shell or Python block: the kinds the doc test runs."""
        return self.language in SHELL or self.language in PYTHON


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, in order."""
    lines = path.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening["fence"]
        marks = Marks()
        above = index - 1
        bodies: list[str] = []
        while above >= 0 and (mark := _MARK.match(lines[above])) is not None:
            bodies.insert(0, mark["body"])
            above -= 1
        for body in bodies:
            marks.add(body, f"{shown(path)}:{index + 1}")
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        indent = len(opening["indent"])
        code = "\n".join(line[indent:] for line in lines[index + 1 : end])
        found.append(Block(path, index + 1, opening["lang"].lower(), code + "\n", marks))
        index = end + 1
    return found


def documents() -> list[Path]:
    """The Markdown a user reads: README.md, docs/*.md and the examples' READMEs."""
    return [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "examples").glob("*/README.md")),
    ]


def commands(code: str) -> list[str]:
    """The commands of a shell block: lines joined at a trailing backslash, comments dropped."""
    result: list[str] = []
    pending = ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        result.append((pending + line).strip())
        pending = ""
    if pending.strip():
        result.append(pending.strip())
    return result
