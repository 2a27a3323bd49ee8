"""Scale benchmark: mapgen from 1,000 to 1,000,000 incidents, as a user and a reader meet it.

    .venv/bin/python bench/run.py                     # everything; writes BENCHMARKS.md (about 10 minutes)
    .venv/bin/python bench/run.py --no-million        # 1k, 10k, 100k only (about 3 minutes)
    .venv/bin/python bench/run.py --quick             # 1k and 10k, one run each, prints only
    .venv/bin/python bench/run.py --sizes 1000,50000 --site-sizes 200000 --repeat 5 --out /tmp/bench.md

For every size it writes a synthetic ``places.csv`` (``bench/synth.py``, same
bytes for the same seed) and measures:

* ``mapgen build --offline`` run as its own process: wall time, CPU time and
  peak memory (the proportional set size of the build and the fork writing its
  exports, summed and sampled every 20 ms: memory they share is counted once),
  first with an empty page cache, then as a rebuild;
* single-file sizes (``--sizes``): ``map.html`` against the CSV, and in
  headless Chromium the map opened from the disk (``bench/pagetime.py``):
  until usable, a type filter off and on, a popup's text;
* site sizes (``--site-sizes``, default 1,000,000; ``--no-million`` skips
  them): the default build (``map.html`` + ``places.geojson``) and
  ``mapgen build --site``, each a first build and rebuilds; the site served
  over HTTP by ``mapgen serve``'s server and timed in Chromium as above, with
  the bytes it transferred before it was usable; the single file of the same
  size opened once, for comparison;
* the straightforward folium map (``bench/naive.py``) on the same data up to
  10,000 rows, and ``mapgen build`` of the shipped ``places.csv``, in the same run;
  at those sizes also both builds alone, in a process that has already imported
  what they import (``bench/startup.py``): at 10,000 rows most of mapgen's build
  is Python starting and importing pandas, numpy and pyarrow.

Results go to the part of ``BENCHMARKS.md`` between the ``results`` markers
(``bench/report.py``); the command exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from synth import write_places_csv  # noqa: E402

NAIVE_MAX_ROWS = 10_000


@dataclass
class Run:
    """One process: wall and CPU seconds, peak memory in MB (PSS, with its forks), seconds it waited for a free CPU."""

    wall: float
    cpu: float
    rss_mb: float
    cpu_wait: float = 0.0


@dataclass
class Builds:
    """A first build (empty page cache: folium renders the page) and rebuilds (as after an edit of the CSV)."""

    first: Run
    later: list[Run]
    memory: list[Run] = field(default_factory=list)  # a first build and a rebuild more, memory sampled

    def median(self, attr: str = "wall") -> float:
        return statistics.median(getattr(r, attr) for r in self.later)

    def peak_mb(self) -> float:
        return max(r.rss_mb for r in [self.first, *self.later, *self.memory])


def median(pages: list, attr: str) -> float:
    return statistics.median(getattr(p, attr) for p in pages)


@dataclass
class Figures:
    """Everything measured for one single-file size."""

    rows: int
    csv_bytes: int
    builds: Builds | None = None
    html_bytes: int = 0
    geojson_bytes: int = 0
    pages: list = field(default_factory=list)  # pagetime.PageTimes
    naive: Run | None = None
    naive_html_bytes: int = 0
    mapgen_work: float = 0.0  # seconds of a build in a process that has imported everything (bench/startup.py)
    naive_work: float = 0.0   # the same for bench/naive.py


@dataclass
class SiteFigures:
    """A large dataset built both ways, and its site (and, once, its single file) in Chromium."""

    rows: int
    csv_bytes: int
    default: Builds | None = None      # map.html + places.geojson
    site: Builds | None = None         # --site
    html_bytes: int = 0
    geojson_bytes: int = 0
    site_bytes: int = 0                # the whole site folder but places.geojson
    data_bytes: int = 0                # data/map.json
    chunks: int = 0                    # data/texts/*.json
    chunk_bytes: int = 0
    pages: list = field(default_factory=list)  # the site over HTTP
    file_page: object | None = None    # map.html from the disk, once


def run_process(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, memory: bool = False) -> Run:
    """Run ``cmd`` to completion; raise with its output if it fails.

    Besides the kernel's accounting of the child (CPU time), the time it
    spent ready to run but waiting for a CPU is read from
    ``/proc/PID/schedstat`` every 20 ms: on a machine shared with other work,
    that is how much of the wall time others took. With ``memory``, memory is
    sampled at the same time: the sum of the proportional set size (``Pss``
    of ``/proc/PID/smaps_rollup``) of the process and its children. The
    kernel's peak resident size would not do: a fork's shares its parent's
    pages and both would count them, and a child's peak starts with the
    size of the benchmark itself, from which it was forked. Reading
    ``smaps_rollup`` walks the process's memory map: about 10 ms of CPU for
    a build of a million rows, so sampling it every 20 ms would take a third
    of one of this machine's two cores from the build it measures; the timed
    runs do not sample it.
    """
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env)
        waited, peak = [0.0], [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                try:
                    waited[0] = int(Path(f"/proc/{proc.pid}/schedstat").read_text().split()[1]) / 1e9
                except (OSError, ValueError, IndexError):
                    pass
                if memory:
                    peak[0] = max(peak[0], sum(_pss_kb(pid) for pid in _tree(proc.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            out.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.read().decode(errors='replace')}")
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=peak[0] / 1024, cpu_wait=waited[0])


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, as /proc lists them now."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def mapgen_command() -> list[str]:
    """The ``mapgen`` command of this environment, as a user types it."""
    script = Path(sys.executable).with_name("mapgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mapgen"]


def builds(csv: Path, out: Path, page_cache: Path, repeat: int, *extra: str) -> Builds:
    """``mapgen build --offline [extra]``: once with an empty page cache, then ``repeat`` times as after an edit.

    Then a first build and a rebuild more, their memory sampled (:func:`run_process`).
    """
    env = {**os.environ, "MAPGEN_PAGE_CACHE": str(page_cache)}
    cmd = mapgen_command() + ["build", "--offline", str(csv), "-o", str(out), *extra]
    shutil.rmtree(page_cache, ignore_errors=True)
    first = run_process(cmd, csv.parent, env)
    later = [run_process(cmd, csv.parent, env) for _ in range(repeat)]
    shutil.rmtree(page_cache, ignore_errors=True)
    memory = [run_process(cmd, csv.parent, env, memory=True) for _ in range(2)]
    return Builds(first, later, memory)


def work_alone(how: str, csv: Path, out: Path, page_cache: Path, repeat: int) -> float:
    """Median seconds of ``how``'s build of ``csv`` in a process that has already imported what it imports.

    Python's start and the imports are the rest of the build's time. The
    modules are listed by one build run for that (``bench/startup.py``).
    """
    listed, script = csv.parent / f"{how}-imports.txt", str(BENCH / "startup.py")
    env = {**os.environ, "MAPGEN_PAGE_CACHE": str(page_cache)}  # as the timed rebuilds have it
    run_process([sys.executable, script, "list", how, str(csv), str(out), str(listed)], csv.parent, env)
    runs = []
    for _ in range(max(3, repeat)):  # the naive map at 10,000 rows: about 13 s each
        done = subprocess.run([sys.executable, script, "work", how, str(csv), str(out), str(listed)], cwd=csv.parent,
                              env=env, capture_output=True, text=True, check=True)
        runs.append(float(done.stdout.split()[-1]))
    return statistics.median(runs)


def compile_bytecode() -> None:
    """Compile mapgen's modules to bytecode, as installing mapgen or its first run does.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (as in some containers) no run
    would ever store them, and every build would pay that compiling (~30 ms)
    as no installed user does.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "mapgen"), quiet=1)


