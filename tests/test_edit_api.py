"""Editing places.csv from Python (what the map's editor does): only the cells that change, change.

Each test checks the exact bytes of the file after an edit, in the file's own
format (delimiter, quoting, byte-order mark, line endings, decimal comma),
and that a refused edit leaves every byte as it was.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import pytest

from mapgen.edit import (
    EditHistory,
    FileChanged,
    FileLocked,
    FileReadOnly,
    NeedsConfirmation,
    NothingToUndo,
    PlacesFile,
    add_incident,
    delete_incident,
    fingerprint,
    set_location,
    update_incident,
)
from mapgen.errors import DataError

COMMA = (
    "place,lat,lon,precision,incidents,date,status,summary,source\n"
    "Central square,43.2380,76.9450,exact,protest,2022-01-05,reported,Crowd gathers,Test wire\n"
    'Airport,43.3521,77.0405,exact,closure,2022-01-06,reported,"Flights stopped, all of them",Test wire\n'
    "Airport,,,,gunfire,2022-01-07,unverified,Shots heard,Test wire\n"
    "Almaty,43.25,76.95,city,curfew,2022-01-07,reported,Curfew announced,Test wire\n"
    "Railway station,,,,gunfire,2022-01-08,reported,Shots at the station,Test wire\n"
)
#: German Excel: byte-order mark, ';', decimal comma, CRLF.
GERMAN = (
    "\ufeffplace;lat;lon;precision;incidents;date;status;summary;source\r\n"
    "Platz der Republik;43,2380;76,9450;exact;protest;2022-01-05;reported;Menge versammelt;DW\r\n"
    'Flughafen;43,3521;77,0405;approximate;closure;2022-01-06;reported;"Flüge gestrichen; alle";DW\r\n'
).encode("utf-8")


def write(tmp_path: Path, data: str | bytes, name: str = "places.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def changed_lines(before: bytes, after: bytes) -> list[tuple[str, str]]:
    """The lines that differ, as ``git diff`` shows a change that keeps the number of lines."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), "lines were added or removed"
    return [(a.decode("utf-8"), b.decode("utf-8")) for a, b in zip(old, new) if a != b]


def changed_cells(old_line: str, new_line: str, delimiter: str = ",") -> dict[int, tuple[str, str]]:
    old = next(csv.reader(io.StringIO(old_line), delimiter=delimiter))
    new = next(csv.reader(io.StringIO(new_line), delimiter=delimiter))
    assert len(old) == len(new)
    return {k: (a, b) for k, (a, b) in enumerate(zip(old, new)) if a != b}


# -- set_location ----------------------------------------------------------------------------

def test_moving_a_place_changes_two_cells_of_one_line(tmp_path):
    path = write(tmp_path, COMMA)
    before = path.read_bytes()
    edit = set_location(path, "Airport", 43.35678912, 77.041)
    after = path.read_bytes()
    assert after == before.replace(b"Airport,43.3521,77.0405,", b"Airport,43.35679,77.04100,")
    [(old, new)] = changed_lines(before, after)
    assert changed_cells(old, new) == {1: ("43.3521", "43.35679"), 2: ("77.0405", "77.04100")}
    assert edit.line == 3 and edit.before == before and edit.after == after
    assert edit.version == fingerprint(after)


def test_a_place_without_coordinates_gets_them_on_its_first_row(tmp_path):
    path = write(tmp_path, COMMA)
    set_location(path, "Railway station", "43.2701", "76.94")
    assert path.read_text("utf-8") == COMMA.replace("Railway station,,,,", "Railway station,43.27010,76.94000,,")


def test_coordinates_repeated_on_several_rows_are_all_moved(tmp_path):
    text = COMMA.replace("Airport,,,,gunfire", "Airport,43.3521,77.0405,exact,gunfire")
    path = write(tmp_path, text)
    set_location(path, "Airport", 43.3, 77.0)
    assert path.read_text("utf-8") == text.replace("43.3521,77.0405", "43.30000,77.00000")


def test_a_german_file_keeps_its_decimal_comma_bom_and_line_endings(tmp_path):
    path = write(tmp_path, GERMAN)
    set_location(path, "Flughafen", 43.1, 77.2, precision="exact", radius_m=0)
    assert path.read_bytes() == GERMAN.replace(b"Flughafen;43,3521;77,0405;approximate;",
                                               b"Flughafen;43,10000;77,20000;exact;")


