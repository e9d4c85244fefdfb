"""The /chatkit endpoint, request type by request type, validated against openai-chatkit 1.6."""

from __future__ import annotations

import models


def user_input(text: str) -> dict:
    return {"content": [{"type": "input_text", "text": text}], "attachments": [], "quoted_text": None,
            "inference_options": {}}


def types(evts: list[dict]) -> list[str]:
    return [e["type"] if e["type"] != "thread.item.updated" else e["update"]["type"] for e in evts]


def assistant_text(evts: list[dict]) -> str:
    done = [e["item"] for e in evts if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"]
    assert len(done) == 1, types(evts)
    return done[0]["content"][0]["text"]


def check_assistant_stream(evts: list[dict]) -> None:
    """added -> content_part.added -> text deltas -> content_part.done -> done, deltas adding up."""
    seq = types(evts)
    start = seq.index("thread.item.added")
    item_id = evts[start]["item"]["id"]
    assert evts[start]["item"]["type"] == "assistant_message"
    assert seq[start + 1] == "assistant_message.content_part.added"
    deltas = []
    i = start + 2
    while seq[i] == "assistant_message.content_part.text_delta":
        assert evts[i]["item_id"] == item_id
        deltas.append(evts[i]["update"]["delta"])
        i += 1
    assert deltas, "the reply is streamed as text deltas"
    assert seq[i] == "assistant_message.content_part.done"
    assert seq[i + 1] == "thread.item.done" and evts[i + 1]["item"]["id"] == item_id
    assert "".join(deltas) == evts[i]["update"]["content"]["text"] == assistant_text(evts)


def new_thread(client, text: str) -> tuple[str, list[dict]]:
    evts = client.stream("threads.create", {"input": user_input(text)})
    models.events(evts)
    return evts[0]["thread"]["id"], evts


def test_threads_create_streams_the_reference_event_sequence(client):
    thread_id, evts = new_thread(client, "add a task to buy milk")
    seq = types(evts)
    assert seq[0] == "thread.created"
    assert evts[0]["thread"]["id"].startswith("thr_")
    assert seq[1] == "thread.item.done" and evts[1]["item"]["type"] == "user_message"
    assert evts[1]["item"]["content"][0]["text"] == "add a task to buy milk"
    assert evts[1]["item"]["thread_id"] == thread_id
    assert seq[2] == "stream_options"
    assert "progress_update" in seq, "tool progress is reported"
    check_assistant_stream(evts)
    assert "buy milk" in assistant_text(evts)
    assert seq[-1] == "thread.updated" and evts[-1]["thread"]["title"] == "add a task to buy milk"
    assert [t["title"] for t in client.tasks()] == ["buy milk"]


def test_add_user_message_lists_tasks_with_a_todo_widget(client):
    thread_id, _ = new_thread(client, "add a task to buy milk")
    client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("remind me to call mom")})
    evts = client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("show me all my tasks")})
    models.events(evts)
    seq = types(evts)
    assert seq[0] == "thread.item.done" and evts[0]["item"]["type"] == "user_message"
    assert seq[1] == "stream_options"
    assert "thread.created" not in seq and "thread.updated" not in seq
    check_assistant_stream(evts)
    widgets = [e["item"] for e in evts if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"]
    assert len(widgets) == 1
    root = widgets[0]["widget"]
    assert root["type"] == "ListView"
    boxes = [row["children"][0] for row in root["children"]]
    assert [b["type"] for b in boxes] == ["Checkbox", "Checkbox"]
    assert [b["defaultChecked"] for b in boxes] == [False, False]
    assert boxes[0]["onChangeAction"] == {"type": "todo.toggle", "payload": {"task_id": 1}, "handler": "server",
                                          "loadingBehavior": "self", "streaming": True}


def test_the_todo_widget_shows_priority_due_date_and_tags(client):
    """Issue 16: under each checkbox, the task's priority, its due date relative to now in the
    user's time zone (overdue marked) and its tags; a plain task has none."""
    r = client.http.put(f"/api/{client.user_id}/settings", headers=client.headers(),
                        json={"timezone": "Asia/Karachi"})
    assert r.status_code == 200, r.text
    r = client.http.post(f"/api/{client.user_id}/tasks", headers=client.headers(),
                         json={"title": "File taxes", "due_at": "2020-01-01T12:00:00Z", "tags": ["money"]})
    assert r.status_code == 201, r.text
    thread_id, _ = new_thread(client, "add a high priority task to pay rent tomorrow at 5pm tagged home")
    client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("add buy milk")})
    evts = client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("show me all my tasks")})
    models.events(evts)
    widget = [e["item"] for e in evts if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"][0]
    rows = widget["widget"]["children"]
    assert [len(r["children"]) for r in rows] == [2, 2, 1], "a meta row under tasks with details only"
    taxes = rows[0]["children"][1]
    assert taxes["type"] == "Row"
    assert [c["type"] for c in taxes["children"]] == ["Caption", "Badge"]
    assert taxes["children"][0]["value"] == "Overdue · was due Wed 1 Jan 2020 17:00"
    assert taxes["children"][0]["color"] == "danger"
    assert taxes["children"][1]["label"] == "#money"
    rent = rows[1]["children"][1]
    assert [c.get("label", c.get("value")) for c in rent["children"]] == ["high priority", "Due tomorrow 17:00", "#home"]
    assert "[ ] 2. pay rent (high priority, Due tomorrow 17:00, #home)" in widget["copy_text"]
    # a reload re-renders the same details from the tasks' current state
    items = client.json("items.list", {"thread_id": thread_id, "limit": 50, "order": "asc"})
    models.check(models.ITEM_PAGE, items)
    stored = [i for i in items["data"] if i["id"] == widget["id"]][0]
    assert stored["widget"]["children"][1]["children"][1] == rent


def widget_of(client, thread_id: str) -> dict:
    evts = client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("show me all my tasks")})
    return [e["item"] for e in evts if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"][0]


def test_custom_action_toggles_a_task_through_the_widget(client):
    thread_id, _ = new_thread(client, "add a task to buy milk")
    widget = widget_of(client, thread_id)
    evts = client.stream("threads.custom_action", {
        "thread_id": thread_id, "item_id": widget["id"],
        "action": {"type": "todo.toggle", "payload": {"task_id": 1, "completed": True}},
    })
    models.events(evts)
    seq = types(evts)
    assert seq[0] == "stream_options"
    updated = [e for e in evts if e["type"] == "thread.item.updated" and e["update"]["type"] == "widget.root.updated"]
    assert len(updated) == 1 and updated[0]["item_id"] == widget["id"]
    assert updated[0]["update"]["widget"]["children"][0]["children"][0]["defaultChecked"] is True
    check_assistant_stream(evts)
    assert "complete" in assistant_text(evts)
    assert client.tasks()[0]["completed"] is True
    # without `completed` the action flips the current state
    evts = client.stream("threads.custom_action", {
        "thread_id": thread_id, "item_id": widget["id"],
        "action": {"type": "todo.toggle", "payload": {"task_id": 1}},
    })
    models.events(evts)
    assert client.tasks()[0]["completed"] is False
    # the stored widget shows the latest state after a reload
    items = client.json("items.list", {"thread_id": thread_id, "order": "asc", "limit": 100})
    models.check(models.ITEM_PAGE, items)
    stored = [i for i in items["data"] if i["id"] == widget["id"]][0]
    assert stored["widget"]["children"][0]["children"][0]["defaultChecked"] is False


def test_loaded_widgets_show_the_current_task_state(client):
    thread_id, _ = new_thread(client, "add a task to buy milk")
    client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("add a task to call mom")})
    widget = widget_of(client, thread_id)
    assert [r["children"][0]["defaultChecked"] for r in widget["widget"]["children"]] == [False, False]
    # changed elsewhere: task 1 completed and task 2 renamed through the REST API
    r = client.http.put(f"/api/{client.user_id}/tasks/1", json={"completed": True}, headers=client.headers())
    assert r.status_code == 200, r.text
    r = client.http.put(f"/api/{client.user_id}/tasks/2", json={"title": "call mom tonight"}, headers=client.headers())
    assert r.status_code == 200, r.text
    for loaded in (client.json("items.list", {"thread_id": thread_id, "order": "asc"})["data"],
                   client.json("threads.get_by_id", {"thread_id": thread_id})["items"]["data"]):
        shown = [i for i in loaded if i["id"] == widget["id"]][0]
        models.check(models.ITEM_PAGE, {"data": [shown], "has_more": False})
        boxes = [r["children"][0] for r in shown["widget"]["children"]]
        assert [b["defaultChecked"] for b in boxes] == [True, False]
        assert boxes[1]["label"] == "2. call mom tonight"
        assert "[x] 1. buy milk" in shown["copy_text"]


