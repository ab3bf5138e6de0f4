"""What a sync reports: counts, rejections with reasons, missing clips; and its progress hook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called after each clip of each pass."""


@dataclass
class SyncReport:
    """What a sync did, per clip."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    """(model id, prompt id, reason) for each clip that was not stored."""
    missing: list[tuple[str, str]] = field(default_factory=list)
    """(model id, prompt id): prompts of a model's tracks it has no clip for."""
    encoded: int = 0
    remuxed: int = 0
    reused: int = 0
    """Normalized files found in the cache (same key), so neither encoded nor remuxed."""
    oversize: list[tuple[str, str]] = field(default_factory=list)
    """Clips whose content overshot the track's size target: their size differs from the
    prompt's other clips (the audit's ``file_size`` shows it)."""
