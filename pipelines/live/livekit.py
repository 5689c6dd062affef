"""LiveKit's server API through livekit-api (Twirp over HTTP): rooms, participants, recordings.

Each call opens one `LiveKitAPI` (an aiohttp session) and closes it: calls are rare (a room per
service, an egress per recording), and a session must not outlive the event loop that made it
(the API's loop, or the `asyncio.run` of a worker thread).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import msgspec
from livekit import api

from pipelines.live.errors import (
    LiveKitNotConfigured,
    LiveKitRefused,
    LiveKitUnavailable,
    RecordingNeedsS3,
)
from settings import Settings

CALL_TIMEOUT_S = 10.0


class RoomLimits(msgspec.Struct, frozen=True):
    # How long LiveKit keeps a room nobody joined, or everybody left: long enough for a host
    # whose connection dropped to come back without ending the service (and its recording).
    empty_timeout_s: int = 600
    departure_timeout_s: int = 120
    max_participants: int = 500


class Participant(msgspec.Struct, frozen=True):
    identity: str
    name: str
    state: str  # JOINING | JOINED | ACTIVE | DISCONNECTED
    joined_at: int  # epoch seconds
    is_publisher: bool
    kind: str  # STANDARD | INGRESS | EGRESS | SIP | AGENT


def is_configured(settings: Settings) -> bool:
    return bool(settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret)


@asynccontextmanager
async def livekit_api(settings: Settings) -> AsyncIterator[api.LiveKitAPI]:
    """A LiveKit API client whose failures come out as our error classes."""
    if not is_configured(settings):
        raise LiveKitNotConfigured(
            "live services need LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET"
        )
    client = api.LiveKitAPI(
        url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret,
        timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
    )
    try:
        yield client
    except api.TwirpError as exc:
        if exc.status >= 500:
            raise LiveKitUnavailable(f"LiveKit answered {exc.status}: {exc.message}") from exc
        raise LiveKitRefused(
            f"LiveKit refused the call ({exc.code}): {exc.message}", twirp_code=exc.code
        ) from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise LiveKitUnavailable(f"LiveKit is unreachable: {exc!r}") from exc
    finally:
        await client.aclose()


async def ensure_room(settings: Settings, room_name: str, limits: RoomLimits) -> None:
    """Create the room with our limits; LiveKit answers with the existing room if it exists."""
    async with livekit_api(settings) as lk:
        await lk.room.create_room(
            api.CreateRoomRequest(
                name=room_name,
                empty_timeout=limits.empty_timeout_s,
                departure_timeout=limits.departure_timeout_s,
                max_participants=limits.max_participants,
            )
        )


async def list_participants(settings: Settings, room_name: str) -> list[Participant]:
    async with livekit_api(settings) as lk:
        answer = await lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
    return [
        Participant(
            identity=p.identity,
            name=p.name,
            state=api.ParticipantInfo.State.Name(p.state),
            joined_at=int(p.joined_at),
            is_publisher=bool(p.is_publisher),
            kind=api.ParticipantInfo.Kind.Name(p.kind),
        )
        for p in answer.participants
    ]


async def remove_participant(settings: Settings, room_name: str, identity: str) -> None:
    async with livekit_api(settings) as lk:
        await lk.room.remove_participant(
            api.RoomParticipantIdentity(room=room_name, identity=identity)
        )


def recording_output(settings: Settings, filepath: str) -> api.EncodedFileOutput:
    """An MP4 written by LiveKit's egress straight into our bucket at `filepath`."""
    if not settings.is_s3:
        raise RecordingNeedsS3(
            "recording needs S3 storage (STORAGE_BACKEND=s3): LiveKit's egress uploads the "
            "recording to a bucket and cannot write to this machine's disk"
        )
    return api.EncodedFileOutput(
        file_type=api.EncodedFileType.MP4,
        filepath=filepath,
        s3=api.S3Upload(
            access_key=settings.aws_access_key_id,
            secret=settings.aws_secret_access_key,
            region=settings.s3_region,
            bucket=settings.s3_bucket,
            endpoint=settings.s3_endpoint_url,
            # A custom endpoint (MinIO, R2, moto) serves buckets by path, not by subdomain.
            force_path_style=bool(settings.s3_endpoint_url),
        ),
    )


async def start_room_recording(settings: Settings, room_name: str, filepath: str) -> str:
    """Start a room-composite egress (speaker layout, 720p) to S3; returns the egress id."""
    output = recording_output(settings, filepath)
    async with livekit_api(settings) as lk:
        info = await lk.egress.start_room_composite_egress(
            api.RoomCompositeEgressRequest(
                room_name=room_name,
                layout="speaker",
                preset=api.EncodingOptionsPreset.H264_720P_30,
                file_outputs=[output],
            )
        )
    return str(info.egress_id)
