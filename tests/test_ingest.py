"""Sync: clips are probed, stored under opaque names, and a second run costs nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from sqlalchemy.engine import Engine
from sqlmodel import select

from arena.registry.base import ClipSource, ModelSpec, PromptSpec
from arena.registry.plugins import Registry
from arena.services.ingest import SyncReport, sync
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Clip, Model, Prompt, PromptCategory


def test_sync_stores_every_clip_and_prompt(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        clips = session.exec(select(Clip)).all()
        models = session.exec(select(Model)).all()
        prompts = session.exec(select(Prompt)).all()
        categories = session.exec(select(PromptCategory)).all()
    assert len(models) == 4 and len(prompts) == 8
    assert len(clips) == 3 * 8 + 2 * 2  # three models on all tracks, one on the two silent ones
    assert {c.category for c in categories} >= {"motion", "sound", "text-in-video"}
    for clip in clips:
        assert (settings.clips_dir / clip.file).is_file()
        assert clip.file == f"{clip.public_id}.mp4"
        assert clip.video_codec == "h264" and clip.has_audio == clip.track.endswith("-audio")
    images = [p for p in prompts if p.track.startswith("image")]
    assert all(p.image_file and (settings.images_dir / p.image_file).is_file() for p in images)


def test_second_sync_changes_nothing(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    with session_scope(engine) as session:
        before = {c.public_id for c in session.exec(select(Clip))}
    report = sync(engine, registry, settings)
    assert (report.added, report.replaced, report.unchanged) == (0, 0, 28)
    with session_scope(engine) as session:
        assert {c.public_id for c in session.exec(select(Clip))} == before


class _BadProvider:
    """Returns garbage, an empty file, a silent clip for an audio track, and an error."""

    name: ClassVar[str] = "bad"

    def __init__(self, silent_clip: Path, tmp: Path) -> None:
        self.silent_clip, self.tmp = silent_clip, tmp

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        return None

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        garbage, empty = self.tmp / "garbage.mp4", self.tmp / "empty.mp4"
        garbage.write_bytes(b"\x00garbage" * 200)
        empty.write_bytes(b"")
        by_track: dict[str, PromptSpec] = {}
        for prompt in prompts:
            by_track.setdefault(prompt.track, prompt)
        yield ClipSource(by_track["text-to-video"].id, path=garbage)
        yield ClipSource(by_track["image-to-video"].id, path=empty)
        yield ClipSource(by_track["text-to-video-audio"].id, path=self.silent_clip)
        yield ClipSource(by_track["image-to-video-audio"].id, error="generator timed out")


def test_bad_clips_are_rejected_with_reasons(
    engine: Engine, settings: Settings, registry: Registry, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        silent = session.exec(select(Clip).where(Clip.track == "text-to-video")).first()
    assert silent is not None
    spec = ModelSpec(
        id="bad-model",
        name="Bad",
        provider="bad",
        tracks=("text-to-video", "image-to-video", "text-to-video-audio", "image-to-video-audio"),
    )
    config = dataclasses.replace(registry.config, models=(spec,))
    bad = Registry(config, {"bad": _BadProvider(settings.clips_dir / silent.file, tmp_path)})
    report = sync(engine, bad, settings)
    reasons = {prompt: reason for _, prompt, reason in report.rejected}
    assert report.added == 0 and len(reasons) == 4
    assert "cannot decode" in reasons["t2v-ball"]
    assert "missing or empty" in reasons["i2v-fish"]
    assert "no audio stream" in reasons["t2va-cube"]
    assert reasons["i2va-balls"] == "generator timed out"
    with session_scope(engine) as session:
        model = session.exec(select(Model).where(Model.slug == "bad-model")).one()
        assert session.exec(select(Clip).where(Clip.model_id == model.id)).all() == []


class _CrashingProvider:
    name: ClassVar[str] = "crashing"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        return None

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        raise RuntimeError("lost the GPU")
        yield  # pragma: no cover


def test_a_crashing_provider_is_reported_and_the_others_still_sync(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    spec = ModelSpec(id="crashy", name="Crashy", provider="crashing", tracks=("text-to-video",))
    config = dataclasses.replace(registry.config, models=(*registry.config.models, spec))
    providers = {**registry.providers, "crashing": _CrashingProvider()}
    report = sync(engine, Registry(config, providers), settings)
    assert report.unchanged == 28
    assert ("crashy", "*", "the provider failed: RuntimeError: lost the GPU") in report.rejected
    assert {("crashy", "t2v-ball"), ("crashy", "t2v-sign")} <= set(report.missing)


SHORTEST = """
[normalize]
width = 160
height = 96
fps = 12
min_seconds = 0.5
preset = "veryfast"
{extra}

