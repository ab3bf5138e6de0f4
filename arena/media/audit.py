# Long because each observable property the audit measures sits beside its statistic.
"""The blindness audit: how well each observable property of a track's clips names the model.

Input: one :class:`Sample` per clip (its model, its prompt, and the values of
:data:`arena.media.fingerprint.PROPERTIES`). For each property, and for all of them together,
a leave-one-out nearest-centroid classifier predicts each clip's model from the other clips,
and its accuracy is set against chance (``1 / number of models``). Significance comes from a
permutation test that shuffles the model labels within each prompt (the design of the arena:
every model answers the same prompts), so the p-value is exact for any number of clips and
assumes no distribution.

The classifier's accuracy is the effect size a reader can judge ("picks the model 60% of the
time where guessing gets 14%"); the p-value comes from the share of variance the model
explains (:func:`arena.media.stats.separation`), which needs far fewer clips than accuracy
to see one model stand out.

What "clean" means, precisely:

- A **structural** property (container, codec, resolution, ...) must take **one value across
  the track**, and a **per-prompt** property (duration, frame count, ...) one value within
  each prompt. A uniform property carries no information at all, whatever the classifier, so
  the verdict does not rest on statistics that few clips could not support.
- A non-uniform one **leaks** when a value is seen on two or more clips, all of one model (a
  voter who meets that value again knows the model), or when the permutation test gives p
  below ``alpha`` (Bonferroni-corrected over the properties tested). Otherwise it **varies**.
- **Content** properties (bytes per second) follow what is in the clip and are expected to
  vary; they are compared within each prompt (log of the ratio to the prompt's median) and
  reported apart: a significant one is marked ``content`` (it follows what is in the clip,
  which the voter sees and hears anyway) and does not decide the track's verdict; with
  ``strict`` it counts, and is then a leak like any other.

A track is ``clean`` when every structural and per-prompt property is uniform, ``leaks`` when
one leaks, and ``varies`` otherwise: one verdict per track, never contradicted by a property's
(a property is marked ``leaks`` only on a track whose verdict is ``leaks``). The track's
``reason`` gives the statistic and the threshold behind its verdict.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import av
import numpy as np

from arena.media.fingerprint import PROPERTIES, Property, Value
from arena.media.stats import loo_accuracy, one_hot, permutation_p, standardize

Verdict = Literal["uniform", "varies", "leaks", "ok", "content"]


@dataclass(frozen=True)
class Sample:
    """One clip as the audit sees it."""

    model: str
    prompt: str
    values: dict[str, Value]


@dataclass
class PropertyResult:
    name: str
    kind: str
    what: str
    verdict: Verdict
    distinct: int
    """Distinct values across the track (structural) or at most within one prompt."""
    accuracy: float
    p_value: float
    identifying: list[str] = field(default_factory=list)
    """Values that only one model's clips show (two clips or more), as sentences."""
    spread: float = 0.0
    """Content properties: the largest relative deviation from the prompt's median."""
    example: str = ""


@dataclass
class TrackAudit:
    track: str
    models: int
    clips: int
    chance: float
    alpha: float
    properties: list[PropertyResult]
    combined_accuracy: float
    combined_p: float
    verdict: Literal["clean", "varies", "leaks"]
    leaking: list[str]
    content_leaks: list[str]
    """Content properties that separate the models (p below the threshold)."""
    threshold: float = 0.0
    """The Bonferroni-corrected significance level: alpha / (properties tested + 1)."""
    reason: str = ""
    """The statistic and threshold behind :attr:`verdict`, in a sentence."""


def _relative(values: list[Value], prompts: list[str], *, log: bool) -> list[float]:
    """Each value against its prompt's median: a difference, or a log-ratio (content)."""
    by_prompt: dict[str, list[float]] = {}
    for value, prompt in zip(values, prompts, strict=True):
        by_prompt.setdefault(prompt, []).append(float(value))
    medians = {p: float(np.median(v)) for p, v in by_prompt.items()}
    if log:
        return [
            math.log((float(v) + 1.0) / (medians[p] + 1.0))
            for v, p in zip(values, prompts, strict=True)
        ]
    return [float(v) - medians[p] for v, p in zip(values, prompts, strict=True)]


