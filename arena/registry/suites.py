"""Standard prompt suites: read VBench JSON, plain text, CSV or JSON Lines into prompts.

Every prompt gets an id derived from its track and its normalized text (a readable slug and a
short hash), so importing the same suite twice, or a newer copy of it, gives the same ids and
the votes on a prompt stay with it. A line that cannot be a prompt is reported with its line
number and why. ``sample`` keeps N prompts stratified by category, reproducibly from a seed.
Writing them into the arena (a prompt file the config lists) is in
:mod:`arena.registry.promptfile`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("auto", "vbench", "text", "csv", "jsonl")
TEXT_KEYS = ("prompt_en", "prompt", "text", "caption")
"""Where a record's text may be, first found wins (VBench uses ``prompt_en``)."""
CATEGORY_KEYS = ("dimension", "categories", "category")
MAX_CATEGORY = 60
"""Longest category name the database keeps."""


@dataclass(frozen=True)
class SuitePrompt:
    """One prompt read from a suite file; ``line`` is where it starts."""

    line: int
    text: str
    categories: tuple[str, ...] = ()
    image: Path | None = None


@dataclass
class Suite:
    """What a file held: its prompts (duplicates merged) and its bad lines."""

    format: str
    prompts: list[SuitePrompt] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(line number, reason) of each line that is not a prompt."""
    duplicates: int = 0
    """Records whose normalized text repeats an earlier one (their categories are merged)."""


def normalized(text: str) -> str:
    """The form ids are derived from: Unicode NFC, whitespace collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def prompt_id(track: str, text: str) -> str:
    """A stable id: up to five words of the text as a slug, and 10 hex digits of
    sha256(track, normalized text); e.g. ``a-red-ball-bouncing-in-3f9c0a1b2d``."""
    digest = hashlib.sha256(f"{track}\x1f{normalized(text)}".encode()).hexdigest()[:10]
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)[:5]
    slug = "-".join(words)[:40].strip("-")
    return f"{slug}-{digest}" if slug else f"p-{digest}"


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    by_suffix = {".json": "vbench", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    if suffix == ".txt":
        return "text"
    start = text.lstrip()[:1]
    return {"[": "vbench", "{": "jsonl"}.get(start, "text")


def read_suite(path: Path, fmt: str = "auto", *, extra_categories: Sequence[str] = ()) -> Suite:
    """Read ``path`` in ``fmt`` (``auto``: from the name, else the first character).

    ``extra_categories`` are added to every prompt's own. Raises ``OSError`` or
    ``UnicodeDecodeError`` if the file cannot be read as UTF-8."""
    text = path.read_text(encoding="utf-8-sig")
    fmt = detect_format(path, text) if fmt == "auto" else fmt
    suite = Suite(format=fmt)
    records: list[tuple[int, Any]]
    if fmt == "vbench":
        records = _json_list(text, suite)
    elif fmt == "jsonl":
        records = _json_lines(text, suite)
    elif fmt == "csv":
        records = _csv_rows(text, suite)
    else:
        records = [
            (n, {"text": line}) for n, line in enumerate(text.splitlines(), start=1) if line.strip()
        ]
    seen: dict[str, int] = {}
    for line, raw in records:
        prompt = _prompt(line, raw, path.parent, extra_categories, suite)
        if prompt is None:
            continue
        key = normalized(prompt.text)
        if key in seen:
            i = seen[key]
            first = suite.prompts[i]
            merged = tuple(dict.fromkeys(first.categories + prompt.categories))
            suite.prompts[i] = SuitePrompt(first.line, first.text, merged, first.image)
            suite.duplicates += 1
            continue
        seen[key] = len(suite.prompts)
        suite.prompts.append(prompt)
    return suite


def _json_list(text: str, suite: Suite) -> list[tuple[int, Any]]:
    """The items of a JSON list, each with the line it starts on (a decoder walk, so a bad
    item can be named by its line)."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        suite.bad.append((_line(text, pos), "a VBench prompt file is a JSON list ([...])"))
        return []
    pos = _skip(text, pos + 1)
    items: list[tuple[int, Any]] = []
    if text.startswith("]", pos):
        return items
    while True:
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            suite.bad.append((_line(text, exc.pos), f"not valid JSON ({exc.msg}); file not read"))
            return []
        items.append((_line(text, pos), item))
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return items
        else:
            suite.bad.append((_line(text, pos), "expected ',' or ']'; file not read"))
            return []


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _json_lines(text: str, suite: Suite) -> list[tuple[int, Any]]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            suite.bad.append((n, f"not valid JSON ({exc.msg})"))
    return out


def _csv_rows(text: str, suite: Suite) -> list[tuple[int, Any]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    columns = [c.strip().lower() for c in reader.fieldnames or ()]
    if not any(key in columns for key in TEXT_KEYS):
        suite.bad.append(
            (1, f"the header has no text column ({', '.join(TEXT_KEYS)}); got {columns}")
        )
        return []
    out = []
    start = 2
    for row in reader:
        if None in row:
            suite.bad.append((start, "more fields than the header has columns"))
        else:
            fields = {k.strip().lower(): (v or "") for k, v in row.items() if k is not None}
            if any(v.strip() for v in fields.values()):
                out.append((start, fields))
        start = reader.line_num + 1
    return out


def _prompt(
    line: int, raw: Any, base: Path, extra: Sequence[str], suite: Suite
) -> SuitePrompt | None:
    """The record as a prompt, or None after noting why it is bad."""
    if not isinstance(raw, dict):
        suite.bad.append((line, f"expected an object, got {type(raw).__name__}"))
        return None
    text = next((raw[k] for k in TEXT_KEYS if k in raw), None)
    if not isinstance(text, str) or not text.strip():
        suite.bad.append((line, f"no prompt text (one of {', '.join(TEXT_KEYS)})"))
        return None
    categories: list[str] = []
    for key in CATEGORY_KEYS:
        value = raw.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            categories.extend(re.split(r"[;|]", value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            categories.extend(value)
        else:
            suite.bad.append((line, f"{key} must be a string or a list of strings"))
            return None
    cleaned = [c.strip() for c in [*categories, *extra] if c.strip()]
    long = next((c for c in cleaned if len(c) > MAX_CATEGORY), None)
    if long is not None:
        suite.bad.append((line, f"category {long[:20]!r}... is over {MAX_CATEGORY} characters"))
        return None
    image = None
    if raw.get("image"):
        if not isinstance(raw["image"], str):
            suite.bad.append((line, "image must be a file path"))
            return None
        image = (base / raw["image"]).resolve()
        if not image.is_file():
            suite.bad.append((line, f"image not found: {image}"))
            return None
    return SuitePrompt(line, " ".join(text.split()), tuple(dict.fromkeys(cleaned)), image)


def stratum(prompt: SuitePrompt) -> tuple[str, ...]:
    """The group a prompt is sampled in: its set of categories (empty: uncategorized)."""
    return tuple(sorted(prompt.categories))


def sample(prompts: Sequence[SuitePrompt], n: int, seed: int) -> list[SuitePrompt]:
    """``n`` prompts, stratified by :func:`stratum`: each group keeps its share of ``n``
    (largest remainders round, ties drawn from the seed), drawn at random within the group
    from ``seed``. The result keeps the file's order. All of them if ``n`` is not smaller."""
    if n >= len(prompts):
        return list(prompts)
    rng = random.Random(seed)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, prompt in enumerate(prompts):
        groups.setdefault(stratum(prompt), []).append(i)
    keys = sorted(groups)
    quotas = {k: n * len(groups[k]) / len(prompts) for k in keys}
    counts = {k: int(quotas[k]) for k in keys}
    order = sorted(keys, key=lambda k: (-(quotas[k] - counts[k]), rng.random()))
    for k in order[: n - sum(counts.values())]:
        counts[k] += 1
    chosen: list[int] = []
    for k in keys:
        chosen.extend(rng.sample(groups[k], counts[k]))
    return [prompts[i] for i in sorted(chosen)]


def category_counts(prompts: Sequence[SuitePrompt]) -> dict[str, int]:
    """How many prompts carry each category, most common first."""
    counts = Counter(c for p in prompts for c in p.categories)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
