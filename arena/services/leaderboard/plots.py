# Long because every plot (intervals, win rates, heatmaps, history) is laid out here alike.
"""The leaderboard's plots as SVG, drawn on the server: no chart library in the browser.

Three pure functions, plain data in and an SVG string out: ratings with their interval bars,
a pairwise heatmap (win rates or battle counts), and ratings over time. Every mark carries a
``<title>`` (its tooltip and its text for screen readers) and ``data-`` attributes with the
exact values; every plot has a title and a description (``role="img"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from arena.services.leaderboard.svg import (
    ACCENT,
    DASHES,
    GRID,
    HIGH,
    LOW,
    MID,
    MUTED,
    PALETTE,
    TEXT,
    TOP,
    clip_label,
    diverging,
    document,
    empty,
    esc,
    linear,
    nice_ticks,
    num,
    sequential,
    text_width,
)


@dataclass(frozen=True)
class Interval:
    """One model's rating and interval bounds (Elo scale)."""

    model: str
    name: str
    rating: float
    lower: float
    upper: float
    provisional: bool = False
    rank: int | None = None


@dataclass(frozen=True)
class Series:
    """One model's rating at successive times."""

    model: str
    name: str
    points: Sequence[tuple[datetime, float]]


ROW = 26.0
PLOT_WIDTH = 340.0
"""The drawing's width: with the labels, a plot stays about 600 units wide, so that in a
600-pixel column of the page its 12-unit text is drawn at 11 pixels or more."""


def _value_label(item: Interval) -> str:
    return (
        f"{item.rating:.0f} +{item.upper - item.rating:.0f} / \u2212{item.rating - item.lower:.0f}"
    )


def ratings_plot(
    items: Sequence[Interval],
    *,
    title: str,
    level: float = 0.95,
    uid: str = "plot-ratings",
    subtitle: str = "",
) -> str:
    """A dot per model at its rating, a bar over its interval, best first; one ``g.bar`` each.

    Provisional models' bars are dashed and their dots hollow.
    """
    if not items:
        return empty(uid=uid, title=title, message="No official ratings yet.", subtitle=subtitle)
    label_w = min(max(text_width(clip_label(i.name)) for i in items) + 24, 240)
    value_w = max(text_width(_value_label(i)) for i in items) + 24
    ticks = nice_ticks(min(i.lower for i in items), max(i.upper for i in items))
    x = linear((ticks[0], ticks[-1]), (label_w, label_w + PLOT_WIDTH))
    top = TOP
    bottom = top + ROW * len(items)
    width, height = label_w + PLOT_WIDTH + value_w, bottom + 52
    pct = f"{level:.0%}"
    body = []
    for t in ticks:
        body.append(
            f'<line x1="{num(x(t))}" x2="{num(x(t))}" y1="{num(top - 4)}" y2="{num(bottom)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{num(x(t))}" y="{num(bottom + 16)}" fill="{MUTED}" '
            f'text-anchor="middle">{t:g}</text>'
        )
    body.append(
        f'<text x="{num(label_w + PLOT_WIDTH / 2)}" y="{num(bottom + 38)}" fill="{MUTED}" '
        f'text-anchor="middle">Rating (Elo scale); bars: {pct} interval</text>'
    )
    for k, item in enumerate(items):
        cy = top + ROW * k + ROW / 2
        rank = f", rank {item.rank}" if item.rank is not None else ""
        note = " (provisional: few votes)" if item.provisional else ""
        dash = ' stroke-dasharray="4 3"' if item.provisional else ""
        fill = "none" if item.provisional else TEXT
        body.append(
            f'<g class="bar{" provisional" if item.provisional else ""}" '
            f'data-model="{esc(item.model)}" data-rating="{item.rating:g}" '
            f'data-lower="{item.lower:g}" data-upper="{item.upper:g}">'
            f"<title>{esc(item.name)}: {item.rating:.0f}, {pct} interval {item.lower:.0f} to "
            f"{item.upper:.0f}{rank}{note}</title>"
            f'<text x="{num(label_w - 10)}" y="{num(cy + 4)}" fill="{TEXT}" '
            f'text-anchor="end">{esc(clip_label(item.name))}</text>'
            f'<line x1="{num(x(item.lower))}" x2="{num(x(item.upper))}" y1="{num(cy)}" '
            f'y2="{num(cy)}" stroke="{ACCENT}" stroke-width="6" stroke-linecap="round" '
            f'stroke-opacity="0.55"{dash}/>'
            f'<circle cx="{num(x(item.rating))}" cy="{num(cy)}" r="4.5" fill="{fill}" '
            f'stroke="{TEXT}" stroke-width="1.5"/>'
            f'<text x="{num(label_w + PLOT_WIDTH + 12)}" y="{num(cy + 4)}" fill="{TEXT}">'
            f'{item.rating:.0f} <tspan fill="{MUTED}">+{item.upper - item.rating:.0f} / '
            f"\u2212{item.rating - item.lower:.0f}</tspan></text></g>"
        )
    desc = (
        f"Official ratings of {len(items)} models with {pct} intervals, best first. "
        + "; ".join(f"{i.name} {i.rating:.0f} ({i.lower:.0f} to {i.upper:.0f})" for i in items)
    )
    return document(
        uid=uid, width=width, height=height, title=title, desc=desc, body=body, subtitle=subtitle
    )


