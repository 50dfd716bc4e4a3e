"""De-identification of typed canonical tables for sharing (``alscell export --deidentify``).

HIPAA Safe Harbor (45 CFR 164.514(b)(2)) with keyed date shifting, a common research practice that keeps
every interval within a patient exact.  Everything is derived from one secret ``key`` (the registry keeps it
in its database, ``alscell.store.accounts.pseudonym_key``), so two exports made with the same key are
identical in pseudonyms and shifts, and nobody without the key can link them back:

- patient, treatment and adverse-event ids and sites become keyed hashes (HMAC-SHA256 of the id), and so does
  the ALSFRS-R rater's pseudonym (``alsfrs.rater``, ``R-…``): the clinic's own pseudonym may be linked to a
  person by anyone with its staff list, the keyed one only by the key's holder; the same rater has the same
  ``R-…`` in every export with the key, so the analysis can still tell raters apart;
- every date of a patient moves back by the same keyed number of days, 1…364 (never zero, never into the
  future), so times since onset, between visits and after injections are unchanged;
- birth year moves with the patient's onset year; a patient who would be older than 89 at any dated row
  (counted in calendar years, so conservatively) has the birth year blanked and ``x_age_90_plus = true``
  (Safe Harbor aggregates ages over 89 into one "90 or older" category);
- free text never comes out: ``lot`` is dropped, ``genetics``, ``cohort`` and ``product`` keep only values
  from the controlled lists below (anything else becomes missing); free-data ``x_`` columns are dropped,
  except those the caller whitelists (``keep``: the caller vouches that they hold nothing identifying);
- rows are sorted by pseudonym, so their order says nothing about the original order.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection

import numpy as np
import pandas as pd

from alscell.io.columns import DATE_COLUMNS

SHIFT_DAYS = 364  # dates move back by 1…SHIFT_DAYS days
MAX_AGE = 89  # Safe Harbor: older ages are reported only as "90 or older"
AGE_90_PLUS = "x_age_90_plus"
PSEUDONYM_HEX = 20  # 80 bits of HMAC per pseudonym

# Controlled vocabularies of the otherwise free-text columns (matched case-insensitively, written as here).
GENETICS = (
    "SOD1",
    "C9orf72",
    "TARDBP",
    "FUS",
    "TBK1",
    "NEK1",
    "OPTN",
    "VCP",
    "UBQLN2",
    "SQSTM1",
    "KIF5A",
    "ANG",
    "VAPB",
    "negative",
)
COHORTS = (
    "external_control",
    "proact",
    "trial",
    "registry",
    "single_arm",
    "rct",
    "delayed_start",
    "treated",
    "control",
    "placebo",
    "natural_history",
)
PRODUCTS = ("MSC-NTF", "NurOwn", "lenzumestrocel", "NeuroNata-R", "NSI-566", "CNS10-NPC-GDNF", "Stemirac")
CONTROLLED: dict[str, tuple[str, ...]] = {"genetics": GENETICS, "cohort": COHORTS, "product": PRODUCTS}
DROPPED = frozenset({"lot"})


def _mac(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"alscell-deidentify-v1\0{kind}\0{value}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, kind: str, value: str, prefix: str) -> str:
    """The keyed pseudonym of ``value`` (an id of ``kind``): same key → same pseudonym."""
    return prefix + _mac(key, kind, value).hex()[:PSEUDONYM_HEX].upper()


# a rater's kind and prefix: the export's, the researcher's views' and sentences' (web.records, web.effect_page)
RATER = ("rater", "R-")


def rater_pseudonym(key: bytes, rater: str) -> str:
    """The keyed pseudonym of a rater (``alsfrs.rater``), ``R-…``: the same in every export and view with the key."""
    return pseudonym(key, RATER[0], rater, RATER[1])


def date_shift(key: bytes, patient_id: str) -> int:
    """The keyed shift of a patient's dates in days: −SHIFT_DAYS…−1, never zero."""
    return -(1 + int.from_bytes(_mac(key, "shift", patient_id)[:8], "big") % SHIFT_DAYS)


def seed_key(seed: int) -> bytes:
    """A fixed key for tests and examples (never for real data: anyone can rebuild it)."""
    return hashlib.sha256(f"alscell-test-key-{seed}".encode()).digest()


