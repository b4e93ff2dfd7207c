"""Model backends behind small Protocols (see base.py)."""
