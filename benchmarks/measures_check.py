"""The measures' check: how often the default's warning fires, and which estimate is nearer the truth when it does.

Since 2026-12-07 g-estimation's default history reads the FVC, SVC, weight and blood NfL recorded before each visit
(``history="measures_only"``, docs/world22_measures_only.md).  Reading what the clinic chose on removes the lean it
would bring (the ninth and tenth worlds, docs/calibration_world9_measures_only.md); where the clinic also chose on
something the registry does not record, reading a trigger of treatment can enlarge that lean (bias amplification:
the eighth world's weight trigger, docs/world8_weight.md).  The data cannot tell the two apart, so the default
reports the move its measures made (``details["measures_check"]``: the estimate with them minus the standard
history's on the same decision rows, with the SE of the move from the two per-patient influences) and warns when the
move passes the registry terms' thresholds (``HISTORY_Z`` = 3 of its SEs and ``HISTORY_MOVE`` = a quarter of the
estimate's SE, fixed before either check was looked at; docs/warning_census.md).

Here every world that records one of the four measures (``small_cohort_measures.WORLDS``: ``alscell.simulate`` and
thirteen held-out worlds), 1,000 patients with 30% and 60% treated, under no effect (truth 0), 20 cohorts per cell,
the occasions recorded where the world can say so: per cohort the default's estimate and the standard history's
as the check reports it (its estimate and the SE the warning prints), the move's z and whether the warning fired.
Every world here has been seen; this describes the check, it changes nothing.

    .venv/bin/python benchmarks/measures_check.py --workers 2 --raw docs/data/measures_check.csv --write-md docs/measures_check.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from small_cohort_measures import RECORDING
from small_cohort_measures import WORLDS as MEASURED_WORLDS
from world18_raters import page_main
from world20_hold_raters import judged_rows

ENTROPY, COHORTS = 20261250, 20
PATIENTS = 1000
SHARES = (0.3, 0.6)
CELLS = {
    f"{world} ({what}), {PATIENTS} × {share:.0%}": (world, share)
    for world, what in MEASURED_WORLDS.items()
    for share in SHARES
}
OFF = tuple(CELLS)
DEFAULT, STANDARD = "the default (the measures alone)", "standard, as the check reports it"


def run_chunk(items: list[tuple]) -> list[dict]:
    """Each (cell, seed) cohort under no effect through the default, with its measures' check."""
    import warnings

    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    from alscell.analysis.distributions import t_ppf
    from alscell.analysis.g_estimation import beyond_noise, g_estimation
    from alscell.analysis.history_contrast import carried_se
    from calibration import _cohort

    rows = []
    for cell, seed in items:
        world, share = CELLS[cell]
        tables = _cohort(world, PATIENTS, share, 0.0, int(seed), record_occasions=world in RECORDING)
        e = g_estimation(tables)
        c = e.details.get("measures_check")
        common = dict(off=cell, seed=int(seed), truth=0.0, starters=e.details.get("initiations"))
        if c is None or not np.isfinite(e.estimate):  # nothing measured on these rows, or no estimate
            rows += [common | dict(estimator=est, estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan,
                                   z=np.nan, move=np.nan, fired=False) for est in (DEFAULT, STANDARD)]  # fmt: skip
            continue
        alt = (c["standard_estimate"], carried_se(e.se, c["measures_se"], c["standard_se"]))
        fired = beyond_noise(c["difference"], c["z"], e.se)
        q = t_ppf(0.975, e.details["df"])
        check = dict(z=c["z"], move=c["difference"], fired=fired)
        rows.append(common | check | dict(estimator=DEFAULT, estimate=e.estimate, se=e.se, ci_low=e.ci_low,
                                          ci_high=e.ci_high))  # fmt: skip
        rows.append(common | check | dict(estimator=STANDARD, estimate=alt[0], se=alt[1], ci_low=alt[0] - q * alt[1],
                                          ci_high=alt[0] + q * alt[1]))  # fmt: skip
    return rows


