"""The texts of a large file are kept JSON-encoded on disk; every text comes back exactly as written."""

from __future__ import annotations

import itertools

import orjson

from mapgen.incidents import TextStore

#: Texts that look like the seams between JSON strings: quotes, commas, backslashes.
TRICKY = ["", "a", 'a","b', "x\\", '\\",', 'ab",', '"', '",",', '\\\\",', "ü€😀", "\n\t", ",", '","', "end\\\\"]


def test_every_text_comes_back_as_written():
    store = TextStore(["summary"])
    pairs = ["".join(p) for p in itertools.product(TRICKY, repeat=2)]
    store.add("summary", pairs[:100])
    store.add("summary", [])
    store.add("summary", pairs[100:])
    assert store.values("summary") == pairs
    assert store.encoded("summary") == [orjson.dumps(t) for t in pairs]
    assert store.values("summary", slice(3, 5)) == pairs[3:5]
