"""The ``manifest`` provider: a CSV or JSON Lines list of (model, prompt id, file or URL).

This is the shape in which pre-generated evaluation sets are published: one manifest for many
models. Options:

- ``path``: the manifest (``.csv`` with a header row, or ``.jsonl`` with one object per
  line), relative to arena.toml; required, read and checked at start-up.
- ``model``: the value of the model column that selects this model's rows (default: the
  model's id).
- ``columns``: the names of the three columns, default
  ``{ model = "model", prompt = "prompt_id", file = "file" }``.
- ``download`` (default false): fetch ``http(s)://`` files at sync time. Without it such rows
  are rejected, saying so: nothing is fetched unless you ask. ``timeout`` (seconds per file,
  default 60) and ``max_mb`` (default 500) bound each download. Downloads are kept in the
  provider's work folder and not fetched again.

A file is a path (relative to the manifest's folder) or a ``file://`` URL. Rows naming a
prompt that is not configured are reported by the sync and skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from arena.registry.base import ClipSource, ConfigError, ModelSpec, PromptSpec
from arena.registry.files import DigestCache
from arena.registry.options import Options

_KNOWN = {"path", "model", "columns", "download", "timeout", "max_mb"}
_COLUMNS = {"model": "model", "prompt": "prompt_id", "file": "file"}


@dataclass(frozen=True)
class Row:
    line: int
    prompt_id: str
    file: str


@dataclass(frozen=True)
class _Settings:
    manifest: Path
    rows: tuple[Row, ...]
    download: bool
    timeout: float
    max_bytes: int


def read_manifest(path: Path, columns: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row of a CSV or JSONL manifest."""
    rows: list[tuple[int, dict[str, str]]] = []
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}:{n}: expected a JSON object")
            rows.append((n, {str(k): str(v) for k, v in raw.items() if v is not None}))
    elif path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = sorted(set(columns.values()) - set(reader.fieldnames or ()))
        if missing:
            raise ConfigError(
                f"{path}: the header has no column {missing[0]!r} "
                f"(columns: {', '.join(reader.fieldnames or ()) or 'none'})"
            )
        for n, raw in enumerate(reader, start=2):
            rows.append((n, {k: (v or "").strip() for k, v in raw.items() if k is not None}))
    else:
        raise ConfigError(f"{path}: a manifest must be .csv or .jsonl, not {path.suffix!r}")
    return rows


def _settings(model: ModelSpec) -> _Settings:
    opts = Options(model, known=_KNOWN)
    manifest = opts.path("path", must_be="file")
    selector = opts.string("model", model.id)
    columns = dict(_COLUMNS)
    for key, value in opts.table("columns").items():
        if key not in _COLUMNS or not isinstance(value, str):
            raise opts.error(f"columns.{key}", "is not a column role (model, prompt, file)")
        columns[key] = value
    download = opts.boolean("download", False)
    timeout = opts.number("timeout", 60, minimum=0.001)
    max_bytes = int(opts.number("max_mb", 500, minimum=0.001) * 1_000_000)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for line, raw in read_manifest(manifest, columns):
        if raw.get(columns["model"], "") != selector:
            continue
        prompt_id, file = raw.get(columns["prompt"], ""), raw.get(columns["file"], "")
        if not prompt_id or not file:
            empty = columns["prompt"] if not prompt_id else columns["file"]
            raise ConfigError(f"{manifest}:{line}: empty {empty!r} for model {selector!r}")
        if prompt_id in seen:
            raise ConfigError(
                f"{manifest}:{line}: model {selector!r} has a second row for prompt "
                f"{prompt_id!r} (the first is on line {seen[prompt_id]})"
            )
        seen[prompt_id] = line
        scheme = urllib.parse.urlsplit(file).scheme.lower()
        if scheme not in ("", "file", "http", "https") and len(scheme) > 1:
            raise ConfigError(f"{manifest}:{line}: unsupported URL scheme {scheme!r} in {file!r}")
        rows.append(Row(line, prompt_id, file))
    if not rows:
        raise opts.error(
            "model",
            f"{selector!r} has no row in {manifest} (column {columns['model']!r})",
        )
    return _Settings(manifest, tuple(rows), download, timeout, max_bytes)


class ManifestProvider:
    """Pre-generated clips listed in a manifest: local files, file:// or (opt-in) http(s)."""

    name: ClassVar[str] = "manifest"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        _settings(model)

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        settings = _settings(model)
        digests = DigestCache(workdir / model.id)
        try:
            for row in settings.rows:
                yield self._clip(row, settings, digests, workdir / model.id)
        finally:
            digests.save()

    def _clip(
        self, row: Row, settings: _Settings, digests: DigestCache, folder: Path
    ) -> ClipSource:
        where = f"{settings.manifest.name}:{row.line}"
        parts = urllib.parse.urlsplit(row.file)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if not settings.download:
                return ClipSource(
                    row.prompt_id,
                    error=f"{where}: {row.file} is an {scheme} URL; set options.download = "
                    "true to fetch it at sync time",
                )
            try:
                path = _download(row.file, folder, settings.timeout, settings.max_bytes)
            except DownloadError as exc:
                return ClipSource(row.prompt_id, error=f"{where}: {exc}")
        elif scheme == "file":
            path = Path(urllib.request.url2pathname(parts.path))
        else:
            path = Path(row.file).expanduser()
            if not path.is_absolute():
                path = settings.manifest.parent / path
        if not path.is_file():
            return ClipSource(row.prompt_id, error=f"{where}: file not found: {path}")
        return ClipSource(row.prompt_id, path=path, digest=digests.digest(path))


class DownloadError(Exception):
    """A download failed; the message says how (timeout, HTTP status, size)."""


def _download(url: str, folder: Path, timeout: float, max_bytes: int) -> Path:
    """Fetch ``url`` into ``folder`` once (named by the URL's hash), within the limits."""
    suffix = Path(urllib.parse.urlsplit(url).path).suffix.lower() or ".mp4"
    dest = folder / "downloads" / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}{suffix}"
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as out:
            declared = response.headers.get("Content-Length")
            if declared and int(declared) > max_bytes:
                raise DownloadError(f"{url} is {int(declared):,} bytes, over max_mb")
            copied = 0
            while chunk := response.read(1 << 16):
                copied += len(chunk)
                if copied > max_bytes:
                    raise DownloadError(f"{url} exceeds max_mb ({max_bytes:,} bytes)")
                out.write(chunk)
        shutil.move(tmp, dest)
        return dest
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"download failed: HTTP {exc.code} {exc.reason}: {url}") from None
    except TimeoutError:
        raise DownloadError(f"download timed out after {timeout:g} s: {url}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise DownloadError(f"download timed out after {timeout:g} s: {url}") from None
        raise DownloadError(f"download failed ({exc.reason}): {url}") from None
    except OSError as exc:
        raise DownloadError(f"download failed ({exc}): {url}") from None
    finally:
        tmp.unlink(missing_ok=True)
