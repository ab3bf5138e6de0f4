"""Normalization: sources of any shape come out in one format, told apart only by content."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from arena.media.fingerprint import KINDS, observe
from arena.media.mp4 import read_mp4
from arena.media.normalize import Profile, file_target, normalize, video_target
from tests.clips import decoded_frames, make_clip

PROFILE = Profile(width=160, height=96, fps=12, preset="veryfast", min_seconds=0.5)


def comparable(path: Path) -> dict[str, object]:
    """Every property a browser sees except those that follow the content."""
    return {k: v for k, v in observe(path).items() if KINDS[k] != "content" or k == "file_size"}


def test_an_odd_source_comes_out_in_the_profile_format(tmp_path: Path) -> None:
    src = make_clip(
        tmp_path / "odd.mp4",
        width=200,
        height=120,
        fps=30,
        seconds=1.5,
        tags={"title": "secret-model v2", "comment": "made by Secret Lab"},
    )
    out = tmp_path / "out.mp4"
    result = normalize(src, out, PROFILE, frames=12, audio=True)
    assert result.method == "encoded" and result.padded
    seen = observe(out)
    assert seen["resolution"] == "160x96 sar=None"
    assert seen["frame_rate"].startswith("12 ")
    assert seen["frame_count"] == 12 and seen["duration"] == pytest.approx(1.0, abs=0.03)
    assert seen["video_codec"] == "h264 profile=High level=10"
    assert seen["pixel_format"] == "yuv420p range=1 space=1 primaries=1 transfer=1"
    assert "aac" in str(seen["audio"]) and "rate=48000 channels=2 layout=stereo" in str(
        seen["audio"]
    )
    assert "secret" not in str(seen["metadata"]).lower()
    assert "secret" not in out.read_bytes().decode("latin-1").lower()
    assert str(seen["box_layout"]).startswith("ftyp moov ")  # faststart: moov before mdat
    assert out.stat().st_size == file_target(PROFILE, 12, audio=True)
    video = read_mp4(out).tracks[0]
    assert sum(video.sample_sizes) == video_target(PROFILE, 12)
    assert len(decoded_frames(out)) == 12


def test_sources_differing_in_everything_become_indistinguishable(tmp_path: Path) -> None:
    """Container, codec, resolution, frame rate, length, audio format, tags: only the pictures
    and the sound differ afterwards, and nothing a browser can read tells the two apart."""
    a = make_clip(tmp_path / "a.mp4", width=320, height=180, fps=30, seconds=2.0, level=40)
    b = make_clip(
        tmp_path / "b.webm",
        width=120,
        height=160,
        fps=24,
        seconds=1.2,
        codec="libvpx-vp9",
        audio_rate=48_000,
        layout="stereo",
        tags={"title": "other"},
        level=200,
    )
    assert observe(a)["resolution"] != observe(b)["resolution"]
    out_a, out_b = tmp_path / "na.mp4", tmp_path / "nb.mp4"
    normalize(a, out_a, PROFILE, frames=12, audio=True)
    normalize(b, out_b, PROFILE, frames=12, audio=True)
    seen_a, seen_b = comparable(out_a), comparable(out_b)
    assert seen_a == seen_b
    assert out_a.read_bytes() != out_b.read_bytes()
    assert np.mean(decoded_frames(out_a)[0]) < np.mean(decoded_frames(out_b)[0])


def test_silent_tracks_drop_the_sound(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "s.mp4")
    out = tmp_path / "out.mp4"
    normalize(src, out, PROFILE, frames=12, audio=False)
    with av.open(str(out)) as container:
        assert not container.streams.audio
    assert observe(out)["audio"] == "none"


def test_short_sound_is_padded_to_the_exact_length(tmp_path: Path) -> None:
    full = make_clip(tmp_path / "full.mp4", audio_seconds=1.5)
    short = make_clip(tmp_path / "short.mp4", audio_seconds=0.3)
    normalize(full, tmp_path / "nf.mp4", PROFILE, frames=12, audio=True)
    normalize(short, tmp_path / "ns.mp4", PROFILE, frames=12, audio=True)
    assert (
        observe(tmp_path / "nf.mp4")["audio_duration"]
        == observe(tmp_path / "ns.mp4")["audio_duration"]
    )


@pytest.mark.parametrize("fit", ["pad", "crop"])
def test_a_wide_source_is_letterboxed_or_cropped(tmp_path: Path, fit: str) -> None:
    src = make_clip(tmp_path / "wide.mp4", width=320, height=80, level=200, audio_rate=None)
    out = tmp_path / "out.mp4"
    profile = Profile(width=160, height=96, fps=12, preset="veryfast", fit=fit)  # type: ignore[arg-type]
    normalize(src, out, profile, frames=6, audio=False)
    luma = decoded_frames(out)[0].astype(float)
    top, middle = luma[:20].mean(), luma[40:56].mean()
    assert middle > 150
    if fit == "pad":
        assert top < 25  # black bars above and below: 160x40 picture in a 160x96 frame
    else:
        assert top > 150  # scaled to cover: no bars


def test_non_square_pixels_keep_their_display_aspect(tmp_path: Path) -> None:
    """160x96 stored with pixels twice as wide as tall shows as 320x96: letterboxed to 160x48."""
    src = make_clip(
        tmp_path / "anamorphic.mp4",
        width=160,
        height=96,
        level=200,
        audio_rate=None,
        sar=Fraction(2, 1),
    )
    out = tmp_path / "out.mp4"
    normalize(src, out, PROFILE, frames=6, audio=False)
    luma = decoded_frames(out)[0].astype(float)
    assert luma[:20].mean() < 25 and luma[76:].mean() < 25 and luma[28:68].mean() > 150
    assert observe(out)["resolution"] == "160x96 sar=None"


def test_frame_rate_conversion_follows_timestamps(tmp_path: Path) -> None:
    """24 fps in, 12 fps out: output frame k shows source frame 2k (greys 0, 20, 40, ...).
    A variable-rate source comes out with exactly the frames asked for."""
    src = make_clip(tmp_path / "24.mp4", fps=24, seconds=1.0, audio_rate=None)
    out = tmp_path / "out.mp4"
    normalize(src, out, PROFILE, frames=12, audio=False)
    greys = [float(np.median(f)) for f in decoded_frames(out)]
    assert np.allclose(greys, [20 * k for k in range(12)], atol=5), greys
    vfr = make_clip(
        tmp_path / "vfr.mp4",
        timestamps=[0.0, 0.03, 0.1, 0.2, 0.21, 0.5, 0.9, 1.2],
        audio_rate=None,
    )
    normalize(vfr, tmp_path / "vfr-out.mp4", PROFILE, frames=12, audio=False)
    assert len(decoded_frames(tmp_path / "vfr-out.mp4")) == 12


def test_a_conforming_clip_is_remuxed_not_reencoded(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "src.mp4")
    first, second = tmp_path / "first.mp4", tmp_path / "second.mp4"
    assert normalize(src, first, PROFILE, frames=12, audio=True).method == "encoded"
    assert normalize(first, second, PROFILE, frames=12, audio=True).method == "remuxed"
    assert observe(first) == observe(second)
    assert all(
        np.array_equal(x, y)
        for x, y in zip(decoded_frames(first), decoded_frames(second), strict=True)
    )
    # A different frame count, or another profile, is not conforming: re-encoded.
    other = Profile(width=160, height=96, fps=12, preset="medium")
    assert normalize(first, tmp_path / "third.mp4", other, frames=12, audio=True).method == (
        "encoded"
    )
    assert normalize(first, tmp_path / "fourth.mp4", PROFILE, frames=10, audio=True).method == (
        "encoded"
    )
