"""Student t and normal tail probabilities and quantiles, from ``scipy.special``.

The same functions as ``scipy.stats.t`` / ``scipy.stats.norm`` (the distribution objects call these
special functions), without importing ``scipy.stats``, which takes about half a second: a command that
prints one estimate should not spend that before it starts.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def t_sf(x, df):
    """P(T > x) for Student's t with ``df`` degrees of freedom (``scipy.stats.t.sf``)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q, df):
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``)."""
    return special.stdtrit(df, q)


def norm_sf(x):
    """P(Z > x) for the standard normal (``scipy.stats.norm.sf``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q):
    """The ``q`` quantile of the standard normal (``scipy.stats.norm.ppf``)."""
    return special.ndtri(q)
