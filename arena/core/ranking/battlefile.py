"""Read and write the FastChat / LMArena battle format (a JSON list or JSON lines).

Each battle is an object with ``model_a``, ``model_b`` and ``winner`` (one of ``model_a``,
``model_b``, ``tie``, ``tie (bothbad)``); ``tstamp`` (number) and ``anony`` (bool) are optional and
checked when present; other fields (categories, languages, ...) are kept in ``extra``. Any
unknown winner label or missing or ill-typed field is an error naming the line and the field:
nothing is silently counted as a tie.

A parquet file (or a release folder, whose ``votes.parquet`` is read) is read the same way,
row by row: Arena's releases (``arena export votes --format parquet`` or ``--dataset``) carry
``winner`` beside their own columns, their ``categories`` are also offered as FastChat's
``category_tag``, and only rows with ``counted`` true are kept unless ``where`` names
``counted``. Being columnar, a parquet file is read only in the columns a battle and ``where``
need (so ``extra`` holds just those). Reading parquet needs pyarrow (the ``release`` extra),
imported only then.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from arena.core.errors import BattleFileError
from arena.core.ranking.data import Comparisons
from arena.core.vocabulary import OUTCOMES

WINNER_TO_OUTCOME = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}
OUTCOME_TO_WINNER = {v: k for k, v in WINNER_TO_OUTCOME.items()}
_KNOWN = ("model_a", "model_b", "winner", "tstamp", "anony")

Source = str | os.PathLike[str] | IO[str]
RELEASE_EXTRA = "pip install 'arena[release]'"
PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Battle:
    """One vote: ``outcome`` is one of :data:`arena.core.ranking.data.OUTCOMES`."""

    model_a: str
    model_b: str
    outcome: str
    tstamp: float | None = None
    anony: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """The battle as a FastChat-format dict."""
        if self.outcome not in OUTCOME_TO_WINNER:
            raise BattleFileError(f"Unknown outcome {self.outcome!r}; expected one of {OUTCOMES}")
        record: dict[str, Any] = {
            "model_a": self.model_a,
            "model_b": self.model_b,
            "winner": OUTCOME_TO_WINNER[self.outcome],
        }
        if self.tstamp is not None:
            record["tstamp"] = self.tstamp
        if self.anony is not None:
            record["anony"] = self.anony
        record.update({k: v for k, v in self.extra.items() if k not in record})
        return record


def _read_text(source: Source) -> tuple[str, str]:
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8") as fh:
            return os.fspath(source), fh.read()
    return getattr(source, "name", "<stream>"), source.read()


def _records(name: str, text: str) -> Iterator[tuple[int, object]]:
    """(line number, decoded value) for each battle of a JSON list or JSON-lines text."""
    start = len(text) - len(text.lstrip())
    if text.startswith("[", start):
        decoder = json.JSONDecoder()
        pos = start + 1
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text):
                raise BattleFileError(
                    f"{name}:{text.count(chr(10), 0, pos) + 1}: unterminated JSON list"
                )
            if text[pos] == "]":
                return
            line = text.count("\n", 0, pos) + 1
            try:
                value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise BattleFileError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
            yield line, value
    for line, raw in enumerate(io.StringIO(text), start=1):
        if not raw.strip():
            continue
        try:
            yield line, json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BattleFileError(f"{name}:{line}: invalid JSON: {exc.msg}") from None


def parse_battle(record: object, where: str) -> Battle:
    """Validate one decoded record; ``where`` ("file:line") prefixes every error."""
    if not isinstance(record, dict):
        raise BattleFileError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for key in ("model_a", "model_b", "winner"):
        if key not in record:
            raise BattleFileError(f"{where}: field {key!r} is missing")
        if not isinstance(record[key], str) or not record[key]:
            raise BattleFileError(
                f"{where}: field {key!r} must be a non-empty string, got {record[key]!r}"
            )
    winner = record["winner"]
    if winner not in WINNER_TO_OUTCOME:
        raise BattleFileError(
            f"{where}: field 'winner': unknown label {winner!r}; "
            f"expected one of {tuple(WINNER_TO_OUTCOME)}"
        )
    if record["model_a"] == record["model_b"]:
        raise BattleFileError(
            f"{where}: field 'model_b': same model on both sides: {record['model_b']!r}"
        )
    tstamp = record.get("tstamp")
    if tstamp is not None and (isinstance(tstamp, bool) or not isinstance(tstamp, int | float)):
        raise BattleFileError(f"{where}: field 'tstamp' must be a number, got {tstamp!r}")
    anony = record.get("anony")
    if anony is not None and not isinstance(anony, bool):
        raise BattleFileError(f"{where}: field 'anony' must be true or false, got {anony!r}")
    return Battle(
        model_a=record["model_a"],
        model_b=record["model_b"],
        outcome=WINNER_TO_OUTCOME[winner],
        tstamp=None if tstamp is None else float(tstamp),
        anony=anony,
        extra={k: v for k, v in record.items() if k not in _KNOWN},
    )


def _lookup(record: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _parquet_file(source: Source) -> str | None:
    """The parquet file ``source`` names (a release folder's ``votes.parquet``), else None."""
    if not isinstance(source, str | os.PathLike):
        return None
    path = os.fspath(source)
    if os.path.isdir(path):
        votes = os.path.join(path, "votes.parquet")
        if not os.path.isfile(votes):
            raise BattleFileError(f"{path}: a folder without votes.parquet (not an Arena release)")
        return votes
    try:
        with open(path, "rb") as fh:
            return path if fh.read(4) == PARQUET_MAGIC else None
    except OSError:
        return None  # reported by the text reader, with the file's name


def _parquet_records(
    path: str, where: Mapping[str, Any]
) -> tuple[list[str], Iterator[tuple[str, object]]]:
    """The file's columns, and ("row N", record) for each row, in batches, read in the columns
    a battle and ``where`` need (``counted`` too)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise BattleFileError(
            f"{path}: reading parquet needs pyarrow, which is not installed: {RELEASE_EXTRA}"
        ) from None
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise BattleFileError(f"{path}: not a readable parquet file ({exc})") from None

    names = list(file.schema_arrow.names)
    roots = {key.split(".")[0] for key in where}
    if "category_tag" in roots:
        roots.add("categories")
    wanted = [c for c in names if c in {*_KNOWN, "counted", *roots}]

    def rows() -> Iterator[tuple[str, object]]:
        n = 0
        for batch in file.iter_batches(batch_size=65_536, columns=wanted):
            for record in batch.to_pylist():
                n += 1
                if isinstance(record.get("categories"), list) and "category_tag" not in record:
                    record["category_tag"] = {c: True for c in record["categories"]}
                yield f"row {n}", record

    return names, rows()


def read_battles(source: Source, *, where: Mapping[str, Any] | None = None) -> list[Battle]:
    """All battles of a file, in file order, keeping those whose fields equal ``where``'s values.

    ``where`` keys may be dotted paths into nested objects, e.g.
    ``{"anony": True, "category_tag.criteria_v0.1.math": True}``; a battle missing the field is
    left out. Every battle is validated, kept or not. A parquet file with a ``counted`` column
    keeps only counted rows unless ``where`` names ``counted``.
    """
    parquet = _parquet_file(source)
    records: Iterable[tuple[object, object]]
    if parquet is not None:
        name = parquet
        columns, records = _parquet_records(parquet, where or {})
        if "counted" in columns and "counted" not in (where or {}):
            where = {"counted": True, **(where or {})}
    else:
        name, text = _read_text(source)
        records = _records(name, text)
    out = []
    for line, value in records:
        battle = parse_battle(value, f"{name}:{line}")
        if where:
            record = battle.to_record()
            if not all(_lookup(record, key) == (True, want) for key, want in where.items()):
                continue
        out.append(battle)
    return out


def battles_to_comparisons(
    battles: Iterable[Battle], models: Iterable[str] | None = None
) -> Comparisons:
    """Comparisons with one row per battle, in order (so :func:`online_elo` can replay them)."""
    battles = list(battles)
    names = (
        sorted({b.model_a for b in battles} | {b.model_b for b in battles})
        if models is None
        else list(models)
    )
    index = {n: i for i, n in enumerate(names)}
    code = {label: k for k, label in enumerate(OUTCOMES)}
    try:
        a = np.array([index[b.model_a] for b in battles], dtype=np.int64)
        b_ = np.array([index[b.model_b] for b in battles], dtype=np.int64)
    except KeyError as exc:
        raise BattleFileError(f"Model {exc.args[0]!r} is not in the given model list") from None
    outcome = np.array([code[b.outcome] for b in battles], dtype=np.int8)
    return Comparisons(tuple(names), a, b_, outcome, np.ones(len(battles)))


def read_battle_file(
    source: Source, *, where: Mapping[str, Any] | None = None, models: Iterable[str] | None = None
) -> Comparisons:
    """Read a battle file into :class:`Comparisons` (one row per battle, file order)."""
    return battles_to_comparisons(read_battles(source, where=where), models)


def comparisons_to_battles(comp: Comparisons) -> Iterator[Battle]:
    """Expand each row into ``count`` battles (counts must be whole numbers)."""
    for a, b, o, c in zip(
        comp.a.tolist(), comp.b.tolist(), comp.outcome.tolist(), comp.count.tolist(), strict=True
    ):
        if c != int(c):
            raise BattleFileError(f"Cannot write a fractional vote count: {c!r}")
        for _ in range(int(c)):
            yield Battle(comp.models[a], comp.models[b], OUTCOMES[o])


def write_battles(dest: Source, battles: Iterable[Battle], *, jsonl: bool = True) -> int:
    """Write battles as JSON lines (default) or one JSON list; returns how many were written."""
    if isinstance(dest, str | os.PathLike):
        with open(dest, "w", encoding="utf-8") as fh:
            return write_battles(fh, battles, jsonl=jsonl)
    n = 0
    if not jsonl:
        dest.write("[")
    for battle in battles:
        text = json.dumps(battle.to_record(), ensure_ascii=False, sort_keys=True)
        dest.write(text + "\n" if jsonl else ("," if n else "") + "\n" + text)
        n += 1
    if not jsonl:
        dest.write("\n]\n")
    return n
