"""The live API: schedule a service, join it with a LiveKit token, follow it as events, and
LiveKit's webhooks that drive it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from litestar import Controller, Request, WebSocket, delete, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import admins_only, creators_only, current_user
from api.auth.tokens import AuthUser
from api.errors import ApiError, Conflict, NotFound, ServiceUnavailable
from api.event_streams import current_number, event_text, numbered_events, with_keepalive
from api.live.guests import GUEST_NAME, admit_guest, guest_identity
from api.live.schemas import ParticipantOut, SessionIn, SessionOut, TokenOut
from api.live.service import (
    ROOM_LIMITS,
    display_name,
    listed_for,
    load_session,
    new_room_name,
    visible_to,
)
from api.live.tokens import live_token, role_for
from api.live.webhooks import apply_event, verify
from api.messages import send
from api.series.lookup import require_series
from models import LiveSession
from pipelines.live import errors as live_errors
from pipelines.live import livekit
from settings import Settings
from workers.live_events import RECORDING, publish_change, session_event, session_state
from workers.pubsub import live_channel

log = logging.getLogger(__name__)


class LiveKitFailed(ApiError):
    status_code = 502
    code = "livekit_failed"


class LiveKitUnavailable(ServiceUnavailable):
    code = "livekit_unavailable"


@asynccontextmanager
async def livekit_errors() -> AsyncIterator[None]:
    """LiveKit's failures as answers: not set up or down is 503, a refusal is 502 (ours)."""
    try:
        yield
    except live_errors.LiveKitNotConfigured as exc:
        raise LiveKitUnavailable(str(exc)) from exc
    except live_errors.LiveKitUnavailable as exc:
        # Its words name LiveKit's internal host and port: for the log, not for the caller.
        log.warning("LiveKit unavailable: %s", exc)
        raise LiveKitUnavailable("live services are not answering; try again shortly") from exc
    except live_errors.LiveKitError as exc:
        raise LiveKitFailed(str(exc)) from exc


async def _snapshot(db: AsyncSession, redis: Any, session: LiveSession) -> dict[str, Any]:
    """The session as it is now, numbered with the last event it already reflects."""
    # The number first, then the row: every event up to it was published after its commit.
    number = await current_number(redis, live_channel(session.id))
    await db.refresh(session)
    snapshot = session_event(session, "snapshot")
    snapshot["id"] = number
    # A stream lasts hours: it must not keep a database connection.
    await db.close()
    return snapshot


