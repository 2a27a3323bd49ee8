"""`python -m mapgen` runs the command line."""

from .cli import main

main()
