from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 100
# Far beyond any list here, and far below what a database integer holds: an
# unbounded offset reached SQLite as an overflowing integer (found by schemathesis).
MAX_OFFSET = 1_000_000


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` with both bounded, answered as ``{"items", "count"}``."""

    class Input(Schema):
        limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
