"""mapgen: turn places mentioned in news reports into an interactive incident map.

Every command is also a function (the CLI only parses, calls and prints)::

    import mapgen
    result = mapgen.build("places.csv", "output")   # mapgen build
    result.map                                       # the folium map; displays itself in a notebook
    ds = mapgen.load("places.csv")                   # mapgen validate: checked data, or mapgen.DataError
    run = mapgen.geocode_csv("places.csv", write=True)  # mapgen geocode --write
    mapgen.import_acled("export.csv", "places.csv")  # mapgen import-acled
    mapgen.append_rows("places.csv", rows)           # what extract --append and import-acled --append do
    mapgen.serve("output/site")                      # mapgen serve: a --site folder on 127.0.0.1

The modules follow the pipeline: :mod:`mapgen.read` → :mod:`mapgen.validate`
→ :mod:`mapgen.geocode` → :mod:`mapgen.page` and :mod:`mapgen.export`, run
by :mod:`mapgen.pipeline`; :mod:`mapgen.edit` changes ``places.csv`` in place.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import ConfigError, DataError, GeocodingError, MapgenError, OutputError, Problem

__version__ = "0.1.0"

#: Public functions, imported when first used (pandas and folium are slow to import).
_LAZY = {
    "build": "mapgen.pipeline:build",
    "load": "mapgen.validate:load",
    "geocode_csv": "mapgen.geocode.command:geocode_csv",
    "import_acled": "mapgen.acled:import_acled",
    "extract_file": "mapgen.extract:extract_file",
    "append_rows": "mapgen.edit:append_rows",
    "fill_coordinates": "mapgen.edit:fill_coordinates",
    "watch": "mapgen.serve.watch:run",
    "serve": "mapgen.serve.site:serve",
    "fetch_assets": "mapgen.page.assets:fetch",
    "snapshot": "mapgen.page.snapshot:snapshot",
}

__all__ = [*_LAZY, "MapgenError", "DataError", "ConfigError", "GeocodingError", "OutputError", "Problem",
           "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mapgen' has no attribute {name!r}")
    module, _, attribute = _LAZY[name].partition(":")
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
