# Long because every check on comparison arrays lives with the one class that holds them.
"""Pairwise comparison data: the validated arrays every rating method reads.

A :class:`Comparisons` holds R rows, each "``count`` votes between ``models[a]`` and
``models[b]`` that ended with ``outcome``", optionally with a per-row inverse-propensity
``weight`` and per-row style ``covariates`` (each covariate is the value for side a minus the
value for side b). Aggregate identical rows into counts before fitting; the fit only needs counts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from arena.core.errors import Invalid, RankingError
from arena.core.vocabulary import OUTCOME_CODE, OUTCOMES

A_WINS, B_WINS, TIE, BOTH_BAD = 0, 1, 2, 3
#: outcome code seen from the other side: a <-> b, ties unchanged.
FLIPPED = np.array([B_WINS, A_WINS, TIE, BOTH_BAD], dtype=np.int8)
_CODE = OUTCOME_CODE

Row = tuple[str, str, str, float] | tuple[str, str, str, float, float]


def _readonly(x: np.ndarray) -> np.ndarray:
    x = np.array(x, copy=True)
    x.setflags(write=False)
    return x


def _as_1d(name: str, values: object, dtype: type, n: int | None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        raise RankingError(
            f"{name} must have shape ({n if n is not None else 'R'},), got {arr.shape}"
        )
    if arr.size and dtype is np.int64 and not np.issubdtype(arr.dtype, np.integer):
        raise RankingError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(dtype)


@dataclass(frozen=True)
class Comparisons:
    """R rows of pairwise votes over M models.

    Attributes:
        models: (M,) model names, unique.
        a, b: (R,) int64 indexes into ``models``; ``a[r] != b[r]``.
        outcome: (R,) int8 codes into :data:`OUTCOMES` (``A_WINS``, ``B_WINS``, ``TIE``,
            ``BOTH_BAD``).
        count: (R,) float64 number of votes in the row, finite and >= 0.
        weight: (R,) float64 positive inverse-propensity weight per vote, or None for 1.
        covariates: (R, C) float64 style features (side a minus side b), or None.
        covariate_names: (C,) names of the covariate columns.
    """

    models: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    outcome: np.ndarray
    count: np.ndarray
    weight: np.ndarray | None = None
    covariates: np.ndarray | None = None
    covariate_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        models = tuple(self.models)
        for name in models:
            if not isinstance(name, str) or not name:
                raise RankingError(f"Model names must be non-empty strings, got {name!r}")
        if len(set(models)) != len(models):
            dupes = sorted({m for m in models if models.count(m) > 1})
            raise RankingError(f"Duplicate model names: {dupes!r}")
        a = _as_1d("a", self.a, np.int64, None)
        r = a.shape[0]
        b = _as_1d("b", self.b, np.int64, r)
        outcome = _as_1d("outcome", self.outcome, np.int64, r)
        count = _as_1d("count", self.count, np.float64, r)
        m = len(models)
        for name, idx in (("a", a), ("b", b)):
            bad = (idx < 0) | (idx >= m)
            if bad.any():
                raise RankingError(f"{name} index out of range 0..{m - 1}: {int(idx[bad][0])}")
        if (a == b).any():
            k = int(np.flatnonzero(a == b)[0])
            raise RankingError(f"Row {k} compares model {models[a[k]]!r} with itself")
        bad = (outcome < 0) | (outcome >= len(OUTCOMES))
        if bad.any():
            raise RankingError(f"Unknown outcome code: {int(outcome[bad][0])}")
        bad = ~np.isfinite(count) | (count < 0)
        if bad.any():
            raise RankingError(f"Counts must be finite and >= 0, got {float(count[bad][0])!r}")
        weight = None
        if self.weight is not None:
            weight = _as_1d("weight", self.weight, np.float64, r)
            bad = ~np.isfinite(weight) | (weight <= 0)
            if bad.any():
                raise RankingError(f"Weights must be finite and > 0, got {float(weight[bad][0])!r}")
        covariates = None
        names = tuple(self.covariate_names)
        if self.covariates is not None:
            covariates = np.asarray(self.covariates, dtype=np.float64)
            if covariates.ndim != 2 or covariates.shape[0] != r or covariates.shape[1] == 0:
                raise RankingError(f"covariates must have shape ({r}, C), got {covariates.shape}")
            if not np.isfinite(covariates).all():
                raise RankingError("Covariates must be finite")
            if len(names) != covariates.shape[1] or len(set(names)) != len(names):
                raise RankingError(
                    f"covariate_names must be {covariates.shape[1]} unique names, got {names!r}"
                )
            covariates = covariates + 0.0  # -0.0 -> 0.0, so equal rows hash equal
        elif names:
            raise RankingError(f"covariate_names given without covariates: {names!r}")
        set_ = object.__setattr__
        set_(self, "models", models)
        set_(self, "a", _readonly(a))
        set_(self, "b", _readonly(b))
        set_(self, "outcome", _readonly(outcome.astype(np.int8)))
        set_(self, "count", _readonly(count))
        set_(self, "weight", None if weight is None else _readonly(weight))
        set_(self, "covariates", None if covariates is None else _readonly(covariates))
        set_(self, "covariate_names", names)

    @classmethod
    def from_rows(
        cls, rows: Iterable[Sequence[object]], models: Sequence[str] | None = None
    ) -> Comparisons:
        """Build from ``(model_a, model_b, outcome, count[, weight])`` tuples.

        ``outcome`` is one of :data:`OUTCOMES`. With ``models=None`` the models are the sorted
        names that appear; otherwise every name must be in ``models`` (which may list models
        with no votes). Either every row has a weight or none has.
        """
        rows = list(rows)
        names: list[str] = (
            list(models)
            if models is not None
            else sorted({str(r[0]) for r in rows} | {str(r[1]) for r in rows})
        )
        index = {n: i for i, n in enumerate(names)}
        n = len(rows)
        a = np.empty(n, np.int64)
        b = np.empty(n, np.int64)
        outcome = np.empty(n, np.int8)
        count = np.empty(n, np.float64)
        weights: list[float] | None = [] if rows and len(rows[0]) == 5 else None
        for k, row in enumerate(rows):
            if len(row) not in (4, 5) or (len(row) == 5) != (weights is not None):
                raise RankingError(
                    f"Row {k}: expected (a, b, outcome, count[, weight]), got {row!r}"
                )
            try:
                a[k], b[k] = index[str(row[0])], index[str(row[1])]
            except KeyError as exc:
                raise RankingError(f"Row {k}: unknown model {exc.args[0]!r}") from None
            label = row[2]
            if not isinstance(label, str) or label not in _CODE:
                raise RankingError(
                    f"Row {k}: unknown outcome {label!r}; expected one of {OUTCOMES}"
                )
            outcome[k] = _CODE[label]
            count[k] = float(row[3])  # type: ignore[arg-type]
            if weights is not None:
                weights.append(float(row[4]))  # type: ignore[arg-type]
        return cls(
            tuple(names), a, b, outcome, count, None if weights is None else np.array(weights)
        )

    @property
    def n_models(self) -> int:
        """M, the number of models."""
        return len(self.models)

    @property
    def n_votes(self) -> float:
        """Total number of votes (sum of counts)."""
        return float(self.count.sum())

    def per_model_votes(self) -> np.ndarray:
        """(M,) float64: votes each model took part in."""
        m = self.n_models
        return np.bincount(self.a, self.count, m) + np.bincount(self.b, self.count, m)

    def per_model_tallies(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(wins, losses, ties) each (M,) float64; ties include both_bad."""
        m, o, c = self.n_models, self.outcome, self.count
        a_won, b_won = c * (o == A_WINS), c * (o == B_WINS)
        drawn = c * (o >= TIE)
        wins = np.bincount(self.a, a_won, m) + np.bincount(self.b, b_won, m)
        losses = np.bincount(self.a, b_won, m) + np.bincount(self.b, a_won, m)
        ties = np.bincount(self.a, drawn, m) + np.bincount(self.b, drawn, m)
        return wins, losses, ties

    def with_models(self, models: Sequence[str]) -> Comparisons:
        """The same votes indexed by ``models`` (a reordering or superset of ``self.models``)."""
        index = {n: i for i, n in enumerate(models)}
        missing = [n for n in self.models if n not in index]
        if missing:
            raise RankingError(f"Models missing from the new order: {missing!r}")
        remap = np.array([index[n] for n in self.models], dtype=np.int64)
        return Comparisons(
            tuple(models),
            remap[self.a],
            remap[self.b],
            self.outcome,
            self.count,
            self.weight,
            self.covariates,
            self.covariate_names,
        )

    def restrict(self, keep: Sequence[str]) -> Comparisons:
        """Only the rows between two models of ``keep``, indexed by ``keep`` (in its order)."""
        index = {n: i for i, n in enumerate(keep)}
        missing = [n for n in keep if n not in self.models]
        if missing or len(index) != len(keep):
            raise RankingError(f"restrict() needs distinct known models, got {list(keep)!r}")
        remap = np.full(self.n_models, -1, dtype=np.int64)
        for name, k in index.items():
            remap[self.models.index(name)] = k
        rows = (remap[self.a] >= 0) & (remap[self.b] >= 0)
        return Comparisons(
            tuple(keep),
            remap[self.a][rows],
            remap[self.b][rows],
            self.outcome[rows],
            self.count[rows],
            None if self.weight is None else self.weight[rows],
            None if self.covariates is None else self.covariates[rows],
            self.covariate_names,
        )

    def aggregate(self) -> Comparisons:
        """Merge identical rows into counts, each pair in canonical order (a < b).

        Rows with a > b are swapped with their outcome flipped (and covariates negated), then
        rows equal in (a, b, outcome, weight, covariates) are summed; zero-count rows are
        dropped. Rows come out sorted by those keys, so the result does not depend on row order.
        """
        swap = self.a > self.b
        a = np.where(swap, self.b, self.a)
        b = np.where(swap, self.a, self.b)
        outcome = np.where(swap, FLIPPED[self.outcome], self.outcome)
        keep = self.count > 0
        cols: list[np.ndarray] = [a[keep], b[keep], outcome[keep]]
        weight = None if self.weight is None else self.weight[keep]
        cov = None
        if self.covariates is not None:
            cov = np.where(swap[:, None], -self.covariates, self.covariates)[keep] + 0.0
        extra = ([] if weight is None else [weight]) + ([] if cov is None else list(cov.T))
        keys = cols + extra
        count = self.count[keep]
        order = np.lexsort(keys[::-1]) if count.size else np.arange(0)
        keys = [k[order] for k in keys]
        count = count[order]
        if count.size:
            new = np.ones(count.size, dtype=bool)
            new[1:] = np.any([k[1:] != k[:-1] for k in keys], axis=0)
            starts = np.flatnonzero(new)
            count = np.add.reduceat(count, starts)
            keys = [k[starts] for k in keys]
        weight = keys[3] if self.weight is not None else None
        cov = (
            np.stack(keys[3 + (weight is not None) :], axis=1)
            if self.covariates is not None
            else None
        )
        return Comparisons(
            self.models, keys[0], keys[1], keys[2], count, weight, cov, self.covariate_names
        )

    def canonical(self) -> Comparisons:
        """Models sorted by name, rows aggregated: equal data gives equal arrays."""
        return self.with_models(sorted(self.models)).aggregate()


