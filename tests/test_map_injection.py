"""A CSV (and mapgen.toml) full of injection payloads: the map shows them as text and runs none."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import mapgen
from browser import marker, open_popup, search
from mapgen.cli import cli

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "`${alert(1)}`",
    "</script><script>alert(1)</script>",
    "\"'\\\"\\\\'); alert(1); // \\u003c",
    "<!-- {{7*7}} {km} {n} &amp; &lt;b&gt; --> </style><svg onload=alert(1)>",
    "{% if 1 %}template{% endif %} {# not a comment {{ cycler.__init__.__globals__ }}",  # Jinja at build time
    "x\u2028y\u2029z <iframe srcdoc='<script>alert(1)</script>'>",
]
TITLE = "Title \"quoted\" 'single' back\\slash </title><script>alert(1)</script> `${alert(1)}` {{7*7}}"
DESCRIPTION = "Description <img src=x onerror=alert(1)> \"\\\" \\n </script><script>alert(1)</script>"
URL = "https://example.org/report?id=1&lang=en#part"
HEADER = ["place", "address", "lat", "lon", "precision", "incidents", "date", "date_precision",
          "status", "summary", "source", "url", "aliases"]


def payload_rows(url: str) -> list[list[str]]:
    """One place per payload, every free-text cell holding it; the last place is country-wide."""
    rows = []
    for k, text in enumerate(PAYLOADS):
        last = k == len(PAYLOADS) - 1
        rows.append([text, text, f"{43.20 + k * 0.01:.4f}", f"{76.90 + k * 0.01:.4f}",
                     "country" if last else ("exact" if k % 2 else "approximate"), "gunfire",
                     f"2022-01-0{k + 1}", "day", "reported", text, text, url, text])
    return rows


def write_dataset(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "places.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(payload_rows(url))
    (folder / "mapgen.toml").write_text(
        f"title = {json.dumps(TITLE)}\ndescription = {json.dumps(DESCRIPTION)}\n", encoding="utf-8")
    return path


def alias_text(text: str) -> str:
    """How the page lists a cell of aliases: split at ';' and joined with '; '."""
    return "; ".join(a.strip() for a in text.split(";") if a.strip())


def test_javascript_url_is_rejected_with_a_clear_error(tmp_path: Path):
    csv_path = write_dataset(tmp_path / "data", "javascript:alert(1)")
    with pytest.raises(mapgen.DataError) as caught:
        mapgen.load(csv_path)
    lines = str(caught.value).splitlines()
    for line_no in range(2, 2 + len(PAYLOADS)):
        assert (f"places.csv:{line_no}: column 'url': 'javascript:alert(1)' is not a web link; "
                "only http:// and https:// links are allowed.") in lines
    assert lines[len(PAYLOADS)] == f"{len(PAYLOADS)} problems found; nothing was written."
    # the command line says the same, without a traceback, and writes nothing
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(csv_path), "-o", str(out), "--offline"])
    assert result.exit_code == 1
    assert "places.csv:2: column 'url': 'javascript:alert(1)' is not a web link" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.fixture(scope="module")
def payload_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("payloads")
    csv_path = write_dataset(folder, URL)
    mapgen.build(csv_path, folder / "out", offline=True)
    return folder / "out" / "map.html"


def test_payloads_display_as_text_and_run_nothing(map_page, payload_map: Path, shipped_map: Path):
    clean = map_page(shipped_map)
    clean.wait_ready()
    mp = map_page(payload_map)
    mp.wait_ready()
    # nothing injected: no element from a payload, no extra script, no dialog (the harness fails on one)
    assert mp.evaluate("document.querySelector('img[src=x], iframe, svg[onload], [onerror], [onload]')") is None
    assert mp.evaluate("document.scripts.length") == clean.evaluate("document.scripts.length")
    assert mp.evaluate("document.querySelectorAll('style').length") == clean.evaluate(
        "document.querySelectorAll('style').length")
    # the settings' text, as written
    assert mp.evaluate("document.title") == TITLE
    assert mp.locator(".mg-panel h1").text_content() == TITLE
    assert mp.locator(".mg-description").text_content() == DESCRIPTION
    assert mp.locator(".mg-sources li").all_text_contents() == PAYLOADS

    for text in PAYLOADS[:-1]:  # on the map: tooltip, accessible name and popup
        open_popup(mp, text)
        popup = mp.locator(".leaflet-popup-content")
        assert popup.locator("h3").text_content() == text
        assert popup.locator(".mg-summary").text_content() == text
        assert popup.locator(".mg-aliases").text_content() == "Also known as: " + alias_text(text)
        assert popup.locator(".mg-source").text_content() == "Source: " + text
        link = popup.locator(".mg-source a")
        assert link.get_attribute("href") == URL and link.text_content() == text
        assert link.get_attribute("rel") == "noopener noreferrer nofollow"
        spot = marker(mp, text)
        assert re.fullmatch(re.escape(text) + ": 1 incident(, approximate location)?", spot.get_attribute("aria-label"))
        name = spot.locator(".mg-name")  # the name beside the marker, or its shorter form with the whole as hint
        assert name.text_content() == text or name.get_attribute("title") == text

    card = mp.locator(".mg-offmap article")  # the country-wide one is in the side panel
    assert card.locator("h3").text_content() == PAYLOADS[-1]
    assert card.locator(".mg-summary").text_content() == PAYLOADS[-1]

    assert sorted(search(mp, "alert(1)")) == sorted(p for p in PAYLOADS if "alert(1)" in p)
    assert search(mp, "onerror") == [PAYLOADS[0]]
    assert mp.evaluate("document.querySelector('img[src=x], iframe, svg[onload], [onerror], [onload]')") is None
