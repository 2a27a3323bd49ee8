"""The checkout itself: no half-resolved merge reaches the package or the committed map."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(rb"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def test_no_tracked_file_holds_a_merge_conflict_marker():
    """A stray ``<<<<<<< HEAD`` in a stylesheet silently drops the rules around it: the reader sees
    unstyled buttons and nothing fails, so it is looked for here."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    files = [ROOT / name for name in listed.decode("utf-8").split("\0") if name]
    marked = [str(f.relative_to(ROOT)) for f in files
              if f.is_file() and f.suffix not in {".png", ".ico"} and MARKER.search(f.read_bytes())]
    assert marked == []


def test_the_readme_data_model_is_the_columns_table():
    """Adding a column is one row of data/columns.csv; the README's table is made from it."""
    from mapgen.columns import markdown_table

    assert markdown_table() in (ROOT / "README.md").read_text("utf-8")
