"""A large file is read in blocks by Arrow; what a user gets must not depend on where the blocks end.

The blocks are made a few rows long here, so that the surprises of a real
export (a Windows line end, a quoted line break, a stray carriage return, a
blank row, a bad cell) fall in a later block than the first. Each file must
give the same places, incidents and messages as the careful reader, which
reads the file whole.
"""

from __future__ import annotations

import pytest

import mapgen
from mapgen.errors import DataError
from mapgen.read import chunks, read_table
from mapgen.validate import validate

HEADER = "place,address,lat,lon,precision,incidents,date,date_precision,status,summary,source,url,aliases\n"


def row(k: int, summary: str = "") -> str:
    return (f"Place {k % 7},,{43 + k % 7 / 10:.4f},{76.9 + k % 7 / 10:.4f},city,protest,2022-01-{1 + k % 28:02d},day,"
            f"reported,{summary or f'Crowd number {k}.'},DW,https://example.org/{k},\n")


ROWS = [row(k) for k in range(60)]

FILES = {
    "plain": HEADER + "".join(ROWS),
    "crlf": (HEADER + "".join(ROWS)).replace("\n", "\r\n"),
    "a row 50 that ends in a carriage return alone": HEADER + "".join(ROWS[:49]) + ROWS[49].replace("\n", "\r") + "".join(ROWS[50:]),
    "a quoted line break in row 50": HEADER + "".join(ROWS[:49]) + row(49, '"Crowd,\nthen more."') + "".join(ROWS[50:]),
    "a blank row at 40": HEADER + "".join(ROWS[:39]) + ",,,,,,,,,,,,\n" + "".join(ROWS[39:]),
    "a byte order mark": "\ufeff" + HEADER + "".join(ROWS),
    "quotes and backslashes": HEADER + "".join(row(k, f'"He said ""stop\\"", left {k}"') for k in range(60)),
}


def careful_load(csv):
    """The file read whole, line by line, by the careful reader."""
    return validate(read_table(csv))


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 500)  # about four rows a block


@pytest.mark.parametrize("text", FILES.values(), ids=FILES.keys())
def test_blocks_read_what_the_careful_reader_reads(tmp_path, small_blocks, text):
    csv = tmp_path / "places.csv"
    csv.write_bytes(text.encode("utf-8"))
    fast = mapgen.load(csv)
    careful = careful_load(csv)
    assert fast.places.equals(careful.places)
    assert fast.incidents.equals(careful.incidents)
    assert len(fast.incidents) == 60


@pytest.mark.parametrize("text", FILES.values(), ids=FILES.keys())
def test_problems_in_later_blocks_name_the_same_lines(tmp_path, small_blocks, text):
    bad = (text.replace("2022-01-15", "2022-13-15").replace("Place 3,,43.3000", "Place 3,,93.3000")
           .replace("Place 5,,43.5000,77.4000,city", "Place 5,By the river,43.5000,77.4000,exact", 1)
           .replace("Place 6,,43.6000,77.5000,city,protest,2022-01-21", "Place 6,,43.6001,77.5000,city,protest,2022-01-21"))
    csv = tmp_path / "places.csv"
    csv.write_bytes(bad.encode("utf-8"))
    with pytest.raises(DataError) as fast:
        mapgen.load(csv)
    with pytest.raises(DataError) as careful:
        careful_load(csv)
    assert str(fast.value) == str(careful.value)
    assert "is not a real calendar date" in str(fast.value)
    assert "is not a latitude" in str(fast.value)
    assert "conflicts with line" in str(fast.value)
