"""Live chat: GET|POST /live/sessions/{id}/chat, moderated by the service's host and moderators.

A message is stored, then published on `live:{id}` (the session's event stream: everyone
watching receives it over its WebSocket or SSE, in one order across every API process), then
sent into the LiveKit room on the `lk.chat` topic so the room and the stream share one
conversation. When the recording becomes content its chat stays with it: GET
/content/{id}/chat gives each message's second in the recording.
"""

from __future__ import annotations

import logging

import anyio
import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import signed_in
from api.auth.tokens import AuthUser
from api.community import moderation_service as moderation
from api.community.gate import ensure_length, ensure_not_muted
from api.content.service import load_content
from api.errors import Conflict, InvalidInput, NotFound
from api.live.chat_schemas import (
    ChatIn,
    ChatMessageOut,
    ChatMuteIn,
    ChatPage,
    ChatSettingsIn,
    ChatSettingsOut,
)
from api.live.chat_service import (
    ensure_moderates_chat,
    ensure_not_too_soon,
    history,
    live_scope,
    message_out,
    moderates_chat,
    recording_clock,
    replayed,
    slow_mode_s,
)
from api.live.service import display_name, load_session
from models import ChatMessage, ChatSettings, Content, LiveSession, User, utcnow
from models.community import COMMUNITY
from models.upsert import dialect_insert
from pipelines.live import errors as live_errors
from pipelines.live.livekit import is_configured
from pipelines.live.room_chat import chat_payload, send_chat
from settings import Settings
from workers.pubsub import live_channel, publish

log = logging.getLogger(__name__)
MAX_LIMIT = 500


async def _to_room(settings: Settings, room_name: str, payload: bytes) -> None:
    """Best effort, after the answer: the message is already stored and streamed; a room that
    is gone or a LiveKit outage costs the room its copy, never the sender their message."""
    try:
        await send_chat(settings, room_name, payload)
    except live_errors.LiveKitError as exc:
        log.warning("chat message not sent to room %s: %s", room_name, exc)


async def _announce(session_id: str, event: dict[str, object]) -> None:
    await anyio.to_thread.run_sync(publish, live_channel(session_id), msgspec.to_builtins(event))


