"""`mapgen geocode`: exit codes, messages, the review table and byte-exact --write."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapgen.cli import cli
from mapgen.errors import DataError
from mapgen.edit import fill_coordinates as write_back
from nominatim_server import NominatimServer


UA = "mapgen-tests/1.0 (tests@example.org)"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"MAPGEN_USER_AGENT": UA})


def dataset(tmp_path: Path, text: str | bytes, toml: str = 'countrycodes = ["kz"]\n') -> Path:
    path = tmp_path / "places.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (tmp_path / "mapgen.toml").write_text(toml, "utf-8")
    return path


def test_offline_success(runner, tmp_path):
    path = dataset(tmp_path, "place,address,lat,lon,precision\nAlmaty,,,,city\nOld capital,Alma-Ata,,,city\n"
                             "Kazakhstan (nationwide),Kazakhstan,,,country\n")
    result = runner.invoke(cli, ["geocode", str(path), "--offline"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "places.csv: located 3 of 3 places (3 gazetteer); 0 requests sent.\n"
    assert not (tmp_path / "geocache.csv").exists()  # nothing was looked up


def test_offline_failure_names_the_line_the_place_and_what_to_do(runner, tmp_path):
    path = dataset(tmp_path, "place,address,lat,lon\nAlmaty,,43.2565,76.9285\n"
                             "Bakery,Bakery near the residence,,\n")
    result = runner.invoke(cli, ["geocode", str(path), "--offline"])
    assert result.exit_code == 1
    assert result.stdout == "places.csv: located 1 of 2 places (1 manual); 0 requests sent.\n"
    assert result.stderr == (
        "places.csv:3: 'Bakery' could not be located: 'Bakery near the residence': offline, and neither "
        "geocache.csv nor the gazetteer knows it (the gazetteer has only city and country names). Type "
        "lat/lon in by hand, or run without --offline.\n"
        "1 place could not be located.\n")


def test_empty_user_agent_is_a_usage_error(runner, tmp_path):
    path = dataset(tmp_path, "place,lat,lon\nAlmaty,,\n")
    result = runner.invoke(cli, ["geocode", str(path), "--user-agent", " "])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--user-agent': must not be empty; services require an application to "
        "identify itself.\n")


def test_empty_user_agent_from_environment(tmp_path):
    path = dataset(tmp_path, "place,lat,lon\nAlmaty,,\n")
    result = CliRunner(env={"MAPGEN_USER_AGENT": ""}).invoke(cli, ["geocode", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: The User-Agent ($MAPGEN_USER_AGENT) is empty. Geocoding services require an application "
        "to identify itself; give one such as 'mapgen/0.1 (newsroom@example.org)', or leave it out to use "
        "'mapgen/0.1 (incident-map generator; set MAPGEN_USER_AGENT to add your contact)'.\n")


def test_unknown_service(runner, tmp_path):
    path = dataset(tmp_path, "place,lat,lon\nAlmaty,,\n")
    result = runner.invoke(cli, ["geocode", str(path), "--geocoder", "nosuch"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Unknown geocoding service 'nosuch'. Known: arcgis, azure,")


def test_online_review_table(runner, tmp_path):
    path = dataset(tmp_path, "place,address,lat,lon,precision\nAlmaty,,43.2565,76.9285,city\n"
                             "Mayor's office,Akimat Almaty,,,exact\nSquare,\"Republic Square, Almaty\",,,\n")
    with NominatimServer() as server:
        result = runner.invoke(cli, ["geocode", str(path), "--nominatim-url", server.url, "--review"])
        assert [r.user_agent for r in server.requests] == [UA, UA]
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["place", "query", "result", "lat", "lon", "km", "source", "flags"]
    assert lines[2].split() == ["Almaty", "Almaty", "(typed", "in)", "43.25650", "76.92850", "0.0", "manual"]
    assert lines[3].startswith(
        "Mayor's office  Akimat Almaty            Акимат Алматы, проспект Абая, Алмалинск…")
    assert lines[3].endswith("43.25667  76.92861  0.0  nominatim")
    assert lines[4].endswith("43.23831  76.94519  2.4  nominatim")
    assert lines[5] == "km = distance from the centre of all located places (43.2565, 76.9286)."
    assert lines[6] == "places.csv: located 3 of 3 places (2 nominatim, 1 manual); 2 requests sent."
    second = runner.invoke(cli, ["geocode", str(path), "--nominatim-url", server.url])  # server is down
    assert second.stdout == "places.csv: located 3 of 3 places (2 cache, 1 manual); 0 requests sent.\n"


BEFORE = codecs.BOM_UTF8 + (
    'place;address;lat;lon;precision;summary\r\n'
    'Almaty;;;;city;"Blasts; fog, ""grey"" flashes"\r\n'
    'Almaty;;;;;"second row\r\nstays empty"\r\n'
    '"Residence";"Nazarbayev Avenue 205, Almaty";43,2347;76,9478;exact;x\r\n'
    'Kazakhstan (nationwide);Kazakhstan;"";"";country;Nationwide\r\n'
    'Square;Republic Square, Almaty;;;exact;not precise enough\r\n'
).encode("utf-8")
AFTER = codecs.BOM_UTF8 + (
    'place;address;lat;lon;precision;summary\r\n'
    'Almaty;;43,25249;76,9115;city;"Blasts; fog, ""grey"" flashes"\r\n'
    'Almaty;;;;;"second row\r\nstays empty"\r\n'
    '"Residence";"Nazarbayev Avenue 205, Almaty";43,2347;76,9478;exact;x\r\n'
    'Kazakhstan (nationwide);Kazakhstan;"48,01085";"70,80058";country;Nationwide\r\n'
    'Square;Republic Square, Almaty;;;exact;not precise enough\r\n'
).encode("utf-8")


def test_write_fills_only_empty_coordinates_and_keeps_every_other_byte(runner, tmp_path):
    path = dataset(tmp_path, BEFORE)
    result = runner.invoke(cli, ["geocode", str(path), "--offline", "--write"])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == AFTER
    assert result.stdout == (
        "places.csv: located 4 of 4 places (3 gazetteer, 1 manual); 0 requests sent.\n"
        "Wrote coordinates of 2 places into places.csv (empty lat/lon cells only).\n"
        "places.csv:7: 'Square': not written: the result is only the centre of a city (Almaty (city, "
        "GeoNames)) but its precision is 'exact'. Set precision to 'city' and run again, or type lat/lon in "
        "by hand.\n")
    again = runner.invoke(cli, ["geocode", str(path), "--offline", "--write"])
    assert path.read_bytes() == AFTER
    assert "located 4 of 4 places (3 manual, 1 gazetteer)" in again.stdout


def test_write_back_utf16_and_plain_commas(tmp_path):
    path = tmp_path / "places.csv"
    text = "place,lat,lon,note\nAlmaty,,,\"a, b\"\nAstana,1,2,\n"
    path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    result = write_back(path, {"Almaty": (43.252490001, 76.9115), "Astana": (51.1, 71.4)})
    assert (result.rows, result.places) == (1, ("Almaty",))
    assert path.read_bytes() == codecs.BOM_UTF16_BE + text.replace(
        "Almaty,,,", "Almaty,43.25249,76.9115,").encode("utf-16-be")


def test_write_back_needs_lat_and_lon_columns(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("place,address\nAlmaty,\n", "utf-8")
    with pytest.raises(DataError) as err:
        write_back(path, {"Almaty": (43.2, 76.9)})
    assert str(err.value).splitlines()[0] == (
        "places.csv:1: has no column 'lat' or 'lon', so coordinates cannot be written back. Add empty 'lat' "
        "and 'lon' columns to the header.")
    assert path.read_text("utf-8") == "place,address\nAlmaty,\n"


def test_a_failed_run_mentions_the_cache_only_when_something_was_saved(tmp_path):
    from types import SimpleNamespace

    from mapgen.geocode.command import failure_message

    query = SimpleNamespace(line=2)
    report = SimpleNamespace(failures={"Bakery": "no answer"}, queries={"Bakery": query}, requests=4)
    run = SimpleNamespace(report=report, path=tmp_path / "places.csv")
    assert failure_message(run) == "places.csv:2: 'Bakery' could not be located: no answer\n1 place could not be located."
    (tmp_path / "geocache.csv").write_text("query\n", "utf-8")
    assert failure_message(run).endswith("1 place could not be located. Every finished lookup is saved in geocache.csv.")
