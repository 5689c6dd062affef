"""A fake LiveKit server API: the Twirp calls RoomService and Egress make, as LiveKit speaks them.

`POST /twirp/livekit.<Service>/<Method>` with a protobuf body (what livekit-api sends:
`Content-Type: application/protobuf`) or protobuf JSON (`application/json`, camelCase), answered
in the same encoding with the real messages of livekit-protocol. Every call must carry
`Authorization: Bearer <JWT>` signed with the API key/secret and holding the grant LiveKit
checks for that method; errors are Twirp JSON `{"code", "msg"}` with Twirp's HTTP statuses.

The fake also plays LiveKit's other half for tests: `sign_webhook` signs a webhook body the way
the server does, and `complete_egress` says what an egress that wrote its file reports.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web
from google.protobuf.json_format import MessageToDict, MessageToJson, Parse
from google.protobuf.message import Message
from livekit import api

from tests.fakes import FakeHTTPServer, Recorded

# Twirp error codes → HTTP statuses (twirp spec, "Error codes").
TWIRP_STATUS = {
    "invalid_argument": 400,
    "malformed": 400,
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "already_exists": 409,
    "bad_route": 404,
    "internal": 500,
    "unavailable": 503,
}


class TwirpFailure(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass
class Method:
    request: type[Message]
    grant: Callable[[api.VideoGrants, Any], bool]
    handler: Callable[[Any], Message]


@dataclass
class RoomState:
    room: api.Room
    participants: dict[str, api.ParticipantInfo] = field(default_factory=dict)


class FakeLiveKit(FakeHTTPServer):
    def __init__(self, api_key: str, api_secret: str) -> None:
        super().__init__()
        self.api_key, self.api_secret = api_key, api_secret
        self.rooms: dict[str, RoomState] = {}
        self.egresses: dict[str, api.EgressInfo] = {}
        self.data_packets: list[api.SendDataRequest] = []  # what SendData delivered, in order
        self.methods: dict[str, Method] = {
            "livekit.RoomService/CreateRoom": Method(
                api.CreateRoomRequest, lambda g, r: bool(g.room_create), self.create_room
            ),
            "livekit.RoomService/ListRooms": Method(
                api.ListRoomsRequest, lambda g, r: bool(g.room_list), self.list_rooms
            ),
            "livekit.RoomService/ListParticipants": Method(
                api.ListParticipantsRequest, _room_admin, self.list_participants
            ),
            "livekit.RoomService/RemoveParticipant": Method(
                api.RoomParticipantIdentity, _room_admin, self.remove_participant
            ),
            "livekit.RoomService/SendData": Method(
                api.SendDataRequest, _room_admin, self.send_data
            ),
            "livekit.Egress/StartRoomCompositeEgress": Method(
                api.RoomCompositeEgressRequest, lambda g, r: bool(g.room_record), self.start_egress
            ),
            "livekit.Egress/StopEgress": Method(
                api.StopEgressRequest, lambda g, r: bool(g.room_record), self.stop_egress
            ),
            "livekit.Egress/ListEgress": Method(
                api.ListEgressRequest, lambda g, r: bool(g.room_record), self.list_egress
            ),
        }

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/twirp/{service}/{method}", self.twirp)]

    # -- the wire ------------------------------------------------------------------------------

    async def twirp(self, request: web.Request) -> web.Response:
        body = await request.read()
        name = f"{request.match_info['service']}/{request.match_info['method']}"
        as_json = request.content_type == "application/json"
        recorded = Recorded(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            query={k: request.query.getall(k) for k in request.query},
            body=body,
        )
        self.record(recorded)
        method = self.methods.get(name)
        if method is None:
            return _twirp_error("bad_route", f"no handler for path {request.path}")
        try:
            message = method.request()
            if as_json:
                Parse(body.decode() or "{}", message)
            else:
                message.ParseFromString(body)
        except Exception as exc:  # noqa: BLE001 - any decode failure is "malformed"
            return _twirp_error("malformed", f"the request could not be decoded: {exc}")
        recorded.json = MessageToDict(message)
        try:
            grants = self._grants(request.headers.get("Authorization", ""))
            if not method.grant(grants, message):
                raise TwirpFailure("permission_denied", "permissions denied")
            scripted = self.scripted()
            if scripted is not None:
                return web.json_response(scripted.body or {}, status=scripted.status)
            answer = method.handler(message)
        except TwirpFailure as failure:
            return _twirp_error(failure.code, failure.msg)
        if as_json:
            return web.Response(
                text=MessageToJson(answer), content_type="application/json", status=200
            )
        return web.Response(
            body=answer.SerializeToString(), content_type="application/protobuf", status=200
        )

    def _grants(self, header: str) -> api.VideoGrants:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise TwirpFailure("unauthenticated", "authorization header is missing or malformed")
        try:
            claims = api.TokenVerifier(self.api_key, self.api_secret).verify(token)
        except Exception as exc:  # noqa: BLE001 - jwt's error tree: every failure is a 401
            raise TwirpFailure("unauthenticated", f"invalid token: {exc}") from None
        return claims.video or api.VideoGrants()

    # -- RoomService ---------------------------------------------------------------------------

    def create_room(self, request: api.CreateRoomRequest) -> api.Room:
        state = self.rooms.get(request.name)
        if state is None:
            room = api.Room(
                sid=f"RM_{secrets.token_hex(6)}",
                name=request.name,
                empty_timeout=request.empty_timeout,
                departure_timeout=request.departure_timeout,
                max_participants=request.max_participants,
                creation_time=int(time.time()),
            )
            state = self.rooms[request.name] = RoomState(room)
        return state.room

    def list_rooms(self, request: api.ListRoomsRequest) -> api.ListRoomsResponse:
        names = set(request.names)
        rooms = [s.room for n, s in self.rooms.items() if not names or n in names]
        return api.ListRoomsResponse(rooms=rooms)

    def _room(self, name: str) -> RoomState:
        state = self.rooms.get(name)
        if state is None:
            raise TwirpFailure("not_found", "requested room does not exist")
        return state

    def send_data(self, request: api.SendDataRequest) -> api.SendDataResponse:
        self._room(request.room)
        self.data_packets.append(request)
        return api.SendDataResponse()

    def list_participants(self, request: api.ListParticipantsRequest) -> Message:
        state = self._room(request.room)
        return api.ListParticipantsResponse(participants=list(state.participants.values()))

    def remove_participant(self, request: api.RoomParticipantIdentity) -> Message:
        state = self._room(request.room)
        if state.participants.pop(request.identity, None) is None:
            raise TwirpFailure("not_found", "participant does not exist")
        return api.RemoveParticipantResponse()

    def join(
        self, room_name: str, identity: str, name: str = "", *, publisher: bool = False
    ) -> api.ParticipantInfo:
        """A participant connects (what a client with a token does); returns its info."""
        state = self._room(room_name)
        info = api.ParticipantInfo(
            sid=f"PA_{secrets.token_hex(6)}",
            identity=identity,
            name=name,
            state=api.ParticipantInfo.State.ACTIVE,
            joined_at=int(time.time()),
            is_publisher=publisher,
        )
        state.participants[identity] = info
        return info

    # -- Egress --------------------------------------------------------------------------------

    def start_egress(self, request: api.RoomCompositeEgressRequest) -> api.EgressInfo:
        state = self._room(request.room_name)
        info = api.EgressInfo(
            egress_id=f"EG_{secrets.token_hex(6)}",
            room_id=state.room.sid,
            room_name=request.room_name,
            status=api.EgressStatus.EGRESS_STARTING,
            started_at=time.time_ns(),
            room_composite=request,
        )
        self.egresses[info.egress_id] = info
        return info

    def stop_egress(self, request: api.StopEgressRequest) -> api.EgressInfo:
        info = self.egresses.get(request.egress_id)
        if info is None:
            raise TwirpFailure("not_found", "egress does not exist")
        info.status = api.EgressStatus.EGRESS_ENDING
        return info

    def list_egress(self, request: api.ListEgressRequest) -> api.ListEgressResponse:
        items = [
            info
            for info in self.egresses.values()
            if (not request.room_name or info.room_name == request.room_name)
            and (not request.egress_id or info.egress_id == request.egress_id)
            and (
                not request.active
                or info.status in (api.EgressStatus.EGRESS_STARTING, api.EgressStatus.EGRESS_ACTIVE)
            )
        ]
        return api.ListEgressResponse(items=items)

    def output_key(self, egress_id: str) -> str:
        """Where the egress writes its file: the request's filepath with its templates filled."""
        info = self.egresses[egress_id]
        path = info.room_composite.file_outputs[0].filepath
        stamp = time.strftime("%Y-%m-%dT%H%M%S", time.gmtime(info.started_at // 1_000_000_000))
        return (
            path.replace("{room_name}", info.room_name)
            .replace("{room_id}", info.room_id)
            .replace("{time}", stamp)
            .replace("{utc}", stamp)
        )

    def complete_egress(self, egress_id: str, size: int, duration_s: float) -> api.EgressInfo:
        """The egress finished and uploaded its file (the test put it in the bucket)."""
        info = self.egresses[egress_id]
        s3 = info.room_composite.file_outputs[0].s3
        key = self.output_key(egress_id)
        ended = time.time_ns()
        info.status = api.EgressStatus.EGRESS_COMPLETE
        info.ended_at = ended
        del info.file_results[:]
        info.file_results.append(
            api.FileInfo(
                filename=key,
                location=f"{s3.endpoint.rstrip('/')}/{s3.bucket}/{key}",
                size=size,
                duration=int(duration_s * 1e9),
                started_at=info.started_at,
                ended_at=ended,
            )
        )
        return info

    def fail_egress(self, egress_id: str, error: str) -> api.EgressInfo:
        info = self.egresses[egress_id]
        info.status = api.EgressStatus.EGRESS_FAILED
        info.error = error
        info.ended_at = time.time_ns()
        return info


def _room_admin(grants: api.VideoGrants, request: Any) -> bool:
    # LiveKit scopes room_admin to the token's room.
    return bool(grants.room_admin) and grants.room == request.room


def _twirp_error(code: str, msg: str) -> web.Response:
    return web.Response(
        text=json.dumps({"code": code, "msg": msg}),
        status=TWIRP_STATUS.get(code, 500),
        content_type="application/json",
    )


def sign_webhook(
    event: api.WebhookEvent, api_key: str, api_secret: str
) -> tuple[bytes, dict[str, str]]:
    """The body and headers LiveKit sends: protobuf JSON, and a JWT (no "Bearer") whose
    `sha256` claim is the base64 SHA-256 of that body, signed with the API key/secret."""
    body = MessageToJson(event, indent=0).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = (
        api.AccessToken(api_key, api_secret)
        .with_sha256(digest)
        .with_ttl(timedelta(minutes=5))
        .to_jwt()
    )
    return body, {"Authorization": token, "Content-Type": "application/webhook+json"}
