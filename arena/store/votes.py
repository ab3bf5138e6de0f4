"""Battle and vote writes: issue a battle; record its one vote with the live rating update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from arena.core.clock import utcnow
from arena.core.errors import Conflict, Forbidden, Gone, NotFound, RateLimited
from arena.core.integrity.policy import IntegrityPolicy
from arena.core.ranking.elo import elo_update
from arena.core.schemas import RevealedSide, VoteResult
from arena.core.vocabulary import SCORE
from arena.store.driver import Sql, Tx, upsert
from arena.store.integrity import Ballot, screen_vote
from arena.store.monitor import REFUSED, run_filter, tally
from arena.store.pairstats import add_pair_counts, pair_keys
from arena.store.ratelimits import take_rate
from arena.store.reveals import remember_reveals
from arena.store.tables import OnlineRating

NO_RULES = IntegrityPolicy()
"""No watch-time rule, no limits, no anomaly test: for simulations and imports."""

NOTES = {
    "watch_time": "Your vote was recorded but does not count: the clips did not play long "
    "enough before it. Watch both clips, then vote.",
    "identity": "Your vote was recorded but does not count: this arena counts the votes of "
    "invited or signed-in voters only. Open your invitation link, or sign in, then vote.",
    "seen": "Your vote was recorded but does not count: an earlier vote of yours had already "
    "shown you which model made one of these clips, so this vote was not blind.",
    "voter": "Your vote was recorded and is held for review; it does not count for now.",
}
"""What the voter is told when a vote is stored but excluded (never the exact rule hit)."""


_FIND_BATTLE = Sql(
    'SELECT b."voter_id", b."track", b."prompt_id", b."left_model_id", b."right_model_id", '
    'b."issued_at", b."expires_at", v."id", b."left_clip_id", b."right_clip_id", '
    'ma."slug", ma."name", ma."organization", mb."slug", mb."name", mb."organization", '
    '(SELECT min(c."duration") FROM clip c WHERE c."id" IN (b."left_clip_id", b."right_clip_id")) '
    "FROM battle b "
    'LEFT JOIN vote v ON v."battle_id" = b."id" '
    'JOIN model ma ON ma."id" = b."left_model_id" '
    'JOIN model mb ON mb."id" = b."right_model_id" '
    'WHERE b."id" = :id'
)
_INSERT_VOTE = Sql(
    'INSERT INTO vote ("battle_id", "track", "prompt_id", "model_a_id", "model_b_id", '
    '"outcome", "voter_id", "created_at", "watch_ms", "ip_hash") VALUES (:battle_id, :track, '
    ":prompt_id, :a, :b, :outcome, :voter_id, :created_at, :watch_ms, :ip_hash) "
    'RETURNING "id"'
)
_RATINGS = Sql(
    'SELECT "model_id", "rating" FROM onlinerating WHERE "track" = :track '
    'AND "model_id" IN (:a, :b)'
)
_CATEGORIES = Sql('SELECT "category" FROM promptcategory WHERE "prompt_id" = :prompt')
_MOVE_RATING = Sql(
    'UPDATE onlinerating SET "rating" = :rating, "votes" = "votes" + 1, "wins" = "wins" + :win, '
    '"losses" = "losses" + :loss, "ties" = "ties" + :tie '
    'WHERE "track" = :track AND "model_id" = :model'
)


def record_vote(
    session: Session,
    *,
    battle_id: str,
    voter_id: str,
    outcome: str,
    watch_ms: int | None,
    k: float,
    initial: float,
    now: datetime | None = None,
    policy: IntegrityPolicy = NO_RULES,
    ip_hash: str | None = None,
) -> VoteResult:
    """Store the one vote of a battle; if it counts, update the live ratings and statistics.

    Raises :class:`NotFound` (no such battle), :class:`Forbidden` (issued to another voter),
    :class:`Conflict` (already voted), :class:`Gone` (expired) or :class:`RateLimited` (the
    voter or address is over a vote limit of ``policy``; no vote is stored, the refusal is
    tallied for the integrity monitor). A vote that fails the watch-time rule, shows a clip
    an earlier vote revealed to the voter (``seen``, :mod:`arena.store.reveals`; the battle's
    clips are remembered as revealed to the voter either way), comes from a voter the arena
    does not count (``identity``), or from a flagged voter, is stored with an exclusion and
    moves nothing (``counted`` is false). Open the session with
    ``session_scope(engine, write=True)`` so SQLite takes its write lock first.

    About ten fixed statements in one transaction (see :mod:`arena.store.driver`).
    """
    now = now or utcnow()
    tx = Tx(session)
    found = tx.row(_FIND_BATTLE, {"id": battle_id})
    if found is None:
        raise NotFound(f"no battle {battle_id!r}")
    owner, track, prompt_id, a, b, issued, expires, voted, *clips_names, clip_seconds = found
    clips, names = clips_names[:2], clips_names[2:]
    if owner != voter_id:
        raise Forbidden(f"battle {battle_id!r} was issued to another voter")
    if voted is not None:
        raise Conflict(f"battle {battle_id!r} already has a vote")
    expires = tx.read_time(expires)
    if now > expires:
        raise Gone(f"battle {battle_id!r} expired at {expires.isoformat()}")
    limits = [(f"vote:v:{voter_id}", limit) for limit in policy.voter_vote_limits]
    if ip_hash:
        limits += [(f"vote:ip:{ip_hash}", limit) for limit in policy.ip_vote_limits]
    try:
        run_filter(
            tx,
            "rate_limit",
            partial(take_rate, tx, limits=limits, now=now.timestamp(), what="votes"),
            track=track,
            now=now,
            savepoint=bool(limits) and not tx.sqlite,
        )
    except RateLimited:
        # Refused: no vote is stored, so the monitor's count of it is its own transaction.
        tx.rollback()
        tally(Tx(session), now=now, track=track, filter="rate_limit", kind=REFUSED)
        session.commit()
        raise
    try:
        (vote_id,) = tx.rows(
            _INSERT_VOTE,
            {
                "battle_id": battle_id,
                "track": track,
                "prompt_id": prompt_id,
                "a": a,
                "b": b,
                "outcome": outcome,
                "voter_id": voter_id,
                "created_at": tx.time(now),
                "watch_ms": watch_ms,
                "ip_hash": ip_hash,
            },
        )[0]
    except IntegrityError:
        tx.rollback()
        raise Conflict(f"battle {battle_id!r} already has a vote") from None
    seen = remember_reveals(
        tx, voter_id=voter_id, track=track, clip_ids=clips, vote_id=vote_id, now=now
    )
    verdict = screen_vote(
        tx,
        vote=Ballot(vote_id, voter_id, track, a, b, outcome, watch_ms),
        seen=seen,
        elapsed_ms=(now - tx.read_time(issued)).total_seconds() * 1000,
        clip_seconds=clip_seconds or 0.0,
        policy=policy,
        now=now,
    )
    reveal = partial(_result, battle_id, outcome, names[:3], names[3:], excluded=verdict.reason)
    if not verdict.counted:
        ratings = dict(tx.rows(_RATINGS, {"track": track, "a": a, "b": b}))
        tx.commit()
        current = (ratings.get(a, initial), ratings.get(b, initial))
        return reveal(current, current)
    before_a, before_b = _lock_ratings(tx, track, a, b, initial)
    after = elo_update(before_a, before_b, SCORE[outcome], k=k)
    for model, rating, score in ((a, after[0], SCORE[outcome]), (b, after[1], 1 - SCORE[outcome])):
        tx.run(
            _MOVE_RATING,
            {
                "track": track,
                "model": model,
                "rating": rating,
                "win": int(score == 1.0),
                "loss": int(score == 0.0),
                "tie": int(score == 0.5),
            },
        )
    categories = [c for (c,) in tx.rows(_CATEGORIES, {"prompt": prompt_id})]
    add_pair_counts(tx, [(key, 1) for key in pair_keys(track, categories, a, b, outcome)])
    tx.commit()
    return reveal((before_a, before_b), after)


def _result(
    battle_id: str,
    outcome: str,
    model_a: Sequence[str],
    model_b: Sequence[str],
    before: tuple[float, float],
    after: tuple[float, float],
    *,
    excluded: str | None,
) -> VoteResult:
    """The reveal (from rows read inside the vote's transaction: no second one).

    ``model_a``/``model_b`` are (slug, name, organization).
    """
    return VoteResult(
        battle_id=battle_id,
        outcome=outcome,  # type: ignore[arg-type]
        left=_reveal(model_a, before[0], after[0]),
        right=_reveal(model_b, before[1], after[1]),
        counted=excluded is None,
        note=NOTES.get(excluded or ""),
    )


def _reveal(model: Sequence[str], before: float, after: float) -> RevealedSide:
    slug, name, organization = model
    return RevealedSide(
        model=slug,
        name=name,
        organization=organization,
        rating_before=round(before, 2),
        rating=round(after, 2),
    )


def _lock_ratings(tx: Tx, track: str, a: int, b: int, initial: float) -> tuple[float, float]:
    """Both models' live ratings, created at ``initial`` if new, locked in id order.

    One INSERT ... ON CONFLICT DO UPDATE (a no-op update) RETURNING creates, locks and reads
    both rows; the VALUES are in id order, so concurrent votes lock in the same order.
    """
    rows = upsert(
        tx,
        OnlineRating,
        [
            {"track": track, "model_id": m, "rating": initial, "votes": 0}
            | {"wins": 0, "losses": 0, "ties": 0}
            for m in sorted({a, b})
        ],
        conflict=("track", "model_id"),
        update='"rating" = onlinerating."rating"',
        returning='"model_id", "rating"',
    )
    by_id: dict[int, float] = {model: rating for model, rating in rows}
    return by_id[a], by_id[b]
