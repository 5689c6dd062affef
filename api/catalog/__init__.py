"""The catalog: what listeners may see, filtered, paginated and searched through transcripts."""
