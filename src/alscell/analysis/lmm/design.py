"""Per-group sufficient statistics for the linear mixed model.

Everything the (RE)ML likelihood needs is a handful of small per-group cross
products (``X_iᵀX_i``, ``X_iᵀZ_i``, ``Z_iᵀZ_i``, ``X_iᵀy_i``, ``Z_iᵀy_i``,
``y_iᵀy_i``).  They are computed once, with ``np.add.reduceat`` over rows
sorted by group, so a likelihood evaluation never touches the raw data again.

Several independent data sets (a batch of simulated trials) are stored in
the same arrays: groups are sorted by data set first, and ``offsets`` marks
where each data set's groups begin, so per-data-set sums are one
``np.add.reduceat`` as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["GroupStats", "build_stats", "build_stats_panel", "build_stats_shared_design", "factorize_groups"]


@dataclass
class GroupStats:
    """Stacked per-group sufficient statistics (possibly for several data sets)."""

    XtX: np.ndarray  # (G, p, p)
    XtZ: np.ndarray  # (G, p, q)
    ZtZ: np.ndarray  # (G, q, q)
    Xty: np.ndarray  # (G, p)
    Zty: np.ndarray  # (G, q)
    yty: np.ndarray  # (G,)
    n_i: np.ndarray  # (G,) observations per group
    offsets: np.ndarray  # (D + 1,) first group of each data set, then G
    labels: list = field(default_factory=list)  # per data set: array of group labels
    # cached per-data-set sums
    _sum_XtX: np.ndarray | None = None

    @property
    def G(self) -> int:
        return self.XtX.shape[0]

    @property
    def p(self) -> int:
        return self.XtX.shape[1]

    @property
    def q(self) -> int:
        return self.ZtZ.shape[1]

    @property
    def D(self) -> int:
        return len(self.offsets) - 1

    @property
    def ds_index(self) -> np.ndarray:
        """Data-set index of every group, shape (G,)."""
        if getattr(self, "_ds_index", None) is None:
            self._ds_index = np.repeat(np.arange(self.D), np.diff(self.offsets))
        return self._ds_index

    @property
    def n_obs(self) -> np.ndarray:
        """Observations per data set, shape (D,)."""
        if getattr(self, "_n_obs", None) is None:
            self._n_obs = self.dsum(self.n_i.astype(float))
        return self._n_obs

    @property
    def n_groups(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def sum_XtX(self) -> np.ndarray:
        if self._sum_XtX is None:
            self._sum_XtX = self.dsum(self.XtX)
        return self._sum_XtX

    def dsum(self, a: np.ndarray) -> np.ndarray:
        """Sum a per-group array over the groups of each data set -> (D, ...)."""
        if self.D == 1:
            return a.sum(axis=0, keepdims=True)
        return np.add.reduceat(a, self.offsets[:-1], axis=0)

    def per_group(self, a: np.ndarray) -> np.ndarray:
        """Broadcast a per-data-set array (D, ...) to groups (G, ...)."""
        if self.D == 1:
            return a[:1]
        return a[self.ds_index]

    @property
    def t(self) -> _GroupLast:
        """Group-last copies (…, G) of the statistics for fast elementwise kernels."""
        if getattr(self, "_t", None) is None:
            self._t = _GroupLast(self)
        return self._t

    @property
    def groups_per_dataset(self) -> int | None:
        """Groups in every data set when all data sets have the same number (else None)."""
        if getattr(self, "_gd", None) is None:
            ng = np.diff(self.offsets)
            self._gd = int(ng[0]) if len(ng) and np.all(ng == ng[0]) else 0
        return self._gd or None

    def dsum_t(self, a: np.ndarray) -> np.ndarray:
        """Sum a group-last array (…, G) per data set -> (…, D)."""
        if self.D == 1:
            return a.sum(axis=-1, keepdims=True)
        gd = self.groups_per_dataset
        if gd is not None:
            return a.reshape(*a.shape[:-1], self.D, gd).sum(-1)
        return np.add.reduceat(a, self.offsets[:-1], axis=-1)

    def dsum_outer(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per data set Σ_groups a[i, g] b[j, g] for group-last (m, G) and (n, G) -> (D, m, n), via BLAS."""
        if self.D == 1:
            return (a @ b.T)[None]
        gd = self.groups_per_dataset
        m, n = a.shape[0], b.shape[0]
        if gd is not None:
            return np.matmul(a.reshape(m, self.D, gd).transpose(1, 0, 2), b.reshape(n, self.D, gd).transpose(1, 2, 0))
        return np.moveaxis(np.add.reduceat(a[:, None, :] * b[None, :, :], self.offsets[:-1], axis=-1), -1, 0)

    def per_group_t(self, a: np.ndarray) -> np.ndarray:
        """Broadcast (…, D) to groups (…, G) (or (…, 1) for one data set)."""
        if self.D == 1:
            return a
        gd = self.groups_per_dataset
        if gd is not None:
            return np.repeat(a, gd, axis=-1)
        return np.take(a, self.ds_index, axis=-1)  # (a[..., idx] would put the group axis first in memory)

    def subset_re(self, cols) -> GroupStats:
        """Statistics for the model that keeps only random-effect columns ``cols``."""
        cols = np.asarray(cols, dtype=int)
        return GroupStats(
            XtX=self.XtX,
            XtZ=self.XtZ[:, :, cols],
            ZtZ=self.ZtZ[:, cols][:, :, cols],
            Xty=self.Xty,
            Zty=self.Zty[:, cols],
            yty=self.yty,
            n_i=self.n_i,
            offsets=self.offsets,
            labels=self.labels,
            _sum_XtX=self._sum_XtX,
        )

    def select(self, idx: np.ndarray) -> GroupStats:
        """Statistics of the data sets ``idx`` (increasing) only, for evaluating a subset of a batch.

        Only what a likelihood evaluation reads is gathered (the group-last arrays and ``n_i``);
        group-first arrays are views of the first data set's rows where the shape is all that
        matters, so do not use the result for anything but :func:`~.likelihood.evaluate`.
        """
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx) == self.D:
            return self
        starts = self.offsets[idx]
        lens = self.offsets[idx + 1] - starts
        offsets = np.r_[0, np.cumsum(lens)]
        gidx = np.repeat(starts - offsets[:-1], lens) + np.arange(offsets[-1])
        Gs = int(offsets[-1])
        contiguous = bool(idx[-1] - idx[0] + 1 == len(idx))
        sub = GroupStats(
            XtX=np.broadcast_to(self.XtX[:1], (Gs, self.p, self.p)),
            XtZ=np.broadcast_to(self.XtZ[:1], (Gs, self.p, self.q)),
            ZtZ=np.broadcast_to(self.ZtZ[:1], (Gs, self.q, self.q)),
            Xty=np.broadcast_to(self.Xty[:1], (Gs, self.p)),
            Zty=np.broadcast_to(self.Zty[:1], (Gs, self.q)),
            yty=np.broadcast_to(self.yty[:1], (Gs,)),
            n_i=self.n_i[gidx],
            offsets=offsets,
        )
        if contiguous:  # consecutive data sets: views, nothing gathered
            g0 = int(starts[0])
            sub._t = self.t.slice(g0, g0 + Gs, didx=slice(int(idx[0]), int(idx[-1]) + 1))
        else:
            sub._t = self.t.take(gidx, idx)
        return sub

    def group_chunks(self, size: int) -> list[GroupStats]:
        """Consecutive slices of about ``size`` groups of a single data set (views), for
        :func:`~.likelihood.evaluate` only (like :meth:`select`)."""
        if self.D != 1:
            raise ValueError("group_chunks is for one data set")
        t = self.t
        out = []
        for a in range(0, self.G, size):
            b = min(a + size, self.G)
            ch = GroupStats(
                XtX=self.XtX[a:b],
                XtZ=self.XtZ[a:b],
                ZtZ=self.ZtZ[a:b],
                Xty=self.Xty[a:b],
                Zty=self.Zty[a:b],
                yty=self.yty[a:b],
                n_i=self.n_i[a:b],
                offsets=np.array([0, b - a]),
            )
            ch._t = t.slice(a, b, ch)
            out.append(ch)
        return out

    def dataset(self, d: int) -> GroupStats:
        """Statistics of data set ``d`` alone."""
        a, b = int(self.offsets[d]), int(self.offsets[d + 1])
        return GroupStats(
            XtX=self.XtX[a:b],
            XtZ=self.XtZ[a:b],
            ZtZ=self.ZtZ[a:b],
            Xty=self.Xty[a:b],
            Zty=self.Zty[a:b],
            yty=self.yty[a:b],
            n_i=self.n_i[a:b],
            offsets=np.array([0, b - a]),
            labels=[self.labels[d]] if self.labels else [],
        )


