"""The ``mapgen`` command: a thin shell that parses options, calls the library, prints.

Exit codes: 0 success, 1 bad data or a failed lookup (the message says what to
fix), 2 bad usage (click's own).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

from .errors import MapgenError
from .export import FORMATS, chosen

CSV_ARG = click.argument("csv", default="places.csv", type=click.Path(dir_okay=False, path_type=Path))
ENCODING_OPT = click.option("--encoding", default=None, metavar="NAME",
                            help="Text encoding of the CSV when it is not UTF-8 (e.g. cp1252).")


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a user's mistake as a message and exit 1, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MapgenError as exc:
            click.echo(f"Error: {exc}" if "\n" not in str(exc) else str(exc), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; files already written are complete.", err=True)
            sys.exit(130)

    return wrapper


def _check_user_agent(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty; services require an application to identify itself.")
    return value


def geocoder_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that choose and configure the geocoding service (build and geocode)."""
    options = [
        click.option("--geocoder", "service", default="nominatim", show_default=True, metavar="NAME",
                     help="A geopy service (nominatim, photon, opencage, ...); keys from MAPGEN_<NAME>_API_KEY."),
        click.option("--nominatim-url", metavar="URL", help="A self-hosted Nominatim, e.g. http://localhost:8080."),
        click.option("--user-agent", metavar="UA", callback=_check_user_agent,
                     help="How mapgen identifies itself to the service "
                          "(default: $MAPGEN_USER_AGENT, else mapgen/0.1)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=10, show_default=True,
                     help="Seconds to wait for one answer."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mapgen")
def cli() -> None:
    """Turn places mentioned in news reports into an interactive incident map.

    Edit places.csv, run `mapgen build`, open output/map.html.
    """


@cli.command()
@CSV_ARG
@click.option("-o", "--out", "out_dir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for map.html and places.geojson.")
@click.option("--offline", is_flag=True, help="Never use the network: manual coordinates, cache and gazetteer only.")
@click.option("--open", "open_browser", is_flag=True, help="Open the map in the web browser when done.")
@click.option("--lang", type=click.Choice(["en", "de"]), default=None,
              help="Build only the map in this language (default: each of langs in mapgen.toml, map.html "
                   "in the first and map.de.html… in the others; else its lang, else en).")
@click.option("--self-contained", is_flag=True,
              help="Inline every script, style and font so the map opens with no internet (except map tiles).")
@click.option("--format", "formats", multiple=True, metavar="NAME", type=click.Choice(list(FORMATS)),
              help="Also write " + "; ".join(f"{f.name}: {f.filename}, {f.help}" for f in FORMATS.values()
                                             if not f.always)
                   + " (repeatable). " + " and ".join(f.filename for f in FORMATS.values() if f.always)
                   + " are always written.")
@click.option("--site", is_flag=True,
              help="Write a folder for web hosting instead of map.html (index.html, data/, assets/): it loads "
                   "what the first view needs and the rest when asked for, for large datasets. Same as --format site.")
@click.option("--accept-flagged", is_flag=True,
              help="Map geocoding results that fall outside the dataset's area (check them first).")
@geocoder_options
@ENCODING_OPT
@friendly_errors
def build(csv: Path, out_dir: Path, offline: bool, open_browser: bool, lang: str | None,
          self_contained: bool, formats: tuple[str, ...], site: bool, accept_flagged: bool, service: str,
          nominatim_url: str | None, user_agent: str | None, timeout: float, encoding: str | None) -> None:
    """Build map.html and places.geojson from CSV (default: places.csv)."""
    from .pipeline import build as run_build, summary_line

    result = run_build(csv, out_dir, offline=offline, lang=lang, self_contained=self_contained,
                       encoding=encoding, open_browser=open_browser, accept_flagged=accept_flagged,
                       geocoder_options={"service": service, "nominatim_url": nominatim_url,
                                         "user_agent": user_agent, "timeout": timeout},
                       formats=tuple(f.name for f in chosen(formats + (("site",) if site else ()))))
    for note in result.notes:
        click.echo(f"Check: {note}", err=True)
    click.echo(summary_line(result))


@cli.command()
@CSV_ARG
@ENCODING_OPT
@friendly_errors
def validate(csv: Path, encoding: str | None) -> None:
    """Check CSV and list every problem with its line; writes nothing."""
    from .validate import load

    ds = load(csv, encoding=encoding)
    unlocated = int((~ds.located).sum())
    more = f"; {unlocated} without coordinates (run `mapgen geocode`)" if unlocated else ""
    from .pipeline import counted

    click.echo(f"{csv}: OK: {counted(len(ds.rows), 'incident')} at {counted(len(ds.places), 'place')}{more}.")


@cli.group()
def assets() -> None:
    """The pinned map scripts and styles (for --self-contained and the tests)."""


@assets.command("fetch")
@friendly_errors
def assets_fetch() -> None:
    """Download the pinned packages from the npm registry once and verify their hashes."""
    from .page import assets as lib

    written = lib.fetch()
    click.echo(f"{len(written)} files fetched and verified into {lib.cache_dir()}"
               if written else f"All pinned assets already verified in {lib.cache_dir()}")


def main() -> None:
    """Console-script entry point.

    A finished command leaves at once, as mypy's ``--fast-exit`` does: tearing
    down pandas' modules and the data object by object would add time to every
    command and frees nothing the exit does not. Output is
    flushed first; files are complete before a command returns. (From Python,
    call :data:`cli` or the library, not this.)
    """
    try:
        cli(prog_name="mapgen")
    except SystemExit as done:
        if not isinstance(done.code, (int, type(None))):
            raise
        _fast_exit(done.code or 0)
    _fast_exit(0)


def _fast_exit(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (cron, `>&-`, pythonw)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (mapgen … | head): nothing more to say
            pass
    os._exit(code)


@cli.command("geocode")
@CSV_ARG
@click.option("--offline", is_flag=True,
              help="No network: manual coordinates, geocache.csv and the city/country gazetteer only.")
@geocoder_options
@click.option("--review", is_flag=True, help="Print a table to check every result: query, result, distance, source.")
@click.option("--write", is_flag=True, help="Fill the empty lat/lon cells of CSV with the results (nothing else).")
@click.option("--accept-flagged", is_flag=True,
              help="Use results outside the expected area or far from the other places.")
@ENCODING_OPT
@friendly_errors
def geocode_command(csv: Path, offline: bool, service: str, nominatim_url: str | None, user_agent: str | None,
                    timeout: float, review: bool, write: bool, accept_flagged: bool,
                    encoding: str | None) -> None:
    """Find coordinates for places without lat/lon and save them in geocache.csv."""
    from .errors import GeocodingError
    from .geocode.command import failure_message, geocode_csv, review_table, summary_lines

    run = geocode_csv(csv, offline=offline, service=service, nominatim_url=nominatim_url,
                      user_agent=user_agent, timeout=timeout, accept_flagged=accept_flagged,
                      write=write, encoding=encoding)
    if review:
        click.echo(review_table(run))
    for line in summary_lines(run):
        click.echo(line)
    if not run.ok:
        raise GeocodingError(failure_message(run))


@cli.command("watch")
@CSV_ARG
@click.option("-o", "--out", "out_dir", default="output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for map.html and places.geojson.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 to serve the map on (0: any free port).")
@click.option("--no-open", is_flag=True, help="Do not open the map in the web browser.")
@click.option("--offline", is_flag=True, help="Never use the network: manual coordinates, cache and gazetteer only.")
@click.option("--lang", type=click.Choice(["en", "de"]), default=None,
              help="Language of the map's interface (default: mapgen.toml, else en).")
@ENCODING_OPT
@friendly_errors
def watch_command(csv: Path, out_dir: Path, port: int, no_open: bool, offline: bool, lang: str | None,
                  encoding: str | None) -> None:
    """Serve the map on 127.0.0.1 and rebuild it each time CSV is saved; Ctrl-C stops.

    The link printed (and opened) carries a secret for this run: only a
    browser that opened it sees the map and can edit it on the map.
    """
    import webbrowser

    from .serve.watch import run

    run(csv, out_dir, port=port, opener=None if no_open else webbrowser.open,
        echo=lambda message, is_error=False: click.echo(message, err=is_error), offline=offline, lang=lang,
        encoding=encoding)


@cli.command("serve")
@click.argument("folder", default="output", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--port", default=8766, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-open", is_flag=True, help="Do not open the map in the web browser.")
@friendly_errors
def serve_command(folder: Path, port: int, no_open: bool) -> None:
    """Serve a site (mapgen build --site) or any output folder on 127.0.0.1 for this machine only; Ctrl-C stops."""
    import webbrowser

    from .serve.site import serve

    serve(folder, port=port, opener=None if no_open else webbrowser.open,
          echo=lambda message: click.echo(message))


@cli.command("snapshot")
@click.argument("source", metavar="MAP_OR_CSV", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", default="map.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@click.option("--width", default=1200, show_default=True, type=click.IntRange(100, 8192), help="Width in pixels.")
@click.option("--height", default=630, show_default=True, type=click.IntRange(100, 8192), help="Height in pixels.")
@click.option("--lang", type=click.Choice(["en", "de"]), default=None,
              help="Language of a map built from a CSV (default: mapgen.toml, else en).")
@click.option("--wait-tiles", default=15.0, show_default=True, type=click.FloatRange(min=0), metavar="S",
              help="Seconds to wait for the map tiles.")
@click.option("--offline", is_flag=True,
              help="Let no request leave this machine: the basemap is blank (the map's scripts come from "
                   "the asset cache, see `mapgen assets fetch`).")
@click.option("--geocode", is_flag=True,
              help="For a CSV: locate places without coordinates with Nominatim (default: manual "
                   "coordinates, geocache.csv and the gazetteer only).")
@click.option("--chromium", metavar="PATH",
              help="The Chromium to draw with (default: $MAPGEN_CHROMIUM, else /usr/bin/chromium, "
                   "else Playwright's own).")
@ENCODING_OPT
@friendly_errors
def snapshot_command(source: Path, out: Path, width: int, height: int, lang: str | None, wait_tiles: float,
                     offline: bool, geocode: bool, chromium: str | None, encoding: str | None) -> None:
    """Write a PNG of the map (a map.html, or a places CSV built first) at the given size.

    Headless Chromium draws it through Playwright: pip install 'mapgen[snapshot]'.
    """
    from .page.snapshot import snapshot

    result = snapshot(source, out, width=width, height=height, lang=lang, wait_tiles=wait_tiles,
                      offline=offline, geocode=geocode, chromium=chromium, encoding=encoding)
    for note in result.notes:
        click.echo(note, err=True)
    click.echo(result.summary)


@cli.command("import-acled")
@click.argument("export", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out", default="places.csv", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Places file to write.")
@click.option("--append", is_flag=True,
              help="Add the events to an existing places file (events already there are skipped).")
@ENCODING_OPT
@friendly_errors
def import_acled_command(export: Path, out: Path, append: bool, encoding: str | None) -> None:
    """Turn an ACLED export (CSV) into rows of a places file."""
    from .acled import import_acled

    result = import_acled(export, out, append=append, encoding=encoding)
    skipped = f"; {result.skipped} already there, skipped" if result.skipped else ""
    click.echo(f"{len(result.rows)} events written to {out}{skipped}.")
    if result.renamed:
        click.echo(f"{len(result.renamed)} place names got their region added, because ACLED uses them "
                   "for several locations (e.g. " + next(iter(result.renamed)) + ").")
    if result.untyped:
        click.echo(f"Check: {len(result.untyped)} events have no incident type, as their ACLED type fits "
                   f"several of ours (e.g. {result.untyped[0]}); fill in 'incidents'.", err=True)


@cli.command("extract")
@click.argument("article", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "csv_path", default="places.csv", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Places file whose names to look for.")
@click.option("--append", is_flag=True, help="Add the candidate rows to the places file instead of printing them.")
@click.option("--source", default=None, help="Text for the 'source' column (default: the report's file name).")
@click.option("--date", default="", metavar="YYYY-MM-DD", help="Date of the report, for the 'date' column.")
@click.option("--lang", default="auto", show_default=True, type=click.Choice(["auto", "de", "en", "ru"]),
              help="Language of the report; auto tells German, English and Russian apart.")
@click.option("--min-population", default=100_000, show_default=True, type=click.IntRange(15_000),
              help="Only cities of the gazetteer with at least this many people count.")
@click.option("--encoding", default=None, metavar="NAME", help="Text encoding of the report when it is not UTF-8.")
@friendly_errors
def extract_command(article: Path, csv_path: Path, append: bool, source: str | None, date: str, lang: str,
                    min_population: int, encoding: str | None) -> None:
    """List one candidate row per place a report names, with suggested incident types (status candidate)."""
    from .extract import extract_file, rows_csv

    rows, added = extract_file(article, csv_path, append=append, source=source, date=date,
                               lang=None if lang == "auto" else lang, min_population=min_population,
                               encoding=encoding)
    if not append:
        click.echo(rows_csv(rows), nl=False)
        click.echo(f"{len(rows)} candidate rows; nothing was written (use --append to add them to {csv_path}).",
                   err=True)
    else:
        click.echo(f"{added} candidate rows added to {csv_path}"
                   + (f" ({len(rows) - added} were already there)" if len(rows) > added else "")
                   + "; review them and change their status.")
