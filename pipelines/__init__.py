"""The work itself: plain functions over local files and settings; no database, no queue."""