class _GroupLast:
    """Statistics with the group axis last, contiguous per matrix entry.

    ``WtZ`` = [X y]ᵀZ, (p + 1, q, G), holds XᵀZ, Zᵀy and (transposed) ZᵀX as views.  A subset of data
    sets (:meth:`take`) gathers only what a likelihood evaluation reads per group (``WtZ`` and ``ZtZ``);
    ``XtX``, ``Xty`` and ``yty`` of a subset are gathered on first use.
    """

    _XtX: np.ndarray | None
    _Xty: np.ndarray | None
    _yty: np.ndarray | None
    _lazy: tuple | None = None  # (parent, group index) of a subset

    def __init__(self, st: GroupStats):
        mv = lambda a: np.ascontiguousarray(np.moveaxis(a, 0, -1))  # noqa: E731
        self._XtX = mv(st.XtX)
        self.WtZ = np.concatenate([mv(st.XtZ), mv(st.Zty)[None]], axis=0)
        self.ZtZ = mv(st.ZtZ)
        self._Xty = mv(st.Xty)
        self._yty = np.asarray(st.yty)
        self.sum_XtX = st.dsum_t(self.XtX)
        self.sum_ZtZ = st.dsum_t(self.ZtZ)
        self.sum_Xty = st.dsum_t(self.Xty)
        self.sum_yty = st.dsum_t(self.yty)

    @property
    def XtZ(self) -> np.ndarray:
        return self.WtZ[:-1]

    @property
    def Zty(self) -> np.ndarray:
        return self.WtZ[-1]

    @property
    def ZtX(self) -> np.ndarray:
        return self.WtZ[:-1].transpose(1, 0, 2)

    def _get(self, name: str) -> np.ndarray:
        val = getattr(self, name)
        if val is None:
            parent, gidx = self._lazy  # type: ignore[misc]
            val = np.take(getattr(parent, name[1:]), gidx, axis=-1)
            setattr(self, name, val)
        return val

    @property
    def XtX(self) -> np.ndarray:
        return self._get("_XtX")

    @property
    def Xty(self) -> np.ndarray:
        return self._get("_Xty")

    @property
    def yty(self) -> np.ndarray:
        return self._get("_yty")

    def slice(self, a: int, b: int, st: GroupStats | None = None, didx: slice | None = None) -> _GroupLast:
        """Groups a..b (views).  Per-data-set sums: of the slice ``st`` (one data set cut into slices)
        or, with ``didx``, those of the data sets ``didx`` (whole data sets)."""
        new = object.__new__(_GroupLast)
        new.WtZ, new.ZtZ = self.WtZ[..., a:b], self.ZtZ[..., a:b]
        new._XtX, new._Xty, new._yty = self.XtX[..., a:b], self.Xty[..., a:b], self.yty[..., a:b]
        for name in ("sum_XtX", "sum_ZtZ", "sum_Xty", "sum_yty"):
            if didx is not None:
                setattr(new, name, getattr(self, name)[..., didx])
            else:
                assert st is not None
                setattr(new, name, st.dsum_t(getattr(new, name[4:])))
        return new

    def take(self, gidx: np.ndarray, didx: np.ndarray) -> _GroupLast:
        """Groups ``gidx`` of data sets ``didx`` (per-data-set sums are selected, not recomputed)."""
        new = object.__new__(_GroupLast)
        new.WtZ = np.take(self.WtZ, gidx, axis=-1)  # (np.take keeps the group axis contiguous)
        new.ZtZ = np.take(self.ZtZ, gidx, axis=-1)
        new._XtX = new._Xty = new._yty = None
        new._lazy = (self, gidx)
        for name in ("sum_XtX", "sum_ZtZ", "sum_Xty", "sum_yty"):
            setattr(new, name, np.take(getattr(self, name), didx, axis=-1))
        return new


