"""Personal access tokens, the import page (safe .zip unpacking, row errors, site check) and export page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import csrf_of, snapshot

from alscell.io.deidentify import date_shift, pseudonym
from alscell.store.accounts import TOKENS, pseudonym_key
from alscell.web import uploads

PATIENTS = "patient_id,sex,onset_date,onset_site\nZIP-1,F,2022-01-01,limb\n"


def _zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _upload(client, data: bytes):
    return client.post(
        "/import", data={"csrf_token": csrf_of(client)}, files={"archive": ("folder.zip", data, "application/zip")}
    )


def test_token_is_hashed_works_for_the_api_only_and_can_be_revoked(web_app, as_user):
    doc = as_user("doc")
    page = doc.post("/account/tokens", data={"csrf_token": csrf_of(doc), "name": "nightly"})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    with web_app.state.engine.connect() as conn:
        stored = conn.execute(select(TOKENS.c.token_hash)).scalars().all()
    assert len(stored) == 1 and token not in stored[0]
    script = TestClient(web_app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/v1/patients", headers=bearer).status_code == 200
    body = {"values": {"date": "2023-06-01", "event": "gastrostomy"}}
    assert script.post("/api/v1/patients/ALS-001/records/events", json=body, headers=bearer).status_code == 201
    assert script.get("/patients", headers=bearer, follow_redirects=False).status_code == 303  # pages: no
    assert script.get("/api/v1/patients", headers={"Authorization": "Bearer alscell_pat_wrong"}).status_code == 401
    token_id = doc.get("/account/tokens").text.split('action="/account/tokens/')[1].split("/")[0]
    doc.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(doc)})
    assert script.get("/api/v1/patients", headers=bearer).status_code == 401


@pytest.mark.parametrize(
    ("archive", "words"),
    [
        (b"not a zip at all", "not a zip"),
        (_zip({"../patients.csv": PATIENTS.encode()}), "climbs out"),
        (_zip({"/etc/patients.csv": PATIENTS.encode()}), "absolute"),
        (_zip({"a/b/patients.csv": PATIENTS.encode()}), "deeper"),
        (_zip({"patients.csv": PATIENTS.encode(), "evil.sh": b"rm -rf /"}), "not a canonical file"),
        (_zip({"patients.csv": PATIENTS.encode()}, symlink="alsfrs.csv"), "symbolic link"),
        (_zip({"patients.csv": PATIENTS.encode() + b"0" * (20 * 1024 * 1024)}), "zip bomb"),
        (_zip({"alsfrs.csv": b"patient_id,date\n"}), "no patients.csv"),
    ],
)
def test_unsafe_uploads_are_refused(web_app, as_user, archive, words):
    doc = as_user("doc")
    before = snapshot(web_app.state.engine)
    r = _upload(doc, archive)
    assert r.status_code == 422 and words in r.text, r.text[-500:]
    assert snapshot(web_app.state.engine) == before


def test_import_shows_row_errors_and_imports_all_or_nothing(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    before = snapshot(engine)
    bad = PATIENTS + "ZIP-2,X,2022-13-01,limb\n"
    r = _upload(doc, _zip({"folder/patients.csv": bad.encode()}))
    assert r.status_code == 422 and "patients.csv" in r.text and "line 3" in r.text
    assert snapshot(engine) == before
    other_site = "patient_id,sex,onset_date,onset_site,site\nZIP-3,F,2022-01-01,limb,site_b\n"
    r = _upload(doc, _zip({"patients.csv": other_site.encode()}))
    assert r.status_code == 422 and "not yours" in r.text
    assert snapshot(engine) == before
    r = _upload(doc, _zip({"folder/patients.csv": PATIENTS.encode()}))
    assert r.status_code == 200 and "patients: 1 new" in r.text
    assert "ZIP-1" in doc.get("/patients?q=ZIP").text


def test_upload_size_is_limited_before_it_is_read(web_app, as_user):
    doc = as_user("doc")
    r = doc.post("/import", content=b"x" * 16, headers={"content-length": str(uploads.MAX_UPLOAD_BYTES * 2)})
    assert r.status_code == 413


def test_researcher_export_is_deidentified(web_app, as_user):
    res, doc = as_user("res"), as_user("doc")
    for client, deid in ((res, True), (doc, False)):
        r = client.get("/export/download?format=canonical")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            text = "".join(zf.read(n).decode() for n in zf.namelist())
        assert ("ALS-001" in text) is not deid
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            name = next(n for n in zf.namelist() if n.endswith("patients.csv"))
            rows = list(csv.DictReader(io.StringIO(zf.read(name).decode())))
        # ALS-001's own row: its onset date (2022-03-15) moved by the patient's keyed shift for the
        # researcher.  (Looking for the date anywhere in the export would be flaky: another date shifted by
        # 1…364 days can land on it by chance.)
        key = pseudonym_key(web_app.state.engine)
        shown = pseudonym(key, "patient", "ALS-001", "P-") if deid else "ALS-001"
        onset = dt.date(2022, 3, 15) + dt.timedelta(days=date_shift(key, "ALS-001") if deid else 0)
        (row,) = [r for r in rows if r["patient_id"] == shown]
        assert row["onset_date"] == onset.isoformat() and (row["onset_date"] != "2022-03-15") is deid
    assert as_user("pat1").get("/export/download").status_code == 403
