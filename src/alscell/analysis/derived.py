"""Per-visit derived ALSFRS-R table (spec/cli.md ``alscell derive``; columns fixed by issue 2).

One row per ALSFRS-R visit: total and the four subscores (domain.alsfrs), King's and MiToS stage
(domain.staging), ΔFRS and months since onset (domain.progression; one month = 30.4375 days).
``delta_frs`` is computed at each visit as (48 − total) / months from onset to that visit, so on the
patient's first visit it is exactly Kimura's ΔFRS (pre-slope).
"""

from __future__ import annotations

import pandas as pd

from alscell.domain.alsfrs import SUBSCORE_KEYS, score_items
from alscell.domain.progression import delta_frs
from alscell.domain.staging import kings_stage, mitos_stage
from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.tables import Tables, as_tables

DERIVED_COLUMNS = (
    "patient_id",
    "date",
    "total",
    *SUBSCORE_KEYS,
    "kings_stage",
    "mitos_stage",
    "delta_frs",
    "months_since_onset",
)


def derive_visits(tables: Tables) -> pd.DataFrame:
    """Derived per-visit frame from typed canonical tables (needs ``patients`` and ``alsfrs``)."""
    tables = as_tables(tables)
    visits = tables["alsfrs"].sort_values(["patient_id", "date"]).reset_index(drop=True)
    onset = visits["patient_id"].map(tables["patients"].set_index("patient_id")["onset_date"])
    months = (visits["date"] - onset).dt.days / DAYS_PER_MONTH
    scores = score_items(visits)
    out = pd.DataFrame({"patient_id": visits["patient_id"], "date": visits["date"]})
    for col in ("total", *SUBSCORE_KEYS):
        out[col] = scores[col]
    out["kings_stage"] = kings_stage(visits).to_numpy()
    out["mitos_stage"] = mitos_stage(visits).to_numpy()
    out["delta_frs"] = delta_frs(scores["total"].to_numpy(), months.to_numpy())
    out["months_since_onset"] = months.to_numpy()
    return out[list(DERIVED_COLUMNS)]


def write_derived_csv(derived: pd.DataFrame, path) -> None:
    """CSV with scores as integers, ΔFRS and months with 4 decimals, empty where not computable."""
    from alscell.io.writer import neutralise_formulas

    text = derived.copy()
    text["patient_id"] = neutralise_formulas(text["patient_id"])  # a spreadsheet never runs a cell as a formula
    text["date"] = text["date"].dt.strftime("%Y-%m-%d")
    for col in ("total", *SUBSCORE_KEYS):
        text[col] = text[col].astype("Int64")
    text["mitos_stage"] = text["mitos_stage"].astype("Int64")
    text["delta_frs"] = text["delta_frs"].round(4)
    text["months_since_onset"] = text["months_since_onset"].round(4)
    text.to_csv(path, index=False, lineterminator="\n", na_rep="")
