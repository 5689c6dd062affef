"""Jinja templates of the pages, and the one way a handler answers with a page."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup, escape

from api.auth.middleware import current_user
from api.web.assets import asset_url
from api.web.pages import nav_for
from settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
_MARK = re.compile(r"&lt;(/?)mark&gt;")


def marked(snippet: str | None) -> Markup:
    """A search snippet: everything escaped but the <mark> tags the search put around the hits."""
    return Markup(_MARK.sub(r"<\1mark>", str(escape(snippet or ""))))


def clock(seconds: float | None) -> str:
    """1:02:03 or 4:05."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def day(value: date | datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    def setup(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.globals.update(asset=asset_url, church=settings)
        env.filters.update(marked=marked, clock=clock, day=day)

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=setup)


def page(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """A page with what every page shows: who is signed in and the navigation for them."""
    user = current_user(request)
    context.setdefault("title", "")
    return Template(
        template_name=name,
        context={"user": user, "nav": nav_for(user), "path": request.url.path, **context},
        status_code=status_code,
        headers={"cache-control": "private, no-cache"} if user else {"cache-control": "no-cache"},
    )
