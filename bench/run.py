"""Scale benchmark: how mapgen copes with 1,000 to 100,000 incidents.

    .venv/bin/python bench/run.py                     # 1k, 10k, 100k rows; writes BENCHMARKS.md
    .venv/bin/python bench/run.py --quick             # 1k and 10k, one run each, prints only
    .venv/bin/python bench/run.py --sizes 1000,50000 --repeat 5 --out /tmp/bench.md

For every size it writes a synthetic ``places.csv`` (``bench/synth.py``, same
bytes for the same seed) and measures, as a user would meet them:

* ``mapgen build --offline`` run as its own process: wall time, CPU time and
  peak memory (resident set size, from the kernel's accounting of the child);
* the size of ``map.html`` against the CSV's size;
* in headless Chromium (pinned assets from the local cache, blank tiles): the
  time until the map is usable, and the time a type filter takes to apply.

It also times the straightforward folium map (``bench/naive.py``) on the same
data up to 10,000 rows, and ``mapgen build`` of the shipped ``places.csv``.
Results go to the part of ``BENCHMARKS.md`` between the ``results`` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from synth import write_places_csv  # noqa: E402

#: The targets of issue 5 (for a 2-core machine).
TARGET_BUILD_S = 3.0          # 100k rows, whole process
TARGET_RSS_MB = 600           # 100k rows, peak
TARGET_READY_MS = 5000        # 100k rows, map usable in Chromium
TARGET_FILTER_MS = 500        # 100k rows, one filter change
TARGET_SIZE_RATIO = 1.5       # HTML bytes / CSV bytes, every size
TARGET_SPEEDUP = 30           # 10k rows, against naive folium
TARGET_SHIPPED_S = 1.5        # the shipped places.csv
NAIVE_MAX_ROWS = 10_000
START, END = "<!-- results:start -->", "<!-- results:end -->"


@dataclass
class Run:
    """One process: wall and CPU seconds, peak resident memory in MB."""

    wall: float
    cpu: float
    rss_mb: float


@dataclass
class Figures:
    """Everything measured for one size."""

    rows: int
    csv_bytes: int
    builds: list[Run] = field(default_factory=list)
    first: Run | None = None  # the build that filled the page cache
    html_bytes: int = 0
    geojson_bytes: int = 0
    pages: list = field(default_factory=list)  # pagetime.PageTimes
    naive: Run | None = None
    naive_html_bytes: int = 0

    def median(self, attr: str, source: str = "builds") -> float:
        return statistics.median(getattr(x, attr) for x in getattr(self, source))

    def peak_mb(self) -> float:
        return max(r.rss_mb for r in self.builds + ([self.first] if self.first else []))


def run_process(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to completion; raise with its output if it fails."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            out.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.read().decode(errors='replace')}")
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024)


def mapgen_command() -> list[str]:
    """The ``mapgen`` command of this environment, as a user types it."""
    script = Path(sys.executable).with_name("mapgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mapgen"]


def build(csv: Path, out: Path, page_cache: Path) -> Run:
    """``mapgen build`` with the benchmark's own page cache (see mapgen.page.cache)."""
    return run_process(mapgen_command() + ["build", "--offline", str(csv), "-o", str(out)], cwd=csv.parent,
                       env={**os.environ, "MAPGEN_PAGE_CACHE": str(page_cache)})


def first_and_later_builds(csv: Path, out: Path, page_cache: Path, repeat: int) -> tuple[Run, list[Run]]:
    """A first build with an empty page cache (folium renders the page), then ``repeat`` builds as after an edit."""
    shutil.rmtree(page_cache, ignore_errors=True)
    first = build(csv, out, page_cache)
    return first, [build(csv, out, page_cache) for _ in range(repeat)]


def machine(chromium_version: str | None, load_at_start: tuple[float, ...]) -> list[tuple[str, str]]:
    """What the figures were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        ram = "unknown"

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        ("CPU", f"{model}, {os.cpu_count()} cores"),
        ("RAM", ram),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("pandas / numpy", f"{version('pandas')} / {version('numpy')}"),
        ("folium / branca", f"{version('folium')} / {version('branca')}"),
        ("Chromium", chromium_version or "not run"),
        ("Load average (1, 5, 15 min) at start / end", " ".join(f"{x:.1f}" for x in load_at_start) + " / "
         + " ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]


def compile_bytecode() -> None:
    """Compile mapgen's modules to bytecode, as installing mapgen or its first run does.

    Python then reads them from ``__pycache__`` instead of compiling about
    5,000 lines on every run; where ``PYTHONDONTWRITEBYTECODE`` is set (as in
    some containers) no run would ever store them, and every build would pay
    that compiling (~30 ms) as no installed user does.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "mapgen"), quiet=1)


