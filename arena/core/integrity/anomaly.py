"""The sequential anomalous-voter test: each vote's p-value against the pair's consensus,
turned into an e-value and multiplied into a test martingale per voter.

This is the method of Chatbot Arena (Chiang et al., "Chatbot Arena: An Open Platform for
Evaluating LLMs by Human Preference", ICML 2024, arXiv:2403.04132, "Detecting anomalous
users"): for a vote on a pair with history ``H`` (the counted votes on that pair so far), the
conformal p-value is ``p = (1 + #{h in H at least as surprising as the vote}) / (|H| + 1)``;
the calibrator ``e = 1 / (2 sqrt(p))`` (Vovk and Wang, 2021) turns it into an e-value
(``E[e] <= 1`` for any p-value that is uniform or larger under the null), and the product
``M_n = e_1 ... e_n`` is a test supermartingale for a voter who votes like the crowd. By Ville's
inequality such a voter ever reaches ``M_n >= 1/alpha`` with probability at most ``alpha``, so
the voter is flagged there, at any time, with no correction for peeking after every vote.

A vote is "as surprising" as another when its outcome is at most as frequent in the pair's
history: an outcome-rarity score, symmetric in the two sides, over the four outcomes. We keep
``log M`` (a sum) so long runs neither overflow nor underflow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

CALIBRATOR_KAPPA = 0.5
"""``e = kappa * p ** (kappa - 1)``; kappa 1/2 gives Chatbot Arena's ``1 / (2 sqrt(p))``."""


def consensus_p_value(history: Mapping[str, int], outcome: str) -> float:
    """Conformal p-value of ``outcome`` given the pair's outcome counts (same orientation).

    >>> round(consensus_p_value({"a": 90, "b": 10}, "b"), 4)
    0.1089
    """
    n = sum(history.values())
    mine = history.get(outcome, 0)
    as_rare = sum(count for count in history.values() if count <= mine)
    return (1 + as_rare) / (n + 1)


def log_e_value(p: float) -> float:
    """``log(e)`` for the calibrator ``e = kappa * p ** (kappa - 1)``."""
    return math.log(CALIBRATOR_KAPPA) + (CALIBRATOR_KAPPA - 1.0) * math.log(p)


def threshold(alpha: float) -> float:
    """``log(1/alpha)``: the voter is flagged once ``log M`` reaches it."""
    return -math.log(alpha)
