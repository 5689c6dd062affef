"""Bible stories for children: the story, its narration (ordinary content) and illustrations."""

from api.bible_stories.controller import BibleStoriesController

__all__ = ["BibleStoriesController"]