class OtherLoad:
    """CPU time used by processes other than this one and its descendants while the benchmark runs.

    Sampled every two seconds: a process that starts and ends between two
    samples is missed, so this is a lower bound.
    """

    def __init__(self, every: float = 2.0) -> None:
        import psutil

        self._psutil = psutil
        self.every = every
        self.first: dict[tuple[int, float], float] = {}
        self.last: dict[tuple[int, float], float] = {}
        self.started = time.monotonic()
        self.ended = self.started
        self._stop = threading.Event()
        self._sample(initial=True)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _sample(self, initial: bool = False) -> None:
        psutil = self._psutil
        me = psutil.Process()
        ours = {me.pid} | {p.pid for p in me.children(recursive=True)}
        for proc in psutil.process_iter(["pid", "create_time", "cpu_times"]):
            info = proc.info
            if info["pid"] in ours or info["cpu_times"] is None:
                continue
            key, used = (info["pid"], info["create_time"]), info["cpu_times"].user + info["cpu_times"].system
            # a process born during the run: all its time counts
            self.first.setdefault(key, used if initial else 0.0)
            self.last[key] = used

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self._sample()
            except Exception:  # a process vanished mid-read: the next sample sees the rest
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.ended = time.monotonic()

    def cpu_seconds(self) -> float:
        return sum(self.last[k] - self.first[k] for k in self.last)

    def describe(self) -> str:
        wall = self.ended - self.started
        return (f"{self.cpu_seconds():.0f} CPU-seconds in {wall / 60:.0f} minutes "
                f"({self.cpu_seconds() / wall:.2f} of a core on average)")


