"""SDTM export: each domain carries SDTMIG v3.4's required and expected variables, with values worked out by
hand on a small folder (tests/export_data.py); XPT v5 files read back equal to the CSVs; minimal and
de-identified registries; the CLI; the canonical extensions (decision_date in SUPPEX, visit types in SV and
SUPPSV, the screening for the therapy in SUPPSV MSCELIG, the rater's pseudonym in SUPPQS QSRATER) where
recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from alscell.domain.vocabulary import VISIT_TYPES
from alscell.io.deidentify import deidentify
from alscell.io.reader import read_folder
from alscell.io.sdtm import CONTACT_MODES, SdtmExportError, sdtm_domains, write_sdtm
from export_data import (
    ELIGIBLE_BY_VISIT,
    IDS,
    RATER_BY_VISIT,
    TOTALS,
    assert_no_original_date,
    extension_folder,
    hand_folder,
    minimal_folder,
    with_eligible,
    with_rater,
)
from sparse_data import FOLDERS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small"
KEY = b"a test key that is long enough!!"

# Req and Exp variables per domain, SDTMIG v3.4 (CDISC, 2021), domain specification tables.
REQUIRED = {
    "DM": "STUDYID DOMAIN USUBJID SUBJID SITEID SEX COUNTRY",
    "EX": "STUDYID DOMAIN USUBJID EXSEQ EXTRT",
    "QS": "STUDYID DOMAIN USUBJID QSSEQ QSTESTCD QSTEST QSCAT",
    "RE": "STUDYID DOMAIN USUBJID RESEQ RETESTCD RETEST",
    "LB": "STUDYID DOMAIN USUBJID LBSEQ LBTESTCD LBTEST",
    "VS": "STUDYID DOMAIN USUBJID VSSEQ VSTESTCD VSTEST",
    "MK": "STUDYID DOMAIN USUBJID MKSEQ MKTESTCD MKTEST",
    "AE": "STUDYID DOMAIN USUBJID AESEQ AETERM AEDECOD",
    "DS": "STUDYID DOMAIN USUBJID DSSEQ DSTERM DSDECOD",
    "PR": "STUDYID DOMAIN USUBJID PRSEQ PRTRT",
    "SUPPEX": "STUDYID RDOMAIN USUBJID QNAM QLABEL QVAL QORIG",
    "SV": "STUDYID DOMAIN USUBJID VISITNUM",
    "SUPPSV": "STUDYID RDOMAIN USUBJID QNAM QLABEL QVAL QORIG",
}
EXPECTED = {
    "DM": "RFSTDTC RFENDTC RFXSTDTC RFXENDTC RFICDTC RFPENDTC DTHDTC DTHFL AGE AGEU RACE ARMCD ARM ACTARMCD ACTARM "
    "ARMNRS ACTARMUD",
    "EX": "EXDOSE EXDOSU EXDOSFRM EXSTDTC EXENDTC",
    "QS": "QSORRES QSSTRESC QSLOBXFL VISITNUM QSDTC",
    "RE": "REORRES RESTRESC RELOBXFL VISITNUM REDTC",
    "LB": "LBCAT LBORRES LBORRESU LBORNRLO LBORNRHI LBSTRESC LBSTRESN LBSTRESU LBSTNRLO LBSTNRHI LBNRIND LBLOBXFL "
    "VISITNUM LBDTC",
    "VS": "VSORRES VSORRESU VSSTRESC VSSTRESN VSSTRESU VSLOBXFL VISITNUM VSDTC",
    "MK": "MKORRES MKSTRESC MKLOC MKLOBXFL VISITNUM MKDTC",
    "AE": "AELLT AELLTCD AEPTCD AEHLT AEHLTCD AEHLGT AEHLGTCD AEBODSYS AEBDSYCD AESOC AESOCCD AESER AEACN AEREL "
    "AESTDTC AEENDTC",
    "DS": "DSCAT DSSTDTC DSSTDY",
    "PR": "PRSTDTC",
    "SUPPEX": "IDVAR IDVARVAL QEVAL",
    "SV": "SVPRESP SVOCCUR SVSTDTC SVENDTC",
    "SUPPSV": "IDVAR IDVARVAL QEVAL",
}
# Written only when the registry records visit types (alsfrs.visit_type), which the hand folder does not.
EXTENSION_DOMAINS = {"SV", "SUPPSV"}
# Required variables alscell cannot fill: the registry records no country, and a patient may have no site.
NOT_RECORDED = {"COUNTRY", "SITEID"}


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name.lower()}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> Path:
    tables = read_folder(hand_folder(tmp_path_factory.mktemp("hand") / "in"))
    out = tmp_path_factory.mktemp("hand") / "sdtm"
    write_sdtm(tables, out)
    return out


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "sdtm"
    write_sdtm(read_folder(EXAMPLE), out)
    return out


def _check_variables(frame: pd.DataFrame, domain: str) -> None:
    for name in (REQUIRED[domain] + " " + EXPECTED[domain]).split():
        assert name in frame.columns, f"{domain}.{name} missing"
    for name in REQUIRED[domain].split():
        if name not in NOT_RECORDED:
            assert (frame[name] != "").all(), f"{domain}.{name} is required but empty"
    seq = next((c for c in frame.columns if c.endswith("SEQ")), None)
    if seq:
        assert not frame.duplicated(["USUBJID", seq]).any()


@pytest.mark.parametrize("domain", sorted(set(REQUIRED) - EXTENSION_DOMAINS))
def test_every_domain_has_its_required_and_expected_variables(hand, example, domain):
    _check_variables(_read(hand, domain), domain)
    if (example / f"{domain.lower()}.csv").exists():
        ex = _read(example, domain)
        _check_variables(ex, domain)
        dm = _read(example, "DM")
        assert set(ex["USUBJID"]) <= set(dm["USUBJID"])


def test_dm_reference_dates_age_and_arms(hand):
    dm = _read(hand, "DM").set_index("SUBJID")
    one, two, three = dm.loc["HAND-01"], dm.loc["HAND-02"], dm.loc["HAND-03"]
    assert one["USUBJID"] == "ALSCELL-HAND-01" and one["DOMAIN"] == "DM" and one["SEX"] == "F"
    # RFSTDTC = first administration; the untreated patient's = first visit; nothing dated = empty.
    assert (one["RFSTDTC"], one["RFXSTDTC"], one["RFXENDTC"]) == ("2022-03-01", "2022-03-01", "2022-05-01")
    assert (one["RFENDTC"], one["DTHDTC"], one["DTHFL"]) == ("2022-09-01", "2022-09-01", "Y")
    assert (two["RFSTDTC"], two["RFXSTDTC"], two["DTHFL"]) == ("2022-01-15", "", "")
    assert three["RFSTDTC"] == ""
    assert (one["AGE"], one["AGEU"]) == ("62", "YEARS")  # 2022 - 1960
    assert (one["ARMCD"], one["ACTARMCD"], one["ARMNRS"]) == ("MSC", "MSC", "")
    assert (two["ARMCD"], two["ARMNRS"]) == ("", "NOT ASSIGNED")
    assert one["SITEID"] == "site_a"
    # Born 1928: 93 at RFSTDTC, so AGE is withheld and SUPPDM carries the Safe Harbor category.
    assert two["AGE"] == ""
    supp = _read(hand, "SUPPDM")
    assert supp[["USUBJID", "RDOMAIN", "QNAM", "QVAL"]].values.tolist() == [["ALSCELL-HAND-02", "DM", "AGECAT", "90+"]]


def test_ex_doses_routes_locations_lot_and_study_days(hand):
    ex = _read(hand, "EX")
    assert ex["EXSEQ"].tolist() == ["1", "2"]
    assert ex["EXROUTE"].tolist() == ["INTRATHECAL", "INTRAMUSCULAR"]
    assert ex["EXDOSE"].tolist() == ["100", "50"] and set(ex["EXDOSU"]) == {"10^6 Therapeutic Cells"}
    assert ex["EXLOT"].tolist() == ["LOT-7781", ""]
    assert ex["EXLOC"].tolist() == ["", "MULTIPLE"]
    assert ex["EXSTDTC"].tolist() == ["2022-03-01", "2022-05-01"]
    assert ex["EXSTDY"].tolist() == ["1", "62"]  # 61 days after RFSTDTC is day 62 (no day 0)
    assert ex["EXCAT"].tolist() == ["BONE MARROW", "ADIPOSE TISSUE"]
    # The formula-like product name is neutralised in the CSV.
    assert ex["EXTRT"].iloc[0].startswith("'=")
    supp = _read(hand, "SUPPEX")
    assert supp[["IDVAR", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["EXSEQ", "2", "EXLOC1", "DELTOID MUSCLE"],
        ["EXSEQ", "2", "EXLOC2", "BICEPS BRACHII MUSCLE"],
    ]


def test_qs_alsfrs_items_totals_baseline_flags_and_days(hand):
    qs = _read(hand, "QS")
    frs = qs[qs["QSCAT"] == "ALSFRS-R"]
    totals = frs[frs["QSTESTCD"] == "ALSFRSTT"]
    got = {(u.removeprefix("ALSCELL-"), d): int(v) for u, d, v in totals[["USUBJID", "QSDTC", "QSSTRESN"]].values}
    assert got == TOTALS  # the partial visit has no total
    assert set(totals["QSDRVFL"]) == {"Y"}
    first = frs[(frs["USUBJID"] == "ALSCELL-HAND-01") & (frs["QSDTC"] == "2022-02-01")]
    assert len(first) == 13 and set(first["QSDY"]) == {"-28"} and set(first["VISITNUM"]) == {"1"}
    assert first.set_index("QSTESTCD").loc["ALSFRS01", "QSTEST"] == "Speech"
    # Baseline: the last assessment on or before the first dose (2022-03-01, day 1), not the earlier one.
    flagged = frs[frs["QSLOBXFL"] == "Y"]
    assert set(flagged["QSDTC"]) == {"2022-03-01"} and len(flagged) == 13
    partial = frs[frs["QSDTC"] == "2022-06-01"]
    assert "ALSFRS03" not in set(partial["QSTESTCD"]) and "ALSFRS5B" in set(partial["QSTESTCD"])
    assert set(_read(hand, "SUPPQS")["QVAL"]) == {"SELF"}


def test_findings_domains_re_lb_mk_vs(hand):
    re_ = _read(hand, "RE")
    assert re_[["RETESTCD", "REORRES", "REORRESU", "REDY", "RELOBXFL"]].values.tolist() == [
        ["FVCPP", "80", "%", "-28", "Y"],
        ["FVCPP", "71", "%", "93", ""],
    ]
    lb = _read(hand, "LB").iloc[0]
    assert (lb["LBTESTCD"], lb["LBSTRESN"], lb["LBORRESU"], lb["LBSPEC"]) == (
        "NFL",
        "12.5",
        "pg/mL",
        "CEREBROSPINAL FLUID",
    )
    mk = _read(hand, "MK").iloc[0]
    assert (mk["MKTESTCD"], mk["MKSTRESN"], mk["MKLAT"]) == ("GRIPSTR", "20.5", "LEFT")
    vs = _read(hand, "VS").iloc[0]
    assert (vs["USUBJID"], vs["VSTESTCD"], vs["VSSTRESN"], vs["VSDY"]) == ("ALSCELL-HAND-02", "WEIGHT", "70", "1")


def test_ae_terms_grades_seriousness_relatedness_and_dates(hand):
    ae = _read(hand, "AE")
    assert ae[["AETERM", "AETOXGR", "AESER", "AEREL", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY"]].values.tolist() == [
        ["HEADACHE", "2", "N", "PROBABLY RELATED", "2022-03-02", "2022-03-04", "2", "4"],
        ["INJECTION SITE PAIN", "3", "Y", "NOT RELATED", "2022-05-03", "", "64", ""],
    ]
    assert (ae["AEDECOD"] == ae["AETERM"]).all()


def test_ds_disposition_and_pr_procedures(hand):
    ds = _read(hand, "DS")
    assert ds[["USUBJID", "DSDECOD", "DSCAT", "DSSTDTC", "DSSTDY"]].values.tolist() == [
        ["ALSCELL-HAND-01", "DEATH", "DISPOSITION EVENT", "2022-09-01", "185"],
        ["ALSCELL-HAND-02", "WITHDRAWAL BY SUBJECT", "DISPOSITION EVENT", "2022-04-01", "77"],
    ]
    pr = _read(hand, "PR")
    assert pr[["PRTRT", "PRSTDTC", "PRSTDY"]].values.tolist() == [["GASTROSTOMY", "2022-07-01", "123"]]


def _assert_xpt_equals_csv(folder: Path) -> None:
    for xpt in sorted(folder.glob("*.xpt")):
        data, meta = pyreadstat.read_xport(str(xpt))
        csv = _read(folder, xpt.stem)
        assert meta.table_name == xpt.stem.upper()
        assert list(data.columns) == list(csv.columns)
        assert all(len(n) <= 8 for n in data.columns)
        assert all(len(label) <= 40 for label in meta.column_labels)
        assert len(data) == len(csv)
        for col in csv.columns:
            if data[col].dtype == object:
                # The CSV may carry one neutralising quote before a formula-like text; the XPT does not.
                same = (csv[col] == data[col]) | (csv[col] == "'" + data[col])
                assert same.all(), (xpt.name, col)
            else:
                back = pd.to_numeric(csv[col].replace("", None), errors="raise").astype(float)
                pd.testing.assert_series_equal(back, data[col].astype(float), check_names=False)


def test_xpt_v5_files_read_back_equal_to_the_csvs(hand, example):
    for folder in (hand, example):
        _assert_xpt_equals_csv(folder)


def test_define_lists_every_variable_with_its_length(hand):
    define = _read(hand, "define")
    written = {p.stem.upper() for p in hand.glob("*.csv") if p.stem != "define"}
    assert set(define["dataset"]) == written
    for name in written:
        csv = _read(hand, name)
        rows = define[define["dataset"] == name].set_index("variable")
        assert list(rows.index) == list(csv.columns)
        for col in csv.columns:
            if rows.loc[col, "type"] == "Char":
                assert int(rows.loc[col, "length"]) >= csv[col].str.len().max()
    assert set(define["core"]) <= {"Req", "Exp", "Perm"}
    assert set(define["origin"]) <= {"Collected", "Derived", "Assigned", "Not Available"}
    assert (define["label"].str.len() <= 40).all()
    # A variable alscell does not record is marked as such.
    assert define.set_index(["dataset", "variable"]).loc[("DM", "RFICDTC"), "origin"] == "Not Available"


def test_minimal_folder_gives_demographics_only(tmp_path):
    out = tmp_path / "sdtm"
    assert write_sdtm(read_folder(minimal_folder(tmp_path / "in")), out, country="DEU") == {"DM": 1}
    dm = _read(out, "DM")
    assert dm[["USUBJID", "SEX", "COUNTRY", "RFSTDTC", "ARMNRS"]].values.tolist() == [
        ["ALSCELL-ONLY-1", "F", "DEU", "", "NOT ASSIGNED"]
    ]
    assert sorted(p.name for p in out.iterdir()) == ["define.csv", "dm.csv", "dm.xpt"]


def test_deidentified_sdtm_carries_no_original_id_date_or_age_over_89(tmp_path):
    tables = read_folder(hand_folder(tmp_path / "in"))
    out = tmp_path / "anon"
    write_sdtm(deidentify(tables, KEY), out)
    text = "\n".join(p.read_text() for p in sorted(out.glob("*.csv")))
    for value in [*IDS, "LOT-7781"]:
        assert value not in text, value
    dates = {
        d.strftime("%Y-%m-%d")
        for f in tables.values()
        for c in f.columns
        if f[c].dtype.kind == "M"
        for d in f[c].dropna()
    }
    for day in dates:
        assert day not in text, day
    dm = _read(out, "DM")
    assert pd.to_numeric(dm["AGE"].replace("", None)).max() <= 89
    assert _read(out, "SUPPDM")["QVAL"].tolist() == ["90+"]


def test_cli_exports_sdtm_and_fhir(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    run = [sys.executable, "-m", "alscell"]
    env = {**os.environ, "ALSCELL_DEIDENTIFY_KEY": KEY.decode()}
    assert subprocess.run([*run, "import", str(EXAMPLE), "--db", db], capture_output=True).returncode == 0
    for fmt, name in (("sdtm", "dm.xpt"), ("fhir", "bundle.json")):
        result = subprocess.run(
            [*run, "export", str(tmp_path / fmt), "--db", db, "--format", fmt, "--deidentify"],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert (tmp_path / fmt / name).is_file()
        assert "ALS-001" not in "".join(p.read_text(errors="ignore") for p in (tmp_path / fmt).iterdir())


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_any_valid_sparse_folder_exports(kind, tmp_path):
    tables = read_folder(FOLDERS[kind](tmp_path / "in"))
    written = write_sdtm(tables, tmp_path / "sdtm", xpt=False)
    assert written["DM"] == len(tables["patients"])
    assert ("QS" in written) == (len(tables["alsfrs"]) > 0)
    for name in written:
        frame = _read(tmp_path / "sdtm", name)
        if name in REQUIRED:
            _check_variables(frame, name)


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_no_csv_cell_starts_a_formula(tmp_path):
    tables = read_folder(hand_folder(tmp_path / "in"))
    frames = {name: tables[name].copy() for name in tables}
    for frame in frames.values():
        if "patient_id" in frame:
            frame.loc[frame["patient_id"] == "HAND-01", "patient_id"] = "-HAND-01"
    frames["treatments"]["product"] = ["@SUM(1+1)*cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")']
    frames["patients"]["site"] = ["+site", "\tsite", None]
    out = tmp_path / "sdtm"
    write_sdtm(frames, out, xpt=False)
    negative_days = 0
    for f in out.glob("*.csv"):
        for cell in pd.read_csv(f, dtype=str, keep_default_na=False).to_numpy().ravel():
            assert not cell or (cell[0] not in "=+@\t\r" and not (cell[0] == "-" and not _number(cell))), (f.name, cell)
            negative_days += cell.startswith("-") and _number(cell)
    assert negative_days > 0  # study days before RFSTDTC stay plain negative numbers
    assert _read(out, "DM")["SUBJID"].tolist()[0] == "'-HAND-01"


def test_test_codes_and_names_fit_sdtm_lengths(hand, example):
    # SDTMIG: --TESTCD at most 8 characters (and not starting with a digit), --TEST at most 40.
    for folder in (hand, example):
        for f in folder.glob("*.csv"):
            frame = pd.read_csv(f, dtype=str, keep_default_na=False)
            for col in frame.columns:
                if col.endswith("TESTCD") or col == "QNAM":
                    assert frame[col].str.len().max() <= 8 and not frame[col].str.match(r"\d").any(), (f.name, col)
                if col.endswith("TEST") or col == "QLABEL":
                    assert frame[col].str.len().max() <= 40, (f.name, col)


def test_examples_small_values_match_the_source_rows(example):
    src = {n: pd.read_csv(EXAMPLE / f"{n}.csv", dtype=str, keep_default_na=False) for n in ("treatments", "alsfrs")}
    ex = _read(example, "EX")
    tr = src["treatments"].sort_values(["patient_id", "date"])
    assert ex["EXSPID"].tolist() == tr["treatment_id"].tolist()
    assert [float(v) for v in ex["EXDOSE"]] == [float(v) / 1e6 for v in tr["dose_cells"]]
    assert ex["EXROUTE"].tolist() == tr["route"].str.upper().tolist()
    # ALSFRS-R totals: the plain sum of the 12 items (5a or 5b) wherever all are filled, from the raw CSV.
    frs = src["alsfrs"]
    items = ["q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
    five = frs["q5a"].where(frs["q5a"] != "", frs["q5b"])
    complete = (frs[items] != "").all(axis=1) & (five != "")
    expected = {
        (f"ALSCELL-{p}", d): sum(int(frs.loc[i, c]) for c in items) + int(five[i])
        for i, p, d in zip(frs.index, frs["patient_id"], frs["date"], strict=True)
        if complete[i]
    }
    qs = _read(example, "QS")
    totals = qs[qs["QSTESTCD"] == "ALSFRSTT"]
    assert {(u, d): int(v) for u, d, v in totals[["USUBJID", "QSDTC", "QSSTRESN"]].values} == expected


def test_a_value_too_long_for_xpt_v5_is_one_sentence(tmp_path):
    tables = read_folder(hand_folder(tmp_path / "in"))
    frames = {name: tables[name].copy() for name in tables}
    frames["treatments"]["product"] = ["x" * 201, None]
    with pytest.raises(SdtmExportError, match=r"^EX\.EXTRT of ALSCELL-HAND-01 holds 201 bytes, more than the 200"):
        write_sdtm(frames, tmp_path / "sdtm")
    assert not (tmp_path / "sdtm").exists()  # nothing written
    assert write_sdtm(frames, tmp_path / "csv-only", xpt=False)["EX"] == 2


# The canonical extensions (docs/data-rules.md, "Canonical extensions").


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> Path:
    tables = read_folder(extension_folder(tmp_path_factory.mktemp("ext") / "in"))
    out = tmp_path_factory.mktemp("ext") / "sdtm"
    write_sdtm(tables, out)
    return out


def test_decision_date_is_a_suppex_qualifier(extended):
    supp = _read(extended, "SUPPEX")
    assert supp[["IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"]].values.tolist() == [
        ["EXSEQ", "1", "DECDTC", "Date of Decision to Treat", "2022-02-01", "Collected"],
        ["EXSEQ", "2", "EXLOC1", "Location of Dose Administration 1", "DELTOID MUSCLE", "Collected"],
        ["EXSEQ", "2", "EXLOC2", "Location of Dose Administration 2", "BICEPS BRACHII MUSCLE", "Collected"],
    ]  # the second administration has no decision date: no DECDTC row
    _check_variables(supp, "SUPPEX")
    assert _read(extended, "EX")["EXSEQ"].tolist() == ["1", "2"]


def test_visit_types_give_subject_visits_and_suppsv(extended):
    sv = _read(extended, "SV")
    _check_variables(sv, "SV")
    assert sv[
        ["USUBJID", "VISITNUM", "SVPRESP", "SVOCCUR", "SVCNTMOD", "SVSTDTC", "SVENDTC", "SVSTDY"]
    ].values.tolist() == [
        ["ALSCELL-HAND-01", "1", "Y", "Y", "IN PERSON", "2022-02-01", "2022-02-01", "-28"],
        ["ALSCELL-HAND-01", "2", "", "", "IN PERSON", "2022-03-01", "2022-03-01", "1"],
        ["ALSCELL-HAND-01", "3", "", "", "", "2022-06-01", "2022-06-01", "93"],  # no type recorded: empty
        ["ALSCELL-HAND-02", "1", "", "", "", "2022-01-15", "2022-01-15", "1"],  # remote: phone or video
    ]
    assert set(sv["DOMAIN"]) == {"SV"} and "VISIT" not in sv.columns
    supp = _read(extended, "SUPPSV")
    _check_variables(supp, "SUPPSV")
    assert supp[["USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL"]].values.tolist() == [
        ["ALSCELL-HAND-01", "SV", "VISITNUM", "1", "VISTYPE", "Visit Type", "SCHEDULED"],
        ["ALSCELL-HAND-01", "SV", "VISITNUM", "2", "VISTYPE", "Visit Type", "UNSCHEDULED"],
        ["ALSCELL-HAND-02", "SV", "VISITNUM", "1", "VISTYPE", "Visit Type", "REMOTE"],
    ]
    # The VISITNUMs are those of the findings domains.
    qs = _read(extended, "QS")
    frs = qs[qs["QSCAT"] == "ALSFRS-R"].drop_duplicates(["USUBJID", "VISITNUM"])
    assert set(zip(frs["USUBJID"], frs["VISITNUM"], frs["QSDTC"], strict=True)) == set(
        zip(sv["USUBJID"], sv["VISITNUM"], sv["SVSTDTC"], strict=True)
    )


def test_extension_datasets_are_listed_in_define_and_read_back_from_xpt(extended):
    define = _read(extended, "define")
    rows = define[define["dataset"] == "SV"].set_index("variable")
    assert list(rows.index) == list(_read(extended, "SV").columns)
    assert (rows.loc["SVCNTMOD", "core"], rows.loc["SVPRESP", "origin"]) == ("Perm", "Derived")
    assert (define["label"].str.len() <= 40).all()
    for name in ("sv", "suppsv", "suppex"):
        data, meta = pyreadstat.read_xport(str(extended / f"{name}.xpt"))
        assert meta.table_name == name.upper()
        assert list(data.columns) == list(_read(extended, name).columns)


@pytest.mark.parametrize(
    ("kind", "planned", "mode"),
    [
        ("scheduled", "Y", "IN PERSON"),
        ("unscheduled", None, "IN PERSON"),
        ("home", None, "IN PERSON"),
        ("inpatient", None, "IN PERSON"),
        ("remote", None, None),
    ],
)
def test_every_visit_type_maps_to_sv(tmp_path, kind, planned, mode):
    tables = read_folder(hand_folder(tmp_path / "in"))
    frames = {name: frame.copy() for name, frame in tables.items()}
    frames["alsfrs"]["visit_type"] = kind
    out = sdtm_domains(frames)
    sv, supp = out["SV"], out["SUPPSV"]
    # Every visit (measurement-only days too) has an SV record; here every visit is an ALSFRS-R visit.
    assert len(sv) == len(frames["alsfrs"]) == len(supp)
    assert set(sv["SVPRESP"]) == set(sv["SVOCCUR"]) == {planned}
    assert set(sv["SVCNTMOD"]) == {mode}
    assert set(supp["QVAL"]) == {kind.upper()}


def test_the_contact_mode_table_covers_the_vocabulary():
    assert set(CONTACT_MODES) | {"remote"} == set(VISIT_TYPES)  # remote: telephone or video, not said which


def test_without_the_extension_columns_the_export_is_as_before(hand, tmp_path):
    assert not (hand / "sv.csv").exists() and not (hand / "suppsv.csv").exists()
    assert "DECDTC" not in set(_read(hand, "SUPPEX")["QNAM"])
    out = tmp_path / "sdtm"
    assert write_sdtm(read_folder(minimal_folder(tmp_path / "in")), out) == {"DM": 1}


def test_deidentified_extensions_carry_no_original_date(tmp_path):
    tables = read_folder(extension_folder(tmp_path / "in"))
    out = tmp_path / "anon"
    write_sdtm(deidentify(tables, KEY), out, xpt=False)
    assert len(_read(out, "SV")) == 4 and "DECDTC" in set(_read(out, "SUPPEX")["QNAM"])
    text = "\n".join(p.read_text() for p in sorted(out.glob("*.csv")))
    assert_no_original_date(text, tables)


@pytest.fixture(scope="module")
def screened(tmp_path_factory) -> Path:
    """The extension folder (decision dates, visit types) with eligibility recorded at three of four visits."""
    tables = read_folder(with_eligible(extension_folder(tmp_path_factory.mktemp("elig") / "in"), ELIGIBLE_BY_VISIT))
    out = tmp_path_factory.mktemp("elig") / "sdtm"
    write_sdtm(tables, out)
    return out


@pytest.fixture(scope="module")
def screened_untyped(tmp_path_factory) -> Path:
    """The hand folder (no visit types) with the same eligibility."""
    tables = read_folder(with_eligible(hand_folder(tmp_path_factory.mktemp("elig") / "in"), ELIGIBLE_BY_VISIT))
    out = tmp_path_factory.mktemp("elig") / "sdtm"
    write_sdtm(tables, out)
    return out


ELIGIBILITY_LABEL = "Eligible for MSC Therapy at This Visit"


def test_eligibility_is_a_suppsv_qualifier_next_to_the_visit_type(screened, extended):
    supp = _read(screened, "SUPPSV")
    _check_variables(supp, "SUPPSV")
    # By hand: HAND-01 visits 1 (2022-02-01, true), 2 (not screened), 3 (2022-06-01, false); HAND-02 visit 1
    # (false).  Rows sorted by subject, VISITNUM, QNAM (MSCELIG before VISTYPE).
    assert supp[["USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"]].values.tolist() == [
        ["ALSCELL-HAND-01", "SV", "VISITNUM", "1", "MSCELIG", ELIGIBILITY_LABEL, "Y", "Collected"],
        ["ALSCELL-HAND-01", "SV", "VISITNUM", "1", "VISTYPE", "Visit Type", "SCHEDULED", "Collected"],
        ["ALSCELL-HAND-01", "SV", "VISITNUM", "2", "VISTYPE", "Visit Type", "UNSCHEDULED", "Collected"],
        ["ALSCELL-HAND-01", "SV", "VISITNUM", "3", "MSCELIG", ELIGIBILITY_LABEL, "N", "Collected"],
        ["ALSCELL-HAND-02", "SV", "VISITNUM", "1", "MSCELIG", ELIGIBILITY_LABEL, "N", "Collected"],
        ["ALSCELL-HAND-02", "SV", "VISITNUM", "1", "VISTYPE", "Visit Type", "REMOTE", "Collected"],
    ]
    # Every qualifier names an SV record; SV and every other dataset are those of the folder without eligibility.
    sv = _read(screened, "SV")
    parents = set(zip(sv["USUBJID"], sv["VISITNUM"], strict=True))
    assert set(zip(supp["USUBJID"], supp["IDVARVAL"], strict=True)) <= parents
    for path in sorted(extended.glob("*.csv")):
        if path.name not in {"suppsv.csv", "define.csv"}:
            assert (screened / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in screened.iterdir()) == sorted(p.name for p in extended.iterdir())


def test_eligibility_without_visit_types_writes_sv_for_every_visit(screened_untyped, hand):
    sv = _read(screened_untyped, "SV")
    _check_variables(sv, "SV")
    # No visit type: every SV record has SVPRESP, SVOCCUR and SVCNTMOD empty (nothing says a visit was planned).
    assert sv[
        ["USUBJID", "VISITNUM", "SVPRESP", "SVOCCUR", "SVCNTMOD", "SVSTDTC", "SVENDTC", "SVSTDY", "SVENDY"]
    ].values.tolist() == [
        ["ALSCELL-HAND-01", "1", "", "", "", "2022-02-01", "2022-02-01", "-28", "-28"],
        ["ALSCELL-HAND-01", "2", "", "", "", "2022-03-01", "2022-03-01", "1", "1"],
        ["ALSCELL-HAND-01", "3", "", "", "", "2022-06-01", "2022-06-01", "93", "93"],
        ["ALSCELL-HAND-02", "1", "", "", "", "2022-01-15", "2022-01-15", "1", "1"],
    ]
    supp = _read(screened_untyped, "SUPPSV")
    _check_variables(supp, "SUPPSV")
    assert supp[["USUBJID", "IDVARVAL", "QNAM", "QVAL"]].values.tolist() == [
        ["ALSCELL-HAND-01", "1", "MSCELIG", "Y"],
        ["ALSCELL-HAND-01", "3", "MSCELIG", "N"],
        ["ALSCELL-HAND-02", "1", "MSCELIG", "N"],
    ]
    # The other datasets are the hand folder's, byte for byte; SV and SUPPSV are added.
    for path in sorted(hand.glob("*.csv")):
        if path.name != "define.csv":
            assert (screened_untyped / path.name).read_bytes() == path.read_bytes(), path.name
    added = {p.name for p in screened_untyped.iterdir()} - {p.name for p in hand.iterdir()}
    assert added == {"sv.csv", "sv.xpt", "suppsv.csv", "suppsv.xpt"}
    define = _read(screened_untyped, "define")
    rows = define[define["dataset"] == "SV"].set_index("variable")
    assert rows.loc["SVPRESP", "origin"] == "Not Available" and rows.loc["SVSTDTC", "origin"] == "Collected"


def test_eligibility_datasets_read_back_from_xpt_equal_to_the_csvs(screened, screened_untyped):
    for folder in (screened, screened_untyped):
        _assert_xpt_equals_csv(folder)
        data, _ = pyreadstat.read_xport(str(folder / "suppsv.xpt"))
        assert "MSCELIG" in set(data["QNAM"])
        define = _read(folder, "define")
        label = define[(define["dataset"] == "SUPPSV") & (define["variable"] == "QLABEL")]
        assert label["length"].tolist() == [str(len(ELIGIBILITY_LABEL))]  # the longest QLABEL


@pytest.mark.parametrize(
    ("add", "by_visit"), [(with_eligible, ELIGIBLE_BY_VISIT), (with_rater, RATER_BY_VISIT)], ids=["eligible", "rater"]
)
def test_an_empty_extension_column_exports_as_before(hand, extended, tmp_path, add, by_visit):
    """alsfrs.eligible or alsfrs.rater present but empty: every dataset as the folder's without it."""
    nobody = dict.fromkeys(by_visit)
    for name, make, before in (("hand", hand_folder, hand), ("ext", extension_folder, extended)):
        out = tmp_path / name / "sdtm"
        write_sdtm(read_folder(add(make(tmp_path / name / "in"), nobody)), out)
        assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in before.iterdir())
        for path in sorted(before.glob("*.csv")):  # (an XPT file's header holds the time it was written)
            assert (out / path.name).read_bytes() == path.read_bytes(), (name, path.name)


