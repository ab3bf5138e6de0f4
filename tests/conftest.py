"""Shared fixtures: a small procedural arena rendered once, a fresh database for every test.

The rendered source clips are shared by the whole session (they are the provider's cache);
each test gets its own data directory, database and media folder through the factory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from arena.registry.config import load_config
from arena.registry.plugins import Registry, build_registry
from arena.services.demo import prepare_demo_config
from arena.services.ingest import sync
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema
from arena.web.app import create_app
from tests import pg

DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip when a real part is missing on a developer's machine; fail in CI, never skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="session")
def config_path(shared_dir: Path) -> Path:
    """The small test arena's config, copied with its source images rendered beside it."""
    return prepare_demo_config(shared_dir / "config", template=DATA / "small.toml")


@pytest.fixture(scope="session")
def registry(config_path: Path) -> Registry:
    return build_registry(load_config(config_path))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test that touches the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "postgresql":
        need(bool(pg.PG_URL), "ARENA_TEST_POSTGRES_URL is not set (PostgreSQL tests)")
        pg.create_template()
        yield "postgresql"
        pg.drop_template()
    else:
        yield "sqlite"


@pytest.fixture
def db_url(backend: str) -> Iterator[str]:
    """A fresh, empty-schema database for one test: "" means the data directory's SQLite."""
    if backend == "postgresql":
        with pg.fresh_database() as url:
            yield url
    else:
        yield ""


def arena_settings(
    data_dir: Path, shared_dir: Path, config_path: Path, database_url: str = ""
) -> Settings:
    """The small arena's settings. The abuse defenses that depend on wall time, the
    exclusion of votes that are not blind and the showcase are off here; tests/test_integrity*.py,
    tests/test_reveals.py and tests/test_model_page.py turn them on (and the defaults are what
    production gets)."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        min_watch_ms=0,
        min_watch_fraction=0.0,
        voter_vote_limits="",
        ip_vote_limits="",
        voter_battle_limits="",
        ip_battle_limits="",
        # Eight clips a track: one voter runs out of blind battles after three or four votes.
        exclude_seen=False,
        sources_dir=shared_dir / "sources",
        config_path=config_path,
        secret_key="test-secret",
        catalog_ttl_seconds=0.0,
        # Two prompts a track are too few to hold one out of battles for the model pages'
        # showcase; tests/test_model_page.py turns it on.
        showcase_prompts=0,
    )


@pytest.fixture
def settings(tmp_path: Path, shared_dir: Path, config_path: Path, db_url: str) -> Settings:
    return arena_settings(tmp_path / "data", shared_dir, config_path, db_url)


@pytest.fixture
def engine(settings: Settings, registry: Registry) -> Iterator[Engine]:
    """A fresh database with the small arena's models, prompts and clips synced in."""
    engine = make_engine(settings.database_url)
    prepare_schema(engine)
    report = sync(engine, registry, settings)
    assert not report.rejected, report.rejected
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings, registry: Registry, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, registry, seed=0)) as test_client:
        yield test_client


@pytest.fixture
def seeded(settings: Settings, registry: Registry, shared_dir: Path) -> Iterator[Engine]:
    """A copy of the seeded arena (tests/seeded.py): votes, a snapshot per slice, clips."""
    from tests.seeded import copy_of

    engine = copy_of(shared_dir, registry, settings)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_client(settings: Settings, registry: Registry, seeded: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, registry, seed=0)) as test_client:
        yield test_client
