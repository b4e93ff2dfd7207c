"""The turn pipeline: perceive -> recall -> think -> remember -> respond (see pipeline.py)."""