def _map_ids(values: pd.Series, key: bytes, kind: str, prefix: str) -> pd.Series:
    codes = {v: pseudonym(key, kind, str(v), prefix) for v in values.dropna().unique()}
    return values.map(lambda v: codes.get(v) if isinstance(v, str) else None).astype(object)


def _controlled(values: pd.Series, allowed: tuple[str, ...]) -> pd.Series:
    lookup = {a.casefold(): a for a in allowed}
    return values.map(lambda v: lookup.get(v.strip().casefold()) if isinstance(v, str) else None).astype(object)


def _latest_year(tables: dict[str, pd.DataFrame], patients: pd.DataFrame) -> pd.Series:
    """Each patient's latest calendar year in any dated row (NaN when none)."""
    parts = [
        pd.DataFrame({"patient_id": frame["patient_id"], "y": frame[col].dt.year})
        for frame in tables.values()
        for col in sorted(DATE_COLUMNS & set(frame.columns))
        if "patient_id" in frame.columns
    ]
    if not parts:
        return pd.Series(np.nan, index=patients["patient_id"])
    return pd.concat(parts).groupby("patient_id")["y"].max().reindex(patients["patient_id"])


def deidentify(
    tables: dict[str, pd.DataFrame],
    key: bytes | None = None,
    *,
    seed: int | None = None,
    keep: Collection[str] = (),
) -> dict[str, pd.DataFrame]:
    """Return de-identified copies of ``tables`` (the input is not modified).

    ``key`` is the secret behind every pseudonym and shift; ``seed`` stands in for it in tests only.
    ``keep`` whitelists ``x_`` columns that come out unchanged (never a canonical free-text column).
    """
    if key is None:
        if seed is None:
            raise ValueError("de-identification needs a secret key")
        key = seed_key(seed)
    wrong = sorted(c for c in keep if not c.startswith("x_") or c == AGE_90_PLUS)
    if wrong:
        raise ValueError(f"only x_ columns can be kept in a de-identified export, not {', '.join(wrong)}")
    patients = tables["patients"]
    ids = patients["patient_id"].astype(str)
    shift = pd.Series([date_shift(key, p) for p in ids], index=ids, dtype="float64")

    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        drop = [c for c in frame.columns if (c.startswith("x_") and c not in keep) or c in DROPPED]
        frame = frame.drop(columns=drop).copy()
        if "patient_id" in frame.columns:
            days = pd.to_timedelta(frame["patient_id"].map(shift).astype("float64"), unit="D")
            for col in sorted(DATE_COLUMNS & set(frame.columns)):
                frame[col] = frame[col] + days
            frame["patient_id"] = _map_ids(frame["patient_id"], key, "patient", "P-")
        for col, allowed in CONTROLLED.items():
            if col in frame.columns:
                frame[col] = _controlled(frame[col], allowed)
        if "site" in frame.columns:
            frame["site"] = _map_ids(frame["site"], key, "site", "S-")
        if "treatment_id" in frame.columns:
            frame["treatment_id"] = _map_ids(frame["treatment_id"], key, "treatment", "T-")
        if "ae_id" in frame.columns:
            frame["ae_id"] = _map_ids(frame["ae_id"], key, "adverse_event", "AE-")
        if "rater" in frame.columns:
            frame["rater"] = _map_ids(frame["rater"], key, *RATER)
        out[name] = frame

    p = out["patients"]
    if "birth_year" in p.columns:
        born = patients["birth_year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        year_moved = (p["onset_date"].dt.year - patients["onset_date"].dt.year).to_numpy(dtype=float, na_value=np.nan)
        shifted = born + year_moved
        oldest = np.fmax(
            _latest_year(tables, patients).to_numpy(dtype=float) - born,
            _latest_year(out, p).to_numpy(dtype=float) - shifted,
        )
        old = np.nan_to_num(oldest.astype(float), nan=0.0) > MAX_AGE
        p["birth_year"] = pd.array(np.where(old, np.nan, shifted), dtype="Float64").astype("Int64")
        p[AGE_90_PLUS] = pd.Series(["true" if o else None for o in old], index=p.index, dtype=object)

    # Sort by pseudonym: the row order carries no link to the original.
    order = {
        "patients": ["patient_id"],
        "treatments": ["treatment_id"],
        "adverse_events": ["ae_id"],
    }
    for name, frame in out.items():
        by = order.get(name) or [
            c
            for c in ("patient_id", "date", "onset_date", "measure", "side", "muscle", "specimen", "event")
            if c in frame
        ]
        out[name] = frame.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)
    return out
