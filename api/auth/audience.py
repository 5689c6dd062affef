"""Audiences: the classes of callers who are shown the same thing by routes that do not depend on
who exactly is asking (the community feed), so one answer can serve a whole class.

A member who is neither author nor moderator, a moderator, an admin: each sees the same feed
as every other caller of its class (names of anonymous prayer requests only to moderators;
private sermons' cards only to admins). What is one caller's own (their reactions) is not part
of such an answer: they fetch it separately.
"""

from __future__ import annotations

from typing import Literal

from api.auth.tokens import AuthUser

Audience = Literal["anyone", "member", "moderator", "admin"]

# Stand-ins with an audience's powers and nobody's identity: rules that compare a caller's id
# with an author or owner find no match, so nothing of one person's reaches the whole class.
_VIEWERS: dict[str, AuthUser | None] = {
    "anyone": None,
    "member": AuthUser(id="", email="", role="listener"),
    "moderator": AuthUser(id="", email="", role="moderator"),
    "admin": AuthUser(id="", email="", role="admin"),
}


def audience_of(user: AuthUser | None) -> Audience:
    if user is None:
        return "anyone"
    if user.is_admin:
        return "admin"
    return "moderator" if user.is_moderator else "member"


def audience_viewer(user: AuthUser | None) -> AuthUser | None:
    """The caller as their whole audience is seen."""
    return _VIEWERS[audience_of(user)]
