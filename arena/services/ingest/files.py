"""Files of ingestion: content digests, originals kept aside, served copies with a fixed mtime."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from arena.registry.files import content_digest as file_digest

EPOCH = 946_684_800
"""2000-01-01: every served file gets this modification time."""


def place(src: Path, dest: Path, *, link: bool = False) -> None:
    """Put a copy of ``src`` at ``dest`` atomically (never a partial file at ``dest``).

    ``link``: a hard link where the file system allows one (the same bytes, no second copy),
    for a ``src`` that is never changed in place (only ever replaced by a rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    try:
        if not link:
            raise OSError("a copy was asked for")
        os.link(src, tmp)
    except OSError:  # another file system, or no hard links there: copy
        shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def serve_copy(src: Path, dest: Path, *, link: bool = False) -> None:
    """Put a file into the media folder with the fixed mtime: a served file's Last-Modified
    must not tell when (or, by sync order, from which model) it was ingested. ``link`` as in
    :func:`place` (the mtime is then the shared file's)."""
    place(src, dest, link=link)
    os.utime(dest, (EPOCH, EPOCH))


def keep_original(
    path: Path, sources_dir: Path, digest: str | None = None, *, link: bool = False
) -> str:
    """Keep the provider's file under ``sources_dir/originals``, named by its content, and
    return that name relative to ``sources_dir``. Originals let a changed policy re-normalize
    every clip without asking the providers again. A copy unless ``link`` (the provider says
    it never rewrites the file in place): otherwise a provider's file rewritten in place would
    change the original kept under its old digest."""
    digest = digest or file_digest(path)
    suffix = path.suffix.lower() if path.suffix else ".bin"
    name = f"originals/{digest}{suffix}"
    dest = sources_dir / name
    if not dest.exists():
        place(path, dest, link=link)
    return name


def store_image(path: Path, images_dir: Path) -> str:
    """Copy a prompt's source image into the media folder under a content-derived name."""
    name = f"{file_digest(path)[:32]}{path.suffix.lower()}"
    dest = images_dir / name
    if not dest.exists():
        serve_copy(path, dest)
    return name
