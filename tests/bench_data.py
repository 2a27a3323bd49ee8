"""The benchmark's data generator (bench/synth.py), for tests that need large realistic files."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def synth() -> ModuleType:
    """bench/synth.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("mapgen_bench_synth", ROOT / "bench" / "synth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
