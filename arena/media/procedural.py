# Long because the scenes and the looks that degrade them are one small renderer.
"""Render the demo's procedural clips: a scene from a prompt, degraded by a model's ``Look``.

A :class:`Scene` says what the prompt asks for (a subject, its colour, a background, a motion,
optional text); a :class:`Look` says how well a model renders it. Every defect is controlled and
visible (or audible): choppy motion, grain, codec-like block corruption, the wrong colour,
flicker, softness, wobbling shapes and garbled letters, late or hissing or missing sound. The
clean look renders the scene exactly, so simulated voters comparing looks have a ground truth.
Everything is vectorised numpy and seeded, so a clip is the same bytes on every run.
"""

from __future__ import annotations

import colorsys
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from arena.media.encode import AUDIO_RATE

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 30),
    "yellow": (245, 215, 40),
    "green": (50, 190, 80),
    "blue": (40, 90, 230),
    "purple": (150, 60, 210),
    "magenta": (240, 50, 200),
    "white": (240, 240, 240),
}

BACKGROUNDS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "meadow": ((120, 190, 250), (70, 160, 60)),
    "night": ((10, 12, 40), (30, 30, 70)),
    "sea": ((20, 80, 160), (5, 25, 70)),
    "desert": ((250, 160, 90), (220, 170, 100)),
    "forest": ((150, 200, 230), (30, 90, 40)),
    "studio": ((40, 40, 48), (90, 90, 100)),
}

SUBJECTS = ("ball", "cube", "fish", "bird", "star", "ring", "sign")
MOTIONS = ("bounce", "orbit", "glide", "spin", "zoom", "pan")

_FONT = {  # 5x7 glyphs, one string of 7 rows of 5 bits per letter
    "A": "01110100011000111111100011000110001",
    "C": "01110100011000010000100001000101110",
    "D": "11110100011000110001100011000111110",
    "E": "11111100001000011110100001000011111",
    "H": "10001100011000111111100011000110001",
    "L": "10000100001000010000100001000011111",
    "N": "10001110011010110011100011000110001",
    "O": "01110100011000110001100011000101110",
    "R": "11110100011000111110101001001010001",
    "S": "01111100001000001110000010000111110",
    "T": "11111001000010000100001000010000100",
    "W": "10001100011000110101101011101110001",
}


class SceneError(ValueError):
    """A scene names a subject, colour, background or motion the renderer does not know."""


@dataclass(frozen=True)
class Scene:
    """What a demo prompt asks for."""

    subject: str
    colour: str
    background: str
    motion: str
    count: int = 1
    text: str = ""

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("subject", self.subject, SUBJECTS),
            ("colour", self.colour, tuple(COLOURS)),
            ("background", self.background, tuple(BACKGROUNDS)),
            ("motion", self.motion, MOTIONS),
        ):
            if value not in allowed:
                raise SceneError(f"unknown scene {name} {value!r}; allowed: {', '.join(allowed)}")
        if not 1 <= self.count <= 4:
            raise SceneError(f"scene count must be 1..4, got {self.count}")
        unknown = sorted({c for c in self.text.upper() if c != " " and c not in _FONT})
        if unknown:
            raise SceneError(f"scene text has letters without a glyph: {''.join(unknown)}")


@dataclass(frozen=True)
class Look:
    """How well a model renders: every field at its default is a flawless render."""

    stutter: int = 1
    noise: float = 0.0
    blocks: float = 0.0
    hue_shift: float = 0.0
    flicker: float = 0.0
    blur: int = 1
    wobble: float = 0.0
    audio_offset: float = 0.0
    audio_hiss: float = 0.0
    audio_missing: bool = False

    def __post_init__(self) -> None:
        if self.stutter < 1 or self.blur < 1:
            raise SceneError("look stutter and blur must be whole numbers >= 1")
        if not 0 <= self.blocks <= 1 or not 0 <= self.flicker <= 1 or not 0 <= self.wobble <= 1:
            raise SceneError("look blocks, flicker and wobble must lie in 0..1")


@dataclass(frozen=True)
class Format:
    """Frame size, rate and length of the rendered clips."""

    width: int = 640
    height: int = 360
    fps: int = 24
    seconds: float = 3.0

    @property
    def frames(self) -> int:
        return round(self.fps * self.seconds)


def seed_for(*parts: str) -> int:
    """A stable seed from strings (``hash()`` is salted per process; crc32 is not)."""
    return zlib.crc32("\x1f".join(parts).encode())


