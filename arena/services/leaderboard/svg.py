"""SVG building blocks for the plots: escaping, scales, ticks, colours, the document shell.

Pure functions of their arguments; no I/O. Every text that reaches the SVG goes through
:func:`esc`, so a model named ``<script>`` is drawn, never run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT = "#e8eaf0"
MUTED = "#9aa3b2"
GRID = "#2a2f3a"
PANEL = "#171a21"
ACCENT = "#6ea8ff"
CHAR_WIDTH = 7.6
"""The advance of a 12 px digit in DejaVu Sans (Debian's system-ui), an upper bound for most
glyphs: label columns sized with it hold their labels without a font engine."""

PALETTE = (
    "#6ea8ff",
    "#3ecf8e",
    "#ff6b6b",
    "#f5a623",
    "#b38cff",
    "#4dd0e1",
    "#ff8ad8",
    "#c0ca33",
    "#ffb74d",
    "#90a4ae",
)
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def esc(text: object) -> str:
    """Text or attribute value, escaped for XML (quotes included)."""
    return escape(str(text), quote=True)


def num(x: float) -> str:
    """A coordinate: one decimal, no trailing zeros."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, size: float = 12.0) -> float:
    return len(text) * CHAR_WIDTH * size / 12.0


def clip_label(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nice_step(span: float, target: int = 6) -> float:
    """A 1, 2 or 5 times a power of ten step giving about ``target`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values covering [lo, hi] (the first <= lo, the last >= hi)."""
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    step = nice_step(hi - lo, target)
    start = math.floor(lo / step) * step
    ticks = []
    k = 0
    while True:
        value = round(start + k * step, 10)
        ticks.append(value)
        if value >= hi:
            return ticks
        k += 1


def linear(domain: tuple[float, float], pixels: tuple[float, float]) -> Callable[[float], float]:
    """Map ``domain`` onto ``pixels`` linearly."""
    (d0, d1), (p0, p1) = domain, pixels
    span = (d1 - d0) or 1.0

    def scale(x: float) -> float:
        return p0 + (x - d0) / span * (p1 - p0)

    return scale


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(255.0, c))):02x}" for c in rgb)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def mix(a: str, b: str, t: float) -> str:
    """The colour ``t`` of the way from ``a`` to ``b`` (t clipped to [0, 1])."""
    t = max(0.0, min(1.0, t))
    ra, rb = _rgb(a), _rgb(b)
    return _hex([x + (y - x) * t for x, y in zip(ra, rb, strict=True)])


LOW, MID, HIGH = "#dc2626", "#1f2430", "#2563eb"
"""The diverging scale of win rates: red (0) through a neutral dark (0.5) to blue (1)."""


def diverging(value: float) -> str:
    """The colour of a win rate in [0, 1]."""
    if value < 0.5:
        return mix(MID, LOW, (0.5 - value) * 2)
    return mix(MID, HIGH, (value - 0.5) * 2)


def sequential(value: float, top: float) -> str:
    """The colour of a count in [0, top]."""
    return mix(MID, HIGH, value / top if top > 0 else 0.0)


TOP = 56.0
"""Where a plot's drawing starts: below its title and subtitle."""


def document(
    *,
    uid: str,
    width: float,
    height: float,
    title: str,
    desc: str,
    body: Sequence[str],
    subtitle: str = "",
) -> str:
    """A standalone SVG: titled and described for screen readers, its visible title on top
    and the subtitle (the view it shows) on a line below it.

    The width grows to fit the title and the subtitle when the drawing is narrower.
    """
    width = max(width, text_width(title, 14) * 1.05 + 32, text_width(subtitle) + 32)
    heading = f"{title} · {subtitle}" if subtitle else title
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="{esc(uid)}" '
            f'viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" '
            f'height="{num(height)}" role="img" '
            f'aria-labelledby="{esc(uid)}-title {esc(uid)}-desc" '
            f'font-family="{esc(FONT)}" font-size="12">',
            f'<title id="{esc(uid)}-title">{esc(heading)}</title>',
            f'<desc id="{esc(uid)}-desc">{esc(desc)}</desc>',
            f'<rect width="100%" height="100%" fill="{PANEL}" rx="8"/>',
            f'<text x="16" y="24" fill="{TEXT}" font-size="14" font-weight="600">'
            f"{esc(title)}</text>",
            *(
                [f'<text x="16" y="42" fill="{MUTED}" class="subtitle">{esc(subtitle)}</text>']
                if subtitle
                else []
            ),
            *body,
            "</svg>",
        ]
    )


def empty(*, uid: str, title: str, message: str, width: float = 560, subtitle: str = "") -> str:
    """A plot with nothing to draw yet: says so, in the picture and to screen readers."""
    body = [f'<text x="16" y="{num(TOP + 16)}" fill="{MUTED}">{esc(message)}</text>']
    return document(
        uid=uid,
        width=max(width, text_width(message) + 32),
        height=TOP + 40,
        title=title,
        desc=message,
        body=body,
        subtitle=subtitle,
    )