def measure(sizes: list[int], site_sizes: list[int], repeat: int, work: Path, browser: bool, naive: bool,
            seed: int, log=print) -> tuple[list[Figures], list[SiteFigures], Builds, str | None]:
    """Measure every size; return the figures, the shipped dataset's builds and Chromium's version."""
    page_cache = work / "page-cache"
    compile_bytecode()
    shipped = builds(ROOT / "places.csv", work / "shipped-out", page_cache, repeat)
    log(f"shipped places.csv: build {shipped.median():.2f} s (first {shipped.first.wall:.2f} s)")
    pw = chromium = None
    if browser:
        from playwright.sync_api import sync_playwright

        import pagetime

        pw = sync_playwright().start()
        chromium = pagetime.launch(pw)
    version = chromium.version if chromium is not None else None
    try:
        single = [_single(rows, repeat, work, page_cache, chromium, naive, seed, log) for rows in sizes]
        sites = [_site(rows, repeat, work, page_cache, chromium, seed, log) for rows in site_sizes]
    finally:
        if chromium is not None:
            chromium.close()
            pw.stop()
    return single, sites, shipped, version


def _csv(work: Path, rows: int, seed: int) -> Path:
    csv = work / f"rows-{rows}" / "places.csv"
    if not csv.exists():
        write_places_csv(csv, rows, seed)
    return csv


def _pages(chromium, open_once, repeat: int, log) -> list:
    import pagetime

    pages = []
    for _ in range(repeat):
        page = open_once()
        log("  " + pagetime.describe(page).replace("\n", "\n  "))
        if page.problems:
            raise RuntimeError("the map page misbehaved:\n  " + "\n  ".join(page.problems))
        pages.append(page)
    return pages


def _single(rows: int, repeat: int, work: Path, page_cache: Path, chromium, naive: bool, seed: int,
            log) -> Figures:
    csv = _csv(work, rows, seed)
    fig = Figures(rows=rows, csv_bytes=csv.stat().st_size)
    out = csv.parent / "out"
    fig.builds = builds(csv, out, page_cache, repeat)
    fig.html_bytes = (out / "map.html").stat().st_size
    fig.geojson_bytes = (out / "places.geojson").stat().st_size
    log(f"{rows:,} rows: build {fig.builds.median():.2f} s (first {fig.builds.first.wall:.2f} s), "
        f"{fig.builds.peak_mb():.0f} MB, map.html {fig.html_bytes / fig.csv_bytes:.2f}x the CSV")
    if chromium is not None:
        import pagetime

        fig.pages = _pages(chromium, lambda: pagetime.time_page(chromium, out / "map.html"), repeat, log)
    if naive and rows <= NAIVE_MAX_ROWS:
        target = csv.parent / "naive.html"
        fig.naive = run_process([sys.executable, str(BENCH / "naive.py"), str(csv), str(target)], csv.parent)
        fig.naive_html_bytes = target.stat().st_size
        log(f"  naive folium: {fig.naive.wall:.2f} s, {fig.naive_html_bytes / 1e6:.1f} MB "
            f"-> mapgen {fig.naive.wall / fig.builds.median():.0f}x faster")
        fig.mapgen_work, fig.naive_work = (work_alone(how, csv, out if how == "mapgen" else target, page_cache,
                                                      repeat) for how in ("mapgen", "naive"))
        log(f"  the work alone, after the imports: mapgen {fig.mapgen_work:.3f} s, naive {fig.naive_work:.2f} s "
            f"-> {fig.naive_work / fig.mapgen_work:.0f}x")
    return fig


