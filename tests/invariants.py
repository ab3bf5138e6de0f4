"""The statistics invariant, checked after every writer of votes, exclusions, flags, claims and
categories: the maintained PairStat rows equal a GROUP BY over the votes that count."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from arena.store.engine import session_scope
from arena.store.reads.integrity import pair_stat_counts, rescan_pair_counts


def assert_stats_equal_group_by(engine: Engine) -> int:
    """Fail, naming each differing (track, category, lo, hi, outcome) row, unless the
    maintained statistics equal the GROUP BY; return how many votes count (whole tracks)."""
    with session_scope(engine) as session:
        maintained = pair_stat_counts(session)
        expected = rescan_pair_counts(session)
    wrong = {
        key: (maintained.get(key, 0), expected.get(key, 0))
        for key in maintained.keys() | expected.keys()
        if maintained.get(key, 0) != expected.get(key, 0)
    }
    assert not wrong, "PairStat != GROUP BY (maintained, expected): " + "; ".join(
        f"{key}: {pair}" for key, pair in sorted(wrong.items())
    )
    return sum(n for (_, category, *_), n in expected.items() if category == "")
