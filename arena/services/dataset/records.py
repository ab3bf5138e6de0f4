# Long because each format is written and parsed side by side, so the two stay inverse.
"""The vote log's file formats, both ways: a vote as a record, a record as a checked vote.

Three formats share one set of fields:

* ``fastchat``: the LMArena / FastChat battle format, one JSON list (as LMArena publishes its
  ``clean_battle`` files): ``question_id``, ``model_a``, ``model_b``, ``winner`` (``model_a``,
  ``model_b``, ``tie``, ``tie (bothbad)``), ``judge``, ``tstamp``, ``anony``, plus Arena's own
  ``track``, ``prompt_id``, ``prompt``, ``category_tag`` (``{"motion": true, ...}``),
  ``watch_ms``, ``excluded``, ``vote_id``.
* ``jsonl``: Arena's own fields, one object per line: :data:`NATIVE_FIELDS`.
* ``csv``: the same fields as columns, categories joined by ``;``.

A release (``--format parquet``, ``--dataset``) has columns of its own, :data:`VOTE_COLUMNS`
(Arena's fields, the FastChat ``winner`` and ``tstamp``, hashed clip ids, ``counted`` and the
exclusion reason), with :data:`MODEL_COLUMNS` and :data:`PROMPT_COLUMNS` for its other tables.

``model_a`` is the clip shown on the left. Reading accepts any of the three (a record with
``winner`` is FastChat, one with ``outcome`` native) and checks every field, so a bad line is
rejected with its line number and the reason; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from arena.core.errors import BattleFileError
from arena.core.ranking.battlefile import OUTCOME_TO_WINNER, parse_battle
from arena.core.vocabulary import OUTCOMES, TRACKS
from arena.store.reads.export import VoteRow

NATIVE_FIELDS: tuple[str, ...] = (
    "vote_id",
    "battle_id",
    "created_at",
    "track",
    "prompt_id",
    "prompt",
    "categories",
    "model_a",
    "model_b",
    "outcome",
    "voter",
    "watch_ms",
    "excluded",
)
FORMATS = ("fastchat", "jsonl", "csv")
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
"""Model and prompt ids, as in ``arena.toml``."""


class RecordError(ValueError):
    """A record that cannot be imported; the message says which field and why."""


Column = tuple[str, str, str]
"""(name, type, meaning) of a release column; the type is a parquet (Arrow) type."""

VOTE_COLUMNS: tuple[Column, ...] = (
    ("vote_id", "int64", "the vote's number in the arena, in the order votes were cast"),
    ("battle_id", "string", "the battle (one pair shown to one voter; one vote per battle)"),
    ("created_at", "timestamp[us, UTC]", "when the vote was cast (UTC)"),
    ("tstamp", "float64", "the same time in Unix seconds (FastChat's `tstamp`)"),
    ("track", "string", "the track (a separate pool: models are rated per track)"),
    ("prompt_id", "string", "the prompt's id (see the prompts table)"),
    ("prompt", "string", "the prompt's text"),
    ("categories", "list<string>", "the prompt's categories (per-category boards)"),
    ("model_a", "string", "the model of the clip shown on the left (see the models table)"),
    ("model_b", "string", "the model of the clip shown on the right"),
    (
        "clip_a",
        "string",
        "the left clip's id, hashed with the release's salt (null for imported votes)",
    ),
    ("clip_b", "string", "the right clip's id, hashed the same way"),
    ("outcome", "string", "the verdict: `a`, `b`, `tie` or `both_bad` (both bad)"),
    (
        "winner",
        "string",
        "the same in FastChat's labels: `model_a`, `model_b`, `tie`, `tie (bothbad)`",
    ),
    ("voter", "string", "the voter, as HMAC-SHA256(salt, voter id), 16 hex digits"),
    ("watch_ms", "int64", "how long both clips had played when the vote was cast (ms)"),
    ("counted", "bool", "whether the vote counts in the ratings"),
    (
        "exclusion_reason",
        "string",
        "why a vote does not count: `watch_time` (voted before watching), `identity` (not "
        "invited or signed in where the arena requires it), `seen` (not blind: a clip had "
        "been revealed to the voter before), `voter` (its voter is flagged), `admin` (flagged "
        "by an admin); null when counted",
    ),
)
MODEL_COLUMNS: tuple[Column, ...] = (
    ("model", "string", "the model's id, as in the votes' `model_a` and `model_b`"),
    ("name", "string", "its display name"),
    ("organization", "string", "who makes it"),
    ("license", "string", 'its licence, as configured ("" when not given)'),
    ("tracks", "list<string>", "the tracks it competes on"),
    ("release_date", "date32", "when it was released (null when not given)"),
    ("link", "string", "a page about it"),
    ("retired", "bool", "no longer shown in new battles (its votes still count)"),
)
PROMPT_COLUMNS: tuple[Column, ...] = (
    ("prompt_id", "string", "the prompt's id, as in the votes' `prompt_id`"),
    ("track", "string", "its track"),
    ("text", "string", "the prompt's text"),
    ("categories", "list<string>", "its categories"),
    ("has_image", "bool", "whether it comes with a source image (image-to-video tracks)"),
)


@dataclass(frozen=True)
class VoteRecord:
    """One checked vote read from a file; ``line`` is where it was."""

    line: int
    model_a: str
    model_b: str
    outcome: str
    track: str
    created_at: datetime | None = None
    prompt_id: str | None = None
    prompt: str | None = None
    categories: tuple[str, ...] = ()
    voter: str | None = None
    watch_ms: int | None = None
    excluded: bool = False
    source_id: str | None = None


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def native_record(row: VoteRow, voter: str) -> dict[str, Any]:
    """The vote in Arena's own fields; ``voter`` is the already hashed voter id."""
    return {
        "vote_id": row.vote_id,
        "battle_id": row.battle_id,
        "created_at": _utc(row.created_at).isoformat().replace("+00:00", "Z"),
        "track": row.track,
        "prompt_id": row.prompt_id,
        "prompt": row.prompt,
        "categories": list(row.categories),
        "model_a": row.model_a,
        "model_b": row.model_b,
        "outcome": row.outcome,
        "voter": voter,
        "watch_ms": row.watch_ms,
        "excluded": row.excluded,
    }


