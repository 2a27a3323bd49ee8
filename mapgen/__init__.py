"""mapgen: turn places mentioned in news reports into an interactive incident map.

Library use (the CLI does the same)::

    import mapgen
    result = mapgen.build("places.csv", "output")
    result.map          # the folium map; displays itself in a notebook
    ds = mapgen.load("places.csv")   # checked data, raises mapgen.DataError
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigError, DataError, GeocodingError, MapgenError, OutputError, Problem

__version__ = "0.1.0"
__all__ = ["build", "load", "MapgenError", "DataError", "ConfigError", "GeocodingError",
           "OutputError", "Problem", "__version__"]


def build(*args: Any, **kwargs: Any):  # noqa: ANN201 - see mapgen.pipeline.build
    """Build the map; see :func:`mapgen.pipeline.build`."""
    from .pipeline import build as _build

    return _build(*args, **kwargs)


def load(*args: Any, **kwargs: Any):  # noqa: ANN201 - see mapgen.validate.load
    """Read and check a places CSV; see :func:`mapgen.validate.load`."""
    from .validate import load as _load

    return _load(*args, **kwargs)
