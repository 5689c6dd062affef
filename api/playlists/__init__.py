"""Playlists: a member's ordered lists of content, the church's curated ones, and their feeds."""

from api.playlists.controller import PlaylistsController

__all__ = ["PlaylistsController"]
