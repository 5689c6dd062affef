"""LiveKit access tokens: what each role may do in a session's room, for a few minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from livekit import api

from api.auth.tokens import AuthUser
from api.live.schemas import Role, TokenOut
from models import LiveSession, utcnow
from settings import Settings

# The token only has to get the client connected: LiveKit itself refreshes the token of a
# connected participant, so a leaked one is worth little after this.
TOKEN_TTL = timedelta(minutes=10)
# What a host shows: camera, microphone, a shared screen and its sound (LiveKit TrackSource
# names). Naming the sources supersedes can_publish, so nothing else (e.g. an unknown source).
HOST_SOURCES = ["camera", "microphone", "screen_share", "screen_share_audio"]


def role_for(user: AuthUser, session: LiveSession) -> Role:
    """Admins moderate any room; the session's owner hosts it; everyone else listens."""
    if user.is_admin:
        return "admin"
    if user.id == session.owner_id:
        return "host"
    return "listener"


def grants_for(role: Role, room: str) -> api.VideoGrants:
    if role == "guest":
        # A visitor without an account watches; the chat is for signed-in members.
        return api.VideoGrants(
            room_join=True,
            room=room,
            can_publish=False,
            can_subscribe=True,
            can_publish_data=False,
        )
    if role == "listener":
        # Listeners watch and take part in chat (data messages); they never go on camera.
        return api.VideoGrants(
            room_join=True,
            room=room,
            can_publish=False,
            can_subscribe=True,
            can_publish_data=True,
        )
    return api.VideoGrants(
        room_join=True,
        room=room,
        can_publish=True,
        can_publish_sources=list(HOST_SOURCES),
        can_subscribe=True,
        can_publish_data=True,
        room_admin=True if role == "admin" else None,
    )


def live_token(
    settings: Settings, session: LiveSession, identity: str, display_name: str, role: Role
) -> TokenOut:
    issued: datetime = utcnow()
    token = (
        api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret)
        .with_identity(identity)
        .with_name(display_name)
        .with_grants(grants_for(role, session.room_name))
        .with_ttl(TOKEN_TTL)
        .to_jwt()
    )
    return TokenOut(
        url=settings.livekit_url,
        token=token,
        room=session.room_name,
        identity=identity,
        name=display_name,
        role=role,
        expires_at=issued + TOKEN_TTL,
    )
