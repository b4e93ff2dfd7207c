"""Personas: a writer rebuilt from their own words, with a recorded right to do so,
grounded in passages of their writing and honest that it is a reconstruction."""
