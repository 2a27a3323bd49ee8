"""The files of a build: the same bytes however they are made, and none half-made.

A build may take the page around the data from the page cache
(mapgen.page.cache); that may not change a byte of what users get. A build
that fails while writing leaves the last good files and no temporary files.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mapgen
from bench_data import synth
from mapgen.page import cache as pagecache
from mapgen.page.data import interface_strings

ROOT = Path(__file__).resolve().parents[1]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def folium_page(csv: Path, lang: str = "en") -> bytes:
    """map.html rendered by folium from start to end, no cache involved."""
    from mapgen.page.data import inline_texts, page_data, to_script_json
    from mapgen.page.languages import translated

    ds = translated(mapgen.load(csv), lang)
    data = page_data(ds, lang)
    texts = b"".join(inline_texts(ds)).decode("utf-8")
    return pagecache.page_text(to_script_json(data), texts, title=data["meta"]["title"],
                               lang=lang, strings=data["i18n"], cache=None).encode("utf-8")


def build_in_new_process(csv: Path, out: Path, cache: Path) -> bool:
    """Build as a user does; return whether folium had to be imported."""
    code = ("import sys, mapgen; mapgen.build(sys.argv[1], sys.argv[2], offline=True); "
            "print('folium' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, str(csv), str(out)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MAPGEN_PAGE_CACHE": str(cache)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip() == "True"


def test_first_and_later_builds_write_the_same_map_as_folium(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert build_in_new_process(ROOT / "places.csv", tmp_path / "first", cache) is True
    assert build_in_new_process(ROOT / "places.csv", tmp_path / "second", cache) is False  # no folium: faster
    first, second = files_of(tmp_path / "first"), files_of(tmp_path / "second")
    assert first == second
    assert first["map.html"] == folium_page(ROOT / "places.csv")
    assert first == files_of(ROOT / "output")  # the committed map is what a build makes


def test_a_new_title_or_language_is_not_taken_from_the_cache(tmp_path: Path) -> None:
    csv = tmp_path / "places.csv"
    csv.write_bytes((ROOT / "places.csv").read_bytes())
    (tmp_path / "mapgen.toml").write_text('title = "Almaty, first draft"\n', "utf-8")
    mapgen.build(csv, tmp_path / "out", offline=True)
    (tmp_path / "mapgen.toml").write_text('title = "Almaty <b>&</b> environs"\n', "utf-8")
    mapgen.build(csv, tmp_path / "out", offline=True, lang="de")
    page = (tmp_path / "out" / "map.html").read_bytes()
    assert b"<title>Almaty &lt;b&gt;&amp;&lt;/b&gt; environs</title>" in page
    assert b"first draft" not in page
    assert b'<html lang="de">' in page
    assert page == folium_page(csv, "de")


def test_a_damaged_or_unwritable_cache_is_worked_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MAPGEN_PAGE_CACHE", str(cache))
    mapgen.build(ROOT / "places.csv", tmp_path / "a", offline=True)
    stored = sorted(cache.glob("*.html"))
    assert len(stored) == 2  # the page of map.html and that of map.de.html
    for page in stored:
        page.write_bytes(page.read_bytes()[:1000])  # cut short, as by a full disk
    mapgen.build(ROOT / "places.csv", tmp_path / "b", offline=True)
    monkeypatch.setenv("MAPGEN_PAGE_CACHE", str(ROOT / "places.csv"))  # a file, not a folder
    mapgen.build(ROOT / "places.csv", tmp_path / "c", offline=True)
    for name in ("map.html", "map.de.html"):
        expected = (ROOT / "output" / name).read_bytes()
        assert (tmp_path / "b" / name).read_bytes() == expected
        assert (tmp_path / "c" / name).read_bytes() == expected


def test_a_title_holding_the_data_mark_is_rendered_in_full(tmp_path: Path) -> None:
    for mark in (pagecache.MARK, pagecache.TEXTS_MARK):
        page = pagecache.page_text('{"x":1}', '{"y":2}', title=f"odd {mark} title", lang="en",
                                   strings=interface_strings("en"), cache=tmp_path)
        assert page.count('{"x":1}') == 1 and page.count('{"y":2}') == 1
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def export_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth().write_places_csv(tmp_path_factory.mktemp("synth") / "places.csv", 2_000, seed=3)


ALL_FORMATS = ("html", "geojson", "kml", "csv")


def built_and_edited(csv: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes], Path]:
    """``csv`` built into a folder: the folder, its files' bytes, and an edited copy of ``csv`` to build next."""
    out = tmp_path / "out"
    mapgen.build(csv, out, offline=True, formats=ALL_FORMATS)
    edited = tmp_path / "edited.csv"
    edited.write_text(csv.read_text("utf-8").replace("2022-", "2023-"), "utf-8")
    return out, files_of(out), edited


