"""The ``mapgen`` command: a thin shell that parses options, calls the library, prints.

Exit codes: 0 success, 1 bad data or a failed lookup (the message says what to
fix), 2 bad usage (click's own).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click

from .errors import MapgenError

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
              help="Language of the map's interface (default: mapgen.toml, else en).")
@click.option("--self-contained", is_flag=True,
              help="Inline every script, style and font so the map opens with no internet (except map tiles).")
@ENCODING_OPT
@friendly_errors
def build(csv: Path, out_dir: Path, offline: bool, open_browser: bool, lang: str | None,
          self_contained: bool, encoding: str | None) -> None:
    """Build map.html and places.geojson from CSV (default: places.csv)."""
    from .pipeline import build as run_build, summary_line

    result = run_build(csv, out_dir, offline=offline, lang=lang, self_contained=self_contained,
                       encoding=encoding, open_browser=open_browser)
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
    click.echo(f"{csv}: OK: {len(ds.incidents)} incidents at {len(ds.places)} places{more}.")


@cli.group()
def assets() -> None:
    """The pinned map scripts and styles (for --self-contained and the tests)."""


@assets.command("fetch")
@friendly_errors
def assets_fetch() -> None:
    """Download the pinned packages from the npm registry once and verify their hashes."""
    from . import assets as lib

    written = lib.fetch()
    click.echo(f"{len(written)} files fetched and verified into {lib.cache_dir()}"
               if written else f"All pinned assets already verified in {lib.cache_dir()}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="mapgen")


@cli.command("geocode")
@CSV_ARG
@click.option("--offline", is_flag=True,
              help="No network: manual coordinates, geocache.csv and the city/country gazetteer only.")
@click.option("--geocoder", "service", default="nominatim", show_default=True, metavar="NAME",
              help="A geopy service (nominatim, photon, opencage, ...); keys from MAPGEN_<NAME>_API_KEY.")
@click.option("--nominatim-url", metavar="URL", help="A self-hosted Nominatim, e.g. http://localhost:8080.")
@click.option("--user-agent", metavar="UA",
              help="How mapgen identifies itself to the service (default: $MAPGEN_USER_AGENT, else mapgen/0.1).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10, show_default=True,
              help="Seconds to wait for one answer.")
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
    from .writeback import failure_message, geocode_csv, review_table, summary_lines

    if user_agent is not None and not user_agent.strip():
        raise click.BadParameter("must not be empty; services require an application to identify itself.",
                                 param_hint="--user-agent")
    run = geocode_csv(csv, offline=offline, service=service, nominatim_url=nominatim_url,
                      user_agent=user_agent, timeout=timeout, accept_flagged=accept_flagged,
                      write=write, encoding=encoding)
    if review:
        click.echo(review_table(run))
    for line in summary_lines(run):
        click.echo(line)
    if not run.ok:
        raise GeocodingError(failure_message(run))
