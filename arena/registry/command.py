"""The ``command`` provider: runs your generator once per prompt (a self-hosted model).

Options:

- ``command``: the program and its arguments, as a list (``["python", "gen.py", "--prompt",
  "{prompt}", "--out", "{output}"]``) or a string split like a shell would split it (but
  never run by a shell). Placeholders, substituted inside each argument:
  ``{prompt}`` (the prompt's text), ``{prompt_id}``, ``{track}``, ``{image}`` (the source
  image's absolute path, empty on text-to-video), ``{output}`` (where the clip must be
  written; required), ``{model}`` (the model id), ``{audio}`` (``1`` on sound tracks, else
  ``0``), ``{seed}`` (a stable number per model and prompt). ``{{`` and ``}}`` are literal
  braces. The same values are in the environment as ``ARENA_PROMPT``, ``ARENA_PROMPT_ID``,
  ``ARENA_TRACK``, ``ARENA_IMAGE``, ``ARENA_OUTPUT``, ``ARENA_MODEL``, ``ARENA_AUDIO``,
  ``ARENA_SEED``.
- ``timeout``: seconds per prompt (default 600); the command and its children are killed
  when it runs out.
- ``env``: extra environment variables (a table of strings).
- ``workers``: how many prompts run at once (default 1).
- ``extension``: the output file's extension (default ``.mp4``).

The command runs without a shell, in the config file's folder, so prompt text is always one
argument and never interpreted. (A generator that parses options should take the text as
``--prompt={prompt}`` or after ``--``, so a prompt starting with ``-`` is not read as an
option.) Outputs are cached under the provider's work folder by a digest of everything that
goes into them, so a second sync runs nothing. A failure is reported per prompt: the exit
code or the signal, the timeout, or a missing output, with the last lines of its stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from arena.core.vocabulary import track_has_audio
from arena.registry.base import ClipSource, ModelSpec, PromptSpec
from arena.registry.files import content_digest
from arena.registry.options import Options

_KNOWN = {"command", "timeout", "env", "workers", "extension"}
PLACEHOLDERS = ("prompt", "prompt_id", "track", "image", "output", "model", "audio", "seed")
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_TAIL_LINES = 8


@dataclass(frozen=True)
class _Command:
    argv: tuple[str, ...]
    timeout: float
    env: dict[str, str]
    workers: int
    extension: str
    cwd: Path


def fill(template: str, values: dict[str, str]) -> str:
    """Substitute ``{name}`` placeholders; no format spec, no attribute access, no eval."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values[match.group(1)]

    return _FIELD.sub(one, template)


def _command(model: ModelSpec) -> _Command:
    opts = Options(model, known=_KNOWN)
    raw = opts.raw.get("command")
    if isinstance(raw, str):
        try:
            argv = shlex.split(raw)
        except ValueError as exc:
            raise opts.error("command", f"cannot be split into arguments ({exc})") from None
    else:
        argv = opts.strings("command")
    if not argv:
        raise opts.error("command", "is empty")
    used: set[str] = set()
    for arg in argv:
        for match in _FIELD.finditer(arg):
            name = match.group(1)
            if name is None:
                continue
            if name not in PLACEHOLDERS:
                raise opts.error(
                    "command",
                    f"has an unknown placeholder {{{name}}}; known: "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS),
                )
            used.add(name)
    if "output" not in used:
        raise opts.error("command", "must contain {output}: where the clip is to be written")
    cwd = model.config_file.parent if model.config_file else Path.cwd()
    program = argv[0]
    if "{" in program:
        raise opts.error("command", "the program itself cannot be a placeholder")
    if os.sep in program or program.startswith("."):
        candidate = model.resolve(program)
        if not candidate.is_file():
            raise opts.error("command", f"program not found: {candidate}")
        argv[0] = str(candidate)
    elif shutil.which(program) is None:
        raise opts.error("command", f"program {program!r} is not on PATH")
    env = opts.table("env")
    bad = [k for k, v in env.items() if not isinstance(v, str)]
    if bad:
        raise opts.error(f"env.{bad[0]}", "must be a string")
    extension = opts.string("extension", ".mp4")
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", extension):
        raise opts.error("extension", f"must look like '.mp4', got {extension!r}")
    return _Command(
        argv=tuple(argv),
        timeout=opts.number("timeout", 600, minimum=0.001),
        env=dict(env),
        workers=opts.integer("workers", 1, minimum=1),
        extension=extension,
        cwd=cwd,
    )


