"""``python -m hingecoach`` runs the CLI."""

from hingecoach.cli import main

main()