def fastchat_record(row: VoteRow, voter: str) -> dict[str, Any]:
    """The vote in the FastChat battle format (Arena's extra fields after the standard ones)."""
    return {
        "question_id": row.battle_id,
        "model_a": row.model_a,
        "model_b": row.model_b,
        "winner": OUTCOME_TO_WINNER[row.outcome],
        "judge": voter,
        "tstamp": _utc(row.created_at).timestamp(),
        "anony": True,
        "track": row.track,
        "prompt_id": row.prompt_id,
        "prompt": row.prompt,
        "category_tag": {c: True for c in row.categories},
        "watch_ms": row.watch_ms,
        "excluded": row.excluded,
        "vote_id": row.vote_id,
    }


def release_record(
    row: VoteRow, *, voter: str, clip_a: str | None, clip_b: str | None
) -> dict[str, Any]:
    """The vote as a row of a release's votes table; voter and clips already hashed."""
    created = _utc(row.created_at)
    return {
        "vote_id": row.vote_id,
        "battle_id": row.battle_id,
        "created_at": created,
        "tstamp": created.timestamp(),
        "track": row.track,
        "prompt_id": row.prompt_id,
        "prompt": row.prompt,
        "categories": list(row.categories),
        "model_a": row.model_a,
        "model_b": row.model_b,
        "clip_a": clip_a,
        "clip_b": clip_b,
        "outcome": row.outcome,
        "winner": OUTCOME_TO_WINNER[row.outcome],
        "voter": voter,
        "watch_ms": row.watch_ms,
        "counted": not row.excluded,
        "exclusion_reason": row.exclusion_reason,
    }


def csv_cells(record: Mapping[str, Any]) -> dict[str, Any]:
    """A native record as CSV cells: lists joined by ``;``, booleans lower-case, null empty."""
    out: dict[str, Any] = {}
    for key in NATIVE_FIELDS:
        value = record[key]
        if isinstance(value, list):
            value = ";".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = "" if value is None else value
    return out


def _text(record: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"field {key!r} must be a string, got {value!r}")
    if len(value) > limit:
        raise RecordError(f"field {key!r} is longer than {limit} characters")
    return value


