"""Finding candidate rows in a news report (see :mod:`mapgen.extract.find`)."""

from .find import Candidate, KnownPlaces, extract, extract_file, known_places, rows_csv, sentences

__all__ = ["extract", "extract_file", "known_places", "rows_csv", "sentences", "Candidate", "KnownPlaces"]
