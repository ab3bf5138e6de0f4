"""The rating engine imports only numpy and the standard library."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RANKING = ROOT / "arena" / "core" / "ranking"
SUBMODULES = [p.stem for p in RANKING.glob("*.py") if p.stem != "__init__"]

SCRIPT = """
import importlib, json, sys
importlib.import_module("arena.core.ranking")
for name in NAMES:
    importlib.import_module("arena.core.ranking." + name)
print(json.dumps(sorted(sys.modules)))
"""


def test_engine_pulls_in_no_web_or_database_module() -> None:
    code = "NAMES = " + repr(SUBMODULES) + "\n" + SCRIPT
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(out.stdout))
    assert "arena.core.ranking.compute" in loaded  # the check ran on the real modules
    assert len(SUBMODULES) >= 10
    for banned in ("fastapi", "sqlmodel", "sqlalchemy", "arena.store", "scipy", "pandas"):
        assert banned not in loaded, banned
