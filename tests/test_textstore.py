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


#: Ends that ``str.strip`` takes off, and characters JSON escapes.
EDGES = ["", " ", "\u00a0", "\u3000", "\x1f", "\t", "\u2028", "\u200b", "ü", '"', "\\", "\x00", "\x7f", "😀", "a"]


def test_cells_read_by_arrow_are_stored_as_the_careful_reader_stores_them():
    """A summary column from Arrow is stripped and encoded without Python strings: the same bytes as with them."""
    import pyarrow as pa

    from mapgen.incidents import encoded_cells

    cells = ["".join(p) for p in itertools.product(EDGES, ["", "text", 'say "hi"', "x\\y"], EDGES)]
    for array in (pa.array(cells), pa.array(["pad", *cells]).slice(1), pa.array([], pa.string())):
        body, starts, ends = encoded_cells(array)
        expected = [orjson.dumps(c.strip()) for c in array.to_pylist()]
        assert [body[a:b] for a, b in zip(starts.tolist(), ends.tolist())] == expected
        assert body == b"".join(expected)
