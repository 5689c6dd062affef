"""What admins do to accounts, written once for the API and the admin page: change a role (never
leaving the platform without an admin) and disable or enable an account (never one's own)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.role_cache import forget_on_commit
from api.errors import Conflict, NotFound
from models import User


async def change_role(db: AsyncSession, user_id: str, role: str) -> User:
    """Give the account `role`; the caller commits."""
    row = await db.get(User, user_id)
    if row is None:
        raise NotFound("no such account")
    if row.role == "admin" and role != "admin":
        # Locked: two admins demoting each other at once must not both succeed.
        admins = (
            await db.scalars(select(User.id).where(User.role == "admin").with_for_update())
        ).all()
        if len(admins) <= 1:
            raise Conflict(
                "this is the last admin: make another account an admin first, "
                "or nobody could manage the platform"
            )
    row.role = role
    forget_on_commit(db, user_id)
    return row


async def set_disabled(db: AsyncSession, acting_user_id: str, user_id: str, disabled: bool) -> User:
    """Disable or enable the account; the caller commits. A disabled account is refused on its
    next request (api/auth/middleware.py)."""
    if disabled and user_id == acting_user_id:
        raise Conflict("you cannot disable your own account; ask another admin")
    row = await db.get(User, user_id)
    if row is None:
        raise NotFound("no such account")
    row.disabled = disabled
    forget_on_commit(db, user_id)
    return row
