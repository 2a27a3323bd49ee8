"""People named in a report, so that their names are not taken for places.

"Wladimir Putin" is no trip to the city of Vladimir, and the pensioner Taras is
not the city of Taraz. A word is part of a person's name when

* it is a first name (``data/extract/first_names.txt``) followed by a
  capitalised word, or that following word ("Wladimir Putin", "Kassym-Jomart
  Tokayev": up to three words);
* it is an initial and the capitalised word after it ("А. Петров");
* it follows a title or role (``data/extract/titles.csv``: "Präsident",
  "Rentner", "Gen.", "пенсионер", "namens"), up to three capitalised words.
  In German and Russian a place may follow a title in the genitive: a place
  name at the start of those words stays a place when it is a country, when a
  name follows it, or when it is inflected ("президент Казахстана Токаев",
  "жители Шымкента", "Bürgermeister Almatys"); "Rentner Taras" is a person.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from . import tables
from .phrases import Match, Phrases
from .words import Token, keys

_NAME_GAP = re.compile(r"[ \t\-‐]{1,2}")  # "Kassym-Jomart Tokayev"
_AFTER_TITLE = re.compile(r"\.?[ \t]{1,2}")  # "Gen. Ivanov", "Präsident Tokajew"
_MAX_NAME_WORDS = 3
#: Languages that put a place after a title in the genitive ("мэр Шымкента"); in English it is a name.
_GENITIVE_AFTER_TITLE = frozenset({"de", "ru"})


@lru_cache(maxsize=4)
def title_phrases(lang: str) -> Phrases:
    phrases = Phrases(lang)
    for title in tables.titles(lang):
        phrases.add(title, "title")
    return phrases


def _is_first_name(tok: Token, lang: str) -> bool:
    return tok.capital and not keys(tok.raw, lang).isdisjoint(tables.first_names())


def _name_run(text: str, toks: Sequence[Token], first: int) -> list[int]:
    """Capitalised words from token ``first`` on, joined by a space or hyphen (at most three)."""
    run: list[int] = []
    j = first
    while j < len(toks) and toks[j].capital and len(run) < _MAX_NAME_WORDS:
        if run and not _NAME_GAP.fullmatch(text[toks[j - 1].end:toks[j].start]):
            break
        run.append(j)
        j += 1
    return run


def person_tokens(text: str, toks: Sequence[Token], lang: str, places: dict[int, tuple[str, bool]]) -> set[int]:
    """Indices of the tokens that are part of a person's name.

    ``places`` maps the token index of each possible place name to its kind
    ("city", "country", "known"...) and whether it is written as the name is
    (not inflected), for the rule on titles above.
    """
    people: set[int] = set()
    for i, tok in enumerate(toks):
        if len(tok.raw) == 1 and tok.raw.isupper() and i + 1 < len(toks) and toks[i + 1].capital \
                and text[tok.end:toks[i + 1].start].startswith(". "):
            people.update((i, i + 1))
        elif _is_first_name(tok, lang):
            run = _name_run(text, toks, i)
            if len(run) > 1:
                people.update(run)
    for match in title_phrases(lang).find(text, toks):
        after = match.last + 1
        if after >= len(toks) or not _AFTER_TITLE.fullmatch(text[toks[match.last].end:toks[after].start]):
            continue
        run = _name_run(text, toks, after)
        while lang in _GENITIVE_AFTER_TITLE and run and run[0] in places and not _is_first_name(toks[run[0]], lang):
            kind, as_written = places[run[0]]
            if kind != "country" and len(run) == 1 and as_written:
                break
            run.pop(0)  # "президент Казахстана Токаев": Kazakhstan is a place, Tokayev a person
        people.update(run)
    return people


def overlaps_person(match: Match, people: set[int]) -> bool:
    return any(i in people for i in range(match.first, match.last + 1))
