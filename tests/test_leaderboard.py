"""The leaderboard: one builder, rendered as a page, JSON and CSV that agree row by row."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena import store
from arena.core.clock import utcnow
from arena.core.vocabulary import TRACKS
from arena.registry.plugins import Registry
from arena.services.dataset.importer import import_votes_file
from arena.services.demo import seed_votes
from arena.services.leaderboard import BoardQuery, build_leaderboard
from arena.services.leaderboard.schema import SORT_KEYS
from arena.services.leaderboard.table import COLUMNS
from arena.services.recompute import recompute_all
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Model, OnlineRating, PairStat, RatingEntry, RatingSnapshot
from arena.web.app import create_app
from tests.seeded import OPTIONS, claim_grain_pro


class BoardTable(HTMLParser):
    """The rows of ``table#board``: each row's data-model ("row") and each data-col's text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.in_board = False
        self.col: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "board":
            self.in_board = True
        elif self.in_board and tag == "tr" and a.get("data-model"):
            self.rows.append({"row": a["data-model"] or ""})
        elif self.in_board and self.rows and a.get("data-col"):
            self.col = a["data-col"]
            self.rows[-1].setdefault(self.col, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_board = False
        if tag in ("td", "th"):
            self.col = None

    def handle_data(self, data: str) -> None:
        if self.col is not None:
            self.rows[-1][self.col] += data


def html_rows(html: str) -> list[dict[str, str]]:
    parser = BoardTable()
    parser.feed(html)
    return [{k: " ".join(v.split()) for k, v in row.items()} for row in parser.rows]


DASH, MINUS = "\u2013", "\u2212"
"""What the page shows for a missing value, and before a lower interval half-width."""


def fmt(value: float | None, pattern: str = "{:.0f}") -> str:
    return DASH if value is None else pattern.format(value)


VIEWS = [
    *(f"track={t}" for t in TRACKS),
    "track=text-to-video&category=motion",
    "track=image-to-video&sort=win_rate",
    "track=text-to-video-audio&sort=model&order=desc",
    "track=text-to-video&sort=live&order=asc",
]


@pytest.mark.parametrize("view", VIEWS)
def test_page_json_and_csv_agree_row_by_row(seeded_client: TestClient, view: str) -> None:
    board = seeded_client.get(f"/api/v1/leaderboard?{view}").json()
    page = seeded_client.get(f"/leaderboard?{view}")
    table = seeded_client.get(f"/api/v1/leaderboard.csv?{view}")
    assert page.status_code == table.status_code == 200
    assert board["rows"], view
    shown = html_rows(page.text)
    listed = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["row"] for r in shown] == [r["model"] for r in board["rows"]]
    assert [r["model"] for r in listed] == [r["model"] for r in board["rows"]]
    for row, html, line in zip(board["rows"], shown, listed, strict=True):
        assert html["model"].startswith(row["name"])
        assert html["rank"] == fmt(row["rank"], "{}")
        assert html["rating"] == fmt(row["rating"])
        assert html["votes"] == f"{row['votes']:,}"
        assert html["winrate"] == fmt(row["win_rate"] and 100 * row["win_rate"], "{:.1f}%")
        if "live" in html:
            assert html["live"] == f"{fmt(row['live_rating'])} {row['live_votes']:,} votes"
        else:  # a category view: no live Elo, so the page leaves the column out
            assert row["live_rating"] is None and "category" in view
        if row["ci_plus"] is not None:
            assert html["ci"] == f"+{row['ci_plus']:.0f} / {MINUS}{row['ci_minus']:.0f}"
        assert html["organization"] == (row["organization"] or DASH)
        assert list(line) == list(COLUMNS)
        for column in COLUMNS:
            value = board["official"]["prior"] if column == "prior" else row[column]
            expected = (
                ""
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value).replace("+00:00", "Z")
                if column == "claimed_at"
                else str(value)
            )
            assert line[column].replace("+00:00", "Z") == expected, (view, column)


