"""``places.csv`` as the text its owner wrote, edited cell by cell.

A spreadsheet or a CSV writer would rewrite the whole file: quoting, line
endings, spacing. :class:`PlacesFile` instead knows where each cell is in the
text (offsets), and an edit splices only the cells it changes, so ``git
diff`` shows exactly the cells that changed. The file's encoding, byte-order
mark, delimiter, decimal comma and line endings come from
:mod:`mapgen.read.layout`, as for every reader of the file.

:meth:`PlacesFile.save` checks the new text as ``mapgen validate`` does,
refuses if the file changed on disk since it was read, and replaces it
atomically unless it is read-only or open in a spreadsheet.

Only where each record starts is found when the file is read (one regular
expression over the text); the cells of a record are
found when it is asked for. An edit rescans only the records it touched and
shifts the offsets of those after it, so changing one cell of a large file
costs milliseconds, not a second scan of the whole file.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from ..atomic import _LOCK_NAMES, write_atomic
from ..columns import names
from ..errors import DataError, OutputError, Problem
from ..read.layout import detect

Span = tuple[int, int]
#: Columns whose numbers follow the file's decimal mark.
NUMBER_COLUMNS = ("lat", "lon")


class FileChanged(OutputError):
    """The file changed on disk after it was read: an edit would overwrite someone else's work."""


class FileLocked(OutputError):
    """The file is open in a spreadsheet (its lock file is beside it), so it is not replaced."""


class FileReadOnly(OutputError):
    """The file is read-only, so it is not replaced."""


@dataclass
class Record:
    """One CSV record: the line it starts on and the offsets of its cells in the text."""

    line: int
    cells: list[Span]
    end: int  # offset after its line break


