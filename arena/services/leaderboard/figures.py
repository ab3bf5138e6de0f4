"""The four plots of a leaderboard view, from the board and the data behind it."""

from __future__ import annotations

from arena.services.leaderboard.builder import PLOTS
from arena.services.leaderboard.plotdata import pair_matrix, rating_history
from arena.services.leaderboard.plots import (
    Interval,
    Series,
    heatmap_plot,
    history_plot,
    ratings_plot,
)
from arena.services.leaderboard.schema import Leaderboard, PairMatrix, RatingHistory
from arena.store import Session

HEATMAP_MODELS = 20
"""Models in a heatmap, best first: beyond twenty the cells are too small to read."""

TITLES = {
    "ratings": "Ratings and {level} intervals",
    "win-rates": "Win rates, row model against column model",
    "battles": "Votes between each pair of models",
    "history": "Official rating over time",
}


def _where(board: Leaderboard) -> str:
    """The view a plot shows, its subtitle."""
    category = f", {board.category}" if board.category else ""
    return f"{board.track_label}{category}"


def ratings_svg(board: Leaderboard) -> str:
    level = board.official.level if board.official else 0.95
    items = [
        Interval(r.model, r.name, r.rating, r.lower, r.upper, r.provisional, r.rank)
        for r in sorted(board.rows, key=lambda r: -(r.rating or 0.0))
        if r.rating is not None and r.lower is not None and r.upper is not None
    ]
    title = TITLES["ratings"].format(level=f"{level:.0%}")
    return ratings_plot(items, title=title, level=level, uid="plot-ratings", subtitle=_where(board))


def heatmap_svg(board: Leaderboard, matrix: PairMatrix, kind: str) -> str:
    """The first :data:`HEATMAP_MODELS` models of the board (the matrix JSON has them all)."""
    k = min(len(matrix.models), HEATMAP_MODELS)
    top = f" (top {k} of {len(matrix.models)})" if k < len(matrix.models) else ""
    title = TITLES[kind]
    subtitle = _where(board) + top
    battles = [row[:k] for row in matrix.battles[:k]]
    if kind == "win-rates":
        return heatmap_plot(
            matrix.models[:k],
            matrix.names[:k],
            [row[:k] for row in matrix.win_rate[:k]],
            kind="win_rate",
            title=title,
            uid="plot-win-rates",
            counts=battles,
            subtitle=subtitle,
        )
    counts: list[list[float | None]] = [
        [float(v) if i != j and v else None for j, v in enumerate(row)]
        for i, row in enumerate(battles)
    ]
    return heatmap_plot(
        matrix.models[:k],
        matrix.names[:k],
        counts,
        kind="count",
        title=title,
        uid="plot-battles",
        subtitle=subtitle,
    )


def history_svg(board: Leaderboard, history: RatingHistory) -> str:
    series = [
        Series(s.model, s.name, [(p.created_at, p.rating) for p in s.points])
        for s in history.series
    ]
    return history_plot(series, title=TITLES["history"], uid="plot-history", subtitle=_where(board))


def render(session: Session, board: Leaderboard, names: tuple[str, ...] = PLOTS) -> dict[str, str]:
    """The SVG of each plot in ``names`` (see :data:`PLOTS`), reading its data once."""
    matrix = pair_matrix(session, board) if {"win-rates", "battles"} & set(names) else None
    out = {}
    for name in names:
        if name == "ratings":
            out[name] = ratings_svg(board)
        elif name == "history":
            out[name] = history_svg(board, rating_history(session, board.track, board.category))
        else:
            assert matrix is not None
            out[name] = heatmap_svg(board, matrix, name)
    return out