def _tail(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return " | ".join(line.strip() for line in lines[-_TAIL_LINES:] if line.strip())


def run(argv: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float) -> str | None:
    """Run ``argv`` (no shell) in its own process group; None on success, else what failed."""
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return f"cannot start {argv[0]!r}: {exc.strerror or exc}"
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Kill the whole group: a generator's own children (workers, ffmpeg) go too.
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        tail = _tail(err or out)
        return f"timed out after {timeout:g} s (killed)" + (f"; output: {tail}" if tail else "")
    if process.returncode == 0:
        return None
    tail = _tail(err or out)
    if process.returncode < 0:
        how = f"killed by {signal.Signals(-process.returncode).name}"
    else:
        how = f"exit code {process.returncode}"
    return how + (f"; stderr: {tail}" if tail else "; no output on stderr")


class CommandProvider:
    """Clips made by a program you give, one run per prompt."""

    name: ClassVar[str] = "command"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        _command(model)

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        cmd = _command(model)
        folder = workdir / model.id
        folder.mkdir(parents=True, exist_ok=True)
        todo: list[tuple[PromptSpec, Path, str, dict[str, str]]] = []
        for prompt in prompts:
            image_digest = content_digest(prompt.image) if prompt.image else ""
            digest = hashlib.sha256(
                json.dumps(
                    [
                        cmd.argv,
                        cmd.env,
                        cmd.extension,
                        model.id,
                        prompt.id,
                        prompt.track,
                        prompt.text,
                        image_digest,
                    ],
                ).encode()
            ).hexdigest()
            output = folder / f"{prompt.id}-{digest[:16]}{cmd.extension}"
            if output.is_file() and output.stat().st_size > 0:
                yield ClipSource(prompt.id, path=output, digest=digest)
                continue
            values = {
                "prompt": prompt.text,
                "prompt_id": prompt.id,
                "track": prompt.track,
                "image": str(prompt.image) if prompt.image else "",
                "output": str(output.with_name(f".{output.stem}.part{cmd.extension}")),
                "model": model.id,
                "audio": "1" if track_has_audio(prompt.track) else "0",
                "seed": str(zlib.crc32(f"{model.id}\x1f{prompt.id}".encode())),
            }
            todo.append((prompt, output, digest, values))
        with ThreadPoolExecutor(cmd.workers) as pool:
            futures = {pool.submit(self._generate, cmd, *job): job for job in todo}
            for future in as_completed(futures):
                yield future.result()

    def _generate(
        self, cmd: _Command, prompt: PromptSpec, output: Path, digest: str, values: dict[str, str]
    ) -> ClipSource:
        partial = Path(values["output"])
        partial.unlink(missing_ok=True)
        env = {**os.environ, **cmd.env}
        env.update({f"ARENA_{k.upper()}": v for k, v in values.items()})
        argv = [fill(arg, values) for arg in cmd.argv]
        failure = run(argv, env=env, cwd=cmd.cwd, timeout=cmd.timeout)
        if failure is None and (not partial.is_file() or partial.stat().st_size == 0):
            failure = f"exited 0 but wrote nothing to {{output}} ({partial.name})"
        if failure is not None:
            partial.unlink(missing_ok=True)
            return ClipSource(prompt.id, error=f"command failed: {failure}")
        os.replace(partial, output)
        return ClipSource(prompt.id, path=output, digest=digest)
