"""`mapgen build` on places without coordinates: a local Nominatim, the cache, the gazetteer."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner
from nominatim_server import NominatimServer

from mapgen.cli import cli

CSV = (
    "place,address,lat,lon,precision,incidents,date,status,summary,source\n"
    "Almaty,Almaty,,,city,curfew,2022-01-08,reported,Curfew.,DW\n"
    "Square,\"Republic Square, Almaty\",,,exact,gunfire,2022-01-08,unverified,Shots.,DW\n"
    "Airport,,43.3521,77.0405,exact,closure,2022-01-08,reported,Shut.,DW\n"
)


def sources(out: Path) -> dict[str, tuple[str, str]]:
    features = json.loads((out / "places.geojson").read_text("utf-8"))["features"]
    return {f["properties"]["place"]: (f["properties"]["location_source"], f["properties"]["precision"])
            for f in features}


def test_build_geocodes_through_a_local_nominatim_then_uses_the_cache(tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(CSV, "utf-8")
    (tmp_path / "mapgen.toml").write_text('countrycodes = ["kz"]\n', "utf-8")
    with NominatimServer() as server:
        args = ["build", str(csv), "-o", str(tmp_path / "out"), "--nominatim-url", server.url,
                "--user-agent", "mapgen-tests/1.0 (tests@example.org)"]
        first = CliRunner().invoke(cli, args)
        assert first.exit_code == 0, first.output
        assert sorted(r.q for r in server.requests) == ["Almaty", "Republic Square, Almaty"]
        assert all(r.params.get("countrycodes") == "kz" for r in server.requests)
        assert sources(tmp_path / "out") == {
            "Almaty": ("nominatim", "city"), "Square": ("nominatim", "exact"), "Airport": ("manual", "exact")}
        cache = (tmp_path / "geocache.csv").read_text("utf-8")
        assert "Republic Square, Almaty" in cache and "Площадь Республики" in cache

        again = CliRunner().invoke(cli, args)
        assert again.exit_code == 0, again.output
        assert len(server.requests) == 2  # the second build asks nothing
        assert sources(tmp_path / "out")["Square"] == ("cache", "exact")


def test_offline_build_uses_the_gazetteer_and_says_what_it_could_not_pin(tmp_path):
    csv = tmp_path / "places.csv"
    csv.write_text(CSV.replace("Republic Square, Almaty", "Bakery by the old square"), "utf-8")
    result = CliRunner().invoke(cli, ["build", str(csv), "-o", str(tmp_path / "out"), "--offline"])
    assert result.exit_code == 1
    assert "places.csv:3: column 'place': 'Square' could not be located: 'Bakery by the old square': offline" \
        in result.output
    assert not (tmp_path / "out").exists()

    csv.write_text(CSV.replace("\"Republic Square, Almaty\"", "Alma-Ata"), "utf-8")
    result = CliRunner().invoke(cli, ["build", str(csv), "-o", str(tmp_path / "out"), "--offline"])
    assert result.exit_code == 0, result.output
    # an "exact" place that only a city-level source could locate is not shown as exact
    assert sources(tmp_path / "out")["Square"] == ("gazetteer", "city")
    assert "Check: Square: located only at city level (gazetteer); shown as city, not exact" in result.output


def test_build_with_no_network_says_so_at_once_and_falls_back_to_the_gazetteer(mapgen_cli, tmp_path):
    """No network (here: a port nothing listens on): one retry, said as it happens, then the gazetteer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    csv = tmp_path / "places.csv"
    csv.write_text(CSV.replace("\"Republic Square, Almaty\"", "Alma-Ata"), "utf-8")
    result = mapgen_cli("build", str(csv), "-o", str(tmp_path / "out"), "--nominatim-url",
                        f"http://127.0.0.1:{port}")
    assert result.exit_code == 0, result.output
    # one retry, not three per place with growing waits: said as it happens
    assert result.stderr.splitlines()[:2] == [
        f"nominatim unreachable at http://127.0.0.1:{port}/search ([Errno 111] Connection refused); "
        "retrying in 2 s…",
        "nominatim cannot be reached: using the offline gazetteer for 2 places (city or country level).",
    ]
    assert sources(tmp_path / "out")["Almaty"] == ("gazetteer", "city")
