"""Errors of the data's own rules, raised where the fact is known and turned into an HTTP answer
by the API (api/errors.py) or into words by the agent.

    DataError
     ├── BadCursor        a page cursor this service did not give out
     └── ScriptureError   text that names no Bible passage we can read
"""

from __future__ import annotations


class DataError(ValueError):
    """Base of the errors the data's rules raise; its message is for the person who sent it."""


class BadCursor(DataError):
    """A keyset cursor that does not decode to one we made."""


class ScriptureError(DataError):
    """A scripture reference that could not be read."""
