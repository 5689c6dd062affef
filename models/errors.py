"""Errors of the data's own rules, raised where the fact is known and turned into an HTTP answer
by the API (api/errors.py) or into words by the agent.

    DataError
     ├── BadCursor        a page cursor this service did not give out
     ├── ScriptureError   text that names no Bible passage we can read
     └── RangeRefused     a trim or clip range the media cannot give
          ├── RangeOutsideMedia   it starts before 0 or ends after the media
          ├── RangeReversed       it ends before it starts (or is shorter than a second)
          └── ClipTooLong         longer than the social platforms take

A class with a `code` is answered with it; the others as `invalid_input`.
"""

from __future__ import annotations


class DataError(ValueError):
    """Base of the errors the data's rules raise; its message is for the person who sent it."""


class BadCursor(DataError):
    """A keyset cursor that does not decode to one we made."""


class ScriptureError(DataError):
    """A scripture reference that could not be read."""


class RangeRefused(DataError):
    """A trim or clip range the media cannot give."""

    code = "range_refused"


class RangeOutsideMedia(RangeRefused):
    code = "range_outside_media"


class RangeReversed(RangeRefused):
    code = "range_reversed"


class ClipTooLong(RangeRefused):
    code = "clip_too_long"
