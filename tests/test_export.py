"""Exports: every article of a query as NDJSON or CSV, streamed in chunks; the same
articles, order and fields as the list; never buffered, never cached."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest
from helpers import article_fields, assert_problem, write_corpus, write_seed

from api import create_app
from api.formats import tabular
from api.formats.tabular import COLUMNS


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One app over the usual 30 articles for this module's read-only tests."""
    root = tmp_path_factory.mktemp("export")
    app = create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": str(write_corpus(root / "content", 30)),
            "CACHE_DIR": str(root / "cache"),
        }
    )
    return app.test_client()


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of 7 articles, so 30 articles cross several chunk boundaries."""
    monkeypatch.setattr(tabular, "CHUNK", 7)


def list_items(client, query: str = "", path: str = "/articles") -> list[dict]:
    """The items the JSON list gives for a query, every page."""
    items, url = [], f"{path}?pageSize=8&{query}"
    while url:
        body = client.get(url).get_json()
        items += body["items"]
        url = body["links"]["next"]
    return items


def ndjson(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def csv_rows(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.endswith("\r\n")  # CRLF line ends (RFC 4180)
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "topic=ai&sort=title",
        "provider=lemonde.fr&minQuality=30&sort=-quality",
        "type=nope",
        "q=story&category=news",
    ],
)
def test_ndjson_is_the_whole_list_one_summary_a_line(client, query):
    response = client.get(f"/articles/export.ndjson?{query}", buffered=False)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert response.headers["Content-Disposition"] == 'attachment; filename="articles.ndjson"'
    expected = list_items(client, query)
    assert response.headers["X-Total-Count"] == str(len(expected))
    assert ndjson(response) == expected


def test_ndjson_fields(client):
    rows = ndjson(client.get("/articles/export.ndjson?fields=id,provider.name,topics.id"))
    assert len(rows) == 30
    assert rows[0] == {
        "id": "a29",
        "provider": {"name": "Le Monde"},
        "topics": [{"id": "computer-vision"}, {"id": "climate-change"}],
    }


def test_csv_is_the_whole_list_one_row_an_article(client):
    response = client.get("/articles/export.csv?topic=ai&sort=title", buffered=False)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="articles.csv"'
    rows = csv_rows(response)
    assert response.get_data(as_text=True).count("\r\n") == len(rows) + 1
    expected = list_items(client, "topic=ai&sort=title")
    assert [row["id"] for row in rows] == [item["id"] for item in expected]
    assert list(rows[0]) == [".".join(path) for path in COLUMNS]
    row, item = rows[0], expected[0]
    assert row["title"] == item["title"]
    assert row["publishedDateTime"] == item["publishedDateTime"]
    assert row["provider.name"] == item["provider"]["name"]
    assert row["topics.id"] == "|".join(t["id"] for t in item["topics"])
    assert row["topics.name"] == "|".join(t["name"] for t in item["topics"])
    assert row["image.url"] == item["image"]["url"]
    assert row["image.isCached"] == "true"
    assert row["published"] == str(item["published"]).lower()
    assert float(row["quality"]) == item["quality"]
    assert row["relatedCount"] == str(item["relatedCount"])


def test_csv_fields_choose_the_columns(client):
    rows = csv_rows(client.get("/articles/export.csv?fields=id,provider,topics.name&topic=ai"))
    assert list(rows[0]) == ["id", "provider.id", "provider.name", "provider.domain", "topics.name"]
    assert len(rows) == 15


def test_csv_quotes_and_empty_values(make_app, tmp_path):
    title = 'Commas, "quotes" and a | bar'
    write_seed(
        tmp_path / "c",
        "q.md",
        **article_fields(
            1, title=title, excerpt="Two\nlines", quality=None, provider=None, topics=[], images=[]
        ),
    )
    client = make_app(tmp_path / "c").test_client()
    text = client.get("/articles/export.csv").get_data(as_text=True)
    assert '"Commas, ""quotes"" and a | bar"' in text
    (row,) = csv_rows(client.get("/articles/export.csv"))
    assert row["title"] == title
    assert row["excerpt"] == "Two\nlines"
    assert row["quality"] == row["topics.id"] == row["image.url"] == row["image.width"] == ""


def test_an_empty_export(client):
    assert client.get("/articles/export.ndjson?topic=nope").get_data() == b""
    text = client.get("/articles/export.csv?topic=nope").get_data(as_text=True)
    assert text == ",".join(".".join(p) for p in COLUMNS) + "\r\n"


@pytest.mark.parametrize(
    ("path", "list_path", "filename"),
    [
        ("/topics/ai", "/topics/ai/articles", "topic-ai-articles"),
        (
            "/providers/voanews.com",
            "/providers/voanews.com/articles",
            "provider-voanews.com-articles",
        ),
    ],
)
def test_exports_of_a_topic_or_provider(client, path, list_path, filename):
    expected = list_items(client, "sort=quality", list_path)
    response = client.get(f"{path}/export.ndjson?sort=quality")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}.ndjson"'
    assert ndjson(response) == expected
    rows = csv_rows(client.get(f"{path}/export.csv?sort=quality"))
    assert [row["id"] for row in rows] == [item["id"] for item in expected]


@pytest.mark.parametrize("url", ["/topics/nope/export.csv", "/providers/nope/export.ndjson"])
def test_unknown_topic_or_provider_is_a_404(client, url):
    assert_problem(client.get(url), 404)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=2", "page"),
        ("pageSize=10", "pageSize"),
        ("cursor=", "cursor"),
        ("fields=nope", "fields"),
        ("sort=nope", "sort"),
        ("minQuality=x", "minQuality"),
        ("fields=highlight", "fields"),
        ("highlight=true&q=story", "highlight"),
        ("facets=topic", "facets"),
    ],
)
@pytest.mark.parametrize("extension", ["ndjson", "csv"])
def test_bad_parameters_are_400s(client, extension, query, parameter):
    assert_problem(client.get(f"/articles/export.{extension}?{query}"), 400, parameter)


def test_exports_are_never_kept_in_the_response_cache(client):
    responses = client.application.extensions["responses"]
    responses.clear()
    for _ in range(2):
        client.get("/articles/export.ndjson").get_data()
        client.get("/articles/export.csv").get_data()
    assert responses == {}
    for _ in range(2):  # (an answer is kept once asked twice)
        client.get("/articles/feed.json").get_data()
    assert len(responses) == 1  # feeds are, as lists are


def test_exports_are_compressed_as_a_stream_and_revalidate(client):
    plain = client.get("/articles/export.ndjson").get_data()
    response = client.get("/articles/export.ndjson", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response.headers
    assert gzip.decompress(response.get_data()) == plain
    etag = response.headers["ETag"]
    assert etag.endswith(':gzip"')
    again = client.get(
        "/articles/export.ndjson", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.get_data() == b""


def test_export_reads_the_index_a_chunk_at_a_time(client, monkeypatch):
    """The stream asks the index for CHUNK articles at a time, only as it is read."""
    index = client.application.extensions["content"].index
    asked: list[int] = []
    real = type(index).summaries_ndjson

    def spy(self, positions):
        asked.append(len(positions))
        return real(self, positions)

    monkeypatch.setattr(type(index), "summaries_ndjson", spy)
    response = client.get("/articles/export.ndjson", buffered=False)
    chunks = iter(response.response)
    next(chunks)
    assert asked == [7]
    rest = b"".join(chunks)
    response.close()
    assert asked == [7, 7, 7, 7, 2] and rest.count(b"\n") == 23