def test_custom_action_errors(client):
    thread_id, _ = new_thread(client, "add a task to buy milk")
    r = client.request("threads.custom_action", {"thread_id": thread_id, "item_id": None,
                                                 "action": {"type": "launch.rockets", "payload": {}}})
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_ACTION"
    # an action on a task that does not exist is explained, nothing changes
    evts = client.stream("threads.custom_action", {"thread_id": thread_id, "item_id": None,
                                                   "action": {"type": "todo.toggle", "payload": {"task_id": 99, "completed": True}}})
    models.events(evts)
    assert "couldn't" in assistant_text(evts)
    assert client.tasks()[0]["completed"] is False


def test_retry_after_item_regenerates_the_reply(client):
    thread_id, evts = new_thread(client, "show me all my tasks")
    user_item = evts[1]["item"]["id"]
    evts = client.stream("threads.retry_after_item", {"thread_id": thread_id, "item_id": user_item})
    models.events(evts)
    assert types(evts)[0] == "stream_options"
    check_assistant_stream(evts)
    items = client.json("items.list", {"thread_id": thread_id, "order": "asc"})
    kinds = [i["type"] for i in items["data"]]
    assert kinds == ["user_message", "assistant_message"], "earlier replies were replaced, not duplicated"
    r = client.request("threads.retry_after_item", {"thread_id": thread_id, "item_id": items["data"][1]["id"]})
    assert r.status_code == 422


