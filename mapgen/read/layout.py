"""How a CSV file is written: encoding and byte-order mark, delimiter, decimal comma, line endings.

Every reader and every in-place edit of ``places.csv`` asks this one module,
so what one part of mapgen accepts, the others write back the same way.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, Problem

#: Byte-order marks and the codec of the text after them.
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
#: Delimiters mapgen accepts: comma, German Excel's semicolon, tab, pipe.
DELIMITERS = (",", ";", "\t", "|")
#: The column whose presence in the header tells which delimiter is right.
KEY_COLUMN = "place"

ENCODING_HINT = (
    "Save the file as UTF-8 (Excel: 'Save As' > 'CSV UTF-8'; LibreOffice: character set "
    "'Unicode (UTF-8)'), or name its encoding with --encoding (e.g. --encoding cp1252)."
)


@dataclass(frozen=True)
class Layout:
    """How a CSV is written, so that text added to it matches."""

    bom: bytes
    codec: str
    delimiter: str
    newline: str
    decimal_comma: bool  # numbers are written 43,25 (German Excel, with ';' as delimiter)

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec)


def bom_of(data: bytes) -> tuple[bytes, str]:
    """The byte-order mark ``data`` starts with and the codec of what follows (``b""``, ``utf-8`` if none)."""
    return next(((mark, name) for mark, name in BOMS if data.startswith(mark)), (b"", "utf-8"))


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes to text; return (text, encoding name). Raises :class:`DataError` for people."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):  # zip (xlsx, ods); old xls
        raise DataError([Problem(str(path), 0, None, None,
                                 "is a spreadsheet workbook (Excel or LibreOffice), not a CSV file. Save it "
                                 "as CSV: in Excel 'CSV UTF-8 (Comma delimited)', in LibreOffice 'Text CSV' "
                                 "with UTF-8.")])
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise DataError([Problem(str(path), 0, None, None, f"unknown encoding {encoding!r}.")]) from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DataError(
                [Problem(str(path), line, None, None, f"cannot be read as {encoding}: {exc.reason}.")]
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex()
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line_end = data.find(b"\n", exc.start)
        line_bytes = data[line_start:line_end if line_end >= 0 else len(data)]
        snippet = line_bytes[:80].decode("utf-8", "replace").strip()
        msg = (
            f"byte 0x{bad} in {snippet!r} is not UTF-8 "
            f"(the file was probably saved as Windows-1252 or Latin-1). {ENCODING_HINT}"
        )
        raise DataError([Problem(str(path), line, None, None, msg)]) from None


def sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: the one that yields a ``place`` column, else the commonest."""
    for delim in DELIMITERS:
        cells = next(csv.reader([header], delimiter=delim), [])
        if len(cells) > 1 and any(c.strip().lower() == KEY_COLUMN for c in cells):
            return delim
    counts = {d: header.count(d) for d in DELIMITERS}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def newline_of(text: str) -> str:
    """The line ending a file uses: ``\\r\\n``, ``\\n`` or (old Macs) ``\\r``."""
    return "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")


def uses_decimal_comma(delimiter: str, numbers: list[str] = ()) -> bool:  # type: ignore[assignment]
    """Whether numbers are written with a decimal comma.

    Only a file delimited by ``;`` can hold them unquoted (German Excel writes
    ``43,25`` there); reading, a comma in such a file's numbers is always a
    decimal comma. Writing, the file's first written number decides; a file
    with no number yet gets commas, as a German spreadsheet would write them.
    """
    if delimiter != ";":
        return False
    first = next((n.strip() for n in numbers if n.strip()), "")
    return "," in first or "." not in first


def detect(data: bytes, path: Path, encoding: str | None = None,
           number_columns: tuple[str, ...] = ("lat", "lon")) -> tuple[Layout, str]:
    """The layout of a CSV file's bytes and its text (without the byte-order mark)."""
    text, used = decode(data, path, encoding)
    bom, codec = (bom_of(data) if used in ("utf-8-sig", "utf-16") else (b"", used))
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return Layout(bom, codec, ",", newline_of(text), False), text
    delimiter = sniff_delimiter(lines[0])
    header = [c.strip().lower() for c in next(csv.reader([lines[0]], delimiter=delimiter))]
    numbers: list[str] = []
    wanted = [header.index(c) for c in number_columns if c in header]
    if delimiter == ";" and wanted:
        for row in csv.reader(lines[1:], delimiter=delimiter):
            numbers.extend(row[k] for k in wanted if k < len(row))
            if any(n.strip() for n in numbers):
                break
    return Layout(bom, codec, delimiter, newline_of(text), uses_decimal_comma(delimiter, numbers)), text
