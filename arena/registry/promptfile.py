"""Put imported prompts where the arena reads prompts: a JSON Lines prompt file that
``arena.toml`` lists in ``prompt_files``.

The config stays the one source of truth for prompts: an import appends to a prompt file
(created if needed) and, if the config does not list that file yet, adds it to
``prompt_files``; the next ``arena models sync`` brings the prompts into the database like
any configured prompt. The config is edited as text, only that one array, and the edit is
checked by parsing the result: anything else in the file (comments, order) stays as it was,
and an edit that would change more is refused, asking for the line to be added by hand.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arena.registry.base import ConfigError
from arena.registry.suites import SuitePrompt, prompt_id

_PROMPT_FILES = re.compile(r"(?ms)^prompt_files[ \t]*=[ \t]*\[(?P<items>.*?)\]")


def records(prompts: Sequence[SuitePrompt], track: str, output: Path) -> list[dict[str, Any]]:
    """The prompt file's lines for ``prompts``: id, track, text, categories, image (relative
    to the prompt file's folder when it can be)."""
    out = []
    for prompt in prompts:
        record: dict[str, Any] = {
            "id": prompt_id(track, prompt.text),
            "track": track,
            "text": prompt.text,
        }
        if prompt.categories:
            record["categories"] = list(prompt.categories)
        if prompt.image is not None:
            record["image"] = os.path.relpath(prompt.image, output.parent.resolve())
        out.append(record)
    return out


def append(output: Path, lines: Sequence[dict[str, Any]]) -> None:
    """Append ``lines`` to the JSON Lines file ``output`` (through a temporary copy, so an
    interrupted write leaves the old file whole)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    new = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.part")
    tmp.write_text(old + new, encoding="utf-8")
    os.replace(tmp, output)


def listed(config: Path, output: Path) -> bool:
    """Whether the config's ``prompt_files`` already names ``output``."""
    data = _parse(config, config.read_text(encoding="utf-8"))
    files = data.get("prompt_files", [])
    target = output.resolve()
    return any(isinstance(f, str) and (config.parent / f).resolve() == target for f in files)


def reference(config: Path, output: Path) -> str:
    """Add ``output`` to the config's ``prompt_files``; the entry as written (relative to the
    config's folder when it can be). Raises :class:`ConfigError` if it cannot be done safely."""
    text = config.read_text(encoding="utf-8")
    before = _parse(config, text)
    try:
        entry = output.resolve().relative_to(config.parent.resolve()).as_posix()
    except ValueError:
        entry = str(output.resolve())
    quoted = json.dumps(entry)
    match = _PROMPT_FILES.search(text)
    if match is None:
        # A top-level key must come before the first table: after the leading comments.
        head = re.match(r"(?:[ \t]*(?:#[^\n]*)?\n)*", text)
        cut = head.end() if head else 0
        new = text[:cut] + f"prompt_files = [{quoted}]\n" + text[cut:]
    else:
        items = match.group("items").rstrip()
        if items.endswith(","):
            items = items[:-1].rstrip()
        sep = ", " if items.strip() else ""
        new = text[: match.start("items")] + f"{items}{sep}{quoted}" + text[match.end("items") :]
    after = _parse(config, new)
    expected = {**before, "prompt_files": [*before.get("prompt_files", []), entry]}
    if after != expected:
        raise ConfigError(
            f"{config}: cannot add {entry!r} to prompt_files safely; add it by hand: "
            f"prompt_files = [..., {quoted}]"
        )
    tmp = config.with_name(f".{config.name}.{os.getpid()}.part")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, config)
    return entry


def _parse(config: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML ({exc})") from None