def factorize_groups(groups) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..G-1 (in sorted label order) and the unique labels."""
    groups = np.asarray(groups)
    try:
        labels, codes = np.unique(groups, return_inverse=True)
    except TypeError:  # unorderable mixed labels
        codes, labels = pd.factorize(groups)
        labels = np.asarray(labels)
    return codes.ravel().astype(np.int64), labels


def _crossprod_by_group(Ct: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per-group CᵀC for columns Ct (k, n) whose rows are sorted by group, group-last -> (k, k, G)."""
    k = Ct.shape[0]
    out = np.empty((k, k, len(starts)))
    for a in range(k):  # loop over columns, never over groups
        block = np.add.reduceat(Ct[a] * Ct[a:], starts, axis=1)  # (k - a, G)
        out[a, a:] = block
        out[a:, a] = block
    return out


def _group_first(a: np.ndarray) -> np.ndarray:
    """Group-first (G, …) view of a contiguous group-last (…, G) array (no copy)."""
    return np.moveaxis(np.ascontiguousarray(a), -1, 0)


def _as2d(a, n, name) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != n:
        raise ValueError(f"{name} must have {n} rows, got shape {a.shape}")
    return a


def build_stats(
    y, X, Z, codes: np.ndarray, n_groups: int | None = None, ds_of_group: np.ndarray | None = None, labels=None
) -> GroupStats:
    """Sufficient statistics from raw data.

    ``codes`` are integer group codes; groups are reported in code order.
    ``ds_of_group`` (non-decreasing, one entry per group) assigns groups to
    data sets for batch fits.
    """
    y = np.asarray(y, dtype=float).ravel()
    n = y.shape[0]
    X = _as2d(X, n, "X")
    Z = _as2d(Z, n, "Z")
    codes = np.asarray(codes, dtype=np.int64).ravel()
    if codes.shape[0] != n:
        raise ValueError("groups must have one entry per observation")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(X)) and np.all(np.isfinite(Z))):
        raise ValueError("y, X and Z must be finite (drop missing rows first)")
    presorted = n < 2 or bool(np.all(codes[1:] >= codes[:-1]))  # (rows usually come sorted by patient)
    order = None if presorted else np.argsort(codes, kind="stable")
    sc = codes if presorted else codes[order]
    if n_groups is None:
        n_groups = int(sc[-1]) + 1 if n else 0
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    if len(starts) != n_groups:
        raise ValueError("every group code 0..G-1 must occur at least once")
    p, q = X.shape[1], Z.shape[1]
    # columns of Z that are columns of X (intercept, time, …) are not multiplied twice
    cols = [X[:, j] for j in range(p)]
    src = list(range(p))
    for j in range(q):
        same = next((i for i in range(p) if np.array_equal(Z[:, j], X[:, i])), None)
        if same is None:
            src.append(len(cols))
            cols.append(Z[:, j])
        else:
            src.append(same)
    src.append(len(cols))
    cols.append(y)
    Ct = np.stack(cols) if presorted else np.stack(cols)[:, order]  # (k, n), rows sorted by group
    CtC = _crossprod_by_group(Ct, starts)
    if len(cols) < p + q + 1:
        CtC = np.ascontiguousarray(CtC[np.ix_(src, src)])
    n_i = np.diff(np.r_[starts, n])
    if ds_of_group is None:
        offsets = np.array([0, n_groups])
    else:
        ds_of_group = np.asarray(ds_of_group)
        D = int(ds_of_group[-1]) + 1
        offsets = np.searchsorted(ds_of_group, np.arange(D + 1), side="left")
    # stored group-last (what the likelihood reads); the group-first fields are views of it
    return GroupStats(
        XtX=_group_first(CtC[:p, :p]),
        XtZ=_group_first(CtC[:p, p : p + q]),
        ZtZ=_group_first(CtC[p : p + q, p : p + q]),
        Xty=_group_first(CtC[:p, -1]),
        Zty=_group_first(CtC[p : p + q, -1]),
        yty=_group_first(CtC[-1, -1]),
        n_i=n_i,
        offsets=offsets,
        labels=[] if labels is None else labels,
    )


