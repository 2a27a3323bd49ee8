"""Where a map page spends its main thread: Chrome's CPU profile of one action, by function.

    .venv/bin/python bench/profile_page.py out/map.html open       # opening, until usable
    .venv/bin/python bench/profile_page.py site/ filter            # the commonest type off, on a site
    .venv/bin/python bench/profile_page.py site/ search|busiest    # a search hit's popup (median / busiest place)

The page is opened as ``bench/pagetime.py`` opens it (a folder is served as a
site); the DevTools protocol's ``Profiler`` samples the page's main thread
(not mapgen's worker: its messages are listed instead) during the action,
and the functions with the most time of their own are printed. ``(program)``
is time outside JavaScript: parsing, style, layout, painting. A profiler
slows the page down; compare figures of one kind only.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pagetime  # noqa: E402

ACTIONS = ("open", "filter", "search", "busiest")


def by_function(profile: dict, top: int = 15) -> tuple[float, list[tuple[str, float]]]:
    """Milliseconds sampled in all, and the ``top`` functions by time of their own (ms)."""
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    own: Counter[str] = Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        frame = nodes[sample]
        where = f"{frame['url'].rsplit('/', 1)[-1][:30]}:{frame['lineNumber'] + 1}" if frame["url"] else ""
        own[f"{frame['functionName'] or '(anonymous)'} {where}".strip()] += delta
    return sum(profile["timeDeltas"]) / 1000, [(name, us / 1000) for name, us in own.most_common(top)]


def profile(browser, target: Path, action: str) -> str:
    """Profile ``action`` on ``target`` (a map.html or a site's folder); a report for a person."""
    site = target.is_dir()
    server = None
    if site:
        from mapgen.serve.site import start

        server = start(target)
    context, page, problems, _ = pagetime.open_page(browser, site=site)
    cdp = context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 250})  # microseconds
    lines = []
    try:
        url = server.url if server else target.resolve().as_uri()
        if action == "open":
            cdp.send("Profiler.start")
            page.goto(url, wait_until="commit")
            times = pagetime.wait_usable(page)
            data = cdp.send("Profiler.stop")["profile"]
            dom = page.evaluate("performance.getEntriesByType('navigation')[0].domInteractive")
            lines.append(f"usable after {times['usable']:.0f} ms (document parsed at {dom:.0f} ms)")
            worker = [(w[0], round(w[1]), round(w[2])) for w in times["worker"]]
        else:
            page.goto(url, wait_until="commit")
            pagetime.wait_usable(page)
            if action == "filter":
                kind = page.evaluate(pagetime.COMMONEST)
                target_node = page.locator(f".mg-types input[data-id='{kind}']")
                what = f"type '{kind}' off"
            else:
                places = sorted(page.evaluate(pagetime.PLACES), key=lambda p: p["n"])
                place = places[-1] if action == "busiest" else places[len(places) // 2]
                target_node = pagetime.search_hit(page, place["name"])
                what = f"search hit {place['name']!r} ({place['n']} incidents)"
            cdp.send("Profiler.start")
            result = pagetime.timed_click(page, "counts" if action == "filter" else "popup", target_node)
            data = cdp.send("Profiler.stop")["profile"]
            lines.append(f"{what}: {result['ms']:.0f} ms from the click until drawn")
            worker = [tuple(w) for w in result["worker"]]
        lines.append("worker (sent–answered, ms): " + (", ".join(f"{k} {a}–{b}" for k, a, b in worker) or "none"))
        total, top = by_function(data)
        lines.append(f"main thread, {total:.0f} ms sampled; most time of their own:")
        lines += [f"  {ms:8.1f} ms  {name}" for name, ms in top]
        lines += [f"PROBLEM: {p}" for p in problems]
        return "\n".join(lines)
    finally:
        context.close()
        if server:
            server.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ACTIONS:
        print(__doc__)
        return 2
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pagetime.launch(pw)
        try:
            print(f"Chromium {chromium.version}, {argv[0]}, {argv[1]}:")
            print(profile(chromium, Path(argv[0]), argv[1]))
        finally:
            chromium.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
