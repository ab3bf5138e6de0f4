"""The strategies' knobs, as one hashable value (plans are cached per pool and config)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchConfig:
    """Parameters of the weighted and active strategies (uniform has none).

    Attributes:
        weights: (slug, weight) per model for the weighted strategy; unlisted models weigh 1.
        boost: weight multiplier of a model with fewer than ``boost_votes`` votes (weighted).
        boost_votes: votes a model needs on a track before its boost ends.
        exposure_min, exposure_max: bounds on each model's share of battles, as multiples of
            the fair share 2 / M (weighted and active). 0.5 and 2 mean no model appears in
            fewer than half or more than twice the battles it would get if all were shown alike.
        explore: share of the active distribution spread uniformly over all pairs, so every
            pair keeps a chance of at least ``explore / P`` (inverse-propensity weights stay
            bounded by P / explore).
        sharpness: exponent applied to the active scores before normalising: 1 samples pairs in
            proportion to their score, higher values concentrate on the best pairs.
    """

    weights: tuple[tuple[str, float], ...] = ()
    boost: float = 5.0
    boost_votes: int = 500
    exposure_min: float = 0.5
    exposure_max: float = 2.0
    explore: float = 0.1
    sharpness: float = 3.0
    focus_top: int = 0
    placement_share: float = 0.25
    placement_width: float = 60.0

    def weight_of(self, slug: str) -> float:
        return dict(self.weights).get(slug, 1.0)
