"""/: the entry point links to everything, and every link works."""


def test_home_links_to_everything(client):
    body = client.get("/").get_json()
    assert body["title"] == "News Content API" and body["articleCount"] == 30
    assert set(body["links"]) == {"articles", "providers", "topics", "openapi", "docs"}
    for url in body["links"].values():
        with client.get(url.removeprefix("http://localhost")) as response:
            assert response.status_code == 200, url


def test_content_version_changes_with_the_content(make_app, corpus):
    from helpers import article_fields, write_seed

    before = make_app(corpus).test_client().get("/").get_json()["contentVersion"]
    write_seed(corpus, "extra.md", **article_fields(77))
    after = make_app(corpus).test_client().get("/").get_json()
    assert after["contentVersion"] != before and after["articleCount"] == 31
