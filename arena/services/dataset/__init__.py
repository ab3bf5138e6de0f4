"""Data releases: the vote log exported (FastChat, JSON lines, CSV, parquet) and imported back.

:mod:`.records` defines the formats both ways, :mod:`.export` streams the votes out with
salted voter hashes, :mod:`.importer` checks and loads a file (writes: :mod:`arena.store`);
:mod:`.release` writes parquet releases (:mod:`.parquet`) with their dataset card (:mod:`.card`).
"""
