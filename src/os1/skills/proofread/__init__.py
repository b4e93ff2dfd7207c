"""Proofreading: spelling, grammar and style suggestions, shown as a diff, each accepted
or rejected by the person; files are corrected only once confirmed, the original kept."""
