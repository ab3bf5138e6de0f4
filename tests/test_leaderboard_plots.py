"""The SVG plots as pure functions: valid XML, one mark per model, values in range, escaping."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from arena.services.leaderboard.plotdata import sample_evenly
from arena.services.leaderboard.plots import (
    Interval,
    Series,
    heatmap_plot,
    history_plot,
    ratings_plot,
)
from arena.services.leaderboard.svg import (
    HIGH,
    LOW,
    MID,
    diverging,
    document,
    nice_ticks,
    sequential,
)

NS = {"s": "http://www.w3.org/2000/svg"}
EVIL = 'Evil <script>alert("x")</script> & "Co"'

ITEMS = [
    Interval("a", "Alpha", 1100.0, 1080.0, 1125.0, rank=1),
    Interval("b", EVIL, 1010.0, 990.0, 1030.0, rank=2),
    Interval("c", "Gamma", 960.0, 900.0, 1010.0, provisional=True, rank=2),
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def accessible(root: ET.Element) -> None:
    """role=img, and aria-labelledby names a non-empty <title> and <desc>."""
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title = root.find(f"s:title[@id='{title_id}']", NS)
    desc = root.find(f"s:desc[@id='{desc_id}']", NS)
    assert title is not None and title.text and desc is not None and desc.text


def box(root: ET.Element) -> tuple[float, float]:
    _, _, w, h = map(float, (root.get("viewBox") or "").split())
    return w, h


def test_ratings_plot_has_one_bar_per_model_inside_the_plot() -> None:
    root = parse(ratings_plot(ITEMS, title="Ratings", level=0.95))
    accessible(root)
    width, height = box(root)
    bars = root.findall(".//s:g[@data-model]", NS)
    assert [b.get("data-model") for b in bars] == ["a", "b", "c"]
    xs = []
    for bar, item in zip(bars, ITEMS, strict=True):
        line, dot = bar.find("s:line", NS), bar.find("s:circle", NS)
        assert line is not None and dot is not None
        x1, x2, cx = float(line.get("x1", 0)), float(line.get("x2", 0)), float(dot.get("cx", 0))
        assert 0 < x1 <= cx <= x2 < width  # the dot lies on its interval, inside the picture
        assert float(bar.get("data-rating", 0)) == item.rating
        assert 0 < float(dot.get("cy", 0)) < height
        xs.append(cx)
    assert xs == sorted(xs, reverse=True)  # higher rating, further right
    # The provisional model: dashed bar, hollow dot, said in its tooltip.
    assert "provisional" in (bars[2].get("class") or "")
    assert bars[2].find("s:line", NS).get("stroke-dasharray")  # type: ignore[union-attr]
    assert bars[2].find("s:circle", NS).get("fill") == "none"  # type: ignore[union-attr]
    assert "provisional" in (bars[2].findtext("s:title", namespaces=NS) or "")


def test_ratings_plot_axis_covers_every_interval() -> None:
    root = parse(ratings_plot(ITEMS, title="Ratings"))
    labels = [
        float(t.text or "")
        for t in root.findall("s:text[@text-anchor='middle']", NS)
        if (t.text or "").replace(".", "").isdigit()
    ]
    assert min(labels) <= 900 and max(labels) >= 1125
    assert max(labels) - min(labels) < 2 * (1125 - 900)


def test_names_are_escaped_never_markup() -> None:
    for svg in (
        ratings_plot(ITEMS, title=EVIL),
        heatmap_plot(
            ["a", "b"],
            ["Alpha", EVIL],
            [[None, 0.7], [0.3, None]],
            kind="win_rate",
            title="t",
            uid="h",
        ),
        history_plot([Series("b", EVIL, [(datetime(2026, 1, 1, tzinfo=UTC), 1000.0)])], title="t"),
    ):
        assert "<script>" not in svg
        root = parse(svg)  # still well-formed XML
        texts = "".join(root.itertext())
        assert EVIL[:20] in texts or "Evil <script>" in texts


@pytest.mark.parametrize("n", [2, 5, 30])
def test_heatmap_draws_every_cell_and_leaves_unmet_pairs_empty(n: int) -> None:
    models = [f"m{i}" for i in range(n)]
    values: list[list[float | None]] = [
        [None if i == j or (i + j) % 7 == 0 else (i + 1) / (i + j + 2) for j in range(n)]
        for i in range(n)
    ]
    root = parse(heatmap_plot(models, models, values, kind="win_rate", title="Win rates", uid="w"))
    accessible(root)
    width, height = box(root)
    cells = root.findall(".//s:g[@class='cell']", NS)
    assert len(cells) == sum(v is not None for row in values for v in row)
    drawn = {(c.get("data-row"), c.get("data-col")) for c in cells}
    assert all(((f"m{i}", f"m{i}") not in drawn) for i in range(n))  # no model against itself
    for cell in cells:
        value = float(cell.get("data-value", -1))
        assert 0.0 <= value <= 1.0
        exact = values[int(cell.get("data-row", "m")[1:])][int(cell.get("data-col", "m")[1:])]
        assert exact is not None and value == pytest.approx(exact, rel=1e-5)
        rect = cell.find("s:rect", NS)
        assert rect is not None and rect.get("fill") == diverging(exact)
        x, y = float(rect.get("x", -1)), float(rect.get("y", -1))
        assert 0 <= x < width and 0 <= y < height
    # Each row and column is labelled once (plus the visible title and the legend).
    labels = [t.text for t in root.findall("s:text", NS)]
    assert all(labels.count(m) == 2 for m in models)


def test_count_heatmap_scales_to_the_largest_pair() -> None:
    counts: list[list[float | None]] = [[None, 40.0, 3.0], [40.0, None, 0.0], [3.0, 0.0, None]]
    svg = heatmap_plot(["a", "b", "c"], ["A", "B", "C"], counts, kind="count", title="n", uid="c")
    root = parse(svg)
    fills = {
        c.get("data-value"): c.find("s:rect", NS).get("fill")
        for c in root.findall(".//s:g[@class='cell']", NS)
    }  # type: ignore[union-attr]
    assert fills["40"] == sequential(40, 40) == HIGH and fills["0"] == MID
    assert "40 votes" in svg and ">40<" in svg


def test_colour_scales_end_where_they_say() -> None:
    assert (diverging(0.0), diverging(0.5), diverging(1.0)) == (LOW, MID, HIGH)
    assert diverging(-3) == LOW and diverging(7) == HIGH
    assert sequential(5, 0) == MID


def test_history_draws_one_line_per_model_over_time() -> None:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    series = [
        Series("a", "Alpha", [(t0 + timedelta(days=d), 1000.0 + 10 * d) for d in range(5)]),
        Series("b", "Beta", [(t0 + timedelta(days=d), 990.0 - 5 * d) for d in range(2, 5)]),
    ]
    root = parse(history_plot(series, title="History"))
    accessible(root)
    width, height = box(root)
    lines = root.findall(".//s:g[@class='series']", NS)
    assert [g.get("data-model") for g in lines] == ["a", "b"]
    for g, s in zip(lines, series, strict=True):
        poly = g.find("s:polyline", NS)
        assert poly is not None
        points = [tuple(map(float, p.split(","))) for p in (poly.get("points") or "").split()]
        assert len(points) == len(s.points) == int(g.get("data-points", 0))
        assert [x for x, _ in points] == sorted(x for x, _ in points)  # time runs right
        assert all(0 < x < width and 0 < y < height for x, y in points)
    ya = [float(c.get("cy", 0)) for c in lines[0].findall("s:circle", NS)]
    assert ya == sorted(ya, reverse=True)  # rising rating, rising line (SVG y grows down)


def test_a_single_snapshot_still_draws() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    root = parse(history_plot([Series("a", "A", [(at, 1000.0)])], title="History"))
    assert len(root.findall(".//s:circle", NS)) == 1
    assert "2026-11-01 00:00 to 2026-11-01 00:00" in (root.findtext("s:desc", namespaces=NS) or "")
    # One time label, the snapshot's, under its dots; no made-up two-hour axis around it.
    ticks = root.findall("s:text[@class='tick']", NS)
    assert [t.text for t in ticks] == ["2026-11-01 00:00"]
    assert "One snapshot so far" in "".join(root.itertext())


def test_the_value_labels_fit_inside_the_picture() -> None:
    """Wide intervals (a category view's) make long labels: the picture is as wide as they are,
    at a generous 7.6 units a glyph (a DejaVu Sans digit at 12 px)."""
    wide = [Interval("a", "A", 1039.0, 915.0, 1163.0), Interval("b", "B", 1000.0, 870.0, 1120.0)]
    root = parse(ratings_plot(wide, title="Ratings", subtitle="Text to video, text-in-video"))
    width, _ = box(root)
    for g in root.findall(".//s:g[@class='bar']", NS):
        value = g.findall("s:text", NS)[-1]
        text = "".join(value.itertext())
        assert text == "1039 +124 / \u2212124" or text.startswith("1000 ")
        assert float(value.get("x", 0)) + len(text) * 7.6 <= width


@pytest.mark.parametrize(
    "svg",
    [
        ratings_plot([], title="Ratings"),
        heatmap_plot(["a"], ["A"], [[None]], kind="win_rate", title="W", uid="w"),
        history_plot([], title="History"),
    ],
)
def test_empty_plots_say_so(svg: str) -> None:
    root = parse(svg)
    accessible(root)
    assert root.findall(".//s:g", NS) == []
    assert "yet" in svg or "needed" in svg


def test_the_picture_is_wide_enough_for_its_title() -> None:
    narrow = parse(document(uid="x", width=100, height=50, title="T" * 80, desc="d", body=[]))
    assert box(narrow)[0] > 80 * 6


@pytest.mark.parametrize(
    "lo, hi", [(900.0, 1125.0), (999.5, 1000.5), (-3.0, 3.0), (1000.0, 1000.0)]
)
def test_nice_ticks_cover_the_range_with_round_steps(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and len(ticks) >= 2
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)
    assert len(ticks) <= 12


def test_history_samples_keep_the_first_and_the_latest_snapshot() -> None:
    ids = list(range(1, 1001))
    picked = sample_evenly(ids, 60)
    assert len(picked) == 60 and picked[0] == 1 and picked[-1] == 1000
    assert picked == sorted(set(picked))
    assert sample_evenly(ids[:5], 60) == ids[:5]
    assert sample_evenly(ids, 1) == [1000]
