"""`mapgen extract`: one candidate per place a new report names, in German, English or Russian."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
import time
from pathlib import Path

import pytest

import mapgen
from mapgen.errors import MapgenError
from mapgen.extract import Extraction, detect_language, extract, extract_file, known_places, rows_csv, sentences

ROOT = Path(__file__).resolve().parents[1]
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
#: A report for a new map (no places.csv): facilities, people, countries in several forms.
NEW_MAP = ("Kasachstan nach der Unruhe\n\n"
           "Die Schließung des internationalen Flughafens in Almaty dauert an. Im Zentrum Almatys brannte "
           "die Präsidentenresidenz. Wladimir Putin telefonierte mit Präsident Tokajew; Russland schickt "
           "Soldaten.\n\n"
           "Rentner Taras Bondarenko hörte an einer Tankstelle Schüsse. In der Bäckerei gibt es Brot kostenlos.\n\n"
           "In mehreren kasachischen Städten wurden Geldautomaten zerstört.")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "places.csv").write_text(PLACES, encoding="utf-8")
    for name, text in (("de.txt", GERMAN), ("en.txt", ENGLISH), ("ru.txt", RUSSIAN)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def checked(text: str, result: Extraction) -> Extraction:
    """``result``, after checking that every offset points at the word it names."""
    for c in result.candidates:
        for span in c.mentions + [cue.span for cue in c.cues]:
            assert text[span.start:span.end] == span.text
    return result


def found(text: str, folder: Path | None = None) -> list[tuple[str, list[str], list[str]]]:
    """(place, mentions as written, tags) of each candidate."""
    known = known_places(folder / "places.csv") if folder else None
    result = checked(text, extract(text, known))
    return [(c.place.name, [m.text for m in c.mentions], c.tags) for c in result.candidates]


# --- word forms and known places ---------------------------------------------------------------

def test_german_report_inflected_names_and_cues(folder):
    assert found(GERMAN, folder) == [
        ("Kazakhstan (nationwide)", ["Kasachstan"], []),          # a headline: no cue in it
        ("Almaty International Airport", ["Flughafens"], ["gunfire"]),  # alias "Flughafen", genitive
        ("Mayor's office, Almaty", ["Bürgermeisteramt"], ["arson"]),
        ("Central market", ["Zentralen Markt"], ["looting"]),      # alias "Zentraler Markt"
        ("Taraz", ["Taras"], ["deployment"]),                      # gazetteer city, by its German name
    ]  # each cue goes to the nearest place of its sentence: the arson to the office, the looting to the market


def test_english_report_cues_stay_in_their_sentence(folder):
    assert found(ENGLISH, folder) == [
        ("Almaty International Airport", ["Almaty International Airport"], ["closure"]),
        ("Mayor's office, Almaty", ["Akimat"], ["statement"]),
        ("Central market", ["central market"], ["arson", "looting"]),
        ("Shymkent", ["Shymkent"], ["protest"]),
    ]  # not the shots of the sentence before; no "Reading", "Charlotte" or "Nice": common words
    # and names are not taken for cities


def test_russian_report_case_endings(folder):
    assert found(RUSSIAN, folder) == [
        ("Mayor's office, Almaty", ["акимата"], ["gunfire"]),
        ("Almaty International Airport", ["Международного аэропорта Алматы"], ["closure", "evacuation"]),
        ("Moscow", ["Москве"], ["deployment", "statement"]),
        ("Central market", ["Зелёном базаре"], ["arson"]),
    ]


def test_short_capital_aliases_match_only_exactly(folder):
    known = known_places(folder / "places.csv")
    assert [m.text for c in extract("The ALA tower. Ala and alas.", known).candidates
            for m in c.mentions] == ["ALA"]


def test_names_the_lemmatiser_does_not_know_match_by_analogy():
    assert found("Im Zentrum Almatys fielen Schüsse.") == [("Almaty", ["Almatys"], ["gunfire"])]
    assert found("В Алмате и в Шымкенте прошли митинги.") == [
        ("Almaty", ["Алмате"], ["protest"]), ("Shymkent", ["Шымкенте"], ["protest"])]  # "и": both


# --- a new map: one candidate per place -----------------------------------------------------------

def test_new_report_gives_one_candidate_per_place_with_facilities_and_countries():
    result = checked(NEW_MAP, extract(NEW_MAP))
    assert result.lang == "de"
    assert [(c.place.name, [m.text for m in c.mentions], c.tags) for c in result.candidates] == [
        ("Kazakhstan", ["Kasachstan", "kasachischen"], ["looting"]),
        ("Airport, Almaty", ["Flughafens"], ["closure"]),
        ("Almaty", ["Almaty", "Almatys"], []),  # the cues near it are the airport's and the residence's
        ("Presidential residence, Almaty", ["Präsidentenresidenz"], ["arson"]),
        ("Russia", ["Russland"], ["deployment"]),
        ("Petrol station, Almaty", ["Tankstelle"], ["gunfire"]),
        ("Bakery, Almaty", ["Bäckerei"], ["aid"]),
    ]  # no Vladimir (Wladimir Putin), no Taraz (Rentner Taras); the cash machines are "in several
    # Kazakh cities", no one city: no candidate of their own, their looting goes to Kazakhstan
    assert [(label, span.text) for label, span in result.unplaced] == [("Cash machine", "Geldautomaten")]
    airport = result.candidates[1].row("report.txt", "2022-01-08")
    assert (airport["address"], airport["precision"], airport["lat"], airport["status"]) == (
        "Airport, Almaty, Kazakhstan", "approximate", "", "candidate")
    almaty = result.candidates[2].row("report.txt")
    assert (almaty["address"], almaty["precision"]) == ("Almaty, Kazakhstan", "city")
    assert abs(float(almaty["lat"]) - 43.25) < 0.1 and abs(float(almaty["lon"]) - 76.91) < 0.1
    country = result.candidates[0].row("report.txt")
    assert (country["address"], country["precision"], country["lat"]) == ("Kazakhstan", "country", "")


def test_a_facility_with_no_city_in_reach_is_not_a_candidate():
    text = "Protests in Aktobe and Atyrau.\n\nMoscow called for calm.\n\nAt the airport all flights were cancelled."
    result = extract(text)
    assert [c.place.name for c in result.candidates] == ["Aktobe", "Atyrau", "Moscow"]
    assert [(label, span.start) for label, span in result.unplaced] == [("Airport", text.index("airport"))]


def test_a_facility_takes_the_city_of_the_paragraph_before_unless_it_is_abroad():
    text = "Protests in Karaganda.\n\nIn Pavlodar it was quiet.\n\nTwelve were injured, the hospital said."
    assert [c.place.name for c in extract(text).candidates] == ["Karagandy", "Pavlodar", "Hospital, Pavlodar"]
    abroad = "Protests in Karaganda and Pavlodar.\n\nMoscow called for calm.\n\nThe hospital was full."
    assert extract(abroad).unplaced[0][0] == "Hospital"


def test_a_facility_of_the_csv_keeps_its_name(folder):
    known = known_places(folder / "places.csv")
    text = "Witnesses saw smoke over the city hall of Almaty."
    assert [c.place.name for c in extract(text, known).candidates] == ["Mayor's office, Almaty", "Almaty"]


@pytest.mark.parametrize("text, place", [
    ("Soldaten aus Russland trafen ein.", "Russia"),
    ("Российские военные прибыли в Казахстан.", "Kazakhstan"),
    ("Troops arrived in Kazakhstan's largest city.", "Kazakhstan"),
    ("Die Truppen der Russischen Föderation zogen ab.", "Russia"),
])
def test_countries_in_every_language(text, place):
    assert [c.place.name for c in extract(text).candidates] == [place]


@pytest.mark.parametrize("text", [
    "Wladimir Putin rief an.",
    "Владимир Путин позвонил.",
    "Präsident Tokajew sprach, und der Rentner Taras nickte.",
    "Spokesman Jordan Hale said so.",
    "Sydney Carter, a volunteer, said so.",
    "Ген. Иванов заявил об этом.",
])
def test_people_are_not_places(text):
    assert extract(text).candidates == []


def test_a_place_after_a_title_in_the_genitive_stays_a_place():
    assert found("Жители Шымкента вышли на митинг.") == [("Shymkent", ["Шымкента"], ["protest"])]
    assert [c.place.name for c in extract("президент Казахстана Токаев выступил").candidates] == ["Kazakhstan"]


# --- sentences and languages ----------------------------------------------------------------------

def test_sentences_do_not_end_at_abbreviations_or_german_ordinals():
    text = "Am 8. Januar kam Dr. Meier. Dann z. B. Schüsse! Gen. Iwanow sprach. Neuer Satz\n\nAbsatz"
    assert [text[a:b].strip() for a, b in sentences(text, "de")] == [
        "Am 8. Januar kam Dr. Meier.", "Dann z. B. Schüsse!", "Gen. Iwanow sprach.", "Neuer Satz", "Absatz"]
    english = "Shots, said Gen. Ivanov. Then quiet."
    assert [english[a:b].strip() for a, b in sentences(english, "en")] == ["Shots, said Gen. Ivanov.", "Then quiet."]
    russian = "Ген. Иванов заявил об этом. Потом тишина."
    assert [russian[a:b].strip() for a, b in sentences(russian, "ru")] == [
        "Ген. Иванов заявил об этом.", "Потом тишина."]


@pytest.mark.parametrize("text, lang", [(GERMAN, "de"), (ENGLISH, "en"), (RUSSIAN, "ru"), ("", "en")])
def test_language_is_detected(text, lang):
    assert detect_language(text) == lang


def test_an_unknown_language_is_refused():
    with pytest.raises(MapgenError, match="language 'fr' is not supported; use one of de, en, ru."):
        extract("Des tirs à Almaty.", lang="fr")


def test_same_input_same_output_and_fast_enough():
    text = "\n\n".join([NEW_MAP, GERMAN] * 70)
    assert len(text.split()) > 5000
    extract(NEW_MAP)  # tables and dictionaries load once per process
    started = time.perf_counter()
    first = extract(text).rows("r.txt")
    assert time.perf_counter() - started < 3.0
    assert extract(text).rows("r.txt") == first


# --- the command --------------------------------------------------------------------------------

def test_cli_prints_candidates_and_writes_nothing(mapgen_cli, folder):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = mapgen_cli("extract", "de.txt", "--date", "2022-01-09", cwd=folder)
    assert result.exit_code == 0, result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["place", "address", "lat", "lon", "precision", "incidents", "date", "date_precision",
                             "status", "summary", "source", "url", "aliases", "mentions", "cues"]
    assert [r["place"] for r in rows] == ["Kazakhstan (nationwide)", "Almaty International Airport",
                                          "Mayor's office, Almaty", "Central market", "Taraz"]
    assert {r["status"] for r in rows} == {"candidate"}
    airport = rows[1]
    start = GERMAN.index("des Flughafens") + 4
    cue = GERMAN.index("Schüsse")
    assert airport["mentions"] == f"Flughafens@{start}-{start + 10}"
    assert airport["cues"] == f"gunfire (Schüsse@{cue}-{cue + 7})" and airport["incidents"] == "gunfire"
    assert airport["summary"] == "Candidate found by mapgen extract: 1 mention; cues suggest gunfire."
    assert airport["date"] == "2022-01-09" and airport["source"] == "de.txt"
    assert airport["lat"] == ""  # a known place keeps its own coordinates
    taraz = rows[4]
    assert (taraz["address"], taraz["precision"]) == ("Taraz, Kazakhstan", "city")
    assert abs(float(taraz["lat"]) - 42.9) < 0.1 and abs(float(taraz["lon"]) - 71.37) < 0.1
    assert result.stderr == "5 candidate rows; nothing was written (use --append to add them to places.csv).\n"


def test_cli_language_option(mapgen_cli, folder):
    (folder / "short.txt").write_text("Taras Almaty", encoding="utf-8")
    auto = mapgen_cli("extract", "short.txt", cwd=folder)
    assert auto.exit_code == 0, auto.stderr
    bad = mapgen_cli("extract", "short.txt", "--lang", "fr", cwd=folder)
    assert bad.exit_code == 2
    assert "Invalid value for '--lang': 'fr' is not one of 'auto', 'de', 'en', 'ru'." in bad.stderr


def test_python_api_gives_what_the_command_prints(mapgen_cli, folder):
    rows, added = extract_file(folder / "de.txt", folder / "places.csv", date="2022-01-09")
    assert added == 0
    result = mapgen_cli("extract", "de.txt", "--date", "2022-01-09", cwd=folder)
    assert rows_csv(rows) == result.stdout


@pytest.mark.parametrize("name, article", [("de.txt", GERMAN), ("en.txt", ENGLISH), ("ru.txt", RUSSIAN)])
def test_no_sentence_of_the_report_is_copied(mapgen_cli, folder, name, article):
    result = mapgen_cli("extract", name, cwd=folder)
    assert result.exit_code == 0, result.stderr
    for a, b in sentences(article):
        words = article[a:b].split()
        for k in range(len(words) - 3):  # no run of four words of the report
            assert " ".join(words[k:k + 4]) not in result.stdout, article[a:b]


def test_append_adds_candidates_once_and_keeps_the_file(mapgen_cli, folder):
    original = (folder / "places.csv").read_bytes()
    first = mapgen_cli("extract", "ru.txt", "--append", cwd=folder)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == "4 candidate rows added to places.csv; review them and change their status.\n"
    data = (folder / "places.csv").read_bytes()
    assert data.startswith(original)
    ds = mapgen.load(folder / "places.csv")
    new = ds.incidents[ds.incidents["status"] == "candidate"]
    assert list(new["place"]) == ["Mayor's office, Almaty", "Almaty International Airport", "Moscow",
                                  "Central market"]
    assert list(new["tags"])[2] == ["deployment", "statement"]
    assert list(new["summary"])[2] == ("Candidate found by mapgen extract: 1 mention; "
                                       "cues suggest deployment, statement.")
    assert mapgen_cli("validate", cwd=folder).exit_code == 0
    # the same report again adds nothing
    again = mapgen_cli("extract", "ru.txt", "--append", cwd=folder)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ("0 candidate rows added to places.csv (4 were already there); "
                            "review them and change their status.\n")
    assert (folder / "places.csv").read_bytes() == data
    # and the map builds with them
    assert mapgen_cli("build", "--offline", cwd=folder).exit_code == 0


def test_append_of_a_new_map_builds_offline(mapgen_cli, tmp_path):
    (tmp_path / "places.csv").write_text("place,address,lat,lon,precision,incidents,status\n", encoding="utf-8")
    (tmp_path / "report.txt").write_text(NEW_MAP, encoding="utf-8")
    result = mapgen_cli("extract", "report.txt", "--append", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("7 candidate rows added to places.csv")
    assert mapgen_cli("build", "--offline", cwd=tmp_path).exit_code == 0


def test_report_that_is_not_utf8(mapgen_cli, folder):
    (folder / "bad.txt").write_bytes("Schüsse am Flughafen".encode("cp1252"))
    result = mapgen_cli("extract", "bad.txt", cwd=folder)
    assert result.exit_code == 1
    assert re.match(r"Error: bad.txt cannot be read as UTF-8 .*--encoding", result.stderr)
    ok = mapgen_cli("extract", "bad.txt", "--encoding", "cp1252", cwd=folder)
    assert ok.exit_code == 0 and "Flughafen" in ok.stdout


def test_missing_report(mapgen_cli, folder):
    result = mapgen_cli("extract", "nothing.txt", cwd=folder)
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot read nothing.txt: No such file or directory.\n"


def test_append_to_a_file_without_a_status_column_keeps_candidates_marked(mapgen_cli, folder):
    (folder / "places.csv").write_text("place,aliases\nCentral market,Zentraler Markt\n", encoding="utf-8")
    result = mapgen_cli("extract", "de.txt", "--append", cwd=folder)
    assert result.exit_code == 0, result.stderr
    text = (folder / "places.csv").read_text("utf-8")
    # the header gains the columns the candidates need; the old row is untouched
    assert text.startswith("place,aliases,address,lat,lon,precision,incidents,status,summary,source\n"
                           "Central market,Zentraler Markt\n")
    ds = mapgen.load(folder / "places.csv")
    assert set(ds.incidents["status"].iloc[1:]) == {"candidate"}


# --- the benchmark ----------------------------------------------------------------------------------

def test_benchmark_places_are_found_and_few_are_wrong():
    spec = importlib.util.spec_from_file_location("evaluate", ROOT / "bench" / "extract" / "evaluate.py")
    assert spec and spec.loader
    evaluate = importlib.util.module_from_spec(spec)
    sys.modules["evaluate"] = evaluate  # its dataclasses look their module up
    spec.loader.exec_module(evaluate)
    results = evaluate.evaluate()
    assert set(results) == {"de", "en", "ru", "all"}
    for lang, counts in results.items():
        assert counts.place_recall >= 0.9, (lang, counts.notes)
        assert counts.place_precision >= 0.85, (lang, counts.notes)
