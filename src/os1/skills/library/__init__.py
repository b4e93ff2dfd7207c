"""The library: a person's books and documents read in bulk, kept as repaired text,
split into passages with exact offsets and indexed for full-text search (tantivy)."""