def _flag(value: Any, key: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RecordError(f"field {key!r} must be true or false, got {value!r}")


def _watch(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0 or (isinstance(value, float) and value != number):
        raise RecordError(f"field 'watch_ms' must be a whole number >= 0, got {value!r}")
    return number


def _categories(value: Any) -> tuple[str, ...]:
    """A list, a ``;``-joined string, or a FastChat ``category_tag`` (true leaves, dotted)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(";")
    elif isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = []

        def walk(node: Mapping[str, Any], prefix: str) -> None:
            for k, v in node.items():
                if isinstance(v, dict):
                    walk(v, f"{prefix}{k}.")
                elif v is True:
                    items.append(f"{prefix}{k}")

        walk(value, "")
    else:
        raise RecordError(f"categories must be a list of strings, got {value!r}")
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > 60:
            raise RecordError(f"category {item!r} must be a string of 1 to 60 characters")
        out.append(item.strip())
    return tuple(sorted(set(out)))


def _time(record: Mapping[str, Any]) -> datetime | None:
    if record.get("created_at") not in (None, ""):
        raw = record["created_at"]
        try:
            return _utc(datetime.fromisoformat(str(raw).replace("Z", "+00:00")))
        except ValueError:
            raise RecordError(f"field 'created_at' must be an ISO 8601 time, got {raw!r}") from None
    tstamp = record.get("tstamp")
    if tstamp in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(float(tstamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise RecordError(f"field 'tstamp' must be a Unix time, got {tstamp!r}") from None


def parse_record(record: Any, line: int, *, default_track: str) -> VoteRecord:
    """Check one decoded record (FastChat or native); :class:`RecordError` says what is wrong."""
    if not isinstance(record, dict):
        raise RecordError(f"expected an object, got {type(record).__name__}")
    if "winner" in record:
        fields = {k: v for k, v in record.items() if k not in ("tstamp", "anony")}
        try:
            battle = parse_battle(fields, "record")
        except BattleFileError as exc:
            raise RecordError(str(exc).removeprefix("record: ")) from None
        model_a: Any = battle.model_a
        model_b: Any = battle.model_b
        outcome: Any = battle.outcome
        source, voter, categories = record.get("question_id"), record.get("judge"), "category_tag"
    elif "outcome" in record:
        model_a, model_b, outcome = record.get("model_a"), record.get("model_b"), record["outcome"]
        for key, value in (("model_a", model_a), ("model_b", model_b)):
            if not isinstance(value, str) or not value:
                raise RecordError(f"field {key!r} must be a non-empty string, got {value!r}")
        if outcome not in OUTCOMES:
            raise RecordError(f"field 'outcome': unknown {outcome!r}; expected one of {OUTCOMES}")
        if model_a == model_b:
            raise RecordError(f"field 'model_b': same model on both sides: {model_b!r}")
        source, voter, categories = record.get("battle_id"), record.get("voter"), "categories"
    else:
        raise RecordError("no 'winner' (FastChat) or 'outcome' (Arena) field")
    assert isinstance(model_a, str) and isinstance(model_b, str)
    for key, name in (("model_a", model_a), ("model_b", model_b)):
        if len(name) > 200:
            raise RecordError(f"field {key!r} is longer than 200 characters")
    track = _text(record, "track", 40) or default_track
    if track not in TRACKS:
        raise RecordError(f"field 'track': unknown {track!r}; tracks: {', '.join(TRACKS)}")
    prompt_id = _text(record, "prompt_id", 100)
    if prompt_id is not None and not ID.match(prompt_id):
        raise RecordError(
            f"field 'prompt_id': {prompt_id!r} is not an id (letters, digits, '.', '_', '-')"
        )
    if source is not None and not isinstance(source, str | int):
        raise RecordError(f"battle id must be a string, got {source!r}")
    if voter is not None and not isinstance(voter, str):
        raise RecordError(f"voter must be a string, got {voter!r}")
    return VoteRecord(
        line=line,
        model_a=model_a,
        model_b=model_b,
        outcome=str(outcome),
        track=track,
        created_at=_time(record),
        prompt_id=prompt_id,
        prompt=_text(record, "prompt", 20_000),
        categories=_categories(record.get(categories)),
        voter=voter[:50] if voter else None,
        watch_ms=_watch(record.get("watch_ms")),
        excluded=_flag(record.get("excluded"), "excluded"),
        source_id=str(source)[:200] if source not in (None, "") else None,
    )