def build_stats_shared_design(Y, X, Z, codes: np.ndarray, labels=None) -> GroupStats:
    """Batch statistics when all data sets share X, Z and groups; ``Y`` is (D, n).

    The design cross products are computed once and only the y-parts per data
    set, all without a loop over data sets.
    """
    Y = np.asarray(Y, dtype=float)
    D, n = Y.shape
    X = _as2d(X, n, "X")
    Z = _as2d(Z, n, "Z")
    if not np.all(np.isfinite(Y)):
        raise ValueError("Y must be finite")
    base = build_stats(np.zeros(n), X, Z, codes)
    order = np.argsort(np.asarray(codes), kind="stable")
    sc = np.asarray(codes)[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    XZt = np.ascontiguousarray(np.concatenate([X, Z], axis=1)[order].T)  # (p + q, n)
    Ys = np.ascontiguousarray(Y[:, order])  # (D, n)
    G = base.G
    p, q = X.shape[1], Z.shape[1]
    cross = np.empty((p + q, D, G))
    for a in range(p + q):  # loop over columns, never over groups or data sets
        cross[a] = np.add.reduceat(XZt[a] * Ys, starts, axis=1)
    yty = np.add.reduceat(Ys * Ys, starts, axis=1)  # (D, G)
    bt = base.t
    tile = lambda a: np.tile(a, D)  # noqa: E731  (…, G) -> (…, D·G), data set major
    XtX, XtZ, ZtZ = tile(bt.XtX), tile(bt.XtZ), tile(bt.ZtZ)
    Xty = cross[:p].reshape(p, D * G)
    Zty = cross[p:].reshape(q, D * G)
    st = GroupStats(
        XtX=np.moveaxis(XtX, -1, 0),
        XtZ=np.moveaxis(XtZ, -1, 0),
        ZtZ=np.moveaxis(ZtZ, -1, 0),
        Xty=np.moveaxis(Xty, -1, 0),
        Zty=np.moveaxis(Zty, -1, 0),
        yty=yty.reshape(D * G),
        n_i=np.tile(base.n_i, D),
        offsets=np.arange(D + 1) * G,
        labels=[] if labels is None else [labels] * D,
    )
    return st


def _panel_columns(A, shape: tuple, name: str) -> list:
    """Columns of a panel design: an array (D, G, V, m), or a sequence of m arrays (or numbers)
    broadcastable to (D, G, V)."""
    if isinstance(A, (list, tuple)):
        cols = [a if isinstance(a, (int, float)) else np.asarray(a, dtype=float) for a in A]
        if any(isinstance(c, np.ndarray) and np.broadcast_shapes(c.shape, shape) != shape for c in cols):
            raise ValueError(f"panel {name} columns must broadcast to (data sets, groups, occasions) {shape}")
        return cols
    A = np.asarray(A, dtype=float)
    if A.ndim != 4 or A.shape[:3] != shape:
        raise ValueError(f"panel {name} must be (data sets, groups, occasions, columns) like Y")
    return list(np.moveaxis(A, -1, 0))


def build_stats_panel(Y, X, Z) -> GroupStats:
    """Batch statistics from panels: ``Y`` (D, G, V) — data set d, group g, occasion v, NaN where not
    observed — with ``X`` (D, G, V, p) and ``Z`` (D, G, V, q), or each a sequence of columns
    broadcastable to (D, G, V) (``[1.0, t, t * arm]``; values where Y is NaN are ignored).

    Groups of each data set are 0..G-1 in order (groups without an observation are left out) and
    observations come in occasion order: the statistics :func:`build_stats` gives for the observed rows
    (up to the order of summation).  With unobserved occasions set to zero, every per-group cross product
    is a row-wise dot product of two (D·G, V) arrays: no per-group or per-data-set work and no
    long-format copy.  A column of Z that is a column of X (the same object, or equal where observed) is
    not multiplied twice, and a column of ones is not multiplied at all.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 3:
        raise ValueError("panel Y must be (data sets, groups, occasions)")
    D, G, V = Y.shape
    xcols = _panel_columns(X, Y.shape, "X")
    zcols = _panel_columns(Z, Y.shape, "Z")
    p, q = len(xcols), len(zcols)
    N = D * G
    mask = ~np.isnan(Y.reshape(N, V))
    ones = mask.astype(float)

    def col(a) -> np.ndarray:  # -> (N, V), zero where not observed (finiteness: checked on the sums below)
        if isinstance(a, (int, float)):
            return ones * float(a) if a != 1 else ones
        return np.where(mask, np.broadcast_to(a, Y.shape).reshape(N, V), 0.0)

    cols = [col(c) for c in xcols]
    src = list(range(p))
    for zc in zcols:
        same = next((i for i, xc in enumerate(xcols) if zc is xc), None)
        if same is None:
            zj = col(zc)
            same = next((i for i in range(p) if np.array_equal(zj, cols[i])), None)
        if same is None:
            src.append(len(cols))
            cols.append(zj)
        else:
            src.append(same)
    is_one = [c is ones or (np.array_equal(c[:64], ones[:64]) and np.array_equal(c, ones)) for c in cols] + [False]
    src.append(len(cols))
    cols.append(col(Y))
    k = len(cols)
    n_i = (ones @ np.ones(V)).astype(np.int64)  # (a BLAS mat-vec: 10x a boolean row count)
    keep = n_i > 0
    if not keep.all():  # groups without an observation are not groups
        cols = [c[keep] for c in cols]
        n_i = n_i[keep]
    n_groups = keep.reshape(D, G).sum(1)
    if (n_groups < 1).any():
        raise ValueError("every data set needs at least one observation")
    sum_v = np.ones(V)
    cross: dict = {}

    def cp(a: int, b: int) -> np.ndarray:  # Σ_v col_a col_b of every group, (N,)
        a, b = min(a, b), max(a, b)
        if (a, b) not in cross:
            if is_one[a] or is_one[b]:
                cross[a, b] = (cols[b] if is_one[a] else cols[a]) @ sum_v
            else:
                cross[a, b] = np.einsum("nv,nv->n", cols[a], cols[b])
        return cross[a, b]

    def block(rows: list, cs: list) -> np.ndarray:  # group-last (len(rows), len(cs), N)
        out = np.empty((len(rows), len(cs), len(n_i)))
        for i, a in enumerate(rows):
            for j, b in enumerate(cs):
                out[i, j] = cp(a, b)
        return out

    xs, zs = src[:p], src[p : p + q]
    if keep.all():
        lab = np.arange(G)
        labels = [lab] * D
    else:
        labels = [np.flatnonzero(row) for row in keep.reshape(D, G)]
    XtX, XtZ, ZtZ = block(xs, xs), block(xs, zs), block(zs, zs)
    Xty, Zty, yty = block(xs, [k - 1])[:, 0], block(zs, [k - 1])[:, 0], cp(k - 1, k - 1)
    # every column's square sum is among them: a non-finite value where y is observed shows here
    if not all(np.isfinite(cp(a, a)).all() for a in range(k)):
        raise ValueError("y, X and Z must be finite where y is observed")
    return GroupStats(
        XtX=_group_first(XtX),
        XtZ=_group_first(XtZ),
        ZtZ=_group_first(ZtZ),
        Xty=_group_first(Xty),
        Zty=_group_first(Zty),
        yty=yty,
        n_i=n_i,
        offsets=np.r_[0, np.cumsum(n_groups)],
        labels=labels,
    )
