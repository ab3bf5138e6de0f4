"""Which file each side of a battle shows, to whom and until when (the clip URLs' authority)."""

from __future__ import annotations

from collections import OrderedDict

import anyio.to_thread

from arena.core.vocabulary import Side
from arena.store import Engine
from arena.store.engine import session_scope
from arena.store.reads.catalog import BattleClip, battle_clip

__all__ = ["BattleClip", "BattleClips"]


class BattleClips:
    """Which file each side of a battle shows, to whom and until when: read from the store at
    a battle's first clip request, then kept, since a battle never changes. A player sends
    several range requests per clip; after the first, authorizing one costs no database
    read and no thread hop. Used on the event loop only; the oldest entries go first.
    """

    def __init__(self, engine: Engine, size: int = 8192) -> None:
        self.engine = engine
        self.size = size
        self._known: OrderedDict[tuple[str, str], BattleClip] = OrderedDict()

    async def get(self, battle_id: str, side: Side) -> BattleClip | None:
        key = (battle_id, side)
        found = self._known.get(key)
        if found is None:
            found = await anyio.to_thread.run_sync(self._read, battle_id, side)
            if found is not None:
                self._known[key] = found
                if len(self._known) > self.size:
                    self._known.popitem(last=False)
        return found

    def _read(self, battle_id: str, side: Side) -> BattleClip | None:
        with session_scope(self.engine) as session:
            return battle_clip(session, battle_id=battle_id, side=side)