def _site(rows: int, repeat: int, work: Path, page_cache: Path, chromium, seed: int, log) -> SiteFigures:
    csv = _csv(work, rows, seed)
    fig = SiteFigures(rows=rows, csv_bytes=csv.stat().st_size)
    out, site = csv.parent / "out", csv.parent / "site"
    fig.default = builds(csv, out, page_cache, repeat)
    fig.html_bytes = (out / "map.html").stat().st_size
    fig.geojson_bytes = (out / "places.geojson").stat().st_size
    log(f"{rows:,} rows, map.html: build {fig.default.median():.2f} s (first {fig.default.first.wall:.2f} s), "
        f"{fig.default.peak_mb():.0f} MB")
    fig.site = builds(csv, site, page_cache, repeat, "--site")
    files = [p for p in site.rglob("*") if p.is_file() and p.name != "places.geojson"]
    fig.site_bytes = sum(p.stat().st_size for p in files)
    fig.data_bytes = (site / "data" / "map.json").stat().st_size
    chunks = list((site / "data" / "texts").glob("*.json"))
    fig.chunks, fig.chunk_bytes = len(chunks), sum(p.stat().st_size for p in chunks)
    log(f"{rows:,} rows, --site: build {fig.site.median():.2f} s (first {fig.site.first.wall:.2f} s), "
        f"{fig.site.peak_mb():.0f} MB")
    if chromium is not None:
        import pagetime

        log("  the site over HTTP:")
        fig.pages = _pages(chromium, lambda: pagetime.time_site(chromium, site), repeat, log)
        log("  map.html from the disk, once:")
        fig.file_page = _pages(chromium, lambda: pagetime.time_page(chromium, out / "map.html"), 1, log)[0]
    return fig


def main(argv: list[str] | None = None) -> int:
    import report

    parser = argparse.ArgumentParser(description="Scale benchmark of mapgen (see BENCHMARKS.md).")
    parser.add_argument("--sizes", default=None,
                        help="rows of the single-file maps, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--site-sizes", default=None,
                        help="rows of the datasets also built as a site, comma-separated (default 1000000)")
    parser.add_argument("--no-million", action="store_true", help="no site sizes (the part that takes minutes)")
    parser.add_argument("--quick", action="store_true",
                        help="1k and 10k rows, one run each, no site sizes unless named, nothing written")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement (default 3; 1 with --quick)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive folium baseline")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to update (default BENCHMARKS.md)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the generated data and maps in this folder (and reuse its CSV files)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(",")]
    site_sizes = [] if args.no_million or (args.quick and args.site_sizes is None) else [
        int(s) for s in (args.site_sizes or "1000000").split(",") if s]
    repeat = args.repeat or (1 if args.quick else 3)
    out = args.out or (None if args.quick else ROOT / "BENCHMARKS.md")
    work = args.keep or Path(tempfile.mkdtemp(prefix="mapgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    others = OtherLoad()
    try:
        single, sites, shipped, chromium = measure(sizes, site_sizes, repeat, work, browser=not args.no_browser,
                                                   naive=not args.no_naive, seed=args.seed)
    finally:
        others.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    command = ".venv/bin/python bench/run.py" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(
        sys.argv[1:] if argv is None else argv))
    about = report.machine(chromium, load, others.describe())
    block = report.markdown(single, sites, shipped, about, repeat, command)
    print(block.replace(report.START, "").replace(report.END, "").strip())
    if out is not None:
        report.write(out, block)
        print(f"\nwritten to {out}")
    return 0 if all(ok is not False for _, _, _, ok in report.targets(single, sites, shipped)) else 1


if __name__ == "__main__":
    sys.exit(main())
