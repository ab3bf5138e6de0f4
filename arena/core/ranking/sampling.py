# Long because the exact multinomial sampler and its fast paths are checked together.
"""Exact multinomial resampling of aggregated vote counts, fast enough for a 1000-round bootstrap.

Resampling N votes with replacement is a draw from Multinomial(N, counts / N). numpy's
``Generator.multinomial`` draws one binomial per category per round (about 150 ns each: 2 s for
15,000 categories x 1000 rounds). :class:`Resampler` draws the same distribution exactly, about
ten times faster, by Poissonization:

1. X_k ~ Poisson(lam * c_k / N) independently, lam = N - z sqrt(N). Whatever their total T,
   given T = t the vector X is Multinomial(t, c / N) (a property of independent Poisson counts).
2. A round with T > N is drawn again. Keeping only rounds with T <= N selects on T alone, so
   given T = t the vector is still Multinomial(t, c / N).
3. N - T more votes are drawn with replacement (by inversion of the categories' CDF). A sum of
   independent multinomials with the same probabilities is multinomial, so the result is
   Multinomial(N, c / N) for every t, hence unconditionally.

z trades redrawn rounds against added votes (:func:`_margin`): 1.75 at 1M votes over 15,000
categories (4% of rounds redrawn, about 1.8 sqrt(N) votes added per round), 1.25 at 10M.

Poisson draws are by inversion of a table per distinct count (counts repeat a lot: 190 distinct
values among 15,000 categories at 1M votes): u = k / 2^53 from ``Generator.random``, the table's
CDF rounded down to a multiple of 2^-53 (so every comparison is exact), a guide table of 2^g cells
giving the answer directly for cells that hold no CDF step and the place to start a short search
for the others. The table covers mean - 8.5 sd .. mean + 9 sd + 10, outside which a Poisson has
less than 1e-17 of its mass, far below the 2^-53 resolution of the draws; probabilities are those
of numpy's own samplers to the precision of a double. Very large means (tables over the memory
budget) fall back to ``Generator.poisson``. Categories are processed category-major, so each
table stays in cache while it serves a chunk of rounds.
"""

from __future__ import annotations

import math
import threading

import numpy as np

#: largest (distinct counts x table width) kept in tables; means beyond use Generator.poisson
TABLE_BUDGET = 4_000_000
#: measured cost of one added vote (step 3) relative to one Poisson draw (step 1)
ADD_COST = 1.4
#: guide cells per standard deviation, at most (about 1 draw in 25 then needs a short search),
#: and the most guide cells in all (32 MB)
CELLS_PER_SD = 128.0
GUIDE_BUDGET = 4_000_000
#: Poisson tables built at once
BATCH = 64
#: Poisson draws made at once (a few hundred kB of work arrays: they stay in the core's cache)
BLOCK = 65_536


def _margin(ratio: float) -> float:
    """z for lam = N - z sqrt(N) that minimises the expected work per round (in Poisson draws).

    ``ratio`` is sqrt(N) / K. A round costs K draws, repeated with probability 1 - Phi(z), plus
    E[N - T | T <= N] = sqrt(N) (z + phi(z) / Phi(z)) added votes (T ~ Normal(lam, N)).
    """

    def work(z: float) -> float:
        cdf = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
        pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return 1.0 / cdf + ADD_COST * ratio * (z + pdf / cdf)

    return min((0.25 * k for k in range(13)), key=work)