def _compact(n: float) -> str:
    return f"{n / 1000:.0f}k" if n >= 10_000 else f"{n:.0f}"


def heatmap_plot(
    models: Sequence[str],
    names: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    kind: Literal["win_rate", "count"],
    title: str,
    uid: str,
    counts: Sequence[Sequence[int]] | None = None,
    subtitle: str = "",
) -> str:
    """An M x M grid: [row][column] is the row model's win rate against the column model (a
    diverging red-to-blue scale around 50%) or their number of votes (dark to blue).

    ``None`` cells (a model against itself, or a pair that never met) stay empty.
    """
    n = len(models)
    if n < 2:
        return empty(
            uid=uid, title=title, message="Two models with votes are needed.", subtitle=subtitle
        )
    cell = max(30.0, min(48.0, 420.0 / n))
    labels = [clip_label(name, 24) for name in names]
    longest = max(text_width(t) for t in labels)
    label_w = min(longest + 16, 200)
    # Column labels run up and to the right at 45 degrees: room above, and past the last column.
    top = TOP + longest * 0.71 + 8
    width = label_w + n * cell + max(40.0, longest * 0.71 - cell / 2 + 16)
    height = top + n * cell + 64
    top_count = max((v for row in values for v in row if v is not None), default=0.0)
    font = 12.0
    body = []
    for j, label in enumerate(labels):
        cx = label_w + j * cell + cell / 2
        body.append(
            f'<text transform="translate({num(cx)} {num(top - 6)}) rotate(-45)" fill="{TEXT}">'
            f"{esc(label)}</text>"
        )
    for i, label in enumerate(labels):
        cy = top + i * cell + cell / 2
        body.append(
            f'<text x="{num(label_w - 8)}" y="{num(cy + 4)}" fill="{TEXT}" '
            f'text-anchor="end">{esc(label)}</text>'
        )
    # Shared presentation on one group keeps each cell small (a 20 x 20 grid is 400 cells).
    body.append(
        f'<g stroke="{GRID}" font-size="{num(font)}" text-anchor="middle">'
        f'<rect x="{num(label_w)}" y="{num(top)}" width="{num(n * cell)}" '
        f'height="{num(n * cell)}" fill="{GRID}" fill-opacity="0.35"/>'
    )
    for i in range(n):
        for j in range(n):
            value = values[i][j]
            x0, y0 = label_w + j * cell, top + i * cell
            if value is None:
                continue  # the grid's background shows through
            if kind == "win_rate":
                fill, shown = diverging(value), f"{100 * value:.0f}"
                votes = f" of {counts[i][j]} votes" if counts is not None else ""
                tip = f"{names[i]} vs {names[j]}: {names[i]} won {100 * value:.0f}%{votes}"
            else:
                fill, shown = sequential(value, top_count), _compact(value)
                tip = f"{names[i]} vs {names[j]}: {value:.0f} votes"
            body.append(
                f'<g class="cell" data-row="{esc(models[i])}" data-col="{esc(models[j])}" '
                f'data-value="{value:g}"><title>{esc(tip)}</title>'
                f'<rect x="{num(x0)}" y="{num(y0)}" width="{num(cell)}" height="{num(cell)}" '
                f'fill="{fill}"/><text x="{num(x0 + cell / 2)}" '
                f'y="{num(y0 + cell / 2 + font / 3)}" fill="{TEXT}" stroke="none">'
                f"{shown}</text></g>"
            )
    body.append("</g>")
    ly = top + n * cell + 20
    stops: tuple[tuple[int, str], ...]
    if kind == "win_rate":
        stops, ends = ((0, LOW), (50, MID), (100, HIGH)), ("0%", "50%", "100%")
    else:
        stops, ends = ((0, MID), (100, HIGH)), ("0", "", _compact(top_count))
    body.append(
        f'<defs><linearGradient id="{esc(uid)}-scale">'
        + "".join(f'<stop offset="{at}%" stop-color="{c}"/>' for at, c in stops)
        + "</linearGradient></defs>"
        f'<rect x="{num(label_w)}" y="{num(ly)}" width="160" height="10" '
        f'fill="url(#{esc(uid)}-scale)" stroke="{GRID}"/>'
        + "".join(
            f'<text x="{num(label_w + 80 * k)}" y="{num(ly + 26)}" fill="{MUTED}" '
            f'text-anchor="middle">{end}</text>'
            for k, end in enumerate(ends)
        )
    )
    what = (
        "Share of votes the row model won against the column model (ties count half)"
        if kind == "win_rate"
        else "Number of votes between each pair of models"
    )
    desc = f"{what}, for {n} models; empty cells: a model against itself, or a pair never met."
    return document(
        uid=uid, width=width, height=height, title=title, desc=desc, body=body, subtitle=subtitle
    )