def test_deidentified_eligibility_carries_no_original_date(tmp_path):
    tables = read_folder(with_eligible(hand_folder(tmp_path / "in"), ELIGIBLE_BY_VISIT))
    out = tmp_path / "anon"
    write_sdtm(deidentify(tables, KEY), out, xpt=False)
    supp = _read(out, "SUPPSV")
    assert supp["QVAL"].tolist().count("Y") == 1 and supp["QVAL"].tolist().count("N") == 2
    text = "\n".join(p.read_text() for p in sorted(out.glob("*.csv")))
    for value in IDS:
        assert value not in text, value
    assert_no_original_date(text, tables)


# alsfrs.rater: SUPPQS QSRATER on the visit's QSGRPID (QSEVALID is restricted from QS by SDTM v2.0; io.sdtm).
RATER_LABEL = "Rater Identifier (Pseudonym)"


@pytest.fixture(scope="module")
def rated(tmp_path_factory) -> Path:
    """The hand folder with a rater at three of its four visits (R07 twice)."""
    tables = read_folder(with_rater(hand_folder(tmp_path_factory.mktemp("rater") / "in")))
    out = tmp_path_factory.mktemp("rater") / "sdtm"
    write_sdtm(tables, out)
    return out


def test_the_rater_is_a_suppqs_qualifier_of_the_visits_ratings(rated, hand):
    supp = _read(rated, "SUPPQS")
    # By hand: HAND-01 visits 1 (R07), 2 (nurse-3), 3 (R07); HAND-02's self-report has no rater (QSASSESS only).
    assert supp[
        ["USUBJID", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
    ].values.tolist() == [
        ["ALSCELL-HAND-01", "QS", "QSGRPID", "ALSFRS-R V1", "QSRATER", RATER_LABEL, "R07", "Collected", ""],
        ["ALSCELL-HAND-01", "QS", "QSGRPID", "ALSFRS-R V2", "QSRATER", RATER_LABEL, "nurse-3", "Collected", ""],
        ["ALSCELL-HAND-01", "QS", "QSGRPID", "ALSFRS-R V3", "QSRATER", RATER_LABEL, "R07", "Collected", ""],
        [
            "ALSCELL-HAND-02",
            "QS",
            "QSGRPID",
            "ALSFRS-R V1",
            "QSASSESS",
            "Who Rated the ALSFRS-R",
            "SELF",
            "Collected",
            "",
        ],
    ]
    # Every qualifier names a group of QS records (the visit's items and total).
    qs = _read(rated, "QS")
    assert set(zip(supp["USUBJID"], supp["IDVARVAL"], strict=True)) <= set(
        zip(qs["USUBJID"], qs["QSGRPID"], strict=True)
    )
    # QS itself (no QSEVAL, no QSEVALID) and every other dataset are the hand folder's, byte for byte.
    assert not {"QSEVAL", "QSEVALID"} & set(qs.columns)
    for path in sorted(hand.glob("*.csv")):
        if path.name not in {"suppqs.csv", "define.csv"}:
            assert (rated / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in rated.iterdir()) == sorted(p.name for p in hand.iterdir())


def test_rater_datasets_read_back_from_xpt_and_are_in_define(rated):
    _assert_xpt_equals_csv(rated)
    data, _ = pyreadstat.read_xport(str(rated / "suppqs.xpt"))
    assert data.loc[data["QNAM"] == "QSRATER", "QVAL"].tolist() == ["R07", "nurse-3", "R07"]
    define = _read(rated, "define").set_index(["dataset", "variable"])
    assert define.loc[("SUPPQS", "QLABEL"), "length"] == str(len(RATER_LABEL))  # the longest QLABEL
    assert define.loc[("SUPPQS", "QVAL"), "length"] == str(len("nurse-3"))


def test_deidentified_raters_are_keyed_pseudonyms_in_suppqs(tmp_path):
    tables = read_folder(with_rater(with_eligible(extension_folder(tmp_path / "in"), ELIGIBLE_BY_VISIT)))
    out = tmp_path / "anon"
    write_sdtm(deidentify(tables, KEY), out, xpt=False)
    text = "\n".join(p.read_text() for p in sorted(out.glob("*.csv")))
    for value in [*IDS, "R07", "nurse-3"]:
        assert value not in text, value
    assert_no_original_date(text, tables)
    supp = _read(out, "SUPPQS")
    raters = supp.loc[supp["QNAM"] == "QSRATER", "QVAL"].tolist()
    assert len(raters) == 3 and all(r.startswith("R-") and len(r) == 22 for r in raters)
    assert sorted(raters.count(r) for r in set(raters)) == [1, 2]  # R07's two ratings: one pseudonym
