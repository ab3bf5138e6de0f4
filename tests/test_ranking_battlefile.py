"""FastChat / LMArena battle files: reading, strict errors naming line and field, writing."""

import io
import json
from pathlib import Path

import numpy as np
import pytest

from arena.core.errors import BattleFileError, RankingError
from arena.core.ranking.battlefile import (
    Battle,
    comparisons_to_battles,
    read_battle_file,
    read_battles,
    write_battles,
)

RECORDS = [
    {
        "model_a": "x",
        "model_b": "y",
        "winner": "model_a",
        "tstamp": 1.5,
        "anony": True,
        "language": "en",
    },
    {"model_a": "y", "model_b": "z", "winner": "tie (bothbad)", "anony": False},
    {"model_a": "z", "model_b": "x", "winner": "tie", "category_tag": {"motion": True}},
    {"model_a": "x", "model_b": "z", "winner": "model_b", "judge": "someone"},
]


def test_reads_json_list_and_jsonl_alike(tmp_path: Path) -> None:
    as_list = tmp_path / "battles.json"
    as_list.write_text(json.dumps(RECORDS, indent=2))
    as_lines = tmp_path / "battles.jsonl"
    as_lines.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n\n")
    first, second = read_battle_file(as_list), read_battle_file(as_lines)
    assert first.models == ("x", "y", "z") and first.outcome.tolist() == [0, 3, 2, 1]
    np.testing.assert_array_equal(first.a, second.a)
    battles = read_battles(as_list)
    assert battles[0].tstamp == 1.5 and battles[0].extra == {"language": "en"}


def test_where_filters_on_plain_and_nested_fields() -> None:
    text = "\n".join(json.dumps(r) for r in RECORDS)
    assert len(read_battles(io.StringIO(text), where={"anony": True})) == 1
    assert len(read_battles(io.StringIO(text), where={"category_tag.motion": True})) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"model_a": "x", "model_b": "y", "winner": "draw"},
            r":3: field 'winner': unknown label 'draw'",
        ),
        ({"model_a": "x", "winner": "tie"}, r":3: field 'model_b' is missing"),
        (
            {"model_a": "x", "model_b": "y", "winner": "tie", "tstamp": "noon"},
            r":3: field 'tstamp' must be a number",
        ),
        (
            {"model_a": "x", "model_b": "y", "winner": "tie", "anony": "yes"},
            r":3: field 'anony' must be true or false",
        ),
        (
            {"model_a": "x", "model_b": 7, "winner": "tie"},
            r":3: field 'model_b' must be a non-empty string",
        ),
        (
            {"model_a": "x", "model_b": "x", "winner": "tie"},
            r":3: field 'model_b': same model on both sides",
        ),
        ([1, 2], r":3: expected a JSON object"),
    ],
)
def test_bad_records_name_the_line_and_field(tmp_path: Path, bad: object, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n\n" + json.dumps(bad) + "\n")
    with pytest.raises(BattleFileError, match=message):
        read_battle_file(path)
    listed = tmp_path / "bad.json"
    listed.write_text("[\n" + json.dumps(RECORDS[0]) + ",\n\n" + json.dumps(bad) + "\n]")
    with pytest.raises(BattleFileError, match=message.replace(":3:", ":4:")):
        read_battle_file(listed)
    assert issubclass(BattleFileError, RankingError)


def test_broken_json_names_the_line() -> None:
    with pytest.raises(BattleFileError, match="<stream>:2: invalid JSON"):
        read_battles(io.StringIO('{"model_a": "x", "model_b": "y", "winner": "tie"}\n{"model_a": '))


@pytest.mark.parametrize("jsonl", [True, False])
def test_write_then_read_round_trips(tmp_path: Path, jsonl: bool) -> None:
    battles = read_battles(io.StringIO(json.dumps(RECORDS)))
    path = tmp_path / "out.json"
    assert write_battles(path, battles, jsonl=jsonl) == 4
    assert read_battles(path) == battles
    comp = read_battle_file(path)
    again = list(comparisons_to_battles(comp))
    assert [(b.model_a, b.model_b, b.outcome) for b in again] == [
        (b.model_a, b.model_b, b.outcome) for b in battles
    ]
    with pytest.raises(BattleFileError, match="Unknown outcome 'draw'"):
        write_battles(io.StringIO(), [Battle("x", "y", "draw")])
