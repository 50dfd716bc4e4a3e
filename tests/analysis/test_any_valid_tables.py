"""The public Python API on valid data our simulator would never write (issue 9).

Every entry point returns its typed result or raises ``NotApplicable`` with one sentence — never any
other exception, never a warning (pytest turns warnings from alscell code into errors).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alscell.analysis.claims import claims_table, muscle_effects
from alscell.analysis.cycles import dose_response, effect_by_cycle
from alscell.analysis.derived import DERIVED_COLUMNS, derive_visits
from alscell.analysis.effects import METHODS, estimate_effect
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import JSON_KEYS, Estimate
from alscell.analysis.forecast import forecast_patient
from alscell.analysis.responders import ResponderResult, responder_analysis
from alscell.analysis.results import TableResult
from alscell.analysis.safety import ae_incidence
from alscell.analysis.survival import EventResult, event_analysis
from alscell.io.columns import REQUIRED, TABLES
from alscell.io.reader import read_folder
from alscell.io.tables import Tables
from alscell.report.cohort import cohort_report
from alscell.report.patient import patient_report
from sparse_data import FOLDERS, ITEMS, full_rows, write

ENTRY_POINTS = {
    **{f"effect_{m}": (lambda t, m=m: estimate_effect(t, "alsfrs_r_total", m), Estimate) for m in METHODS},
    "effect_fvc": (lambda t: estimate_effect(t, "fvc_pct_pred"), Estimate),
    "claims": (claims_table, TableResult),
    "muscles": (muscle_effects, TableResult),
    "cycles": (effect_by_cycle, TableResult),
    "dose_response": (dose_response, TableResult),
    "responders": (lambda t: responder_analysis(t, n_sim=50), ResponderResult),
    "survival": (event_analysis, EventResult),
    "safety": (ae_incidence, TableResult),
}


def applies(fn, tables, kind):
    """The result of ``fn(tables)`` (checked to be of ``kind``), or None when it does not apply."""
    try:
        out = fn(tables)
    except NotApplicable as exc:
        assert str(exc).strip(), "NotApplicable must say why"
        return None
    assert isinstance(out, kind), type(out)
    assert isinstance(out.warnings, list) and all(isinstance(w, str) and w for w in out.warnings)
    out.to_json_dict()  # every result serialises
    return out


@pytest.fixture(params=sorted(FOLDERS), scope="module")
def sparse(request, tmp_path_factory):
    return request.param, read_folder(FOLDERS[request.param](tmp_path_factory.mktemp(request.param) / "data"))


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_entry_point_on_sparse_data(sparse, entry):
    _name, tables = sparse
    fn, kind = ENTRY_POINTS[entry]
    applies(fn, tables, kind)


def test_derive_and_reports_on_sparse_data(sparse, tmp_path):
    name, tables = sparse
    d = derive_visits(tables)
    assert list(d.columns) == list(DERIVED_COLUMNS) and len(d) == len(tables["alsfrs"])
    applies(lambda t: forecast_patient(t, "P000"), tables, object)
    try:
        cohort_report(tables, tmp_path / "c.html")
        assert (tmp_path / "c.html").stat().st_size > 1000
    except NotApplicable:
        pytest.fail(f"the cohort report must be written for any valid folder ({name})")
    try:
        patient_report(tables, "P000", tmp_path / "p.html")
    except NotApplicable as exc:
        assert name in ("no_alsfrs", "one_patient"), exc  # no natural history to compare with


def test_default_effect_on_users_own_frames():
    """Frames built by hand, with only the required columns, go through Tables.from_frames."""
    rows = full_rows(n_patients=12, seed=5)
    frames = {
        "patients": pd.DataFrame(rows["patients"])[list(REQUIRED["patients"])],
        "treatments": pd.DataFrame(rows["treatments"])[[*list(REQUIRED["treatments"]), "target_muscles"]],
        "alsfrs": pd.DataFrame(rows["alsfrs"]).replace("", None),
    }
    t = Tables.from_frames(frames)
    for name in TABLES:
        assert list(t[name].columns) == list(TABLES[name])
    est = estimate_effect(t)
    assert tuple(est.to_json_dict()) == JSON_KEYS
    assert est.n_treated == 6 and est.n_patients == 12
    # every visit is kept by default; with 6 treated patients the estimate says it is fragile
    assert not any("may have prompted it" in w for w in est.warnings)
    assert any("treated patients have visits after treatment" in w for w in est.warnings)


# --------------------------------------------------------------------------- property test
OPTIONAL_FILES = ("treatments", "measurements", "adverse_events", "events")


def _blank_optional(rows: dict[str, list[dict]], drop_cols: dict[str, set[str]], blank: float, rnd) -> None:
    for name, table in rows.items():
        for r in table:
            for c in TABLES[name]:
                if c in REQUIRED[name] or (name == "alsfrs" and c in ITEMS):
                    continue
                if name == "measurements" or (name == "treatments" and c == "target_muscles"):
                    continue  # qualifiers and IM targets are required where they apply
                if c in drop_cols.get(name, set()) or rnd.random() < blank:
                    r[c] = ""


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 9),
    seed=st.integers(0, 10_000),
    absent=st.sets(st.sampled_from(OPTIONAL_FILES)),
    drop=st.sets(
        st.sampled_from(
            [
                (n, c)
                for n in TABLES
                for c in TABLES[n]
                if c not in REQUIRED[n] and n != "measurements" and (n, c) != ("treatments", "target_muscles")
            ]
        )
    ),
    blank=st.floats(0, 1),
    item_blank=st.floats(0, 0.3),
)
def test_random_sparse_registries(tmp_path_factory, n, seed, absent, drop, blank, item_blank):
    import random

    rnd = random.Random(seed)
    rows = full_rows(n_patients=n, seed=seed)
    if "treatments" in absent:
        for r in rows["adverse_events"]:
            r["treatment_id"] = ""
    drop_cols: dict[str, set[str]] = {}
    for name, col in drop:
        drop_cols.setdefault(name, set()).add(col)
    _blank_optional(rows, drop_cols, blank, rnd)
    for r in rows["alsfrs"]:  # partial visits are valid: the total is then missing
        for it in ITEMS:
            if rnd.random() < item_blank:
                r[it] = ""
    keep = {k: v for k, v in rows.items() if k not in absent}
    cols = {k: tuple(c for c in TABLES[k] if c not in drop_cols.get(k, set()) or c in REQUIRED[k]) for k in keep}
    cols["measurements"] = TABLES["measurements"]
    cols.setdefault("treatments", TABLES["treatments"])
    if not any(c in ITEMS for c in cols["alsfrs"]):  # no item column at all is invalid (rule no_item_columns)
        cols["alsfrs"] = (*cols["alsfrs"], ITEMS[0])
    folder = write(tmp_path_factory.mktemp("prop") / "data", keep, cols)
    tables = read_folder(folder)
    assert len(derive_visits(tables)) == len(tables["alsfrs"])
    applies(estimate_effect, tables, Estimate)
    out = tmp_path_factory.mktemp("prop-out")
    cohort_report(tables, out / "c.html")
    try:
        patient_report(tables, "P000", out / "p.html")
    except NotApplicable:
        pass


def test_derived_csv_neutralises_formulas(tmp_path):
    """A patient id a spreadsheet would run as a formula is written with a leading quote."""
    from alscell.analysis.derived import write_derived_csv

    rows = full_rows(n_patients=1)
    for name in ("patients", "alsfrs"):
        for r in rows[name]:
            r["patient_id"] = "-2-3"
    tables = read_folder(write(tmp_path / "f", {k: rows[k] for k in ("patients", "alsfrs")}))
    write_derived_csv(derive_visits(tables), tmp_path / "d.csv")
    lines = (tmp_path / "d.csv").read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("'-2-3,") for line in lines[1:])
