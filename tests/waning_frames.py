"""A hand-made analysis frame with a slope change after treatment that may change 6 months after it: the
truth of the does-it-last checks' tests (tests/analysis/test_waning.py, test_g_waning.py)."""

import numpy as np
import pandas as pd

from alscell.domain.time import DAYS_PER_MONTH as DPM


def waning_frame(n: int, early: float, late: float, seed: int = 3, treated_share: float = 0.5) -> pd.DataFrame:
    """Straight courses (random intercept and slope), visits every 3 months from entry; a share of the
    patients treated 12 months after entry, after which their slope changes by ``early`` points/month for 6
    months and by ``late`` beyond (the hand-made truth)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        entry = rng.uniform(6, 18)
        slope, level = rng.lognormal(np.log(0.8), 0.4), rng.normal(46, 1.5)
        treated = i < treated_share * n
        t0 = entry + 12.0 + rng.uniform(0, 1)  # between visits, so the split is not on a visit for everyone
        for k in range(11):
            t = entry + 3.0 * k
            s = max(t - t0, 0.0) if treated else 0.0
            y = level - slope * t + early * min(s, 6.0) + late * max(s - 6.0, 0.0) + rng.normal(0, 1.0)
            rows.append(dict(patient_id=f"P{i:04d}", months=t, y=y, days_after=(t - t0) * DPM if treated else np.nan))
    return pd.DataFrame(rows)