def test_rows_join_the_latest_snapshot_with_the_live_figures(
    seeded_client: TestClient, seeded: Engine
) -> None:
    board = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    with session_scope(seeded) as session:
        snap = session.exec(
            select(RatingSnapshot)
            .where(RatingSnapshot.track == "text-to-video", RatingSnapshot.category == "")
            .order_by(col(RatingSnapshot.id).desc())
        ).first()
        assert snap is not None
        slugs = {m.id: m.slug for m in session.exec(select(Model))}
        entries = {
            slugs[e.model_id]: e
            for e in session.exec(select(RatingEntry).where(RatingEntry.snapshot_id == snap.id))
        }
        online = {
            slugs[r.model_id]: r.rating
            for r in session.exec(select(OnlineRating).where(OnlineRating.track == "text-to-video"))
        }
        stats = session.exec(
            select(PairStat).where(PairStat.track == "text-to-video", PairStat.category == "")
        ).all()
    live_total = sum(s.count for s in stats)
    official = board["official"]
    assert official["snapshot_id"] == snap.id and official["vote_count"] == snap.vote_count
    assert official["method"] == "bradley_terry" and official["rounds"] == OPTIONS.rounds
    assert official["new_votes"] == live_total - snap.vote_count
    assert board["live"]["vote_count"] == live_total
    for row in board["rows"]:
        e = entries[row["model"]]
        assert row["rank"] == e.rank and row["rating"] == round(e.rating, 1)
        assert row["lower"] <= row["rating"] <= row["upper"]
        assert row["ci_plus"] == round(e.upper - e.rating, 1)
        assert row["votes"] == e.votes and row["provisional"] == e.provisional
        assert row["live_rating"] == round(online[row["model"]], 1)
        mine = [s.count for s in stats if slugs[s.model_lo] == row["model"]]
        theirs = [s.count for s in stats if slugs[s.model_hi] == row["model"]]
        assert row["live_votes"] == sum(mine) + sum(theirs)
    ranks = [r["rank"] for r in board["rows"]]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("key", SORT_KEYS)
def test_every_column_sorts_both_ways_with_empty_values_last(
    seeded_client: TestClient, key: str
) -> None:
    pick = {
        "rank": "rank",
        "model": "name",
        "organization": "organization",
        "license": "license",
        "rating": "rating",
        "votes": "votes",
        "win_rate": "win_rate",
        "live": "live_rating",
    }
    for order in ("asc", "desc"):
        board = seeded_client.get(
            f"/api/v1/leaderboard?track=text-to-video&sort={key}&order={order}"
        ).json()
        assert board["sort"] == key and board["order"] == order
        if key == "ci":
            values = [r["upper"] - r["lower"] for r in board["rows"]]
        else:
            values = [r[pick[key]] for r in board["rows"]]
        values = [v.casefold() if isinstance(v, str) else v for v in values if v not in (None, "")]
        assert values == sorted(values, reverse=order == "desc"), (key, order)
    page = seeded_client.get(f"/leaderboard?track=text-to-video&sort={key}").text
    assert f'data-sort="{key}" aria-sort=' in page


def test_sort_links_flip_the_order_and_keep_the_view(seeded_client: TestClient) -> None:
    page = seeded_client.get("/leaderboard?track=image-to-video&category=animals&sort=votes").text
    assert (
        'href="/leaderboard?track=image-to-video&amp;category=animals&amp;sort=votes&amp;order=asc"'
        in page
    )
    assert 'href="/leaderboard?track=image-to-video&amp;category=animals&amp;sort=rating"' in page
    # Tabs keep the sort but drop the category (another track has other categories).
    assert 'href="/leaderboard?track=text-to-video&amp;sort=votes"' in page


@pytest.mark.parametrize(
    "query, needle",
    [
        ("track=radio", "unknown track 'radio'"),
        ("category=nope", "unknown category 'nope' on track 'text-to-video'; categories: motion"),
        ("sort=height", "unknown sort column 'height'; columns: rank, model"),
        ("order=up", "order must be 'asc' or 'desc'"),
        ("retired=maybe", "retired must be 'show' or 'hide'"),
    ],
)
def test_bad_view_parameters_are_422_naming_the_choices(
    seeded_client: TestClient, query: str, needle: str
) -> None:
    for path in ("/api/v1/leaderboard", "/api/v1/leaderboard.csv", "/leaderboard"):
        response = seeded_client.get(f"{path}?{query}", headers={"accept": "text/html"})
        assert response.status_code == 422, (path, query)
        assert needle in response.text.replace("&#39;", "'")


