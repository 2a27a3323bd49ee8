"""Pinned, hash-verified front-end assets (Leaflet, Supercluster, Font Awesome).

The pins live in ``mapgen/data/assets.json``: per npm package the registry's
tarball ``integrity`` (sha512) and per file its SRI hash (sha384).

* :func:`fetch` downloads the npm tarballs over HTTPS (no ``npm`` needed),
  verifies them and unpacks only the files we use into :func:`cache_dir`.
* :func:`head_html` renders the ``<head>`` tags and :func:`worker_html` the
  element the page's worker takes Supercluster from: CDN links with SRI by
  default (``cdn``), everything inlined from the cache (``inline``,
  ``--self-contained``), or files beside the page (``site``, copied there by
  :func:`copy_to_site`, still hash-checked by the browser).

Run ``python -m mapgen.assets fetch`` to populate the cache.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import posixpath
import re
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from ..atomic import write_atomic
from ..errors import MapgenError as _BaseError

__all__ = [
    "MODES",
    "Asset",
    "AssetError",
    "Package",
    "assets",
    "cache_dir",
    "cache_path",
    "cdn_url",
    "copy_to_site",
    "fetch",
    "head_html",
    "site_path",
    "worker_html",
    "main",
    "mime_type",
    "packages",
    "tarball_url",
]

REGISTRY = "https://registry.npmjs.org"
CDN = "https://cdn.jsdelivr.net/npm"
MANIFEST = Path(__file__).parents[1] / "data" / "assets.json"
FETCH_HINT = "run `mapgen assets fetch` (or `python -m mapgen.assets fetch`)"

_MIME = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^[ \t]*(//|/\*)# sourceMappingURL=[^\n]*\n?", re.MULTILINE)
# A TrueType fallback after a WOFF2 source in an @font-face ``src`` list. Every
# browser that runs Leaflet reads WOFF2, so self-contained pages leave it out.
_TTF_FALLBACK = re.compile(
    r"""\s*,\s*url\(\s*(['"]?)[^'")]+\.ttf\1\s*\)\s*format\(\s*(['"]?)truetype\2\s*\)""", re.IGNORECASE
)


class AssetError(_BaseError):
    """A pinned asset is missing from the cache, or failed hash verification."""


@dataclass(frozen=True)
class Package:
    """One pinned npm package."""

    name: str
    version: str
    integrity: str  # "sha512-<base64>" as published by the npm registry


@dataclass(frozen=True)
class Asset:
    """One pinned file inside a package (kind: js, css, worker, image or font)."""

    package: str
    version: str
    path: str
    kind: str
    integrity: str  # "sha384-<base64>" (Subresource Integrity form)


@lru_cache(maxsize=1)
def _manifest() -> tuple[tuple[Package, ...], tuple[Asset, ...]]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    pkgs = tuple(Package(p["name"], p["version"], p["integrity"]) for p in data["packages"])
    files = tuple(
        Asset(f["package"], f["version"], f["path"], f["kind"], f["integrity"])
        for f in data["files"]
    )
    pinned = {(p.name, p.version) for p in pkgs}
    for a in files:
        if (a.package, a.version) not in pinned:
            raise AssetError(f"{MANIFEST}: {a.package}@{a.version} ({a.path}) is not pinned")
    return pkgs, files


def packages() -> list[Package]:
    """The pinned npm packages, in manifest order."""
    return list(_manifest()[0])


def assets(kind: str | None = None) -> list[Asset]:
    """The pinned files in ``<head>`` order, optionally only those of one ``kind``."""
    return [a for a in _manifest()[1] if kind is None or a.kind == kind]


def cache_dir() -> Path:
    """The asset cache: ``$MAPGEN_ASSET_CACHE`` if set, else ``~/.cache/mapgen/npm``."""
    env = os.environ.get("MAPGEN_ASSET_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mapgen" / "npm"


def cache_path(entry: Asset, dest: Path | None = None) -> Path:
    """Where ``entry`` lives in the cache: ``<cache>/<pkg>@<ver>/<path>``."""
    return (dest or cache_dir()) / f"{entry.package}@{entry.version}" / entry.path


def cdn_url(entry: Asset) -> str:
    """The jsDelivr URL of ``entry``: ``https://cdn.jsdelivr.net/npm/<pkg>@<ver>/<path>``."""
    return f"{CDN}/{entry.package}@{entry.version}/{entry.path}"


def tarball_url(pkg: Package) -> str:
    """The npm registry tarball URL (scoped packages: ``@scope/name/-/name-ver.tgz``)."""
    basename = pkg.name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{pkg.name}/-/{basename}-{pkg.version}.tgz"


