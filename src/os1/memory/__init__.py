"""What the companion remembers: for now, rolling summaries of long conversations."""
