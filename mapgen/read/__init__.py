"""Reading: file bytes → how the file is written (:mod:`.layout`) → a table of strings with line numbers (:mod:`.table`)."""

from .layout import Layout, decode, detect, sniff_delimiter
from .table import RawTable, gc_paused, parse_text, read_table, records, strip_each

__all__ = ["Layout", "RawTable", "decode", "detect", "gc_paused", "parse_text", "read_table", "records",
           "sniff_delimiter", "strip_each"]
