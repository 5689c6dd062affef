"""The community's forms without JavaScript: a post (a prayer request without the name, a photo,
a sermon) and a comment or reply, posted back to the pages with their CSRF token and made by
api/community/writing.py exactly as the JSON API makes them; then the member lands on the post.
With JavaScript the same forms go through the JSON API and the page updates in place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import signed_in
from api.auth.rate_limit import STORE
from api.auth.tokens import AuthUser
from api.community import writing
from api.community.schemas import CommentIn, PostIn
from api.community.views import load_post
from api.errors import InvalidInput
from pipelines.storage import Storage
from settings import Settings

# A sermon's address as the library shows it (/library/{id}, or its embed), or its bare id.
SERMON_ADDRESS = re.compile(r"/(?:library|embed)/([^/?#]+)")
# The API takes a photo of at most 6 MB; a form's other fields are a few kilobytes.
FORM_MAX_BYTES = 7_000_000


@dataclass
class PostForm:
    text: str = ""
    kind: str = "post"
    anonymous: str = ""  # a checkbox: "on" when ticked
    sermon: str = ""
    image: UploadFile | None = None


@dataclass
class CommentForm:
    text: str = ""
    parent_id: str = ""


def sermon_id(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    found = SERMON_ADDRESS.search(value)
    return found[1] if found else value


def _convert(values: dict[str, Any], into: type[Any]) -> Any:
    """The API's own request schema checks a form as it checks a JSON body."""
    try:
        return msgspec.convert(values, into)
    except msgspec.ValidationError as exc:
        raise InvalidInput(str(exc)) from None


class CommunityForms(Controller):
    path = "/community"
    include_in_schema = False
    guards = [signed_in]

    @post("/", name="community_new_post", request_max_body_size=FORM_MAX_BYTES)
    async def new_post(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[PostForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> Redirect:
        assert user is not None
        fields = {"text": data.text, "kind": data.kind, "anonymous": bool(data.anonymous)}
        fields["content_id"] = sermon_id(data.sermon)
        post_in: PostIn = _convert(fields, PostIn)
        image = await data.image.read() if data.image is not None and data.image.filename else None
        store = request.app.stores.get(STORE)
        made = await writing.create_post(db, storage, store, settings, user, post_in, image or None)
        return Redirect(f"/community/{made.id}", status_code=303)

    @post("/{post_id:str}/comments", name="community_new_comment")
    async def new_comment(
        self,
        request: Request[Any, Any, Any],
        post_id: FromPath[str],
        data: Annotated[CommentForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Redirect:
        assert user is not None
        found = await load_post(db, post_id, user)
        comment_in: CommentIn = _convert(
            {"text": data.text, "parent_id": data.parent_id or None}, CommentIn
        )
        store = request.app.stores.get(STORE)
        made = await writing.add_comment(db, store, settings, user, comment_in, post=found)
        return Redirect(f"/community/{found.id}#comment-{made.id}", status_code=303)
