"""``python -m alscell`` runs the console script."""

from alscell.cli import main

main()
