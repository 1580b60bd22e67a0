"""``secured`` is never sent: every route of the app, over a corpus that sets it at the
top level and hides the secret in every other place a seed could hold it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import article_fields, write_seed

SECRET = "S3CR3T-9f2c41d7"
BUNDLED = Path(__file__).resolve().parent.parent / "seeds" / "000_31537b93d5a29298.txt"
BUNDLED_SECRET = next(
    line.split('"')[1]
    for line in BUNDLED.read_text("utf-8").splitlines()
    if line.startswith("secured:")
)


@pytest.fixture
def secret_client(tmp_path, make_app):
    folder = tmp_path / "content"
    shutil.copy(BUNDLED, folder.mkdir() or folder / BUNDLED.name)
    hidden = {"secured": SECRET}
    for i in range(4):
        fields = article_fields(
            i,
            secured=SECRET if i % 2 else {"key": SECRET, "list": [SECRET]},
            provider={"name": f"P{i}", "domain": f"p{i}.example", **hidden},
            images=[{"url": f"https://img.example/{i}.jpg", **hidden}],
            related=[
                {
                    "title": "Related",
                    "webUrl": f"https://p{(i + 1) % 4}.example/story/{i + 1}",
                    "images": [{"url": "https://img.example/r.jpg", **hidden}],
                    "provider": {"name": "R", **hidden},
                    **hidden,
                }
            ],
            extra={"nested": hidden},
            webUrl=f"https://p{i}.example/story/{i}",
        )
        write_seed(folder, f"s{i}.md", body="Body.\n", **fields)
    return make_app(folder).test_client()


def _values(client, url: str, key: str) -> list[str]:
    return [item[key] for item in client.get(url).get_json()["items"]]


def test_secured_never_appears_in_any_response(secret_client):
    client = secret_client
    app = client.application
    values = {
        "article_id": _values(client, "/articles?pageSize=100", "id"),
        "provider_id": _values(client, "/providers?pageSize=100", "id"),
        "topic_id": _values(client, "/topics?pageSize=100", "id"),
    }
    assert len(values["article_id"]) == 5  # every file was read, none skipped
    checked, requests = set(), 0
    for rule in app.url_map.iter_rules():
        if "filename" in rule.arguments:  # static files: a few of each folder
            owner = app.blueprints.get(rule.endpoint.rpartition(".")[0], app)
            folder = Path(owner.static_folder)
            files = sorted(p for p in folder.rglob("*") if p.is_file())
            values["filename"] = [p.relative_to(folder).as_posix() for p in files]
        urls = [rule.rule]
        for name in rule.arguments:
            urls = [
                u.replace(f"<{name}>", v).replace(f"<path:{name}>", v)
                for u in urls
                for v in values[name]
            ]
        for url in urls:
            for query in ("", "?pageSize=100"):
                for method in ("GET", "HEAD", "OPTIONS"):
                    with client.open(url + query, method=method) as response:
                        assert response.status_code in (200, 308, 400), (url, response.status_code)
                        raw = response.get_data() + str(response.headers).encode()
                    for needle in (b"secured", SECRET.encode(), BUNDLED_SECRET.encode()):
                        assert needle not in raw, (method, url + query, needle)
            checked.add(rule.endpoint)
            requests += len(urls)
    assert checked == {rule.endpoint for rule in app.url_map.iter_rules()} and requests > 50
