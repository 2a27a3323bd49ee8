"""Reading a places CSV into a table of strings with line numbers.

This module only turns bytes into cells; :mod:`mapgen.validate` checks the
values. It accepts what is unambiguous (a UTF-8 byte-order mark, UTF-16 with
a BOM, ``;``, tab or ``|`` as the delimiter, ``Place`` for ``place``; see
:mod:`mapgen.read.layout`) and reports the rest with the line to fix.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from ..columns import names, other_names
from ..errors import DataError, Problem
from .layout import decode, sniff_delimiter

#: Characters that ``str.splitlines`` breaks at but CSV does not.
_OTHER_LINE_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


@dataclass(frozen=True)
class RawTable:
    """The cells of a CSV as strings, with the line on which each row starts."""

    path: Path
    frame: pd.DataFrame  # every column a string column; "" for an empty cell
    lines: list[int]  # lines[i] is the file line where row i starts
    delimiter: str
    encoding: str


def read_table(path: str | Path, encoding: str | None = None) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; raise :class:`DataError` if unreadable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(str(path), 0, None, None,
                                 "file not found. Give the path of your places CSV "
                                 "(the default is places.csv in the current folder).")]) from None
    except IsADirectoryError:
        raise DataError([Problem(str(path), 0, None, None, "is a folder, not a CSV file.")]) from None
    if encoding is None and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom = data.startswith(codecs.BOM_UTF8)
        fast = _parse_fast(data[len(codecs.BOM_UTF8):] if bom else data)
        if fast is not None:
            return RawTable(path=path, frame=fast[0], lines=fast[1], delimiter=fast[2],
                            encoding="utf-8-sig" if bom else "utf-8")
    text, used = decode(data, path, encoding)
    del data  # a large file need not be held twice while it is parsed
    return parse_text(text, path, used)


def _parse_fast(data: bytes) -> tuple[pd.DataFrame, list[int], str] | None:
    """pandas' C parser for the common case; ``None`` sends the file to :func:`parse_text`.

    It is taken only for UTF-8 where every record is one line (so a row's line
    is its position), every row has at most the header's cells and the header
    is the first line with the required column: then it reads exactly what
    :func:`parse_text` reads, three times faster. Anything unusual (bytes that
    are not UTF-8, cells spanning lines, extra cells, blank lines before the
    header, lone ``\r`` line ends) takes the careful path, which also words
    the errors.
    """
    if not data or data.isspace() or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    first_line = _first_line(data[:65536].decode("utf-8", "ignore"))  # bytes that are not UTF-8 fail below
    delim = sniff_delimiter(first_line)
    header = [c.strip().lower() for c in next(csv.reader([first_line], delimiter=delim), [])]
    if _check_header(header, 1, "") or not header:
        return None
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=delim, header=None, dtype=object, engine="c",
                            keep_default_na=False, na_filter=False, skip_blank_lines=False,
                            quotechar='"', doublequote=True, encoding="utf-8")
    except (ValueError, pd.errors.ParserError):  # UnicodeDecodeError is a ValueError
        return None
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if len(frame) != lines or frame.shape[1] != len(header) or frame.iloc[0].str.strip().str.lower().tolist() != header:
        return None
    frame = frame.iloc[1:]
    blank = strip_each(frame[0].to_numpy()) == ""  # rows of blank cells are skipped, as parse_text does
    for k in range(1, frame.shape[1]):
        if blank.any():
            blank = blank & (strip_each(frame[k].to_numpy()) == "")
    numbers = np.arange(2, len(frame) + 2)
    if blank.any():
        frame, numbers = frame[~blank], numbers[~blank]
    frame = frame.reset_index(drop=True)
    frame.columns = header
    _add_missing(frame)
    return frame, numbers.tolist(), delim


def parse_text(text: str, path: Path, encoding: str = "utf-8") -> RawTable:
    """Parse CSV text into a :class:`RawTable` (see :func:`read_table`)."""
    with gc_paused():  # a list per row, all of them kept: collecting would find nothing
        return _parse_text(text, path, encoding)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while many objects that live on are made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_text(text: str, path: Path, encoding: str) -> RawTable:
    where = str(path)
    if not text.strip():
        raise DataError(
            [Problem(where, 0, None, None,
                     "the file is empty. It needs a header row with at least the column 'place'; "
                     f"the full set is: {', '.join(names(optional=False))}.")]
        )
    first_line = _first_line(text.lstrip("\r\n"))
    delim = sniff_delimiter(first_line)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    reader = csv.reader(_lines(text), delimiter=delim)
    try:
        parsed: list[list[str]] | None = list(reader)
    except csv.Error:
        parsed = None
    records: Iterable[tuple[int, list[str]]]
    if parsed is not None and reader.line_num == len(parsed):
        records = enumerate(parsed, start=1)  # every record is one line
    else:  # a cell spans lines, or the file is malformed: follow the reader line by line
        parsed = None
        reader = csv.reader(_lines(text), delimiter=delim)
        records = _numbered(reader)
    try:
        for start, record in records:
            if not "".join(record).strip():  # no cells, or only blank ones
                continue
            if header is None:
                header, header_line = [c.strip().lower() for c in record], start
                continue
            if len(record) > len(header):
                extra = [c for c in record[len(header):] if c.strip()]
                if extra:
                    problems.append(Problem(
                        where, start, None, None,
                        f"has {len(record)} cells but the header has {len(header)}; "
                        f"extra value {extra[0]!r}. Quote cells that contain {delim!r}.",
                    ))
                    continue
                record = record[:len(header)]
            elif len(record) < len(header):
                record = record + [""] * (len(header) - len(record))
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        problems.append(Problem(where, reader.line_num, None, None, f"cannot be parsed as CSV: {exc}."))
    assert header is not None
    if parsed is None:  # some cell spans lines: rows swallowed by a quote that is never closed?
        problems.extend(_unclosed_quotes(rows, lines, header, delim, where, text.count('"') % 2 == 1))
    problems.extend(_check_header(header, header_line, where))
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    _add_missing(frame)
    return RawTable(path=path, frame=frame, lines=lines, delimiter=delim, encoding=encoding)


def _add_missing(frame: pd.DataFrame) -> None:
    """Empty cells for every column of the data model the file does not have."""
    for name in names(optional=False):
        if name not in frame.columns:
            frame[name] = ""


#: ``str.strip`` of every cell of an object array, in one call.
strip_each = np.frompyfunc(str.strip, 1, 1)


def _unclosed_quotes(rows: list[list[str]], lines: list[int], header: list[str], delim: str,
                     where: str, odd_quotes: bool) -> list[Problem]:
    """Cells that hold whole rows: a quote opened in them was closed rows later, or never.

    A spreadsheet closes every quote it writes; a hand-edited file may not, and
    the CSV rules then read every following line, up to the next quote or the
    end of the file, into one cell. Line breaks inside a cell are fine; a line
    inside a cell with as many delimiters as a row has is not, nor a line break
    in the last row of a file whose quotes do not pair up.
    """
    problems = []
    needed = max(len(header) - 1, 2)
    for record, line in zip(rows, lines):
        for name, cell in zip(header, record):
            if "\n" not in cell and "\r" not in cell:
                continue
            inner = cell.splitlines()[1:]
            if any(part.count(delim) >= needed for part in inner) or (
                    odd_quotes and record is rows[-1]):
                problems.append(Problem(
                    where, line, name or None, cell.splitlines()[0][:60],
                    f"a quote opened in this cell is not closed, so the {len(inner)} line"
                    f"{'s' if len(inner) != 1 else ''} after it {'were' if len(inner) != 1 else 'was'} read into it. Close the quote (\"...\") "
                    "or delete it; a quote inside a cell is written twice (\"\").",
                ))
                break
    return problems


def _first_line(text: str) -> str:
    """``text.splitlines()[0]`` without splitting all of a large file."""
    head = text[:65536]
    if len(head) == len(text) or len(head.splitlines()) > 1:  # the first line ends within head
        return head.splitlines()[0]
    return text.splitlines()[0]


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, split at \\n, \\r\\n and \\r only.

    That is what ``csv`` expects (``io.StringIO(text, newline="")``), but
    ``str.splitlines`` avoids StringIO's copy at four bytes per character.
    """
    if any(sep in text for sep in _OTHER_LINE_BREAKS):
        return iter(io.StringIO(text, newline=""))
    return iter(text.splitlines(keepends=True))


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each record of a ``csv.reader`` with the line on which it starts."""
    previous_end = 0
    for record in reader:
        yield previous_end + 1, record
        previous_end = reader.line_num


def records(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Each record of CSV text that has a non-blank cell, with the line on which it starts.

    Raises ``csv.Error`` for text that is not CSV.
    """
    for start, record in _numbered(csv.reader(_lines(text), delimiter=delimiter)):
        if "".join(record).strip():
            yield start, record


