"""Voice: audio in and out around the speech models (files now; live audio next)."""
