"""Charts of load runs as plain SVG, written by hand (no plotting dependency).

* ``run_chart``: throughput (requests/s) and the current median and p95 response times over the run,
  from the time series the Locust side samples (``history`` of load-stats.json), as two panels;
* ``capacity_chart``: the load-versus-latency curve of a capacity search (p50/p95/p99 against the
  measured throughput of each step), the p95 limit as a dashed line and the chosen point marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 760
PANEL_HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 34, 40
COLOURS = {"rps": "#1f6fb2", "p50": "#2a9d5b", "p95": "#d9822b", "p99": "#b23a48", "limit": "#777777"}


def nice_ceiling(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value:.3g}"


class _Panel:
    """One plotting area with linear axes, placed at ``top`` in the picture."""

    def __init__(
        self,
        top: float,
        x_max: float,
        y_max: float,
        x_label: str,
        y_label: str,
        title: str,
        outer_height: float = PANEL_HEIGHT,
    ) -> None:
        self.top, self.x_max, self.y_max = top, nice_ceiling(x_max), nice_ceiling(y_max)
        self.outer_height = outer_height
        self.width = WIDTH - LEFT - RIGHT
        self.height = outer_height - TOP - BOTTOM
        self.parts: list[str] = [
            f'<text x="{LEFT}" y="{top + 20}" font-size="14" font-weight="bold">{escape(title)}</text>',
            f'<text x="{LEFT + self.width / 2}" y="{top + outer_height - 6}" text-anchor="middle" '
            f'font-size="11">{escape(x_label)}</text>',
            f'<text x="14" y="{top + TOP + self.height / 2}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 14 {top + TOP + self.height / 2})">{escape(y_label)}</text>',
        ]
        self._axes()

    def x(self, value: float) -> float:
        return round(LEFT + self.width * value / self.x_max, 1)

    def y(self, value: float) -> float:
        return round(self.top + TOP + self.height * (1 - min(value, self.y_max) / self.y_max), 1)

    def _axes(self) -> None:
        x0, y0, y1 = LEFT, self.top + TOP + self.height, self.top + TOP
        self.parts.append(
            f'<rect x="{x0}" y="{y1}" width="{self.width}" height="{self.height}" fill="none" stroke="#999"/>'
        )
        for i in range(5):
            yv, xv = self.y_max * i / 4, self.x_max * i / 4
            y, x = self.y(yv), self.x(xv)
            self.parts.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + self.width}" y2="{y}" stroke="#eee"/>')
            self.parts.append(
                f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end" font-size="10">{_fmt(yv)}</text>'
            )
            self.parts.append(
                f'<text x="{x}" y="{y0 + 14}" text-anchor="middle" font-size="10">{_fmt(xv)}</text>'
            )

    def line(self, points: Sequence[tuple[float, float]], colour: str, dashed: bool = False) -> None:
        if not points:
            return
        path = " ".join(f"{self.x(px)},{self.y(py)}" for px, py in points)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        self.parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')

    def dots(self, points: Sequence[tuple[float, float]], colour: str) -> None:
        for px, py in points:
            self.parts.append(f'<circle cx="{self.x(px)}" cy="{self.y(py)}" r="3" fill="{colour}"/>')

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        x = WIDTH - RIGHT - 130 * len(entries)
        for label, colour in entries:
            y = self.top + 16
            self.parts.append(f'<rect x="{x}" y="{y - 9}" width="14" height="4" fill="{colour}"/>')
            self.parts.append(f'<text x="{x + 18}" y="{y - 4}" font-size="11">{escape(label)}</text>')
            x += 130


def _document(panels: Sequence[_Panel], caption: str) -> str:
    height = sum(panel.outer_height for panel in panels) + 24
    body = "\n".join(part for panel in panels for part in panel.parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">\n'
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>\n{body}\n'
        f'<text x="{LEFT}" y="{height - 8}" font-size="10" fill="#555">{escape(caption)}</text>\n</svg>\n'
    )


def run_chart(report: Mapping[str, Any]) -> str | None:
    """The SVG of one run's throughput and latency over time, or None without samples."""
    history = [h for h in report.get("history") or [] if isinstance(h, Mapping)]
    if not history:
        return None
    t_max = max(float(h["t"]) for h in history)
    rps = [(float(h["t"]), float(h["rps"])) for h in history]
    p50 = [(float(h["t"]), float(h["p50_ms"])) for h in history]
    p95 = [(float(h["t"]), float(h["p95_ms"])) for h in history]
    top = _Panel(0, t_max, max(v for _, v in rps), "elapsed time (s)", "requests/s", "Throughput")
    top.line(rps, COLOURS["rps"])
    top.legend([("requests/s", COLOURS["rps"])])
    latency_max = max(v for _, v in p95 + p50)
    bottom = _Panel(PANEL_HEIGHT, t_max, latency_max, "elapsed time (s)", "ms", "Response time")
    bottom.line(p50, COLOURS["p50"])
    bottom.line(p95, COLOURS["p95"])
    bottom.legend([("median", COLOURS["p50"]), ("p95", COLOURS["p95"])])
    total = report.get("total") or {}
    caption = (
        f"{report.get('profile', 'load')}: {total.get('requests', 0)} requests, "
        f"{total.get('failures', 0)} failed, p95 {total.get('p95_ms', 0):g} ms over the run "
        "(curves: Locust's current rate and its percentiles of the last seconds)"
    )
    return _document([top, bottom], caption)


