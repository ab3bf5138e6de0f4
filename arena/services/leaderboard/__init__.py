"""The leaderboard as people read it: one builder, rendered as a page, JSON, CSV and SVG plots.

:mod:`.builder` makes a view (track, category, sort) from the latest snapshot and the live
figures; :mod:`.plotdata` the pairwise matrices and the rating history behind the plots;
:mod:`.plots` draws them as SVG; :mod:`.model_page` builds a model's page; :mod:`.table` writes
the CSV. Their queries are :mod:`arena.store.reads.leaderboard`, whose :func:`data_version` is
the cheap version key behind the ETags.
"""

from arena.services.leaderboard.builder import BoardQuery, build_leaderboard
from arena.services.leaderboard.schema import Leaderboard
from arena.store.reads.leaderboard import data_version

__all__ = ["BoardQuery", "Leaderboard", "build_leaderboard", "data_version"]
