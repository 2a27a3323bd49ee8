"""Mistakes a spreadsheet user makes that used to pass silently, each now told clearly.

Found by walking through the README as a newsroom user would: a quote never
closed, columns named as another tool names them, a places file open in a
spreadsheet or read-only or a link, two spellings of one place, a bad date.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


HEADER = "place,lat,lon,precision,incidents,date,status,summary,source\n"
ROW_A = "Airport,43.3521,77.0405,exact,closure,2022-01-08,reported,Flights stopped,Wire\n"
ROW_B = "Central square,43.2380,76.9450,exact,protest,2022-01-05,reported,Crowd gathers,Wire\n"
ROW_C = "Akimat,43.2567,76.9286,exact,arson,2022-01-05,reported,Building on fire,Wire\n"


def test_a_quote_never_closed_does_not_swallow_the_rows_after_it(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A.replace("Flights stopped", '"Flights stopped, he said') + ROW_B + ROW_C, "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert ("places.csv:2: column 'summary': 'Flights stopped, he said,Wire' a quote opened in this cell is not closed, "
            "so the 2 lines after it were read into it.") in result.output
    assert "Traceback" not in result.output


def test_a_quote_never_closed_in_the_last_row_is_reported(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A + ROW_B.replace("Crowd gathers", '"Crowd gathers\nnear the hall'), "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert "places.csv:3: column 'summary': 'Crowd gathers' a quote opened in this cell is not closed" in result.output


def test_a_cell_with_a_closed_line_break_is_still_fine(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A.replace("Flights stopped", '"Flights stopped,\nall day"') + ROW_B, "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 0, result.output


def test_columns_named_as_other_tools_name_them_are_not_ignored(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text("place,latitude,longitude,incident,date,summery\nAirport,43.35,77.04,closure,2022-01-08,x\n",
                   "utf-8")
    result = mapgen_cli("build", str(csv), "-o", str(tmp_path / "out"), "--offline")
    assert result.exit_code == 1
    for theirs, ours in (("latitude", "lat"), ("longitude", "lon"), ("incident", "incidents"),
                         ("summery", "summary")):
        assert (f"places.csv:1: the column {theirs!r} is not one mapgen reads, so its values would be ignored; "
                f"rename it to {ours!r} in the header.") in result.output
    assert not (tmp_path / "out").exists()


def test_extra_columns_of_ones_own_are_kept_quietly(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER.rstrip("\n") + ",reporter,fatalities\n" + ROW_A.rstrip("\n") + ",Anna,0\n", "utf-8")
    assert mapgen_cli("validate", str(csv)).exit_code == 0


def test_an_acled_export_given_as_places_file_points_to_the_importer(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "export.csv"
    csv.write_text("event_id_cnty,event_date,event_type,location,latitude,longitude\n"
                   "KAZ1,2022-01-05,Riots,Almaty,43.25,76.92\n", "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert "this is an ACLED export, not a places file; convert it with `mapgen import-acled" in result.output


def test_two_spellings_of_one_place_are_pointed_out(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A + ROW_A.replace("Airport", "airport ").replace("43.3521", "43.3522"), "utf-8")
    result = mapgen_cli("build", str(csv), "-o", str(tmp_path / "out"), "--offline")
    assert result.exit_code == 0
    assert ("Check: 'Airport' (line 2) and 'airport' (line 3) differ only in capitals or spaces, so they are "
            "separate places on the map; write them the same way if they are one place.") in result.output
    assert "2 incidents at 2 places (2 located) from 1 source ->" in result.output


def test_swapped_or_zero_coordinates_are_pointed_out_but_a_far_city_is_not(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A + ROW_B + ROW_C
                   + "Park,43.2400,76.9500,exact,protest,2022-01-05,reported,Crowd,Wire\n"
                   + "Bazaar,43.2630,76.9450,exact,looting,2022-01-06,reported,Looted,Wire\n"
                   + "Railway station,76.9400,43.2700,exact,gunfire,2022-01-07,reported,Shots,Wire\n"
                   + "Depot,0,0,exact,looting,2022-01-07,reported,Looted,Wire\n"
                   + "Kremlin,55.7520,37.6175,exact,statement,2022-01-07,reported,A statement,Wire\n", "utf-8")
    result = mapgen_cli("build", str(csv), "-o", str(tmp_path / "out"), "--offline")
    assert result.exit_code == 0, result.output
    assert ("Check: 'Railway station' (line 7): the coordinates typed in (76.94, 43.27) are 4,0" in result.output
            and "listed beside the map, not on it. Are lat and lon swapped?" in result.output)
    assert "Check: 'Depot' (line 8): the coordinates typed in (0, 0)" in result.output
    assert "Kremlin" not in result.output  # far on purpose: the side panel is where it belongs


CITY_ONLY = "place,lat,lon,precision,incidents\nAlmaty,,,city,protest\n"


def write_back(mapgen_cli, folder: Path):
    return mapgen_cli("geocode", str(folder / "places.csv"), "--offline", "--write")


def test_writing_back_into_a_linked_places_file_keeps_the_link(mapgen_cli, tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text(CITY_ONLY, "utf-8")
    (tmp_path / "places.csv").symlink_to("data.csv")
    result = write_back(mapgen_cli, tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "places.csv").is_symlink()
    assert (tmp_path / "data.csv").read_text("utf-8").startswith("place,lat,lon,precision,incidents\nAlmaty,43.")


def test_a_read_only_places_file_is_not_replaced(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(CITY_ONLY, "utf-8")
    csv.chmod(0o444)
    result = write_back(mapgen_cli, tmp_path)
    assert result.exit_code == 1
    assert f"Error: {csv} is read-only, so mapgen does not replace it." in result.output
    assert csv.read_text("utf-8") == CITY_ONLY
    assert [p.name for p in tmp_path.iterdir()] == ["places.csv"]


@pytest.mark.parametrize("lock", [".~lock.places.csv#", "~$places.csv"])  # LibreOffice, Excel
def test_a_places_file_open_in_a_spreadsheet_is_not_replaced(mapgen_cli, tmp_path: Path, lock: str) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(CITY_ONLY, "utf-8")
    (tmp_path / lock).write_text("", "utf-8")
    result = write_back(mapgen_cli, tmp_path)
    assert result.exit_code == 1
    assert f"is open in a spreadsheet ({lock} exists). Close it there first" in result.output
    assert csv.read_text("utf-8") == CITY_ONLY


def test_extract_refuses_a_date_that_does_not_exist(mapgen_cli, tmp_path: Path) -> None:
    article = tmp_path / "report.txt"
    article.write_text("Shots were heard at the airport of Almaty.", "utf-8")
    result = mapgen_cli("extract", str(article), "--csv", str(tmp_path / "none.csv"), "--date", "2022-13-01")
    assert result.exit_code == 1
    assert "--date '2022-13-01' is not a date; write YYYY-MM-DD, e.g. 2022-01-08." in result.output


def test_watch_reads_a_file_in_the_encoding_given(tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_bytes((HEADER + ROW_A.replace("Airport", "Flughafen – Terminal")).encode("cp1252"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapgen", "watch", str(csv), "-o", str(tmp_path / "out"), "--port", "0",
         "--no-open", "--offline", "--encoding", "cp1252"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        built = proc.stdout.readline()
        proc.stdout.readline()  # "Serving the map at ..."
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert built.startswith("Built in"), built
    assert "Flughafen – Terminal" in (tmp_path / "out" / "map.html").read_text("utf-8")


pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes and links as on POSIX")


def test_a_workbook_given_instead_of_a_csv_says_how_to_save_it(mapgen_cli, tmp_path: Path) -> None:
    import zipfile

    book = tmp_path / "places.xlsx"
    with zipfile.ZipFile(book, "w") as z:  # an .xlsx is a zip of XML files
        z.writestr("[Content_Types].xml", "<Types/>")
    result = mapgen_cli("validate", str(book))
    assert result.exit_code == 1
    assert ("places.xlsx: is a spreadsheet workbook (Excel or LibreOffice), not a CSV file. Save it as CSV"
            in result.output)


def test_a_decimal_comma_in_a_comma_file_is_told_to_use_a_point(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A.replace("43.3521", '"43,3521"'), "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert ("column 'lat': '43,3521' is not a number; write latitude as a decimal number with a point, "
            "like 43.2565.") in result.output


@pytest.mark.parametrize("toml, message", [
    ('title = "Almaty"\ncountrycodes = ["kazakhstan"]\n', "countrycodes = 'kazakhstan' is not a two-letter country code"),
    ("viewbox = [80, 50, 70, 40]\n", "viewbox = [80.0, 50.0, 70.0, 40.0] is not [west, south, east, north]"),
])
def test_settings_that_cannot_work_are_refused(mapgen_cli, tmp_path: Path, toml: str, message: str) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A, "utf-8")
    (tmp_path / "mapgen.toml").write_text(toml, "utf-8")
    result = mapgen_cli("build", str(csv), "-o", str(tmp_path / "out"), "--offline")
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_settings_saved_with_a_byte_order_mark_are_read(mapgen_cli, tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + ROW_A, "utf-8")
    (tmp_path / "mapgen.toml").write_text('title = "Almaty in January"\n', "utf-8-sig")  # as Notepad saves it
    result = mapgen_cli("build", str(csv), "-o", str(tmp_path / "out"), "--offline")
    assert result.exit_code == 0, result.output
    assert "<title>Almaty in January</title>" in (tmp_path / "out" / "map.html").read_text("utf-8")
