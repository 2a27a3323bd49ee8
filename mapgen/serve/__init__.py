"""Local servers for the person at this machine: ``mapgen watch`` (:mod:`.watch`)."""
