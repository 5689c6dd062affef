"""Request and response bodies of the accounts API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Email = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320, examples=["pastor@church.org"]
    ),
]
Password = Annotated[
    str, msgspec.Meta(min_length=8, max_length=256, examples=["correct horse battery"])
]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str


class TokensOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = 900


class UserOut(msgspec.Struct):
    id: str
    email: str
    role: Literal["listener", "creator", "moderator", "admin"]
    display_name: str
    disabled: bool = False


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["listener", "creator", "moderator", "admin"]


class AccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    disabled: bool
