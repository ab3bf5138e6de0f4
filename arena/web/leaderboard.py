"""Leaderboard routes: the page, JSON, CSV, the pairwise data, the history, SVG plots.

Every representation of a view comes from one :func:`build_leaderboard` call, behind the
conditional responses of :mod:`arena.web.caching` (ETag, 304, gzip).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from arena.core.errors import Invalid
from arena.core.ranking.graph import NOT_COMPARABLE
from arena.core.vocabulary import TRACKS
from arena.services.leaderboard import BoardQuery, Leaderboard, build_leaderboard, figures
from arena.services.leaderboard.builder import PLOTS
from arena.services.leaderboard.plotdata import pair_matrix, rating_history
from arena.services.leaderboard.schema import SORT_KEYS, PairMatrix, RatingHistory
from arena.services.leaderboard.table import csv_filename, empty_columns, to_csv
from arena.web.caching import conditional, send, send_json, send_page
from arena.web.deps import SessionDep, SettingsDep

api = APIRouter()
pages = APIRouter(include_in_schema=False)

CACHE = "private, no-cache"
EXAMPLE_TRACK = TRACKS[0]


def board_query(
    track: Annotated[
        str, Query(description=f"One of: {', '.join(TRACKS)}", examples=[EXAMPLE_TRACK])
    ] = TRACKS[0],
    category: Annotated[
        str,
        Query(
            description='A prompt category of the track; "" (default) for every prompt',
            examples=["motion"],
        ),
    ] = "",
    sort: Annotated[
        str, Query(description=f"Column: {', '.join(SORT_KEYS)}", examples=["rating"])
    ] = "rank",
    order: Annotated[
        str,
        Query(description="asc or desc; default: the column's natural order", examples=["desc"]),
    ] = "",
    retired: Annotated[
        str, Query(description="show (default) or hide retired models", examples=["hide"])
    ] = "show",
) -> BoardQuery:
    if retired not in ("show", "hide"):
        raise Invalid(f"retired must be 'show' or 'hide', got {retired!r}")
    return BoardQuery(
        track=track, category=category, sort=sort, order=order, hide_retired=retired == "hide"
    )


BoardDep = Annotated[BoardQuery, Depends(board_query)]


_BOARD_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is current"},
    422: {"description": "Unknown track, category, sort column or order"},
}


@api.get(
    "/leaderboard",
    response_model=Leaderboard,
    responses=_BOARD_RESPONSES,
    summary="A leaderboard view (track, category, sort) as JSON",
)
def leaderboard_json(
    request: Request, session: SessionDep, settings: SettingsDep, query: BoardDep
) -> Response:
    """The official Bradley-Terry ratings of the latest snapshot beside the live figures.

    The same rows, in the same order, as the page and the CSV of the same parameters.
    """
    return conditional(
        request,
        session,
        query.track,
        lambda tag: send_json(request, build_leaderboard(session, query, settings=settings), tag),
    )


@api.get(
    "/leaderboard.csv",
    responses={
        200: {
            "content": {
                "text/csv": {
                    "example": "rank,model,name,organization,license,rating,lower,upper,...\n"
                    "1,aurora-2,Aurora-2,Aurora Labs,proprietary,1161.4,1140.2,1183.9,...\n"
                }
            },
            "description": "The view as CSV, one row per model",
        },
        **_BOARD_RESPONSES,
    },
    response_class=Response,
    summary="A leaderboard view as CSV",
)
def leaderboard_csv(
    request: Request, session: SessionDep, settings: SettingsDep, query: BoardDep
) -> Response:
    """The rows of the JSON view, same order, same values (empty cell for null)."""

    def produce(tag: str) -> Response:
        board = build_leaderboard(session, query, settings=settings)
        disposition = f'attachment; filename="{csv_filename(board)}"'
        media = "text/csv; charset=utf-8"
        return send(request, to_csv(board), media, tag, **{"Content-Disposition": disposition})

    return conditional(request, session, query.track, produce)


@api.get(
    "/leaderboard/matrix",
    response_model=PairMatrix,
    responses=_BOARD_RESPONSES,
    summary="Pairwise battle counts and win rates of a view",
)
def leaderboard_matrix(
    request: Request, session: SessionDep, settings: SettingsDep, query: BoardDep
) -> Response:
    """The data behind the heatmaps, models in the view's order."""

    def produce(tag: str) -> Response:
        board = build_leaderboard(session, query, settings=settings)
        return send_json(request, pair_matrix(session, board), tag)

    return conditional(request, session, query.track, produce)


@api.get(
    "/leaderboard/history",
    response_model=RatingHistory,
    responses=_BOARD_RESPONSES,
    summary="Official ratings over time of a track and category",
)
def leaderboard_history(
    request: Request, session: SessionDep, settings: SettingsDep, query: BoardDep
) -> Response:
    """Each model's rating, interval and rank at (up to 60, evenly sampled) snapshots."""

    def produce(tag: str) -> Response:
        build_leaderboard(session, query, settings=settings)  # checks the category
        return send_json(request, rating_history(session, query.track, query.category), tag)

    return conditional(request, session, query.track, produce)


@api.get(
    "/leaderboard/plots/{name}.svg",
    response_class=Response,
    responses={
        200: {
            "content": {
                "image/svg+xml": {
                    "example": '<svg xmlns="http://www.w3.org/2000/svg" role="img" ...>'
                    '<title id="plot-ratings-title">Ratings and 95% intervals</title>...</svg>'
                }
            },
            "description": "A standalone SVG",
        },
        404: {"description": "No such plot"},
        **_BOARD_RESPONSES,
    },
    summary="One plot of a view as SVG",
)
def leaderboard_plot(
    name: Annotated[str, Path(description=f"One of: {', '.join(PLOTS)}", examples=["ratings"])],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    query: BoardDep,
) -> Response:
    """ratings (interval bars), win-rates and battles (heatmaps), history (rating over time)."""
    if name not in PLOTS:
        raise Invalid(f"unknown plot {name!r}; plots: {', '.join(PLOTS)}")

    def produce(tag: str) -> Response:
        board = build_leaderboard(session, query, settings=settings)
        return send(request, figures.render(session, board, (name,))[name], "image/svg+xml", tag)

    return conditional(request, session, query.track, produce)


@pages.get("/leaderboard")
def leaderboard_page(
    request: Request, session: SessionDep, settings: SettingsDep, query: BoardDep
) -> Response:
    def produce(tag: str) -> Response:
        board = build_leaderboard(session, query, settings=settings)
        plots = {k: Markup(v) for k, v in figures.render(session, board).items()}
        context = {
            "board": board,
            "query": query,
            "plots": plots,
            "reasons": NOT_COMPARABLE,
            "hidden": empty_columns(board),
        }
        return send_page(request, "leaderboard.html", context, tag)

    return conditional(request, session, query.track, produce)
