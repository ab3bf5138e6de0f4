"""The leaderboard as people read it: one builder, rendered as a page, JSON, CSV and SVG plots.

:mod:`.builder` makes a view (track, category, sort) from the latest snapshot and the live
figures; :mod:`.pairs` the pairwise matrices and the rating history behind the plots;
:mod:`.plots` draws them as SVG; :mod:`.profile` builds a model's page; :mod:`.table` writes
the CSV. :mod:`.reads` holds their queries and the cheap version key behind the ETags.
"""

from arena.services.leaderboard.builder import BoardQuery, build_leaderboard
from arena.services.leaderboard.schema import Leaderboard

__all__ = ["BoardQuery", "Leaderboard", "build_leaderboard"]
