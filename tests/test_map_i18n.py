"""The German map: the interface and the taxonomy speak German, and so does the data where it has a German
variant (``place_de``, ``summary_de``); where it has none, the text is shown as written and marked."""

from __future__ import annotations

import csv
from pathlib import Path

import mapgen
from browser import open_popup

ROOT = Path(__file__).resolve().parents[1]


def test_german_build_shows_german_labels(map_page, shipped_map_de: Path, shipped_data, screenshot):
    mp = map_page(shipped_map_de)
    mp.wait_ready()
    assert mp.evaluate("document.documentElement.lang") == "de"
    panel = mp.locator(".mg-panel")
    assert panel.locator(".mg-counts").inner_text() == "9 von 9 Orten auf der Karte · 30 von 30 Vorfällen"
    assert panel.locator(".mg-types legend").text_content() == "Art des Vorfalls"
    assert mp.get_by_role("searchbox", name="Orte suchen").get_attribute("placeholder") == "Ort oder anderer Name…"
    types = [t.split("\n")[0].strip() for t in panel.locator(".mg-types label").all_inner_texts()]
    assert types[:4] == ["Schüsse", "Explosion", "Opfer", "Brandstiftung"]
    assert types[-1] == "Kontext (kein Vorfall)"
    statuses = [t.split("\n")[0].strip() for t in panel.locator(".mg-statuses label").all_inner_texts()]
    assert statuses == ["gemeldet", "nicht überprüft"]
    assert mp.get_by_role("slider", name="Von").is_visible() and mp.get_by_role("slider", name="Bis").is_visible()
    assert panel.locator(".mg-legend summary").inner_text() == "Legende"
    assert "Nadel: der genaue Ort ist bekannt" in panel.locator(".mg-legend").inner_text()
    assert mp.get_by_role("button", name="Filter zurücksetzen").is_visible()
    assert mp.get_by_role("button", name="Landesweit und anderswo (3)").is_visible()
    # Leaflet's own buttons and the basemap names
    for name in ("Hineinzoomen", "Herauszoomen", "Grundkarten", "Vollbild"):
        assert mp.get_by_role("button", name=name, exact=True).count() == 1, name
    mp.locator(".leaflet-control-layers").hover()
    assert [c.strip() for c in mp.locator(".leaflet-control-layers-base label").all_inner_texts()] == [
        "OpenStreetMap", "Hell", "Satellit"]

    text = open_popup(mp, "Internationaler Flughafen Almaty")
    assert "Genauer Ort" in text and "Schließung" in text and "Evakuierung" in text
    assert "Datum des Berichts; der Tag des Vorfalls ist nicht angegeben" in text
    assert "gemeldet" in text and "Quelle: DW, 8 Jan 2022" in text
    # the data's German words (summary_de), and the English name still found among the other names
    assert "Der Flughafen wurde wegen der Unruhen geschlossen." in text
    assert "The airport was shut" not in text and "(Englisch)" not in text
    assert "Almaty International Airport" in text.split("Auch bekannt als:")[1]
    assert mp.get_by_role("button", name="Schließen", exact=True).is_visible()
    screenshot(mp, "de")


def test_german_taxonomy_covers_every_type(map_page, shipped_map_de: Path):
    from mapgen.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    assert len(taxonomy) == 15 and all(t.labels.get("de") and t.definitions.get("de") for t in taxonomy.values())
    mp = map_page(shipped_map_de)
    mp.wait_ready()
    # every type a reader can choose is named in German, with its German definition as the hint
    for tag in taxonomy.values():
        box = mp.locator(f".mg-types input[data-id='{tag.tag}']")
        if not box.count():
            continue  # no incident of that type in the data
        label = mp.locator("label.mg-check", has=mp.locator(f"input[data-id='{tag.tag}']"))
        assert label.locator(".mg-label").inner_text() == tag.label("de")
        assert label.get_attribute("title") == tag.definition("de")
    assert mp.locator("label.mg-check", has_text="Schüsse").get_attribute("title") == (
        "Schüsse abgegeben oder gehört, unabhängig vom Schützen.")
    assert mp.get_by_label("Einsatz von Sicherheitskräften").is_checked()


def test_the_build_writes_a_map_per_language_of_the_settings(shipped_map_de: Path):
    """mapgen.toml's ``langs = ["en", "de"]``: map.html in English and map.de.html in German, the same
    German map that ``--lang de`` builds alone."""
    assert (ROOT / "output" / "map.de.html").read_bytes() == shipped_map_de.read_bytes()
    english = (ROOT / "output" / "map.html").read_text("utf-8")
    assert '<html lang="en">' in english and "Almaty, January 2022" in english


def test_a_text_without_its_german_variant_is_shown_as_written_and_marked(map_page, tmp_path: Path):
    rows = list(csv.DictReader((ROOT / "places.csv").open(encoding="utf-8", newline="")))
    for row in rows:
        if row["place"] == "Almaty International Airport":
            row["summary_de"] = row["place_de"] = ""  # not translated yet
    csv_path = tmp_path / "places.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    mapgen.build(csv_path, tmp_path / "out", offline=True, lang="de")
    mp = map_page(tmp_path / "out" / "map.html")
    mp.wait_ready()
    # the other places keep their German words (opened first: the airport's popup, at the top of the
    # map, pans the map down far enough to push the residence to the screen's edge)
    assert "Der Amtssitz des Präsidenten in der Stadt brannte" in open_popup(mp, "Präsidentenresidenz, Almaty")
    text = open_popup(mp, "Almaty International Airport")
    card = mp.locator(".mg-card", has_text="Almaty International Airport")
    heading = card.get_by_role("heading", name="Almaty International Airport (Englisch)")
    assert heading.get_attribute("lang") == "en"
    assert "Der Flughafen wurde" not in text
    shut = card.locator("p", has_text="The airport was shut because of the unrest.")
    assert shut.inner_text() == "The airport was shut because of the unrest. (Englisch)"
    assert shut.get_attribute("lang") == "en"
    assert shut.locator("span", has_text="(Englisch)").get_attribute("title") == (
        "Nicht übersetzt: Dieser Text steht in den Daten nur auf Englisch.")
