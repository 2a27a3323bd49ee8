"""`mapgen import-acled`: an ACLED export becomes rows of places.csv that pass `mapgen validate`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import mapgen
from mapgen.acled import ACLED_COLUMNS, parse_date


def event(event_id: str, **cells: str) -> dict[str, str]:
    row = {c: "" for c in ACLED_COLUMNS}
    row.update({
        "event_id_cnty": event_id, "event_date": "2022-01-05", "year": "2022", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Protests", "sub_event_type": "Peaceful protest",
        "actor1": "Protesters (Kazakhstan)", "iso": "398", "region": "Central Asia", "country": "Kazakhstan",
        "admin1": "Almaty", "location": "Almaty", "latitude": "43.2567", "longitude": "76.9286",
        "geo_precision": "1", "source": "Test Wire", "source_scale": "National", "notes": "A crowd met.",
        "fatalities": "0", "timestamp": "1650000000",
    })
    row.update(cells)
    return row


def export_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ACLED_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


EVENTS = [
    event("KAZ1", event_date="08 January 2022", event_type="Violence against civilians",
          sub_event_type="Attack", notes="Security forces shot at a car; 2 people were killed.\nSecond line.",
          fatalities="2", source="Wire A; Wire B"),
    event("KAZ2", time_precision="2", geo_precision="2", notes="Protest on the square."),
    event("KAZ3", event_type="Riots", sub_event_type="Mob violence", location="Aktobe", admin1="Aktobe",
          latitude="50.2797", longitude="57.2072", geo_precision="3", time_precision="3", notes="Rioters."),
    event("KAZ4", event_type="Strategic developments", sub_event_type="Other", notes="Flights halted."),
    event("KAZ5", location="Oktyabrsk", admin1="Aktobe", admin2="Khromtau", latitude="49.4733",
          longitude="57.4169", notes="Strike at a plant."),
    event("KAZ6", location="Oktyabrsk", admin1="Kostanay", admin2="Kostanay", latitude="53.1667",
          longitude="63.5833", notes="Workers marched."),
    event("KAZ7", event_type="Battles", sub_event_type="Government regains territory", notes="Army retook it."),
    event("KAZ8", event_type="Strategic developments", sub_event_type="Looting/property destruction",
          location="Almaty", notes="Shops were looted."),
]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "acled.csv"
    path.write_text(export_text(EVENTS), encoding="utf-8")
    return path


def test_import_maps_acled_columns_to_ours(mapgen_cli, export, tmp_path):
    result = mapgen_cli("import-acled", "acled.csv", "-o", "places.csv", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("8 events written to places.csv.")
    assert "1 events have no incident type" in result.stderr and "KAZ4" in result.stderr
    check = mapgen_cli("validate", "places.csv", cwd=tmp_path)
    assert check.exit_code == 0, check.stderr
    assert "OK: 8 incidents" in check.stdout

    ds = mapgen.load(tmp_path / "places.csv")
    inc = ds.incidents.set_index("event_id")
    first = inc.loc["KAZ1"]
    assert first["place"] == "Almaty"
    assert first["date"] == "2022-01-08" and first["date_precision"] == "day"
    assert first["tags"] == ["casualties"]  # Attack -> casualties (and 2 dead)
    assert first["summary"] == "Security forces shot at a car; 2 people were killed.\nSecond line."
    assert first["source"] == "Wire A; Wire B" and first["fatalities"] == 2
    assert first["status"] == "reported"
    assert inc.loc["KAZ2", "date_precision"] == "week" and inc.loc["KAZ2", "tags"] == ["protest"]
    assert inc.loc["KAZ3", "tags"] == ["arson"] and inc.loc["KAZ3", "date_precision"] == "month"
    assert inc.loc["KAZ4", "tags"] == []  # "Other" fits several of our types: left for a person
    assert inc.loc["KAZ7", "tags"] == ["gunfire"]  # sub-event unknown to us: the event type decides
    assert inc.loc["KAZ8", "tags"] == ["looting"]
    places = ds.places.set_index("place")
    assert (places.loc["Almaty", "lat"], places.loc["Almaty", "lon"]) == (43.2567, 76.9286)
    # one location, two precisions: the place gets the coarser one
    assert places.loc["Almaty", "precision"] == "approximate"
    assert places.loc["Aktobe", "precision"] == "city"
    # one ACLED name for two spots: two places, named by their region
    assert places.loc["Oktyabrsk (Aktobe)", "lat"] == 49.4733
    assert places.loc["Oktyabrsk (Kostanay)", "lat"] == 53.1667
    assert "Oktyabrsk" not in places.index
    assert "place names got their region added" in result.stdout


def test_importing_the_same_export_again_adds_nothing(mapgen_cli, export, tmp_path):
    assert mapgen_cli("import-acled", "acled.csv", cwd=tmp_path).exit_code == 0
    before = (tmp_path / "places.csv").read_bytes()
    again = mapgen_cli("import-acled", "acled.csv", "--append", cwd=tmp_path)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("0 events written to places.csv; 8 already there, skipped.")
    assert (tmp_path / "places.csv").read_bytes() == before

    # a newer export with one more event: only that one is added, at the end
    export.write_text(export_text(EVENTS + [event("KAZ9", location="Oktyabrsk", admin1="Kostanay",
                                                  admin2="Kostanay", latitude="53.1667",
                                                  longitude="63.5833", notes="Another march.")]),
                      encoding="utf-8")
    newer = mapgen_cli("import-acled", "acled.csv", "--append", cwd=tmp_path)
    assert newer.exit_code == 0, newer.stderr
    assert newer.stdout.startswith("1 events written to places.csv; 8 already there, skipped.")
    after = (tmp_path / "places.csv").read_bytes()
    assert after.startswith(before)
    added = after[len(before):].decode("utf-8")
    # the spot already has a name in the file: it is reused, its location cells left to the first row
    assert added == "Oktyabrsk (Kostanay),,,,,protest,2022-01-05,day,reported,Another march.,Test Wire,,,0,KAZ9\n"
    assert mapgen_cli("validate", cwd=tmp_path).exit_code == 0


def test_append_to_a_hand_made_file_never_gives_one_place_two_locations(mapgen_cli, export, tmp_path):
    own = ("place,lat,lon,precision,incidents,summary,source\n"
           "Almaty,43.2565,76.9285,city,curfew,Curfew in force,DW\n")
    (tmp_path / "places.csv").write_text(own, encoding="utf-8")
    result = mapgen_cli("import-acled", "acled.csv", "--append", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "places.csv").read_text("utf-8")
    # only the header line changed: it gained the columns the events need, so no value is lost
    assert text.startswith("place,lat,lon,precision,incidents,summary,source,"
                           "date,date_precision,status,fatalities,event_id\n"
                           "Almaty,43.2565,76.9285,city,curfew,Curfew in force,DW\n")
    ds = mapgen.load(tmp_path / "places.csv")
    names = set(ds.places["place"])
    assert "Almaty" in names and "Almaty (43.2567, 76.9286)" in names
    assert ds.places.set_index("place").loc["Almaty", "lat"] == 43.2565


def test_bad_rows_are_reported_by_line_and_nothing_is_written(mapgen_cli, tmp_path):
    rows = [
        event("KAZ1", notes="A note\nover two lines."),
        event("KAZ2", event_date="8th of Jan"),
        event("KAZ3", latitude="", longitude="200"),
        event("KAZ4", geo_precision="5", fatalities="many"),
        event("", location=""),
    ]
    (tmp_path / "acled.csv").write_text(export_text(rows), encoding="utf-8")
    result = mapgen_cli("import-acled", "acled.csv", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "acled.csv:4: column 'event_date': '8th of Jan' is not a date; ACLED dates look like "
        "2022-01-08 or 08 January 2022.",
        "acled.csv:5: column 'latitude': '' is not a latitude (a decimal number from -90 to 90).",
        "acled.csv:5: column 'longitude': '200' is not a longitude (a decimal number from -180 to 180).",
        "acled.csv:6: column 'fatalities': 'many' is not a whole number of people (0 or more).",
        "acled.csv:6: column 'geo_precision': '5' is not 1, 2 or 3 (ACLED's geo_precision).",
        "acled.csv:7: column 'event_id_cnty': '' is empty; every ACLED event has an id (e.g. KAZ1234).",
        "acled.csv:7: column 'location': '' is empty; the event needs the name of its location.",
        "7 problems found; nothing was written.",
        "Fix these rows of acled.csv (or delete them) and import again.",
    ]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "places.csv").exists()


def test_a_file_that_is_not_an_acled_export(mapgen_cli, tmp_path):
    (tmp_path / "other.csv").write_text("place,lat,lon\nX,1,2\n", encoding="utf-8")
    result = mapgen_cli("import-acled", "other.csv", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("other.csv:1: is not an ACLED export: the column(s) event_id_cnty, "
                                    "event_date, location, latitude, longitude are missing.")


def test_an_existing_file_is_not_overwritten_without_append(mapgen_cli, export, tmp_path):
    (tmp_path / "places.csv").write_text("place\nMine\n", encoding="utf-8")
    result = mapgen_cli("import-acled", "acled.csv", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == ("Error: places.csv already exists; use --append to add the events to it, "
                             "or -o to name a new file.\n")
    assert (tmp_path / "places.csv").read_text("utf-8") == "place\nMine\n"


@pytest.mark.parametrize("text, expected", [
    ("2022-01-08", "2022-01-08"), ("08 January 2022", "2022-01-08"), ("8 January 2022", "2022-01-08"),
    ("08 Jan 2022", "2022-01-08"), ("08-January-2022", "2022-01-08"), ("31 February 2022", None),
    ("January 8, 2022", None), ("", None),
])
def test_acled_dates(text, expected):
    assert parse_date(text) == expected


def test_a_violent_demonstration_is_mapped_as_a_protest_not_as_arson():
    """ACLED's "Violent demonstration" covers scuffles and vandalism: calling each one arson would overstate it."""
    from mapgen.acled import tag_for

    assert tag_for("Violent demonstration", "Riots") == "protest"
    assert tag_for("Peaceful protest", "Protests") == "protest"
