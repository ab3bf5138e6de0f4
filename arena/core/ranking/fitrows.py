"""Fit rows: comparisons reduced to what a tie rule needs, grouped by pair for fast sums.

tie and both_bad are treated alike by every tie rule, so they are merged into one "tie" kind
first; with ``ties="drop"`` those rows leave the fit but their count is kept as one resampling
category, so a bootstrap still resamples all votes. Merging categories of a multinomial gives
the multinomial of the merged counts, so this changes no result and makes resampling cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.core.errors import RankingError
from arena.core.ranking.data import BOTH_BAD, TIE, Comparisons

TIE_RULES = ("half", "drop", "davidson")
#: kinds of fit rows, from side a's point of view (a < b)
WIN_A, WIN_B, DRAW = 0, 1, 2


@dataclass(frozen=True)
class FitRows:
    """Canonical rows for fitting (a < b, sorted by pair), R rows over P pairs.

    Attributes:
        n_models: M.
        ties: the tie rule the rows were built for.
        a, b: (R,) int64 model indexes, a < b.
        kind: (R,) int8 ``WIN_A``, ``WIN_B`` or ``DRAW``.
        count: (R,) float64 votes.
        weight: (R,) float64 per-vote weight, scaled so the weighted count equals the count.
        covariates: (R, C) float64 or None.
        dropped: votes left out of the fit (ties under ``ties="drop"``).
        pair_i, pair_j: (P,) int64 the distinct pairs, i < j.
        starts: (P,) int64 first row of each pair (rows of a pair are contiguous).
    """

    n_models: int
    ties: str
    a: np.ndarray
    b: np.ndarray
    kind: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    covariates: np.ndarray | None
    dropped: float
    pair_i: np.ndarray
    pair_j: np.ndarray
    starts: np.ndarray

    @property
    def n_rows(self) -> int:
        """R."""
        return int(self.a.shape[0])

    def kind_totals(self, counts: np.ndarray, power: int = 1) -> np.ndarray:
        """(3, B, P) weighted vote totals per pair for WIN_A, WIN_B, DRAW.

        ``counts`` is (B, R) (resampled) row counts; each vote counts weight**power.
        """
        b, p = counts.shape[0], self.pair_i.size
        out = np.zeros((3, b, p))
        if self.n_rows == 0:
            return out
        # rows of one pair and kind are consecutive: sum each run, then place it
        pair = np.repeat(np.arange(p), np.diff(np.append(self.starts, self.n_rows)))
        key = pair * 3 + self.kind
        runs = np.flatnonzero(np.diff(key, prepend=-1))
        wc = (counts * self.weight**power).T
        out[self.kind[runs], :, pair[runs]] = np.add.reduceat(wc, runs, axis=0)
        return out


def build_fit_rows(comp: Comparisons, ties: str) -> FitRows:
    """Reduce ``comp`` to :class:`FitRows` for the tie rule ``ties``."""
    if ties not in TIE_RULES:
        raise RankingError(f"Unknown ties rule: {ties!r}; expected one of {TIE_RULES}")
    if ties == "davidson" and comp.covariates is not None:
        raise RankingError("ties='davidson' cannot be combined with covariates (style control)")
    outcome = np.where(comp.outcome == BOTH_BAD, TIE, comp.outcome)
    merged = Comparisons(
        comp.models,
        comp.a,
        comp.b,
        outcome,
        comp.count,
        comp.weight,
        comp.covariates,
        comp.covariate_names,
    ).aggregate()
    keep = np.ones(merged.count.shape[0], dtype=bool)
    dropped = 0.0
    if ties == "drop":
        keep = merged.outcome != TIE
        dropped = float(merged.count[~keep].sum())
    count = merged.count[keep]
    weight = np.ones_like(count) if merged.weight is None else merged.weight[keep]
    total = float(count.sum())
    if total > 0:
        weight = weight * (total / float((weight * count).sum()))
    a, b = merged.a[keep], merged.b[keep]
    new = np.ones(a.shape[0], dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(new)
    return FitRows(
        n_models=comp.n_models,
        ties=ties,
        a=a,
        b=b,
        kind=merged.outcome[keep].astype(np.int8),
        count=count,
        weight=weight,
        covariates=None if merged.covariates is None else merged.covariates[keep],
        dropped=dropped,
        pair_i=a[starts],
        pair_j=b[starts],
        starts=starts,
    )
