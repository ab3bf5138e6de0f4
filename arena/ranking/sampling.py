"""Exact multinomial resampling of aggregated vote counts, fast enough for a 1000-round bootstrap.

Resampling N votes with replacement is a draw from Multinomial(N, counts / N). numpy's
``Generator.multinomial`` draws one binomial per category per round (about 150 ns each: 2 s for
15,000 categories x 1000 rounds). :class:`Resampler` draws the same distribution exactly, about
ten times faster, by Poissonization:

1. X_k ~ Poisson(lam * c_k / N) independently, lam = N - 2 sqrt(N). Whatever their total T, given
   T = t the vector X is Multinomial(t, c / N) (a property of independent Poisson counts).
2. A round with T > N (probability about 2%) is drawn again. Keeping only rounds with T <= N
   selects on T alone, so given T = t the vector is still Multinomial(t, c / N).
3. N - T more votes are drawn with replacement (uniform integer vote positions, mapped to their
   category). A sum of independent multinomials with the same probabilities is multinomial, so
   the result is Multinomial(N, c / N) for every t, hence unconditionally.

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

import numpy as np

#: largest (distinct counts x table width) kept in tables; means beyond use Generator.poisson
TABLE_BUDGET = 4_000_000
#: Poisson mean as a share of N: lam = N - REJECT_Z sqrt(N), so about 2% of rounds are redrawn
REJECT_Z = 2.0
#: guide cells per standard deviation, at most (about 1 draw in 25 then needs a short search),
#: and the most guide cells in all (32 MB)
CELLS_PER_SD = 128.0
GUIDE_BUDGET = 4_000_000
#: Poisson draws made at once (a few hundred kB of work arrays: they stay in the core's cache)
BLOCK = 65_536


def _poisson_tables(means: np.ndarray) -> tuple[np.ndarray, ...]:
    """Inversion tables for Poisson(means) (D,), ascending and positive.

    Returns (cdf (D * width,), guide, cells (D,), guide offsets (D,), base (D,)): in table t the
    CDF of value lo_t + k sits at t * width + k; the draw for cell g of table t is
    ``guide[offset_t + g]`` if >= 0, else the search starts at CDF index ``-guide - 1``;
    a CDF index i of table t is the value ``i - base_t``. The guide holds float64 (whole
    numbers), the dtype the draws are used in.
    """
    sd = np.sqrt(means)
    lo = np.maximum(np.floor(means - 8.5 * sd), 0).astype(np.int64)
    hi = np.ceil(means + 9.0 * sd + 10.0).astype(np.int64)
    width = int((hi - lo).max()) + 1
    k = lo[:, None] + np.arange(width)
    valid = k <= hi[:, None]
    # log pmf up to a constant, by the ratio pmf(k) / pmf(k - 1) = mean / k: no lgamma needed
    step = np.log(means)[:, None] - np.log(np.maximum(k, 1))
    step[:, 0] = 0.0
    logw = np.cumsum(step, axis=1)
    logw = np.where(valid, logw, -np.inf)
    pmf = np.exp(logw - logw.max(axis=1, keepdims=True))
    cdf = np.cumsum(pmf, axis=1)
    cdf /= cdf[:, -1:]
    cdf = np.floor(cdf * 2.0**53) * 2.0**-53  # multiples of 2^-53, like the uniforms
    cdf[:, -1] = 1.0
    per_sd = min(CELLS_PER_SD, GUIDE_BUDGET / 2.0 / float(sd.sum()))
    cells = 2.0 ** np.ceil(np.log2(np.maximum(per_sd * sd, 64.0)))
    guide, offsets = _guide(cdf, k.astype(np.float64), cells)
    base = np.arange(means.size) * width - lo
    return cdf.ravel(), guide, cells, offsets, base


def _guide(cdf: np.ndarray, values: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, ...]:
    """Guide tables for inversion of the CDFs in the rows of ``cdf`` (D, W), each ending at 1.

    Table t has ``cells[t]`` (a power of two) cells; u in [g / cells, (g + 1) / cells) is cell g.
    A cell that holds no CDF step stores the draw itself (its ``values`` entry); a cell that does
    stores -1 - (flat CDF index where the search for the first CDF value above u starts).
    Returns (guide (sum of cells,) float64, offset of each table in it (D,) float64).
    """
    scaled = cdf * cells[:, None]  # exact: a power of two times a multiple of 2^-53
    ends = np.ceil(scaled).astype(np.int64)  # cells [ends(k-1), ends(k)) start their search at k
    owned = np.diff(ends, axis=1, prepend=0).ravel()
    guide = np.repeat(values.ravel(), owned)
    # the last cell of entry k holds a CDF step unless cdf(k) * cells is a whole number
    step_inside = (owned > 0) & (scaled.ravel() != ends.ravel())
    last_cell = np.cumsum(owned) - 1
    guide[last_cell[step_inside]] = -1.0 - np.flatnonzero(step_inside)
    return guide, np.concatenate([[0.0], np.cumsum(cells[:-1])])


def _invert(
    u: np.ndarray, cell: np.ndarray, index: np.ndarray, tables: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-CDF draws for uniforms ``u`` (n, size) into ``cell`` (same shape; float64).

    ``tables`` = (guide, cdf, scale (n, 1), offset (n, 1)); ``index`` is int64
    work space of u's shape. Row r uses the table at ``offset[r]`` with ``scale[r]`` cells.
    Draws whose cell holds a CDF step are left unfinished: returns their flat positions, the CDF
    index their search starts at, and their uniforms, for :func:`_finish`.
    """
    guide, _, scale, offset = tables
    np.multiply(u, scale, out=cell)
    cell += offset
    np.copyto(index, cell, casting="unsafe")  # floor: cells are >= 0
    np.take(guide, index, out=cell, mode="clip")
    flat = cell.reshape(-1)
    todo = np.flatnonzero(flat < 0)
    return todo, (-1.0 - flat[todo]).astype(np.int64), u.reshape(-1)[todo]


