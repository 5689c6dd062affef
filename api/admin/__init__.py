"""The admin API: every job visible, retried or cancelled in one call; queue depths."""

from api.admin.controller import AdminJobsController, reprocess_content

__all__ = ["AdminJobsController", "reprocess_content"]
