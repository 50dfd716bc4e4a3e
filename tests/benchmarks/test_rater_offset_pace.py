"""benchmarks/rater_offset_pace.py: its fixtures, and the offsets learned where a mode follows sudden losses."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import rater_offset_pace as rop
from alscell.analysis.rater_drift import rater_offsets


def test_calls_follow_sudden_losses_and_the_fixture_is_seeded():
    pid, t, y, f, untreated = rop.losses_then_calls(40, seed=1, shift=0.0)
    assert untreated.all() and f.shape == (len(t), 1) and set(np.unique(f)) <= {0.0, 1.0}
    assert (f[:, 0] > 0).sum() > 10  # about 0.1 × 24 × 0.7 ≈ 1.7 calls per patient
    # phone visits read lower than the patient's routine visit before them: a loss came between
    order = np.lexsort((t, pid))
    p, ph, s = pid[order], f[order, 0] > 0, y[order]
    after_loss = ph[1:] & (p[1:] == p[:-1])
    assert (s[1:][after_loss] - s[:-1][after_loss]).mean() < -2.0
    # the same seed gives the same registry
    again = rop.losses_then_calls(40, seed=1, shift=0.0)
    assert all(np.array_equal(a, b) for a, b in zip((pid, t, y, f), again[:4], strict=True))


def test_a_mode_chosen_after_sudden_losses_is_not_read_as_an_offset():
    """Calls after sudden losses, rated by phone with no offset: the default (each visit against the patient's
    straight line) reads the losses as an offset of about −1.4 points; forward changes do not."""
    pid, t, y, f, untreated = rop.losses_then_calls(3000, seed=7, shift=0.0)
    off = rater_offsets(pid, t, y, f, untreated, design="forward")
    se = float(np.sqrt(off.influence[:, 0] @ off.influence[:, 0]))
    assert off.identified[0] and -0.25 < off.gamma[0] < 0.1, (off.gamma, se)
    assert rater_offsets(pid, t, y, f, untreated).gamma[0] < -1.0
    # with a true offset of 2 points it is found
    pid, t, y, f, untreated = rop.losses_then_calls(3000, seed=8, shift=2.0)
    assert abs(rater_offsets(pid, t, y, f, untreated, design="forward").gamma[0] - 2.0) < 0.25


def test_bending_courses_leave_the_visits_from_a_start_out():
    *_, y, _, untreated = rop.bending_courses(200, seed=3)
    per = untreated.reshape(200, -1)
    # once a patient's visits stop being used they do not come back
    assert (np.diff(per.astype(int), axis=1) <= 0).all() and per[:, 0].all()
    assert y.min() >= 0 and y.max() <= 48


def test_the_script_writes_its_page(tmp_path):
    md = tmp_path / "pace.md"
    assert (
        rop.main(["--cohorts", "2", "--patients", "400", "--ninth", "0", "--truths", "0", "--write-md", str(md)]) == 0
    )
    text = md.read_text()
    assert "straight line (the default)" in text and "forward, bandwidth 6" in text and "## Reading" in text
