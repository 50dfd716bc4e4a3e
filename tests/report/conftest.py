"""Simulated cohorts shared by the report tests (small, fast)."""

from __future__ import annotations

import pytest

from alscell.simulate import CohortConfig, simulate_cohort

ROUTES_ALL = {"intrathecal": 0.5, "intravenous": 0.2, "intramuscular": 0.25, "intraspinal": 0.05}


@pytest.fixture(scope="session")
def cohort():
    """A 160-patient registry with every route, repeated doses, untreated patients and a true effect."""
    return simulate_cohort(CohortConfig(n_patients=160, design="registry", effect=0.3, route_mix=ROUTES_ALL), 5)


@pytest.fixture(scope="session")
def tables(cohort):
    return cohort.tables


@pytest.fixture(scope="session")
def data_dir(cohort, tmp_path_factory):
    d = tmp_path_factory.mktemp("report-data") / "registry"
    cohort.write(d)
    return d
