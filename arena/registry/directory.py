"""The ``directory`` provider: a folder per model, one clip per prompt, named by the prompt id.

Options: ``path`` (the model's folder, relative to arena.toml; required and checked at
start-up) and ``extensions`` (default ``[".mp4", ".m4v", ".mov", ".webm", ".mkv"]``). A file
``<path>/<prompt id>.<extension>`` is the model's clip for that prompt. Files named after no
configured prompt are reported (and skipped) by the sync; two files for one prompt
(``ball.mp4`` and ``ball.webm``) are an error for that prompt. Hidden files are ignored.
Digests are content hashes, computed once per file and then reused while its size and
modification time stay the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from arena.registry.base import ClipSource, ModelSpec, PromptSpec
from arena.registry.files import VIDEO_SUFFIXES, DigestCache
from arena.registry.options import Options

_KNOWN = {"path", "extensions"}


def _options(model: ModelSpec) -> tuple[Path, tuple[str, ...]]:
    opts = Options(model, known=_KNOWN)
    folder = opts.path("path", must_be="dir")
    suffixes = opts.strings("extensions", list(VIDEO_SUFFIXES))
    bad = [s for s in suffixes if not s.startswith(".") or len(s) < 2]
    if bad or not suffixes:
        raise opts.error("extensions", f"must be suffixes like '.mp4', got {suffixes!r}")
    return folder, tuple(s.lower() for s in suffixes)


class DirectoryProvider:
    """Clips that already exist as files, one folder per model."""

    name: ClassVar[str] = "directory"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        _options(model)

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        folder, suffixes = _options(model)
        by_stem: dict[str, list[Path]] = {}
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if path.suffix.lower() in suffixes:
                by_stem.setdefault(path.stem, []).append(path)
        digests = DigestCache(workdir / model.id)
        try:
            for stem, paths in by_stem.items():
                if len(paths) > 1:
                    names = ", ".join(p.name for p in paths)
                    yield ClipSource(stem, error=f"several files for this prompt: {names}")
                    continue
                yield ClipSource(stem, path=paths[0], digest=digests.digest(paths[0]))
        finally:
            digests.save()
