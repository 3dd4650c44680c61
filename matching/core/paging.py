"""One page of a list, and the query that reads it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

DEFAULT_PAGE_SIZE = 50


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: the items, the total count and the page arithmetic."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first item on this page (0 when the list is empty)."""
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def count_rows(session: Session, query: Select) -> int:
    """How many rows ``query`` returns (its ordering ignored)."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def clamp_page(page: int, total: int, per_page: int) -> int:
    """``page`` moved into 1 … the last page (a page past the end shows the last one)."""
    return min(max(1, page), max(1, math.ceil(total / per_page)))


def paginate(session: Session, query: Select, page: int, per_page: int) -> Page:
    """The page ``page`` of ``query`` (clamped to the pages there are), with the total."""
    total = count_rows(session, query)
    page = clamp_page(page, total, per_page)
    items = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=items, total=total, page=page, per_page=per_page)
