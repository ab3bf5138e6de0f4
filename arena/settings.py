# Long because one class declares every ARENA_* variable, with its bounds and help.
"""Settings read from the environment (ARENA_*), with no side effects at import time.

:class:`Settings` is the one place that defines every variable: its type, default, bounds and
help text. pydantic-settings reads and validates them; the README's Configuration table is
rendered from the class (``python -m arena.cli.docs``), and a test keeps the two equal.
"""

from __future__ import annotations

import functools
import math
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import annotated_types
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from arena.core.integrity.limits import parse_limits, parse_networks
from arena.core.integrity.monitor import AlarmRules
from arena.core.integrity.policy import IntegrityPolicy
from arena.core.matchmaking.config import MatchConfig
from arena.core.vocabulary import TRACKS

CLIP_OFFLOADS: tuple[str, ...] = ("", "x-accel-redirect", "x-sendfile")
"""Who sends a battle clip's bytes: the app (""), nginx (X-Accel-Redirect), or a server that
understands X-Sendfile (Apache's mod_xsendfile, lighttpd, Caddy with a plugin)."""

IDENTITIES: tuple[str, ...] = ("cookie", "invitation", "header")
"""Who a voter is, and whose votes count (see the README's Voter identity section): anyone with
a cookie; only voters holding an invitation; only voters a trusted proxy signed in."""

STRATEGIES: tuple[str, ...] = ("uniform", "weighted", "active")
"""Matchmaking strategies (see arena.core.matchmaking and the README's Matchmaking section)."""


class SettingsError(ValueError):
    """An environment variable holds a value Arena cannot use; the message names it."""


def _internal(default: object, description: str) -> Any:
    """A field code and tests set, that no environment variable reaches."""
    return Field(default=default, description=description, json_schema_extra={"env": False})


def _shown(text: str) -> dict[str, Any]:
    """The default as the docs show it (Markdown), for a default derived at start-up."""
    return {"shown_default": text}


