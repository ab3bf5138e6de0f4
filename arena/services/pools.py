"""The current battle pools of this process, in memory: loaded, kept fresh, handed out.

Matchmaking runs on every battle page, so it reads this index instead of the database. The
index holds the active models' clips, the pairs they make, and each track's
:class:`~arena.core.matchmaking.state.PoolState` (live vote counts, current ratings and their
uncertainty, fitted from the maintained statistics at load). It is rebuilt when older than
``catalog_ttl_seconds``, in a background thread while the previous one keeps serving, so a
model synced, retired or claimed while the server runs, and every vote's effect on the
ratings, reach every worker within seconds with no restart and no cost on the request path.
"""

from __future__ import annotations

import logging
import threading
import time

from arena.core.matchmaking import Catalog, plan_for
from arena.core.matchmaking.rotation import Rotation
from arena.store import Engine
from arena.store.reads.pools import load_catalog

log = logging.getLogger(__name__)


def warm_plans(catalog: Catalog, previous: Catalog) -> None:
    """Build in ``catalog`` the matchmaking plans ``previous`` served, before it serves.

    So the O(pairs) plan of a strategy is computed in the reloading thread, not by the first
    battle after a reload.
    """
    for track, pool in catalog.pools.items():
        old = previous.pools.get(track)
        for key in list(old.cache) if old is not None else ():
            if isinstance(key, tuple) and key[0] == "plan":
                plan_for(pool, key[1], key[2])


class CatalogCache:
    """Hands out the current :class:`Catalog`, reloading it once it is ``ttl`` seconds old.

    The first load happens in the caller. After that a stale catalogue keeps serving while one
    background thread loads the next (queries, the state fits, and the plans the previous one
    served: :func:`warm_plans`), so no request waits for them; with ``ttl == 0`` (tests) every
    call loads a fresh one in the caller instead.
    """

    def __init__(self, engine: Engine, ttl: float, *, showcase: int = 0) -> None:
        self._engine, self._ttl, self._showcase = engine, ttl, showcase
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._loaded = 0.0
        self._refreshing = False
        self._rotation = Rotation()

    def get(self) -> Catalog:
        """The current catalogue, loaded here if there is none (or ``ttl == 0``)."""
        catalog = self.current()
        if catalog is not None:
            return catalog
        with self._lock:
            if self._catalog is None or time.monotonic() - self._loaded > self._ttl:
                self._reload()
        assert self._catalog is not None
        return self._catalog

    def current(self) -> Catalog | None:
        """The catalogue if it can be had without loading it in the caller, else None.

        A stale one is returned while a background thread loads the next.
        """
        catalog = self._catalog
        if catalog is None or time.monotonic() - self._loaded <= self._ttl:
            return catalog
        if self._ttl <= 0:
            return None
        with self._lock:
            start, self._refreshing = not self._refreshing, True
        if start:
            threading.Thread(target=self._refresh, name="arena-catalog", daemon=True).start()
        return catalog

    def _reload(self) -> None:
        catalog = load_catalog(self._engine, self._rotation, showcase=self._showcase)
        if self._catalog is not None:
            warm_plans(catalog, self._catalog)
        self._catalog = catalog
        self._loaded = time.monotonic()

    def _refresh(self) -> None:
        try:
            self._reload()
        except Exception:
            # Keep serving the catalogue we have and try again one ttl later.
            log.exception("reloading the catalogue failed")
            self._loaded = time.monotonic()
        finally:
            self._refreshing = False

    def invalidate(self) -> None:
        self._catalog = None
