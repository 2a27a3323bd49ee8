"""What the editor of places.csv sees: exit codes, exact messages, files left alone."""

from __future__ import annotations

import codecs
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import mapgen
from mapgen.cli import cli

ROOT = Path(__file__).resolve().parents[1]
HEADER = "place,address,lat,lon,precision,incidents,date,date_precision,status,summary,source,url,aliases\n"
GOOD_ROW = "Airport,,43.3521,77.0405,exact,closure,2022-01-08,report,reported,Shut.,DW,,Flughafen\n"


@pytest.fixture
def built(mapgen_cli, tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A good CSV, built once: (csv, out dir, bytes of each output)."""
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + GOOD_ROW, "utf-8")
    out = tmp_path / "out"
    result = mapgen_cli("build", str(csv), "-o", str(out), "--offline")
    assert result.exit_code == 0, result.output
    return csv, out, {p.name: p.read_bytes() for p in out.iterdir()}


BAD_INPUTS = [
    ("lat out of range", GOOD_ROW.replace("43.3521", "91.5"),
     "places.csv:2: column 'lat': '91.5' is not a latitude (-90..90)."),
    ("lon not a number", GOOD_ROW.replace("77.0405", "77.04.05"),
     "places.csv:2: column 'lon': '77.04.05' is not a number; write longitude as a decimal number with a point, like 76.9286."),
    ("one coordinate missing", GOOD_ROW.replace(",77.0405,", ",,"),
     "places.csv:2: column 'lon': '' is empty but 'lat' is given; give both coordinates or neither."),
    ("unknown tag", GOOD_ROW.replace("closure", "clossure"),
     "places.csv:2: column 'incidents': 'clossure' is not an incident type. Did you mean 'closure'? Valid types: "),
    ("impossible date", GOOD_ROW.replace("2022-01-08", "2022-02-30"),
     "places.csv:2: column 'date': '2022-02-30' is not a real calendar date."),
    ("not an ISO date", GOOD_ROW.replace("2022-01-08", "08.01.2022"),
     "places.csv:2: column 'date': '08.01.2022' is not a date; write YYYY-MM-DD (e.g. 2022-01-08)."),
    ("bad precision", GOOD_ROW.replace("exact", "precise"),
     "places.csv:2: column 'precision': 'precise' is not one of: exact, approximate, city, country."),
    ("bad status", GOOD_ROW.replace("reported", "rumour"),
     "places.csv:2: column 'status': 'rumour' is not one of: confirmed, reported, unverified, disputed, candidate."),
    ("javascript url", GOOD_ROW.replace(",DW,,", ",DW,javascript:alert(1),"),
     "places.csv:2: column 'url': 'javascript:alert(1)' is not a web link; only http:// and https:// links are allowed."),
    ("empty place", GOOD_ROW.replace("Airport", ""),
     "places.csv:2: column 'place': '' is empty; every row needs the name of a place."),
    ("conflicting rows", GOOD_ROW.replace("Shut.", "Shut again.").replace("43.3521", "43.4"),
     "places.csv:3: column 'lat': '43.4' conflicts with line 2 ('43.3521') for place 'Airport'."),
    ("duplicate row", GOOD_ROW,
     "places.csv:3: repeats line 2 cell for cell, which would count one incident twice; delete one of the two rows."),
]


@pytest.mark.parametrize("label,row,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_row_is_named_with_line_and_output_is_left_alone(mapgen_cli, built, label, row, message):
    csv, out, before = built
    body = HEADER + GOOD_ROW + row if label in ("conflicting rows", "duplicate row") else HEADER + row
    csv.write_text(body, "utf-8")
    result = mapgen_cli("build", str(csv), "-o", str(out), "--offline")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert "nothing was written" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the last good map stays


def test_all_problems_are_listed_at_once(mapgen_cli, tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + GOOD_ROW.replace("43.3521", "91.5") + GOOD_ROW.replace("Airport", "X")
                   .replace("closure", "gunfre").replace("2022-01-08", "2022-13-01"), "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[:3] == [
        "places.csv:2: column 'lat': '91.5' is not a latitude (-90..90).",
        "places.csv:3: column 'date': '2022-13-01' is not a real calendar date.",
        "places.csv:3: column 'incidents': 'gunfre' is not an incident type. Did you mean 'gunfire'? "
        "Valid types: gunfire, explosion, casualties, arson, looting, protest, arrests, deployment, curfew, "
        "blackout, closure, evacuation, shortage, aid, statement.",
    ]
    assert lines[3] == "3 problems found; nothing was written."


def test_missing_required_column(mapgen_cli, tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text("what,lat,lon\nAirport,43.35,77.04\n", "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert result.output.startswith(
        "places.csv:1: the required column 'place' is missing. The header is: what, lat, lon.")


def test_required_column_under_another_name(mapgen_cli, tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text("name,lat,lon\nAirport,43.35,77.04\n", "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert result.output == ("places.csv:1: the column 'name' is not one mapgen reads, so its values would be "
                             "ignored; rename it to 'place' in the header.\n1 problem found; nothing was written.\n")


def test_empty_file(mapgen_cli, tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_bytes(b"")
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert result.output.startswith("places.csv: the file is empty. It needs a header row")


def test_non_utf8_file_says_how_to_fix_and_encoding_option_reads_it(mapgen_cli, tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_bytes((HEADER + GOOD_ROW.replace("Airport", "Flughafen Köln")).encode("cp1252"))
    result = mapgen_cli("validate", str(csv))
    assert result.exit_code == 1
    assert "places.csv:2: byte 0xf6 in " in result.output
    assert "is not UTF-8" in result.output and "--encoding cp1252" in result.output
    ok = mapgen_cli("validate", str(csv), "--encoding", "cp1252")
    assert ok.exit_code == 0, ok.output


def test_excel_flavours_are_accepted(tmp_path):
    """A UTF-8 BOM, ';' as delimiter with decimal commas, capitalised headers, CRLF."""
    german = (HEADER.replace(",", ";").replace("place", "Place") +
              GOOD_ROW.replace(",", ";").replace("43.3521", "43,3521").replace("77.0405", "77,0405"))
    csv = tmp_path / "places.csv"
    csv.write_bytes(codecs.BOM_UTF8 + german.replace("\n", "\r\n").encode("utf-8"))
    ds = mapgen.load(csv)
    assert ds.places.loc[0, "place"] == "Airport"
    assert ds.places.loc[0, "lat"] == pytest.approx(43.3521)
    assert ds.places.loc[0, "lon"] == pytest.approx(77.0405)


def test_quoted_newlines_keep_line_numbers_right(mapgen_cli, tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + GOOD_ROW.replace("Shut.", '"Shut\nfor days."') +
                   GOOD_ROW.replace("Airport", "B").replace("43.3521", "-91"), "utf-8")
    result = mapgen_cli("validate", str(csv))
    assert "places.csv:4: column 'lat': '-91' is not a latitude (-90..90)." in result.output


def test_a_place_takes_its_first_filled_precision_and_address(tmp_path):
    """The precision or address may be written on a later row of the place, not the first."""
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER
                   + "Bakery,,43.24,76.95,,arson,2022-01-05,day,reported,Burnt.,DW,,\n"
                   + "Bakery,near the residence,,,city,looting,2022-01-06,day,reported,Looted.,DW,,\n", "utf-8")
    ds = mapgen.load(csv)
    assert ds.places.loc[0, "precision"] == "city"
    assert ds.places.loc[0, "address"] == "near the residence"


TRICKY_FILES = {
    "blank lines and short rows": HEADER + "\n" + GOOD_ROW + "   ,  \n" + "B,,1,2\n",
    "crlf": (HEADER + GOOD_ROW).replace("\n", "\r\n"),
    "no final newline": HEADER + GOOD_ROW.rstrip("\n"),
    "quote inside a cell": HEADER + GOOD_ROW.replace("Shut.", 'Shut "for days".'),
    "quoted delimiter": HEADER + GOOD_ROW.replace("Shut.", '"Shut, then reopened."'),
    "trailing empty cells": HEADER + GOOD_ROW.rstrip("\n") + ",,\n",
    "blank line before header": "\n" + HEADER + GOOD_ROW,
    "lone carriage returns": (HEADER + GOOD_ROW).replace("\n", "\r"),
}


@pytest.mark.parametrize("text", TRICKY_FILES.values(), ids=TRICKY_FILES.keys())
def test_fast_and_careful_readers_read_the_same(tmp_path, text):
    """Large files go through pandas' C parser; what it reads must equal the line-by-line reader."""
    from mapgen.read import decode, parse_text, read_table

    csv = tmp_path / "places.csv"
    csv.write_bytes(text.encode("utf-8"))
    fast = read_table(csv)
    careful = parse_text(decode(csv.read_bytes(), csv)[0], csv)
    assert fast.frame.equals(careful.frame)
    assert fast.lines == careful.lines
    assert mapgen.load(csv).places["place"].tolist()[0] == "Airport"


def test_build_twice_gives_identical_bytes(mapgen_cli, built, tmp_path):
    csv, out, first = built
    again = tmp_path / "again"
    assert mapgen_cli("build", str(csv), "-o", str(again), "--offline").exit_code == 0
    assert {p.name: p.read_bytes() for p in again.iterdir()} == first
    assert set(first) == {"map.html", "places.geojson"}


def test_committed_output_matches_a_fresh_build(mapgen_cli, tmp_path):
    result = mapgen_cli("build", str(ROOT / "places.csv"), "-o", str(tmp_path), "--offline")
    assert result.exit_code == 0, result.output
    for name in ("map.html", "places.geojson"):
        assert (ROOT / "output" / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"output/{name} is stale: run `mapgen build --offline` and commit output/")


def test_shipped_data_has_the_four_named_places_located():
    ds = mapgen.load(ROOT / "places.csv")
    located = ds.places[ds.located]
    names = set(located["place"])
    for name in ("Almaty", "Presidential residence, Almaty", "Mayor's office (akimat), Almaty",
                 "Almaty International Airport"):
        assert name in names
    # places the reports do not pin down are not claimed as exact
    prec = dict(zip(ds.places["place"], ds.places["precision"]))
    for vague in ("Bakery near the presidential residence", "Petrol station in Almaty",
                  "Nur Otan party headquarters, Almaty", "Bread factory in Almaty"):
        assert prec[vague] != "exact"


def test_python_api_returns_the_folium_map(tmp_path):
    import folium

    result = mapgen.build(ROOT / "places.csv", None, offline=True)
    assert isinstance(result.map, folium.Map)
    # a notebook shows the page in an iframe: the whole map, with every place of the data in it
    frame = re.search(r'<iframe srcdoc="([^"]*)"', result._repr_html_())
    assert frame, "no map page in the notebook output"
    page = html.unescape(frame.group(1))
    block = re.search(r'<script type="application/json" id="mapgen-data">(.*?)</script>', page, re.S)
    assert json.loads(block.group(1))["places"]["name"] == result.dataset.places["place"].tolist()
    assert "mapgen.start(" in page
    assert not any(tmp_path.iterdir())


def test_every_command_has_help(mapgen_cli):
    def walk(group, prefix):
        for name, command in group.commands.items():
            yield [*prefix, name]
            if hasattr(command, "commands"):
                yield from walk(command, [*prefix, name])

    for path in walk(cli, []):
        result = mapgen_cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage: " in result.output and "--help" in result.output


def test_bad_usage_exits_2():
    result = CliRunner().invoke(cli, ["build", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_no_traceback_from_the_real_command(tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + GOOD_ROW.replace("closure", "fire"), "utf-8")
    proc = subprocess.run([sys.executable, "-m", "mapgen", "build", str(csv), "-o", str(tmp_path / "o"),
                           "--offline"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "column 'incidents': 'fire' is not an incident type." in proc.stderr
    assert not (tmp_path / "o").exists()


def test_failed_write_leaves_the_previous_map(mapgen_cli, built, monkeypatch):
    """A crash while writing (disk full, killed) never leaves a half-written map."""
    import os

    csv, out, before = built
    csv.write_text(HEADER + GOOD_ROW.replace("Shut.", "Shut for two days."), "utf-8")
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("places.geojson"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    result = mapgen_cli("build", str(csv), "-o", str(out), "--offline")
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert (out / "places.geojson").read_bytes() == before["places.geojson"]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_place_gathers_its_aliases_from_all_its_rows_in_order(tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER
                   + "Airport,,43.3521,77.0405,exact,closure,2022-01-08,,reported,Shut.,DW,,Flughafen; Aéroport\n"
                   + "Square,,43.238,76.945,exact,protest,2022-01-05,,reported,Crowds.,DW,,Platz\n"
                   + "Airport,,,,,gunfire,2022-01-06,,reported,Shots.,DW,, Aéroport ;Аэропорт\n"
                   + "Airport,,,,,arson,2022-01-07,,reported,Fire.,DW,,\n", "utf-8")
    places = mapgen.build(csv, None, offline=True).dataset.places.set_index("place")
    assert places.at["Airport", "aliases"] == ["Flughafen", "Aéroport", "Аэропорт"]
    assert places.at["Square", "aliases"] == ["Platz"]


def test_rows_equal_but_for_spacing_of_their_types_count_as_a_repeat(tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + "Airport,,43.3521,77.0405,exact,gunfire;arson,2022-01-08,,reported,Shots.,DW,,\n"
                   + "Airport,,43.3521,77.0405,exact, Gunfire ; arson,2022-01-08,,reported,Shots.,DW,,\n", "utf-8")
    result = CliRunner().invoke(cli, ["build", str(csv), "-o", str(tmp_path / "o"), "--offline"])
    assert result.exit_code == 1
    assert "places.csv:3: repeats line 2 cell for cell" in result.output


@pytest.mark.parametrize("args, code, stream, text", [
    (["build", "{csv}", "-o", "{out}", "--offline"], 0, "stdout", "1 incident at 1 place (1 located)"),
    (["build", "--no-such-option"], 2, "stderr", "No such option"),
    (["build", "{bad}", "-o", "{out}", "--offline"], 1, "stderr", "'fire' is not an incident type"),
])
def test_the_installed_command_says_everything_before_it_exits(tmp_path, args, code, stream, text):
    """The command leaves without Python's slow teardown: its output and exit status must still arrive."""
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + GOOD_ROW, "utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD_ROW.replace("closure", "fire"), "utf-8")
    argv = [a.format(csv=csv, bad=bad, out=tmp_path / "o") for a in args]
    proc = subprocess.run([sys.executable, "-m", "mapgen", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == code
    assert text in getattr(proc, stream)
    assert "Traceback" not in proc.stderr
    if code == 0:
        assert (tmp_path / "o" / "map.html").stat().st_size > 0


def test_a_build_started_without_an_output_stream_still_succeeds(tmp_path):
    """cron and service launchers may start the command with stdout closed."""
    csv = tmp_path / "places.csv"
    csv.write_text(HEADER + GOOD_ROW, "utf-8")
    proc = subprocess.run(f'"{sys.executable}" -m mapgen build "{csv}" -o "{tmp_path / "o"}" --offline >&-',
                          shell=True, capture_output=False, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "o" / "map.html").stat().st_size > 0