def measure(sizes: list[int], repeat: int, work: Path, browser: bool, naive: bool, seed: int,
            log=print) -> tuple[list[Figures], Figures, str | None]:
    """Measure every size; return the figures, the shipped dataset's builds, Chromium's version."""
    results: list[Figures] = []
    page_cache = work / "page-cache"
    compile_bytecode()
    shipped = Figures(rows=0, csv_bytes=(ROOT / "places.csv").stat().st_size)
    shipped.first, shipped.builds = first_and_later_builds(ROOT / "places.csv", work / "shipped-out", page_cache,
                                                           repeat)
    log(f"shipped places.csv: build {shipped.median('wall'):.2f} s (first {shipped.first.wall:.2f} s)")
    pw = chromium = None
    if browser:
        from playwright.sync_api import sync_playwright

        import pagetime

        pw = sync_playwright().start()
        chromium = pagetime.launch(pw)
    try:
        for rows in sizes:
            folder = work / f"rows-{rows}"
            csv = folder / "places.csv"
            if not csv.exists():
                write_places_csv(csv, rows, seed)
            fig = Figures(rows=rows, csv_bytes=csv.stat().st_size)
            out = folder / "out"
            fig.first, fig.builds = first_and_later_builds(csv, out, page_cache, repeat)
            fig.html_bytes = (out / "map.html").stat().st_size
            fig.geojson_bytes = (out / "places.geojson").stat().st_size
            log(f"{rows} rows: build {fig.median('wall'):.2f} s (first {fig.first.wall:.2f} s), "
                f"{fig.peak_mb():.0f} MB, "
                f"HTML {fig.html_bytes / fig.csv_bytes:.2f}x the CSV")
            if chromium is not None:
                for _ in range(repeat):
                    fig.pages.append(pagetime.time_page(chromium, out / "map.html"))
                log(f"  Chromium: usable after {fig.median('markers_ms', 'pages'):.0f} ms, "
                    f"filter {fig.median('filter_off_ms', 'pages'):.0f} ms")
                problems = sorted({p for page in fig.pages for p in page.problems})
                if problems:
                    raise RuntimeError("the map page misbehaved:\n  " + "\n  ".join(problems))
            if naive and rows <= NAIVE_MAX_ROWS:
                target = folder / "naive.html"
                fig.naive = run_process([sys.executable, str(BENCH / "naive.py"), str(csv), str(target)], folder)
                fig.naive_html_bytes = target.stat().st_size
                log(f"  naive folium: {fig.naive.wall:.2f} s, {fig.naive_html_bytes / 1e6:.1f} MB "
                    f"-> mapgen {fig.naive.wall / fig.median('wall'):.0f}x faster")
            results.append(fig)
    finally:
        if chromium is not None:
            chromium.close()
            pw.stop()
    return results, shipped, (chromium.version if chromium is not None else None)


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def report(results: list[Figures], shipped: Figures, about: list[tuple[str, str]], repeat: int,
           command: str) -> str:
    """The generated part of BENCHMARKS.md (Markdown)."""
    lines = [START, "", f"Measured {date.today().isoformat()} with `{command}`. *Build* is the median of "
             f"{repeat} run{'s' if repeat != 1 else ''} as after an edit of the CSV; *first build* is the run "
             "before them with an empty page cache, when folium renders the page (see `mapgen/pagecache.py`). "
             "Memory is the highest peak.", ""]
    lines += ["| Machine | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in about] + [""]
    lines += [
        "| Rows | CSV | Build (wall) | First build | Build (CPU) | Peak memory | map.html | HTML / CSV "
        "| places.geojson | Map usable | Filter off / on |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in results:
        page = (f"{f.median('markers_ms', 'pages') / 1000:.2f} s", f"{f.median('filter_off_ms', 'pages'):.0f} / "
                f"{f.median('filter_on_ms', 'pages'):.0f} ms") if f.pages else ("–", "–")
        lines.append(
            f"| {f.rows:,} | {_mb(f.csv_bytes)} | {f.median('wall'):.2f} s | {f.first.wall:.2f} s "
            f"| {f.median('cpu'):.2f} s | {f.peak_mb():.0f} MB | {_mb(f.html_bytes)} "
            f"| {f.html_bytes / f.csv_bytes:.2f} | {_mb(f.geojson_bytes)} | {page[0]} | {page[1]} |"
        )
    lines += ["", f"The shipped `places.csv`: `mapgen build --offline` takes {shipped.median('wall'):.2f} s "
              f"(first build {shipped.first.wall:.2f} s; {shipped.peak_mb():.0f} MB).", ""]
    naive = [f for f in results if f.naive]
    if naive:
        lines += ["Against naive folium (one `Marker` + `Popup` per row, one `FeatureGroup` per type), same data:", "",
                  "| Rows | Naive build | mapgen build | Faster | mapgen first build | Faster | Naive map.html "
                  "| mapgen map.html | Smaller |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for f in naive:
            lines.append(
                f"| {f.rows:,} | {f.naive.wall:.2f} s | {f.median('wall'):.2f} s | {f.naive.wall / f.median('wall'):.0f}× "
                f"| {f.first.wall:.2f} s | {f.naive.wall / f.first.wall:.0f}× "
                f"| {_mb(f.naive_html_bytes)} | {_mb(f.html_bytes)} | {f.naive_html_bytes / f.html_bytes:.1f}× |"
            )
        lines.append("")
    lines += ["Targets of issue 5 (a first build is shown for information):", "",
              "| Target | Measured | Met |", "| --- | --- | --- |"]
    for name, value, ok in targets(results, shipped):
        lines.append(f"| {name} | {value} | {'–' if ok is None else 'yes' if ok else '**no**'} |")
    lines += ["", END]
    return "\n".join(lines)


def targets(results: list[Figures], shipped: Figures) -> list[tuple[str, str, bool | None]]:
    """Each target that these results can speak to: (what, measured, met; ``None``: for information)."""
    out: list[tuple[str, str, bool | None]] = []
    by_rows = {f.rows: f for f in results}
    big = by_rows.get(100_000)
    if big:
        wall, rss = big.median("wall"), big.peak_mb()
        out.append((f"100k rows: build ≤ {TARGET_BUILD_S:g} s", f"{wall:.2f} s", wall <= TARGET_BUILD_S))
        out.append(("100k rows: first build", f"{big.first.wall:.2f} s", None))
        out.append((f"100k rows: peak memory ≤ {TARGET_RSS_MB} MB", f"{rss:.0f} MB", rss <= TARGET_RSS_MB))
        if big.pages:
            ready, flt = big.median("markers_ms", "pages"), big.median("filter_off_ms", "pages")
            out.append((f"100k rows: map usable ≤ {TARGET_READY_MS / 1000:g} s", f"{ready / 1000:.2f} s",
                        ready <= TARGET_READY_MS))
            out.append((f"100k rows: filter change ≤ {TARGET_FILTER_MS} ms", f"{flt:.0f} ms", flt <= TARGET_FILTER_MS))
    worst = max(results, key=lambda f: f.html_bytes / f.csv_bytes)
    ratio = worst.html_bytes / worst.csv_bytes
    out.append((f"HTML ≤ {TARGET_SIZE_RATIO:g}× the CSV at every size", f"{ratio:.2f}× at most ({worst.rows:,} rows)",
                ratio <= TARGET_SIZE_RATIO))
    ten = by_rows.get(10_000)
    if ten and ten.naive:
        speedup = ten.naive.wall / ten.median("wall")
        out.append((f"10k rows: ≥ {TARGET_SPEEDUP}× faster than naive folium", f"{speedup:.1f}×",
                    speedup >= TARGET_SPEEDUP))
        out.append(("10k rows: first build against naive folium", f"{ten.naive.wall / ten.first.wall:.1f}×", None))
    wall = shipped.median("wall")
    out.append((f"shipped places.csv: build ≤ {TARGET_SHIPPED_S:g} s", f"{wall:.2f} s", wall <= TARGET_SHIPPED_S))
    out.append((f"shipped places.csv: first build ≤ {TARGET_SHIPPED_S:g} s", f"{shipped.first.wall:.2f} s",
                shipped.first.wall <= TARGET_SHIPPED_S))
    return out


def write_report(path: Path, block: str) -> None:
    """Put ``block`` between the results markers of ``path`` (appended if there are none)."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scale benchmark of mapgen (see BENCHMARKS.md).")
    parser.add_argument("--sizes", default=None, help="rows per dataset, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--quick", action="store_true", help="1k and 10k rows, one run each, nothing written")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement (default 3; 1 with --quick)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive folium baseline")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to update (default BENCHMARKS.md)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated data and maps in this folder")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(",")]
    repeat = args.repeat or (1 if args.quick else 3)
    out = args.out or (None if args.quick else ROOT / "BENCHMARKS.md")
    work = args.keep or Path(tempfile.mkdtemp(prefix="mapgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    try:
        results, shipped, chromium = measure(sizes, repeat, work, browser=not args.no_browser,
                                             naive=not args.no_naive, seed=args.seed)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    command = "python bench/run.py" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(
        sys.argv[1:] if argv is None else argv))
    block = report(results, shipped, machine(chromium, load), repeat, command)
    print(block.replace(START, "").replace(END, "").strip())
    if out is not None:
        write_report(out, block)
        print(f"\nwritten to {out}")
    return 0 if all(ok is not False for _, _, ok in targets(results, shipped)) else 1


if __name__ == "__main__":
    sys.exit(main())
