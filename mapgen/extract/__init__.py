"""Candidate places in a news report: one per place, with incident types and the evidence.

A journalist pastes a report (German, English or Russian) into a text file;
:func:`extract_file` (``mapgen extract``) lists the places it names, each with
the incident types its cue words suggest and where in the report the place and
the cues are (character offsets), never the report's sentences::

    from mapgen.extract import extract, extract_file, rows_csv

    result = extract(text)                 # Extraction: .candidates, .lang, .unplaced
    rows, added = extract_file("report.txt", "places.csv", append=True)
    print(rows_csv(rows))

How the steps fit together is told in :mod:`mapgen.extract.find`.
"""

from .candidates import CANDIDATE_COLUMNS, Candidate, Cue, Extraction, Place, Span
from .files import extract_file, read_article, rows_csv
from .find import DEFAULT_MIN_POPULATION, extract
from .known import KnownPlaces, known_places
from .words import detect_language, sentences

__all__ = ["extract", "extract_file", "rows_csv", "read_article", "known_places", "sentences",
           "detect_language", "Candidate", "Cue", "Extraction", "KnownPlaces", "Place", "Span",
           "CANDIDATE_COLUMNS", "DEFAULT_MIN_POPULATION"]