def _time_label(t: datetime, span: timedelta) -> str:
    return t.strftime("%b %d" if span > timedelta(days=2) else "%b %d %H:%M")


def history_plot(
    series: Sequence[Series], *, title: str, uid: str = "plot-history", subtitle: str = ""
) -> str:
    """One line per model (``g.series``): its official rating at each snapshot, over time.

    With a single snapshot there is no time axis to draw: each model's rating is a dot in one
    column labelled with the snapshot's time, and the plot says lines begin at the next one.
    """
    points = [p for s in series for p in s.points]
    if not points:
        return empty(uid=uid, title=title, message="No official snapshots yet.", subtitle=subtitle)
    legend_w = min(max(text_width(clip_label(s.name, 22)) for s in series) + 58, 230)
    left, plot_w, top, plot_h = 56.0, 360.0, TOP, 240.0
    width, height = left + plot_w + legend_w, top + plot_h + 56
    first, last = min(t for t, _ in points), max(t for t, _ in points)
    single = last == first
    t0, t1 = (
        (first, last) if not single else (first - timedelta(hours=1), last + timedelta(hours=1))
    )
    span = t1 - t0
    x = linear((0.0, span.total_seconds()), (left, left + plot_w))
    ticks = nice_ticks(min(r for _, r in points), max(r for _, r in points), 5)
    y = linear((ticks[0], ticks[-1]), (top + plot_h, top))

    def px(t: datetime) -> float:
        return x((t - t0).total_seconds())

    body = []
    for v in ticks:
        body.append(
            f'<line x1="{num(left)}" x2="{num(left + plot_w)}" y1="{num(y(v))}" '
            f'y2="{num(y(v))}" stroke="{GRID}"/>'
            f'<text x="{num(left - 8)}" y="{num(y(v) + 4)}" fill="{MUTED}" '
            f'text-anchor="end">{v:g}</text>'
        )
    times = [first] if single else [t0 + span * (k / 4) for k in range(5)]
    for t in times:
        label = f"{t:%Y-%m-%d %H:%M}" if single else _time_label(t, span)
        body.append(
            f'<text class="tick" x="{num(px(t))}" y="{num(top + plot_h + 18)}" fill="{MUTED}" '
            f'text-anchor="middle">{esc(label)}</text>'
        )
    caption = (
        "One snapshot so far (UTC): lines start at the next recompute"
        if single
        else "Snapshot time (UTC); rating on the Elo scale"
    )
    body.append(
        f'<text x="{num(left + plot_w / 2)}" y="{num(top + plot_h + 40)}" fill="{MUTED}" '
        f'text-anchor="middle" class="caption">{caption}</text>'
    )
    for k, s in enumerate(series):
        color, dash = PALETTE[k % len(PALETTE)], DASHES[(k // len(PALETTE)) % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        coords = " ".join(f"{num(px(t))},{num(y(r))}" for t, r in s.points)
        marks = "".join(
            f'<circle cx="{num(px(t))}" cy="{num(y(r))}" r="{4 if single else 3}" '
            f'fill="{color}"><title>{esc(s.name)}: {r:.0f} on {t:%Y-%m-%d %H:%M} UTC</title>'
            "</circle>"
            for t, r in s.points
        )
        ly = top + 8 + 18 * k
        body.append(
            f'<g class="series" data-model="{esc(s.model)}" data-points="{len(s.points)}">'
            f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"'
            f"{dash_attr}/>{marks}"
            f'<line x1="{num(left + plot_w + 16)}" x2="{num(left + plot_w + 36)}" '
            f'y1="{num(ly)}" y2="{num(ly)}" stroke="{color}" stroke-width="3"{dash_attr}/>'
            f'<text x="{num(left + plot_w + 42)}" y="{num(ly + 4)}" fill="{TEXT}">'
            f"{esc(clip_label(s.name, 22))}</text></g>"
        )
    desc = (
        f"Official rating of {len(series)} models at {len({t for t, _ in points})} snapshots "
        f"from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC. Unless an anchor model is "
        "set, each snapshot is centred on its own mean: read the gaps between models."
    )
    return document(
        uid=uid, width=width, height=height, title=title, desc=desc, body=body, subtitle=subtitle
    )
