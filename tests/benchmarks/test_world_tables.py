"""benchmarks/world_tables.py's follow_up_events: the block the fourteenth to twenty-first worlds each wrote to close
follow-up and build the events table, folded into one function; the same tables as that block (written out here as
the reference) and the rows it should give for a few hand-made patients."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from world_tables import DPM, NEVER, closing_events, event_rows, follow_up_events

BIG = NEVER
ONSET = np.array([19000, 19000, 19000, 19000, 19100])
LAST = np.array([19400, 19300, 19350, 19500, 19600])
LOCK = 19700
DEAD = np.array([19450, BIG, BIG, BIG, BIG])  # the first dies after the last visit
WD = np.array([BIG, 19320, BIG, BIG, BIG])  # the second withdraws
LOST = np.array([False, False, True, False, False])  # the third is lost to follow-up
NIV = np.array([19200, 19310, 19360, 19800, BIG])  # the third's after the last visit, the fourth's after the lock
GAS = np.array([19500, 19250, BIG, 19450, 19650])  # the first's after death
IDS = np.array(["P1", "P2", "P3", "P4", "P5"])


def _the_block(withdrawn, declared_after):
    """The block as the worlds wrote it before (e.g. in benchmarks/twentieth_world.py)."""
    lock_m = (LOCK - ONSET) / DPM
    last_t = (LAST - ONSET) / DPM
    died = DEAD < BIG
    death = np.where(died, (DEAD - ONSET) / DPM, np.inf)
    end_obs = np.where(withdrawn, (WD - ONSET) / DPM, np.where(LOST, last_t, lock_m))

    def ev(name, day):
        has = day < BIG
        return event_rows(IDS, ONSET, name, np.where(has, (day - ONSET) / DPM, np.inf),
                          np.where(has, day - ONSET, 0), end_obs, lock_m, death)  # fmt: skip

    return closing_events(IDS, ONSET, [ev("niv_start", NIV), ev("gastrostomy", GAS)], WD, withdrawn, died, death, LAST,
                          LOST, last_t, lock_m, declared_after)  # fmt: skip


def test_the_same_tables_as_the_block_it_replaces():
    events, gastro_day = follow_up_events(IDS, ONSET, LAST, LOCK, DEAD, WD, LOST, {"niv_start": NIV, "gastrostomy": GAS},
                                          6.0)  # fmt: skip
    ref_events, ref_gastro = _the_block(WD < BIG, 6.0)
    pd.testing.assert_frame_equal(events, ref_events)
    np.testing.assert_array_equal(gastro_day, ref_gastro)


def test_the_rows():
    events, gastro_day = follow_up_events(IDS, ONSET, LAST, LOCK, DEAD, WD, LOST, {"niv_start": NIV, "gastrostomy": GAS},
                                          6.0)  # fmt: skip
    got = [(p, e, (d - pd.Timestamp(0)).days) for p, d, e in events.itertuples(index=False)]
    assert got == [
        ("P1", "niv_start", 19200), ("P1", "death", 19450),  # the gastrostomy after death is not recorded
        ("P2", "gastrostomy", 19250), ("P2", "niv_start", 19310), ("P2", "withdrawal", 19320),
        ("P3", "lost_to_follow_up", 19350 + round(6.0 * DPM)),  # the NIV after the last visit is not recorded
        ("P4", "gastrostomy", 19450),  # the NIV after the lock is not recorded
        ("P5", "gastrostomy", 19650),
    ]  # fmt: skip
    np.testing.assert_array_equal(gastro_day, [np.inf, 19250, np.inf, 19450, 19650])


def test_who_withdrew_can_be_given():
    # the fourteenth world counts a withdrawal only before death and by the lock; here: nobody's
    nobody = np.zeros(len(IDS), bool)
    events, gastro_day = follow_up_events(IDS, ONSET, LAST, LOCK, DEAD, WD, LOST, {"niv_start": NIV, "gastrostomy": GAS},
                                          12.0, withdrawn=nobody)  # fmt: skip
    ref_events, ref_gastro = _the_block(nobody, 12.0)
    pd.testing.assert_frame_equal(events, ref_events)
    np.testing.assert_array_equal(gastro_day, ref_gastro)
    assert "withdrawal" not in set(events["event"])
