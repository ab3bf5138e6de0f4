"""Rigging: how far can a sybil attacker lift one model, with Arena's defenses off and on?

Seven models with known strengths (the demo's true Elo). Honest voters vote by
Bradley-Terry on the true strengths after watching the clips. The attacker controls many
cookies over a few addresses and wants to lift ``Pixelbrook Lite`` (true rank 6 of 7). The
arena is blind, so the attacker must first guess whether the target is in a battle and on
which side (Min et al., ICML 2025, "Improving Your Model Ranking on Chatbot Arena by Vote
Rigging": identification is the first step); we give them a detector of accuracy ``--accuracy``.
When they think the target is there they vote for it; otherwise they skip the battle.

The worst case (``mapped_attack``): an attacker that needs no detector. It hashes the bytes of
every clip it receives, and every vote's answer names both models, so its own reveals, pooled
across all its cookies, build an exact clip-to-model map. Each such scenario reports when the
target first rose one rank (votes, identities and addresses used by then) and where it stood
after one simulated day, with the defenses off, at their defaults, and with invitations
required (modelled as N identities, one per invitation: this branch has no invitation
setting).

Every vote goes through the real store (``record_vote`` with the configured policy) with
simulated clocks, on SQLite. The honest history is built once and copied per scenario, so
attacks land after it (the anomaly test then sees the full consensus, as on a live arena).
The Bradley-Terry fit is over the votes that count (PairStat), ties as half a win.

    python benchmarks/rigging.py [--honest 2000] [--attack 1500] [--accuracy 0.9] \
        [--mapped-battles 3000] [--invitations 1,3,10] [--scenarios all] [--out F]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from arena.store.tables import Clip, Model, Vote, VoteExclusion, VoterState

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
PROMPTS = 12
T0 = datetime(2026, 1, 1, tzinfo=UTC)
OUT = Path(__file__).resolve().parent / "integrity" / "results"


def build_arena(db: Path) -> None:
    engine = make_engine(f"sqlite:///{db}")
    prepare_schema(engine)
    info = ClipInfo("mp4", 1, CLIP_SECONDS, 640, 360, 24.0, "h264", "yuv420p", None, None, None, {})
    with session_scope(engine, write=True) as session:
        for p in range(PROMPTS):
            spec = PromptSpec(id=f"p{p}", track=TRACK, text=f"prompt {p}", categories=("motion",))
            store.upsert_prompt(session, spec=spec, image_file=None)
        for slug in TRUE:
            model = store.upsert_model(
                session, spec=ModelSpec(id=slug, name=slug, provider="sim", tracks=(TRACK,))
            )
            assert model.id is not None
            for p in range(PROMPTS):
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
    mapped: bool = False
    """Identifies clips exactly with its clip-to-model map (else: the detector)."""
    identities: int = 0
    """A fixed set of this many identities used in turn (invitations); 0: new cookies at will."""
    lift_to: int = 0
    """The rank the attack aims for (the no-attack rank minus one): when it is first reached."""
    check_every: int = 5
    premapped: bool = False
    """Starts with the whole map, built by cookies whose votes do not count (invitations)."""


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
        limits = []
        if policy is not None:
            limits = [(f"battle:v:{voter}", lim) for lim in policy.voter_battle_limits]
            limits += [(f"battle:ip:{ip}", lim) for lim in policy.ip_battle_limits]
        with session_scope(engine, write=True) as session:
            # As the server does: the voter's revealed clips are kept out of the battle while a
            # blind one is left (off with the defenses: then the arena remembers nothing).
            memory = policy is not None and policy.exclude_seen
            revealed = store.revealed_clips(session, voter_id=voter, track=TRACK)
            choice = choose(
                pool,
                rng,
                strategy="uniform",
                rotation=catalog.rotation,
                track=TRACK,
                revealed=revealed if memory else None,
            )
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
    if attack.mapped:
        tally = mapped_attack(db, attack, battle, cast, slug)
        engine.dispose()
        return tally
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


def mapped_attack(
    db: Path,
    attack: Attack,
    battle: Callable[..., Any],
    cast: Callable[..., Any],
    slug: dict[int, str],
) -> dict[str, object]:
    """The attacker with a perfect clip-to-model map, built from its own reveals.

    It hashes the bytes of every clip it receives; a clip's bytes never change, so the clip id
    stands for that hash here. Every vote's answer names both models, and the attacker adds
    both clips to one map shared by all its cookies. Per battle: the target's clip is in it,
    by the map: vote for it; a clip it does not know yet: vote ``tie`` to learn it (a mapping
    vote); both known, no target: skip. It also knows which clips each of its identities has
    had revealed, and skips a battle showing one while the arena excludes such votes (``seen``):
    they would not count. Identities are new cookies every ``votes_per_cookie`` votes, or a
    fixed set of ``identities`` used in turn (invitations). Every ``check_every`` votes the
    ratings are refitted; the first time the target reaches rank ``lift_to`` is recorded.
    """
    tally: dict[str, Any] = {
        "battles": 0,
        "votes": 0,
        "counted": 0,
        "target_votes": 0,
        "mapping_votes": 0,
        "rate_limited": 0,
        "skipped": 0,
        "skipped_seen": 0,
        "excluded": {},
    }
    known: dict[int, str] = {}
    if attack.premapped:
        known = clip_map(db, slug)
    revealed_to: dict[str, set[int]] = {}
    voters: set[str] = set()
    addresses: set[str] = set()
    skip_seen = attack.policy.exclude_seen
    start = T0 + timedelta(days=1)
    lifted: dict[str, object] | None = None
    for i in range(attack.battles):
        now = start + timedelta(seconds=86400 * i / attack.battles)
        if attack.identities:
            voter = f"invited-{i % attack.identities}"
        else:
            voter = f"sybil-{tally['votes'] // max(attack.votes_per_cookie, 1)}"
        ip = f"proxy-{i % attack.addresses}"
        try:
            b = battle(voter, now, attack.policy, ip)
        except RateLimited:
            tally["rate_limited"] += 1
            continue
        tally["battles"] += 1
        clips = (b.left_clip_id, b.right_clip_id)
        mine = revealed_to.setdefault(voter, set())
        if skip_seen and (clips[0] in mine or clips[1] in mine):
            tally["skipped_seen"] += 1
            continue
        names = [known.get(c) for c in clips]
        if TARGET in names:
            outcome, kind = ("a" if names[0] == TARGET else "b"), "target_votes"
        elif None in names:
            outcome, kind = "tie", "mapping_votes"
        else:
            tally["skipped"] += 1
            continue
        wait = int(CLIP_SECONDS * 1000 + 200) if attack.patient else 150
        try:
            result = cast(b, outcome, now + timedelta(milliseconds=wait), 6000, attack.policy, ip)
        except RateLimited:
            tally["rate_limited"] += 1
            continue
        known[clips[0]], known[clips[1]] = result.left.model, result.right.model
        mine.update(clips)
        voters.add(voter)
        addresses.add(ip)
        tally["votes"] += 1
        tally[kind] += 1
        tally["counted"] += result.counted
        if not result.counted:
            reason = excluded_reason(db, b.id)
            tally["excluded"][reason] = tally["excluded"].get(reason, 0) + 1
        if lifted is None and tally["votes"] % attack.check_every == 0:
            rank = int(standing(bradley_terry(db))["target_rank"])  # type: ignore[call-overload]
            if rank <= attack.lift_to:
                lifted = {
                    "votes": tally["votes"],
                    "counted": tally["counted"],
                    "target_votes": tally["target_votes"],
                    "mapping_votes": tally["mapping_votes"],
                    "identities": len(voters),
                    "addresses": len(addresses),
                    "battles": tally["battles"],
                    "rank": rank,
                }
    tally["clips_mapped"] = len(known)
    tally["identities_used"] = len(voters)
    tally["addresses_used"] = len(addresses)
    tally["lifted_one_rank_at"] = lifted
    return tally


def clip_map(db: Path, slug: dict[int, str]) -> dict[int, str]:
    """Every clip's model: the map uninvited cookies build, since their votes reveal too."""
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as session:
        rows = session.exec(select(Clip.id, Clip.model_id)).all()
    engine.dispose()
    return {clip: slug[model] for clip, model in rows if clip is not None}


