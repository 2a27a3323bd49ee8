"""The local server of ``mapgen watch``: watching and rebuilding (:mod:`.watch`), HTTP and its security (:mod:`.server`), editing on the map (:mod:`.edit`)."""
