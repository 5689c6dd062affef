"""A listener's own things: playback progress, continue listening, favourites."""

from api.me.controller import MeController

__all__ = ["MeController"]