class Settings(BaseSettings):
    """Everything the app, the CLI and the tests configure.

    Build one with :meth:`from_env`; tests build one directly (``Settings(data_dir=...)``),
    which reads no environment variable. Either way every value is validated, and a bad one
    raises :class:`SettingsError` naming its variable.
    """

    model_config = SettingsConfigDict(
        env_prefix="ARENA_",
        env_ignore_empty=True,  # ARENA_X= means "the default", as an unset variable does
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,  # ARENA_ELO_K=nan would make every counted vote fail
        validate_by_name=True,
        validate_by_alias=True,
    )

    data_dir: Path = Field(
        default=Path("arena-data"), description="where the database, media and caches live"
    )
    database_url: str = Field(
        default="",
        description="SQLite file, or `postgresql+psycopg://user@host/db`",
        json_schema_extra=_shown("`sqlite:///$ARENA_DATA_DIR/arena.db`"),
    )
    media_dir: Path = Field(
        default=Path(),
        description="normalized clips (`clips/`) and prompt images (`images/`), as served",
        json_schema_extra=_shown("`$ARENA_DATA_DIR/media`"),
    )
    sources_dir: Path = Field(
        default=Path(),
        description="providers' working folders (renders, downloads), the originals kept at "
        "ingestion, the normalized-file cache",
        json_schema_extra=_shown("`$ARENA_DATA_DIR/sources`"),
    )
    config_path: Path | None = Field(
        default=None,
        validation_alias="ARENA_CONFIG",
        description="the models and prompts (see below)",
        json_schema_extra=_shown("`./arena.toml`"),
    )
    secret_key: str = Field(
        default="",
        repr=False,
        description="signs voter cookies; set it when several machines serve one arena",
        json_schema_extra=_shown("generated into `$ARENA_DATA_DIR/secret.key`"),
    )
    admin_token: str = Field(
        default="",
        repr=False,
        description="bearer token of the admin API and `arena admin`; 16 characters or more",
        json_schema_extra=_shown("unset (admin API off)"),
    )
    battle_ttl_seconds: int = Field(
        default=1800,
        gt=0,
        validation_alias="ARENA_BATTLE_TTL",
        description="seconds a battle stays open for its vote; expired battles without a vote "
        "are purged every `ARENA_BATTLE_TTL` seconds (at most hourly)",
    )
    elo_k: float = Field(default=4.0, gt=0, le=1000, description="K-factor of the live Elo")
    elo_initial: float = _internal(1000.0, "the live Elo of a model with no votes")
    min_votes: int = Field(
        default=100, ge=0, description="below this many votes a model is marked provisional"
    )
    host: str = Field(default="127.0.0.1", min_length=1, description="address to listen on")
    port: int = Field(default=8000, ge=1, le=65535, description="port to listen on")
    catalog_ttl_seconds: float = Field(
        default=5.0,
        ge=0,
        validation_alias="ARENA_CATALOG_TTL",
        description="seconds between reloads of the clip catalogue and the matchmaking state "
        "(0: every request)",
    )
    write_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=600,
        validation_alias="ARENA_WRITE_TIMEOUT",
        description="seconds a web write may wait for its turn on the writer before it answers "
        "`503` with `Retry-After` (writing nothing)",
    )
    # Clips (README "Clips and the front server").
    clip_grace_seconds: int = Field(
        default=600,
        ge=0,
        validation_alias="ARENA_CLIP_GRACE",
        description="seconds a battle's clip URLs keep working after the battle expires "
        "(replays after the vote)",
    )
    clip_offload: str = Field(
        default="",
        description="`x-accel-redirect` (nginx) or `x-sendfile`: the front server sends clip "
        "bytes once the app has authorized the request",
        json_schema_extra=_shown("unset (the app sends)"),
    )
    clip_offload_prefix: str = Field(
        default="/_arena_clips/",
        description="with `x-accel-redirect`: nginx's internal location that maps to the clips "
        "folder",
    )
    # The leaderboard and data releases (README "Leaderboard", "Data releases").
    recent_claim_days: int = Field(
        default=30,
        ge=0,
        description="a model claimed within this many days is marked *claimed* on the "
        "leaderboard (0: never)",
    )
    showcase_prompts: int = Field(
        default=1,
        ge=0,
        description="model pages show every model's clip for the first N prompts of each "
        "track (by id), and those prompts are held out of battles; 0 shows none",
    )
    export_salt: str = Field(
        default="",
        repr=False,
        description="the salt of the voter hash in vote exports",
        json_schema_extra=_shown("kept in `$ARENA_DATA_DIR/export.salt`"),
    )
    # Abuse defenses (README "Vote integrity"): watch time, rate limits, the anomaly test.
    min_watch_ms: int = Field(
        default=1500,
        ge=0,
        description="a vote counts only after both clips played at least this long ...",
    )
    min_watch_fraction: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="... and at least this fraction of the shorter clip (both `0`: rule off)",
    )
    watch_slack_ms: int = Field(
        default=1000,
        ge=0,
        description="allowance when checking the reported watch time against the server's clock",
    )
    voter_vote_limits: str = Field(
        default="20/minute,1000/day",
        description="votes per voter (cookie); `COUNT/UNIT,...` with second, minute, hour, day; "
        "`off`",
    )
    ip_vote_limits: str = Field(
        default="60/minute,5000/day", description="votes per client address"
    )
    voter_battle_limits: str = Field(default="60/minute", description="battles issued per voter")
    ip_battle_limits: str = Field(
        default="240/minute", description="battles issued per client address"
    )
    anomaly_alpha: float = Field(
        default=0.001,
        ge=0,
        lt=1,
        description="false-flag bound of the anomalous-voter test (`0`: off)",
    )
    anomaly_min_history: int = Field(
        default=30, ge=0, description="counted votes a pair needs before its votes are tested"
    )
    monitor_days: int = Field(
        default=14,
        ge=1,
        le=366,
        description="days the integrity monitor shows "
        "(see [Integrity monitor](#integrity-monitor))",
    )
    monitor_baseline_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="days before a day whose pooled share is its baseline for the jump alarm",
    )
    monitor_max_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="alarm when a filter keeps out at least this share of a day's votes on a track",
    )
    monitor_jump: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="alarm when a filter's share of a day's votes is this much above its baseline",
    )
    monitor_min_votes: int = Field(
        default=10,
        ge=1,
        description="vote attempts a day (and a baseline) needs on a track before its shares alarm",
    )
    monitor_check_seconds: float = Field(
        default=3600,
        ge=0,
        le=86400,
        description="how often each server process checks the monitor's alarms and logs them "
        "(`0`: only when asked)",
    )
    exclude_seen: bool = Field(
        default=True,
        description="a vote on a battle showing a clip an earlier vote revealed to the same "
        "voter is stored but not counted (reason `seen`: not blind); `false` counts it",
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses/networks (`127.0.0.1, 10.0.0.0/8`) whose `X-Forwarded-For` and "
        "`X-Forwarded-Proto` are believed (see [Behind a proxy](#behind-a-proxy))",
        json_schema_extra=_shown("unset"),
    )
    # Voter identity (README "Voter identity").
    identity: str = Field(
        default="cookie",
        description="whose votes count: `cookie` (anyone; an anonymous cookie each), "
        "`invitation` (voters holding an invitation), `header` (voters the trusted proxy signs "
        "in with ARENA_IDENTITY_HEADER, or holding an invitation); other votes are stored but "
        "excluded (reason `identity`)",
    )
    identity_header: str = Field(
        default="X-Forwarded-Email",
        description="with `ARENA_IDENTITY=header`: the header naming the signed-in voter, "
        "believed only from ARENA_TRUSTED_PROXIES (oauth2-proxy sends `X-Forwarded-Email`)",
    )
    max_body_bytes: int = Field(
        default=65536,
        ge=1024,
        description="larger request bodies get `413` before they are read",
    )
    # Matchmaking (README "Matchmaking").
    match_strategy: str = Field(
        default="active",
        description="`uniform`, `weighted` or `active`, optionally per track: "
        "`active,image-to-video=uniform` (see [Matchmaking](#matchmaking))",
    )
    match_strategy_by_track: tuple[tuple[str, str], ...] = _internal(
        (), "per-track overrides, parsed from ARENA_MATCH_STRATEGY"
    )
    match_weights: Annotated[tuple[tuple[str, float], ...], NoDecode] = Field(
        default=(),
        description="weighted strategy: per-model sampling weights, `model-a=2,model-b=0.5`",
        json_schema_extra=_shown("(all 1)"),
    )
    match_boost: float = Field(
        default=5.0,
        ge=1,
        description="weighted strategy: a model with fewer than ARENA_MATCH_BOOST_VOTES votes "
        "on a track weighs this many times more",
    )
    match_boost_votes: int = Field(
        default=500, ge=0, description="weighted strategy: see ARENA_MATCH_BOOST"
    )
    match_exposure_min: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="weighted and active: each model appears in at least this multiple of its "
        "fair share of battles",
    )
    match_exposure_max: float = Field(
        default=2.0,
        ge=1,
        description="weighted and active: ... and at most this multiple",
    )
    match_explore: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="active: share of battles spread uniformly over all pairs",
    )
    match_sharpness: float = Field(
        default=3.0,
        gt=0,
        le=20,
        description="active: how strongly battles concentrate on the most informative pairs",
    )
    match_focus_top: int = Field(
        default=0,
        ge=0,
        le=100,
        description="active: weigh battles toward the order of the top this many models "
        "(0: the whole ranking)",
    )
    placement_share: float = Field(
        default=0.25,
        ge=0,
        le=0.5,
        description="most share of battles set aside for placing models (new to an established "
        "board), against the opponents that narrow their interval most; 0 turns placement off "
        "(see [Placement](#placement-of-a-new-model))",
    )
    placement_width: float = Field(
        default=60.0,
        gt=0,
        le=2000,
        description="a model is placing (marked so on the leaderboard) while its own live 95% "
        "interval (against its opponents' current ratings) is wider than this many Elo",
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: Any, *_: Any, **__: Any
    ) -> tuple[Any, ...]:
        """Only the keyword arguments: :meth:`from_env` is the one reader of the environment."""
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _split_strategy(cls, data: Any) -> Any:
        """``ARENA_MATCH_STRATEGY=active,image-to-video=uniform``: a default and overrides."""
        if isinstance(data, dict):
            raw = data.get("match_strategy")
            if isinstance(raw, str) and ("," in raw or "=" in raw):
                default, by_track = parse_strategies(raw)
                data = {**data, "match_strategy": default, "match_strategy_by_track": by_track}
        return data

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        """An empty database URL, media or sources directory: derived from ``data_dir``."""
        derived = {
            "database_url": f"sqlite:///{self.data_dir / 'arena.db'}",
            "media_dir": self.data_dir / "media",
            "sources_dir": self.data_dir / "sources",
        }
        for name, value in derived.items():
            if getattr(self, name) in ("", Path()):
                object.__setattr__(self, name, value)
        return self

    @field_validator("admin_token")
    @classmethod
    def _check_token(cls, token: str) -> str:
        if token and len(token) < 16:
            raise SettingsError(
                "ARENA_ADMIN_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`)"
            )
        return token

    @field_validator(
        "voter_vote_limits", "ip_vote_limits", "voter_battle_limits", "ip_battle_limits"
    )
    @classmethod
    def _check_limits(cls, text: str, info: ValidationInfo) -> str:
        try:
            parse_limits(text)
        except ValueError as exc:
            raise SettingsError(f"{env_var(info.field_name or '')}: {exc}") from None
        return text

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, text: str) -> str:
        try:
            parse_networks(text)
        except ValueError as exc:
            raise SettingsError(f"ARENA_TRUSTED_PROXIES: {exc}") from None
        return text

    @field_validator("identity")
    @classmethod
    def _check_identity(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in IDENTITIES:
            raise SettingsError(
                f"ARENA_IDENTITY: unknown value {value!r}; use {', '.join(IDENTITIES)}"
            )
        return value

    @field_validator("identity_header")
    @classmethod
    def _check_header(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", name):
            raise SettingsError(
                f"ARENA_IDENTITY_HEADER must be a header name (letters, digits, '-'), got {name!r}"
            )
        return name

    @model_validator(mode="after")
    def _check_header_trust(self) -> Settings:
        """A header sign-in with nobody to believe it from would make every vote not count."""
        if self.identity == "header" and not self.trusted_proxies.strip():
            raise SettingsError(
                "ARENA_IDENTITY=header needs ARENA_TRUSTED_PROXIES: the proxy that signs voters "
                f"in and sets {self.identity_header} (from any other peer the header is ignored)"
            )
        return self

    @field_validator("match_strategy")
    @classmethod
    def _check_strategy(cls, name: str) -> str:
        if name not in STRATEGIES:
            raise SettingsError(
                f"ARENA_MATCH_STRATEGY: unknown strategy {name!r}; "
                f"strategies: {', '.join(STRATEGIES)}"
            )
        return name

    @field_validator("clip_offload")
    @classmethod
    def _check_offload(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in CLIP_OFFLOADS:
            raise SettingsError(
                f"ARENA_CLIP_OFFLOAD: unknown value {value!r}; "
                "use x-accel-redirect, x-sendfile, or leave it empty"
            )
        return value

    @field_validator("clip_offload_prefix")
    @classmethod
    def _check_prefix(cls, prefix: str) -> str:
        if not (prefix.startswith("/") and prefix.endswith("/")):
            raise SettingsError(
                f"ARENA_CLIP_OFFLOAD_PREFIX must start and end with '/', got {prefix!r}"
            )
        return prefix

    @field_validator("match_strategy_by_track")
    @classmethod
    def _check_overrides(cls, by_track: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for track, name in by_track:
            if track not in TRACKS:
                raise SettingsError(
                    f"ARENA_MATCH_STRATEGY: unknown track {track!r}; tracks: {', '.join(TRACKS)}"
                )
            if name not in STRATEGIES:
                raise SettingsError(
                    f"ARENA_MATCH_STRATEGY: unknown strategy {name!r} for {track}; "
                    f"strategies: {', '.join(STRATEGIES)}"
                )
        return by_track

    @field_validator("match_weights", mode="before")
    @classmethod
    def _parse_weights(cls, raw: Any) -> Any:
        weights = parse_weights(raw) if isinstance(raw, str) else raw
        for slug, weight in weights:
            if not (isinstance(weight, int | float) and 0 < weight < math.inf):
                raise SettingsError(
                    f"ARENA_MATCH_WEIGHTS: the weight of {slug!r} must be a positive number, got "
                    f"{weight} (retire a model to stop showing it)"
                )
        return weights

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
        """A validated copy with some fields changed (CLI flags override the environment).

        ``database_url=""``, ``media_dir=Path()`` or ``sources_dir=Path()`` derive the value
        from ``data_dir`` again.
        """
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**values, **changes})

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
        """Read the ARENA_* variables of ``env`` (default: the process environment)."""
        source = _EnvSource(cls, os.environ if env is None else env)
        try:
            values = source()
        except SourceError as exc:  # a value the source could not even decode
            raise SettingsError(str(exc)) from None
        return cls(**{k: v for k, v in values.items() if from_environment(k)})

    def strategy_for(self, track: str) -> str:
        """The matchmaking strategy of ``track``: its override, else ARENA_MATCH_STRATEGY."""
        return dict(self.match_strategy_by_track).get(track, self.match_strategy)


class _EnvSource(EnvSettingsSource):
    """pydantic-settings' environment source, over a given mapping (tests pass their own)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:  # the hook its .env source uses too
        return {
            name if self.case_sensitive else name.lower(): value
            for name, value in self._given.items()
            if not (self.env_ignore_empty and value == "")
        }


def from_environment(name: str) -> bool:
    """Whether the field ``name`` is set by an environment variable (most are)."""
    field = Settings.model_fields.get(name)
    extra = field.json_schema_extra if field is not None else None
    return not (isinstance(extra, dict) and extra.get("env") is False)


def env_var(name: str) -> str:
    """The environment variable of the field ``name``: ``ARENA_<NAME>`` or its alias."""
    field = Settings.model_fields.get(name)
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, str):
        return alias
    return f"ARENA_{name.upper()}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def bounds(field: FieldInfo) -> str:
    """The range a numeric field accepts, in words: ``0 or more``, ``in (0, 1]``."""
    limits: dict[str, float] = {}
    for item in field.metadata:
        for kind in ("gt", "ge", "lt", "le"):
            value = getattr(item, kind, None)
            if isinstance(item, annotated_types.BaseMetadata) and value is not None:
                limits[kind] = value
    low = (
        ("ge", limits["ge"]) if "ge" in limits else ("gt", limits["gt"]) if "gt" in limits else None
    )
    high = (
        ("le", limits["le"]) if "le" in limits else ("lt", limits["lt"]) if "lt" in limits else None
    )
    if low and high:
        if low[0] == "ge" and high[0] == "le":
            return f"between {_number(low[1])} and {_number(high[1])}"
        left = "[" if low[0] == "ge" else "("
        right = "]" if high[0] == "le" else ")"
        return f"in {left}{_number(low[1])}, {_number(high[1])}{right}"
    if low:
        return f"{_number(low[1])} or more" if low[0] == "ge" else f"more than {_number(low[1])}"
    if high:
        return f"{_number(high[1])} or less" if high[0] == "le" else f"less than {_number(high[1])}"
    return ""


def kind(field: FieldInfo) -> str:
    """What a field holds, in words (``an integer``, ``a number``), or ``""`` for text."""
    if field.annotation is int:
        return "an integer"
    return "a number" if field.annotation is float else ""


def _explain(exc: ValidationError) -> str:
    """One line per bad value, each naming its variable."""
    by_key = {
        f.validation_alias: n
        for n, f in Settings.model_fields.items()
        if isinstance(f.validation_alias, str)
    }
    lines = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError):
            lines.append(str(cause))
            continue
        key = str(error["loc"][0]) if error["loc"] else ""
        name = by_key.get(key, key)
        field = Settings.model_fields.get(name)
        var = env_var(name) if field is not None else name
        got = error.get("input")
        shown = f", got {got!r}" if got is not None else ""
        if field is None:
            lines.append(f"{var}: {error['msg']}")
        elif error["type"] in (
            "int_parsing",
            "int_from_float",
            "float_parsing",
            "int_type",
            "float_type",
            "finite_number",
        ):
            what = "a finite number" if field.annotation is float else "an integer"
            lines.append(f"{var} must be {what}{shown}")
        elif bounds(field) and error["type"] in (
            "greater_than",
            "greater_than_equal",
            "less_than",
            "less_than_equal",
        ):
            lines.append(f"{var} must be {bounds(field)}{shown}")
        else:
            lines.append(f"{var}: {error['msg']}{shown}")
    return "\n".join(lines)


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


@functools.lru_cache(maxsize=16)
def match_config(settings: Settings) -> MatchConfig:
    """The :class:`MatchConfig` of ``settings`` (cached: settings are immutable)."""
    return MatchConfig(
        weights=settings.match_weights,
        boost=settings.match_boost,
        boost_votes=settings.match_boost_votes,
        exposure_min=settings.match_exposure_min,
        exposure_max=settings.match_exposure_max,
        explore=settings.match_explore,
        sharpness=settings.match_sharpness,
        focus_top=settings.match_focus_top,
        placement_share=settings.placement_share,
        placement_width=settings.placement_width,
    )


def integrity_policy(settings: Settings) -> IntegrityPolicy:
    """The abuse defenses of ``settings``, parsed once."""
    return IntegrityPolicy(
        min_watch_ms=settings.min_watch_ms,
        min_watch_fraction=settings.min_watch_fraction,
        watch_slack_ms=settings.watch_slack_ms,
        voter_vote_limits=parse_limits(settings.voter_vote_limits),
        ip_vote_limits=parse_limits(settings.ip_vote_limits),
        voter_battle_limits=parse_limits(settings.voter_battle_limits),
        ip_battle_limits=parse_limits(settings.ip_battle_limits),
        anomaly_alpha=settings.anomaly_alpha,
        anomaly_min_history=settings.anomaly_min_history,
        require_identity=settings.identity != "cookie",
        exclude_seen=settings.exclude_seen,
    )


def monitor_rules(settings: Settings) -> AlarmRules:
    """The integrity monitor's alarm rules (``ARENA_MONITOR_*``)."""
    return AlarmRules(
        max_share=settings.monitor_max_share,
        jump=settings.monitor_jump,
        baseline_days=settings.monitor_baseline_days,
        min_votes=settings.monitor_min_votes,
    )
