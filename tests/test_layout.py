"""The house rules of arena/ that a reader relies on: the layers, module length, one vocabulary."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARENA = ROOT / "arena"
LONG = 300


def _modules() -> list[Path]:
    return [p for p in ARENA.rglob("*.py") if "versions" not in p.parts]


def test_the_import_contracts_hold() -> None:
    # pyproject.toml's [tool.importlinter]: layers, the pure core, the store alone on the
    # database, no cycle between siblings at any depth.
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_long_module_says_why_in_its_first_line() -> None:
    silent = [
        str(p.relative_to(ROOT))
        for p in _modules()
        if len(p.read_text().splitlines()) > LONG
        and not p.read_text().startswith("# Long because ")
    ]
    assert not silent, f"over {LONG} lines without '# Long because ...' first: {silent}"


def test_the_vocabulary_is_defined_once() -> None:
    words = {"TRACKS", "TRACK_LABELS", "OUTCOMES", "Outcome", "FLIP", "SCORE", "Side"}
    words |= {"EXCLUSION_REASONS"}
    home = ARENA / "core" / "vocabulary.py"
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            found += [(path, name) for name in targets if name in words]
    elsewhere = [f"{p.relative_to(ROOT)}: {n}" for p, n in found if p != home]
    assert not elsewhere, elsewhere
    assert {n for p, n in found if p == home} == words