def fingerprint(comp: Comparisons) -> str:
    """sha256 hex digest of the canonical aggregated data (independent of row and model order)."""
    can = comp.canonical()
    h = hashlib.sha256()
    header = {"models": list(can.models), "covariates": list(can.covariate_names)}
    h.update(json.dumps(header, sort_keys=True).encode())
    for arr in (can.a, can.b, can.outcome, can.count, can.weight, can.covariates):
        h.update(
            b"|"
            if arr is None
            else np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        )
    return h.hexdigest()


def inverse_propensity_weights(comp: Comparisons, min_pair_count: float = 50.0) -> np.ndarray:
    """(R,) weights 1 / max(votes of the row's pair, ``min_pair_count``), scaled to mean 1 per vote.

    This is arena-rank's reweighted mode: pairs that were shown more often count less, so a
    non-uniform matchmaking policy does not tilt the ratings. The scale does not change the fit.
    """
    lo, hi = np.minimum(comp.a, comp.b), np.maximum(comp.a, comp.b)
    pair = lo * comp.n_models + hi
    _, inverse = np.unique(pair, return_inverse=True)
    pair_votes = np.bincount(inverse, comp.count)[inverse]
    w = 1.0 / np.maximum(pair_votes, min_pair_count)
    total = float(comp.count.sum())
    return w * (total / float((w * comp.count).sum())) if total > 0 else w


def weighted_comparisons(
    rows: Iterable[tuple[str, str, str, float, float]], models: Sequence[str] | None = None
) -> Comparisons:
    """Votes weighted by inverse propensity, from (a, b, outcome, pair probability, count) rows.

    Each vote weighs 1 / the probability with which its pair was chosen (rate() rescales the
    weights to a mean of 1 per vote, which leaves the fit unchanged).
    """
    out = []
    for a, b, outcome, probability, n in rows:
        if not 0 < probability <= 1:
            raise Invalid(
                f"cannot reweight: a battle of {a} vs {b} recorded pair probability "
                f"{probability!r} (it must be in (0, 1]; imported votes record 0: their "
                "sampling is unknown, so fit them without --reweight)"
            )
        out.append((a, b, outcome, n, 1.0 / probability))
    return Comparisons.from_rows(out, models=models)