def test_a_category_view_has_its_own_snapshot_and_no_live_elo(seeded_client: TestClient) -> None:
    whole = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    motion = seeded_client.get("/api/v1/leaderboard?track=text-to-video&category=motion").json()
    assert motion["category"] == "motion"
    assert motion["official"]["snapshot_id"] != whole["official"]["snapshot_id"]
    assert motion["live"]["elo_available"] is False
    assert all(r["live_rating"] is None for r in motion["rows"])
    assert motion["live"]["vote_count"] < whole["live"]["vote_count"]
    options = {c["id"]: c for c in whole["categories"]}
    assert set(options) == {"", "motion", "objects", "text-in-video"}
    assert options["motion"]["votes"] == motion["live"]["vote_count"]
    assert options[""]["votes"] == whole["live"]["vote_count"]
    page = seeded_client.get(motion["links"]["html"]).text
    assert 'data-category="motion" class="active" aria-current="page"' in page
    assert "Live Elo is kept for whole tracks only" in page


def test_retired_and_recently_claimed_models_are_marked(
    seeded_client: TestClient, seeded: Engine, settings: Settings
) -> None:
    with session_scope(seeded, write=True) as session:
        store.set_retired(session, slug="broken-3", retired=True)
    claim_grain_pro(seeded)
    board = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    rows = {r["model"]: r for r in board["rows"]}
    assert rows["broken-3"]["retired"] and not rows["clean-1"]["retired"]
    claimed = rows["grain-pro"]
    assert claimed["recently_claimed"] and claimed["formerly"] == "Grainy Two"
    assert claimed["name"] == "Grain Pro" and claimed["organization"] == "Real Lab"
    page = seeded_client.get("/leaderboard?track=text-to-video").text
    assert 'class="mark retired"' in page and "formerly Grainy Two" in page
    assert f"within {settings.recent_claim_days} days" in page
    hidden = seeded_client.get("/api/v1/leaderboard?track=text-to-video&retired=hide").json()
    assert "broken-3" not in {r["model"] for r in hidden["rows"]} and hidden["hide_retired"]
    # "Recently" is ARENA_RECENT_CLAIM_DAYS: a claim older than that is no longer marked.
    with session_scope(seeded) as session:
        later = build_leaderboard(
            session,
            BoardQuery(track="text-to-video"),
            settings=settings,
            now=utcnow() + timedelta(days=settings.recent_claim_days + 1),
        )
    assert not next(r for r in later.rows if r.model == "grain-pro").recently_claimed


def test_stale_snapshot_and_unrated_models_are_flagged(
    seeded_client: TestClient, seeded: Engine, settings: Settings, registry: Registry
) -> None:
    fresh = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()["official"]
    seed_votes(seeded, settings, registry.config, votes=60, seed=9)
    board = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    official = board["official"]
    assert official["new_votes"] > fresh["new_votes"] and official["stale"]
    page = seeded_client.get("/leaderboard?track=text-to-video").text
    assert f"{official['new_votes']:,} votes cast since this snapshot" in page
    recompute_all(seeded, settings, OPTIONS, categories=[""])
    after = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()["official"]
    assert after["new_votes"] == 0 and not after["stale"]
    assert after["snapshot_id"] > official["snapshot_id"]


def test_without_a_snapshot_the_table_shows_provisional_ratings_of_the_live_votes(
    client: TestClient,
) -> None:
    for _ in range(6):
        battle = client.post("/api/v1/battles?track=image-to-video").json()
        client.post(battle["vote_url"], json={"outcome": "a"})
    board = client.get("/api/v1/leaderboard?track=image-to-video").json()
    assert board["official"] is None
    assert all(r["rank"] is None and r["rating_source"] == "live" for r in board["rows"])
    ratings = [r["rating"] for r in board["rows"]]
    assert ratings == sorted(ratings, reverse=True)
    assert all(r["provisional"] for r in board["rows"])  # 12 votes < ARENA_MIN_VOTES
    page = client.get("/leaderboard?track=image-to-video").text
    assert "No official ratings yet" in page and 'id="board"' in page
    plot = client.get(board["links"]["plots"]["ratings"]).text
    assert plot.count('class="bar provisional"') == len(board["rows"])  # dashed: provisional


def count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


