"""Simulated arenas: known strengths, noisy voters, the real matchmaking and ranking code.

``arena simulate`` runs strategies side by side over many seeds and reports the votes each
needs to rank the models well (Kendall tau >= 0.9 against the truth, the true top 3 in order)
and whether the 95% intervals cover the ratings an unlimited arena would converge to.
"""

from arena.services.simulate.run import Run, RunOptions, kendall_tau, simulate_run, sustained
from arena.services.simulate.summary import report, run_many, summarize
from arena.services.simulate.voters import Scenario, Voters, target_ratings

__all__ = [
    "Run",
    "RunOptions",
    "Scenario",
    "Voters",
    "kendall_tau",
    "report",
    "run_many",
    "simulate_run",
    "summarize",
    "sustained",
    "target_ratings",
]
