"""The files skill: declutter a folder (scan, duplicates, clutter, a plan of moves, apply
and undo) and find a file from a description. Tools in ``tools``; each step its module."""