@pytest.mark.parametrize(
    "path",
    [
        "/leaderboard?track=text-to-video",
        "/api/v1/leaderboard?track=text-to-video&category=motion",
        "/api/v1/leaderboard.csv?track=text-to-video",
        "/api/v1/leaderboard/plots/win-rates.svg?track=text-to-video",
        "/api/v1/leaderboard/matrix?track=text-to-video",
        "/api/v1/leaderboard/history?track=text-to-video",
        "/models/clean-1",
        "/api/v1/models/clean-1",
    ],
)
def test_etag_answers_304_cheaply_and_changes_with_the_data(
    seeded_client: TestClient, path: str
) -> None:
    first = seeded_client.get(path)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    engine = seeded_client.app.state.engine  # type: ignore[attr-defined]
    statements = count_statements(engine)
    again = seeded_client.get(path, headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == "private, no-cache"
    # The version key: the newest snapshot, the vote statistics, the models. Nothing built.
    assert len(statements) <= 4, statements
    assert seeded_client.get(path, headers={"if-none-match": f'"other", {tag}'}).status_code == 304
    battle = seeded_client.post("/api/v1/battles?track=text-to-video").json()
    seeded_client.post(battle["vote_url"], json={"outcome": "tie"})
    moved = seeded_client.get(path, headers={"if-none-match": tag})
    assert moved.status_code == 200 and moved.headers["etag"] != tag


def test_each_view_has_its_own_etag(seeded_client: TestClient) -> None:
    tags = {
        seeded_client.get(url).headers["etag"]
        for url in (
            "/api/v1/leaderboard?track=text-to-video",
            "/api/v1/leaderboard?track=text-to-video&sort=votes",
            "/api/v1/leaderboard?track=image-to-video",
            "/api/v1/leaderboard.csv?track=text-to-video",
            "/leaderboard?track=text-to-video",
        )
    }
    assert len(tags) == 5


def test_the_page_draws_one_bar_per_rated_model_and_every_pair(seeded_client: TestClient) -> None:
    board = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    page = seeded_client.get("/leaderboard?track=text-to-video").text
    rated = [r for r in board["rows"] if r["rating"] is not None]
    for name in ("ratings", "win-rates", "battles", "history"):
        assert f'id="plot-{name}"' in page
    ratings_svg = page[
        page.index('id="plot-ratings"') : page.index("</svg>", page.index('id="plot-ratings"'))
    ]
    assert ratings_svg.count('class="bar') == len(rated)
    for row in rated:
        assert f'data-model="{row["model"]}" data-rating="{row["rating"]:g}"' in ratings_svg
    n = len(board["rows"])
    matrix = seeded_client.get(board["links"]["matrix"]).json()
    met = sum(1 for i in range(n) for j in range(n) if matrix["battles"][i][j] > 0)
    start = page.index('id="plot-battles"')
    battles_svg = page[start : page.index("</svg>", start)]
    assert battles_svg.count('class="cell"') == met


def test_matrix_is_consistent_with_the_vote_counts(seeded_client: TestClient) -> None:
    board = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    matrix = seeded_client.get(board["links"]["matrix"]).json()
    assert matrix["models"] == [r["model"] for r in board["rows"]]
    battles, rates, predicted = matrix["battles"], matrix["win_rate"], matrix["predicted"]
    n = len(matrix["models"])
    assert sum(map(sum, battles)) == 2 * board["live"]["vote_count"]
    for i in range(n):
        assert battles[i][i] == 0 and rates[i][i] is None
        assert sum(battles[i]) == board["rows"][i]["live_votes"]
        for j in range(n):
            assert battles[i][j] == battles[j][i]
            if rates[i][j] is not None:
                assert rates[i][j] + rates[j][i] == pytest.approx(1.0, abs=2e-4)
            if i != j:
                assert predicted[i][j] + predicted[j][i] == pytest.approx(1.0, abs=2e-4)
                assert (predicted[i][j] > 0.5) == (
                    board["rows"][i]["rating"] > board["rows"][j]["rating"]
                )


def test_history_follows_every_snapshot(
    seeded_client: TestClient, seeded: Engine, settings: Settings
) -> None:
    recompute_all(seeded, settings, OPTIONS, tracks=["text-to-video"], categories=[""])
    history = seeded_client.get("/api/v1/leaderboard/history?track=text-to-video").json()
    assert history["snapshots"] == 2
    assert {s["model"] for s in history["series"]} == {"clean-1", "grainy-2", "broken-3", "mute-4"}
    for series in history["series"]:
        points = series["points"]
        assert len(points) == 2 and points[0]["snapshot_id"] < points[1]["snapshot_id"]
        assert all(p["lower"] <= p["rating"] <= p["upper"] for p in points)
    svg = seeded_client.get("/api/v1/leaderboard/plots/history.svg?track=text-to-video").text
    assert svg.count('class="series"') == 4 and svg.count('data-points="2"') == 4


def test_plot_routes_serve_standalone_svg(seeded_client: TestClient) -> None:
    for name in ("ratings", "win-rates", "battles", "history"):
        response = seeded_client.get(f"/api/v1/leaderboard/plots/{name}.svg?track=image-to-video")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    missing = seeded_client.get("/api/v1/leaderboard/plots/pie.svg?track=image-to-video")
    assert missing.status_code == 422 and "unknown plot 'pie'" in missing.text


def test_unversioned_paths_are_aliases(seeded_client: TestClient) -> None:
    for path in ("leaderboard?track=text-to-video", "leaderboard.csv", "models/clean-1"):
        v1, alias = seeded_client.get(f"/api/v1/{path}"), seeded_client.get(f"/api/{path}")
        assert alias.status_code == 200 and alias.content == v1.content


def _has_example(spec: dict, node: dict) -> bool:
    if "example" in node or "examples" in node:
        return True
    schema = node.get("schema", {})
    ref = schema.get("$ref")
    if ref:
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return "examples" in schema or "example" in schema


def test_openapi_documents_every_route_with_examples(seeded_client: TestClient) -> None:
    spec = seeded_client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, op in methods.items():
            codes = ("200", "201", "202")
            ok = next((op["responses"][c] for c in codes if c in op["responses"]), None)
            assert ok, (path, method)
            content = ok.get("content", {})
            assert content and all(_has_example(spec, c) for c in content.values()), (path, method)
            for param in op.get("parameters", []):
                if param["name"] == "battle_id":
                    continue  # an opaque random id: the route's own example shows one
                assert _has_example(spec, param), (path, method, param["name"])


def test_a_model_newer_than_the_snapshot_is_listed_unrated(
    seeded_client: TestClient, seeded: Engine, settings: Settings, tmp_path: Path
) -> None:
    votes = tmp_path / "newcomer.jsonl"
    record = {"model_a": "newcomer", "model_b": "clean-1", "outcome": "a", "prompt_id": "t2v-ball"}
    votes.write_text(json.dumps(record) + "\n")
    assert import_votes_file(seeded, settings, votes).imported == 1
    board = seeded_client.get("/api/v1/leaderboard?track=text-to-video").json()
    last = board["rows"][-1]
    assert last["model"] == "newcomer" and last["rank"] is None
    assert last["rating_source"] == "live" and last["rating"] is not None  # provisional
    assert last["live_votes"] == 1 and last["provisional"]
    assert board["official"]["stale"]
    page = seeded_client.get("/leaderboard?track=text-to-video").text
    assert 'class="mark new"' in page
    assert "not in the official ratings yet" in page


def test_bodies_are_gzipped_for_clients_that_accept_it(seeded_client: TestClient) -> None:
    path = "/leaderboard?track=text-to-video"
    plain = seeded_client.get(path, headers={"accept-encoding": "identity"})
    packed = seeded_client.get(path, headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert (
        packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
    )
    assert int(packed.headers["content-length"]) < len(plain.content) / 4
    assert packed.content == plain.content  # httpx decodes it
    assert packed.headers["etag"] == plain.headers["etag"]


def test_an_integrity_flag_changes_the_etag_without_a_vote(
    settings: Settings, registry: Registry, seeded: Engine
) -> None:
    # An admin flags a vote: the counts change, no vote is added, the audit log grows.
    with TestClient(create_app(settings, registry)) as client:
        tag = client.get("/api/v1/leaderboard?track=text-to-video").headers["etag"]
        with session_scope(seeded, write=True) as session:
            store.flag_vote(session, vote_id=5, actor="test", reason="spam")
        again = client.get(
            "/api/v1/leaderboard?track=text-to-video", headers={"if-none-match": tag}
        )
        assert again.status_code == 200 and again.headers["etag"] != tag
