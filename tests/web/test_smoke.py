from web_helpers import csrf_of


def test_clinician_pages(as_user):
    c = as_user("doc")
    r = c.get("/patients")
    assert r.status_code == 200 and "ALS-001" in r.text
    r = c.get("/patients/ALS-001")
    assert r.status_code == 200, r.text
    assert "<svg" in r.text
    r = c.get("/patients/ALS-001/visits/new")
    assert "Intelligible with repeating" in r.text
    assert c.get("/api/v1/patients").json()["total"] == 4
    assert c.get("/api/v1/patients/ALS-001/visits").json()["visits"]
    assert csrf_of(c)