@pytest.mark.parametrize("aside", [False, True], ids=["in-turn", "aside"])
@pytest.mark.parametrize("failure", ["mistake", "bug"])
def test_a_failed_export_leaves_the_last_good_files(export_csv: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, failure: str,
                                                    aside: bool) -> None:
    """Also when the exports are written by a fork while the page is made (as for 100,000 incidents)."""
    from mapgen import pipeline
    from mapgen.export import FORMATS

    if aside:
        monkeypatch.setattr(pipeline, "ASIDE_FROM", 0)
    out, before, edited = built_and_edited(export_csv, tmp_path)

    def broken(target):
        if failure == "mistake":
            raise mapgen.MapgenError("cannot write the KML: disk quota exceeded.")
        return 1 / 0

    monkeypatch.setitem(FORMATS, "kml", dataclasses.replace(FORMATS["kml"], write=broken))
    with pytest.raises(mapgen.MapgenError if failure == "mistake" else ZeroDivisionError):
        mapgen.build(edited, out, offline=True, formats=ALL_FORMATS)
    assert files_of(out) == before  # nothing half-written, no temporary files left


def test_exports_written_aside_are_the_same_bytes(export_csv: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The GeoJSON in parts of 97 incidents, made by the fork and the build at once, lands whole and in order."""
    from mapgen import pipeline
    from mapgen.export import geojson

    mapgen.build(export_csv, tmp_path / "in-turn", offline=True, formats=ALL_FORMATS)
    monkeypatch.setattr(pipeline, "ASIDE_FROM", 0)
    monkeypatch.setattr(geojson, "BLOCK", 97)
    mapgen.build(export_csv, tmp_path / "aside", offline=True, formats=ALL_FORMATS)
    assert files_of(tmp_path / "aside") == files_of(tmp_path / "in-turn")


@pytest.mark.parametrize("failure", ["a part fails", "a part's size is wrong"])
def test_a_geojson_made_by_two_processes_that_fails_leaves_the_last_good_files(
        export_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    from mapgen import pipeline
    from mapgen.export import geojson

    monkeypatch.setattr(pipeline, "ASIDE_FROM", 0)
    monkeypatch.setattr(geojson, "BLOCK", 97)
    out, before, edited = built_and_edited(export_csv, tmp_path)
    if failure == "a part fails":
        made = geojson.GeoJSONParts.__getitem__

        def failing(self, k: int) -> bytes:
            if k == 11:  # whichever process takes it
                raise mapgen.MapgenError("cannot write the GeoJSON: disk quota exceeded.")
            return made(self, k)

        monkeypatch.setattr(geojson.GeoJSONParts, "__getitem__", failing)
        expected = "disk quota exceeded"
    else:
        sizes = geojson.GeoJSONParts.sizes
        monkeypatch.setattr(geojson.GeoJSONParts, "sizes", lambda self: [n + (k == 7) for k, n in enumerate(sizes(self))])
        expected = "part 7 came out"
    with pytest.raises(mapgen.MapgenError, match=expected):
        mapgen.build(edited, out, offline=True, formats=ALL_FORMATS)
    assert files_of(out) == before  # nothing half-written, no temporary files left


def test_text_that_needs_escaping_comes_out_as_python_json_writes_it(tmp_path: Path) -> None:
    """The GeoJSON is byte for byte json.dumps' text; the page's data parses back to the same values."""
    import json

    from mapgen.page.data import page_data

    cells = ['Quote " and \\ backslash', "Tab\tand \x01 control", "Line\u2028separator",
             "</script><!-- ${x} `", "Алматы 😀 émigré", "&amp; <b>"]
    coords = [(0.00005, 0.00001), (43.25, 76.95), (-0.0001, 0.5), (43.2565, 76.9286), (43.3, 77.1), (43.1, 76.8)]
    csv = tmp_path / "places.csv"
    csv.write_text("place,lat,lon,precision,incidents,date,status,summary,source,aliases\n" + "".join(
        f'"{text[:12]} {k}",{lat},{lon},exact,protest,2022-01-0{k + 1},reported,"{text.replace(chr(34), 2 * chr(34))}",'
        f'"{text.replace(chr(34), 2 * chr(34))}","{text.replace(chr(34), 2 * chr(34))}"\n'
        for k, (text, (lat, lon)) in enumerate(zip(cells, coords))), "utf-8")
    mapgen.build(csv, tmp_path / "out", offline=True)

    geojson = (tmp_path / "out" / "places.geojson").read_bytes()
    doc = json.loads(geojson)
    assert geojson == (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    assert [f["properties"]["summary"] for f in doc["features"]] == cells
    assert doc["features"][0]["geometry"]["coordinates"] == [0.00001, 0.00005]

    page = (tmp_path / "out" / "map.html").read_text("utf-8")
    opening = '<script type="application/json" id="mapgen-data">'
    start = page.index(opening) + len(opening)
    data_json = page[start:page.index("</script>", start)]
    assert not {"<", ">", "&"} & set(data_json)
    assert json.loads(data_json) == json.loads(json.dumps(page_data(mapgen.load(csv))))


def test_a_file_given_in_pieces_is_written_whole(tmp_path: Path) -> None:
    from mapgen.atomic import write_atomic

    pieces = [f"piece {k};".encode() for k in range(5000)] + ["ünïcode\n".encode()]
    write_atomic(tmp_path / "out.txt", pieces)
    assert (tmp_path / "out.txt").read_bytes() == b"".join(pieces)
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
