"""Vote integrity: watch time, rate limits, the anomalous-voter test, position bias.

The rules here are pure functions of their inputs. The writes they lead to live in
:mod:`arena.store.integrity` (screening a vote), :mod:`arena.store.flags`,
:mod:`arena.store.ratelimits` and :mod:`arena.store.pairstats`; the reads admins and the
recompute use, in :mod:`arena.store.reads.integrity`.
"""
