"""Series: a sermon series' metadata, and the podcast feeds listeners subscribe to."""
