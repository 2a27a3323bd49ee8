"""`mapgen build --lang de`: the interface and the taxonomy speak German, the data stays as written."""

from __future__ import annotations

from pathlib import Path

from browser import open_popup


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

    text = open_popup(mp, "Almaty International Airport")
    assert "Genauer Ort" in text and "Schließung" in text and "Evakuierung" in text
    assert "Datum des Berichts; der Tag des Vorfalls ist nicht angegeben" in text
    assert "gemeldet" in text and "Quelle: DW, 8 Jan 2022" in text
    # the data's own words are shown as written, not translated
    assert "The airport was shut because of the unrest." in text
    assert "Auch bekannt als: Flughafen Almaty" in text
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
