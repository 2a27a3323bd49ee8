"""How much of a build is its work, and how much Python starting and importing libraries.

At 10,000 rows most of ``mapgen build`` is Python starting and importing pandas,
numpy and pyarrow; naive folium's map spends its time in the work. To tell the
two apart, ``bench/run.py`` times each build again in a process that has
already imported everything the build imports:

    python bench/startup.py list mapgen CSV OUT_DIR modules.txt   # what a build of CSV imports
    python bench/startup.py list naive CSV OUT.html modules.txt   # what bench/naive.py imports
    python bench/startup.py work mapgen CSV OUT_DIR modules.txt   # import those, then time the build alone
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def build(how: str, csv: str, out: str) -> None:
    """Build ``csv`` into ``out`` as ``how`` does: "mapgen" (``mapgen build --offline``) or "naive" (bench/naive.py)."""
    if how == "mapgen":
        from mapgen.cli import cli

        try:
            cli(["build", "--offline", csv, "-o", out], prog_name="mapgen")
        except SystemExit as done:
            if done.code:
                raise
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from naive import build_naive

        build_naive(csv, out)


def import_all(names: list[str]) -> None:
    """Import each of ``names``; one that cannot be imported by its name alone (a module made at run time) is skipped."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - it would be imported by the build, inside the time measured
            pass


if __name__ == "__main__":
    what, how, csv, out, listed = sys.argv[1:6]
    if what == "list":  # the build's own messages go to the terminal, the names to the file
        build(how, csv, out)
        Path(listed).write_text("\n".join(sorted(n for n in sys.modules if n != "__main__")) + "\n")
    else:  # work: the seconds of the build alone, on the last line
        import_all(Path(listed).read_text().split())
        start = time.perf_counter()
        build(how, csv, out)
        print(f"{time.perf_counter() - start:.6f}")