[[prompts]]
id = "ball"
track = "text-to-video"
text = "A ball"

[[models]]
id = "long"
tracks = ["text-to-video"]
provider = "directory"
options = {{ path = "long" }}

[[models]]
id = "short"
tracks = ["text-to-video"]
provider = "directory"
options = {{ path = "short" }}
"""


def frames_of(engine: Engine, settings: Settings) -> dict[str, tuple[int, str]]:
    from arena.media.fingerprint import observe

    with session_scope(engine) as session:
        rows = session.exec(select(Clip, Model).join(Model)).all()
    return {
        m.slug: (int(observe(settings.clips_dir / c.file)["frame_count"]), c.public_id)
        for c, m in rows
    }


def test_durations_follow_the_shortest_clip_of_each_prompt(tmp_path: Path) -> None:
    from arena.registry.config import load_config
    from arena.registry.plugins import build_registry
    from arena.store.engine import make_engine, prepare_schema
    from tests.clips import make_clip

    make_clip(tmp_path / "long" / "ball.mp4", seconds=2.0, audio_rate=None)
    make_clip(tmp_path / "short" / "ball.mp4", seconds=1.0, audio_rate=None)
    config = tmp_path / "arena.toml"
    config.write_text(SHORTEST.format(extra=""))
    settings = Settings(data_dir=tmp_path / "data", config_path=config, secret_key="k")
    engine = make_engine(settings.database_url)
    prepare_schema(engine)

    def run() -> SyncReport:
        return sync(engine, build_registry(load_config(config)), settings, workers=1)

    assert run().added == 2
    first = frames_of(engine, settings)
    assert first["long"][0] == first["short"][0] == 12
    # The short model's clip grows to 1.5 s: both clips are re-cut to 18 frames, with new ids.
    make_clip(tmp_path / "short" / "ball.mp4", seconds=1.5, audio_rate=None)
    report = run()
    assert report.replaced == 2
    second = frames_of(engine, settings)
    assert second["long"][0] == second["short"][0] == 18
    assert second["long"][1] != first["long"][1]
    # "cap" keeps each clip's own length (up to max_seconds); a policy change re-normalizes.
    config.write_text(SHORTEST.format(extra='duration = "cap"\nmax_seconds = 1.75'))
    assert run().replaced == 2
    third = frames_of(engine, settings)
    assert (third["long"][0], third["short"][0]) == (21, 18)
    assert run().unchanged == 2
    engine.dispose()


def test_a_database_from_before_normalization_gets_its_clips_normalized(
    tmp_path: Path, registry: Registry, settings: Settings
) -> None:
    """Release 0.1.0 stored copies of the sources; the next sync normalizes them in place
    (same clip rows, so every vote stays with its clip), with new files and ids."""
    import shutil

    from sqlalchemy import func

    from arena.store.engine import make_engine, prepare_schema
    from arena.store.tables import Vote
    from tests.conftest import DATA

    db = tmp_path / "old.db"
    shutil.copyfile(DATA / "arena-0.1.0.db", db)
    engine = make_engine(f"sqlite:///{db}")
    prepare_schema(engine)
    with session_scope(engine) as session:
        before = {c.id: c.public_id for c in session.exec(select(Clip))}
        votes = session.exec(select(func.count()).select_from(Vote)).one()
    assert before and votes == 60
    report = sync(engine, registry, settings.with_(database_url=f"sqlite:///{db}"))
    assert report.replaced == len(before) and not report.rejected
    with session_scope(engine) as session:
        after = {c.id: c for c in session.exec(select(Clip))}
        assert session.exec(select(func.count()).select_from(Vote)).one() == 60
    assert set(after) == set(before)
    assert all(c.norm_key and c.public_id != before[i] for i, c in after.items())
    engine.dispose()
