"""Where the time of one build goes: its steps timed one after the other, in one process.

    .venv/bin/python bench/steps.py places.csv          # a Markdown table of the steps
    .venv/bin/python bench/steps.py --site places.csv   # the same for mapgen build --site
    .venv/bin/python bench/synth.py 100000 /tmp/p.csv && .venv/bin/python bench/steps.py /tmp/p.csv

The steps are those of ``mapgen build --offline``, called one by one without
the fork that writes the exports during a real build from 100,000 incidents on
(see ``mapgen.pipeline.build``), so their sum is more than a build's wall time
on two cores. Reading and checking are one step: the file is read a chunk at a
time and each chunk checked as it comes. The page and the GeoJSON are made as
they are written, so each is one step with its writing. The page cache is
filled first, as after a first build. Files go to a temporary folder.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import pandas  # noqa: E402,F401 - timed: the first import of the build

_PANDAS = time.perf_counter()

import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import mapgen.cli  # noqa: E402,F401 - timed with the modules a build imports
from mapgen import pipeline, validate  # noqa: E402
from mapgen.atomic import OutputSet  # noqa: E402
from mapgen.config import load_config  # noqa: E402
from mapgen.export import FORMATS, Target  # noqa: E402
from mapgen.page import cache as pagecache, data as payload  # noqa: E402

_MAPGEN = time.perf_counter()


def python_start() -> float:
    """Seconds for this Python to start and stop with nothing to do (median of 5)."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        runs.append(time.perf_counter() - start)
    return sorted(runs)[2]


def resident_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def steps(csv: Path, out: Path, site: bool = False) -> list[tuple[str, float, float, str]]:
    """(step, seconds, resident MB after it, what it is) for a build of ``csv`` into ``out``
    (``site``: ``mapgen build --site``)."""
    imported = resident_mb()
    rows: list[tuple[str, float, float, str]] = [
        ("start Python", python_start(), float("nan"), "the interpreter alone"),
        ("import pandas", _PANDAS - _START, float("nan"), "with numpy and pyarrow"),
        ("import mapgen and click", _MAPGEN - _PANDAS, imported,
         "folium is not imported when the page cache has the page"),
    ]
    clock = time.perf_counter

    def step(name: str, what: str, work):
        start = clock()
        result = work()
        rows.append((name, clock() - start, resident_mb(), what))
        return result

    config = load_config(csv)
    ds = step("read and check every cell, group places",
              "Arrow's CSV reader a chunk at a time (the next on a second thread), each check once per "
              "distinct value of a chunk", lambda: validate.load(csv, config=config))
    offmap = step("locate, notes", "coordinates given, so no lookups; look-alike names, far places",
                  lambda: _locate(ds))
    order = payload.incident_order(ds)
    step("page data and its JSON", "places, and each incident as a code and a day, grouped by place",
         lambda: payload.script_json(payload.page_data(ds, config.lang, offmap, order=order)))
    target = Target(ds, offmap, config.lang)
    with OutputSet() as outputs:
        # the page around the data is taken from the page cache, as after a first build
        if site:
            pagecache.page_parts(b"", title=ds.config.title, lang=config.lang, strings=payload.interface_strings(
                config.lang), mode="site", cache=pagecache.cache_dir())
            written = step("the site: index.html, data/, 500-odd chunks of texts, assets",
                           "texts in chunks of 2,000 incidents, made as written; fsync each",
                           lambda: [outputs.write(out / name, data) for name, data in FORMATS["site"].write(target)])
            label = f"{len(written)} files"
        else:
            for _ in FORMATS["html"].write(target):  # fills the page cache
                pass
            step("map.html", "the page from the page cache, the texts a line per 2,000 incidents, made as "
                 "written; fsync", lambda: outputs.write(out / "map.html", FORMATS["html"].write(target)))
            label = "map.html"
        step("places.geojson", "each repeated part (place, tags, date, source) encoded once, made as written; "
             "fsync", lambda: outputs.write(out / "places.geojson", FORMATS["geojson"].write(target)))
        step("rename into place", f"{label} and places.geojson", outputs.commit)
    return rows


def _locate(ds):
    ds = pipeline.locate_places(ds, offline=True, notes=[])
    pipeline.look_alike_names(ds)
    offmap = payload.offmap_mask(ds)
    pipeline.far_place_notes(ds, offmap)
    return offmap


def main(argv: list[str]) -> int:
    site = "--site" in argv
    argv = [a for a in argv if a != "--site"]
    if len(argv) != 1:
        print(__doc__)
        return 2
    csv = Path(argv[0])
    with tempfile.TemporaryDirectory(prefix="mapgen-steps-") as folder:
        rows = steps(csv, Path(folder), site)
    print(f"Steps of a build{' --site' if site else ''} of {csv} ({sum(1 for _ in csv.open('rb')) - 1:,} rows), "
          "seconds:\n")
    print("| Step | Time | Memory after | What it is |\n| --- | ---: | ---: | --- |")
    for name, seconds, rss, what in rows:
        print(f"| {name} | {seconds:.2f} | {'' if rss != rss else f'{rss:,.0f} MB'} | {what} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| **all, one after the other** | **{sum(r[1] for r in rows):.2f}** | **peak {peak:,.0f} MB** | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
