"""Real video: the procedural renderer, the MP4 writer and the prober."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from arena.media.encode import AUDIO_RATE, write_mp4
from arena.media.probe import ProbeError, probe
from arena.media.procedural import Format, Look, Scene, SceneError, render_audio, render_clip

FMT = Format(width=160, height=96, fps=12, seconds=1.0)
BALL = Scene("ball", "red", "meadow", "bounce")


def frames_of(scene: Scene, look: Look, fmt: Format = FMT) -> np.ndarray:
    frames, _ = render_clip(scene, look, fmt, seed=7, audio=False)
    return np.stack(list(frames)).astype(np.float32)


def test_clip_is_h264_aac_mp4_with_faststart(tmp_path: Path) -> None:
    frames, audio = render_clip(BALL, Look(), FMT, seed=1, audio=True)
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames, fps=FMT.fps, audio=audio)
    info = probe(path)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height, info.fps) == (160, 96, 12.0)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.pix_fmt == "yuv420p"
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "moov must precede mdat (faststart)"
    assert b"Lavf" not in data, "the muxer's version tag is dropped (bitexact)"


def test_rendering_is_deterministic() -> None:
    assert np.array_equal(frames_of(BALL, Look(noise=10)), frames_of(BALL, Look(noise=10)))


def test_looks_degrade_the_scene_in_measurable_ways() -> None:
    clean = frames_of(BALL, Look())
    noisy = frames_of(BALL, Look(noise=20))
    # Grain: frame-to-frame differences in static background regions grow.
    assert np.abs(np.diff(noisy, axis=0)).mean() > 3 * np.abs(np.diff(clean, axis=0)).mean()
    # Stutter: with stutter=3 the picture repeats, so many consecutive frames are identical.
    choppy = frames_of(BALL, Look(stutter=3))
    same = [np.array_equal(a, b) for a, b in itertools.pairwise(choppy)]
    assert sum(same) >= len(same) // 2
    assert sum(np.array_equal(a, b) for a, b in itertools.pairwise(clean)) == 0
    # Colour fidelity: a hue shift moves the subject's pixels away from red.
    shifted = frames_of(BALL, Look(hue_shift=120))
    red = lambda f: ((f[..., 0] > 150) & (f[..., 1] < 90) & (f[..., 2] < 90)).sum()  # noqa: E731
    assert red(clean) > 100 and red(shifted) < red(clean) // 10
    # Blur: less high-frequency energy (mean squared horizontal gradient).
    soft = frames_of(BALL, Look(blur=3))
    edges = lambda f: (np.diff(f, axis=2) ** 2).mean()  # noqa: E731
    assert edges(soft) < edges(clean)


def test_audio_lands_on_the_bounces_and_degrades() -> None:
    scene = Scene("cube", "blue", "studio", "bounce")
    fmt = Format(width=160, height=96, fps=12, seconds=2.0)
    synced = render_audio(scene, Look(), fmt, seed=1)
    late = render_audio(scene, Look(audio_offset=0.3), fmt, seed=1)
    silent = render_audio(scene, Look(audio_missing=True), fmt, seed=1)
    assert synced.shape == (2 * AUDIO_RATE,) and synced.dtype == np.float32
    onset = lambda a: int(np.argmax(np.abs(a) > 0.2)) / AUDIO_RATE  # noqa: E731
    assert onset(late) - onset(synced) == pytest.approx(0.3, abs=0.02)
    assert not silent.any()


def test_unknown_scene_words_are_rejected() -> None:
    with pytest.raises(SceneError, match="unknown scene colour 'teal'"):
        Scene("ball", "teal", "meadow", "bounce")
    with pytest.raises(SceneError, match="without a glyph"):
        Scene("sign", "red", "night", "zoom", text="QUIZ")


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "missing or empty"), (b"not a video at all" * 100, "cannot decode")],
)
def test_probe_rejects_empty_and_garbage_files(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(ProbeError, match=reason):
        probe(path)


def test_probe_rejects_a_truncated_clip(tmp_path: Path) -> None:
    frames, _ = render_clip(BALL, Look(), FMT, seed=1, audio=False)
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames, fps=FMT.fps)
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ProbeError):
        probe(path)
