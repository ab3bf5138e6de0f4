"""Vote integrity: watch time, rate limits, the anomalous-voter test, position bias.

The rules here are pure functions of their inputs; the writes they lead to live in
:mod:`arena.store.integrity` and the reads admins use in :mod:`arena.integrity.queries`.
"""