def test_get_by_id_update_and_delete(client):
    thread_id, _ = new_thread(client, "add a task to buy milk")
    thread = client.json("threads.get_by_id", {"thread_id": thread_id})
    models.check(models.THREAD, thread)
    assert thread["id"] == thread_id
    assert [i["type"] for i in thread["items"]["data"]] == ["user_message", "assistant_message"]
    renamed = client.json("threads.update", {"thread_id": thread_id, "title": "Groceries"})
    models.check(models.THREAD, renamed)
    assert renamed["title"] == "Groceries"
    assert client.json("threads.get_by_id", {"thread_id": thread_id})["title"] == "Groceries"
    r = client.request("threads.update", {"thread_id": thread_id, "title": "   "})
    assert r.status_code == 422
    assert client.json("threads.delete", {"thread_id": thread_id}) == {}
    r = client.request("threads.get_by_id", {"thread_id": thread_id})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"


def test_threads_list_paginates(client):
    ids = [new_thread(client, f"add a task to item {i}")[0] for i in range(3)]
    first = client.json("threads.list", {"limit": 2, "order": "desc"})
    models.check(models.THREAD_PAGE, first)
    assert [t["id"] for t in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True and first["after"] == ids[1]
    second = client.json("threads.list", {"limit": 2, "order": "desc", "after": first["after"]})
    models.check(models.THREAD_PAGE, second)
    assert [t["id"] for t in second["data"]] == [ids[0]] and second["has_more"] is False
    asc = client.json("threads.list", {"limit": 10, "order": "asc"})
    assert [t["id"] for t in asc["data"]] == ids
    assert all(t["title"].startswith("add a task to item") for t in asc["data"])


def test_large_limits_are_clamped_like_the_official_server(client):
    ids = [new_thread(client, f"add a task to clamp {i}")[0] for i in range(2)]
    for limit in (200, 1000):
        page = client.json("threads.list", {"limit": limit, "order": "asc"})
        models.check(models.THREAD_PAGE, page)
        assert [t["id"] for t in page["data"]] == ids and page["has_more"] is False
        items = client.json("items.list", {"thread_id": ids[0], "limit": limit, "order": "asc"})
        models.check(models.ITEM_PAGE, items)
        assert [i["type"] for i in items["data"]] == ["user_message", "assistant_message"]


def test_echoed_user_item_keeps_tags_and_quoted_text(client):
    tag = {"type": "input_tag", "id": "task-1", "text": "groceries", "data": {"kind": "list"}, "interactive": False}
    text = {"type": "input_text", "text": "add a task to buy milk for"}
    params = {"input": {"content": [text, tag], "attachments": [], "quoted_text": "we are out of milk",
                        "inference_options": {}}}
    evts = client.stream("threads.create", params)
    models.events(evts)
    echo = evts[1]["item"]
    assert echo["type"] == "user_message"
    assert echo["content"] == [text, tag]
    assert echo["quoted_text"] == "we are out of milk"
    assert len(client.tasks()) == 1


def test_items_list_paginates(client):
    thread_id, _ = new_thread(client, "add a task to a")
    for text in ["add a task to b", "add a task to c"]:
        client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input(text)})
    seen, after = [], None
    while True:
        params = {"thread_id": thread_id, "limit": 2, "order": "asc"}
        if after:
            params["after"] = after
        page = client.json("items.list", params)
        models.check(models.ITEM_PAGE, page)
        seen += page["data"]
        if not page["has_more"]:
            break
        after = page["after"]
    assert [i["type"] for i in seen] == ["user_message", "assistant_message"] * 3
    newest = client.json("items.list", {"thread_id": thread_id, "limit": 1})
    assert newest["data"][0]["id"] == seen[-1]["id"], "default order is newest first"


