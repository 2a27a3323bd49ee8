"""Words of a report: tokens, their lemmas, sentences, paragraphs and the report's language.

Word forms are left to maintained tools, not to suffix rules of our own:

* :func:`keys` gives the forms a word is compared by: the word itself and its
  lemma from ``simplemma`` ("des Flughafens" → "Flughafen", "в Москве" →
  "Москва", "kasachischen" → "kasachisch").
* A proper name no dictionary knows ("Almatys", "в Алмате") is compared by
  analogy with the names the lemmatiser does know: the ending alternations of
  its dictionary's capitalised entries (``data/extract/name_endings.csv``, learned
  from simplemma by :mod:`mapgen.extract.endings`) give the word's possible base
  forms and their other forms ("Алмате" may come from "Алмата", whose genitive
  is "Алматы", the city's name).
* Sentences come from ``pysbd``; a sentence that pysbd ends after a title
  abbreviation of ``data/extract/titles.csv`` ("Gen. Ivanov") is joined to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import tables

LANGS = ("de", "en", "ru")
_WORD = re.compile(r"\w+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_MIN_NAME = 4  # shorter names are too often words ("Vor", "Gen")


def fold(text: str) -> str:
    """The form used for comparing words: case-folded, ё as е."""
    return text.casefold().replace("ё", "е")


@dataclass(frozen=True)
class Token:
    """A word of the text and where it is."""

    start: int
    end: int
    raw: str

    @property
    def capital(self) -> bool:
        return self.raw[:1].isupper()


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with their character offsets."""
    return [Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


# --- word forms ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _lemmatizer():  # type: ignore[no-untyped-def]
    import simplemma  # imported on first use: loading its dictionaries takes about a second per language

    return simplemma.Lemmatizer()


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str) -> str:
    """The lemma of ``word`` in ``lang`` (the word itself when the lemmatiser does not know it)."""
    if word.isdigit():
        return word
    return _lemmatizer().lemmatize(word, lang)


@lru_cache(maxsize=200_000)
def name_keys(folded: str, lang: str) -> frozenset[str]:
    """The forms a (folded) word of the text may take as a name: itself, its possible base
    forms by analogy with the names the lemmatiser knows ("алмате" → "алмата"), and the
    forms of those ("алмата" → "алматы"), so that two forms of one name meet although
    neither is the other's base (see the module docstring). Names of the gazetteer are
    indexed as written, so only the words of a report are expanded."""
    endings = tables.name_endings(lang)
    bases = {folded} | {folded[:len(folded) - len(form_end)] + lemma_end for form_end, lemma_end in endings
                        if folded.endswith(form_end) and len(folded) - len(form_end) >= _MIN_NAME}
    forms = {base[:len(base) - len(lemma_end)] + form_end for base in bases for form_end, lemma_end in endings
             if base.endswith(lemma_end) and len(base) - len(lemma_end) >= _MIN_NAME}
    return frozenset(bases | forms)


@lru_cache(maxsize=200_000)
def keys(word: str, lang: str) -> frozenset[str]:
    """The folded forms a word of the text is compared by: itself and its lemma; for a
    capitalised word also the lemma of its lower-case form (German adjectives of names,
    "Zentralen Markt", and words at the start of a sentence) and, when the lemmatiser
    leaves it as it is, the forms of :func:`name_keys`."""
    base = lemma(word, lang)
    found = {fold(word), fold(base)}
    if word[:1].isupper():
        found.add(fold(lemma(word.lower(), lang)))
        if base == word:
            found |= name_keys(fold(word), lang)
    return frozenset(found)


# --- sentences, paragraphs, language --------------------------------------------------------------

@lru_cache(maxsize=len(LANGS))
def _segmenter(lang: str):  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language=lang, clean=False)


def sentences(text: str, lang: str | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, in order, covering all of it."""
    lang = lang or detect_language(text)
    pieces: list[tuple[int, int]] = []
    pos = 0
    for segment in _segmenter(lang).segment(text) if text.strip() else ():
        found = text.find(segment, pos)
        if found < 0:  # pysbd changed the text (it should not with clean=False): keep the rest whole
            break
        pieces.append((pos, found + len(segment)))
        pos = found + len(segment)
    if pos < len(text):
        pieces.append((pos, len(text)))
    abbreviations = tables.abbreviations(lang)
    spans: list[tuple[int, int]] = []
    for start, end in pieces:
        last = re.search(r"(\w+)\.\s*$", text[spans[-1][0]:spans[-1][1]]) if spans else None
        if last and fold(last.group(1)) in abbreviations:  # "Gen. | Ivanov": one sentence
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: text between blank lines."""
    spans, start = [], 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def detect_language(text: str) -> str:
    """``ru`` for text mostly in Cyrillic, else ``de`` or ``en`` by their commonest short words
    (``data/extract/language_words.csv``); English when nothing tells."""
    cyrillic = sum(1 for c in text if "а" <= c.lower() <= "я" or c in "ёЁ")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    if cyrillic > latin:
        return "ru"
    counts = {lang: 0 for lang in LANGS}
    markers = tables.language_words()
    for m in _WORD.finditer(text):
        lang = markers.get(m.group().lower())
        if lang:
            counts[lang] += 1
    return "de" if counts["de"] > counts["en"] else "en"
