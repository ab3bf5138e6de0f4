"""Leaderboard and model routes: pages, JSON, CSV, SVG plots, showcase clips.

Every representation of a view comes from one :func:`build_leaderboard` call. Each GET
answers with a weak ETag computed from the data's version key (three small queries, see
:func:`arena.leaderboard.reads.data_version`), before anything is built: a matching
``If-None-Match`` gets a bodiless 304. ``Cache-Control: private, no-cache``: browsers keep a
copy and revalidate it; a first visit's response carries the voter cookie, so shared caches
must not store it.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup

from arena import __version__
from arena.errors import Invalid
from arena.leaderboard import BoardQuery, Leaderboard, build_leaderboard, figures, reads
from arena.leaderboard.builder import PLOTS
from arena.leaderboard.pairs import pair_matrix, rating_history
from arena.leaderboard.profile import (
    ModelProfile,
    MovedModel,
    build_profile,
    showcase_clip,
)
from arena.leaderboard.schema import SORT_KEYS, PairMatrix, RatingHistory
from arena.leaderboard.table import csv_filename, to_csv
from arena.models import utcnow
from arena.settings import TRACKS
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


def etag(session: SessionDep, request: Request, track: str | None) -> str:
    """The view's ETag: the data's version key, the route, the query, the app version."""
    version = reads.data_version(session, track, today=utcnow().date())
    key = f"{__version__}|{version}|{request.url.path}|{sorted(request.query_params.items())}"
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:24]}"'


def not_modified(request: Request, tag: str) -> Response | None:
    """A 304 if ``If-None-Match`` names ``tag`` (weak comparison), else None."""
    header = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
    if "*" in tags or tag.removeprefix("W/") in tags:
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": CACHE})
    return None


def cached(response: Response, tag: str) -> Response:
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = CACHE
    return response


def _json(model: Any, tag: str) -> Response:
    return cached(Response(model.model_dump_json(), media_type="application/json"), tag)


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
    tag = etag(session, request, query.track)
    return not_modified(request, tag) or _json(
        build_leaderboard(session, query, settings=settings), tag
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
    tag = etag(session, request, query.track)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    board = build_leaderboard(session, query, settings=settings)
    return cached(
        Response(
            to_csv(board),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{csv_filename(board)}"'},
        ),
        tag,
    )


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
    tag = etag(session, request, query.track)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    board = build_leaderboard(session, query, settings=settings)
    return _json(pair_matrix(session, board), tag)


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
    tag = etag(session, request, query.track)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    build_leaderboard(session, query, settings=settings)  # validates the category
    return _json(rating_history(session, query.track, query.category), tag)


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
    tag = etag(session, request, query.track)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    board = build_leaderboard(session, query, settings=settings)
    svg = figures.render(session, board, (name,))[name]
    return cached(Response(svg, media_type="image/svg+xml"), tag)


def _moved(request: Request, slug: str, old: str) -> RedirectResponse:
    url = str(request.url.path).replace(f"/models/{old}", f"/models/{slug}", 1)
    return RedirectResponse(url, status_code=301)


@api.get(
    "/models/{model}",
    response_model=ModelProfile,
    responses={
        301: {"description": "A claimed model's former id: moved to its current id"},
        404: {"description": "No such model"},
    },
    summary="A model: metadata, ratings per track, head-to-head, showcase clips",
)
def model_json(
    model: Annotated[str, Path(description="The model's id", examples=["clean-1"])],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The data of the model's page."""
    tag = etag(session, request, None)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    try:
        return _json(build_profile(session, model, settings=settings), tag)
    except MovedModel as moved:
        return _moved(request, moved.slug, model)


@pages.get("/leaderboard")
def leaderboard_page(
    request: Request, session: SessionDep, settings: SettingsDep, query: BoardDep
) -> Response:
    tag = etag(session, request, query.track)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    board = build_leaderboard(session, query, settings=settings)
    plots = {k: Markup(v) for k, v in figures.render(session, board).items()}
    response = request.app.state.templates.TemplateResponse(
        request,
        "leaderboard.html",
        {"board": board, "query": query, "plots": plots, "sort_keys": SORT_KEYS},
    )
    return cached(response, tag)


@pages.get("/models/{model}")
def model_page(
    model: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    tag = etag(session, request, None)
    if (hit := not_modified(request, tag)) is not None:
        return hit
    try:
        profile = build_profile(session, model, settings=settings)
    except MovedModel as moved:
        return _moved(request, moved.slug, model)
    response = request.app.state.templates.TemplateResponse(
        request, "model.html", {"profile": profile}
    )
    return cached(response, tag)


@pages.get("/models/{model}/clips/{prompt}")
def model_clip(model: str, prompt: str, session: SessionDep, settings: SettingsDep) -> Response:
    """A showcased clip, under the model's URL (not its battle URL); others are 404."""
    try:
        clip = showcase_clip(session, model, prompt, settings.showcase_prompts)
    except MovedModel as moved:
        return RedirectResponse(f"/models/{moved.slug}/clips/{prompt}", status_code=301)
    return FileResponse(
        settings.clips_dir / clip.file,
        media_type="video/mp4",
        headers={"Cache-Control": "public, max-age=3600"},
    )
