"""The moderators' page: the report queue, what the word list held back, the word list and the
audit log, read through the same functions the moderation API answers with
(api/community/moderation_queue.py). The buttons act through the moderation API itself from the
page's script, so every action is checked, applied and logged in one place."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import moderators_only
from api.auth.tokens import AuthUser
from api.community import moderation_queue as queue
from api.community.views import names
from api.web.community import edit_open_after
from api.web.live import page_token
from api.web.templating import page
from settings import Settings

# Enough of each list for a sitting; "More" shows the next ones (the API's keyset cursors).
QUEUE_SIZE = 50
LOG_SIZE = 50
# What a moderator picks from when muting, in minutes.
MUTE_CHOICES = ((60, "an hour"), (1440, "a day"), (10_080, "a week"), (43_200, "30 days"))


class ModerationPages(Controller):
    path = "/moderation"
    include_in_schema = False
    guards = [moderators_only]

    @get("/", name="moderation")
    async def moderation(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        cursor: FromQuery[str] = "",
        list_: Annotated[Literal["reports", "log"], QueryParameter(name="list")] = "reports",
    ) -> Template:
        """`cursor` (from a "More" link) continues the list `list`; the other starts over."""
        reports = await queue.report_page(
            db,
            settings,
            user,
            status="open",
            limit=QUEUE_SIZE,
            cursor=cursor if list_ == "reports" and cursor else None,
        )
        log = await queue.action_page(
            db, limit=LOG_SIZE, cursor=cursor if list_ == "log" and cursor else None
        )
        # The log names moderators and muted members by id; the page shows their names.
        people = await names(
            db,
            {a.moderator_id for a in log.items if a.moderator_id}
            | {a.target_id for a in log.items if a.target_type == "user"},
        )
        return page(
            request,
            "moderation.html",
            title="Moderation",
            reports=reports.items,
            reports_more=reports.next_cursor,
            held=await queue.held_items(db, settings, user),
            words=await queue.word_list(db),
            log=log.items,
            log_more=log.next_cursor,
            people=people,
            mute_choices=MUTE_CHOICES,
            api_token=page_token(settings, user),
            edit_open_after=edit_open_after(settings),
        )
