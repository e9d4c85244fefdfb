"""Validation against the official openai-chatkit models, plus a check that we send no field the
models do not define (pydantic would silently ignore a misspelt optional field)."""

from __future__ import annotations

from typing import Any

from chatkit.types import Page, Thread, ThreadItem, ThreadStreamEvent
from pydantic import TypeAdapter

EVENT = TypeAdapter(ThreadStreamEvent)
THREAD = TypeAdapter(Thread)
THREAD_PAGE = TypeAdapter(Page[Thread])
ITEM = TypeAdapter(ThreadItem)
ITEM_PAGE = TypeAdapter(Page[ThreadItem])


def _known_keys(sent: Any, dumped: Any, path: str = "$") -> None:
    if isinstance(sent, dict):
        assert isinstance(dumped, dict), f"{path}: expected an object"
        for key, value in sent.items():
            assert key in dumped, f"{path}.{key} is not a field of the official model"
            _known_keys(value, dumped[key], f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(dumped, list) and len(dumped) == len(sent), f"{path}: list mismatch"
        for i, (a, b) in enumerate(zip(sent, dumped)):
            _known_keys(a, b, f"{path}[{i}]")


def check(adapter: TypeAdapter, value: Any):
    model = adapter.validate_python(value)
    dumped = adapter.dump_python(model, mode="json", by_alias=True)
    _known_keys(value, dumped)
    return model


def event(value: dict):
    return check(EVENT, value)


def events(values: list[dict]) -> list:
    return [event(v) for v in values]
