"""Shared fixtures: the CLI runner, the network guard, pinned assets, headless Chromium, map pages.

Tests that use ``map_page`` or ``chromium_browser`` are marked ``browser``
automatically (deselect with ``-m "not browser"``). Every test may connect only
to 127.0.0.1 unless it is marked ``network`` (the ones that download from the
npm registry), so ``pytest -m "not network"`` runs with no network at all once
``mapgen assets fetch`` has filled the asset cache.
"""

from __future__ import annotations

import os
import platform
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from playwright.sync_api import Browser, BrowserContext, Page

import mapgen
from browser import CHROMIUM, CHROMIUM_ARGS, MapPage, open_map, save_screenshot
from mapgen.page import assets
from mapgen.cli import cli
from mapgen.dataset import Dataset
from nominatim_server import only_localhost

ROOT = Path(__file__).resolve().parents[1]

BROWSER_FIXTURES = {"map_page", "chromium_browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What this run tests against, so a failure in CI can be matched to a browser or asset update."""
    from importlib.metadata import version

    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30,
                                  check=False).stdout.strip() or "no version printed"
    except OSError as exc:
        chromium = f"not runnable ({exc.strerror})"
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30,
                              check=False).stdout.strip()
    except OSError:
        node = "not installed"
    pins = ", ".join(f"{p.name} {p.version}" for p in assets.packages())
    return [f"mapgen {mapgen.__version__} on Python {platform.python_version()}",
            f"browser: {chromium} ({CHROMIUM}), playwright {version('playwright')}, node {node}",
            f"pinned assets: {pins}"]


@pytest.fixture(autouse=True)
def local_network_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse every connection beyond 127.0.0.1, unless the test is marked ``network``.

    Libraries may swallow the refusal, so the test also fails if anything was refused.
    """
    if request.node.get_closest_marker("network"):
        yield
        return
    refused = only_localhost(monkeypatch)
    yield
    assert refused == [], f"a test tried to reach the network beyond 127.0.0.1: {refused}"


@contextmanager
def _inside(folder: Path | None) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(folder or old)
    try:
        yield
    finally:
        os.chdir(old)


def _invoke(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> Result:
    """Run ``mapgen ARGS`` in-process (in the folder ``cwd`` if given), as a user would type it."""
    with _inside(cwd):
        return CliRunner(env=env).invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="session")
def mapgen_cli() -> Callable[..., Result]:
    """``mapgen_cli(*args, cwd=None, input=None, env=None)``: run the ``mapgen`` command in-process."""
    return _invoke


@pytest.fixture(scope="session", autouse=True)
def page_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A page cache of this session's own (mapgen.page.cache), inherited by ``mapgen`` subprocesses.

    The first build of each page renders it with folium; later ones reuse it,
    so the browser tests check the pages users get on their second build too.
    """
    root = tmp_path_factory.mktemp("page-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAPGEN_PAGE_CACHE", str(root))
        yield root


@pytest.fixture(scope="session")
def asset_cache() -> Path:
    """The asset cache, populated from the npm registry if needed (fails loudly)."""
    root = assets.cache_dir()
    assets.fetch(root)
    return root


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def map_page(
    asset_cache: Path, chromium_browser: Browser
) -> Iterator[Callable[..., MapPage]]:
    """Factory ``open_map(html_path, viewport=(1280, 800), *, serve_cdn=True, serve_tiles=True)``.

    Returns a :class:`browser.MapPage` (a ``Page`` plus the recorded
    ``escaped``/``failed``/``console_errors``/``page_errors``/``dialogs``).
    At teardown the test fails if any page recorded a problem.
    """
    opened: list[tuple[MapPage, BrowserContext]] = []

    def factory(
        html_path: Path | str,
        viewport: tuple[int, int] = (1280, 800),
        *,
        serve_cdn: bool = True,
        serve_tiles: bool = True,
    ) -> MapPage:
        mp, context = open_map(
            chromium_browser,
            html_path,
            viewport,
            serve_cdn=serve_cdn,
            serve_tiles=serve_tiles,
            cache=asset_cache,
        )
        opened.append((mp, context))
        return mp

    yield factory
    problems = [p for mp, _ in opened for p in mp.problems()]
    for _, context in opened:
        context.close()
    if problems:
        pytest.fail("map page problems:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def shipped_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``map.html`` built from the shipped places.csv (English), once per session."""
    out = tmp_path_factory.mktemp("shipped-en")
    mapgen.build(ROOT / "places.csv", out, offline=True)
    return out / "map.html"


@pytest.fixture(scope="session")
def shipped_map_de(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped map built with ``lang="de"``, once per session."""
    out = tmp_path_factory.mktemp("shipped-de")
    mapgen.build(ROOT / "places.csv", out, offline=True, lang="de")
    return out / "map.html"


@pytest.fixture(scope="session")
def shipped_data() -> Dataset:
    """The checked shipped places.csv, to compute what the page should show."""
    return mapgen.load(ROOT / "places.csv")


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, suffix="")`` saves ``test-artifacts/<test name>[-suffix].png``."""

    def take(page: Page | MapPage, suffix: str = "") -> Path:
        name = request.node.name + (f"-{suffix}" if suffix else "")
        return save_screenshot(page, name)

    return take