def mime_type(path: str) -> str:
    """The MIME type used when serving or inlining ``path``."""
    return _MIME.get(posixpath.splitext(path)[1].lower(), "application/octet-stream")


def _sri(algo: str, data: bytes) -> str:
    return f"{algo}-" + base64.b64encode(hashlib.new(algo, data).digest()).decode("ascii")


def _is_valid(entry: Asset, path: Path) -> bool:
    try:
        return _sri("sha384", path.read_bytes()) == entry.integrity
    except OSError:
        return False


def _tar_members(tgz: bytes) -> dict[str, bytes]:
    """Regular files of an npm tarball keyed by path with the top folder stripped."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tf:
        for member in tf:
            if member.isfile() and "/" in member.name:
                fh = tf.extractfile(member)
                if fh is not None:
                    out[member.name.split("/", 1)[1]] = fh.read()
    return out


def fetch(
    dest: Path | None = None,
    *,
    urlopen: Callable[..., Any] = urllib.request.urlopen,
) -> list[Path]:
    """Download, verify and unpack every pinned package not yet complete in the cache.

    ``dest`` defaults to :func:`cache_dir`. A package is complete when all its
    pinned files exist with the right sha384, so a second call downloads nothing
    and a corrupted file is repaired. Returns the paths written by this call.
    Raises :class:`AssetError` on a tarball or file hash mismatch (nothing of
    that package is written then).
    """
    root = dest or cache_dir()
    written: list[Path] = []
    for pkg in packages():
        files = [a for a in assets() if (a.package, a.version) == (pkg.name, pkg.version)]
        todo = [a for a in files if not _is_valid(a, cache_path(a, root))]
        if not todo:
            continue
        url = tarball_url(pkg)
        try:
            with urlopen(url, timeout=120) as resp:
                tgz = resp.read()
        except OSError as exc:
            raise AssetError(f"could not download {url}: {exc}") from exc
        got = _sri("sha512", tgz)
        if got != pkg.integrity:
            raise AssetError(
                f"{pkg.name}@{pkg.version}: tarball integrity mismatch for {url}\n"
                f"  expected {pkg.integrity}\n  got      {got}"
            )
        members = _tar_members(tgz)
        blobs: list[tuple[Asset, bytes]] = []
        for entry in todo:
            data = members.get(entry.path)
            if data is None:
                raise AssetError(f"{pkg.name}@{pkg.version}: {entry.path} is not in {url}")
            if _sri("sha384", data) != entry.integrity:
                raise AssetError(f"{pkg.name}@{pkg.version}/{entry.path}: sha384 mismatch")
            blobs.append((entry, data))
        for entry, data in blobs:
            target = cache_path(entry, root)
            write_atomic(target, data)
            written.append(target)
    return written


def _read_verified(entry: Asset, root: Path) -> bytes:
    path = cache_path(entry, root)
    try:
        data = path.read_bytes()
    except OSError:
        raise AssetError(
            f"{entry.package}@{entry.version}/{entry.path} is not in the asset cache "
            f"({path}); {FETCH_HINT}"
        ) from None
    if _sri("sha384", data) != entry.integrity:
        raise AssetError(
            f"cached {entry.package}@{entry.version}/{entry.path} is corrupt "
            f"(sha384 mismatch at {path}); {FETCH_HINT} to repair it"
        )
    return data


def _data_uri(entry: Asset, root: Path) -> str:
    data = _read_verified(entry, root)
    return f"data:{mime_type(entry.path)};base64,{base64.b64encode(data).decode('ascii')}"


def _inline_css(entry: Asset, text: str, root: Path) -> str:
    """Rewrite relative ``url(...)`` references of a CSS file to ``data:`` URIs.

    TrueType font fallbacks are dropped first: WOFF2 suffices and the page
    stays about 570 KB smaller.
    """
    by_path = {a.path: a for a in assets() if a.package == entry.package}
    text = _TTF_FALLBACK.sub("", text)

    def repl(m: re.Match[str]) -> str:
        ref = m.group(2).strip()
        if ref.startswith(("#", "data:")) or "://" in ref:
            return m.group(0)
        rel = re.split(r"[?#]", ref, maxsplit=1)[0]
        target = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), rel))
        sub = by_path.get(target)
        if sub is None:
            raise AssetError(f"{entry.package}/{entry.path} uses {ref}, not pinned in {MANIFEST}")
        return f'url("{_data_uri(sub, root)}")'

    return _CSS_URL.sub(repl, text)


def _harmless(text: str, tag: str) -> str:
    """Make ``</tag`` inside inlined text unable to close the element early."""
    return re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.IGNORECASE)


def _leaflet_icon_shim(root: Path) -> str:
    """Point ``L.Icon.Default`` at inlined images (Leaflet sniffs them from CSS otherwise)."""
    imgs = {a.path.rsplit("/", 1)[-1]: a for a in assets("image") if a.package == "leaflet"}
    opts = {
        "iconUrl": "marker-icon.png",
        "iconRetinaUrl": "marker-icon-2x.png",
        "shadowUrl": "marker-shadow.png",
    }
    merged = {k: _data_uri(imgs[v], root) for k, v in opts.items() if v in imgs}
    options = json.dumps(merged, sort_keys=True)
    return f"L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({options});"


MODES = ("cdn", "inline", "site")


def site_path(entry: Asset) -> str:
    """Where a site keeps ``entry``, relative to its page: the cache's layout, so CSS ``url()``s still work."""
    return f"assets/{entry.package}@{entry.version}/{entry.path}"


