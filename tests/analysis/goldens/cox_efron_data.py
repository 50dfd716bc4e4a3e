"""Write cox_efron_data.csv: the fixed data sets behind the Efron sandwich goldens (cox_efron.R).

Scenarios: ``ties_weighted`` (event times rounded to quarter units: many ties; case weights),
``ties_unweighted``, ``counting`` (each patient's time split at a random cut into two rows with delayed
entry, a time-varying covariate ``a`` switching on at the cut, ties, weights).  Run:
``.venv/bin/python tests/analysis/goldens/cox_efron_data.py && Rscript tests/analysis/goldens/cox_efron.R``.
"""

from pathlib import Path

import numpy as np
import pandas as pd


def make() -> pd.DataFrame:
    rng = np.random.default_rng(20261202)
    n = 300
    x, a = rng.normal(size=n), rng.integers(0, 2, n)
    T, C = rng.exponential(1 / np.exp(0.3 * x + 0.2 * a)), rng.exponential(2, n)
    stop = np.ceil(np.minimum(T, C) * 4) / 4
    base = pd.DataFrame(
        dict(
            patient_id=np.arange(n), start=0.0, stop=stop, event=(T < C).astype(int), x=x, a=a, w=rng.uniform(0.3, 3, n)
        )
    )
    frames = [base.assign(scenario="ties_weighted"), base.assign(scenario="ties_unweighted", w=1.0)]
    # counting process: cut at a random quarter inside (0, stop); a = 0 before the cut, 1 after
    cut = np.floor(rng.uniform(0.2, 0.9, n) * stop * 4) / 4
    split = cut > 0
    first = base[split].assign(stop=cut[split], event=0, a=0)
    second = base[split].assign(start=cut[split], a=1)
    whole = base[~split]
    frames.append(pd.concat([first, second, whole]).assign(scenario="counting"))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    make().to_csv(Path(__file__).with_name("cox_efron_data.csv"), index=False)
