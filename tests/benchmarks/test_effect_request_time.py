"""benchmarks/effect_request_time.py at its smallest: one registry of 60 patients, each timing once; the page
holds the command, the table with its columns and positive timings, and the terminal stays quiet."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import effect_request_time as ert


def test_smallest_run_writes_the_table_with_positive_timings(tmp_path, capsys):
    page = tmp_path / "effect_request_time.md"
    argv = ["--sizes", "60", "--repeats", "1", "--write-md", str(page)]
    assert ert.main(argv) == 0
    out = capsys.readouterr()
    assert out.err == ""  # no warning printed
    text = page.read_text(encoding="utf-8")
    assert "benchmarks/effect_request_time.py --sizes 60 --repeats 1 --write-md" in text
    assert "Python 3." in text and "Run time" in text
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert tuple(header) == ert.COLUMNS
    assert len(lines) == 3  # header, rule, one size
    row = dict(zip(header, (c.strip() for c in lines[2].strip("|").split("|")), strict=True))
    assert row["size"] == "60" and row["patients"] == "60"
    visits, rows = (int(row[k].replace(",", "")) for k in ("visits", "rows read"))
    assert 60 < visits < rows
    for column in ert.TIMINGS:
        assert float(row[column]) > 0, column
    assert lines[0] in out.out  # the table is printed too
