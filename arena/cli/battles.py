"""``arena battles purge``: delete expired battles nobody voted on, now (the server also does
it on a schedule)."""

from __future__ import annotations

import argparse

from arena.cli.common import add_common, open_engine, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    battles = sub.add_parser("battles", help="housekeeping of issued battles")
    actions = battles.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = actions.add_parser(
        "purge",
        help="delete expired battles that never got a vote (voted ones are kept)",
        description="Delete every battle that expired over a minute ago without a vote, in "
        "batches of one transaction each. A running server does the same every "
        "ARENA_BATTLE_TTL seconds (at most hourly).",
    )
    add_common(purge)
    purge.set_defaults(handler=purge_command)


def purge_command(args: argparse.Namespace) -> int:
    from arena.services.battles import pending_expired_battles, purge_expired_battles, purge_grace

    settings = settings_from(args)
    engine = open_engine(settings)
    try:
        purged = purge_expired_battles(engine, grace=purge_grace(settings))
        left = pending_expired_battles(engine)
    finally:
        engine.dispose()
    print(f"purged {purged} expired battles without a vote; {left} expired too recently to purge")
    return 0
