"""Poster frames of the model pages' showcase clips: the middle frame, decoded once, kept as PNG.

A ``<video preload="none">`` with a poster draws a picture at once and fetches no video bytes
until the visitor presses play; without one the browser shows a black box.
"""

from __future__ import annotations

from pathlib import Path

import av

from arena.core.errors import NotFound
from arena.media.encode import write_png


def poster(clip: Path, cache: Path) -> Path:
    """The PNG of ``clip``'s middle frame, in ``cache`` (made again when the clip is newer)."""
    if not clip.is_file():
        raise NotFound(f"no clip file for this poster: {clip.name}")
    dest = cache / f"{clip.name}.png"
    if dest.is_file() and dest.stat().st_mtime >= clip.stat().st_mtime:
        return dest
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        base = stream.time_base
        seconds = float(stream.duration * base) if stream.duration and base else 0.0
        picture = None
        for frame in container.decode(stream):
            picture = frame
            if frame.time is not None and frame.time >= seconds / 2:
                break
    if picture is None:
        raise NotFound(f"the clip has no picture for a poster: {clip.name}")
    write_png(dest, picture.to_ndarray(format="rgb24"))
    return dest
