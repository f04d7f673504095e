from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
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


_Row = TypeVar("_Row", bound=Model)


class Shaped(Generic[_Row]):
    """A list endpoint's rows, shaped for the answer only for the page asked for.

    Handed to ``@paginate``: the count is one COUNT query and only the rows of
    the page are read and shaped, so a call queue of 25,000 offers answers
    from 100 of them.
    """

    def __init__(self, rows: QuerySet[_Row], shape: Callable[[list[_Row]], list[Any]]) -> None:
        self.rows = rows
        self.shape = shape

    def all(self) -> QuerySet[_Row]:
        return self.rows.all()

    def __len__(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return self.shape(list(self.rows[page]))