def _finish(cdf: np.ndarray, at: np.ndarray, key: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The draws left by :func:`_invert`: search up from ``at``, minus each draw's ``base``."""
    live = np.flatnonzero(cdf[at] <= key)
    while live.size:
        at[live] += 1
        live = live[cdf[at[live]] <= key[live]]
    return at - base


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
        self.lam = max(n - REJECT_Z * math.sqrt(n), 0.0)
        values, inverse = np.unique(c, return_inverse=True)
        means = values * (self.lam / n)
        n_tab = self._tabled(means) if self.lam > 0 else 0
        # tabled rows by table, so rows sharing a table run back to back and it stays in cache
        by_table = np.argsort(inverse, kind="stable")
        tabled = by_table[inverse[by_table] < n_tab]
        untabled = np.flatnonzero(inverse >= n_tab)
        self.tabled, self.untabled = self.nonzero[tabled], self.nonzero[untabled]
        self.big_means = means[inverse[untabled]][:, None]
        if tabled.size:
            cdf, guide, cells, offsets, base = _poisson_tables(means[:n_tab])
            t = inverse[tabled]
            self.tables = (guide, cdf, cells[t][:, None], offsets[t][:, None], base[t])
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # categorical draws (votes added to a round): one inversion table over the categories
        cdf = np.floor(np.cumsum(c) / n * 2.0**53) * 2.0**-53
        cdf[-1] = 1.0
        cells = 2.0 ** np.ceil(np.log2(max(32.0 * c.size, 64.0)))
        guide, _ = _guide(cdf[None], np.arange(c.size, dtype=np.float64)[None], np.array([cells]))
        self.categorical = (guide, cdf, np.array([[cells]]), np.zeros((1, 1)))

    @staticmethod
    def _tabled(means: np.ndarray) -> int:
        """How many of the (ascending) distinct means get tables within TABLE_BUDGET."""
        width = 17.5 * np.sqrt(means) + 12.0
        fits = (np.arange(1, means.size + 1) * width) <= TABLE_BUDGET
        return int(means.size) if fits.all() else int(np.argmin(fits))

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(size, K) int64 resampled counts, each row summing to N."""
        return self.draw_major(rng, size).T.astype(np.int64)

    def draw_major(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """The same draws as :meth:`draw`, category-major and as float64: (K, size)."""
        x = self._poisson(rng, size)
        total = x.sum(axis=0)
        while (over := np.flatnonzero(total > self.total)).size:
            x[:, over] = self._poisson(rng, over.size)
            total[over] = x[:, over].sum(axis=0)
        self._add(rng, x, (self.total - total).astype(np.int64))
        return x

    def _poisson(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(K, size) independent Poisson counts, as float64."""
        x = np.empty((self.n_categories, size))
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
        rows = max(1, BLOCK // size)
        if size not in self._buffers:
            shape = (min(rows, self.tabled.size), size)
            self._buffers[size] = (np.empty(shape), np.empty(shape), np.empty(shape, np.int64))
        u, cell, index = self._buffers[size]
        guide, cdf, scale, offset, base = self.tables
        left = []
        for start in range(0, self.tabled.size, rows):
            stop = min(start + rows, self.tabled.size)
            n = stop - start
            rng.random(out=u[:n])
            todo, at, key = _invert(
                u[:n], cell[:n], index[:n], (guide, cdf, scale[start:stop], offset[start:stop])
            )
            x[self.tabled[start:stop]] = cell[:n]
            row = todo // size + start
            left.append((self.tabled[row] * size + todo % size, at, key, base[row]))
        where, at, key, shift = (np.concatenate(part) for part in zip(*left, strict=True))
        x.reshape(-1)[where] = _finish(cdf, at, key, shift)

    def _add(self, rng: np.random.Generator, x: np.ndarray, need: np.ndarray) -> None:
        """Add need[b] votes drawn with replacement to round b (column b of ``x``)."""
        total = int(need.sum())
        if total == 0:
            return
        u = rng.random((1, total))
        cat = np.empty_like(u)
        todo, at, key = _invert(u, cat, np.empty(u.shape, np.int64), self.categorical)
        cat[0, todo] = _finish(self.categorical[1], at, key, np.zeros(1, np.int64))
        size = x.shape[1]
        where = self.nonzero[cat[0].astype(np.int64)]
        where *= size
        where += np.repeat(np.arange(size), need)
        np.add.at(x.reshape(-1), where, 1.0)


def multinomial(rng: np.random.Generator, counts: np.ndarray, size: int) -> np.ndarray:
    """(size, K) int64 draws of Multinomial(sum(counts), counts / sum(counts))."""
    return Resampler(counts).draw(rng, size)
