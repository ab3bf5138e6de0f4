"""Settings read from the environment (ARENA_*), with no side effects at import time."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

TRACKS: tuple[str, ...] = (
    "text-to-video",
    "text-to-video-audio",
    "image-to-video",
    "image-to-video-audio",
)
"""The four separate pools: a battle never mixes tracks, a leaderboard is per track."""

TRACK_LABELS: dict[str, str] = {
    "text-to-video": "Text to video",
    "text-to-video-audio": "Text to video, with audio",
    "image-to-video": "Image to video",
    "image-to-video-audio": "Image to video, with audio",
}


def track_has_audio(track: str) -> bool:
    """Whether clips of this track carry sound that voters should judge."""
    return track.endswith("-audio")


def track_has_image(track: str) -> bool:
    """Whether prompts of this track start from a source image."""
    return track.startswith("image-to-video")


CLIP_OFFLOADS: tuple[str, ...] = ("", "x-accel-redirect", "x-sendfile")
"""Who sends a battle clip's bytes: the app (""), nginx (X-Accel-Redirect), or a server that
understands X-Sendfile (Apache's mod_xsendfile, lighttpd, Caddy with a plugin)."""

STRATEGIES: tuple[str, ...] = ("uniform", "weighted", "active")
"""Matchmaking strategies (see arena.matchmaking and the README's Matchmaking section)."""


class SettingsError(ValueError):
    """An environment variable holds a value Arena cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything the app, the CLI and the tests configure.

    Build one with :meth:`from_env`; tests build one directly with a temporary ``data_dir``.
    """

    data_dir: Path = Path("arena-data")
    database_url: str = ""
    media_dir: Path = Path()
    sources_dir: Path = Path()
    config_path: Path | None = None
    secret_key: str = ""
    admin_token: str = ""
    battle_ttl_seconds: int = 1800
    elo_k: float = 4.0
    elo_initial: float = 1000.0
    min_votes: int = 100
    host: str = "127.0.0.1"
    port: int = 8000
    catalog_ttl_seconds: float = 5.0
    write_timeout_seconds: float = 10.0
    clip_grace_seconds: int = 600
    clip_offload: str = ""
    clip_offload_prefix: str = "/_arena_clips/"
    # The leaderboard and data releases (README "Leaderboard", "Data releases").
    recent_claim_days: int = 30
    showcase_prompts: int = 1
    export_salt: str = field(default="", repr=False)
    # Abuse defenses (README "Vote integrity"): watch time, rate limits, the anomaly test.
    min_watch_ms: int = 1500
    min_watch_fraction: float = 1.0
    watch_slack_ms: int = 1000
    voter_vote_limits: str = "20/minute,1000/day"
    ip_vote_limits: str = "60/minute,5000/day"
    voter_battle_limits: str = "60/minute"
    ip_battle_limits: str = "240/minute"
    anomaly_alpha: float = 0.001
    anomaly_min_history: int = 30
    trusted_proxies: str = ""
    max_body_bytes: int = 65536
    match_strategy: str = "active"
    match_strategy_by_track: tuple[tuple[str, str], ...] = ()
    match_weights: tuple[tuple[str, float], ...] = ()
    match_boost: float = 5.0
    match_boost_votes: int = 500
    match_exposure_min: float = 0.5
    match_exposure_max: float = 2.0
    match_explore: float = 0.1
    match_sharpness: float = 3.0

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir)
        object.__setattr__(self, "data_dir", data_dir)
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{data_dir / 'arena.db'}")
        if self.media_dir == Path():
            object.__setattr__(self, "media_dir", data_dir / "media")
        if self.sources_dir == Path():
            object.__setattr__(self, "sources_dir", data_dir / "sources")
        if self.battle_ttl_seconds <= 0:
            raise SettingsError(f"ARENA_BATTLE_TTL must be positive, got {self.battle_ttl_seconds}")
        if self.elo_k <= 0:
            raise SettingsError(f"ARENA_ELO_K must be positive, got {self.elo_k}")
        for name, value in (
            ("ARENA_RECENT_CLAIM_DAYS", self.recent_claim_days),
            ("ARENA_SHOWCASE_PROMPTS", self.showcase_prompts),
        ):
            if value < 0:
                raise SettingsError(f"{name} must be 0 or more, got {value}")
        _check_integrity(self)
        if self.catalog_ttl_seconds < 0:
            raise SettingsError(
                f"ARENA_CATALOG_TTL must be >= 0 seconds, got {self.catalog_ttl_seconds}"
            )
        if not 0 < self.write_timeout_seconds <= 600:
            raise SettingsError(
                f"ARENA_WRITE_TIMEOUT must be in (0, 600] seconds, got {self.write_timeout_seconds}"
            )
        if self.clip_grace_seconds < 0:
            raise SettingsError(
                f"ARENA_CLIP_GRACE must be 0 or more, got {self.clip_grace_seconds}"
            )
        if self.clip_offload not in CLIP_OFFLOADS:
            raise SettingsError(
                f"ARENA_CLIP_OFFLOAD: unknown value {self.clip_offload!r}; "
                "use x-accel-redirect, x-sendfile, or leave it empty"
            )
        prefix = self.clip_offload_prefix
        if not (prefix.startswith("/") and prefix.endswith("/")):
            raise SettingsError(
                f"ARENA_CLIP_OFFLOAD_PREFIX must start and end with '/', got {prefix!r}"
            )
        check_matchmaking(self)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def clips_dir(self) -> Path:
        return self.media_dir / "clips"

    @property
    def images_dir(self) -> Path:
        return self.media_dir / "images"

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (CLI flags override the environment)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def resolved_secret(self) -> str:
        """The cookie-signing secret: ARENA_SECRET_KEY, or one kept in the data directory.

        A random key is created on first use and stored with mode 0600, so voter cookies stay
        valid across restarts and across workers sharing the data directory.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ARENA_* variables (see the README's Configuration section)."""
        env = os.environ if env is None else env

        def number(name: str, default: float, kind: type = float) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return kind(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a {kind.__name__}, got {raw!r}") from None

        strategy, by_track = parse_strategies(env.get("ARENA_MATCH_STRATEGY", "") or "active")
        data_dir = Path(env.get("ARENA_DATA_DIR", "arena-data"))
        config = env.get("ARENA_CONFIG")
        return cls(
            data_dir=data_dir,
            database_url=env.get("ARENA_DATABASE_URL", ""),
            media_dir=Path(env.get("ARENA_MEDIA_DIR", "")),
            sources_dir=Path(env.get("ARENA_SOURCES_DIR", "")),
            config_path=Path(config) if config else None,
            secret_key=env.get("ARENA_SECRET_KEY", ""),
            admin_token=env.get("ARENA_ADMIN_TOKEN", ""),
            battle_ttl_seconds=int(number("ARENA_BATTLE_TTL", 1800, int)),
            elo_k=number("ARENA_ELO_K", 4.0),
            min_votes=int(number("ARENA_MIN_VOTES", 100, int)),
            host=env.get("ARENA_HOST", "127.0.0.1"),
            port=int(number("ARENA_PORT", 8000, int)),
            recent_claim_days=int(number("ARENA_RECENT_CLAIM_DAYS", 30, int)),
            showcase_prompts=int(number("ARENA_SHOWCASE_PROMPTS", 1, int)),
            export_salt=env.get("ARENA_EXPORT_SALT", ""),
            min_watch_ms=int(number("ARENA_MIN_WATCH_MS", cls.min_watch_ms, int)),
            min_watch_fraction=number("ARENA_MIN_WATCH_FRACTION", cls.min_watch_fraction),
            watch_slack_ms=int(number("ARENA_WATCH_SLACK_MS", cls.watch_slack_ms, int)),
            voter_vote_limits=env.get("ARENA_VOTER_VOTE_LIMITS", cls.voter_vote_limits),
            ip_vote_limits=env.get("ARENA_IP_VOTE_LIMITS", cls.ip_vote_limits),
            voter_battle_limits=env.get("ARENA_VOTER_BATTLE_LIMITS", cls.voter_battle_limits),
            ip_battle_limits=env.get("ARENA_IP_BATTLE_LIMITS", cls.ip_battle_limits),
            anomaly_alpha=number("ARENA_ANOMALY_ALPHA", cls.anomaly_alpha),
            anomaly_min_history=int(
                number("ARENA_ANOMALY_MIN_HISTORY", cls.anomaly_min_history, int)
            ),
            trusted_proxies=env.get("ARENA_TRUSTED_PROXIES", ""),
            max_body_bytes=int(number("ARENA_MAX_BODY_BYTES", cls.max_body_bytes, int)),
            catalog_ttl_seconds=number("ARENA_CATALOG_TTL", 5.0),
            write_timeout_seconds=number("ARENA_WRITE_TIMEOUT", cls.write_timeout_seconds),
            clip_grace_seconds=int(number("ARENA_CLIP_GRACE", cls.clip_grace_seconds, int)),
            clip_offload=env.get("ARENA_CLIP_OFFLOAD", cls.clip_offload).strip().lower(),
            clip_offload_prefix=env.get("ARENA_CLIP_OFFLOAD_PREFIX", cls.clip_offload_prefix),
            match_strategy=strategy,
            match_strategy_by_track=by_track,
            match_weights=parse_weights(env.get("ARENA_MATCH_WEIGHTS", "")),
            match_boost=number("ARENA_MATCH_BOOST", 5.0),
            match_boost_votes=int(number("ARENA_MATCH_BOOST_VOTES", 500, int)),
            match_exposure_min=number("ARENA_MATCH_EXPOSURE_MIN", 0.5),
            match_exposure_max=number("ARENA_MATCH_EXPOSURE_MAX", 2.0),
            match_explore=number("ARENA_MATCH_EXPLORE", 0.1),
            match_sharpness=number("ARENA_MATCH_SHARPNESS", 3.0),
        )

    def strategy_for(self, track: str) -> str:
        """The matchmaking strategy of ``track``: its override, else ARENA_MATCH_STRATEGY."""
        return dict(self.match_strategy_by_track).get(track, self.match_strategy)


def parse_strategies(raw: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``"active"`` or ``"active,image-to-video=uniform"``: a default and per-track overrides."""
    default = ""
    by_track: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        track, sep, name = (s.strip() for s in item.partition("="))
        if not sep:
            if default:
                raise SettingsError(
                    f"ARENA_MATCH_STRATEGY names two default strategies: {default!r} and {item!r}"
                )
            default = item
        else:
            by_track[track] = name
    return default or "active", tuple(sorted(by_track.items()))


def parse_weights(raw: str) -> tuple[tuple[str, float], ...]:
    """``"model-a=2,model-b=0.5"``: per-model sampling weights of the weighted strategy."""
    out: dict[str, float] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        slug, sep, value = (s.strip() for s in item.partition("="))
        try:
            if not sep or not slug:
                raise ValueError
            out[slug] = float(value)
        except ValueError:
            raise SettingsError(
                f"ARENA_MATCH_WEIGHTS items must be MODEL=NUMBER, got {item!r}"
            ) from None
    return tuple(sorted(out.items()))


def check_matchmaking(settings: Settings) -> None:
    """Raise :class:`SettingsError` naming the variable of a bad matchmaking setting."""
    if settings.match_strategy not in STRATEGIES:
        raise SettingsError(
            f"ARENA_MATCH_STRATEGY: unknown strategy {settings.match_strategy!r}; "
            f"strategies: {', '.join(STRATEGIES)}"
        )
    for track, name in settings.match_strategy_by_track:
        if track not in TRACKS:
            raise SettingsError(
                f"ARENA_MATCH_STRATEGY: unknown track {track!r}; tracks: {', '.join(TRACKS)}"
            )
        if name not in STRATEGIES:
            raise SettingsError(
                f"ARENA_MATCH_STRATEGY: unknown strategy {name!r} for {track}; "
                f"strategies: {', '.join(STRATEGIES)}"
            )
    for slug, weight in settings.match_weights:
        if not (weight > 0 and weight < float("inf")):
            raise SettingsError(
                f"ARENA_MATCH_WEIGHTS: the weight of {slug!r} must be a positive number, got "
                f"{weight} (retire a model to stop showing it)"
            )
    if not settings.match_boost >= 1:
        raise SettingsError(f"ARENA_MATCH_BOOST must be >= 1, got {settings.match_boost}")
    if settings.match_boost_votes < 0:
        raise SettingsError(
            f"ARENA_MATCH_BOOST_VOTES must be >= 0, got {settings.match_boost_votes}"
        )
    lo, hi = settings.match_exposure_min, settings.match_exposure_max
    if not 0 <= lo <= 1:
        raise SettingsError(f"ARENA_MATCH_EXPOSURE_MIN must be between 0 and 1, got {lo}")
    if not hi >= 1:
        raise SettingsError(f"ARENA_MATCH_EXPOSURE_MAX must be >= 1, got {hi}")
    if not 0 < settings.match_sharpness <= 20:
        raise SettingsError(
            f"ARENA_MATCH_SHARPNESS must be in (0, 20], got {settings.match_sharpness}"
        )
    if not 0 < settings.match_explore <= 1:
        raise SettingsError(f"ARENA_MATCH_EXPLORE must be in (0, 1], got {settings.match_explore}")


def _check_integrity(settings: Settings) -> None:
    """Fail at start-up, naming the variable, on a value the abuse defenses cannot use."""
    from arena.integrity.policy import parse_limits, parse_networks

    for name, value in (
        ("ARENA_MIN_WATCH_MS", settings.min_watch_ms),
        ("ARENA_WATCH_SLACK_MS", settings.watch_slack_ms),
        ("ARENA_ANOMALY_MIN_HISTORY", settings.anomaly_min_history),
    ):
        if value < 0:
            raise SettingsError(f"{name} must be 0 or more, got {value}")
    if not 0.0 <= settings.min_watch_fraction <= 10.0:
        raise SettingsError(
            f"ARENA_MIN_WATCH_FRACTION must be between 0 and 10, got {settings.min_watch_fraction}"
        )
    if not 0.0 <= settings.anomaly_alpha < 1.0:
        raise SettingsError(
            f"ARENA_ANOMALY_ALPHA must be in [0, 1) (0 turns the test off), "
            f"got {settings.anomaly_alpha}"
        )
    if settings.admin_token and len(settings.admin_token) < 16:
        raise SettingsError(
            "ARENA_ADMIN_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`)"
        )
    if settings.max_body_bytes < 1024:
        raise SettingsError(
            f"ARENA_MAX_BODY_BYTES must be 1024 or more, got {settings.max_body_bytes}"
        )
    for name, text in (
        ("ARENA_VOTER_VOTE_LIMITS", settings.voter_vote_limits),
        ("ARENA_IP_VOTE_LIMITS", settings.ip_vote_limits),
        ("ARENA_VOTER_BATTLE_LIMITS", settings.voter_battle_limits),
        ("ARENA_IP_BATTLE_LIMITS", settings.ip_battle_limits),
    ):
        try:
            parse_limits(text)
        except ValueError as exc:
            raise SettingsError(f"{name}: {exc}") from None
    try:
        parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise SettingsError(f"ARENA_TRUSTED_PROXIES: {exc}") from None
