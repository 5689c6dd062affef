"""The web pages: server-rendered HTML over the API's own services (see README "Pages")."""

from api.web.router import web_handlers
from api.web.templating import template_config

__all__ = ["template_config", "web_handlers"]
