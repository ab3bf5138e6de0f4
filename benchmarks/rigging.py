"""Rigging: how far can a sybil attacker lift one model, with Arena's defenses off and on?

Seven models with known strengths (the demo's true Elo). Honest voters vote by
Bradley-Terry on the true strengths after watching the clips. The attacker controls many
cookies over a few addresses and wants to lift ``Pixelbrook Lite`` (true rank 6 of 7). The
arena is blind, so the attacker must first guess whether the target is in a battle and on
which side (Min et al., ICML 2025, "Improving Your Model Ranking on Chatbot Arena by Vote
Rigging": identification is the first step); we give them a detector of accuracy ``--accuracy``.
When they think the target is there they vote for it; otherwise they skip the battle.

Every vote goes through the real store (``record_vote`` with the configured policy) with
simulated clocks, on SQLite. The honest history is built once and copied per scenario, so
attacks land after it (the anomaly test then sees the full consensus, as on a live arena).
The Bradley-Terry fit is over the votes that count (PairStat), ties as half a win.

    python benchmarks/rigging.py [--honest 2000] [--attack 1500] [--accuracy 0.9] [--out F]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlmodel import col, func, select

from arena import store
from arena.core.errors import RateLimited
from arena.core.integrity.policy import IntegrityPolicy, parse_limits
from arena.core.matchmaking import choose
from arena.media.probe import ClipInfo
from arena.registry.base import ModelSpec, PromptSpec
from arena.settings import Settings, integrity_policy
from arena.store.engine import make_engine, prepare_schema, session_scope
from arena.store.reads.integrity import pair_stat_counts, vote_sources
from arena.store.reads.pools import load_catalog
from arena.store.tables import Model, VoterState

TRUE = {
    "aurora-2": 1160,
    "kestrel-1.5": 1090,
    "mosaic-video": 1020,
    "nimbus-flash": 980,
    "driftwood-v3": 950,
    "pixelbrook-lite": 900,
    "static-0": 800,
}
TARGET = "pixelbrook-lite"
TRACK = "text-to-video"
CLIP_SECONDS = 5.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)
OUT = Path(__file__).resolve().parent / "integrity" / "results"


def build_arena(db: Path) -> None:
    engine = make_engine(f"sqlite:///{db}")
    prepare_schema(engine)
    info = ClipInfo("mp4", 1, CLIP_SECONDS, 640, 360, 24.0, "h264", "yuv420p", None, None, None, {})
    with session_scope(engine, write=True) as session:
        for p in range(12):
            spec = PromptSpec(id=f"p{p}", track=TRACK, text=f"prompt {p}", categories=("motion",))
            store.upsert_prompt(session, spec=spec, image_file=None)
        for slug in TRUE:
            model = store.upsert_model(
                session, spec=ModelSpec(id=slug, name=slug, provider="sim", tracks=(TRACK,))
            )
            assert model.id is not None
            for p in range(12):
                store.put_clip(
                    session,
                    model_id=model.id,
                    prompt_id=f"p{p}",
                    track=TRACK,
                    public_id=f"{slug}-{p}".ljust(16, "x"),
                    file="none.mp4",
                    digest="",
                    info=info,
                )
    engine.dispose()


@dataclass(frozen=True)
class Attack:
    name: str
    policy: IntegrityPolicy
    battles: int = 0
    addresses: int = 20
    votes_per_cookie: int = 2
    patient: bool = True
    """Waits for the clips to play before voting (else votes at once, claiming it watched)."""


def simulate(
    db: Path, *, honest: int, attack: Attack | None, accuracy: float, seed: int
) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    engine = make_engine(f"sqlite:///{db}")
    catalog = load_catalog(engine)
    pool = catalog.pool(TRACK)
    with session_scope(engine) as session:
        slug = {m.id: m.slug for m in session.exec(select(Model))}
    settings = Settings(data_dir=db.parent)
    honest_policy = integrity_policy(settings)

    def battle(voter: str, now: datetime, policy: IntegrityPolicy | None, ip: str) -> object:
        choice = choose(pool, rng, strategy="uniform", rotation=catalog.rotation, track=TRACK)
        limits = []
        if policy is not None:
            limits = [(f"battle:v:{voter}", lim) for lim in policy.voter_battle_limits]
            limits += [(f"battle:ip:{ip}", lim) for lim in policy.ip_battle_limits]
        with session_scope(engine, write=True) as session:
            return store.create_battle(
                session,
                track=TRACK,
                prompt_id=choice.prompt_id,
                left=choice.left,
                right=choice.right,
                voter_id=voter,
                ttl_seconds=1800,
                strategy="uniform",
                probability=choice.probability,
                now=now,
                limits=limits,
            )

    def cast(b: object, outcome: str, now: datetime, watch: int, policy: IntegrityPolicy, ip: str):
        with session_scope(engine, write=True) as session:
            return store.record_vote(
                session,
                battle_id=b.id,  # type: ignore[attr-defined]
                voter_id=b.voter_id,  # type: ignore[attr-defined]
                outcome=outcome,
                watch_ms=watch,
                k=4.0,
                initial=1000.0,
                now=now,
                policy=policy,
                ip_hash=ip,
            )

    if honest:
        for i in range(honest):
            now = T0 + timedelta(seconds=86400 * i / honest)
            voter, ip = f"honest-{i % 200}", f"home-{i % 200}"
            b = battle(voter, now, honest_policy, ip)
            left, right = TRUE[slug[b.left_model_id]], TRUE[slug[b.right_model_id]]  # type: ignore[attr-defined]
            p_left = 1 / (1 + 10 ** ((right - left) / 400))
            outcome = "tie" if rng.random() < 0.08 else ("a" if rng.random() < p_left else "b")
            watch = int(CLIP_SECONDS * 1000 + rng.integers(500, 6000))
            cast(b, outcome, now + timedelta(milliseconds=watch + 300), watch, honest_policy, ip)
        engine.dispose()
        return {}
    assert attack is not None
    tally = {"battles": 0, "votes": 0, "counted": 0, "rate_limited": 0, "skipped": 0}
    start = T0 + timedelta(days=1)
    for i in range(attack.battles):
        now = start + timedelta(seconds=86400 * i / attack.battles)
        voter = f"sybil-{i // max(attack.votes_per_cookie, 1)}"
        ip = f"proxy-{i % attack.addresses}"
        try:
            b = battle(voter, now, attack.policy, ip)
        except RateLimited:
            tally["rate_limited"] += 1
            continue
        tally["battles"] += 1
        sides = {"a": slug[b.left_model_id], "b": slug[b.right_model_id]}  # type: ignore[attr-defined]
        truth = next((side for side, s in sides.items() if s == TARGET), None)
        if rng.random() < accuracy:
            guess = truth  # the detector is right: target's side, or "not here"
        else:
            guess = {"a": "b", "b": "a"}[truth] if truth else str(rng.choice(["a", "b"]))
        if guess is None:
            tally["skipped"] += 1
            continue
        wait = int(CLIP_SECONDS * 1000 + 200) if attack.patient else 150
        try:
            result = cast(b, guess, now + timedelta(milliseconds=wait), 6000, attack.policy, ip)
        except RateLimited:
            tally["rate_limited"] += 1
            continue
        tally["votes"] += 1
        tally["counted"] += result.counted
    with session_scope(engine) as session:
        flagged = session.exec(
            select(func.count()).select_from(VoterState).where(col(VoterState.flagged))
        ).one()
    engine.dispose()
    return {**tally, "sybils_flagged": flagged}


def bradley_terry(db: Path) -> dict[str, float]:
    """MM fit (Hunter 2004) over the counted votes, ties as half a win; Elo scale, mean 1000."""
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as session:
        counts = pair_stat_counts(session)
        slug = {m.id: m.slug for m in session.exec(select(Model))}
    engine.dispose()
    ids = sorted(slug)
    index = {m: i for i, m in enumerate(ids)}
    wins = np.zeros((len(ids), len(ids)))
    for (_track, category, lo, hi, outcome), n in counts.items():
        if category:
            continue
        i, j = index[lo], index[hi]
        share = {"a": 1.0, "b": 0.0}.get(outcome, 0.5)
        wins[i, j] += n * share
        wins[j, i] += n * (1 - share)
    games = wins + wins.T
    p = np.ones(len(ids))
    for _ in range(2000):
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)
        p = wins.sum(axis=1) / denom
        p /= np.exp(np.log(p).mean())
    elo = 400 * np.log10(p)
    elo += 1000 - elo.mean()
    return {slug[m]: float(elo[index[m]]) for m in ids}


def sources(db: Path) -> dict[str, object]:
    """What the admin view ``vote-sources`` shows for the target, and for the other models."""
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as session:
        rows = vote_sources(session, track=TRACK, since=T0, new_below=5)
    engine.dispose()
    target = next(r for r in rows if r.model == TARGET)
    others = [r for r in rows if r.model != TARGET]
    return {
        "target_new_voter_win_share": target.new_voter_win_share,
        "others_new_voter_win_share_max": max(r.new_voter_win_share or 0.0 for r in others),
        "target_top5_address_win_share": target.top_address_win_share,
        "others_top5_address_win_share_max": max(r.top_address_win_share or 0.0 for r in others),
    }


def standing(ratings: dict[str, float]) -> dict[str, object]:
    order = sorted(ratings, key=ratings.get, reverse=True)  # type: ignore[arg-type]
    return {"target_rating": round(ratings[TARGET], 1), "target_rank": order.index(TARGET) + 1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--honest", type=int, default=2000)
    parser.add_argument("--attack", type=int, default=1500, help="battles the attacker opens")
    parser.add_argument("--accuracy", type=float, default=0.9, help="target detector accuracy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=OUT / "rigging.json", help="where the JSON result is written"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="arena-rigging-"))
    base = work / "honest.db"
    started = time.monotonic()
    build_arena(base)
    simulate(base, honest=args.honest, attack=None, accuracy=args.accuracy, seed=args.seed)
    defaults = integrity_policy(Settings(data_dir=work))
    strict = replace(defaults, ip_vote_limits=parse_limits("30/day"))
    off = IntegrityPolicy()
    attacks = [
        Attack("defenses off", off, args.attack, patient=False),
        Attack("defaults on, hasty attacker (votes at once)", defaults, args.attack, patient=False),
        Attack("defaults on, patient attacker, new cookie every 2 votes", defaults, args.attack),
        Attack(
            "defaults on, patient attacker, one cookie per address",
            defaults,
            args.attack,
            votes_per_cookie=10**9,
        ),
        Attack("strict address cap (30 votes/day), patient attacker", strict, args.attack),
    ]
    rows = [
        {
            "scenario": "no attack (honest votes only)",
            **standing(bradley_terry(base)),
            **sources(base),
        }
    ]
    for i, attack in enumerate(attacks):
        db = work / f"attack-{i}.db"
        shutil.copyfile(base, db)
        tally = simulate(db, honest=0, attack=attack, accuracy=args.accuracy, seed=args.seed + 1)
        rows.append(
            {"scenario": attack.name, **standing(bradley_terry(db)), **tally, **sources(db)}
        )
    result = {
        "honest_votes": args.honest,
        "attacker_battles": args.attack,
        "detector_accuracy": args.accuracy,
        "addresses": 20,
        "true_rank": 6,
        "true_elo": TRUE,
        "seconds": round(time.monotonic() - started, 1),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