def excluded_reason(db: Path, battle_id: str) -> str:
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as session:
        reason = session.exec(
            select(VoteExclusion.reason)
            .join(Vote, col(Vote.id) == col(VoteExclusion.vote_id))
            .where(Vote.battle_id == battle_id)
        ).one()
    engine.dispose()
    return reason


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
    parser.add_argument(
        "--mapped-battles",
        type=int,
        default=3000,
        help="battles the mapped attacker opens per scenario (over one simulated day)",
    )
    parser.add_argument(
        "--invitations",
        default="1,3,10",
        help="invitations the mapped attacker holds, one identity each (comma-separated)",
    )
    parser.add_argument(
        "--scenarios",
        choices=["all", "detector", "mapped", "invitations"],
        default="all",
        help="which to run (invitations: the mapped attacker's invitation rows only)",
    )
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
    no_attack = standing(bradley_terry(base))
    lift_to = int(no_attack["target_rank"]) - 1  # type: ignore[call-overload]
    n = args.mapped_battles
    # ARENA_REQUIRE_INVITATION does not exist on this branch: "invitations required" is
    # modelled as N invitations, one identity each, used in turn (no new cookie counts). The
    # map is still free: an uninvited cookie's vote does not count but its answer still names
    # the models, so those attackers start with the whole map and spend no invited vote on it.
    invited = [
        Attack(
            f"mapped, defaults on, invitations required: {k} invitation(s)",
            defaults,
            n,
            20,
            patient=True,
            mapped=True,
            identities=k,
            premapped=True,
        )
        for k in (int(x) for x in args.invitations.split(",") if x)
    ]
    mapped = [
        Attack("mapped, defenses off, one cookie, one address", off, n, 1, 10**9, False, True),
        Attack("mapped, defaults on, one cookie, one address", defaults, n, 1, 10**9, True, True),
        Attack("mapped, defaults on, new cookie every 10 votes", defaults, n, 20, 10, True, True),
        *invited,
    ]
    chosen = {
        "all": attacks + mapped,
        "detector": attacks,
        "mapped": mapped,
        "invitations": invited,
    }[args.scenarios]
    rows = [{"scenario": "no attack (honest votes only)", **no_attack, **sources(base)}]
    for i, attack in enumerate(chosen):
        attack = replace(attack, lift_to=lift_to)
        db = work / f"attack-{i}.db"
        shutil.copyfile(base, db)
        tally = simulate(db, honest=0, attack=attack, accuracy=args.accuracy, seed=args.seed + 1)
        rows.append(
            {"scenario": attack.name, **standing(bradley_terry(db)), **tally, **sources(db)}
        )
        print(json.dumps(rows[-1]), flush=True)
    result = {
        "honest_votes": args.honest,
        "attacker_battles": args.attack,
        "mapped_attacker_battles": args.mapped_battles,
        "detector_accuracy": args.accuracy,
        "addresses": 20,
        "true_rank": 6,
        "lift_to_rank": lift_to,
        "clips": {"models": len(TRUE), "prompts": PROMPTS, "target_clips": PROMPTS},
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
