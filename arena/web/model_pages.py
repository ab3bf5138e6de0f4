"""Model pages and their API: metadata, ratings per track, head-to-head, showcase clips.

Showcase clips are served under the model's own URL, never a battle clip's, and only for the
showcased prompts (see :mod:`arena.services.leaderboard.model_page`): battles stay blind.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from arena.core.vocabulary import TRACK_LABELS
from arena.services.leaderboard.model_page import (
    ModelProfile,
    MovedModel,
    build_profile,
    showcase_clip,
)
from arena.services.leaderboard.posters import poster
from arena.web.caching import conditional, send_json, send_page
from arena.web.deps import SessionDep, SettingsDep

api = APIRouter()
pages = APIRouter(include_in_schema=False)


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

    def produce(tag: str) -> Response:
        try:
            return send_json(request, build_profile(session, model, settings=settings), tag)
        except MovedModel as moved:
            return _moved(request, moved.slug, model)

    return conditional(request, session, None, produce)


@pages.get("/models/{model}")
def model_page(
    model: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    def produce(tag: str) -> Response:
        try:
            profile = build_profile(session, model, settings=settings)
        except MovedModel as moved:
            return _moved(request, moved.slug, model)
        context = {"profile": profile, "track_labels": TRACK_LABELS}
        return send_page(request, "model.html", context, tag)

    return conditional(request, session, None, produce)


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


@pages.get("/models/{model}/clips/{prompt}/poster.png")
def model_clip_poster(
    model: str, prompt: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """The showcased clip's poster frame (PNG), made once and kept under the data directory."""
    try:
        clip = showcase_clip(session, model, prompt, settings.showcase_prompts)
    except MovedModel as moved:
        return RedirectResponse(f"/models/{moved.slug}/clips/{prompt}/poster.png", status_code=301)
    path = poster(settings.clips_dir / clip.file, settings.data_dir / "posters")
    return FileResponse(
        path, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"}
    )