def test_items_feedback(client):
    thread_id, evts = new_thread(client, "add a task to buy milk")
    reply = [e["item"]["id"] for e in evts if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"][0]
    assert client.json("items.feedback", {"thread_id": thread_id, "item_ids": [reply], "kind": "positive"}) == {}
    r = client.request("items.feedback", {"thread_id": thread_id, "item_ids": [reply], "kind": "meh"})
    assert r.status_code == 422


def test_authentication_is_required(client):
    r = client.request("threads.list", {}, token=None)
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"
    r = client.request("threads.list", {}, token="not-a-jwt")
    assert r.status_code == 401


def test_another_users_thread_is_not_found(client, other):
    thread_id, evts = new_thread(client, "add a task to secret plan")
    user_item = evts[1]["item"]["id"]
    attempts = [
        ("threads.get_by_id", {"thread_id": thread_id}),
        ("items.list", {"thread_id": thread_id}),
        ("threads.update", {"thread_id": thread_id, "title": "mine now"}),
        ("threads.delete", {"thread_id": thread_id}),
        ("items.feedback", {"thread_id": thread_id, "item_ids": [user_item], "kind": "negative"}),
        ("threads.add_user_message", {"thread_id": thread_id, "input": user_input("show me all my tasks")}),
        ("threads.retry_after_item", {"thread_id": thread_id, "item_id": user_item}),
        ("threads.custom_action", {"thread_id": thread_id, "item_id": None,
                                   "action": {"type": "todo.toggle", "payload": {"task_id": 1, "completed": True}}}),
    ]
    for kind, params in attempts:
        r = other.request(kind, params)
        assert r.status_code == 404, f"{kind}: {r.status_code} {r.text}"
        assert "secret plan" not in r.text
    assert other.json("threads.list", {})["data"] == []
    assert client.json("threads.get_by_id", {"thread_id": thread_id})["title"] == "add a task to secret plan"
    assert client.tasks()[0]["completed"] is False
    assert other.tasks() == []


def test_bad_requests_are_rejected_and_change_nothing(client):
    assert client.raw("{not json").status_code == 400
    assert client.raw({"params": {}}).status_code == 400
    r = client.request("threads.teleport", {})
    assert r.status_code == 400 and r.json()["code"] == "UNKNOWN_REQUEST_TYPE"
    r = client.request("attachments.create", {"name": "a.png", "size": 1, "mime_type": "image/png"})
    assert r.status_code == 400 and r.json()["code"] == "UNSUPPORTED_REQUEST"
    assert client.request("threads.create", {}).status_code == 422
    assert client.request("threads.create", {"input": user_input("   ")}).status_code == 422
    assert client.request("threads.create", {"input": user_input("x" * 8001)}).status_code == 422
    assert client.request("threads.get_by_id", {"thread_id": "thr_nope"}).status_code == 404
    assert client.json("threads.list", {})["data"] == []
    assert client.tasks() == []
