"""`mapgen build --format kml/csv`: Google Earth and spreadsheet exports beside map.html."""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mapgen.edit import append_rows

ROOT = Path(__file__).resolve().parents[1]
KML = "{http://www.opengis.net/kml/2.2}"
HOSTILE = '<script>alert("x")</script> & Co'
QUOTED = HOSTILE.replace('"', '""')

CSV = (
    "place,lat,lon,precision,incidents,date,status,summary,source,url,aliases\n"
    f'"{QUOTED}",43.2380,76.9450,exact,gunfire;arson,2022-01-05,reported,"<b>bold</b> & more",'
    '"=HYPERLINK(""http://x"")",https://example.org/a?b=1&c=2,Alias <i>\n'
    f'"{QUOTED}",,,,protest,2022-01-07,unverified,Second,Wire,,\n'
    "Airport,43.3521,77.0405,exact,closure,2022-01-06,reported,Flights stopped,Wire,,\n"
    "Whole country,48.0196,66.9237,country,curfew,,reported,Emergency,Wire,,\n"
)


@pytest.fixture(scope="module")
def built(mapgen_cli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    (folder / "places.csv").write_text(CSV, encoding="utf-8")
    result = mapgen_cli("build", "places.csv", "--offline", "--format", "kml", "--format", "csv", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert "output/places.kml" in result.stdout and "output/places.csv" in result.stdout
    return folder / "output"


def check_rfc7946(doc: dict) -> list[str]:
    """The problems of a GeoJSON FeatureCollection of Points under RFC 7946 (empty: valid)."""
    problems = []
    if doc.get("type") != "FeatureCollection":
        problems.append("top-level type is not FeatureCollection")
    if "crs" in doc:
        problems.append("has a crs member (removed in RFC 7946)")
    if not isinstance(doc.get("features"), list):
        return problems + ["features is not an array"]
    for k, feature in enumerate(doc["features"]):
        if feature.get("type") != "Feature":
            problems.append(f"feature {k}: type is not Feature")
        if "crs" in feature:
            problems.append(f"feature {k}: has a crs member")
        if not isinstance(feature.get("properties"), dict):
            problems.append(f"feature {k}: properties is not an object")
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            problems.append(f"feature {k}: geometry is not a Point")
            continue
        coords = geometry.get("coordinates")
        if not (isinstance(coords, list) and len(coords) in (2, 3)
                and all(isinstance(c, (int, float)) and math.isfinite(c) for c in coords)):
            problems.append(f"feature {k}: coordinates are not [lon, lat]")
            continue
        lon, lat = coords[:2]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"feature {k}: [{lon}, {lat}] is out of range (longitude first)")
    if "bbox" in doc:
        w, s, e, n = doc["bbox"]
        if not (-180 <= w <= 180 and -90 <= s <= n <= 90 and -180 <= e <= 180):
            problems.append("bbox out of range")
    return problems


def test_geojson_follows_rfc_7946(built):
    doc = json.loads((built / "places.geojson").read_text("utf-8"))
    assert check_rfc7946(doc) == []
    first = doc["features"][0]
    assert first["geometry"]["coordinates"] == [76.945, 43.238]  # longitude first
    assert first["properties"]["place"] == HOSTILE


def test_the_validator_catches_what_rfc_7946_forbids():
    bad = {"type": "FeatureCollection", "crs": {}, "features": [
        {"type": "Feature", "properties": None, "geometry": {"type": "Point", "coordinates": [43.2, 176.9]}}]}
    assert check_rfc7946(bad) == ["has a crs member (removed in RFC 7946)",
                                  "feature 0: properties is not an object",
                                  "feature 0: [43.2, 176.9] is out of range (longitude first)"]


def test_kml_has_one_placemark_per_place_with_text_escaped(built):
    text = (built / "places.kml").read_text("utf-8")
    root = ET.fromstring(text.encode("utf-8"))
    marks = root.findall(f"{KML}Document/{KML}Placemark")
    assert [m.findtext(f"{KML}name") for m in marks] == [HOSTILE, "Airport", "Whole country"]
    coords = [m.findtext(f"{KML}Point/{KML}coordinates") for m in marks]
    assert coords == ["76.945,43.238", "77.0405,43.3521", "66.9237,48.0196"]
    # Google Earth reads the description as HTML: the data in it must be escaped HTML
    balloon = marks[0].findtext(f"{KML}description")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in balloon
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in balloon
    assert "<script" not in balloon and "<b>bold" not in balloon
    assert '<a href="https://example.org/a?b=1&amp;c=2">' in balloon
    # the raw file never holds the data's markup unescaped
    assert "<script" not in text and "<b>" not in text
    # the most severe type colours the placemark; the dates span its incidents
    assert marks[0].findtext(f"{KML}styleUrl") == "#type-gunfire"
    assert marks[0].findtext(f"{KML}TimeSpan/{KML}begin") == "2022-01-05"
    assert marks[0].findtext(f"{KML}TimeSpan/{KML}end") == "2022-01-07"
    data = {d.get("name"): d.findtext(f"{KML}value") for d in marks[2].iter(f"{KML}Data")}
    assert data["precision"] == "country" and data["off_map"] == "1"
    styles = {s.get("id") for s in root.iter(f"{KML}Style")}
    assert {m.findtext(f"{KML}styleUrl")[1:] for m in marks} <= styles


def test_csv_lists_resolved_places_with_sources(built):
    rows = list(csv.DictReader(io.StringIO((built / "places.csv").read_text("utf-8"))))
    assert [r["place"] for r in rows] == [HOSTILE, "Airport", "Whole country"]
    first = rows[0]
    assert (first["lat"], first["lon"], first["precision"]) == ("43.238", "76.945", "exact")
    assert first["incidents"] == "gunfire;arson;protest" and first["incident_count"] == "2"
    assert first["first_date"] == "2022-01-05" and first["last_date"] == "2022-01-07"
    assert first["statuses"] == "reported;unverified"
    # a source that a spreadsheet would run as a formula is defused
    assert first["sources"] == "'=HYPERLINK(\"http://x\"); Wire"
    assert first["urls"] == "https://example.org/a?b=1&c=2"
    assert rows[2]["location_source"] == "manual" and rows[2]["off_map"] == "1"


def test_exports_are_byte_identical_across_builds(mapgen_cli, built, tmp_path):
    (tmp_path / "places.csv").write_text(CSV, encoding="utf-8")
    result = mapgen_cli("build", "places.csv", "--offline", "--format", "kml", "--format", "csv",
                        "-o", "again", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    for name in ("map.html", "places.geojson", "places.kml", "places.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (built / name).read_bytes(), name


def test_default_build_writes_no_extra_formats(mapgen_cli, tmp_path):
    (tmp_path / "places.csv").write_text(CSV, encoding="utf-8")
    result = mapgen_cli("build", "--offline", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["map.html", "places.geojson"]


def test_csv_export_never_overwrites_the_input(mapgen_cli, tmp_path):
    (tmp_path / "places.csv").write_text(CSV, encoding="utf-8")
    result = mapgen_cli("build", "--offline", "--format", "csv", "-o", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "would overwrite" in result.stderr and "-o" in result.stderr
    assert (tmp_path / "places.csv").read_text("utf-8") == CSV
    assert not (tmp_path / "map.html").exists()


def test_unknown_format_is_a_usage_error(mapgen_cli, tmp_path):
    (tmp_path / "places.csv").write_text(CSV, encoding="utf-8")
    result = mapgen_cli("build", "--offline", "--format", "shp", cwd=tmp_path)
    assert result.exit_code == 2
    assert "'shp' is not one of 'html', 'site', 'geojson', 'kml', 'csv'" in result.stderr


def test_appended_rows_keep_the_file_as_it_was(tmp_path):
    """Rows added to a German-Excel file (BOM, ';', CRLF, decimal commas) follow its format."""
    original = ("\ufeffplace;lat;lon;incidents;status;summary\r\n"
                "Markt;43,25;76,94;protest;reported;\"Viele; Leute\"\r\n").encode("utf-8")
    path = tmp_path / "places.csv"
    path.write_bytes(original)
    added = append_rows(path, [{"place": "Bahnhof", "lat": "43.27", "lon": "76.9", "status": "candidate",
                                "summary": "a; b", "ignored": "x"}])
    assert added == 1
    data = path.read_bytes()
    assert data.startswith(original)
    assert data[len(original):].decode("utf-8") == 'Bahnhof;43,27;76,9;;candidate;"a; b"\r\n'
