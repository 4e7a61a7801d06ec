"""Charts as inline SVG, drawn on the server: no charting library, no JavaScript.

Each chart is a complete ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` listing
its numbers, so screen readers get the data, and the page's table beside it says the
same. Colours come from the stylesheet's palette and keep AA contrast on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

_ids = count(1)
WIDTH, HEIGHT = 480, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 76
COLOURS = ("#0b5cad", "#1a7f37", "#b3261e", "#8a5300")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _nice_max(value: float) -> float:
    """A round top for the axis (1, 2, 5 times a power of ten) above the largest value."""
    if value <= 4:
        return 4.0  # counts: whole-number ticks
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(value)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(title: str, description: str, body: list[str], legend: Sequence[Series]) -> str:
    ident = f"chart{next(_ids)}"
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>',
             '<style>svg.chart text{font:11px system-ui,sans-serif;fill:#1b1f24}svg.chart .axis{stroke:#57606a}'
             'svg.chart .grid{stroke:#d0d7de}'
             '</style>', *body]
    if len(legend) > 1:
        x = LEFT
        for index, series in enumerate(legend):
            colour = COLOURS[index % len(COLOURS)]
            parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
                         f'<text x="{x + 14}" y="{HEIGHT - 5}">{escape(series.name)}</text>')
            x += 24 + 7 * len(series.name)
    parts.append("</svg>")
    return "".join(parts)


def _axes(top: float, ticks: int = 4) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    body = []
    for i in range(ticks + 1):
        value = top * i / ticks
        y = TOP + plot_h - plot_h * i / ticks
        body.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_n(value)}</text>')
    body.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}"/>'
                f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    return body


def _description(labels: Sequence[str], series: Sequence[Series]) -> str:
    return "; ".join(f"{label}: " + ", ".join(f"{s.name} {_n(s.values[i])}" for s in series)
                     for i, label in enumerate(labels))


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Grouped vertical bars, one group per label."""
    if not labels:
        return _frame(title, "no data", [], series)
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / len(labels)
    bar = max(2.0, group * 0.8 / max(1, len(series)))
    body = _axes(top)
    for i, label in enumerate(labels):
        x0 = LEFT + group * i + group * 0.1
        for j, s in enumerate(series):
            value = float(s.values[i] or 0)
            h = plot_h * value / top
            x = x0 + bar * j
            body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                        f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(label)}: {escape(s.name)} '
                        f'{_n(value)}</title></rect>')
        if len(labels) <= 16 or i % max(1, len(labels) // 12) == 0:
            cx = LEFT + group * (i + 0.5)
            body.append(f'<text x="{cx:.1f}" y="{TOP + plot_h + 14}" text-anchor="end" '
                        f'transform="rotate(-30 {cx:.1f} {TOP + plot_h + 14})">{escape(label)}</text>')
    return _frame(title, _description(labels, series), body, series)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """One line per series over the labels (days), with a dot per point."""
    if not labels:
        return _frame(title, "no data", [], series)
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(labels) - 1) if len(labels) > 1 else 0
    body = _axes(top)
    for j, s in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        points = [(LEFT + (step * i if len(labels) > 1 else plot_w / 2),
                   TOP + plot_h - plot_h * float(v or 0) / top) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(labels[i])}: '
                    f'{escape(s.name)} {_n(float(s.values[i] or 0))}</title></circle>'
                    for i, (x, y) in enumerate(points))
    every = max(1, len(labels) // 10)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = LEFT + (step * i if len(labels) > 1 else plot_w / 2)
            body.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="end" '
                        f'transform="rotate(-30 {x:.1f} {TOP + plot_h + 14})">{escape(label)}</text>')
    return _frame(title, _description(labels, series), body, series)
