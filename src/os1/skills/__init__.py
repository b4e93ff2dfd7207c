"""Skills: what the companion can do in the world, always as proposals first."""
