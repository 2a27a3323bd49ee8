"""Learning how names inflect from the lemmatiser's own dictionary.

simplemma knows "Moskaus" → "Moskau" and "Москве" → "Москва", but not every
city: "Almatys" and "в Алмате" are not in its dictionary. Rather than write
suffix rules by hand, this module counts, over the dictionary's capitalised
entries (names, and in German all nouns), how a form's ending differs from its
lemma's ("Москве" → "Москва": ``е`` → ``а``), and keeps the alternations that
make up at least :data:`MIN_SHARE` of them. The result is the data file
``mapgen/data/extract/name_endings.csv``, regenerated after a simplemma upgrade
with::

    python -m mapgen.extract.endings > mapgen/data/extract/name_endings.csv
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from typing import TextIO

#: An alternation must account for this share of the capitalised entries to be kept.
MIN_SHARE = 0.025
_MAX_FORM_ENDING, _MAX_LEMMA_ENDING, _MIN_STEM = 3, 2, 3


def learn(lang: str, min_share: float = MIN_SHARE) -> list[tuple[str, str, float]]:
    """(form ending, lemma ending, share) for ``lang``, commonest first."""
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    counts: Counter[tuple[str, str]] = Counter()
    total = 0
    for form, lemma in DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang).items():
        if form == lemma or not (form[:1].isupper() and lemma[:1].isupper()):
            continue
        total += 1
        stem = 0
        while stem < min(len(form), len(lemma)) and form[stem] == lemma[stem]:
            stem += 1
        form_end, lemma_end = form[stem:].casefold(), lemma[stem:].casefold()
        if stem >= _MIN_STEM and len(form_end) <= _MAX_FORM_ENDING and len(lemma_end) <= _MAX_LEMMA_ENDING:
            counts[(form_end, lemma_end)] += 1
    return [(f, le, n / total) for (f, le), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if total and n / total >= min_share]


def write(out: TextIO, langs: tuple[str, ...] = ("de", "en", "ru")) -> None:
    """Write the table of :func:`learn` for ``langs`` as CSV."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lang", "form_ending", "lemma_ending", "share"])
    for lang in langs:
        for form_end, lemma_end, share in learn(lang):
            writer.writerow([lang, form_end, lemma_end, f"{share:.3f}"])


if __name__ == "__main__":
    write(sys.stdout)