def fired_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Per cell: cohorts checked, the share where the warning fired (MCSE), the mean and SD of the move's z, and over
    the fired cohorts how many had the default nearer the truth than the standard history."""
    d = raw[raw["estimator"] == DEFAULT].set_index(["off", "seed"])
    s = raw[raw["estimator"] == STANDARD].set_index(["off", "seed"]).loc[d.index]
    nearer = (d["estimate"] - d["truth"]).abs() < (s["estimate"] - s["truth"]).abs()
    out = []
    for cell in dict.fromkeys(d.index.get_level_values("off")):
        dd, ok = d.loc[cell], np.isfinite(d.loc[cell, "z"].to_numpy(float))
        k, fired = int(ok.sum()), dd["fired"].to_numpy(bool) & ok
        rate = fired.sum() / k if k else np.nan
        out.append(dict(cell=cell, k=k, rate=rate, mcse=np.sqrt(rate * (1 - rate) / k) if k else np.nan,
                        z_mean=float(dd["z"][ok].mean()), z_sd=float(dd["z"][ok].std(ddof=1)),
                        fired=int(fired.sum()), nearer=int(nearer.loc[cell][fired].sum()),
                        move=float(dd["move"][ok].mean())))  # fmt: skip
    return pd.DataFrame(out)


def markdown(raw: pd.DataFrame) -> str:
    ok = np.isfinite(raw["estimate"].astype(float))
    kept, gone = raw[ok], int((~ok[raw["estimator"] == DEFAULT]).sum())
    lines = judged_rows(kept, DEFAULT)
    lines += ["", f"Cohorts with no estimate or nothing measured on their decision rows, left out: {gone}."]
    f = fired_frame(kept)
    lines += [
        "",
        "The check per cell (†: the move's mean z beyond 2 of its MCSEs from 0):",
        "",
        "| cell | cohorts | warning fired (MCSE) | mean move | mean z of the move | SD of z | fired | of those, the "
        "default nearer the truth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in f.itertuples():
        mark = " †" if abs(r.z_mean) > 2 * r.z_sd / np.sqrt(r.k) else ""
        lines.append(
            f"| {r.cell} | {r.k} | {r.rate:.2f} ({r.mcse:.2f}) | {r.move:+.4f} | {r.z_mean:+.2f}{mark} | {r.z_sd:.2f} "
            f"| {r.fired} | {r.nearer} |"
        )
    total, fired = int(f["k"].sum()), int(f["fired"].sum())
    lines += ["", f"Over every cell: the warning fired in {fired} of {total} cohorts ({fired / total:.3f}); the "
              f"default was nearer the truth in {int(f['nearer'].sum())} of those."]  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    return page_main(argv, OFF, run_chunk, markdown, MD, READING, "measures_check.py", ENTROPY, COHORTS)


MD = """# The measures' check: when the default's measurements move its estimate

Every number on this page is printed by `.venv/bin/python {command}` (stored, `--from-raw` rewrites the page from
the cohorts).  What and why: the script's docstring.  No effect (truth 0), 1,000 patients, 30% and 60% treated; 20
cohorts per cell, the occasions recorded on the sixteenth to twenty-second worlds.  The standard history's row is
the estimate the warning prints, on the same cohorts (paired).  ✗: outside ±2 MCSE of the nominal value (bias 0,
missing 0.05).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the tables above after the first run (2026-12-07, forty-second session; 8.6 min).  Every world
  here has been seen; the page describes the check, it changes nothing.
* **The warning is rare and never fired on `alscell.simulate`** (0 of 40 cohorts; mean z of the move −0.14 and
  −0.02): over every cell it fired in 26 of 560 cohorts (0.046), all where a clinic's rule reads a recorded measure —
  the tenth world with 60% treated (8 of 20), the thirteenth with 60% (6) and 30% (2), the seventeenth with 30% (6),
  the ninth with 60% (2), the nineteenth and twentieth with 30% (1 each).  Every one of those moves went down (−0.021
  to −0.086), from a lean toward treatment, and in 23 of the 26 the default was nearer the truth than the standard
  history (truth 0).
* **Below the threshold the move is still systematic**: its mean z is beyond 2 of its MCSEs from 0 in 23 of 28 cells
  (−0.4 to −2.8 where the measures take part of a lean), so the thresholds (3 SEs of the move, set for the registry
  terms before either check was looked at) let most real moves pass unsaid at 1,000 patients; `details["measures_check"]`
  reports every move.  The SD of z is 0.61 to 1.10 across the cells (median 0.84): the move's SE is, if anything,
  conservative here.
* **The moves the other way were not flagged**: on the eighth world (+0.0062 and +0.0034; mean z +0.49 and +0.32),
  whose weight trigger the measures amplify (docs/world8_weight.md), and on the twenty-first with 60% treated (+0.0141,
  mean z +0.72) the default leans further than the standard history and the check stayed silent in every cohort; on
  the sixteenth world the moves go up from below 0 (+0.0114, +0.0189), toward the truth.  An amplification this small
  is beyond what the check can see: its warning, when it fires, has on these worlds marked a clinic that chose on a
  measure, with the default the nearer; its silence does not say the measures did no harm."""


if __name__ == "__main__":
    raise SystemExit(main())
