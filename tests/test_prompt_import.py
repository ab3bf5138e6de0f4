"""``arena prompts import``: real suite files in each format, into a prompt file the config
lists, then through a real sync into the database."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from arena.cli import main
from arena.registry.config import load_config
from arena.registry.procedural import render_source_image
from arena.registry.suites import SuitePrompt, prompt_id, sample
from arena.store.engine import make_engine

CONFIG = """# my arena: hand-written prompts below
[[models]]
id = "m1"
tracks = ["text-to-video", "image-to-video"]
provider = "directory"
options = { path = "clips" }

[[prompts]]
id = "ball"
track = "text-to-video"
text = "A red ball"
"""

VBENCH = """[
    {
        "prompt_en": "In a still frame, a stop sign",
        "dimension": ["temporal_flickering"]
    },
    {"prompt_en": "a toilet, frozen in time", "dimension": ["temporal_flickering"]},
    {"prompt_en": "A person is riding a bike",
     "dimension": ["subject_consistency", "dynamic_degree"]},
    {"prompt_en": "", "dimension": ["overall_consistency"]},
    {"prompt_en": "a  person is riding a BIKE", "dimension": ["motion_smoothness"]},
    {"prompt_en": "a cat wearing sunglasses", "dimension": "aesthetic_quality"},
    ["not", "an", "object"]
]
"""


@pytest.fixture
def arena_dir(tmp_path: Path) -> Path:
    (tmp_path / "clips").mkdir()
    (tmp_path / "arena.toml").write_text(CONFIG)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_vbench_bad_lines_refuse_then_skip_then_reimport_is_stable(
    arena_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = arena_dir / "all_dimension.json"
    suite.write_text(VBENCH)
    config = arena_dir / "arena.toml"
    common = ["--track", "text-to-video", "--config", str(config)]

    code, out, err = run(capsys, "prompts", "import", str(suite), *common)
    assert code == 1
    assert f"{suite}:9: no prompt text" in err  # the empty prompt_en starts on line 9
    assert f"{suite}:12: expected an object, got list" in err
    assert "nothing written" in out
    assert config.read_text() == CONFIG
    assert not (arena_dir / "prompts").exists()

    code, out, _ = run(capsys, "prompts", "import", str(suite), *common, "--skip-bad", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["format"] == "vbench" and summary["written"] is True
    assert summary["count"] == 4
    assert summary["duplicates_merged"] == 1  # "a  person is riding a BIKE"
    assert summary["categories"] == {
        "temporal_flickering": 2,
        "aesthetic_quality": 1,
        "dynamic_degree": 1,
        "motion_smoothness": 1,
        "subject_consistency": 1,
    }
    assert [b["line"] for b in summary["bad"]] == [9, 12]
    # The config lists the new prompt file, after its leading comment, the rest untouched.
    text = config.read_text()
    assert text.startswith("# my arena: hand-written prompts below\nprompt_files = [")
    assert text.replace('prompt_files = ["prompts/all_dimension.jsonl"]\n', "") == CONFIG
    prompts = {p.id: p for p in load_config(config).prompts}
    bike = prompts[prompt_id("text-to-video", "A person is riding a bike")]
    assert bike.categories == ("subject_consistency", "dynamic_degree", "motion_smoothness")
    assert bike.id.startswith("a-person-is-riding-a-")
    assert "ball" in prompts and len(prompts) == 5

    # The same suite again, reformatted: same ids, nothing added, the file unchanged.
    written = (arena_dir / "prompts" / "all_dimension.jsonl").read_text()
    again = arena_dir / "copy.json"
    again.write_text(VBENCH.replace("a stop sign", "a  STOP sign "))
    code, out, _ = run(
        capsys,
        "prompts",
        "import",
        str(again),
        *common,
        "--skip-bad",
        "--output",
        str(arena_dir / "prompts" / "all_dimension.jsonl"),
        "--json",
    )
    assert code == 0
    assert json.loads(out)["count"] == 0 and json.loads(out)["already_present"] == 4
    assert (arena_dir / "prompts" / "all_dimension.jsonl").read_text() == written
    assert config.read_text() == text


def test_text_lines_with_a_category_dry_run_then_sync_into_the_database(
    arena_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = arena_dir / "MovieGenVideoBench.txt"
    suite.write_text("A corgi surfing a wave.\n\n  A timelapse of a city at night.  \nA kite\n")
    config = arena_dir / "arena.toml"
    common = ["--track", "text-to-video", "--config", str(config), "--category", "moviegen"]

    code, out, _ = run(capsys, "prompts", "import", str(suite), *common, "--dry-run", "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["format"], summary["count"], summary["written"]) == ("text", 3, False)
    assert summary["categories"] == {"moviegen": 3}
    assert config.read_text() == CONFIG and not (arena_dir / "prompts").exists()

    code, out, _ = run(capsys, "prompts", "import", str(suite), *common)
    assert code == 0 and "imported 3 prompts" in out and "moviegen: 3" in out
    data = arena_dir / "data"
    assert main(["models", "sync", "--config", str(config), "--data-dir", str(data)]) == 0
    engine = make_engine(f"sqlite:///{data / 'arena.db'}")
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        texts = {row.id: row.text for row in conn.execute(select(meta.tables["prompt"]))}
        categories = Counter(
            row.category for row in conn.execute(select(meta.tables["promptcategory"]))
        )
    engine.dispose()
    assert texts[prompt_id("text-to-video", "A timelapse of a city at night.")] == (
        "A timelapse of a city at night."
    )
    assert len(texts) == 4 and categories == {"moviegen": 3}


def test_csv_with_quoted_lines_images_and_bad_rows(
    arena_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = arena_dir / "suite" / "images"
    for name in ("fish", "bird"):
        render_source_image(
            {"subject": name, "colour": "blue", "background": "sea", "motion": "orbit"},
            images / f"{name}.png",
        )
    suite = arena_dir / "suite" / "i2v.csv"
    suite.write_text(
        "prompt,category,image\n"
        "A fish swims,animals;motion,images/fish.png\n"
        '"A bird,\nflying",animals,images/bird.png\n'
        "A cloud drifts,weather,\n"
        "Too,many,fields,here\n"
        "A crab,animals,images/crab.png\n"
    )
    config = arena_dir / "arena.toml"
    code, out, err = run(
        capsys,
        "prompts",
        "import",
        str(suite),
        "--track",
        "image-to-video",
        "--config",
        str(config),
        "--skip-bad",
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert {b["line"]: b["reason"].split(" (")[0] for b in summary["bad"]} == {
        5: "no image",
        6: "more fields than the header has columns",
        7: f"image not found: {images / 'crab.png'}",
    }
    assert summary["count"] == 2 and summary["categories"] == {"animals": 2, "motion": 1}
    prompts = [p for p in load_config(config).prompts if p.track == "image-to-video"]
    assert {p.text for p in prompts} == {"A fish swims", "A bird, flying"}
    assert {p.image for p in prompts} == {images / "fish.png", images / "bird.png"}
    lines = (arena_dir / "prompts" / "i2v.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["image"] == "../suite/images/fish.png"

    no_text = arena_dir / "no_text.csv"
    no_text.write_text("title,category\nx,y\n")
    code, _, err = run(
        capsys,
        "prompts",
        "import",
        str(no_text),
        "--track",
        "text-to-video",
        "--config",
        str(config),
    )
    assert code == 1 and f"{no_text}:1: the header has no text column" in err


def test_jsonl_reports_each_bad_line_and_appends_to_a_listed_file(
    arena_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = arena_dir / "arena.toml"
    config.write_text('prompt_files = [\n    "more.jsonl",  # kept\n]\n' + CONFIG)
    (arena_dir / "more.jsonl").write_text(
        '{"id": "kite", "track": "text-to-video", "text": "A kite"}\n'
    )
    suite = arena_dir / "suite.jsonl"
    suite.write_text(
        '{"text": "A dog runs", "categories": ["animals"]}\n'
        "{not json\n"
        '{"prompt": "A horse", "categories": 3}\n'
        '"just a string"\n'
        '{"caption": "A train"}\n'
    )
    args = ["prompts", "import", str(suite), "--track", "text-to-video", "--config", str(config)]
    code, _, err = run(capsys, *args)
    assert code == 1
    assert [line.split(": ")[0] for line in err.splitlines()] == [
        f"{suite}:2",
        f"{suite}:3",
        f"{suite}:4",
    ]
    code, out, _ = run(capsys, *args, "--skip-bad", "--output", str(arena_dir / "more.jsonl"))
    assert code == 0 and "imported 2 prompts" in out
    assert tomllib.loads(config.read_text())["prompt_files"] == ["more.jsonl"]
    ids = [p.id for p in load_config(config).prompts]
    assert ids == [
        "ball",
        "kite",
        prompt_id("text-to-video", "A dog runs"),
        prompt_id("text-to-video", "A train"),
    ]


def test_sample_is_stratified_and_seeded() -> None:
    prompts = [SuitePrompt(i, f"a{i}", ("people",)) for i in range(20)]
    prompts += [SuitePrompt(100 + i, f"b{i}", ("animals",)) for i in range(10)]
    prompts += [SuitePrompt(200 + i, f"c{i}", ()) for i in range(5)]
    chosen = sample(prompts, 7, seed=1)
    assert Counter(p.categories for p in chosen) == {("people",): 4, ("animals",): 2, (): 1}
    assert chosen == sample(prompts, 7, seed=1)
    assert chosen != sample(prompts, 7, seed=2)
    assert [p.line for p in chosen] == sorted(p.line for p in chosen)
    assert sample(prompts, 99, seed=1) == prompts


def test_sample_from_the_command_line(arena_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"prompt_en": f"people prompt {i}", "dimension": ["human_action"]} for i in range(12)]
    rows += [{"prompt_en": f"scene prompt {i}", "dimension": ["scene"]} for i in range(6)]
    suite = arena_dir / "suite.json"
    suite.write_text(json.dumps(rows))
    args = [
        "prompts",
        "import",
        str(suite),
        "--track",
        "text-to-video",
        "--config",
        str(arena_dir / "arena.toml"),
        "--sample",
        "6",
        "--seed",
        "3",
        "--json",
    ]
    code, out, _ = run(capsys, *args)
    first = json.loads(out)
    assert code == 0 and first["count"] == 6 and first["sampled"] == 6 and first["read"] == 18
    assert first["categories"] == {"human_action": 4, "scene": 2}
    code, out, _ = run(capsys, *args)
    assert json.loads(out)["count"] == 0  # the same draw: already present
    bad = [("0" if a == "6" else a) for a in args]
    with pytest.raises(SystemExit) as info:
        main(bad)
    assert info.value.code == 2 and "must be 1 or more" in capsys.readouterr().err


def test_missing_config_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "s.txt"
    suite.write_text("A kite\n")
    code, _, err = run(
        capsys,
        "prompts",
        "import",
        str(suite),
        "--track",
        "text-to-video",
        "--config",
        str(tmp_path / "nope.toml"),
    )
    assert code == 2 and "nope.toml: config file not found" in err


def test_every_option_has_help() -> None:
    import argparse

    from arena.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    prompts = sub.choices["prompts"]
    inner = next(a for a in prompts._actions if isinstance(a, argparse._SubParsersAction))
    command = inner.choices["import"]
    for action in command._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help, action.dest


def test_output_must_be_json_lines(arena_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = arena_dir / "s.txt"
    suite.write_text("A kite\n")
    args = ["prompts", "import", str(suite), "--track", "text-to-video"]
    code, _, err = run(
        capsys, *args, "--config", str(arena_dir / "arena.toml"), "--output", "p.toml"
    )
    assert code == 2 and "p.toml: the prompt file written must be JSON Lines" in err
    assert (arena_dir / "arena.toml").read_text() == CONFIG
