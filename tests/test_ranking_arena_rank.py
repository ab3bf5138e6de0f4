"""Agreement with arena-rank (LMArena's library) on a stored 20-model data set.

The expected values were produced once by arena-rank in a throwaway venv; the file records the
exact command and versions (benchmarks/ranking/make_arena_rank_fixture.py).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from arena.core.ranking.bradley_terry import fit_bradley_terry
from arena.core.ranking.data import Comparisons, inverse_propensity_weights
from arena.core.ranking.intervals import sandwich

FIXTURE = Path(__file__).parent / "data" / "ranking" / "arena_rank_20.json"


@pytest.mark.parametrize(("mode", "bound_tol"), [("plain", 0.02), ("reweighted", 0.001)])
def test_ratings_and_sandwich_bounds_agree_with_arena_rank(mode: str, bound_tol: float) -> None:
    fixture = json.loads(FIXTURE.read_text())
    assert "arena_rank" in fixture and fixture["arena_rank"]["command"]
    comp = Comparisons.from_rows([tuple(row) for row in fixture["rows"]])
    assert comp.n_models == 20 and comp.n_votes == 20_000
    if mode == "reweighted":
        weights = inverse_propensity_weights(comp, min_pair_count=50)
        comp = Comparisons(comp.models, comp.a, comp.b, comp.outcome, comp.count, weights)
    expected = fixture["arena_rank"]["expected"][mode]
    fit = fit_bradley_terry(comp, prior=0)
    bounds = sandwich(fit)
    for k, name in enumerate(comp.models):
        assert fit.rating[k] == pytest.approx(expected[name]["rating"], abs=0.01), name
        # arena-rank adds 1e-5 * n_votes to the Hessian diagonal; its bounds differ by that much
        assert bounds.lower[k] == pytest.approx(expected[name]["lower"], abs=bound_tol), name
        assert bounds.upper[k] == pytest.approx(expected[name]["upper"], abs=bound_tol), name
    assert np.ptp(fit.rating) > 300  # a spread-out field, not a trivial agreement