class LiveController(Controller):
    path = "/live"
    tags = ["live"]

    @post("/sessions", guards=[creators_only], status_code=201, summary="Schedule a service")
    async def create(
        self,
        data: JSONBody[SessionIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> SessionOut:
        assert user is not None
        await require_series(db, data.series_id, user.id)
        session = LiveSession(
            owner_id=user.id,
            room_name=new_room_name(),
            title=data.title,
            series_id=data.series_id,
            visibility=data.visibility,
            record=data.record,
            status="scheduled",
            scheduled_at=data.starts_at,
            participant_count=0,
        )
        db.add(session)
        await db.commit()
        await db.refresh(session)
        return session_state(session)

    @get("/sessions", summary="Services the caller may see, latest first")
    async def list_sessions(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        status: FromQuery[str | None] = None,
    ) -> list[SessionOut]:
        query = listed_for(user).limit(200)
        if status:
            query = query.where(LiveSession.status == status)
        return [session_state(s) for s in await db.scalars(query)]

    @get("/sessions/{session_id:str}", summary="One service")
    async def read(
        self,
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> SessionOut:
        return session_state(await load_session(db, session_id, user))

    @post(
        "/sessions/{session_id:str}/token",
        status_code=200,
        summary="A LiveKit access token for the service's room (host, admin, listener or guest)",
        description=(
            "Without a sign-in, a visitor gets a watch-only guest token for a public or unlisted "
            "service that is live (no chat), a limited number per address per minute."
        ),
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> TokenOut:
        session = await load_session(db, session_id, user)
        if session.status == "ended":
            raise Conflict("the service has ended")
        role = role_for(user, session) if user is not None else "guest"
        if role in ("listener", "guest") and session.status != "live":
            # LiveKit creates a room on first join: a listener waiting early would start the
            # service (and its recording) before the host.
            raise Conflict("the service has not started yet")
        if not livekit.is_configured(settings):
            raise ServiceUnavailable("live services are not configured on this server")
        if user is None:
            address = request.client.host if request.client else "unknown"
            await admit_guest(request.app.state.redis, settings, session, address)
            return live_token(settings, session, guest_identity(), GUEST_NAME, "guest")
        if role not in ("listener", "guest"):
            async with livekit_errors():
                await livekit.ensure_room(settings, session.room_name, ROOM_LIMITS)
        return live_token(settings, session, user.id, await display_name(db, user), role)

    @get(
        "/sessions/{session_id:str}/participants",
        guards=[admins_only],
        summary="Who is in the room now (admins)",
    )
    async def participants(
        self,
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> list[ParticipantOut]:
        session = await load_session(db, session_id, user)
        try:
            async with livekit_errors():
                return await livekit.list_participants(settings, session.room_name)
        except LiveKitFailed as exc:
            if _twirp_code(exc) == "not_found":
                return []  # no room (not started, or closed): nobody is in it
            raise

    @delete(
        "/sessions/{session_id:str}/participants/{identity:str}",
        guards=[admins_only],
        status_code=204,
        summary="Remove a participant from the room (admins)",
    )
    async def remove_participant(
        self,
        session_id: FromPath[str],
        identity: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> None:
        session = await load_session(db, session_id, user)
        try:
            async with livekit_errors():
                await livekit.remove_participant(settings, session.room_name, identity)
        except LiveKitFailed as exc:
            if _twirp_code(exc) == "not_found":
                raise NotFound("no such participant in the room") from exc
            raise

    @post(
        "/sessions/{session_id:str}/recording/retry",
        guards=[admins_only],
        status_code=202,
        summary="Retry a failed recording: restart the egress, or ingest its file again (admins)",
    )
    async def retry_recording(
        self,
        request: Request[Any, Any, Any],
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> SessionOut:
        # The retry is a message: with Redis away, refuse (503) before marking the recording
        # requested, which would refuse the admin's next retry while nothing runs.
        await request.app.state.redis.ping()
        session = await load_session(db, session_id, user, lock=True)
        if session.content_id is not None:
            raise Conflict("the recording is already in the library")
        args: tuple[str, ...]
        if session.recording_key and session.egress_id:
            action, args = "ingest_recording", (session.id, session.egress_id)
        elif session.status == "live" and session.record:
            if session.egress_status in RECORDING:
                raise Conflict(f"the recording is {session.egress_status}")
            session.egress_status, session.egress_error = "requested", None
            action, args = "start_egress", (session.id,)
        else:
            raise Conflict("nothing to retry: the service is not live and left no recording file")
        event = session_event(session, "recording_retried")
        state = session_state(session)
        await db.commit()
        await anyio.to_thread.run_sync(publish_change, event)
        await send(action, *args)
        return state

    @get(
        "/sessions/{session_id:str}/events",
        summary="Server-Sent Events: the session now, then every change",
    )
    async def events(
        self,
        session_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        channels: NamedDependency[ChannelsPlugin],
    ) -> ServerSentEvent:
        session = await load_session(db, session_id, user)
        snapshot = await _snapshot(db, request.app.state.redis, session)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            yield _sse(snapshot)
            events = numbered_events(channels, live_channel(session_id), snapshot["id"])
            async for event in with_keepalive(events):
                yield _sse(event) if event is not None else KEEPALIVE

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-cache"})

    @websocket("/sessions/{session_id:str}/ws")
    async def socket(
        self,
        socket: WebSocket[Any, Any, Any],
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        channels: NamedDependency[ChannelsPlugin],
    ) -> None:
        """The same events over a WebSocket (the access token may come as `?token=`)."""
        session = await db.get(LiveSession, session_id)
        if session is None or not visible_to(session, current_user(socket)):
            await socket.close(code=4404, reason="no such live session")
            return
        snapshot = await _snapshot(db, socket.app.state.redis, session)
        await socket.accept()
        await socket.send_json(snapshot)

        async with anyio.create_task_group() as tasks:

            async def forward() -> None:
                channel = live_channel(session_id)
                async for event in numbered_events(channels, channel, snapshot["id"]):
                    await socket.send_text(event_text(event))

            async def until_closed() -> None:
                # Clients only listen; reading is how a closed socket is noticed between events.
                try:
                    while True:
                        await socket.receive_data(mode="text")
                except WebSocketDisconnect:
                    pass
                tasks.cancel_scope.cancel()

            tasks.start_soon(forward)
            tasks.start_soon(until_closed)

    @post(
        "/webhooks",
        status_code=200,
        request_max_body_size=1_000_000,
        summary="LiveKit webhooks (signed by LiveKit; no user token)",
    )
    async def webhook(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> dict[str, str]:
        # The raw body: the signature covers these exact bytes, not a re-encoding of them.
        body = await request.body()
        event = verify(settings, body, request.headers.get("authorization", ""))
        # What follows the commit (an egress to start, a recording to ingest) goes through
        # Redis, and a retry of an applied event is a duplicate: with Redis away, refuse (503)
        # before applying, and LiveKit's retry applies it once Redis is back.
        await request.app.state.redis.ping()
        applied = await apply_event(db, event)
        if applied is None:
            await db.rollback()
            return {"status": "duplicate", "id": event.id}
        await db.commit()
        if applied.event is not None:
            await anyio.to_thread.run_sync(publish_change, applied.event)
            session_id = str(applied.event["session"]["id"])  # type: ignore[index]
            if applied.start_egress:
                await send("start_egress", session_id)
            if applied.ingest_egress_id:
                await send("ingest_recording", session_id, applied.ingest_egress_id)
        return {"status": "applied" if applied.event else "ignored", "id": event.id}


KEEPALIVE = ServerSentEventMessage(data=None, comment="keepalive")


def _sse(event: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        data=event_text(event), event=str(event["type"]), id=str(event["id"])
    )


def _twirp_code(exc: LiveKitFailed) -> str:
    cause = exc.__cause__
    return cause.twirp_code if isinstance(cause, live_errors.LiveKitRefused) else ""
