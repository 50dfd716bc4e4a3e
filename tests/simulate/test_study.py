"""run_study returns the rows in the order of its work items, whichever chunk finishes first."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_task import slow_first

from alscell.simulate.study import run_study


@pytest.mark.parametrize("how", [dict(workers=1), dict(workers=2, scheduler="processes"), dict(workers=2)])
def test_rows_come_back_in_the_order_of_the_items(how):
    items = list(range(8))
    rows = run_study(slow_first, items, task_args=(len(items),), chunk=2, **how)
    assert [r["item"] for r in rows] == items
