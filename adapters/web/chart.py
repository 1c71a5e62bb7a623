"""A paper's attention over time as an inline SVG (drawn here, no external requests, no script):
per source, the cumulative reposts + likes by UTC day, with a table for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from adapters.web.render import e
from bot.domain.models import TimelinePoint

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def cumulative(points: Sequence[TimelinePoint]) -> dict[str, list[tuple[date, int]]]:
    """Per source, (day, running total of reposts + likes), oldest first."""
    series: dict[str, list[tuple[date, int]]] = {}
    for point in sorted(points, key=lambda p: (p.day, p.source)):
        line = series.setdefault(point.source, [])
        total = (line[-1][1] if line else 0) + point.engagement
        line.append((point.day, total))
    return series


def attention_chart(points: Sequence[TimelinePoint], *, title: str) -> str:
    """The chart and its data table; a sentence when there is nothing dated to draw."""
    if not points:
        return "<p>No dated attention to chart yet.</p>"
    series = cumulative(points)
    first = min(p.day for p in points)
    last = max(p.day for p in points)
    span = max((last - first).days, 1)
    peak = max((line[-1][1] for line in series.values()), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / peak)

    shapes = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#555"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 22}" font-size="11">{first.isoformat()}</text>',
    ]
    if last != first:
        shapes.append(
            f'<text x="{LEFT + plot_w}" y="{HEIGHT - 22}" text-anchor="end" font-size="11">'
            f"{last.isoformat()}</text>"
        )
    legend = []
    for index, (source, line) in enumerate(sorted(series.items())):
        color = COLORS[index % len(COLORS)]
        coords = [(x(line[0][0]), y(0))] if len(line) == 1 or line[0][0] == first else []
        coords += [(x(day), y(total)) for day, total in line]
        if len(coords) == 1:
            coords.append((coords[0][0] + 2, coords[0][1]))
        path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
        shapes.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for day, total in line:
            shapes.append(
                f'<circle cx="{x(day):.1f}" cy="{y(total):.1f}" r="3" fill="{color}">'
                f"<title>{e(source)} {day.isoformat()}: {total}</title></circle>"
            )
        lx = LEFT + 110 * index
        shapes.append(
            f'<rect x="{lx}" y="{HEIGHT - 12}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{HEIGHT - 3}" font-size="11">{e(source)}</text>'
        )
        legend.append(source)
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{e(title)}</title>' + "".join(shapes) + "</svg>"
    )
    return f"<figure>{svg}<figcaption>{e(title)}</figcaption>{chart_table(points)}</figure>"


def chart_table(points: Sequence[TimelinePoint]) -> str:
    rows = "".join(
        f"<tr><td>{p.day.isoformat()}</td><td>{e(p.source)}</td><td>{p.posts}</td>"
        f"<td>{p.engagement}</td></tr>"
        for p in points
    )
    return (
        '<details><summary>The numbers</summary><table><thead><tr><th scope="col">day (UTC)'
        '</th><th scope="col">source</th><th scope="col">posts</th>'
        f'<th scope="col">reposts + likes</th></tr></thead><tbody>{rows}</tbody></table></details>'
    )
