"""Serve battle clips by per-battle URL, and prompt images by content name.

A battle's clips are served at ``/battles/{battle_id}/left`` and ``/right``, to the voter the
battle was issued to, until it expires plus ``ARENA_CLIP_GRACE`` (replays after the vote).
Nothing a voter receives names a clip for longer than one battle: the stable clip id, which a
single reveal would turn into a pseudonym of its model, stays on the server. Served files
carry a fixed modification time (arena.services.ingest.files), so no header tells them apart either.

The app authorizes; the bytes go out through the front server where one is configured
(``ARENA_CLIP_OFFLOAD``: nginx's ``X-Accel-Redirect`` or ``X-Sendfile``, to a peer named in
``ARENA_TRUSTED_PROXIES``), else from here, with range requests either way.
"""

from __future__ import annotations

import math
import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from arena.core.clock import utcnow
from arena.core.errors import Forbidden, Gone, NotFound
from arena.core.vocabulary import Side
from arena.services.clips import BattleClips
from arena.web.client import is_trusted
from arena.web.deps import SettingsDep, VoterDep

router = APIRouter(include_in_schema=False)

_BATTLE_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
_IMAGE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|jpeg|webp)$")
IMAGE_CACHE = "public, max-age=31536000, immutable"


@router.get("/battles/{battle_id}/{side}")
async def clip(
    battle_id: str, side: Side, request: Request, settings: SettingsDep, voter: VoterDep
) -> Response:
    clips: BattleClips = request.app.state.battle_clips
    found = await clips.get(battle_id, side) if _BATTLE_ID.match(battle_id) else None
    if found is None:
        raise NotFound(f"no battle {battle_id!r}")
    if found.voter_id != voter:
        raise Forbidden(f"battle {battle_id!r} was issued to another voter")
    left = (found.expires_at - utcnow()).total_seconds() + settings.clip_grace_seconds
    if left <= 0:
        raise Gone(f"the clips of battle {battle_id!r} have expired")
    headers = {"Cache-Control": f"private, max-age={math.ceil(left)}"}
    path = settings.clips_dir / found.file
    # The file's name goes only to a front server the app trusts to consume the header; a
    # request that reached the app directly gets the bytes, and no name.
    peer = request.client.host if request.client else ""
    offload = settings.clip_offload if is_trusted(peer, request.app.state.trusted_proxies) else ""
    if offload == "x-accel-redirect":
        headers["X-Accel-Redirect"] = settings.clip_offload_prefix + found.file
        return Response(media_type="video/mp4", headers=headers)
    if offload == "x-sendfile":
        headers["X-Sendfile"] = str(path.resolve())
        return Response(media_type="video/mp4", headers=headers)
    if not path.is_file():  # a stat, on the loop: microseconds
        raise NotFound(f"no clip for battle {battle_id!r}")
    return FileResponse(path, media_type="video/mp4", headers=headers)


@router.get("/images/{name}")
def image(name: str, settings: SettingsDep) -> FileResponse:
    path = settings.images_dir / name
    if not _IMAGE.match(name) or not path.is_file():
        raise NotFound(f"no image {name!r}")
    return FileResponse(path, headers={"Cache-Control": IMAGE_CACHE})
