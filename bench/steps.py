"""Where the time of one build goes: its steps timed one after the other, in one process.

    .venv/bin/python bench/steps.py places.csv          # a Markdown table of the steps
    .venv/bin/python bench/steps.py --site places.csv   # the same for mapgen build --site
    .venv/bin/python bench/synth.py 100000 /tmp/p.csv && .venv/bin/python bench/steps.py /tmp/p.csv

The steps are those of ``mapgen build --offline``, called one by one without
the second process that writes the exports during a real build (see
``mapgen.pipeline.build``), so their sum is more than a build's wall time on
two cores. The page cache is filled first, as after a first build. Files go
to a temporary folder.
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
from mapgen import pipeline, read, validate  # noqa: E402
from mapgen.export import geojson as geojson_export  # noqa: E402
from mapgen.page import cache as pagecache, data as payload  # noqa: E402
from mapgen.atomic import OutputSet  # noqa: E402
from mapgen.config import load_config  # noqa: E402

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
        ("import pandas", _PANDAS - _START, float("nan"), "with numpy"),
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
    raw = step("read the CSV", "pandas' C parser for plain files; anything unusual goes to the careful reader",
               lambda: read.read_table(csv))
    ds = step("check every cell, group places", "each check once per distinct value",
              lambda: validate.validate(raw, config))
    offmap = step("locate, notes", "coordinates given, so no lookups; look-alike names, far places",
                  lambda: _locate(ds))
    order = payload.incident_order(ds)
    if site:
        page_files = _site_steps(ds, config, offmap, order, out, step)
    else:
        page_files = _page_steps(ds, config, offmap, order, out, step)
    geojson = step("places.geojson", "each repeated part (place, tags, date, source) encoded once",
                   lambda: geojson_export.geojson_parts(ds, offmap))

    def write() -> None:
        with OutputSet() as outputs:
            for name, content in page_files.items():
                outputs.write(out / name, content)
            outputs.write(out / "places.geojson", geojson)

    step(f"write {'the ' + str(len(page_files) + 1) if site else 'both'} files", "atomically, with fsync each", write)
    return rows


def _page_steps(ds, config, offmap, order, out: Path, step) -> dict:
    """The steps of map.html; its content by name."""
    data = step("page data", "places, and each incident as a code and a day, grouped by place",
                lambda: payload.page_data(ds, config.lang, offmap, order=order))
    texts = step("page texts", "summaries, links, lines, carried columns", lambda: payload.page_texts(ds, order))
    data_json = step("their JSON", "orjson, escaped for a <script> block",
                     lambda: (payload.script_json(data), payload.script_json(texts)))
    kwargs = dict(title=data["meta"]["title"], lang=config.lang, strings=data["i18n"], mode="cdn",
                  cache=out / "page-cache")
    pagecache.page_parts(b"{}", b"{}", **kwargs)  # fill the page cache, as a first build does
    page = step("the page around it", "from the page cache", lambda: pagecache.page_parts(*data_json, **kwargs))
    return {"map.html": page}


def _site_steps(ds, config, offmap, order, out: Path, step) -> dict:
    """The steps of a site, as ``mapgen.page.site.site_files`` takes them; its files by name."""
    from mapgen.page import assets
    from mapgen.page.render import SITE_DATA
    from mapgen.page.data import CHUNK
    from mapgen.page.site import TEXTS

    data = step("page data", "places, and each incident as a code and a day, grouped by place",
                lambda: payload.page_data(ds, config.lang, offmap, order=order,
                                          texts={"chunk": CHUNK, "base": TEXTS}))
    data_json = step("its JSON", "orjson", lambda: payload.script_json(data))
    n = -(-len(order) // CHUNK)
    texts = step(f"texts in {n} chunks", f"page_texts of {CHUNK:,} incidents at a time",
                 lambda: [payload.page_texts(ds, order, slice(k * CHUNK, (k + 1) * CHUNK)) for k in range(n)])
    chunks = step("their JSON", "orjson, one document per chunk", lambda: [payload.script_json(t) for t in texts])
    kwargs = dict(title=data["meta"]["title"], lang=config.lang, strings=data["i18n"], mode="site",
                  cache=out / "page-cache")
    pagecache.page_parts(b"", **kwargs)  # fill the page cache, as a first build does
    page = step("the page around it", "from the page cache", lambda: pagecache.page_parts(b"", **kwargs))
    files = step("assets", "the pinned files, read and hash-checked", lambda: assets.copy_to_site(Path(".")))
    return {"index.html": page, SITE_DATA: data_json, **{f"{TEXTS}{k}.json": c for k, c in enumerate(chunks)},
            **{path.as_posix(): content for path, content in files}}


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
