"""Serve clips and prompt images by opaque id, with range requests and long-lived caching.

A clip's file is named by its random public id, so no database lookup is needed and nothing
about its model reaches the URL, the headers or the bytes. Files never change under an id
(a re-synced clip gets a new id), hence ``immutable``.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import FileResponse

from arena.errors import NotFound
from arena.web.deps import SettingsDep

router = APIRouter(include_in_schema=False)

_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
_IMAGE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|jpeg|webp)$")
CACHE = "public, max-age=31536000, immutable"


@router.get("/clips/{public_id}")
def clip(public_id: str, settings: SettingsDep) -> FileResponse:
    path = settings.clips_dir / f"{public_id}.mp4"
    if not _PUBLIC_ID.match(public_id) or not path.is_file():
        raise NotFound(f"no clip {public_id!r}")
    return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": CACHE})


@router.get("/images/{name}")
def image(name: str, settings: SettingsDep) -> FileResponse:
    path = settings.images_dir / name
    if not _IMAGE.match(name) or not path.is_file():
        raise NotFound(f"no image {name!r}")
    return FileResponse(path, headers={"Cache-Control": CACHE})