def test_precision_and_radius_are_written_only_when_they_change(tmp_path):
    path = write(tmp_path, COMMA)
    set_location(path, "Almaty", 43.25, 76.95, precision="city", radius_m=8000)  # as it is (8 km: the default)
    assert path.read_text("utf-8") == COMMA
    set_location(path, "Almaty", 43.25, 76.95, precision="approximate", radius_m=250.0)
    assert path.read_text("utf-8") == (COMMA.replace("Almaty,43.25,76.95,city,curfew", "Almaty,43.25,76.95,approximate,curfew")
                                       .replace("source\n", "source,radius_m\n", 1)
                                       .replace("Curfew announced,Test wire", "Curfew announced,Test wire,250"))


def test_a_city_is_made_exact_only_when_confirmed(tmp_path):
    path = write(tmp_path, COMMA)
    with pytest.raises(NeedsConfirmation) as refused:
        set_location(path, "Almaty", 43.2389, 76.8897, precision="exact")
    [problem] = refused.value.problems
    assert problem.column == "precision" and problem.line == 5
    assert "known only at city level" in problem.message and "confirm_exact=True" in problem.message
    assert refused.value.place == "Almaty" and refused.value.known == "city"
    assert path.read_text("utf-8") == COMMA
    set_location(path, "Almaty", 43.2389, 76.8897, precision="exact", confirm_exact=True)
    assert "Almaty,43.23890,76.88970,exact,curfew" in path.read_text("utf-8")


def test_a_bad_coordinate_is_named_as_mapgen_validate_names_it(tmp_path, mapgen_cli):
    path = write(tmp_path, COMMA)
    with pytest.raises(DataError) as refused:
        set_location(path, "Airport", 95, 77.0)
    [problem] = refused.value.problems
    assert (problem.column, problem.line) == ("lat", 3)
    assert str(problem) == "places.csv:3: column 'lat': '95.00000' is not a latitude (-90..90)."
    assert path.read_text("utf-8") == COMMA
    # the same words as `mapgen validate` for the same cell
    other = write(tmp_path, COMMA.replace("43.3521", "95.00000"), "typed.csv")
    assert "typed.csv:3: column 'lat': '95.00000' is not a latitude (-90..90)." in mapgen_cli("validate", str(other)).output


def test_an_unknown_place_is_a_problem(tmp_path):
    path = write(tmp_path, COMMA)
    with pytest.raises(DataError, match="'Nowhere' is not a place in this file"):
        set_location(path, "Nowhere", 1, 2)


# -- add_incident ----------------------------------------------------------------------------

def test_an_incident_at_a_known_place_is_appended_in_the_files_format(tmp_path):
    path = write(tmp_path, GERMAN)
    edit = add_incident(path, {"place": "Flughafen", "lat": "43,3521", "lon": 77.0405, "incidents": ["arson", "gunfire"],
                               "date": "2022-01-09", "status": "confirmed", "summary": 'Er sagte "nein"; dann',
                               "source": "DW"})
    assert path.read_bytes() == GERMAN + (
        'Flughafen;;;;"arson;gunfire";2022-01-09;confirmed;"Er sagte ""nein""; dann";DW\r\n').encode("utf-8")
    assert edit.line == 4


def test_a_new_place_clicked_on_the_map_brings_its_coordinates(tmp_path):
    path = write(tmp_path, COMMA)
    add_incident(path, {"place": "Bazaar", "lat": 43.26, "lon": 76.9512345, "precision": "exact",
                        "incidents": "looting", "date": "2022-01-09", "url": "https://example.org/a"})
    assert path.read_text("utf-8") == (COMMA.replace("source\n", "source,url\n", 1)
                                       + "Bazaar,43.26000,76.95123,exact,looting,2022-01-09,,,,https://example.org/a\n")


