"""Per-dataset settings, read from an optional ``mapgen.toml`` beside the CSV.

Example::

    title = "Almaty, January 2022"
    description = "Places named in two DW reports on the unrest."
    countrycodes = ["kz"]            # geocoding bias and area check
    viewbox = [76.6, 43.0, 77.3, 43.5]  # optional: west, south, east, north
    lang = "en"                      # the language of the data, and of the map: en or de
    langs = ["en", "de"]             # maps to build: map.html in the first, map.de.html …
    title_de = "Almaty, Januar 2022" # the title (and description) in another language
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
    langs: tuple[str, ...] = ()  # the maps a build writes (default: lang only)
    titles: dict[str, str] = field(default_factory=dict)  # title_de …
    descriptions: dict[str, str] = field(default_factory=dict)  # description_de …

    def in_language(self, lang: str) -> Config:
        """These settings as a map in ``lang`` shows them: its title and description where given."""
        from dataclasses import replace

        return replace(self, title=self.titles.get(lang, self.title),
                       description=self.descriptions.get(lang, self.description))


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
    known = {"title", "description", "countrycodes", "viewbox", "lang", "langs"}
    known |= {f"{key}_{lang}" for key in ("title", "description") for lang in LANGS}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
        )
    lang = raw.get("lang", "en")
    if lang not in LANGS:
        raise ConfigError(f"{path}: lang = {lang!r} is not supported; use one of {', '.join(LANGS)}.")
    langs = raw.get("langs", [])
    if isinstance(langs, str):
        langs = [langs]
    wrong = [x for x in langs if x not in LANGS]
    if wrong:
        raise ConfigError(f"{path}: langs = {langs!r}: {wrong[0]!r} is not supported; use {', '.join(LANGS)}.")
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
        langs=tuple(dict.fromkeys(langs)),
        titles={x: str(raw[f"title_{x}"]) for x in LANGS if f"title_{x}" in raw},
        descriptions={x: str(raw[f"description_{x}"]) for x in LANGS if f"description_{x}" in raw},
    )
