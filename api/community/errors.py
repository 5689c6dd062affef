"""Refusals of the community's rules, answered in the one error shape (api/errors.py).

ApiError
 ├── Muted              a moderator (or a service's host) muted the member until a time   403
 ├── PostingTooFast     more posts or comments in a minute than a member may write        429
 ├── EditWindowClosed   a post or comment older than the edit window                      409
 ├── TextTooLong        longer than the settings allow (as a body the schema refuses)     400
 └── CommentsClosed     the content's owner has not switched comments on                  403
"""

from __future__ import annotations

from api.errors import ApiError


class Muted(ApiError):
    status_code = 403
    code = "muted"


class PostingTooFast(ApiError):
    status_code = 429
    code = "rate_limited"


class EditWindowClosed(ApiError):
    status_code = 409
    code = "edit_window_closed"


class TextTooLong(ApiError):
    # The same answer as a body beyond the schema's own ceiling: clients see one refusal.
    status_code = 400
    code = "validation_failed"


class CommentsClosed(ApiError):
    status_code = 403
    code = "comments_closed"