def test_a_bad_date_is_shown_at_its_field_and_nothing_is_written(tmp_path, mapgen_cli):
    path = write(tmp_path, COMMA)
    with pytest.raises(DataError) as refused:
        add_incident(path, {"place": "Airport", "incidents": "gunfire;pillage", "date": "2022-02-30"})
    by_field = {p.column: p for p in refused.value.problems}
    assert set(by_field) == {"date", "incidents"}
    assert by_field["date"].message == "is not a real calendar date." and by_field["date"].line == 7
    assert by_field["incidents"].message.startswith("is not an incident type.")
    assert "places.csv was not changed." in str(refused.value)
    assert path.read_text("utf-8") == COMMA
    other = write(tmp_path, COMMA + "Airport,,,,gunfire;pillage,2022-02-30,,,\n", "typed.csv")
    said = mapgen_cli("validate", str(other)).output
    for problem in refused.value.problems:
        assert str(problem).replace("places.csv", "typed.csv") in said


def test_a_column_that_does_not_exist_is_refused(tmp_path):
    path = write(tmp_path, COMMA)
    with pytest.raises(DataError) as refused:
        add_incident(path, {"place": "Airport", "casualties": "3"})
    assert refused.value.problems[0].column == "casualties"
    assert path.read_text("utf-8") == COMMA


# -- update_incident, delete_incident --------------------------------------------------------

def test_changing_an_incident_rewrites_only_its_changed_cells_and_keeps_quotes(tmp_path):
    path = write(tmp_path, COMMA)
    before = path.read_bytes()
    update_incident(path, 3, {"status": "confirmed", "summary": "Flights stopped, all of them", "source": "DW"})
    [(old, new)] = changed_lines(before, path.read_bytes())
    assert new == 'Airport,43.3521,77.0405,exact,closure,2022-01-06,confirmed,"Flights stopped, all of them",DW\n'
    update_incident(path, 3, {"summary": "Flights stopped"})
    assert '"Flights stopped",DW' in path.read_text("utf-8")  # it was quoted, so it stays quoted


def test_an_incident_that_moves_to_another_place_leaves_the_location_with_its_place(tmp_path):
    path = write(tmp_path, COMMA)
    update_incident(path, 3, {"place": "Central square"})
    assert path.read_text("utf-8") == COMMA.replace(
        'Airport,43.3521,77.0405,exact,closure,2022-01-06,reported,"Flights',
        'Central square,,,,closure,2022-01-06,reported,"Flights').replace(
        "Airport,,,,gunfire", "Airport,43.3521,77.0405,exact,gunfire")


def test_a_place_of_one_row_renamed_keeps_its_location(tmp_path):
    path = write(tmp_path, COMMA)
    update_incident(path, 5, {"place": "Almaty city"})
    assert path.read_text("utf-8") == COMMA.replace("Almaty,", "Almaty city,")


def test_deleting_an_incident_keeps_its_place_located(tmp_path):
    path = write(tmp_path, COMMA)
    delete_incident(path, 3)
    assert path.read_text("utf-8") == COMMA.replace(
        'Airport,43.3521,77.0405,exact,closure,2022-01-06,reported,"Flights stopped, all of them",Test wire\n', ""
    ).replace("Airport,,,,gunfire", "Airport,43.3521,77.0405,exact,gunfire")


def test_deleting_in_a_german_file_keeps_its_line_endings(tmp_path):
    path = write(tmp_path, GERMAN)
    delete_incident(path, 2)
    assert path.read_bytes() == GERMAN.replace(
        "Platz der Republik;43,2380;76,9450;exact;protest;2022-01-05;reported;Menge versammelt;DW\r\n".encode(), b"")


def test_a_line_where_no_row_starts_is_a_problem(tmp_path):
    path = write(tmp_path, COMMA)
    with pytest.raises(DataError, match="no row starts on this line"):
        update_incident(path, 99, {"status": "confirmed"})


# -- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize("lock", [".~lock.places.csv#", "~$places.csv"])  # LibreOffice, Excel
def test_an_edit_is_refused_while_the_file_is_open_in_a_spreadsheet(tmp_path, lock):
    path = write(tmp_path, COMMA)
    (tmp_path / lock).write_text("", "utf-8")
    with pytest.raises(FileLocked, match=re.escape(f"is open in a spreadsheet ({lock} exists)")):
        set_location(path, "Airport", 43.3, 77.0)
    assert path.read_text("utf-8") == COMMA


