"""Inputs found by review that once crashed start-up or gave a 500, a wrong 304 or a
wrong link; each must now be skipped or answered cleanly."""

from __future__ import annotations

import base64

import orjson
import pytest
from helpers import article_fields, assert_problem, write_seed

from api.content.build import read_folder

BAD_DATES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999Z",
    "'0001-01-01T00:00:00+01:00'",
]


def test_dates_at_the_ends_of_the_calendar_are_skipped(tmp_path, make_app):
    folder = tmp_path / "c"
    for i, date in enumerate(BAD_DATES):
        text = f"---\ntitle: T\nwebUrl: https://x.example/{i}\npublishedDateTime: {date}\n---\n"
        (folder / f"d{i}.md").parent.mkdir(exist_ok=True)
        (folder / f"d{i}.md").write_text(text)
    write_seed(folder, "ok.md", **article_fields(1))
    content = read_folder(folder)
    assert [r.id for r in content.records] == ["ok"]
    assert all("publishedDateTime" in s.reason for s in content.skipped), content.skipped
    assert make_app(folder).test_client().get("/articles").get_json()["total"] == 1


def test_odd_urls_and_lists_are_read_or_skipped(tmp_path):
    folder = tmp_path / "c"
    write_seed(folder, "ipv6.md", title="T", webUrl="http://[::1")
    write_seed(
        folder,
        "width.md",
        **article_fields(2, images=[{"url": "https://i.example/x.jpg", "width": 1.5}]),
    )
    aliases = "---\ntitle: T\nwebUrl: https://x.example/b\nimg: &i {url: 'https://i.example/a'}\n"
    aliases += "related:\n" + "".join(
        "  - {title: R, webUrl: 'https://r.example/', images: [*i]}\n" for _ in range(150)
    )
    (folder / "bomb.md").write_text(aliases + "---\n")
    content = read_folder(folder)
    reasons = {s.path: s.reason for s in content.skipped}
    assert [r.id for r in content.records] == ["ipv6"]  # no provider domain: none
    assert "width: Not a valid integer." in reasons["width.md"]
    assert "related: More than 100 items." in reasons["bomb.md"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("to=9999-12-31", "to"),
        ("from=0001-01-01T00:00:00%2B01:00", "from"),
        ("to=0999-01-01", "to"),
    ],
)
def test_query_dates_at_the_ends_of_the_calendar_are_400(client, query, parameter):
    assert_problem(client.get(f"/articles?{query}"), 400, parameter)


@pytest.mark.parametrize(
    ("sort", "value"),
    [("title", 5), ("-title", True), ("quality", "x"), ("-publishedDateTime", [1])],
)
def test_cursors_with_a_value_of_the_wrong_type_are_400(client, sort, value):
    real = client.get(f"/articles?sort={sort}&pageSize=2&cursor=").get_json()["links"]["next"]
    payload = orjson.loads(base64.urlsafe_b64decode(real.split("cursor=")[1] + "=="))
    payload["k"][0] = value
    token = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()
    assert_problem(client.get(f"/articles?sort={sort}&pageSize=2&cursor={token}"), 400, "cursor")


def test_etags_follow_the_whole_request(client):
    full = client.get("/articles/a00")
    titled = client.get("/articles/a00?fields=title")
    assert full.headers["ETag"] != titled.headers["ETag"]
    bogus = client.get(
        "/articles/a00?fields=bogus", headers={"If-None-Match": full.headers["ETag"]}
    )
    assert_problem(bogus, 400, "fields")
    one = client.get("/articles?category=news&topic=ai").headers["ETag"]
    assert client.get("/articles?category=news%26topic%3Dai").headers["ETag"] != one
    https = client.get("/articles?category=news&topic=ai", base_url="https://localhost")
    assert https.headers["ETag"] != one and https.get_json()["links"]["self"].startswith("https://")


def test_weak_if_none_match_is_a_304(client):
    etag = client.get("/topics").headers["ETag"]
    assert client.get("/topics", headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_links_keep_non_ascii_paths(make_app, tmp_path):
    folder = tmp_path / "c"
    for i in range(3):
        write_seed(folder, f"b{i}.md", title=f"B{i}", webUrl=f"https://bücher.de/{i}")
    client = make_app(folder).test_client()
    response = client.get("/providers/bücher.de/articles?pageSize=1")
    body, version = response.get_json(), response.headers["X-Content-Version"]
    assert body["links"]["next"] == (
        "http://localhost/providers/b%C3%BCcher.de/articles?pageSize=1"
        f"&contentVersion={version}&page=2"
    )
    assert client.get(body["links"]["next"].removeprefix("http://localhost")).status_code == 200


def test_the_entry_point_rejects_unknown_parameters(client):
    assert_problem(client.get("/?bogus=1"), 400, "bogus")


def test_topics_without_latin_letters_are_kept(make_app, tmp_path):
    folder = tmp_path / "c"
    write_seed(folder, "jp.md", **article_fields(1, topics=["日本", "AI"]))
    client = make_app(folder).test_client()
    topics = client.get("/articles/jp").get_json()["topics"]
    assert topics == [{"id": "日本", "name": "日本"}, {"id": "ai", "name": "AI"}]
    assert client.get("/topics/%E6%97%A5%E6%9C%AC/articles").get_json()["total"] == 1