def _link(entry: Asset, mode: str) -> str:
    return cdn_url(entry) if mode == "cdn" else site_path(entry)


def head_html(mode: str | bool = "cdn") -> str:
    """HTML for ``<head>``: CSS first, then JS (Leaflet), as ``mode`` says (see the module docstring).

    ``cdn`` and ``site``: ``<link>``/``<script>`` tags with ``integrity`` and
    ``crossorigin="anonymous"``. ``inline``: every file inlined from the
    (verified) cache with CSS sub-resources as ``data:`` URIs; raises
    :class:`AssetError` if the cache is incomplete. Output is deterministic.
    (``True``/``False`` stand for ``inline``/``cdn``.)
    """
    mode = {True: "inline", False: "cdn"}.get(mode, mode) if isinstance(mode, bool) else mode
    lines: list[str] = []
    if mode != "inline":
        for a in assets("css"):
            lines.append(
                f'<link rel="stylesheet" href="{html.escape(_link(a, mode))}" '
                f'integrity="{a.integrity}" crossorigin="anonymous">'
            )
        for a in assets("js"):
            lines.append(
                f'<script src="{html.escape(_link(a, mode))}" '
                f'integrity="{a.integrity}" crossorigin="anonymous"></script>'
            )
        return "\n".join(lines) + "\n"

    root = cache_dir()
    for a in assets("css"):
        css = _inline_css(a, _read_verified(a, root).decode("utf-8"), root)
        css = _SOURCE_MAP.sub("", css)
        lines.append(f'<style data-asset="{html.escape(a.package)}@{a.version}/{a.path}">\n'
                     f"{_harmless(css, 'style')}\n</style>")
    for a in assets("js"):
        js = _SOURCE_MAP.sub("", _read_verified(a, root).decode("utf-8"))
        if a.package == "leaflet":
            js += "\n" + _leaflet_icon_shim(root)
        lines.append(f'<script data-asset="{html.escape(a.package)}@{a.version}/{a.path}">\n'
                     f"{_harmless(js, 'script')}\n</script>")
    return "\n".join(lines) + "\n"


def worker_html(mode: str = "cdn") -> str:
    """The element the page's worker takes Supercluster from (never run in the page itself).

    ``inline``: the file's text; otherwise an empty element naming the file
    and its hash, which the page fetches with ``integrity`` checked.
    """
    (entry,) = assets("worker")
    ident = f' id="mapgen-supercluster" data-asset="{html.escape(entry.package)}@{entry.version}/{entry.path}"'
    if mode == "inline":
        js = _SOURCE_MAP.sub("", _read_verified(entry, cache_dir()).decode("utf-8"))
        return f'<script type="text/plain"{ident}>\n{_harmless(js, "script")}\n</script>\n'
    return (f'<script type="text/plain"{ident} data-src="{html.escape(_link(entry, mode))}" '
            f'data-integrity="{entry.integrity}"></script>\n')


def copy_to_site(folder: Path) -> list[tuple[Path, bytes]]:
    """The pinned files a site serves, verified: (path in ``folder``, bytes) for each."""
    root = cache_dir()
    return [(folder / site_path(a), _read_verified(a, root)) for a in assets()]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mapgen.assets fetch [DIR]``: populate and verify the asset cache."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "fetch" or len(args) > 2:
        print("usage: python -m mapgen.assets fetch [CACHE_DIR]", file=sys.stderr)
        return 2
    root = Path(args[1]) if len(args) == 2 else cache_dir()
    try:
        written = fetch(root)
        for path in written:
            print(f"fetched  {path}")
        for a in assets():
            _read_verified(a, root)
            print(f"verified {a.package}@{a.version}/{a.path}")
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(assets())} assets OK in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