def _features(prop: Property, samples: Sequence[Sample]) -> tuple[np.ndarray, list[str]]:
    """The property as a feature matrix, and the per-clip "value" used to name identifying
    values (for per-prompt properties, the value relative to its prompt)."""
    values = [s.values.get(prop.name, "") for s in samples]
    prompts = [s.prompt for s in samples]
    if prop.kind == "structural":
        shown = [str(v) for v in values]
        return one_hot(shown), shown
    if prop.kind == "content":
        rel = _relative(values, prompts, log=True)
        return np.array(rel)[:, None], [f"{r:+.3f}" for r in rel]
    if all(isinstance(v, int | float) for v in values):
        rel = _relative(values, prompts, log=False)
        return np.array(rel)[:, None], [f"{r:+g} vs its prompt" for r in rel]
    modes = {
        p: Counter(str(v) for v, q in zip(values, prompts, strict=True) if q == p).most_common(1)[
            0
        ][0]
        for p in set(prompts)
    }
    shown = [
        "as its prompt" if str(v) == modes[p] else f"unlike its prompt ({str(v)[:40]})"
        for v, p in zip(values, prompts, strict=True)
    ]
    return one_hot(shown), shown


def _distinct(prop: Property, samples: Sequence[Sample]) -> int:
    if prop.kind == "structural":
        return len({str(s.values.get(prop.name, "")) for s in samples})
    per: dict[str, set[str]] = {}
    for s in samples:
        per.setdefault(s.prompt, set()).add(str(s.values.get(prop.name, "")))
    return max((len(v) for v in per.values()), default=0)


def _identifying(shown: list[str], labels: list[str]) -> list[str]:
    """Values shown by 2+ clips, all of one model, when the property takes other values too."""
    if len(set(shown)) < 2:
        return []
    by_value: dict[str, Counter[str]] = {}
    for value, model in zip(shown, labels, strict=True):
        by_value.setdefault(value, Counter())[model] += 1
    totals = Counter(labels)
    out = []
    for value, models in sorted(by_value.items()):
        if len(models) == 1:
            ((model, count),) = models.items()
            if count >= 2:
                out.append(f"{value[:80]!r} only on {model} ({count} of its {totals[model]} clips)")
    return out


# --- the audit --------------------------------------------------------------------------------


