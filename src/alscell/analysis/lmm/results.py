"""Result object of a linear mixed model fit."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from alscell.analysis.distributions import norm_ppf, norm_sf, t_ppf, t_sf

from .inference import satterthwaite_df

__all__ = ["LMMResult", "LMMSummary"]


@dataclass
class LMMSummary:
    """Readable summary: ``str(summary)`` for text, ``.fe`` / ``.re`` / ``.info`` as tables."""

    info: pd.Series
    fe: pd.DataFrame
    re: pd.DataFrame
    notes: list = field(default_factory=list)

    def __str__(self) -> str:
        w = 72
        lines = ["Linear mixed model (alscell.analysis.lmm)".center(w), "=" * w]
        items = list(self.info.items())
        for a, b in zip(items[0::2], items[1::2] + [("", "")] * (len(items) % 2), strict=False):
            left = f"{a[0]}: {a[1]}"
            right = f"{b[0]}: {b[1]}" if b[0] else ""
            lines.append(f"{left:<36}{right}")
        lines.append("-" * w)
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            lines.append(self.fe.to_string(float_format=lambda v: f"{v:.4g}"))
            lines.append("-" * w)
            lines.append("Random effects (outcome units):")
            lines.append(self.re.to_string(float_format=lambda v: f"{v:.4g}"))
        lines.append("=" * w)
        lines.extend(self.notes)
        return "\n".join(lines)

    __repr__ = __str__


class LMMResult:
    """Fitted Gaussian linear mixed model.

    Attributes follow statsmodels/lifelines naming: ``fe_params``, ``bse``,
    ``tvalues``, ``pvalues``, ``df``, ``cov_re``, ``scale``, ``llf``, ``aic``,
    ``bic``, ``random_effects``, ``random_effects_cov``, ``converged``,
    ``n_iter``, ``fallback``, ``convergence`` (a dict report).

    The observed information (a Hessian: one more likelihood evaluation) is computed on first
    use — ``cov_params_model``, model-based ``bse``, Satterthwaite ``df`` or ``convergence`` —
    so robust-SE fits never compute it.
    """

    def __init__(
        self,
        *,
        fit: dict,
        fe_names,
        re_names,
        re_cols,
        re_names_requested,
        labels,
        reml: bool,
        cov_type: str,
        df_method: str,
        n_obs: int,
        structure,
        Lam: np.ndarray,
        converged: bool,
        n_iter: int,
        convergence: dict,
        fallback: str | None,
        alpha: float = 0.05,
    ):
        self._fit = fit
        self.fe_names = list(fe_names)
        self.re_names = list(re_names)
        self.re_names_requested = list(re_names_requested)
        self.re_cols = np.asarray(re_cols, dtype=int)
        self.group_labels = np.asarray(labels)
        self.reml = bool(reml)
        self.cov_type = cov_type
        self.df_method = df_method
        self.nobs = int(n_obs)
        self.n_groups = len(self.group_labels)
        self.structure = structure
        self.lambda_ = np.asarray(Lam)
        self.theta = structure.from_lambda(self.lambda_[None])[0]
        self.converged = bool(converged)
        self.n_iter = int(n_iter)
        self._convergence = convergence
        self.fallback = fallback
        p = len(self.fe_names)
        self.k_fe = p
        self.k_re = structure.k
        self.scale = float(fit["scale"])
        self.fe_params = pd.Series(fit["beta"], index=self.fe_names, name="coef")
        self.cov_params_expected = pd.DataFrame(fit["cov_expected"], index=self.fe_names, columns=self.fe_names)
        self.cov_params_robust = pd.DataFrame(fit["cov_robust"], index=self.fe_names, columns=self.fe_names)
        psi = self.lambda_ @ self.lambda_.T
        self.cov_re = pd.DataFrame(self.scale * psi, index=self.re_names, columns=self.re_names)
        self.cov_re_relative = psi
        self.llf = -0.5 * float(fit["dev"])
        n_par = p + self.k_re + 1
        self.df_modelwc = n_par
        self.aic = -2 * self.llf + 2 * n_par
        self.bic = -2 * self.llf + np.log(self.nobs) * n_par
        self.random_effects = pd.DataFrame(
            fit["blup"], index=pd.Index(self.group_labels, name="group"), columns=self.re_names
        )
        self.random_effects_cov = self.scale * fit["S"]
        eig = np.linalg.eigvalsh(psi) if len(psi) else np.array([1.0])
        self.singular = bool(eig.min() <= 1e-8 * max(eig.max(), 1e-300)) if len(psi) else False
        self.df_resid = float(self.nobs - p)

    # ------------------------------------------------------------------ lazily computed inference
    def _hessian(self) -> dict:
        """The fit dict with the observed-information quantities (computed once, on first need)."""
        f = self._fit
        if "C_phi" not in f:
            f.update(f.pop("_hessian")())
            self._convergence["hessian_pd"] = f["hessian_pd"]
        return f

    @property
    def convergence(self) -> dict:
        """Optimiser report; ``hessian_pd`` says whether the observed information is positive definite."""
        if "_hessian" in self._fit:
            self._hessian()
        return self._convergence

    @cached_property
    def cov_params_model(self) -> pd.DataFrame:
        """Inverse observed information in (β, σ², Λ), β block (statsmodels' covariance)."""
        return pd.DataFrame(self._hessian()["cov_model"], index=self.fe_names, columns=self.fe_names)

    @cached_property
    def df(self) -> pd.Series:
        return pd.Series(self._df_for(np.eye(self.k_fe)), index=self.fe_names, name="df")

    @cached_property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.clip(np.diag(self.cov_params().values), 0, None)), index=self.fe_names, name="se")

    @cached_property
    def tvalues(self) -> pd.Series:
        return (self.fe_params / self.bse).rename("t")

    @cached_property
    def pvalues(self) -> pd.Series:
        return pd.Series(self._p(self.tvalues.values, self.df.values), index=self.fe_names, name="p")

    # ------------------------------------------------------------------ inference
    def cov_params(self, cov_type: str | None = None) -> pd.DataFrame:
        """Covariance of β̂ of the chosen type ("model", "expected", "robust")."""
        ct = cov_type or self.cov_type
        if ct == "model":
            return self.cov_params_model
        return {"expected": self.cov_params_expected, "robust": self.cov_params_robust}[ct]

    def _df_for(self, L: np.ndarray) -> np.ndarray:
        L = np.atleast_2d(L)
        m = L.shape[0]
        if self.df_method == "none":
            return np.full(m, np.inf)
        if self.df_method == "residual":
            return np.full(m, self.df_resid)
        if self.cov_type == "robust":  # cluster-robust: G − 1
            return np.full(m, max(self.n_groups - 1.0, 1.0))
        f = self._hessian()
        return satterthwaite_df(L, self.scale, f["Ainv"], f["J"], f["C_phi"], self.df_resid)

    @staticmethod
    def _p(t, df):
        t = np.asarray(t, dtype=float)
        df = np.asarray(df, dtype=float)
        return np.where(np.isinf(df), 2 * norm_sf(np.abs(t)), 2 * t_sf(np.abs(t), np.where(np.isinf(df), 1, df)))

    @staticmethod
    def _q(alpha, df):
        df = np.asarray(df, dtype=float)
        return np.where(np.isinf(df), norm_ppf(1 - alpha / 2), t_ppf(1 - alpha / 2, np.where(np.isinf(df), 1, df)))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals using the per-coefficient df."""
        qv = self._q(alpha, self.df.values)
        lo = self.fe_params.values - qv * self.bse.values
        hi = self.fe_params.values + qv * self.bse.values
        return pd.DataFrame({"lower": lo, "upper": hi}, index=self.fe_names)

    def contrast(self, L, alpha: float = 0.05, cov_type: str | None = None) -> pd.DataFrame:
        """Estimate, SE, df, t, p and CI for each row of L (a p-vector or m×p matrix,
        or a dict {fe_name: weight})."""
        if isinstance(L, dict):
            L = np.array([[float(L.get(nm, 0.0)) for nm in self.fe_names]])
        L = np.atleast_2d(np.asarray(L, dtype=float))
        if L.shape[1] != self.k_fe:
            raise ValueError(f"contrast needs {self.k_fe} columns")
        est = L @ self.fe_params.values
        cov = self.cov_params(cov_type).values
        se = np.sqrt(np.clip(np.einsum("mi,ij,mj->m", L, cov, L), 0, None))
        df = self._df_for(L)
        t = est / se
        qv = self._q(alpha, df)
        return pd.DataFrame(
            {
                "estimate": est,
                "se": se,
                "df": df,
                "t": t,
                "p": self._p(t, df),
                "lower": est - qv * se,
                "upper": est + qv * se,
            }
        )

    # ------------------------------------------------------------------ prediction
    def predict(
        self, X_new, Z_new=None, groups_new=None, interval: str = "confidence", alpha: float = 0.05
    ) -> pd.DataFrame:
        """Predictions with confidence or prediction intervals (normal quantiles).

        * population level (no group, or an unknown group): mean = xβ̂,
          confidence variance xᵀCov(β̂)x; the prediction interval adds
          zᵀ cov_re z (if ``Z_new`` given) and σ².
        * patient level (known group, needs ``Z_new``): mean = xβ̂ + z b̂ᵢ; the
          confidence variance of the patient's true mean is
          (x − XᵢᵀZᵢSᵢz)ᵀCov(β̂)(x − …) + σ² zᵀSᵢz (BLUP prediction error,
          which is uncorrelated with β̂ − β); the prediction interval adds σ².

        ``Z_new`` may have the columns of the fitted or of the requested
        random-effects design (a fallback drops columns; they are ignored).
        """
        if interval not in ("confidence", "prediction"):
            raise ValueError("interval must be 'confidence' or 'prediction'")
        X_new = np.atleast_2d(np.asarray(X_new, dtype=float))
        if X_new.shape[1] != self.k_fe and X_new.shape[0] == self.k_fe and X_new.shape[1] == 1:
            X_new = X_new.T
        m = X_new.shape[0]
        beta = self.fe_params.values
        cov = self.cov_params().values
        mean = X_new @ beta
        if Z_new is not None:
            Z_new = np.asarray(Z_new, dtype=float)
            if Z_new.ndim == 1:
                Z_new = Z_new[:, None] if len(self.re_names) == 1 or Z_new.shape[0] == m else Z_new[None]
            if Z_new.shape[1] == len(self.re_names_requested) and Z_new.shape[1] != len(self.re_names):
                Z_new = Z_new[:, self.re_cols]
            if Z_new.shape[1] != len(self.re_names):
                raise ValueError(f"Z_new must have {len(self.re_names)} columns")
        idx = np.full(m, -1)
        if groups_new is not None:
            if Z_new is None:
                raise ValueError("patient-level predictions need Z_new")
            gnew = np.asarray(groups_new)
            if gnew.ndim == 0:
                gnew = np.repeat(gnew, m)
            idx = self._label_index.get_indexer(gnew)
        known = idx >= 0
        xa = X_new.copy()
        var = np.zeros(m)
        if known.any():
            ii = idx[known]
            z = Z_new[known]
            b = self.random_effects.values[ii]
            mean[known] += np.einsum("mi,mi->m", z, b)
            XtZS = self._fit["XtZS"][ii]  # (mk, p, q)
            xa[known] = X_new[known] - (XtZS @ z[..., None])[..., 0]
            var[known] += self.scale * np.einsum("mi,mij,mj->m", z, self._fit["S"][ii], z)
        var += np.einsum("mi,ij,mj->m", xa, cov, xa)
        if interval == "prediction":
            var += self.scale
            unk = ~known
            if Z_new is not None and unk.any():
                z = Z_new[unk]
                var[unk] += np.einsum("mi,ij,mj->m", z, self.cov_re.values, z)
        se = np.sqrt(np.clip(var, 0, None))
        zq = norm_ppf(1 - alpha / 2)
        return pd.DataFrame(
            {"mean": mean, "se": se, "lower": mean - zq * se, "upper": mean + zq * se, "patient_level": known}
        )

    # ------------------------------------------------------------------ per-group views
    def for_groups(self, groups: Iterable) -> LMMResult:
        """This result holding only the fitted groups ``groups`` (labels; labels that were not fitted are
        left out, so they get population-level predictions).

        Everything else is this fit's: fixed effects and their covariance, random-effect covariance, σ²,
        degrees of freedom, ``n_groups`` (the number of groups of the fit, which robust inference uses).
        :meth:`predict` gives the same numbers for these groups as on the whole result, without looking
        each new label up among every fitted group (a registry-wide result has one group per patient)."""
        wanted = list(groups)
        pos = self._label_index.get_indexer(wanted) if wanted else np.array([], dtype=np.intp)
        pos = pos[pos >= 0]
        f = self._fit
        return self._with_groups(self.group_labels[pos], f["S"][pos], f["XtZS"][pos], f["blup"][pos])

    def with_observations(self, y, X, Z, groups) -> LMMResult:
        """This result whose groups are those of ``groups``, with random effects computed from the given
        observations and this fit's population parameters held fixed.

        For each group i (rows of ``y``/``X``/``Z`` with that label): the conditional BLUP
        b̂ᵢ = D Zᵢᵀ Vᵢ⁻¹ (yᵢ − Xᵢβ̂), D = ``cov_re``, Vᵢ = Zᵢ D Zᵢᵀ + σ²I, and its prediction-error
        covariance σ²Sᵢ with Sᵢ = Λ(ΛᵀZᵢᵀZᵢΛ + I)⁻¹Λᵀ (``random_effects_cov``) — the formulas of the fit,
        evaluated by the same code.  A group whose rows are those it was fitted with gets the fitted random
        effects and predictions (to rounding); new or changed rows of a group (a visit entered after the
        fit) give that group's random effects as if β̂, D and σ² had not changed.  No refit is made.

        ``y`` (n,), ``X`` (n, p), ``Z`` (n, q) with the columns of the fitted or of the requested
        random-effects design, all finite; ``groups`` (n,) labels.  Groups with no row are not in the
        result (population-level predictions).  Inference on the fixed effects is this fit's unchanged."""
        from .design import build_stats, factorize_groups
        from .likelihood import _gf, _stage1, _stage2

        y = np.asarray(y, dtype=float).ravel()
        n = len(y)
        X = np.asarray(X, dtype=float).reshape(n, -1) if n else np.zeros((0, self.k_fe))
        Z = np.asarray(Z, dtype=float).reshape(n, -1) if n else np.zeros((0, len(self.re_names)))
        if Z.shape[1] == len(self.re_names_requested) and Z.shape[1] != len(self.re_names):
            Z = Z[:, self.re_cols]
        if X.shape[1] != self.k_fe or Z.shape[1] != len(self.re_names):
            raise ValueError(f"X must have {self.k_fe} and Z {len(self.re_names)} columns")
        q, p = len(self.re_names), self.k_fe
        if n == 0:
            return self._with_groups(
                np.array([], dtype=object), np.zeros((0, q, q)), np.zeros((0, p, q)), np.zeros((0, q))
            )
        codes, labels = factorize_groups(groups)
        if len(codes) != n:
            raise ValueError("groups must have one entry per observation")
        stats = build_stats(y, X, Z, codes, n_groups=len(labels), labels=[labels])
        lt = np.moveaxis(self.lambda_[None], 0, -1)  # (q, q, 1)
        with np.errstate(all="ignore"):
            s1 = _stage1(stats, lt)
            s2 = _stage2(
                stats, s1, self.fe_params.to_numpy()[None], None, None, self.reml, need=False, hess=False, keep=True
            )
        S = _gf(s1["S"])
        blup = (S @ _gf(s2["Zte"])[..., None])[..., 0]
        return self._with_groups(np.asarray(labels), S, _gf(s1["XtZS"]), blup)

    @cached_property
    def _label_index(self) -> pd.Index:
        """The group labels as an index (its hash table is built once, on first use)."""
        return pd.Index(self.group_labels)

    def _with_groups(self, labels: np.ndarray, S: np.ndarray, XtZS: np.ndarray, blup: np.ndarray) -> LMMResult:
        if "_hessian" in self._fit and self.cov_type == "model":
            self._hessian()  # once, here: the copy shares the observed information instead of recomputing it
        r = copy.copy(self)
        r.__dict__.pop("_label_index", None)  # (cached for this result's labels)
        r._fit = {**self._fit, "S": S, "XtZS": XtZS, "blup": blup}
        r.group_labels = labels
        r.random_effects = pd.DataFrame(blup, index=pd.Index(labels, name="group"), columns=self.re_names)
        r.random_effects_cov = self.scale * S
        return r

    # ------------------------------------------------------------------ reporting
    def coef_table(self, alpha: float = 0.05) -> pd.DataFrame:
        ci = self.conf_int(alpha)
        return pd.DataFrame(
            {
                "coef": self.fe_params,
                "se": self.bse,
                "df": self.df,
                "t": self.tvalues,
                "p": self.pvalues,
                "lower": ci["lower"],
                "upper": ci["upper"],
            }
        )

    def summary(self, alpha: float = 0.05) -> LMMSummary:
        info = pd.Series(
            {
                "method": "REML" if self.reml else "ML",
                "observations": self.nobs,
                "groups": self.n_groups,
                "random effects": self.structure.describe(self.re_names),
                "log-likelihood": round(self.llf, 4),
                "scale (σ²)": round(self.scale, 6),
                "AIC": round(self.aic, 3),
                "BIC": round(self.bic, 3),
                "cov_type": self.cov_type,
                "df method": self.df_method
                if self.cov_type != "robust" or self.df_method in ("none", "residual")
                else "G-1 (cluster)",
                "converged": self.converged,
                "iterations": self.n_iter,
            }
        )
        sd = np.sqrt(np.clip(np.diag(self.cov_re.values), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = self.cov_re.values / np.outer(sd, sd)
        re = pd.DataFrame({"variance": np.diag(self.cov_re.values), "sd": sd}, index=self.re_names)
        for j, nm in enumerate(self.re_names):
            if j:
                re[f"corr:{nm}"] = [corr[i, j] if i < j else np.nan for i in range(len(self.re_names))]
        re.loc["Residual"] = [self.scale, np.sqrt(self.scale)] + [np.nan] * (re.shape[1] - 2)
        notes = []
        if self.fallback:
            notes.append(f"FALLBACK: {self.fallback}")
        if self.singular:
            notes.append("Boundary (singular) fit: a random-effect variance/correlation is at its limit.")
        if not self.converged:
            notes.append("WARNING: the optimiser did not converge; see .convergence.")
        return LMMSummary(info=info, fe=self.coef_table(alpha), re=re, notes=notes)

    def __repr__(self) -> str:
        return (
            f"<LMMResult {'REML' if self.reml else 'ML'} n={self.nobs} groups={self.n_groups} "
            f"re={self.re_names} llf={self.llf:.4f} converged={self.converged}"
            f"{' fallback' if self.fallback else ''}>"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fe_params": self.fe_params.to_dict(),
            "bse": self.bse.to_dict(),
            "cov_re": self.cov_re.values.tolist(),
            "scale": self.scale,
            "llf": self.llf,
            "converged": self.converged,
            "fallback": self.fallback,
        }
