"""A conformance check for provider authors: does a provider keep the protocol's promises?

Call it from your own test suite::

    from arena.registry.testing import check_provider

    def test_my_provider(tmp_path):
        problems = check_provider(MyProvider(), model, prompts, workdir=tmp_path)
        assert problems == []

It runs ``check`` and then ``clips`` twice, and reports (as sentences) every broken promise:
clips for prompts it was not given, two clips for one prompt, files that are missing or that
Arena cannot decode, digests that change between two runs with nothing changed (which would
make every sync redo the work), sources without path or error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from arena.media.probe import ProbeError, probe
from arena.registry.base import ClipSource, ConfigError, ModelSpec, PromptSpec, Provider


def check_provider(
    provider: object, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
) -> list[str]:
    """Every way ``provider`` breaks the protocol for ``model`` and ``prompts``; [] if none."""
    if not isinstance(provider, Provider):
        return [f"{type(provider).__name__} lacks name, check or clips: not a Provider"]
    problems: list[str] = []
    if not isinstance(getattr(provider, "name", None), str):
        problems.append("name must be a string class attribute")
    try:
        provider.check(model, config_file=model.config_file or Path("arena.toml"))
    except ConfigError as exc:
        return [*problems, f"check() rejected the model: {exc}"]
    first = _run(provider, model, prompts, workdir, problems)
    second = _run(provider, model, prompts, workdir, [])
    for prompt_id, source in first.items():
        again = second.get(prompt_id)
        if source.path is not None and (again is None or again.digest != source.digest):
            problems.append(
                f"prompt {prompt_id!r}: the digest changed between two runs with nothing "
                "changed, so every sync would redo this clip"
            )
    return problems


def _run(
    provider: Provider,
    model: ModelSpec,
    prompts: Sequence[PromptSpec],
    workdir: Path,
    problems: list[str],
) -> dict[str, ClipSource]:
    wanted = {p.id for p in prompts}
    out: dict[str, ClipSource] = {}
    for source in provider.clips(model, prompts, workdir=workdir):
        if not isinstance(source, ClipSource):
            problems.append(f"clips() yielded {type(source).__name__}, not a ClipSource")
            continue
        if source.prompt_id not in wanted:
            problems.append(f"clips() yielded prompt {source.prompt_id!r}, which it was not given")
        if source.prompt_id in out:
            problems.append(f"clips() yielded prompt {source.prompt_id!r} twice")
        out[source.prompt_id] = source
        if source.error is None and source.path is None:
            problems.append(f"prompt {source.prompt_id!r}: neither a path nor an error")
        if source.path is not None:
            if not source.digest:
                problems.append(
                    f"prompt {source.prompt_id!r}: no digest (Arena would hash the file "
                    "on every sync)"
                )
            try:
                probe(source.path)
            except ProbeError as exc:
                problems.append(f"prompt {source.prompt_id!r}: {exc}")
    return out