def test_an_edit_is_refused_when_the_file_is_read_only(tmp_path):
    path = write(tmp_path, COMMA)
    path.chmod(0o444)
    with pytest.raises(FileReadOnly, match="is read-only"):
        delete_incident(path, 2)
    assert path.read_text("utf-8") == COMMA


def test_an_edit_of_an_older_version_is_refused(tmp_path):
    path = write(tmp_path, COMMA)
    seen = fingerprint(path.read_bytes())  # the page was built from this
    path.write_text(COMMA + "Bazaar,,,,looting,2022-01-09,reported,x,y\n", "utf-8")  # someone else saves
    with pytest.raises(FileChanged, match="changed on disk after the map was loaded"):
        set_location(path, "Airport", 43.3, 77.0, version=seen)
    assert path.read_text("utf-8").endswith("Bazaar,,,,looting,2022-01-09,reported,x,y\n")
    set_location(path, "Airport", 43.3, 77.0, version=fingerprint(path.read_bytes()))


# -- undo ------------------------------------------------------------------------------------

def test_undoing_three_edits_gives_back_the_original_bytes(tmp_path):
    path = write(tmp_path, GERMAN)
    history = EditHistory()
    set_location(path, "Flughafen", 43.1, 77.2, history=history)
    add_incident(path, {"place": "Flughafen", "incidents": "arson", "date": "2022-01-09"}, history=history)
    delete_incident(path, 2, history=history)
    assert history.depth == 3
    for depth in (2, 1, 0):
        history.undo()
        assert history.depth == depth
    assert path.read_bytes() == GERMAN
    with pytest.raises(NothingToUndo):
        history.undo()


def test_undo_is_refused_when_the_file_changed_since(tmp_path):
    path = write(tmp_path, COMMA)
    history = EditHistory()
    set_location(path, "Airport", 43.3, 77.0, history=history)
    path.write_text(path.read_text("utf-8") + "Bazaar,,,,looting,2022-01-09,reported,x,y\n", "utf-8")
    changed = path.read_bytes()
    with pytest.raises(FileChanged, match="changed on disk after the last edit"):
        history.undo()
    assert path.read_bytes() == changed and history.depth == 0


def test_undo_waits_while_the_file_is_open_in_a_spreadsheet(tmp_path):
    path = write(tmp_path, COMMA)
    history = EditHistory()
    update_incident(path, 2, {"status": "confirmed"}, history=history)
    lock = tmp_path / ".~lock.places.csv#"
    lock.write_text("", "utf-8")
    with pytest.raises(FileLocked):
        history.undo()
    assert history.depth == 1
    lock.unlink()
    history.undo()
    assert path.read_text("utf-8") == COMMA


def test_an_edit_that_changes_nothing_writes_nothing_and_is_not_recorded(tmp_path):
    path = write(tmp_path, COMMA)
    history = EditHistory()
    edit = set_location(path, "Airport", "43.3521", "77.0405", history=history)
    assert not edit.changed and history.depth == 0 and path.read_text("utf-8") == COMMA


# -- the index of a large file, kept up to date edit by edit ---------------------------------

def records(places: PlacesFile) -> list[tuple[int, list[tuple[int, int]], int]]:
    return [(r.line, r.cells, r.end) for r in [places.header_record, *places.records]]


def test_edits_keep_the_offsets_a_fresh_read_finds(tmp_path):
    """Quoted line breaks, \\r and \\r\\n meeting at a deleted row, blank rows: the index follows."""
    rng = random.Random(7)
    pieces = ["a", ",", ";", '"', '""', "\n", "\r\n", "\r", " ", "x y"]
    for _ in range(300):
        text = "place,lat,lon\n" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        try:
            places = PlacesFile(tmp_path / "p.csv", text.encode("utf-8"))
        except DataError:
            continue
        for _ in range(4):
            rows = places.records
            if rows and rng.random() < 0.5:
                places.set_cells(rng.choice(rows), {rng.choice(places.header): rng.choice(["", "b", 'q"q', "c,d", "e\nf"])})
            elif rows and rng.random() < 0.5:
                places.delete(rng.choice(rows))
            else:
                places.append([{"place": "P", "lat": "1"}])
            fresh = PlacesFile(tmp_path / "p.csv", places.encoded())
            assert records(places) == records(fresh), repr(places.text)
            assert places.header == fresh.header