def fingerprint(data: bytes) -> str:
    """What identifies one version of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


class PlacesFile:
    """The text of a places CSV with the position of every cell; see the module docstring."""

    def __init__(self, path: str | Path, data: bytes, encoding: str | None = None) -> None:
        self.path = Path(path)
        self.version = fingerprint(data)
        self.original = data  # the bytes read, for an undo record
        self.edited = False
        self.layout, self.text = detect(data, self.path, encoding)
        delim = self.layout.delimiter
        self._cell = _cell_pattern(delim)
        self._record = _record_pattern(delim)
        self._blank = re.compile(rf"[{re.escape(delim)}\s]*")
        # where each record that has a non-blank cell starts and ends, and its line; [0] is the header
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._lines: list[int] = []
        self._reindex(0, 0, 0)

    @classmethod
    def read(cls, path: str | Path, encoding: str | None = None) -> PlacesFile:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DataError([Problem(str(path), 0, None, None, "file not found.")]) from None
        return cls(path, data, encoding)

    def _reindex(self, lo: int, hi: int, delta: int) -> None:
        """Find the records again after the text from ``lo`` to ``hi`` (old offsets) changed length by ``delta``.

        Scanning starts at the last record that starts before ``lo`` (a record
        starting at ``lo`` may now be part of the one before it: ``\r`` then
        ``\n``) and stops at the first record boundary after the change that
        was a boundary before it: the text from there on is the same, so are
        its records, shifted.
        """
        text, starts, ends, lines = self.text, self._starts, self._ends, self._lines
        i = bisect_left(starts, lo) - 1
        if i < 0:
            i, scan_from, line = 0, 0, 1
        else:
            scan_from, line = starts[i], lines[i]
        k = bisect_left(starts, hi)  # the first old record wholly after the change
        new_starts, new_ends, new_lines = [], [], []
        tail: tuple[list[int], list[int], list[int]] = ([], [], [])
        for match in self._record.finditer(text, scan_from):
            start, end = match.span()
            if start == end:  # the end of the text
                break
            while k < len(starts) and starts[k] + delta < start:
                k += 1
            if k < len(starts) and starts[k] + delta == start and start >= hi + delta:
                shift = line - lines[k]
                tail = ([s + delta for s in starts[k:]], [e + delta for e in ends[k:]],
                        [n + shift for n in lines[k:]] if shift else lines[k:])
                break
            if not self._blank.fullmatch(text, start, end):
                new_starts.append(start)
                new_ends.append(end)
                new_lines.append(line)
            # a record ends in one line break; more are inside quoted cells
            line += text.count("\n", start, end) + (text[end - 1] != "\n")
        self._starts = starts[:i] + new_starts + tail[0]
        self._ends = ends[:i] + new_ends + tail[1]
        self._lines = lines[:i] + new_lines + tail[2]
        if not self._starts:
            raise DataError([Problem(str(self.path), 0, None, None, "the file is empty; it needs a header row.")])
        if i == 0:
            self.header_record = self._record_at(0)
            self.header = [self.value(span).strip().lower() for span in self.header_record.cells]

    def _record_at(self, k: int) -> Record:
        """Record ``k`` (0 is the header) with the offsets of its cells."""
        text, cell, i = self.text, self._cell, self._starts[k]
        cells = []
        while True:
            match = cell.match(text, i)
            cells.append(match.span(1))
            i = match.end()
            if match.group(3) != self.layout.delimiter:
                return Record(self._lines[k], cells, i)

    @property
    def records(self) -> list[Record]:
        """Every record after the header (each one's cells are found now: slow for a large file)."""
        return [self._record_at(k) for k in range(1, len(self._starts))]

    # -- reading ---------------------------------------------------------------------------

    def value(self, span: Span) -> str:
        """The value of the cell at ``span``, unquoted."""
        raw = self.text[span[0]:span[1]]
        stripped = raw.strip()
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
            return stripped[1:-1].replace('""', '"')
        return raw

    def cell(self, record: Record, column: str) -> str:
        """The value of ``column`` in ``record`` (``""`` if the row is shorter or the column missing)."""
        if column not in self.header:
            return ""
        k = self.header.index(column)
        return self.value(record.cells[k]) if k < len(record.cells) else ""

    def at_line(self, line: int) -> Record:
        """The record that starts on ``line``."""
        k = bisect_left(self._lines, line)
        if k == 0 or k == len(self._lines) or self._lines[k] != line:
            raise DataError([Problem(str(self.path), line, None, None, "no row starts on this line.")])
        return self._record_at(k)

    def row(self, index: int) -> Record:
        """The record ``index`` after the header (``-1``: the last one)."""
        if not -self.row_count <= index < self.row_count:
            raise IndexError(f"{self.path.name} has {self.row_count} rows")
        return self._record_at(index % self.row_count + 1)

    @property
    def row_count(self) -> int:
        """How many records follow the header."""
        return len(self._starts) - 1

    def rows_of(self, place: str) -> list[Record]:
        """The records of ``place``, in file order."""
        if not place or "place" not in self.header:
            return [r for r in self.records if self.cell(r, "place").strip() == place]
        # only records whose text holds the name (as written, or quoted) are read cell by cell
        text, starts, ends = self.text, self._starts, self._ends
        found: set[int] = set()
        for form in {place, place.replace('"', '""')}:
            at = text.find(form, ends[0])
            while at != -1:
                k = bisect_right(starts, at) - 1
                found.add(k)
                at = text.find(form, max(ends[k], at + 1))
        records = (self._record_at(k) for k in sorted(found) if k > 0)
        return [r for r in records if self.cell(r, "place").strip() == place]

    # -- editing ---------------------------------------------------------------------------

    def add_columns(self, names: Sequence[str]) -> None:
        """Add columns the header lacks at its end (the only change to existing lines)."""
        missing = [n for n in names if n not in self.header]
        if missing:
            end = self.header_record.cells[-1][1]
            self._splice([((end, end), "".join(self.layout.delimiter + n for n in missing))])

    def set_cells(self, record: Record, values: Mapping[str, str]) -> None:
        """Write ``values`` (column → text) into ``record``; every other byte stays."""
        self.change({record.line: values})

    def change(self, rows: Mapping[int, Mapping[str, str] | None]) -> None:
        """Write cells into the records that start on these lines (``None``: delete the record).

        All in one splice, however many records: a place repeated on a
        thousand rows of a large file moves in one pass over its text.
        """
        self.add_columns(list(dict.fromkeys(c for values in rows.values() if values for c in values)))
        edits: list[tuple[Span, str]] = []
        for line, values in rows.items():
            record = self.at_line(line)  # offsets moved if the header grew
            if values is None:
                edits.append(((record.cells[0][0], record.end), ""))
            else:
                edits.extend(self._cell_edits(record, values))
        self._splice(edits)

    def _cell_edits(self, record: Record, values: Mapping[str, str]) -> list[tuple[Span, str]]:
        edits: list[tuple[Span, str]] = []
        short = []
        for column, value in values.items():
            k = self.header.index(column)
            if k < len(record.cells):
                start, end = record.cells[k]
                quoted = self.text[start:end].lstrip().startswith('"')
                edits.append(((start, end), self._quote(value, quoted)))
            else:
                short.append((k, value))
        if short:  # a row shorter than the header: add its missing cells
            cells = [""] * (max(k for k, _ in short) + 1 - len(record.cells))
            for k, value in short:
                cells[k - len(record.cells)] = self._quote(value, False)
            end = record.cells[-1][1]
            edits.append(((end, end), "".join(self.layout.delimiter + c for c in cells)))
        return edits

    def append(self, rows: Sequence[Mapping[str, str]], add_columns: Sequence[str] | None = None) -> None:
        """Add ``rows`` (column → text) at the end, in the file's own format.

        Columns of ``add_columns`` (default: the columns mapgen reads that have
        a value in some row) that the header lacks are added to it, so no value
        is lost; other keys are left out.
        """
        if not rows:
            return
        if add_columns is None:
            add_columns = [c for c in names() if any(str(row.get(c) or "") for row in rows)]
        self.add_columns(add_columns)
        text = self.text
        addition = "" if not text or text.endswith(("\n", "\r")) else self.layout.newline
        for row in rows:
            cells = [self._quote(self._decimal(c, str(row.get(c, "") or "")), False) for c in self.header]
            addition += self.layout.delimiter.join(cells) + self.layout.newline
        self._splice([((len(text), len(text)), addition)])

    def delete(self, record: Record) -> None:
        """Remove ``record`` and its line break."""
        self.change({record.line: None})

    def _decimal(self, column: str, value: str) -> str:
        """A coordinate written with this file's decimal mark."""
        return value.replace(".", ",") if self.layout.decimal_comma and column in NUMBER_COLUMNS else value

    def _quote(self, value: str, quoted: bool) -> str:
        """``value`` as a cell: quoted when it was, or when the delimiter, a quote or a line break needs it."""
        if quoted or any(c in value for c in (self.layout.delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    def number(self, value: float) -> str:
        """A coordinate as this file writes numbers: at most 6 decimals (about 10 cm), its decimal mark."""
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if self.layout.decimal_comma else text

    def _splice(self, edits: list[tuple[Span, str]]) -> None:
        """Replace each span of ``edits`` (offsets in the current text, not overlapping) with its text."""
        if not edits:
            return
        edits = sorted(edits)
        text, pieces, at, delta = self.text, [], 0, 0
        for (start, end), new in edits:
            pieces += [text[at:start], new]
            at, delta = end, delta + len(new) - (end - start)
        pieces.append(text[at:])
        self.edited = True
        self.text = "".join(pieces)  # one copy of a large text, however many cells changed
        self._reindex(edits[0][0][0], max(end for (_, end), _ in edits), delta)

    # -- saving ----------------------------------------------------------------------------

    def encoded(self) -> bytes:
        return self.layout.encode(self.text)

    def save(self) -> bytes:
        """Check the new text like ``mapgen validate`` and replace the file atomically; return its bytes.

        Refused (nothing written) when the text has problems, when the file
        changed on disk since it was read, when it is read-only, or when it is
        open in a spreadsheet.
        """
        from ..config import load_config
        from ..read import parse_text
        from ..validate import validate

        try:
            validate(parse_text(self.text, self.path), load_config(self.path))
        except DataError as exc:
            raise DataError(exc.problems, hint=f"{self.path.name} was not changed.") from None
        self.check_unchanged()
        data = self.encoded()
        replace_user_file(self.path, data)
        self.version = fingerprint(data)
        return data

    def check_unchanged(self) -> None:
        """Raise :class:`FileChanged` if the file on disk is not the version that was read."""
        try:
            now = fingerprint(self.path.read_bytes())
        except OSError:
            now = ""
        if now != self.version:
            raise FileChanged(f"{self.path} changed on disk after it was read (another program or person "
                              "saved it), so mapgen did not overwrite it. Read it again and repeat the edit.")


def replace_user_file(path: Path, data: bytes) -> None:
    """Replace the places file ``path`` with ``data`` atomically, as :func:`mapgen.atomic.write_atomic` does.

    Its refusals are raised as :class:`FileLocked` or :class:`FileReadOnly`
    (with the same message), so a caller can tell them apart.
    """
    try:
        write_atomic(path, data, user_file=True)
    except OutputError as exc:
        target = path.resolve()
        if any(target.with_name(lock.format(name=target.name)).exists() for lock in _LOCK_NAMES):
            raise FileLocked(str(exc)) from None
        try:
            read_only = not target.stat().st_mode & 0o222
        except OSError:
            read_only = False
        if read_only:
            raise FileReadOnly(str(exc)) from None
        raise


def _cell_pattern(delim: str) -> re.Pattern[str]:
    """One cell: an optional quoted part, the rest up to a delimiter or line break, and what ends it.

    Quoted cells may contain the delimiter, quotes (doubled) and line breaks.
    """
    d = re.escape(delim)
    return re.compile(rf'((")?(?(2)(?:[^"]|"")*"?)[^{d}\r\n]*)({d}|\r\n|\n|\r|$)')


def _record_pattern(delim: str) -> re.Pattern[str]:
    """One record, cells and line break, split exactly where :func:`_cell_pattern` splits it.

    The quoted part is written ``[^"]*(?:""[^"]*)*`` (the same text as
    ``(?:[^"]|"")*``, matched faster); no part of it needs to backtrack.
    """
    d = re.escape(delim)
    cell = rf'(?:"[^"]*(?:""[^"]*)*"?[^{d}\r\n]*|[^{d}\r\n]*)'
    return re.compile(rf"{cell}(?:{d}{cell})*(?:\r\n|\n|\r|\Z)")
