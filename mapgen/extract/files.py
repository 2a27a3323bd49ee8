"""Reports and places files: reading a report, extracting from it, printing or appending the rows.

This is the only module of the package that changes ``places.csv``, and it
does so only through :func:`mapgen.formats.append_rows`, which keeps the file's
own format and refuses while the file is open in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date as _date
from pathlib import Path
from typing import Sequence

from ..errors import MapgenError
from ..edit import append_rows
from .candidates import CANDIDATE_COLUMNS
from .find import DEFAULT_MIN_POPULATION, extract
from .known import KnownPlaces, known_places


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


def _check_date(date: str) -> None:
    try:
        _date.fromisoformat(date)
        valid = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", date))
    except ValueError:
        valid = False
    if not valid:
        raise MapgenError(f"--date {date!r} is not a date; write YYYY-MM-DD, e.g. 2022-01-08.")


def extract_file(article: str | Path, csv_path: str | Path = "places.csv", *, append: bool = False,
                 source: str | None = None, date: str = "", lang: str | None = None,
                 min_population: int = DEFAULT_MIN_POPULATION,
                 encoding: str | None = None) -> tuple[list[dict[str, str]], int]:
    """Candidate rows of the report ``article`` against the places of ``csv_path``.

    With ``append`` the rows not yet in ``csv_path`` are added to it (see
    :func:`mapgen.formats.append_rows`). Returns the rows and how many were added.
    """
    from ..config import load_config

    article, csv_path = Path(article), Path(csv_path)
    if date:
        _check_date(date)
    text = read_article(article, encoding)
    if append and not csv_path.exists():
        raise MapgenError(f"{csv_path} does not exist; create it first or run without --append.")
    known = known_places(csv_path) if csv_path.exists() else KnownPlaces()
    prefer = load_config(csv_path).countrycodes
    rows = extract(text, known, lang=lang, min_population=min_population, prefer=prefer).rows(
        source or article.name, date)
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
