"""Per-dataset settings, read from an optional ``mapgen.toml`` beside the CSV.

Example::

    title = "Almaty, January 2022"
    description = "Places named in two DW reports on the unrest."
    countrycodes = ["kz"]            # geocoding bias and area check
    viewbox = [76.6, 43.0, 77.3, 43.5]  # optional: west, south, east, north
    lang = "en"                      # interface language: en or de
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

LANGS = ("en", "de")
CONFIG_NAME = "mapgen.toml"


@dataclass(frozen=True)
class Config:
    """Settings of one dataset; every field has a sensible default."""

    title: str = "Incident map"
    description: str = ""
    countrycodes: list[str] = field(default_factory=list)
    viewbox: tuple[float, float, float, float] | None = None
    lang: str = "en"


def load_config(csv_path: str | Path) -> Config:
    """Read ``mapgen.toml`` next to ``csv_path``; defaults when there is none."""
    path = Path(csv_path).with_name(CONFIG_NAME)
    if not path.is_file():
        return Config()
    try:  # imported here: most datasets have no mapgen.toml
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    try:
        raw = tomllib.loads(path.read_text("utf-8-sig"))  # Notepad writes a byte-order mark
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the file or delete it.") from None
    known = set(Config.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
        )
    lang = raw.get("lang", "en")
    if lang not in LANGS:
        raise ConfigError(f"{path}: lang = {lang!r} is not supported; use one of {', '.join(LANGS)}.")
    viewbox = raw.get("viewbox")
    if viewbox is not None:
        if len(viewbox) != 4 or not all(isinstance(v, (int, float)) for v in viewbox):
            raise ConfigError(f"{path}: viewbox must be [west, south, east, north] in degrees.")
        viewbox = tuple(float(v) for v in viewbox)
        west, south, east, north = viewbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ConfigError(f"{path}: viewbox = {list(viewbox)} is not [west, south, east, north]: west must "
                              "be less than east and south less than north, e.g. [76.7, 43.0, 77.2, 43.5].")
    codes = raw.get("countrycodes", [])
    if isinstance(codes, str):
        codes = [codes]
    bad = [c for c in codes if not (isinstance(c, str) and len(c) == 2 and c.isascii() and c.isalpha())]
    if bad:
        raise ConfigError(f"{path}: countrycodes = {bad[0]!r} is not a two-letter country code; "
                          "write ISO codes such as \"kz\" for Kazakhstan.")
    return Config(
        title=str(raw.get("title", Config.title)),
        description=str(raw.get("description", "")),
        countrycodes=[str(c).lower() for c in codes],
        viewbox=viewbox,
        lang=lang,
    )