def _check_header(header: list[str], line: int, where: str) -> list[Problem]:
    if "event_id_cnty" in header and "event_type" in header:
        return [Problem(where, line, None, None, "this is an ACLED export, not a places file; convert it with "
                                                 "`mapgen import-acled FILE -o places.csv`.")]
    problems = []
    renames = {}  # our column -> the header's name for it
    known = names()
    for name in header:
        if not name or name in known:
            continue
        ours = next((c for c, others in other_names().items() if name in others), None)
        if ours is None:
            import difflib  # only for a mistake's message

            close = difflib.get_close_matches(name, names(optional=False), n=1, cutoff=0.8)
            ours = close[0] if close else None
        if ours is not None and ours not in header and ours not in renames:
            renames[ours] = name
            problems.append(Problem(where, line, None, None,
                                    f"the column {name!r} is not one mapgen reads, so its values would be "
                                    f"ignored; rename it to {ours!r} in the header."))
    required = "place"
    if required not in header and required not in renames:
        problems.append(Problem(
            where, line, None, None,
            f"the required column {required!r} is missing. The header is: {', '.join(header)}. "
            f"Columns mapgen reads: {', '.join(names(optional=False))}.",
        ))
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(Problem(where, line, None, None,
                                    f"the column {name!r} appears twice in the header; rename or delete one."))
        seen.add(name)
    if ("lat" in header) != ("lon" in header) and not {"lat", "lon"} & set(renames):
        have, lack = ("lat", "lon") if "lat" in header else ("lon", "lat")
        problems.append(Problem(where, line, None, None,
                                f"the column {have!r} is there but {lack!r} is missing; they go together."))
    return problems