def write_run_chart(report: Mapping[str, Any], path: Path) -> bool:
    svg = run_chart(report)
    if svg is None:
        return False
    path.write_text(svg, encoding="utf-8")
    return True


def capacity_chart(
    steps: Sequence[Mapping[str, Any]], chosen: Mapping[str, Any] | None, max_p95_ms: float
) -> str | None:
    """The SVG of latency against throughput over the steps of a capacity search, or None."""
    measured = sorted(
        (s for s in steps if s.get("throughput_rps") is not None), key=lambda s: s["throughput_rps"]
    )
    if not measured:
        return None
    x_max = max(float(s["throughput_rps"]) for s in measured)
    y_max = max([max_p95_ms * 1.2] + [float(s["p99_ms"]) for s in measured])
    panel = _Panel(
        0,
        x_max,
        y_max,
        "throughput (requests/s)",
        "response time (ms)",
        "Load versus latency",
        1.6 * PANEL_HEIGHT,
    )
    for key in ("p50", "p95", "p99"):
        points = [(float(s["throughput_rps"]), float(s[f"{key}_ms"])) for s in measured]
        panel.line(points, COLOURS[key])
        panel.dots(points, COLOURS[key])
    panel.line([(0, max_p95_ms), (panel.x_max, max_p95_ms)], COLOURS["limit"], dashed=True)
    for s in measured:
        label = f"{s['users']}u" + ("" if s.get("holds") else " x")
        panel.parts.append(
            f'<text x="{panel.x(float(s["throughput_rps"]))}" y="{panel.y(float(s["p99_ms"])) - 6}" '
            f'font-size="9" text-anchor="middle">{escape(label)}</text>'
        )
    if chosen is not None:
        cx, cy = panel.x(float(chosen["throughput_rps"])), panel.y(float(chosen["p95_ms"]))
        panel.parts.append(f'<circle cx="{cx}" cy="{cy}" r="8" fill="none" stroke="black" stroke-width="2"/>')
        anchor, lx = ("end", cx - 10) if cx > WIDTH * 0.6 else ("start", cx + 10)
        panel.parts.append(
            f'<text x="{lx}" y="{cy + 18}" text-anchor="{anchor}" font-size="11" font-weight="bold">'
            f"{escape(format(float(chosen['throughput_rps']), 'g'))} req/s, p95 "
            f"{escape(format(float(chosen['p95_ms']), 'g'))} ms</text>"
        )
    panel.legend([("p50", COLOURS["p50"]), ("p95", COLOURS["p95"]), ("p99", COLOURS["p99"])])
    caption = (
        f"each step labelled with its users (x: broke a threshold); dashed: p95 limit {max_p95_ms:g} ms; "
        "circled: the highest throughput that held"
    )
    return _document([panel], caption)
