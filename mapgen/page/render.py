"""Building the folium map: basemaps, controls and the incident layer.

The incident layer is one element (:class:`IncidentLayer`) that embeds the
page data once as JSON and the scripts in ``static/`` that draw markers,
uncertainty circles, popups, filters and panels from it. No text of the data
passes through folium's ``Popup``/``Tooltip`` (which put it inside
JavaScript template literals); the scripts insert it as text nodes.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import folium
import xyzservices.providers as xyz
from branca.element import Element, Figure, MacroElement

from . import assets
from .data import interface_strings, to_script_json

MAX_ZOOM = 18

#: Basemaps offered in the layer switcher: (interface string key, provider).
BASEMAPS = (
    ("basemap_osm", xyz.OpenStreetMap.Mapnik),
    ("basemap_light", xyz.Esri.WorldGrayCanvas),
    ("basemap_satellite", xyz.Esri.WorldImagery),
)


_NO_PAGE_ZOOM = re.compile(r"initial-scale=1\.0,\s*maximum-scale=1\.0,\s*user-scalable=no")


@lru_cache(maxsize=None)
def _static(name: str) -> str:
    return resources.files("mapgen").joinpath(f"static/{name}").read_text("utf-8")


class _Verbatim(Element):
    """Text put into the page exactly as given.

    branca turns the output of a ``MacroElement``'s macros into a new Jinja
    template, so a CSV cell holding ``{{ ... }}`` would be evaluated at build
    time. Our page parts skip that second pass.
    """

    def __init__(self, *parts: str) -> None:
        super().__init__()
        self.parts = parts  # joined only when rendered: the page data is not held twice

    def render(self, **kwargs: Any) -> str:
        return "".join(self.parts)


#: mapgen's scripts: run in the page, in this order, after Leaflet.
PAGE_SCRIPTS = ("map.js", "markers.js", "cards.js", "panel.js", "list.js")


class IncidentLayer(MacroElement):
    """The data and the scripts that turn it into markers and controls.

    ``data_json`` goes in ``<script id="mapgen-data">`` (or, for a site, a
    link to the data file), ``texts_json`` in ``<script id="mapgen-texts">``;
    core.js runs in the page and again, with worker.js and Supercluster, in
    the worker that filters and clusters.
    """

    def __init__(self, data_json: str, texts_json: str | None, head_html: str, worker_html: str,
                 data_src: str | None = None) -> None:
        super().__init__()
        self._name = "IncidentLayer"
        self.data_json = data_json
        self.texts_json = texts_json
        self.head_html = head_html
        self.worker_html = worker_html
        self.data_src = data_src
        self.css = _static("mapgen.css")
        self.js = "".join(_static(name) for name in PAGE_SCRIPTS)

    def render(self, **kwargs: Any) -> None:
        """Add the assets, the data and the scripts to the page, verbatim."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "IncidentLayer must be inside a Figure"
        name = self.get_name()
        figure.header.add_child(_Verbatim(f"{self.head_html}<style>{self.css}</style>\n"), name=name)
        if self.data_src is None:
            data = ('<script type="application/json" id="mapgen-data">', self.data_json, "</script>\n",
                    '<script type="application/json" id="mapgen-texts">', self.texts_json or "", "</script>\n")
        else:
            data = (f'<script type="application/json" id="mapgen-data" data-src="{html.escape(self.data_src)}">'
                    "</script>\n",)
        figure.html.add_child(_Verbatim(
            *data, '<script id="mapgen-core">\n', _static("core.js"), "</script>\n",
            '<script type="text/plain" id="mapgen-worker">\n', _static("worker.js"), "</script>\n",
            self.worker_html), name=name)
        figure.script.add_child(_Verbatim(
            f'{self.js}\nmapgen.start({self._parent.get_name()}, "mapgen-data");\n'), name=name)


def make_map(data: dict[str, Any], texts: str, *, self_contained: bool = False) -> folium.Map:
    """A folium map showing ``data`` and ``texts`` (:func:`mapgen.page.data.inline_texts`)."""
    return page_map(to_script_json(data), texts, data["meta"]["title"], data["i18n"],
                    mode="inline" if self_contained else "cdn")


def page_map(data_json: str, texts_json: str | None, title: str, strings: dict[str, str], *,
             mode: str = "cdn") -> folium.Map:
    """A folium map of page data already encoded by :func:`mapgen.page.data.to_script_json`.

    ``mode`` says where the pinned scripts come from: ``cdn`` (with SRI),
    ``inline`` (self-contained) or ``site`` (files beside the page; the data
    too, in ``data/``).
    """
    figure = Figure(title=html.escape(title))
    fmap = folium.Map(location=None, tiles=None, control_scale=True, zoom_control="topright", max_zoom=MAX_ZOOM)
    # per-map copies: folium keeps these lists on the class, shared by every map
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    for i, (key, provider) in enumerate(BASEMAPS):
        # a basemap with fewer zoom levels is enlarged beyond them instead of going blank
        native = min(int(provider.get("max_zoom", MAX_ZOOM)), MAX_ZOOM)
        folium.TileLayer(tiles=provider, name=strings.get(key, key), show=(i == 0), overlay=False,
                         control=True, max_zoom=MAX_ZOOM, max_native_zoom=native).add_to(fmap)
    folium.LayerControl(position="topright", collapsed=True).add_to(fmap)
    IncidentLayer(data_json, texts_json, assets.head_html(mode), assets.worker_html(mode),
                  data_src=SITE_DATA if mode == "site" else None).add_to(fmap)
    _stable_ids(figure)
    return fmap


#: Where a site's page finds its data.
SITE_DATA = "data/map.json"


def _stable_ids(root: Element) -> None:
    """Give every element a sequential id so the same input renders the same bytes.

    branca draws ids from ``os.urandom``; names in the page derive from them.
    """
    counter = 0
    stack = [root]
    while stack:
        element = stack.pop(0)
        counter += 1
        element._id = f"{counter:04d}"
        stack[0:0] = list(element._children.values())


def render_html(fmap: folium.Map) -> str:
    """The complete HTML page of ``fmap`` (rendered once).

    folium's viewport tag forbids zooming the page, which keeps readers with
    low vision from enlarging the text of the panels; that restriction is dropped.
    """
    page = fmap.get_root().render()
    page = _NO_PAGE_ZOOM.sub("initial-scale=1.0", page, count=1)
    return page if page.endswith("\n") else page + "\n"


def page_html(fmap: folium.Map, lang: str) -> str:
    """The page of ``fmap`` as written to ``map.html``."""
    return page_language_attribute(render_html(fmap), lang)


def page_language_attribute(page: str, lang: str) -> str:
    """Set ``<html lang=…>`` so screen readers pick the right voice."""
    return page.replace("<html>", f'<html lang="{html.escape(lang)}">', 1)


__all__ = ["make_map", "page_map", "page_html", "render_html", "IncidentLayer", "BASEMAPS", "interface_strings",
           "SITE_DATA"]
