"""``python -m os1.cli`` runs the ``os1`` command."""

from os1.cli.app import main

main()
