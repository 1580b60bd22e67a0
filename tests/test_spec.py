"""The OpenAPI spec: valid, in step with openapi.yaml, and true of real responses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
FORMATS = Draft202012Validator.FORMAT_CHECKER


@pytest.fixture
def spec(app) -> dict:
    """The app's spec as a plain JSON document."""
    with app.app_context():
        return json.loads(
            json.dumps(app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict())
        )


def test_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_openapi_yaml_matches_the_app(spec):
    committed = yaml.safe_load((ROOT / "openapi.yaml").read_text("utf-8"))
    assert committed == spec, "openapi.yaml is stale: run `make openapi`"


def test_served_spec_is_the_app_spec(client, spec):
    assert client.get("/openapi.json").get_json() == spec


def test_every_operation_and_parameter_is_documented(spec):
    for path, item in spec["paths"].items():
        for param in item.get("parameters", []):
            assert param.get("description") and "example" in param, (path, param["name"])
        op = item["get"]
        assert op.get("summary") and op.get("description") is not None, path
        for param in op.get("parameters", []):
            assert param.get("description"), (path, param["name"])
            assert {"example", "default"} & (param.keys() | param["schema"].keys()), param["name"]
        (ok,) = op["responses"]["200"]["content"].values()  # one format per operation
        assert "example" in ok, path


def _validator(spec: dict, ref: str) -> Draft202012Validator:
    # The spec itself is the schema's root, so `#/components/...` references resolve.
    return Draft202012Validator({**spec, "$ref": ref}, format_checker=FORMATS)


PATH_IDS = {"{article_id}": "a00", "{provider_id}": "voanews.com", "{topic_id}": "ai"}
REQUIRED_ARGS = {"/suggest": "?q=a"}


@pytest.mark.parametrize("query", ["", "?pageSize=2&page=2", "?page=99"])
def test_real_responses_match_the_spec(client, spec, query):
    checked = 0
    for path, item in spec["paths"].items():
        url = re.sub(r"\{\w+\}", lambda m: PATH_IDS[m.group(0)], path)
        is_list = "page" in {p["name"] for p in item["get"].get("parameters", [])}
        response = client.get(url + (query if is_list else REQUIRED_ARGS.get(url, "")))
        assert response.status_code == 200, (url, response.data)
        ((mimetype, ok),) = item["get"]["responses"]["200"]["content"].items()
        assert response.mimetype == mimetype, url
        if "$ref" in ok["schema"]:  # JSON; feeds and exports are checked by their own tests
            _validator(spec, ok["schema"]["$ref"]).validate(response.get_json())
        checked += 1
    assert checked == len(spec["paths"]) >= 9


@pytest.mark.parametrize("url", ["/articles/nope", "/articles?page=0", "/topics?sortt=1", "/nope"])
def test_errors_match_the_problem_schema(client, spec, url):
    response = client.get(url)
    assert response.mimetype == "application/problem+json"
    _validator(spec, "#/components/schemas/Problem").validate(response.get_json())


def test_examples_match_their_schemas(spec):
    for item in spec["paths"].values():
        (ok,) = item["get"]["responses"]["200"]["content"].values()
        schema = ok["schema"]
        if "$ref" in schema:
            _validator(spec, schema["$ref"]).validate(ok["example"])
        else:  # feeds and exports: a JSON Schema of their own, or a string
            Draft202012Validator(schema, format_checker=FORMATS).validate(ok["example"])


def test_docs_page_uses_vendored_assets(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/static/swagger-ui-bundle.js" in page and "//cdn" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        with client.get(f"/docs/static/{asset}") as response:
            assert response.status_code == 200


# Every operation's id: what generated clients name their methods after, so a rename
# breaks every client; this list changes only on purpose.
OPERATION_IDS = {
    "/": "getHome",
    "/articles": "listArticles",
    "/articles/export.csv": "exportArticlesCsv",
    "/articles/export.ndjson": "exportArticlesNdjson",
    "/articles/feed.atom": "getFeedAtom",
    "/articles/feed.json": "getFeedJson",
    "/articles/feed.rss": "getFeedRss",
    "/articles/{article_id}": "getArticle",
    "/articles/{article_id}/related": "listArticleRelated",
    "/articles/{article_id}/similar": "listSimilarArticles",
    "/healthz": "getHealth",
    "/providers": "listProviders",
    "/providers/{provider_id}": "getProvider",
    "/providers/{provider_id}/articles": "listProviderArticles",
    "/providers/{provider_id}/export.csv": "exportProviderArticlesCsv",
    "/providers/{provider_id}/export.ndjson": "exportProviderArticlesNdjson",
    "/providers/{provider_id}/feed.atom": "getProviderFeedAtom",
    "/providers/{provider_id}/feed.json": "getProviderFeedJson",
    "/providers/{provider_id}/feed.rss": "getProviderFeedRss",
    "/readyz": "getReadiness",
    "/suggest": "suggest",
    "/sync": "sync",
    "/topics": "listTopics",
    "/topics/{topic_id}": "getTopic",
    "/topics/{topic_id}/articles": "listTopicArticles",
    "/topics/{topic_id}/export.csv": "exportTopicArticlesCsv",
    "/topics/{topic_id}/export.ndjson": "exportTopicArticlesNdjson",
    "/topics/{topic_id}/feed.atom": "getTopicFeedAtom",
    "/topics/{topic_id}/feed.json": "getTopicFeedJson",
    "/topics/{topic_id}/feed.rss": "getTopicFeedRss",
}


def test_every_operation_has_its_stable_operation_id(spec):
    ids = {path: item["get"].get("operationId") for path, item in spec["paths"].items()}
    assert ids == OPERATION_IDS
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", i) for i in ids.values())


# The formats JSON Schema 2020-12 defines, and those OpenAPI 3.1 adds for numbers.
JSON_SCHEMA_FORMATS = {
    *("date-time", "date", "time", "duration", "email", "idn-email", "hostname"),
    *("idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference"),
    *("uuid", "uri-template", "json-pointer", "relative-json-pointer", "regex"),
    *("int32", "int64", "float", "double", "password"),
}


def _formats(node) -> set[str]:
    if isinstance(node, dict):
        own = {node["format"]} if isinstance(node.get("format"), str) else set()
        return own.union(*(_formats(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_formats(v) for v in node))
    return set()


def test_every_format_is_one_json_schema_defines(spec):
    """A format validators do not know (`url`) makes them reject good examples."""
    assert _formats(spec) <= JSON_SCHEMA_FORMATS
    assert spec["components"]["schemas"]["PageLinks"]["properties"]["first"]["format"] == "uri"


def test_the_spec_names_its_server_and_a_contact(spec):
    """Spectral's `oas3-api-servers` and `info-contact`: a relative server is this one."""
    assert spec["servers"] == [{"url": "/", "description": "This server"}]
    assert spec["info"]["contact"]["name"]


def test_a_worker_starts_without_documenting_its_views(make_app, corpus):
    """The spec's paths are made the first time it is read (they were half of a
    worker's start-up), and are then the whole spec, as committed in openapi.yaml."""
    app = make_app(corpus)
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    assert api.spec._paths == {} and api._undocumented
    served = app.test_client().get("/openapi.json").get_json()
    assert not api._undocumented
    committed = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "openapi.yaml").read_text()
    )
    assert served == committed
