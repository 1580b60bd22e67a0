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
    return Draft202012Validator({**spec, "$ref": ref})


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
            Draft202012Validator(schema).validate(ok["example"])


def test_docs_page_uses_vendored_assets(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/static/swagger-ui-bundle.js" in page and "//cdn" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        with client.get(f"/docs/static/{asset}") as response:
            assert response.status_code == 200
