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
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from ..atomic import write_atomic
from ..columns import names
from ..errors import DataError, OutputError, Problem
from ..read.layout import detect

Span = tuple[int, int]
#: Columns whose numbers follow the file's decimal mark.
NUMBER_COLUMNS = ("lat", "lon")


class FileChanged(OutputError):
    """The file changed on disk after it was read: an edit would overwrite someone else's work."""


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
        self.layout, self.text = detect(data, self.path, encoding)
        self._scan()

    @classmethod
    def read(cls, path: str | Path, encoding: str | None = None) -> PlacesFile:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DataError([Problem(str(path), 0, None, None, "file not found.")]) from None
        return cls(path, data, encoding)

    def _scan(self) -> None:
        records = [r for r in _scan(self.text, self.layout.delimiter)
                   if any(self.text[a:b].strip() for a, b in r.cells)]
        if not records:
            raise DataError([Problem(str(self.path), 0, None, None, "the file is empty; it needs a header row.")])
        self.header_record, self.records = records[0], records[1:]
        self.header = [self.value(span).strip().lower() for span in self.header_record.cells]

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
        for record in self.records:
            if record.line == line:
                return record
        raise DataError([Problem(str(self.path), line, None, None, "no row starts on this line.")])

    def rows_of(self, place: str) -> list[Record]:
        """The records of ``place``, in file order."""
        return [r for r in self.records if self.cell(r, "place").strip() == place]

    # -- editing ---------------------------------------------------------------------------

    def add_columns(self, names: Sequence[str]) -> None:
        """Add columns the header lacks at its end (the only change to existing lines)."""
        missing = [n for n in names if n not in self.header]
        if missing:
            end = self.header_record.cells[-1][1]
            self._splice([((end, end), "".join(self.layout.delimiter + n for n in missing))])

    def set_cells(self, record: Record, values: Mapping[str, str]) -> None:
        """Write ``values`` (column → text) into ``record``; every other byte stays."""
        self.add_columns(list(values))
        record = self.at_line(record.line)  # offsets moved if the header grew
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
        self._splice(edits)

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
        start = record.cells[0][0]
        self._splice([((start, record.end), "")])

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
        text = self.text
        for (start, end), new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        self.text = text
        self._scan()

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
        write_atomic(self.path, data, user_file=True)
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


def _scan(text: str, delim: str) -> list[Record]:
    """Split CSV text into records of cell spans (offsets into ``text``), with start lines.

    Quoted cells may contain the delimiter, quotes (doubled) and line breaks.
    A regular expression finds each cell, so a 100,000-row file takes about a second.
    """
    cell = _cell_pattern(delim)
    records: list[Record] = []
    i, n, line = 0, len(text), 1
    while i < n:
        start_line, cells = line, []
        while True:
            match = cell.match(text, i)
            start, end = match.span(1)
            if match.group(2):  # quoted: it may span lines
                line += text.count("\n", start, end)
            cells.append((start, end))
            i = match.end()
            if match.group(3) != delim:
                break
        line += 1
        records.append(Record(start_line, cells, i))
    return records


def _cell_pattern(delim: str) -> re.Pattern[str]:
    """One cell: an optional quoted part, the rest up to a delimiter or line break, and what ends it."""
    d = re.escape(delim)
    return re.compile(rf'((")?(?(2)(?:[^"]|"")*"?)[^{d}\r\n]*)({d}|\r\n|\n|\r|$)')