def render_clip(
    scene: Scene, look: Look, fmt: Format, *, seed: int, audio: bool
) -> tuple[Iterator[np.ndarray], np.ndarray | None]:
    """Frames ((H, W, 3) uint8, ``fmt.frames`` of them) and mono audio (float32) or None."""
    renderer = _Renderer(scene, look, fmt, seed)
    sound = render_audio(scene, look, fmt, seed=seed) if audio else None
    return (renderer.frame(i) for i in range(fmt.frames)), sound


def render_still(scene: Scene, fmt: Format) -> np.ndarray:
    """The scene's first frame, flawless: the source image of an image-to-video prompt."""
    return _Renderer(scene, Look(), fmt, seed=0).frame(0)


# --- motion -------------------------------------------------------------------------------


def _pose(scene: Scene, index: int, t: float, fmt: Format) -> tuple[float, float, float, float]:
    """Centre x, y (pixels), size (pixels) and angle (radians) of object ``index`` at ``t``."""
    w, h = fmt.width, fmt.height
    size = h * (0.16 if scene.count == 1 else 0.11)
    phase = index / scene.count
    if scene.subject == "sign":
        size = h * 0.08
    span = fmt.seconds
    if scene.motion == "bounce":
        x = w * (0.15 + 0.7 * ((t / span + phase * 0.5) % 1.0))
        floor = h * 0.78
        y = floor - size - abs(math.sin(math.pi * (1.4 * t + phase))) * h * 0.45
        return x, y, size, 0.8 * t
    if scene.motion == "orbit":
        a = 2 * math.pi * (t / span + phase)
        return w / 2 + w * 0.28 * math.cos(a), h / 2 + h * 0.25 * math.sin(a), size, a
    if scene.motion == "glide":
        x = w * (0.2 + 0.6 * t / span) + w * 0.1 * (phase - 0.5)
        y = h * (0.45 + 0.2 * phase) + h * 0.04 * math.sin(2 * math.pi * t)
        return x, y, size, 0.0
    if scene.motion == "spin":
        x = w / 2 + (index - (scene.count - 1) / 2) * size * 2.6
        return x, h / 2, size * 1.3, 2 * math.pi * 0.6 * t
    if scene.motion == "zoom":
        x = w / 2 + (index - (scene.count - 1) / 2) * size * 2.4
        return x, h / 2, size, 0.3 * t
    x = w / 2 + (index - (scene.count - 1) / 2) * size * 2.4  # pan: the camera moves, not it
    return x, h * 0.42 + h * 0.05 * math.sin(2 * math.pi * t / span), size, 0.0


def impact_times(scene: Scene, fmt: Format) -> list[float]:
    """Moments a sound effect should land on (a bounce touching the floor, a wing beat)."""
    times: list[float] = []
    if scene.motion == "bounce":
        for index in range(scene.count):
            phase = index / scene.count
            k = math.ceil(phase * -1)
            while True:
                t = (k - phase) / 1.4
                if t > fmt.seconds:
                    break
                if t >= 0:
                    times.append(t)
                k += 1
    elif scene.subject == "bird":
        times = [i / 3.0 for i in range(int(fmt.seconds * 3) + 1)]
    return sorted(times)


# --- pictures -----------------------------------------------------------------------------


