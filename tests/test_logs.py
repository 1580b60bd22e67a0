"""Structured logs: one JSON access line per request, request ids, app lines as JSON."""

from __future__ import annotations

import json
import logging
import sys
import uuid

import pytest
from helpers import assert_problem

from api import create_app
from api.http.access import new_request_id
from api.operations.logs import REQUEST_ID_KEY, JsonFormatter, RequestIdFilter


@pytest.fixture
def logged(make_app, corpus, tmp_path):
    """An app writing its access lines to a file, and a reader of that file's lines."""
    path = tmp_path / "access.log"
    app = make_app(corpus, ACCESS_LOG=str(path))

    def lines() -> list[dict]:
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]

    return app.test_client(), lines


def test_one_access_line_per_request(logged):
    client, lines = logged
    response = client.get(
        "/articles/a01?fields=id",
        headers={"User-Agent": "probe/1.0", "X-Request-Id": "req-42"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 200
    client.get("/articles/nope")
    first, second = lines()
    version = client.get("/").get_json()["contentVersion"]
    assert first == {
        "time": first["time"],
        "level": "INFO",
        "logger": "api.access",
        "message": first["message"],
        "pid": first["pid"],
        "request_id": "req-42",
        "method": "GET",
        "route": "/articles/<article_id>",
        "path": "/articles/a01",
        "query": "fields=id",
        "status": 200,
        "duration_ms": first["duration_ms"],
        "version": version,
        "remote_addr": "192.0.2.7",
        "user_agent": "probe/1.0",
        "bytes": len(response.data),
    }
    assert first["message"].startswith("GET /articles/a01?fields=id 200 ")
    assert first["time"].endswith("+00:00") and first["duration_ms"] > 0
    assert (second["path"], second["status"], second["query"]) == ("/articles/nope", 404, "")
    assert second["request_id"] != "req-42"


def test_streams_304s_heads_and_errors_each_leave_one_line(logged):
    """Every kind of answer passes the access layer once: a stream (its length unknown
    when its head goes out), a revalidation answered 304, a HEAD, a refused query."""
    client, lines = logged
    stream = client.get("/articles/export.ndjson?topic=ai")
    tag = client.get("/topics").headers["ETag"]
    revalidated = client.get("/topics", headers={"If-None-Match": tag})
    head = client.head("/providers")
    refused = client.get("/articles?pageSize=0", headers={"X-Request-Id": "bad-1"})
    assert (stream.status_code, revalidated.status_code, head.status_code) == (200, 304, 200)
    logged_lines = lines()
    assert [(x["method"], x["route"], x["status"]) for x in logged_lines] == [
        ("GET", "/articles/export.ndjson", 200),
        ("GET", "/topics", 200),
        ("GET", "/topics", 304),
        ("HEAD", "/providers", 200),
        ("GET", "/articles", 400),
    ]
    assert logged_lines[0]["bytes"] is None  # streamed
    assert logged_lines[1]["version"] == revalidated.headers["X-Content-Version"]
    assert logged_lines[4]["request_id"] == "bad-1" == refused.get_json()["requestId"]
    ids = [x["request_id"] for x in logged_lines]
    sent = [r.headers["X-Request-Id"] for r in (stream, revalidated, head, refused)]
    assert len(set(ids)) == 5 and [ids[0], *ids[2:]] == sent


def test_request_id_is_echoed_generated_or_replaced(client):
    assert (
        client.get("/topics", headers={"X-Request-Id": "abc.DEF_1-2:3"}).headers["X-Request-Id"]
        == "abc.DEF_1-2:3"
    )
    generated = client.get("/topics").headers["X-Request-Id"]
    assert uuid.UUID(hex=generated).version == 4 and len(generated) == 32
    assert client.get("/topics").headers["X-Request-Id"] != generated
    for insane in ("x" * 129, "two words", "é", "a\tb", "<script>", ""):
        echoed = client.get("/topics", headers={"X-Request-Id": insane}).headers["X-Request-Id"]
        assert echoed != insane and uuid.UUID(hex=echoed).version == 4


def test_new_request_ids_are_uuid4():
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(uuid.UUID(hex=i).hex == i and uuid.UUID(hex=i).version == 4 for i in ids)


def test_problem_documents_carry_the_request_id(client):
    response = client.get("/articles?pageSize=0", headers={"X-Request-Id": "trace-me"})
    doc = assert_problem(response, 400, "pageSize")
    assert doc["requestId"] == "trace-me" == response.headers["X-Request-Id"]


def test_app_lines_are_json_with_the_request_id(app):
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    record = logging.LogRecord("api", logging.WARNING, __file__, 1, "skipped %s", ("x.md",), None)
    with app.test_request_context("/", environ_base={REQUEST_ID_KEY: "in-request"}):
        RequestIdFilter().filter(record)
    line = json.loads(handler.format(record))
    assert line["message"] == "skipped x.md" and line["level"] == "WARNING"
    assert line["logger"] == "api" and line["request_id"] == "in-request"
    outside = logging.LogRecord("api", logging.INFO, __file__, 1, "indexed", (), None)
    RequestIdFilter().filter(outside)
    assert "request_id" not in json.loads(handler.format(outside))
    try:
        raise ValueError("bad")
    except ValueError:
        failed = logging.LogRecord("api", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())
    assert "ValueError: bad" in json.loads(handler.format(failed))["exc_info"]


def test_the_load_report_has_fields(make_app, corpus, caplog):
    (corpus / "empty.md").write_text("", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="api"):
        make_app(corpus)
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "api"]
    skipped, report = lines
    assert skipped["level"] == "WARNING" and skipped["file"] == "empty.md" and skipped["reason"]
    assert report["message"].startswith("indexed 30 articles")
    assert {k: report[k] for k in ("articles", "files", "skipped")} == {
        "articles": 30,
        "files": 31,
        "skipped": 1,
    }
    assert len(report["version"]) == 16 and report["seconds"] >= 0


def test_text_format_for_people(make_app, corpus, tmp_path):
    path = tmp_path / "access.txt"
    client = make_app(corpus, LOG_FORMAT="text", ACCESS_LOG=str(path)).test_client()
    client.get("/topics?page=2")
    line = path.read_text().strip()
    assert "[INFO] api.access: GET /topics?page=2 200 " in line and not line.startswith("{")


def test_access_lines_through_logging_set_up_by_others(client, caplog):
    """Under pytest (or an app embedding this one) logging is someone else's: the access
    line is a record of logger ``api.access`` with its fields."""
    with caplog.at_level(logging.INFO, logger="api.access"):
        client.get("/topics", headers={"X-Request-Id": "via-logging"})
    (record,) = [r for r in caplog.records if r.name == "api.access"]
    assert record.request_id == "via-logging" and record.fields["route"] == "/topics"
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 200 and line["message"].startswith("GET /topics 200 ")


def test_unknown_log_format_stops_start_up(corpus, tmp_path):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app({"CONTENT_DIR": str(corpus), "CACHE_DIR": "", "LOG_FORMAT": "xml"})
