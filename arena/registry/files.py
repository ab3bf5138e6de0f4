"""For providers that read existing files: video file names, and content digests at stat cost.

A provider's :class:`~arena.registry.base.ClipSource` carries a digest so that an unchanged
clip costs nothing on the next sync. Hashing every file on every sync would cost a full read;
:class:`DigestCache` hashes a file once and remembers the hash under its size and
modification time, so later syncs only ``stat`` it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv")


def content_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class DigestCache:
    """sha256 of files, kept in ``<workdir>/digests.json`` keyed by path, size and mtime."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "digests.json"
        try:
            self.entries: dict[str, list[object]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.entries = {}
        self.dirty = False

    def digest(self, file: Path) -> str:
        stat = file.stat()
        key = str(file.resolve())
        entry = self.entries.get(key)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return str(entry[2])
        value = content_digest(file)
        self.entries[key] = [stat.st_size, stat.st_mtime_ns, value]
        self.dirty = True
        return value

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        tmp.write_text(json.dumps(self.entries))
        os.replace(tmp, self.path)
        self.dirty = False
