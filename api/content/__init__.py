"""Content: sermons, music, video and recordings, their sources, jobs, assets and playback."""
