"""A chat message into a LiveKit room: RoomService SendData, reliable, on the `lk.chat` topic,
so people in the room and people watching the stream read one conversation."""

from __future__ import annotations

import json
from datetime import datetime

from livekit import api

from pipelines.live.livekit import livekit_api
from settings import Settings

CHAT_TOPIC = "lk.chat"


def chat_payload(message_id: str, text: str, sender: str, sent_at: datetime) -> bytes:
    """LiveKit's chat message shape (id, timestamp in ms, message), with the sender's name, since
    the server, not a participant, sends it."""
    return json.dumps(
        {
            "id": message_id,
            "timestamp": int(sent_at.timestamp() * 1000),
            "message": text,
            "name": sender,
        }
    ).encode()


async def send_chat(settings: Settings, room_name: str, payload: bytes) -> None:
    async with livekit_api(settings) as lk:
        await lk.room.send_data(
            api.SendDataRequest(
                room=room_name,
                data=payload,
                kind=api.DataPacket.Kind.RELIABLE,
                topic=CHAT_TOPIC,
            )
        )
