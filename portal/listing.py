"""Small helpers shared by list pages: page numbers and enum filters from the query string."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from flask import request

E = TypeVar("E", bound=Enum)
MAX_PAGE = 100_000


def page_arg(name: str = "side") -> int:
    """The 1-based page number from the query string (bad values mean page 1)."""
    try:
        page = int(request.args.get(name, "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def enum_arg(name: str, enum_cls: type[E], allowed: list[E] | None = None) -> E | None:
    """An enum value from the query string, or None when absent, unknown or not allowed."""
    raw = request.args.get(name, "")
    try:
        value = enum_cls(raw)
    except ValueError:
        return None
    if allowed is not None and value not in allowed:
        return None
    return value


def page_url_args(page: int) -> dict[str, str]:
    """The current query string with another page number (for pagination links)."""
    args = {k: v for k, v in request.args.items() if k != "side" and v}
    args["side"] = str(page)
    return args
