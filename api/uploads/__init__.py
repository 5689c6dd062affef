"""Direct-to-S3 multipart uploads of a content's source."""

from api.uploads.controller import UploadsController

__all__ = ["UploadsController"]