class _Renderer:
    def __init__(self, scene: Scene, look: Look, fmt: Format, seed: int) -> None:
        self.scene, self.look, self.fmt = scene, look, fmt
        self.rng = np.random.default_rng(seed)
        self.h, self.w = -(-fmt.height // look.blur), -(-fmt.width // look.blur)
        self.xs, self.ys = _grid(self.h, self.w, look.blur)
        self.background = _background(scene.background, fmt.width, fmt.height)
        self.colour = np.array(_shift_hue(COLOURS[scene.colour], look.hue_shift), np.float32)
        # Drawn only for a grainy look: grain is a third of a clean clip's set-up time.
        self.grain = [
            self.rng.normal(0, 1, (fmt.height, fmt.width, 1)).astype(np.float32)
            for _ in range(5 if look.noise else 0)
        ]
        self.glyphs = self._glyphs()
        self._cached: tuple[float, np.ndarray] | None = None

    def _glyphs(self) -> list[str]:
        """The sign's letters; a wobbly model garbles some of them."""
        letters = list(self.scene.text.upper())
        pool = sorted(_FONT)
        for i, letter in enumerate(letters):
            if letter != " " and self.rng.random() < self.look.wobble * 1.5:
                letters[i] = pool[int(self.rng.integers(len(pool)))]
        return letters

    def _window(self, cx: float, cy: float, size: float, zoom: float) -> tuple[slice, slice]:
        """The rows and columns (of the render grid) an object can touch: only they are drawn."""
        half_w = half_h = 1.9 * size
        if self.scene.subject == "sign":
            half_w, half_h = 0.85 * max(len(self.glyphs), 1) * size, 1.1 * size
        half_w, half_h = half_w * zoom * 1.3 + 2, half_h * zoom * 1.3 + 2
        b = self.look.blur
        rows = slice(max(int((cy - half_h) / b), 0), max(int((cy + half_h) / b) + 1, 0))
        cols = slice(max(int((cx - half_w) / b), 0), max(int((cx + half_w) / b) + 1, 0))
        return rows, cols

    def _mask(self, index: int, t: float) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
        """Coverage in 0..1 and shading for object ``index`` at time ``t``, and their window."""
        cx, cy, size, angle = _pose(self.scene, index, t, self.fmt)
        zoom = 1 + 0.6 * t / self.fmt.seconds if self.scene.motion == "zoom" else 1.0
        window = self._window(cx, cy, size, zoom)
        dx, dy = (self.xs[window] - cx) / zoom, (self.ys[window] - cy) / zoom
        r = np.hypot(dx, dy)
        theta = np.arctan2(dy, dx)
        if self.look.wobble:
            r = r * (1 + self.look.wobble * 0.25 * np.sin(5 * theta + 9 * t))
        c, s = math.cos(angle), math.sin(angle)
        u, v = c * dx + s * dy, -s * dx + c * dy
        subject = self.scene.subject
        if subject == "ball":
            dist = r - size
        elif subject == "cube":
            dist = np.maximum(np.abs(u), np.abs(v)) - size * 0.85
        elif subject == "ring":
            dist = np.abs(r - size) - size * 0.28
        elif subject == "star":
            dist = r - size * (0.62 + 0.38 * np.cos(5 * (theta - angle)))
        elif subject == "fish":
            ang = (
                math.atan2(math.cos(angle), -math.sin(angle)) if self.scene.motion == "orbit" else 0
            )
            ca, sa = math.cos(ang), math.sin(ang)
            fu, fv = ca * dx + sa * dy, -sa * dx + ca * dy
            body = (fu / size) ** 2 + (fv / (size * 0.55)) ** 2 - 1
            tail = np.maximum(np.abs(fv) - (-fu - size * 0.8) * 0.9, fu + size * 0.8)
            tail = np.maximum(tail, -fu - size * 1.6)
            dist = np.minimum(body * size * 0.5, tail)
        elif subject == "bird":
            flap = math.sin(2 * math.pi * 3 * t)
            wing = np.abs(dy + np.abs(dx) * 0.5 * flap) - size * 0.12
            dist = np.maximum(wing, np.abs(dx) - size * 1.2)
            dist = np.minimum(dist, r - size * 0.25)
        else:
            dist = np.maximum(np.abs(dx) - size * 0.8 * max(len(self.glyphs), 1), np.abs(dy) - size)
        coverage = np.clip(0.5 - dist, 0.0, 1.0)
        shade = 1.0 + 0.35 * np.clip(-(dx + dy) / (size * 2.5), -1, 1)
        if subject == "sign":
            coverage, shade = self._sign(coverage, dx, dy, size, t)
        return coverage, shade, window

    def _sign(
        self, panel: np.ndarray, dx: np.ndarray, dy: np.ndarray, size: float, t: float
    ) -> tuple[np.ndarray, np.ndarray]:
        cell = size * 0.26
        n = len(self.glyphs)
        col = np.floor((dx + n * 3 * cell) / cell).astype(np.int32)
        row = np.floor((dy + 3.5 * cell) / cell).astype(np.int32)
        lit = np.zeros(panel.shape, bool)
        letter, x = col // 6, col % 6
        inside = (row >= 0) & (row < 7) & (x < 5) & (letter >= 0) & (letter < n)
        for i, glyph in enumerate(self.glyphs):
            if glyph == " ":
                continue
            bits = np.array([b == "1" for b in _FONT[glyph]]).reshape(7, 5)
            here = inside & (letter == i)
            lit[here] = bits[row[here], x[here]]
        glow = min(1.0, t * 1.5)
        coverage = np.where(lit, 1.0, 0.25 * panel)
        return coverage, np.where(lit, 0.6 + 0.6 * glow, 0.3)

    def _compose(self, t: float, offset: int) -> np.ndarray:
        """Background and objects at time ``t``, before per-frame grain, flicker and damage."""
        look, fmt = self.look, self.fmt
        bg = self.background[:, offset : offset + fmt.width][:: look.blur, :: look.blur]
        img = bg[: self.h, : self.w].copy()
        for index in range(self.scene.count):
            coverage, shade, window = self._mask(index, t)
            if coverage.size == 0:
                continue
            part = img[window]
            part += (self.colour * shade[..., None] - part) * coverage[..., None]
        if look.blur > 1:
            img = _box(
                _box(img.repeat(look.blur, 0).repeat(look.blur, 1), look.blur, 0), look.blur, 1
            )
        return img

    def frame(self, i: int) -> np.ndarray:
        look, fmt = self.look, self.fmt
        t = (i - i % look.stutter) / fmt.fps
        offset = 0
        if self.scene.motion == "pan":
            offset = int(fmt.width * 0.8 * t / fmt.seconds)
        if self._cached is None or self._cached[0] != t:
            self._cached = (t, self._compose(t, offset))
        # The composed picture is kept for a stuttering look's repeated frames: each effect
        # below makes a new array rather than change it in place.
        img = self._cached[1][: fmt.height, : fmt.width]
        if look.flicker:
            img = img * (1 + look.flicker * math.sin(2 * math.pi * 6.7 * i / fmt.fps))
        if look.noise:
            img = img + look.noise * self.grain[i % len(self.grain)]
        if look.blocks:
            img = img if look.flicker or look.noise else img.copy()
            self._corrupt(img, i)
        return np.clip(img, 0, 255).astype(np.uint8)

    def _corrupt(self, img: np.ndarray, i: int) -> None:
        """Codec-like damage: macroblocks smeared from elsewhere in the frame."""
        rng = np.random.default_rng(seed_for("blocks", str(i)) ^ int(self.look.blocks * 1e6))
        if rng.random() > self.look.blocks:
            return
        size = 16
        bh, bw = img.shape[0] // size, img.shape[1] // size
        for _ in range(int(4 + 30 * self.look.blocks)):
            y, x = rng.integers(bh) * size, rng.integers(bw) * size
            sy, sx = rng.integers(bh) * size, rng.integers(bw) * size
            img[y : y + size, x : x + size] = img[sy : sy + size, sx : sx + size].mean((0, 1))


@lru_cache(maxsize=8)
def _grid(h: int, w: int, blur: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel x and y of each cell of an ``h`` by ``w`` render grid of ``blur``-pixel cells
    (read only, shared by every clip of that size)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs, ys = xs * blur, ys * blur
    xs.flags.writeable = ys.flags.writeable = False
    return xs, ys


@lru_cache(maxsize=8)
def _background(kind: str, width: int, height: int) -> np.ndarray:
    """(H, 2W, 3) float32: twice as wide as the frame so a pan has somewhere to go. It depends
    on the background alone, so a render process draws each once (read only: frames copy it)."""
    top, bottom = (np.array(c, np.float32) for c in BACKGROUNDS[kind])
    h, w = height, width * 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    mix = (ys / h)[..., None]
    bg = top * (1 - mix) + bottom * mix
    rng = np.random.default_rng(seed_for("background", kind))
    if kind in ("meadow", "forest", "desert"):
        hills = h * (0.72 + 0.05 * np.sin(xs / w * 2 * math.pi * 3) + 0.02 * np.sin(xs / 37))
        ground = np.array(BACKGROUNDS[kind][1], np.float32) * 0.85
        bg = np.where((ys > hills)[..., None], ground, bg)
    if kind == "forest":
        for x0 in rng.uniform(0, w, 14):
            tree = (ys > h * 0.35 + np.abs(xs - x0) * 2.2) & (ys < h * 0.8)
            bg[tree] = (20, 70, 30)
    if kind == "night":
        stars = rng.integers(0, h * w, 220)
        bg.reshape(-1, 3)[stars] = (230, 230, 255)
        moon = (xs - w * 0.3) ** 2 + (ys - h * 0.25) ** 2 < (h * 0.08) ** 2
        bg[moon] = (240, 235, 200)
    if kind == "sea":
        bg += 12 * np.sin(xs / 23 + ys / 9)[..., None]
    if kind == "studio":
        spot = np.exp(-(((xs - w / 4) / (w * 0.18)) ** 2) - ((ys - h * 0.6) / (h * 0.5)) ** 2)
        bg += 60 * spot[..., None]
    bg.flags.writeable = False
    return bg


def _box(img: np.ndarray, k: int, axis: int) -> np.ndarray:
    """A moving average of width ``k`` along ``axis``, edges padded by repetition."""
    pad = [(0, 0)] * img.ndim
    pad[axis] = (k // 2, k - 1 - k // 2)
    padded = np.pad(img, pad, mode="edge")
    csum = np.cumsum(padded, axis=axis, dtype=np.float32)
    zero = np.zeros_like(np.take(csum, [0], axis=axis))
    csum = np.concatenate([zero, csum], axis=axis)
    n = img.shape[axis]
    upper = np.take(csum, np.arange(k, k + n), axis=axis)
    lower = np.take(csum, np.arange(0, n), axis=axis)
    return (upper - lower) / k


def _shift_hue(rgb: tuple[int, int, int], degrees: float) -> tuple[float, float, float]:
    if not degrees:
        return float(rgb[0]), float(rgb[1]), float(rgb[2])
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    if s < 0.1:  # white: shift towards a tint instead
        s = min(1.0, abs(degrees) / 120)
    r, g, b = colorsys.hsv_to_rgb((h + degrees / 360) % 1.0, s, v)
    return r * 255, g * 255, b * 255


# --- sound --------------------------------------------------------------------------------


def render_audio(scene: Scene, look: Look, fmt: Format, *, seed: int) -> np.ndarray:
    """Mono float32 at :data:`AUDIO_RATE`: effects on the scene's events, plus ambience."""
    n = round(fmt.seconds * AUDIO_RATE)
    out = np.zeros(n, np.float32)
    if look.audio_missing:
        return out
    t = np.arange(n, dtype=np.float32) / AUDIO_RATE
    rng = np.random.default_rng(seed)
    pitch = 180 + 60 * sorted(COLOURS).index(scene.colour)
    for when in impact_times(scene, fmt):
        start = int((when + look.audio_offset) * AUDIO_RATE)
        if start >= n:
            continue
        length = min(int(0.35 * AUDIO_RATE), n - start)
        tt = np.arange(length, dtype=np.float32) / AUDIO_RATE
        sweep = pitch * (1.6 - 0.6 * np.minimum(tt / 0.15, 1))
        out[start : start + length] += 0.6 * np.sin(2 * np.pi * sweep * tt) * np.exp(-tt * 14)
    if scene.motion in ("spin", "orbit", "zoom", "glide", "pan"):
        lag = t - look.audio_offset
        if scene.motion == "spin":
            raw = rng.normal(0, 1, n).astype(np.float32)
            swoosh = np.convolve(raw, np.ones(24, np.float32) / 24, mode="same")
            out += 1.8 * swoosh * (0.5 + 0.5 * np.sin(2 * np.pi * 0.6 * 5 * lag)) ** 4
        else:
            level = 0.12 + (0.18 * lag / fmt.seconds if scene.motion == "zoom" else 0)
            out += level * np.sin(2 * np.pi * pitch * 1.5 * t + 0.8 * np.sin(2 * np.pi * lag))
    if scene.background == "sea":
        waves = np.convolve(rng.normal(0, 1, n), np.ones(200) / 200, mode="same")
        out += (3 * waves * (0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t))).astype(np.float32)
    if scene.background in ("forest", "meadow") or scene.subject == "bird":
        for when in np.arange(0.2, fmt.seconds, 0.55):
            start = int((when + look.audio_offset) * AUDIO_RATE)
            length = min(int(0.08 * AUDIO_RATE), max(n - start, 0))
            tt = np.arange(length, dtype=np.float32) / AUDIO_RATE
            out[start : start + length] += 0.15 * np.sin(2 * np.pi * (2800 + 4000 * tt) * tt)
    if look.audio_hiss:
        out += look.audio_hiss * rng.normal(0, 1, n).astype(np.float32)
    peak = float(np.abs(out).max())
    return (out / peak * 0.8 if peak > 0.8 else out).astype(np.float32)
