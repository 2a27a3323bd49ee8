"""The word tables extraction reads, all in ``mapgen/data/extract/``, each loaded once.

- ``cues.csv``: incident tag, language, cue word (``shot*``: any word starting so).
- ``facilities.csv``: kinds of place reports name, their English label, whether
  they are an area that locates other facilities ("on Republic Square"), and
  their words in en/de/ru (``;``-separated; ``*flughafen``: any German compound
  ending so).
- ``titles.csv``: titles and roles that precede a person's name (``Gen.``: an abbreviation).
- ``first_names.txt``: first names; followed by a capitalised word, the pair is a person.
- ``country_names.csv``: everyday country names that ISO's translations lack ("Russland").
- ``country_adjectives.csv``: adjectives that stand for a country ("kasachisch"), in lemma form.
- ``gazetteer_stopwords.txt``: city names that are also common words or personal names.
- ``language_words.csv``: short common words that tell German from English.
- ``conjunctions.csv``: words that join two places sharing what is said of them ("in Aktobe and Atyrau").
- ``name_endings.csv``: ending alternations of names, learned from the lemmatiser (:mod:`.endings`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


def _text(name: str) -> str:
    return resources.files("mapgen").joinpath("data", "extract", name).read_text("utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_text(name).splitlines()))


def _lines(name: str) -> list[str]:
    """Non-empty lines of a word list, without ``#`` comments."""
    return [w for line in _text(name).splitlines() if (w := line.split("#", 1)[0].strip())]


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


@lru_cache(maxsize=1)
def cues() -> tuple[tuple[str, str, str], ...]:
    """(tag, language, cue) rows."""
    return tuple((r["tag"], r["lang"], r["cue"]) for r in _rows("cues.csv"))


@dataclass(frozen=True)
class FacilityKind:
    """A kind of place reports name: its label in candidate names and its words per language."""

    kind: str
    label: str
    area: bool
    words: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def facilities() -> tuple[FacilityKind, ...]:
    return tuple(
        FacilityKind(r["kind"], r["label"], r["area"] == "yes",
                     {lang: tuple(w.strip() for w in r[lang].split(";") if w.strip()) for lang in ("en", "de", "ru")})
        for r in _rows("facilities.csv"))


@lru_cache(maxsize=4)
def titles(lang: str) -> tuple[str, ...]:
    return tuple(r["title"] for r in _rows("titles.csv") if r["lang"] == lang)


@lru_cache(maxsize=4)
def abbreviations(lang: str) -> frozenset[str]:
    """Folded title abbreviations without their dot ("gen" for "Gen.")."""
    return frozenset(_fold(t[:-1]) for t in titles(lang) if t.endswith("."))


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    return frozenset(_fold(w) for w in _lines("first_names.txt"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(_fold(w) for w in _lines("gazetteer_stopwords.txt"))


@lru_cache(maxsize=1)
def country_names() -> tuple[tuple[str, str, str], ...]:
    """(ISO code, language, name) rows."""
    return tuple((r["iso"], r["lang"], r["name"]) for r in _rows("country_names.csv"))


@lru_cache(maxsize=1)
def country_adjectives() -> tuple[tuple[str, str, str], ...]:
    """(ISO code, language, adjective) rows."""
    return tuple((r["iso"], r["lang"], r["adjective"]) for r in _rows("country_adjectives.csv"))


@lru_cache(maxsize=1)
def language_words() -> dict[str, str]:
    """Word (lower case) → the language it marks."""
    return {r["word"]: r["lang"] for r in _rows("language_words.csv")}


@lru_cache(maxsize=4)
def conjunctions(lang: str) -> frozenset[str]:
    return frozenset(r["word"] for r in _rows("conjunctions.csv") if r["lang"] == lang)


@lru_cache(maxsize=4)
def name_endings(lang: str) -> tuple[tuple[str, str], ...]:
    """(ending of a form, ending of its base form) pairs for ``lang``, commonest first."""
    return tuple((r["form_ending"], r["lemma_ending"]) for r in _rows("name_endings.csv") if r["lang"] == lang)
