"""The ``os1`` command line: one module per command group."""
