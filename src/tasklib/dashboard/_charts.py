"""Charts of the overview as inline SVG, drawn on the server: no script, no image requests.

Colours come from classes in dashboard.css (the page's Content-Security-Policy forbids style
attributes); each bar and point carries a <title>, which browsers show as a tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 180
LEFT = 44  # room for the y axis labels
BOTTOM = 22  # room for the time labels
TOP = 10


@dataclass(frozen=True, slots=True)
class Minute:
    """One row of tasklib.throughput."""

    minute: datetime
    completed: int
    failed: int
    cancelled: int


def _nice_ceiling(value: float) -> float:
    """The axis maximum: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _frame(title: str, top_label: str, minutes: Sequence[Minute]) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH}"'
        f' y2="{TOP + plot_height}"/>',
        f'<text class="label" x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">'
        f"{escape(top_label)}</text>",
        f'<text class="label" x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end">0</text>',
    ]
    if minutes:
        last = len(minutes) - 1
        for index, anchor in ((0, "start"), (last // 2, "middle"), (last, "end")):
            x = LEFT + (index + 0.5) * (WIDTH - LEFT) / len(minutes)
            label = minutes[index].minute.strftime("%H:%M")
            parts.append(
                f'<text class="label" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
                f"{label}</text>"
            )
    return parts


def throughput_chart(minutes: Sequence[Minute]) -> Markup:
    """Tasks finished per minute, stacked: completed, failed for good, cancelled."""
    plot_height = HEIGHT - TOP - BOTTOM
    peak = _nice_ceiling(max((m.completed + m.failed + m.cancelled for m in minutes), default=0))
    parts = _frame("Tasks finished per minute, last hour", f"{peak:g}", minutes)
    slot = (WIDTH - LEFT) / max(1, len(minutes))
    for index, minute in enumerate(minutes):
        x = LEFT + index * slot + 1
        base: float = TOP + plot_height
        for css, count in (
            ("completed", minute.completed),
            ("failed", minute.failed),
            ("cancelled", minute.cancelled),
        ):
            if count <= 0:
                continue
            height = count / peak * plot_height
            base -= height
            width = max(1.0, slot - 2)
            parts.append(
                f'<rect class="bar {css}" x="{x:.1f}" y="{base:.1f}" width="{width:.1f}"'
                f' height="{height:.1f}"><title>{minute.minute:%H:%M} {css}: {count}</title></rect>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def failure_rate_chart(minutes: Sequence[Minute]) -> Markup:
    """Per minute, permanent failures / (completed + permanent failures), as a line."""
    plot_height = HEIGHT - TOP - BOTTOM
    parts = _frame("Failure rate per minute, last hour", "100%", minutes)
    slot = (WIDTH - LEFT) / max(1, len(minutes))
    points: list[str] = []
    circles: list[str] = []
    for index, minute in enumerate(minutes):
        finished = minute.completed + minute.failed
        if finished == 0:
            continue  # no rate in a minute where nothing finished: a gap, not a zero
        rate = minute.failed / finished
        x = LEFT + (index + 0.5) * slot
        y = TOP + plot_height * (1 - rate)
        points.append(f"{x:.1f},{y:.1f}")
        circles.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>{minute.minute:%H:%M}'
            f" {rate:.1%} of {finished} failed</title></circle>"
        )
    if len(points) > 1:
        parts.append(f'<polyline class="rate" points="{" ".join(points)}"/>')
    parts.extend(circles)
    parts.append("</svg>")
    return Markup("".join(parts))