def audit_track(
    track: str,
    samples: Sequence[Sample],
    *,
    alpha: float = 0.01,
    permutations: int = 1000,
    seed: int = 0,
    strict: bool = False,
) -> TrackAudit:
    """Audit one track's clips (see the module docstring for the verdicts)."""
    rng = np.random.default_rng(seed)
    labels = np.array([s.model for s in samples])
    groups = np.array([s.prompt for s in samples])
    models = len(set(labels.tolist()))
    chance = 1.0 / models if models else 0.0
    prepared = []
    for prop in PROPERTIES:
        X, shown = _features(prop, samples)
        Xs = standardize(X)
        distinct = _distinct(prop, samples)
        uniform = distinct <= 1 if prop.kind != "content" else Xs.shape[1] == 0
        prepared.append((prop, Xs, shown, distinct, uniform))
    tested = [p for p in prepared if not p[4]]
    threshold = alpha / max(1, len(tested) + 1)
    # A permutation p-value is never below 1 / (permutations + 1): take enough of them that a
    # real leak can pass the corrected threshold (non-significant tests stop early anyway).
    permutations = max(permutations, math.ceil(2 / threshold))
    results: list[PropertyResult] = []
    for prop, Xs, shown, distinct, uniform in prepared:
        example = str(samples[0].values.get(prop.name, "")) if samples else ""
        if uniform:
            results.append(
                PropertyResult(
                    prop.name,
                    prop.kind,
                    prop.what,
                    "uniform",
                    distinct,
                    chance,
                    1.0,
                    example=example[:200],
                )
            )
            continue
        accuracy = loo_accuracy(Xs, labels)
        p = permutation_p(Xs, labels, groups, permutations=permutations, rng=rng)
        identifying = [] if prop.kind == "content" else _identifying(shown, labels.tolist())
        significant = p < threshold
        if prop.kind == "content":
            verdict: Verdict = ("leaks" if strict else "content") if significant else "ok"
        else:
            verdict = "leaks" if identifying or significant else "varies"
        spread = (
            float(np.max(np.abs(np.expm1(np.array([float(v) for v in shown])))))
            if (prop.kind == "content")
            else 0.0
        )
        results.append(
            PropertyResult(
                prop.name,
                prop.kind,
                prop.what,
                verdict,
                distinct,
                accuracy,
                p,
                identifying,
                spread,
                example[:200],
            )
        )
    combined = [Xs for prop, Xs, _, _, uniform in prepared if not uniform]
    if combined:
        X_all = np.hstack(combined)
        combined_accuracy = loo_accuracy(X_all, labels)
        combined_p = permutation_p(X_all, labels, groups, permutations=permutations, rng=rng)
    else:
        combined_accuracy, combined_p = chance, 1.0
    leaking = [r.name for r in results if r.verdict == "leaks"]
    content_leaks = [r.name for r in results if r.kind == "content" and r.p_value < threshold]
    varies = [r.name for r in results if r.verdict == "varies"]
    verdict_track: Literal["clean", "varies", "leaks"]
    if leaking:
        verdict_track = "leaks"
    elif varies:
        verdict_track = "varies"
    else:
        verdict_track = "clean"
    reason = _reason(verdict_track, results, threshold, alpha, len(tested) + 1)
    return TrackAudit(
        track=track,
        models=models,
        clips=len(samples),
        chance=chance,
        alpha=alpha,
        properties=results,
        combined_accuracy=combined_accuracy,
        combined_p=combined_p,
        verdict=verdict_track,
        leaking=leaking,
        content_leaks=content_leaks,
        threshold=threshold,
        reason=reason,
    )


def _reason(
    verdict: str,
    results: list[PropertyResult],
    threshold: float,
    alpha: float,
    tests: int,
) -> str:
    """The statistic and threshold behind a track's verdict, in a sentence."""
    level = f"threshold p < {threshold:.3g} (alpha {alpha:g} / {tests} tests)"
    if verdict == "leaks":
        found = []
        for r in results:
            if r.verdict != "leaks":
                continue
            if r.identifying:
                found.append(f"{r.name} (a value only one model shows)")
            else:
                found.append(f"{r.name} (p={r.p_value:.3g}, accuracy {r.accuracy:.2f})")
        return f"{', '.join(found)} identify the model; {level}"
    if verdict == "varies":
        varying = [r for r in results if r.verdict == "varies"]
        lowest = min(r.p_value for r in varying)
        names = ", ".join(r.name for r in varying)
        return (
            f"{names} not uniform, but no value is one model's alone and the smallest "
            f"p={lowest:.3g} is not below the {level}"
        )
    sentence = (
        "every structural property takes one value across the track and every per-prompt "
        "property one value within each prompt"
    )
    content = [r for r in results if r.verdict == "content"]  # only without strict
    if content:
        shown = ", ".join(f"{r.name} p={r.p_value:.3g}" for r in content)
        return f"{sentence}; content-driven, not counted without --strict: {shown}; {level}"
    return f"{sentence}; {level}"


def observe_clips(
    clips: Sequence[tuple[str, str, str, Path]],
) -> tuple[dict[str, list[Sample]], list[tuple[str, str, str]]]:
    """Observe (model, prompt, track, file) clips: samples by track, and the files that could
    not be read as (model, prompt, reason)."""
    from arena.media.fingerprint import observe

    by_track: dict[str, list[Sample]] = {}
    unreadable: list[tuple[str, str, str]] = []
    for model, prompt, track, path in clips:
        try:
            values = observe(path)
        except (OSError, ValueError, av.error.FFmpegError) as exc:
            unreadable.append((model, prompt, f"{path}: {exc}"))
            continue
        by_track.setdefault(track, []).append(Sample(model, prompt, values))
    return by_track, unreadable