def _poisson_tables(means: np.ndarray) -> tuple[np.ndarray, ...]:
    """Inversion tables for Poisson(means) (D,), ascending and positive.

    Returns (cdf, guide, cells (D,), guide offsets (D,), lo (D,), starts (D + 1,)): the CDF
    values of table t for lo_t, lo_t + 1, ... are ``cdf[starts[t] : starts[t + 1]]``; table t's
    cells start at ``guide[offsets_t]`` and hold values and CDF indexes relative to lo_t and
    starts[t] (int16: a small guide stays in cache; see :func:`_guide`). Built a few tables at
    a time, so the work arrays stay small.
    """
    sd = np.sqrt(means)
    lo = np.maximum(np.floor(means - 8.5 * sd), 0).astype(np.int64)
    width = np.ceil(means + 9.0 * sd + 10.0).astype(np.int64) - lo + 1
    starts = np.concatenate([[0], np.cumsum(width)])
    per_sd = min(CELLS_PER_SD, GUIDE_BUDGET / 2.0 / float(sd.sum()))
    cells = 2.0 ** np.ceil(np.log2(np.maximum(per_sd * sd, 64.0)))
    # pmf(k) / pmf(k - 1) = mean / k: each table's pmf up to a constant is a running product
    inverse = np.concatenate([[1.0], 1.0 / np.arange(1, int((lo + width).max()) + 1)])
    cdf_out = np.empty(int(starts[-1]))
    guide_out = np.empty(int(cells.sum()), np.int16)
    offsets = np.concatenate([[0.0], np.cumsum(cells)])
    # similar means together (little padding), largest first (later blocks reuse the memory)
    for first in range(BATCH * ((means.size - 1) // BATCH), -1, -BATCH):
        t = slice(first, first + BATCH)
        k = np.arange(int(width[t].max()))
        valid = k < width[t, None]
        k = k + lo[t, None]
        ratio = inverse[k]
        ratio *= means[t, None]
        ratio[:, 0] = 1.0
        cdf = np.cumprod(ratio, axis=1)  # from 8.5 sd below the mean: at most about 1e16
        cdf[~valid] = 0.0
        np.cumsum(cdf, axis=1, out=cdf)
        cdf /= cdf[:, -1:]
        cdf = np.floor(cdf * 2.0**53) * 2.0**-53  # multiples of 2^-53, like the uniforms
        cdf[:, -1] = 1.0
        local = np.broadcast_to(np.arange(k.shape[1]), k.shape)
        last = min(first + BATCH, means.size)
        guide = _guide(cdf, local, local, cells[t], np.int16)
        guide_out[int(offsets[first]) : int(offsets[last])] = guide
        cdf_out[starts[first] : starts[last]] = cdf[valid]
    return cdf_out, guide_out, cells, offsets[:-1], lo, starts


def _guide(
    cdf: np.ndarray, values: np.ndarray, index: np.ndarray, cells: np.ndarray, dtype: type
) -> np.ndarray:
    """Guide tables for inversion of the CDFs in the rows of ``cdf`` (D, W), each ending at 1.

    Table t has ``cells[t]`` (a power of two) cells, one after the other; u in [g / cells,
    (g + 1) / cells) is cell g. A cell that holds no CDF step stores the draw itself (``values``
    of its entry); a cell that does stores -1 - (``index`` of the entry where the search for the
    first CDF value above u starts). Returns ``dtype`` (sum of cells,).
    """
    scaled = cdf * cells[:, None]  # exact: a power of two times a multiple of 2^-53
    ends = np.ceil(scaled).astype(np.int64)  # cells [ends(k-1), ends(k)) start their search at k
    owned = np.diff(ends, axis=1, prepend=0).ravel()
    guide: np.ndarray = np.repeat(values.ravel().astype(dtype), owned)
    # the last cell of entry k holds a CDF step unless cdf(k) * cells is a whole number
    step_inside = (owned > 0) & (scaled.ravel() != ends.ravel())
    last_cell = np.cumsum(owned) - 1
    guide[last_cell[step_inside]] = -1 - index.ravel()[step_inside]
    return guide


def _invert(
    u: np.ndarray, work: tuple[np.ndarray, ...], tables: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-CDF draws for uniforms ``u`` (n, size), into ``work[2]``.

    ``work`` = (float64, int64, guide's dtype) arrays of u's shape; ``tables`` = (guide, cdf, scale
    (n, 1), offset (n, 1)): row r uses the table at ``offset[r]`` with ``scale[r]`` cells.
    Draws whose cell holds a CDF step are left unfinished: returns their flat positions, the CDF
    index their search starts at, and their uniforms, for :func:`_climb`.
    """
    cell, index, drawn = work
    guide, _, scale, offset = tables
    np.multiply(u, scale, out=cell)
    cell += offset
    np.copyto(index, cell, casting="unsafe")  # floor: cells are >= 0
    np.take(guide, index, out=drawn, mode="clip")
    flat = drawn.reshape(-1)
    todo = np.flatnonzero(flat < 0)
    return todo, -1 - flat[todo].astype(np.int64), u.reshape(-1)[todo]


def _climb(cdf: np.ndarray, at: np.ndarray, key: np.ndarray, steps: int = 3) -> np.ndarray:
    """Move the draws left by :func:`_invert` up to the first CDF index whose value exceeds
    ``key``, at most ``steps`` places (in place); returns the positions of those not there yet
    (uniforms in a tail cell, which holds many values: finish them with :func:`_bisect`)."""
    live = np.flatnonzero(cdf[at] <= key)
    for _ in range(steps):
        if not live.size:
            break
        at[live] += 1
        live = live[cdf[at[live]] <= key[live]]
    return live


def _bisect(cdf: np.ndarray, low: np.ndarray, key: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The first CDF index in [low, end] whose value exceeds ``key`` (cdf[end] = 1 > key)."""
    low, high = low.copy(), end.copy()
    while (open_ := np.flatnonzero(low < high)).size:
        mid = (low[open_] + high[open_]) // 2
        above = cdf[mid] > key[open_]
        high[open_[above]] = mid[above]
        low[open_[~above]] = mid[~above] + 1
    return low


class Resampler:
    """Draws of Multinomial(N, counts / N): N votes resampled with replacement.

    ``counts`` (K,) whole, non-negative numbers with N = their sum > 0. Draws depend only on the
    generator's state, the round count and the sequence of non-zero counts (categories with no
    votes are always drawn zero and use no randomness), so the same seed gives the same draws.
    One resampler must not draw from two threads at once (it reuses work buffers).
    """

    def __init__(self, counts: np.ndarray) -> None:
        c = np.asarray(counts)
        if c.ndim != 1 or c.size == 0 or not np.array_equal(c, np.round(c)) or (c < 0).any():
            raise ValueError("counts must be a non-empty 1-d array of whole numbers >= 0")
        self.n_categories = c.size
        self.zero = np.flatnonzero(c == 0)
        self.nonzero = np.flatnonzero(c > 0)
        c = c[self.nonzero].astype(np.int64)
        self.total = n = int(c.sum())
        if n <= 0 or n >= 2**53:
            raise ValueError(f"counts must sum to between 1 and 2^53, got {n}")
        self.lam = max(n - _margin(math.sqrt(n) / c.size) * math.sqrt(n), 0.0)
        values, inverse = np.unique(c, return_inverse=True)
        means = values * (self.lam / n)
        n_tab = self._tabled(means) if self.lam > 0 else 0
        tabled = np.flatnonzero(inverse < n_tab)
        untabled = np.flatnonzero(inverse >= n_tab)
        self.tabled, self.untabled = self.nonzero[tabled], self.nonzero[untabled]
        self.big_means = means[inverse[untabled]][:, None]
        if tabled.size:
            cdf, guide, cells, offsets, lo, starts = _poisson_tables(means[:n_tab])
            t = inverse[tabled]
            self.tables = (guide, cdf, cells[t][:, None], offsets[t][:, None])
            self.lo, self.starts = lo[t].astype(np.float64)[:, None], starts[t]
            self.ends, self.base = starts[t + 1] - 1, starts[t] - lo[t]
        self._local = threading.local()  # work arrays, one set per drawing thread
        # categorical draws (votes added to a round): one inversion table over the categories
        cdf = np.floor(np.cumsum(c) / n * 2.0**53) * 2.0**-53
        cdf[-1] = 1.0
        cells = 2.0 ** np.ceil(np.log2(max(8.0 * c.size, 64.0)))
        position = np.arange(c.size)[None]
        guide = _guide(cdf[None], self.nonzero[None], position, np.array([cells]), np.int32)
        self.categorical = (guide, cdf, np.array([[cells]]), np.zeros((1, 1)))

    @staticmethod
    def _tabled(means: np.ndarray) -> int:
        """How many of the (ascending) distinct means get tables: within TABLE_BUDGET, and
        narrow enough for the int16 guide."""
        width = 17.5 * np.sqrt(means) + 12.0
        fits = ((np.arange(1, means.size + 1) * width) <= TABLE_BUDGET) & (width < 30_000)
        return int(means.size) if fits.all() else int(np.argmin(fits))

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(size, K) int64 resampled counts, each row summing to N."""
        return self.draw_major(rng, size).T.astype(np.int64)

    def draw_major(
        self, rng: np.random.Generator, size: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """The same draws as :meth:`draw`, category-major and as float64: (K, size), into
        ``out`` if given (reusing an array spares faulting in fresh memory)."""
        x = self._poisson(rng, size, out)
        total = x.sum(axis=0)
        while (over := np.flatnonzero(total > self.total)).size:
            x[:, over] = self._poisson(rng, over.size)
            total[over] = x[:, over].sum(axis=0)
        self._add(rng, x, (self.total - total).astype(np.int64))
        return x

    def _poisson(
        self, rng: np.random.Generator, size: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(K, size) independent Poisson counts, as float64."""
        x = np.empty((self.n_categories, size)) if out is None else out
        x[self.zero] = 0.0
        if self.tabled.size:
            self._tabled_draws(rng, x)
        if self.untabled.size:
            x[self.untabled] = rng.poisson(self.big_means, (self.untabled.size, size))
        return x

    def _tabled_draws(self, rng: np.random.Generator, x: np.ndarray) -> None:
        """Fill the tabled rows of ``x`` (K, size), a block of rows at a time.

        A block's uniforms and work arrays fit in the core's cache, so only ``x`` goes to
        memory; the uniforms are drawn in the same order as one call for all rows would.
        """
        size = x.shape[1]
        rows = min(max(1, BLOCK // size), self.tabled.size)
        flat = self._work("poisson", rows * size, np.int16)
        u, *work = (w[: rows * size].reshape(rows, size) for w in flat)
        guide, cdf, scale, offset = self.tables
        out = x.reshape(-1)
        left = []
        for start in range(0, self.tabled.size, rows):
            stop = min(start + rows, self.tabled.size)
            n = stop - start
            rng.random(out=u[:n])
            part = (guide, cdf, scale[start:stop], offset[start:stop])
            todo, at, key = _invert(u[:n], tuple(w[:n] for w in work), part)
            # the guide's values are relative to the table's lowest value
            first, last = self.tabled[start], self.tabled[stop - 1]
            if last - first == n - 1:  # consecutive rows of x
                np.add(work[2][:n], self.lo[start:stop], out=x[first : last + 1])
            else:
                np.add(work[2][:n], self.lo[start:stop], out=work[0][:n])
                x[self.tabled[start:stop]] = work[0][:n]
            row = todo // size + start
            at += self.starts[row]
            live = _climb(cdf, at, key)
            where = self.tabled[row] * size + todo % size
            out[where] = at - self.base[row]
            if live.size:
                left.append((where[live], at[live] + 1, key[live], row[live]))
        if left:
            where, at, key, row = (np.concatenate(part) for part in zip(*left, strict=True))
            out[where] = _bisect(cdf, at, key, self.ends[row]) - self.base[row]

    def _work(self, use: str, size: int, dtype: type) -> list[np.ndarray]:
        """This thread's uniforms and :func:`_invert` work arrays for ``size`` draws (flat, maybe
        longer).

        Kept between calls (grown when too small), so their memory is not faulted in anew.
        """
        have = getattr(self._local, use, None)
        if have is None or have[0].size < size:
            size = max(size, 2 * (0 if have is None else have[0].size))
            have = [np.empty(size), np.empty(size), np.empty(size, np.int64)]
            have.append(np.empty(size, dtype))
            setattr(self._local, use, have)
        return have

    def _add(self, rng: np.random.Generator, x: np.ndarray, need: np.ndarray) -> None:
        """Add need[b] votes drawn with replacement to round b (column b of ``x``), BLOCK
        votes at a time (in the order of one call for all)."""
        total = int(need.sum())
        size = x.shape[1]
        ends = np.cumsum(need)
        rounds = np.arange(size)
        flat = self._work("add", min(total, BLOCK), np.int32)
        cdf = self.categorical[1]
        for start in range(0, total, BLOCK):
            n = min(BLOCK, total - start)
            u, *work = (w[:n].reshape(1, n) for w in flat)
            rng.random(out=u)
            todo, at, key = _invert(u, tuple(work), self.categorical)
            where = work[2][0].astype(np.int64)
            live = _climb(cdf, at, key)
            at[live] = _bisect(cdf, at[live] + 1, key[live], np.full(live.size, cdf.size - 1))
            where[todo] = self.nonzero[at]
            where *= size
            inside = np.clip(ends, start, start + n) - np.clip(ends - need, start, start + n)
            where += np.repeat(rounds, inside)
            np.add.at(x.reshape(-1), where, 1.0)


def chunk_generators(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """``n`` independent generators seeded from ``rng``: one per chunk of bootstrap rounds, so
    chunks can be drawn in any order or at once and still give the same draws."""
    return [np.random.default_rng(int(seed)) for seed in rng.integers(0, 2**63, size=n)]


def multinomial(rng: np.random.Generator, counts: np.ndarray, size: int) -> np.ndarray:
    """(size, K) int64 draws of Multinomial(sum(counts), counts / sum(counts))."""
    return Resampler(counts).draw(rng, size)
