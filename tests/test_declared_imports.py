"""Every third-party import in tests/ and benchmarks/ is declared in pyproject.toml.

tests/ may use the core dependencies and the ``test`` extra; benchmarks/ the core and the
``bench`` extra. So a fresh virtualenv made from those declarations runs them, whatever else
happens to be installed on the machine.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

NOT_FROM_PYPI = {
    "arena": "this project",
    "tests": "this project",
    "common": "benchmarks/integrity/common.py",
    "load": "benchmarks/integrity/load.py",
    "loadgen": "benchmarks/integrity/loadgen.py",
    "synth": "benchmarks/ranking/synth.py",
    "fastchat": "fschat, run in its own venv (see the comment on the bench extra)",
    "rating_systems": "one file of FastChat's repository, given by --fastchat-src",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*extras: str) -> set[str]:
    specs = list(PROJECT["dependencies"])
    for extra in extras:
        specs += PROJECT["optional-dependencies"][extra]
    return {canonical(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in specs}


def imported(folder: Path) -> dict[str, str]:
    """Top-level module -> a file importing it, for every absolute import under ``folder``."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def distributions(module: str) -> set[str]:
    """The installed distributions that provide ``module`` (else the module's own name)."""
    known = importlib.metadata.packages_distributions().get(module)
    return {canonical(d) for d in known} if known else {canonical(module)}


@pytest.mark.parametrize(("folder", "extras"), [("tests", ("test",)), ("benchmarks", ("bench",))])
def test_every_third_party_import_is_declared(folder: str, extras: tuple[str, ...]) -> None:
    allowed = declared(*extras)
    missing = [
        f"{module} (imported by {where})"
        for module, where in imported(ROOT / folder).items()
        if module not in sys.stdlib_module_names
        and module not in NOT_FROM_PYPI
        and module != "__future__"
        and not distributions(module) & allowed
    ]
    assert missing == [], f"not declared for {folder}/: {missing}"
