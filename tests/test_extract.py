"""`mapgen extract`: candidate rows for the places a new report mentions, in German, English, Russian."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import mapgen
from mapgen.cli import cli
from mapgen.extract import extract, known_places, sentences

PLACES = (
    "place,address,lat,lon,precision,incidents,date,date_precision,status,summary,source,url,aliases\n"
    "Almaty International Airport,,43.3521,77.0405,exact,closure,2022-01-08,,reported,Shut,DW,,"
    "Flughafen; Международный аэропорт Алматы; ALA\n"
    "\"Mayor's office, Almaty\",,43.2376,76.9456,exact,gunfire,2022-01-08,,unverified,Shots,DW,,"
    "Bürgermeisteramt; Akimat; Акимат\n"
    "Central market,,43.2620,76.9470,approximate,,,,reported,Context,DW,,Zentraler Markt; Зелёный базар\n"
    "Kazakhstan (nationwide),Kazakhstan,48.0196,66.9237,country,curfew,2022-01-08,,reported,Emergency,DW,,"
    "Kasachstan; Казахстан\n"
)

GERMAN = ("Lage in Kasachstan\n\n"
          "Am Morgen fielen erneut Schüsse in der Nähe des Flughafens. Der Betrieb blieb eingestellt. "
          "Vor dem Bürgermeisteramt wurden Autos in Brand gesetzt, Geschäfte am Zentralen Markt wurden "
          "geplündert. Am 8. Januar waren Soldaten in Taras zu sehen.")
ENGLISH = ("Shots were heard overnight. Almaty International Airport stayed closed, the Akimat announced. "
           "Shops at the central market were looted and set on fire. Protesters gathered in Shymkent. "
           "Reading the statement aloud, Charlotte, a teacher from Nice, said she was afraid.")
RUSSIAN = ("Ночью у здания акимата была слышна стрельба. Международного аэропорта Алматы "
           "закрыт, пассажиров эвакуировали. В Москве заявили о переброске миротворцев. "
           "На Зелёном базаре подожгли киоски.")


def mapgen_cli(*args: str, cwd: Path) -> Result:
    """Run ``mapgen ARGS`` in-process in the folder ``cwd``."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "places.csv").write_text(PLACES, encoding="utf-8")
    for name, text in (("de.txt", GERMAN), ("en.txt", ENGLISH), ("ru.txt", RUSSIAN)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def found(text: str, folder: Path) -> list[tuple[str, str, list[str]]]:
    """(mention, place, tags) of each candidate, checking that the offsets point at the mention."""
    result = extract(text, known_places(folder / "places.csv"))
    for c in result.candidates:
        assert text[c.start:c.end] == c.mention
    return [(c.mention, c.place.name, c.tags) for c in result.candidates]


def test_german_report_inflected_names_and_cues(folder):
    assert found(GERMAN, folder) == [
        ("Kasachstan", "Kazakhstan (nationwide)", []),           # a headline: no cue in it
        ("Flughafens", "Almaty International Airport", ["gunfire"]),  # "Flughafen" alias, genitive
        ("Bürgermeisteramt", "Mayor's office, Almaty", ["arson", "looting"]),
        ("Zentralen Markt", "Central market", ["arson", "looting"]),  # same sentence as the arson
        ("Taras", "Taraz", ["deployment"]),                    # gazetteer city, by its German name
    ]


def test_english_report_cues_stay_in_their_sentence(folder):
    assert found(ENGLISH, folder) == [
        ("Almaty International Airport", "Almaty International Airport", ["closure", "statement"]),
        ("Akimat", "Mayor's office, Almaty", ["closure", "statement"]),
        ("central market", "Central market", ["arson", "looting"]),
        ("Shymkent", "Shymkent", ["protest"]),
    ]  # not the shots of the sentence before; no "Reading", "Charlotte" or "Nice": common words
    # and names are not taken for cities


def test_russian_report_case_endings(folder):
    assert found(RUSSIAN, folder) == [
        ("акимата", "Mayor's office, Almaty", ["gunfire"]),
        ("Международного аэропорта Алматы", "Almaty International Airport", ["closure", "evacuation"]),
        ("Москве", "Moscow", ["deployment", "statement"]),
        ("Зелёном базаре", "Central market", ["arson"]),
    ]


def test_short_capital_aliases_match_only_exactly(folder):
    known = known_places(folder / "places.csv")
    assert [c.mention for c in extract("The ALA tower. Ala and alas.", known).candidates] == ["ALA"]


def test_sentences_do_not_end_at_abbreviations_or_german_ordinals():
    text = "Am 8. Januar kam Dr. Meier. Dann z. B. Schüsse! Neuer Satz\n\nAbsatz"
    assert [text[a:b].strip() for a, b in sentences(text)] == [
        "Am 8. Januar kam Dr. Meier.", "Dann z. B. Schüsse!", "Neuer Satz", "Absatz"]


def test_cli_prints_candidates_and_writes_nothing(folder):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = mapgen_cli("extract", "de.txt", "--date", "2022-01-09", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["place"] for r in rows] == ["Kazakhstan (nationwide)", "Almaty International Airport",
                                          "Mayor's office, Almaty", "Central market", "Taraz"]
    assert {r["status"] for r in rows} == {"candidate"}
    airport = rows[1]
    start = GERMAN.index("des Flughafens") + 4
    assert (airport["mention"], airport["start"], airport["end"]) == ("Flughafens", str(start), str(start + 10))
    assert airport["cues"] == "Schüsse (gunfire)" and airport["incidents"] == "gunfire"
    assert airport["date"] == "2022-01-09" and airport["source"] == "de.txt"
    assert airport["lat"] == ""  # a known place keeps its own coordinates
    taraz = rows[4]
    assert (taraz["address"], taraz["precision"]) == ("Taraz, Kazakhstan", "city")
    assert abs(float(taraz["lat"]) - 42.9) < 0.1 and abs(float(taraz["lon"]) - 71.37) < 0.1
    assert "5 candidate rows; nothing was written" in result.stderr


@pytest.mark.parametrize("name, article", [("de.txt", GERMAN), ("en.txt", ENGLISH), ("ru.txt", RUSSIAN)])
def test_no_sentence_of_the_report_is_copied(folder, name, article):
    result = mapgen_cli("extract", name, cwd=folder)
    assert result.exit_code == 0, result.stderr
    for a, b in sentences(article):
        words = article[a:b].split()
        for k in range(len(words) - 3):  # no run of four words of the report
            assert " ".join(words[k:k + 4]) not in result.stdout, article[a:b]


def test_append_adds_candidates_once_and_keeps_the_file(folder):
    original = (folder / "places.csv").read_bytes()
    first = mapgen_cli("extract", "ru.txt", "--append", cwd=folder)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ("4 candidate rows added to places.csv; review them and change their status.\n")
    data = (folder / "places.csv").read_bytes()
    assert data.startswith(original)
    ds = mapgen.load(folder / "places.csv")
    new = ds.incidents[ds.incidents["status"] == "candidate"]
    assert list(new["place"]) == ["Mayor's office, Almaty", "Almaty International Airport", "Moscow",
                                  "Central market"]
    assert list(new["tags"])[2] == ["deployment", "statement"]
    assert "Москве" in list(new["summary"])[2] and "characters" in list(new["summary"])[2]
    assert mapgen_cli("validate", cwd=folder).exit_code == 0
    # the same report again adds nothing
    again = mapgen_cli("extract", "ru.txt", "--append", cwd=folder)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("0 candidate rows added to places.csv (4 were already there)")
    assert (folder / "places.csv").read_bytes() == data
    # and the map builds with them
    assert mapgen_cli("build", "--offline", cwd=folder).exit_code == 0


def test_report_that_is_not_utf8(folder):
    (folder / "bad.txt").write_bytes("Schüsse am Flughafen".encode("cp1252"))
    result = mapgen_cli("extract", "bad.txt", cwd=folder)
    assert result.exit_code == 1
    assert re.match(r"Error: bad.txt cannot be read as UTF-8 .*--encoding", result.stderr)
    ok = mapgen_cli("extract", "bad.txt", "--encoding", "cp1252", cwd=folder)
    assert ok.exit_code == 0 and "Flughafen" in ok.stdout


def test_append_to_a_file_without_a_status_column_keeps_candidates_marked(folder):
    (folder / "places.csv").write_text("place,aliases\nCentral market,Zentraler Markt\n", encoding="utf-8")
    result = mapgen_cli("extract", "de.txt", "--append", cwd=folder)
    assert result.exit_code == 0, result.stderr
    text = (folder / "places.csv").read_text("utf-8")
    # the header gains the columns the candidates need; the old row is untouched
    assert text.startswith("place,aliases,address,lat,lon,precision,incidents,status,summary,source\n"
                           "Central market,Zentraler Markt\n")
    ds = mapgen.load(folder / "places.csv")
    assert set(ds.incidents["status"].iloc[1:]) == {"candidate"}
