"""The validation helpers themselves catch bad payloads (no server needed)."""

import pytest

import models


def test_valid_event_passes():
    models.event({"type": "stream_options", "stream_options": {"allow_cancel": False}})


def test_wrong_shape_fails():
    with pytest.raises(Exception):
        models.event({"type": "thread.item.done", "item": {"type": "assistant_message", "id": "x"}})


def test_unknown_field_fails():
    with pytest.raises(AssertionError):
        models.event({"type": "progress_update", "text": "hi", "colour": "red"})
