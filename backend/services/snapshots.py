"""A use case's typed result as plain data (JSON-able) and back, field by field from its type hints.

What an idempotency record keeps (services/idempotency.py): the first result, not its rendering, so a
replay hands the route the same result and the route's presenter gives the same JSON. Handles
dataclasses, enums, datetime/date, `X | None`, lists and tuples of those, and plain JSON values.
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """`value` as JSON-able data: dataclasses become dicts of their fields, enums their value,
    datetimes and dates ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"no snapshot for {type(value).__name__}")


def from_data(kind: type[T], data: Any) -> T:
    """The `kind` that to_data turned into `data`."""
    return _load(kind, data)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"no snapshot for {kind}")
        return _load(options[0], data)
    if origin in (list, tuple):
        args = typing.get_args(kind)
        items = [_load(args[0] if args else Any, v) for v in data]
        return items if origin is list else tuple(items)
    if kind is Any or kind is object or data is None:
        return data
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{f.name: _load(hints[f.name], data[f.name])
                       for f in dataclasses.fields(kind) if f.init and f.name in data})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if kind is float and isinstance(data, int):
        return float(data)
    return data
