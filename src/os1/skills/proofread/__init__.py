"""Proofreading: spelling, grammar and style suggestions, shown as a diff, each accepted
or rejected by the person; files are corrected only once confirmed, the original kept.

One module per job: ``suggestion`` (what one suggestion is, merging overlapping ones),
``rules``, ``spelling`` and ``model`` (the three checkers; ``narrow`` trims the model's
rewrites to the words it changed), ``review`` (every checker's suggestions for a text,
merged), ``diff`` (showing and applying them), ``document`` (reading and writing a file
unharmed) and ``tools`` (the ``proofread`` tool).
"""
