"""Many independent LMM fits at once (e.g. a batch of simulated trials).

All data sets' per-group statistics are stacked in one :class:`GroupStats`
(groups sorted by data set), and one damped-Newton optimiser
(:func:`~alscell.analysis.lmm.optim.newton_batch`, analytic Hessian) updates the Λ of
every data set still iterating simultaneously — no Python loop per data set or per
patient, and a data set that has converged is not evaluated again.  Estimates, SEs and
Satterthwaite df come from each data set's last accepted evaluation.  Data sets that do not
converge in the vectorised pass are refitted one by one with
:func:`fit_lmm` (multiple starts + fallback) and flagged in ``refitted``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from .design import GroupStats, build_stats, build_stats_panel, build_stats_shared_design, factorize_groups
from .fit import fit_lmm
from .likelihood import Structure, evaluate
from .optim import moment_start, newton_batch, normalize_lambda

__all__ = ["LMMBatchResult", "fit_lmm_batch"]


def _T(a):
    return np.swapaxes(a, -1, -2)


@dataclass
class LMMBatchResult:
    """Arrays over data sets (first axis D)."""

    fe_names: list
    re_names: list
    fe_params: np.ndarray  # (D, p)
    bse: np.ndarray  # (D, p)
    df: np.ndarray  # (D, p)
    cov_params: np.ndarray  # (D, p, p) of cov_type
    scale: np.ndarray  # (D,)
    cov_re: np.ndarray  # (D, q, q) outcome units (zero rows/cols for dropped terms)
    llf: np.ndarray  # (D,)
    converged: np.ndarray  # (D,)
    n_iter: np.ndarray  # (D,)
    n_eval: np.ndarray  # (D,) likelihood evaluations of each data set by the optimiser
    refitted: np.ndarray  # (D,) bool — needed the one-by-one path
    fallback: list  # (D,) None or description
    reml: bool
    cov_type: str
    df_method: str
    lambdas: np.ndarray  # (D, q, q)
    _stats: GroupStats | None = field(repr=False, default=None)
    _results: dict = field(repr=False, default_factory=dict)

    @property
    def D(self) -> int:
        return self.fe_params.shape[0]

    @property
    def tvalues(self) -> np.ndarray:
        return self.fe_params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        t = np.abs(self.tvalues)
        return np.where(np.isinf(self.df), 2 * sps.norm.sf(t), 2 * sps.t.sf(t, np.where(np.isinf(self.df), 1, self.df)))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """(D, p, 2) lower/upper."""
        qv = np.where(
            np.isinf(self.df),
            sps.norm.ppf(1 - alpha / 2),
            sps.t.ppf(1 - alpha / 2, np.where(np.isinf(self.df), 1, self.df)),
        )
        return np.stack([self.fe_params - qv * self.bse, self.fe_params + qv * self.bse], axis=-1)

    def frame(self) -> pd.DataFrame:
        """Long table: one row per (data set, coefficient)."""
        D, p = self.fe_params.shape
        ci = self.conf_int()
        return pd.DataFrame(
            {
                "dataset": np.repeat(np.arange(D), p),
                "term": np.tile(self.fe_names, D),
                "coef": self.fe_params.ravel(),
                "se": self.bse.ravel(),
                "df": self.df.ravel(),
                "p": self.pvalues.ravel(),
                "lower": ci[..., 0].ravel(),
                "upper": ci[..., 1].ravel(),
                "converged": np.repeat(self.converged, p),
            }
        )

    def result(self, d: int, **kw):
        """Full :class:`LMMResult` of data set ``d`` (warm-started, so cheap)."""
        if d not in self._results:
            if self._stats is None:
                raise ValueError("this batch result holds no data (built without statistics)")
            st = self._stats.dataset(d)
            kw.setdefault("cov_type", self.cov_type)
            kw.setdefault("df_method", self.df_method)
            self._results[d] = fit_lmm(
                None,
                None,
                None,
                None,
                reml=self.reml,
                fe_names=self.fe_names,
                re_names=self.re_names,
                start=self.lambdas[d],
                _stats=st,
                **kw,
            )
        return self._results[d]

    def results(self, **kw) -> list:
        return [self.result(d, **kw) for d in range(self.D)]


def _sorted_int_groups(ds_id: np.ndarray, g: np.ndarray):
    """Codes without sorting when every data set's group labels are non-negative integers already in
    ascending order (the usual layout: rows by patient): ``(codes, unique keys, width, label dtype)`` with
    key = data set × width + label, the same codes ``np.unique`` gives; None otherwise."""
    if g.dtype.kind not in "iu" or not len(g) or g.min() < 0:
        return None
    width = int(g.max()) + 1
    key = ds_id.astype(np.int64) * width + g.astype(np.int64)
    if np.any(key[1:] < key[:-1]):
        return None
    change = np.empty(len(key), dtype=bool)
    change[0] = True
    np.not_equal(key[1:], key[:-1], out=change[1:])
    return np.cumsum(change) - 1, key[change], width, g.dtype


def _stack_lists(Ys, Xs, Zs, gs):
    D = len(Ys)
    ys, xs, zs, keys, _lab = [], [], [], [], []
    for d in range(D):
        y = np.asarray(Ys[d], dtype=float).ravel()
        n = len(y)
        X = Xs[d] if isinstance(Xs, (list, tuple)) else Xs
        Z = Zs[d] if isinstance(Zs, (list, tuple)) else Zs
        g = gs[d] if isinstance(gs, (list, tuple)) else gs
        X = np.asarray(X, dtype=float).reshape(n, -1)
        Z = np.asarray(Z, dtype=float).reshape(n, -1)
        ys.append(y), xs.append(X), zs.append(Z), keys.append(np.asarray(g))
    # factorise group labels within each data set, vectorised over the stacked data
    ds_id = np.repeat(np.arange(D), [len(y) for y in ys])
    sorted_ints = _sorted_int_groups(ds_id, np.concatenate(keys))
    if sorted_ints is not None:
        codes, ukey, width, dtype = sorted_ints
        ds_of_group = ukey // width
        grp = (ukey % width).astype(dtype)
    else:
        gcodes, glabels = factorize_groups(np.concatenate(keys))
        key = ds_id.astype(np.int64) * (len(glabels) + 1) + gcodes
        ukey, codes = np.unique(key, return_inverse=True)
        ds_of_group = ukey // (len(glabels) + 1)
        grp = glabels[ukey % (len(glabels) + 1)]
    offsets = np.searchsorted(ds_of_group, np.arange(D + 1))
    labels = [grp[offsets[d] : offsets[d + 1]] for d in range(D)]
    st = build_stats(
        np.concatenate(ys),
        np.concatenate(xs),
        np.concatenate(zs),
        codes.ravel(),
        n_groups=len(ukey),
        ds_of_group=ds_of_group,
        labels=labels,
    )
    return st


def _theta_signs(structure: Structure, Lam_raw: np.ndarray) -> np.ndarray:
    """(D, k) signs of θ under :func:`normalize_lambda` (column c of Λ flips when Λ[c, c] < 0)."""
    d = np.diagonal(Lam_raw, axis1=-2, axis2=-1)
    return np.where(d < 0, -1.0, 1.0)[:, list(structure.cols)]


def _pinv_sym(H):
    H = np.where(np.isfinite(H).all(axis=(1, 2), keepdims=True), H, np.nan)
    ok = np.isfinite(H).all(axis=(1, 2))
    H = np.where(ok[:, None, None], H, np.eye(H.shape[-1]))
    w, V = np.linalg.eigh(H)
    tol = 1e-10 * np.maximum(np.abs(w).max(-1, keepdims=True), 1e-300)
    winv = np.where(w > tol, 1.0 / np.where(w > tol, w, 1.0), 0.0)
    return np.where(ok[:, None, None], (V * winv[:, None, :]) @ _T(V), np.nan)


def fit_lmm_batch(
    Y,
    X,
    Z,
    groups,
    *,
    reml: bool = True,
    fe_names=None,
    re_names=None,
    cov_type: str = "model",
    df_method: str = "satterthwaite",
    start=None,
    maxiter: int = 50,
    tol: float = 1e-9,
    refit_failures: bool = True,
) -> LMMBatchResult:
    """Fit the same model to many independent data sets.

    Inputs (either form):

    * shared design: ``Y`` (D, n) array with ``X`` (n, p), ``Z`` (n, q), ``groups`` (n,)
      common to all data sets (the design cross-products are computed once);
    * lists: ``Y`` a list of D outcome vectors; ``X``, ``Z``, ``groups`` each a
      list of per-data-set arrays or a single array shared by all;
    * panels (``groups=None``): ``Y`` (D, G, V) — group g of data set d at occasion v, NaN where
      not observed — with ``X`` (D, G, V, p) and ``Z`` (D, G, V, q), or each a list of columns
      broadcastable to (D, G, V) (``X=[1.0, t, t * arm], Z=[1.0, t]``); groups are 0..G-1 (those
      without an observation left out), observations in occasion order.  The same fit as the
      long format, without building it (:func:`~.design.build_stats_panel`).

    ``start``: (q, q) Λ or (D, q, q) warm starts (e.g. ``previous.lambdas``).
    Returns :class:`LMMBatchResult`; ``.result(d)`` gives a full
    :class:`LMMResult` for one data set.
    """
    if groups is None:
        stats = build_stats_panel(Y, X, Z)
    elif (
        isinstance(Y, np.ndarray)
        and Y.ndim == 2
        and not isinstance(X, (list, tuple))
        and np.ndim(X) <= 2
        and not isinstance(groups, (list, tuple))
        and np.ndim(groups) == 1
    ):
        codes, labels = factorize_groups(groups)
        stats = build_stats_shared_design(Y, X, Z, codes, labels=labels)
    else:
        if isinstance(Y, np.ndarray) and Y.ndim == 2:
            Y = list(Y)
        if isinstance(X, np.ndarray) and X.ndim == 3:
            X = list(X)
        if isinstance(Z, np.ndarray) and Z.ndim == 3:
            Z = list(Z)
        if isinstance(groups, np.ndarray) and groups.ndim == 2:
            groups = list(groups)
        stats = _stack_lists(list(Y), X, Z, groups)
    D, p, q = stats.D, stats.p, stats.q
    fe_names = list(fe_names) if fe_names is not None else [f"x{j}" for j in range(p)]
    re_names = list(re_names) if re_names is not None else [f"z{j}" for j in range(q)]
    structure = Structure.unstructured(q)
    if start is not None:
        s = np.asarray(start, dtype=float)
        theta0 = structure.from_lambda(np.broadcast_to(s, (D, q, q)))
    else:
        theta0 = moment_start(stats, structure)
    if cov_type not in ("model", "expected", "robust"):
        raise ValueError("cov_type must be 'model', 'expected' or 'robust'")
    nt = newton_batch(stats, structure, reml, theta0, maxiter=maxiter, tol=tol)
    Lam_raw = structure.to_lambda(nt["theta"])
    Lam = normalize_lambda(Lam_raw)
    conv = nt["converged"].copy()
    # everything at the optimum comes from the optimiser's last accepted evaluation of each data set
    last = nt["last"]
    beta = last["beta"]
    nu = stats.n_obs - p if reml else stats.n_obs
    scale = last["r2"] / nu
    Ainv = last["Ainv"]
    cov_exp = scale[:, None, None] * Ainv
    n_groups = stats.n_groups.astype(float)
    need_H = cov_type == "model" or (df_method == "satterthwaite" and cov_type != "robust")
    if need_H:  # θ-parts of the Hessian and J follow the sign normalisation of Λ
        sg = np.concatenate([np.ones((D, p + 1)), _theta_signs(structure, Lam_raw)], axis=1)
        H = last["H_full"] * sg[:, :, None] * sg[:, None, :]
        J = last["J"] * sg[:, p + 1 :, None, None]
    if cov_type == "expected":
        cov = cov_exp
    elif cov_type == "robust":
        ev = evaluate(stats, Lam, reml, keep=True)
        bg = stats.per_group(beta)
        Xte = stats.Xty - (stats.XtX @ bg[..., None])[..., 0]
        gi = Xte - (ev["XtZS"] @ ev["Zte"][..., None])[..., 0]
        meat = stats.dsum(gi[:, :, None] * gi[:, None, :])
        cov = (n_groups / np.maximum(n_groups - 1, 1))[:, None, None] * Ainv @ meat @ Ainv
    else:
        cov = 2 * _pinv_sym(H)[:, :p, :p]
        cov = 0.5 * (cov + _T(cov))
    bse = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
    df_resid = stats.n_obs - p
    if df_method == "none":
        df = np.full((D, p), np.inf)
    elif df_method == "residual":
        df = np.repeat(df_resid[:, None], p, 1)
    elif cov_type == "robust":
        df = np.repeat(np.maximum(n_groups - 1, 1)[:, None], p, 1)
    else:
        Cphi = 2 * _pinv_sym(H[:, p:, p:])
        Ad = np.diagonal(Ainv, axis1=1, axis2=2)  # (D, p)
        v = scale[:, None] * Ad
        # ∂v_j/∂θ_k = σ² (A⁻¹ J_k A⁻¹)_jj
        dth = scale[:, None, None] * np.einsum("djp,dkpr,drj->djk", Ainv, J, Ainv)
        grad = np.concatenate([v[..., None], dth], axis=2)  # (D, p, 1+k)
        den = np.einsum("dji,dil,djl->dj", grad, Cphi, grad)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = 2 * v**2 / den
        df = np.clip(np.where(np.isfinite(df), df, df_resid[:, None]), 1.0, df_resid[:, None])
    psi = Lam @ _T(Lam)
    out = LMMBatchResult(
        fe_names=fe_names,
        re_names=re_names,
        fe_params=beta,
        bse=bse,
        df=df,
        cov_params=cov,
        scale=scale,
        cov_re=scale[:, None, None] * psi,
        llf=-0.5 * last["dev"],
        converged=conv,
        n_iter=nt["n_iter"],
        n_eval=nt["n_eval"],
        refitted=np.zeros(D, dtype=bool),
        fallback=[None] * D,
        reml=reml,
        cov_type=cov_type,
        df_method=df_method,
        lambdas=Lam,
        _stats=stats,
    )
    if refit_failures and not conv.all():
        import warnings as _w

        for d in np.flatnonzero(~conv):  # rare: one-by-one with restarts and fallback
            with _w.catch_warnings(record=True) as rec:
                _w.simplefilter("always")
                r = fit_lmm(
                    None,
                    None,
                    None,
                    None,
                    reml=reml,
                    fe_names=fe_names,
                    re_names=re_names,
                    cov_type=cov_type,
                    df_method=df_method,
                    _stats=stats.dataset(int(d)),
                )
            for w in rec:
                _w.warn(f"data set {d}: {w.message}", w.category, stacklevel=2)
            out._results[d] = r
            out.refitted[d] = True
            out.converged[d] = r.converged
            out.fallback[d] = r.fallback
            out.fe_params[d] = r.fe_params.values
            out.bse[d] = r.bse.values
            out.df[d] = r.df.values
            out.cov_params[d] = r.cov_params().values
            out.scale[d] = r.scale
            out.llf[d] = r.llf
            cr = np.zeros((q, q))
            cr[np.ix_(r.re_cols, r.re_cols)] = r.cov_re.values
            out.cov_re[d] = cr
            Lf = np.zeros((q, q))
            Lf[np.ix_(r.re_cols, r.re_cols)] = r.lambda_
            out.lambdas[d] = Lf
    return out
