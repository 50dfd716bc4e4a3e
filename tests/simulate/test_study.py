"""run_study returns the rows in the order of its work items, whichever chunk finishes first, and reports
its progress on a terminal and in a log file."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_task import instant, slow_first

from alscell.simulate.study import run_study


@pytest.mark.parametrize("how", [dict(workers=1), dict(workers=2, scheduler="processes"), dict(workers=2)])
def test_rows_come_back_in_the_order_of_the_items(how):
    items = list(range(8))
    rows = run_study(slow_first, items, task_args=(len(items),), chunk=2, **how)
    assert [r["item"] for r in rows] == items


def test_a_console_that_is_not_a_terminal_gets_a_line_at_every_tenth():
    import io

    from rich.console import Console

    out = io.StringIO()
    items = list(range(20))
    label = "a study of [world3] cohorts, with a label long enough to pass the eighty columns of a log file"
    run_study(instant, items, chunk=1, label=label, console=Console(file=out, force_terminal=False))
    lines = [ln for ln in out.getvalue().splitlines() if ln.startswith(label + ": ")]  # brackets kept, not wrapped
    assert [ln[len(label) + 2 :].split()[0] for ln in lines] == [f"{k}/20" for k in range(2, 20, 2)]
    assert all("elapsed, about" in ln for ln in lines)
    short = io.StringIO()
    run_study(instant, items, chunk=1, label="[w3]", console=Console(file=short, force_terminal=False))
    assert short.getvalue().splitlines()[-1].startswith("[w3] ") and "20/20" in short.getvalue()  # Rich's bar, once


def test_a_terminal_gets_only_the_bar():
    import io

    from rich.console import Console

    out = io.StringIO()
    run_study(instant, list(range(10)), chunk=1, label="demo study",
              console=Console(file=out, force_terminal=True))  # fmt: skip
    assert "elapsed, about" not in out.getvalue()