class ChatController(Controller):
    path = "/live/sessions/{session_id:str}/chat"
    tags = ["live"]

    @get("/", summary="The chat so far, oldest first (pages by cursor)")
    async def read(
        self,
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        limit: FromQuery[int] = 100,
        cursor: FromQuery[str | None] = None,
    ) -> ChatPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
        session = await load_session(db, session_id, user)
        return await _page(db, session, user, limit, cursor)

    @post("/", guards=[signed_in], status_code=201, summary="Send a message to everyone watching")
    async def send(
        self,
        session_id: FromPath[str],
        data: JSONBody[ChatIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        state: State,
    ) -> Response[ChatMessageOut]:
        assert user is not None
        ensure_length(data.text.strip(), settings.chat_message_max_chars)
        session = await load_session(db, session_id, user)
        if session.status == "ended":
            raise Conflict("the service has ended; its chat is closed")
        await ensure_not_muted(db, user, live_scope(session.id))
        await ensure_not_muted(db, user, COMMUNITY)
        if not moderates_chat(session, user):
            await ensure_not_too_soon(
                state.redis, session.id, user, await slow_mode_s(db, session.id)
            )
        message = ChatMessage(
            session_id=session.id,
            author_id=user.id,
            author_name=await display_name(db, user),
            text=data.text.strip(),
            sent_at=utcnow(),
        )
        db.add(message)
        await db.commit()
        out = message_out(message, recording_clock(session))
        await _announce(session.id, {"type": "chat_message", "message": out})
        background = None
        if session.status == "live" and is_configured(settings):
            payload = chat_payload(message.id, message.text, message.author_name, message.sent_at)
            background = BackgroundTask(_to_room, settings, session.room_name, payload)
        return Response(out, status_code=201, background=background)

    @delete(
        "/{message_id:str}",
        guards=[signed_in],
        status_code=204,
        summary="Remove a message (the host or a moderator)",
    )
    async def remove(
        self,
        session_id: FromPath[str],
        message_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        session = await load_session(db, session_id, user)
        ensure_moderates_chat(session, user)
        message = await db.get(ChatMessage, message_id)
        if message is None or message.session_id != session.id:
            raise NotFound("no such message")
        message.removed, message.removed_by = True, user.id
        moderation.record(db, user, "remove_chat", "chat_message", message.id, "")
        await db.commit()
        await _announce(session.id, {"type": "chat_removed", "message_id": message.id})

    @put(
        "/settings",
        guards=[signed_in],
        summary="Slow mode: seconds between a member's messages (the host or a moderator)",
    )
    async def configure(
        self,
        session_id: FromPath[str],
        data: JSONBody[ChatSettingsIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ChatSettingsOut:
        session = await load_session(db, session_id, user)
        ensure_moderates_chat(session, user)
        values = {"session_id": session.id, "slow_mode_s": data.slow_mode_s, "updated_at": utcnow()}
        await db.execute(
            dialect_insert(db, ChatSettings, values).on_conflict_do_update(
                index_elements=["session_id"],
                set_={"slow_mode_s": data.slow_mode_s, "updated_at": values["updated_at"]},
            )
        )
        await db.commit()
        await _announce(session.id, {"type": "chat_settings", "slow_mode_s": data.slow_mode_s})
        return ChatSettingsOut(session_id=session.id, slow_mode_s=data.slow_mode_s)

    @post(
        "/mutes",
        guards=[signed_in],
        status_code=201,
        summary="Mute a member in this service's chat (the host or a moderator)",
    )
    async def mute(
        self,
        session_id: FromPath[str],
        data: JSONBody[ChatMuteIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ChatSettingsOut:
        assert user is not None
        session = await load_session(db, session_id, user)
        ensure_moderates_chat(session, user)
        if await db.get(User, data.user_id) is None:
            raise NotFound("no such member")
        await moderation.mute(
            db, data.user_id, live_scope(session.id), data.minutes, user, "muted in live chat"
        )
        await db.commit()
        return ChatSettingsOut(session_id=session.id, slow_mode_s=await slow_mode_s(db, session.id))


async def _page(
    db: AsyncSession,
    session: LiveSession,
    user: AuthUser | None,
    limit: int,
    cursor: str | None,
    recording: Content | None = None,
) -> ChatPage:
    """A page of the service's chat; with `recording`, timed in what that recording plays."""
    rows, next_cursor = await history(
        db, session.id, limit=limit, cursor=cursor, with_removed=moderates_chat(session, user)
    )
    clock = recording_clock(session)
    return ChatPage(
        session_id=session.id,
        recording_content_id=session.content_id,
        slow_mode_s=await slow_mode_s(db, session.id),
        items=(
            replayed(rows, session, recording)
            if recording is not None
            else [message_out(m, clock) for m in rows]
        ),
        next_cursor=next_cursor,
    )


@get(
    "/content/{content_id:str}/chat",
    tags=["live"],
    summary="A recording's live chat, each message at its second in the recording (replay)",
)
async def recording_chat(
    content_id: FromPath[str],
    db: NamedDependency[AsyncSession],
    user: NamedDependency[AuthUser | None],
    limit: FromQuery[int] = 500,
    cursor: FromQuery[str | None] = None,
) -> ChatPage:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
    content = await load_content(db, content_id, user)
    session = await db.scalar(select(LiveSession).where(LiveSession.content_id == content.id))
    if session is None:
        raise NotFound("this content is not the recording of a live service")
    # Whoever may watch the recording may read its chat, whatever the session's own visibility.
    return await _page(db, session, None, limit, cursor, recording=content)
