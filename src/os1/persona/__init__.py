"""Who the companion is: its self-chosen name, its voice in words, and how it meets people."""
