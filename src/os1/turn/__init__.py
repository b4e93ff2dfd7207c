"""The turn pipeline: perceive -> act -> recall -> think -> remember -> respond (see
pipeline.py)."""
