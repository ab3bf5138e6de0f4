"""Settings: every ARENA_* variable validated at start-up, the error naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from arena.settings import Settings, SettingsError, env_var, from_environment

NUMERIC = [
    name
    for name, field in Settings.model_fields.items()
    if field.annotation in (int, float) and from_environment(name)
]


def test_nan_elo_k_is_refused_at_start_up_naming_the_variable() -> None:
    # Accepted before: nan <= 0 is false, and then every counted vote answered 500.
    with pytest.raises(SettingsError, match=r"^ARENA_ELO_K must be a finite number, got 'nan'"):
        Settings.from_env({"ARENA_ELO_K": "nan"})


def test_arena_serve_with_a_nan_elo_k_stops_before_serving(tmp_path: Path) -> None:
    env = {**os.environ, "ARENA_ELO_K": "nan", "ARENA_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "arena.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "arena: error: ARENA_ELO_K must be a finite number, got 'nan'"


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "1e999", "-1"])
def test_no_numeric_variable_takes_nan_infinity_or_a_negative(name: str, raw: str) -> None:
    variable = env_var(name)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: raw})
    assert str(caught.value).startswith(f"{variable} must be ")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARENA_PORT": "70000"}, "ARENA_PORT must be between 1 and 65535, got '70000'"),
        ({"ARENA_BATTLE_TTL": "0"}, "ARENA_BATTLE_TTL must be more than 0, got '0'"),
        ({"ARENA_MIN_WATCH_FRACTION": "11"}, "ARENA_MIN_WATCH_FRACTION must be between 0 and 10"),
        ({"ARENA_MATCH_SHARPNESS": "21"}, "ARENA_MATCH_SHARPNESS must be in (0, 20], got '21'"),
        ({"ARENA_MATCH_WEIGHTS": "a=inf"}, "ARENA_MATCH_WEIGHTS: the weight of 'a' must be"),
        ({"ARENA_MATCH_WEIGHTS": "a=nan"}, "ARENA_MATCH_WEIGHTS: the weight of 'a' must be"),
        ({"ARENA_MIN_VOTES": "2.5"}, "ARENA_MIN_VOTES must be an integer, got '2.5'"),
    ],
)
def test_out_of_range_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert str(caught.value).startswith(message)


def test_every_bad_variable_is_reported_one_per_line() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"ARENA_ELO_K": "nan", "ARENA_PORT": "0"})
    assert str(caught.value).splitlines() == [
        "ARENA_ELO_K must be a finite number, got 'nan'",
        "ARENA_PORT must be between 1 and 65535, got '0'",
    ]


def test_values_set_in_code_are_validated_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(SettingsError, match=r"^ARENA_ELO_K must be a finite number"):
        settings.with_(elo_k=float("nan"))
    with pytest.raises(SettingsError, match=r"^ARENA_CATALOG_TTL must be 0 or more"):
        Settings(catalog_ttl_seconds=-1.0)


def test_environment_is_read_only_by_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_ELO_K", "7")
    monkeypatch.setenv("ARENA_BATTLE_TTL", "60")
    monkeypatch.setenv("ARENA_CONFIG", "other.toml")
    monkeypatch.setenv("ARENA_MEDIA_DIR", "")  # empty: the default
    assert Settings().elo_k == 4.0  # tests build settings that no stray variable changes
    settings = Settings.from_env()
    assert (settings.elo_k, settings.battle_ttl_seconds) == (7.0, 60)
    assert settings.config_path == Path("other.toml")
    assert settings.media_dir == Path("arena-data/media")


def test_derived_paths_follow_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"ARENA_DATA_DIR": str(tmp_path / "a")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'a' / 'arena.db'}"
    assert settings.clips_dir == tmp_path / "a" / "media" / "clips"
    assert settings.sources_dir == tmp_path / "a" / "sources"
    moved = settings.with_(data_dir=tmp_path / "b", database_url="", media_dir=Path())
    assert moved.database_url == f"sqlite:///{tmp_path / 'b' / 'arena.db'}"
    assert moved.images_dir == tmp_path / "b" / "media" / "images"
    assert moved.sources_dir == tmp_path / "a" / "sources"  # not asked to move
    assert moved.is_sqlite and settings.with_(database_url="postgresql://x/y").is_sqlite is False


def test_secrets_stay_out_of_the_repr() -> None:
    settings = Settings(secret_key="s" * 20, admin_token="t" * 20, export_salt="pepper")
    assert "s" * 20 not in repr(settings) and "t" * 20 not in repr(settings)
    assert "pepper" not in repr(settings)


def test_the_rules_do_not_import_the_settings() -> None:
    # arena.settings builds the core's configurations (integrity_policy, match_config), so the
    # core's rules take plain values and never import the settings: no cycle between them.
    code = (
        "import sys; import arena.core.integrity.policy, arena.core.matchmaking; "
        "print('arena.settings' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
