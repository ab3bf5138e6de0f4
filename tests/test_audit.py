"""The blindness audit: a leaky set is caught and named; normalized clips audit clean."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from arena.media.audit import Sample, audit_track, observe_clips
from arena.media.stats import loo_accuracy
from arena.registry.base import ModelSpec
from arena.registry.plugins import Registry
from arena.services.ingest import sync
from arena.settings import Settings
from arena.store.reads.catalog import clip_files

ODD = ModelSpec(
    id="odd-5",
    name="Odd Five",
    provider="procedural",
    tracks=("text-to-video", "text-to-video-audio", "image-to-video", "image-to-video-audio"),
    options={"width": 192, "height": 112, "fps": 12, "seconds": 1.0, "workers": 1},
)


def sources(registry: Registry, settings: Settings, models: list[ModelSpec]) -> list:
    """(model, prompt, track, file) of the providers' originals: un-normalized."""
    provider = registry.providers["procedural"]
    tracks = {p.id: p.track for p in registry.config.prompts}
    out = []
    for model in models:
        prompts = registry.config.prompts_for(model)
        for clip in provider.clips(model, prompts, workdir=settings.sources_dir / "procedural"):
            assert clip.path is not None
            out.append((model.id, clip.prompt_id, tracks[clip.prompt_id], clip.path))
    return out


def test_classifier_scores_chance_on_nothing_and_one_on_a_perfect_tell() -> None:
    labels = np.repeat(np.array(["a", "b", "c", "d"]), 3)
    assert loo_accuracy(np.zeros((12, 1)), labels) == pytest.approx(0.25)
    tell = np.repeat(np.arange(4.0), 3)[:, None]
    assert loo_accuracy(tell, labels) == 1.0


def samples(models: int, prompts: int, value: callable) -> list[Sample]:  # type: ignore[valid-type]
    from arena.media.fingerprint import PROPERTIES

    base = {p.name: ("x" if p.kind == "structural" else 1.0) for p in PROPERTIES}
    return [
        Sample(f"m{m}", f"p{p}", {**base, **value(m, p)})
        for m in range(models)
        for p in range(prompts)
    ]


def test_content_leaks_are_reported_apart_unless_strict() -> None:
    rng = np.random.default_rng(1)
    data = samples(
        4, 8, lambda m, p: {"file_size": 1000.0 * (2 if m == 0 else 1) + rng.normal(0, 20)}
    )
    audit = audit_track("t", data, permutations=400)
    size = next(r for r in audit.properties if r.name == "file_size")
    assert size.verdict == "content" and size.p_value < 0.01  # not "leaks" on a clean track
    assert audit.verdict == "clean" and audit.content_leaks == ["file_size"]
    assert "not counted without --strict: file_size" in audit.reason
    strict = audit_track("t", data, permutations=400, strict=True)
    assert strict.verdict == "leaks" and strict.leaking == ["file_size"]
    assert strict.reason.startswith("file_size (p=")
    noise = samples(4, 8, lambda m, p: {"file_size": 1000.0 + rng.normal(0, 20)})
    assert audit_track("t", noise, permutations=400).content_leaks == []


def test_a_model_at_another_resolution_is_caught_and_named(
    registry: Registry, settings: Settings
) -> None:
    clips = sources(registry, settings, [*registry.config.models, ODD])
    by_track, unreadable = observe_clips(clips)
    assert not unreadable
    for track, track_samples in by_track.items():
        audit = audit_track(track, track_samples, permutations=200)
        assert audit.verdict == "leaks", track
        assert {"resolution", "codec_config"} <= set(audit.leaking), (track, audit.leaking)
        resolution = next(r for r in audit.properties if r.name == "resolution")
        assert any("192x112" in s and "only on odd-5" in s for s in resolution.identifying)
        tracks = next(r for r in audit.properties if r.name == "duration")
        assert tracks.verdict == "uniform"


def test_normalized_clips_of_the_same_set_audit_clean(
    engine: Engine, registry: Registry, settings: Settings
) -> None:
    config = dataclasses.replace(registry.config, models=(*registry.config.models, ODD))
    report = sync(engine, Registry(config, registry.providers), settings)
    assert report.added == 8 and not report.rejected
    rows = clip_files(engine)
    by_track, unreadable = observe_clips(
        [(m, p, t, settings.clips_dir / served) for m, p, t, served, _ in rows]
    )
    assert not unreadable and len(by_track) == 4
    for track, track_samples in by_track.items():
        audit = audit_track(track, track_samples, permutations=200)
        assert audit.verdict == "clean", (track, audit.leaking)
        structural = [r for r in audit.properties if r.kind != "content"]
        assert all(r.verdict == "uniform" for r in structural)
        sizes = next(r for r in audit.properties if r.name == "file_size")
        assert sizes.verdict == "uniform"  # padded: one Content-Length per prompt


def test_the_command_gives_each_track_one_verdict_and_its_threshold(
    engine: Engine, settings: Settings
) -> None:
    """On the small arena's originals, at alpha 0.5 the file sizes of text-to-video separate
    the models (content-driven): the track is CLEAN and nothing in its report says it leaks."""
    import os
    import re
    import subprocess
    import sys

    env = {
        **os.environ,
        "ARENA_DATA_DIR": str(settings.data_dir),
        "ARENA_DATABASE_URL": settings.database_url,
        "ARENA_SOURCES_DIR": str(settings.sources_dir),
    }
    command = ["audit", "blindness", "--sources", "--alpha", "0.5", "--permutations", "200"]
    result = subprocess.run(
        [sys.executable, "-m", "arena.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    sections = result.stdout.split("\n\n")[1:]
    assert len(sections) == 4, result.stdout
    verdicts = {}
    for section in sections:
        track, _, rest = section.partition(": ")
        words = set(re.findall(r"\b(CLEAN|VARIES|LEAKS)\b", section))
        assert len(words) == 1, section  # one verdict, no property contradicting it
        verdicts[track] = words.pop()
        assert rest.startswith(verdicts[track])
        if verdicts[track] == "CLEAN":
            assert "leak" not in section.lower(), section
        assert re.search(r"because .*threshold p < [0-9.]+ \(alpha 0.5 / \d+ tests\)", section)
    assert verdicts["text-to-video"] == "CLEAN"
    assert "not counted without --strict: file_size" in sections[0]
    assert result.returncode == (0 if set(verdicts.values()) == {"CLEAN"} else 1)
