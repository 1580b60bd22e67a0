"""openapi.yaml through outside tools: Spectral and Redocly lint it clean, and clients
generated from it work against the real server.

The npm tools are pinned in tools/package.json (installed with `npm ci` in tools/, as
.ci/run does); openapi-python-client is in the `test` extra. Without them these tests
skip, except in CI (the CI variable set), where a missing tool fails.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
BIN = TOOLS / "node_modules" / ".bin"
SPEC = ROOT / "openapi.yaml"
# Redocly's CLI phones home and checks for updates unless told not to.
NODE_ENV = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
# What a generated client's calls take for the path and required parameters
# (the `corpus` fixture's articles; see tests/helpers.py).
CALL_ARGS = {"article_id": "a00", "topic_id": "ai", "provider_id": "voanews.com", "q": "sto"}
JSON_TYPES = {"application/json", "application/feed+json"}


def _need(path: Path | None, what: str) -> Path:
    if path is not None and path.exists():
        return path
    message = f"{what} is not installed (cd tools && npm ci; pip install -e '.[test]')"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _node_tool(name: str) -> Path:
    if shutil.which("node") is None:
        _need(None, "node")
    return _need(BIN / name, name)


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=120, **kwargs
    )


def test_spectral_oas_finds_nothing():
    """Spectral's `spectral:oas` ruleset (.spectral.yaml): no error, warning, info or hint."""
    spectral = _node_tool("spectral")
    result = _run(
        [spectral, "lint", "--ruleset", ROOT / ".spectral.yaml", "-f", "json", "--quiet", SPEC],
        cwd=ROOT,
        env=NODE_ENV,
    )
    assert json.loads(result.stdout or "[]") == [], result.stdout + result.stderr
    assert result.returncode == 0, result.stderr


def test_redocly_recommended_finds_nothing():
    """Redocly's `recommended` ruleset less `no-empty-servers` and `security-defined`
    (redocly.yaml): no error, no warning."""
    redocly = _node_tool("redocly")
    config = yaml.safe_load((ROOT / "redocly.yaml").read_text("utf-8"))
    assert config == {
        "extends": ["recommended"],
        "rules": {"no-empty-servers": "off", "security-defined": "off"},
    }
    result = _run(
        [redocly, "lint", SPEC, "--config", ROOT / "redocly.yaml", "--format", "json"],
        cwd=ROOT,
        env=NODE_ENV,
    )
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, report["problems"]
    assert result.returncode == 0, result.stderr


def test_typescript_client_compiles_strict_and_runs_against_the_server(server, tmp_path):
    """Types from openapi-typescript; tools/client/check.ts, compiled with `tsc --strict`,
    lists articles, reads one and reads a 404 as a problem document, under node. The
    program holds one misuse marked `@ts-expect-error`: were the generated types not
    checked, that unused directive would itself fail the compile."""
    generate, tsc = _node_tool("openapi-typescript"), _node_tool("tsc")
    shutil.copy(TOOLS / "client" / "check.ts", tmp_path / "check.ts")
    generated = _run([generate, SPEC, "--output", tmp_path / "api.ts"], cwd=TOOLS, env=NODE_ENV)
    assert generated.returncode == 0, generated.stderr
    tsconfig = {
        "compilerOptions": {
            "strict": True,
            "target": "ES2022",
            "module": "commonjs",
            "lib": ["ES2022"],
            "types": ["node"],
            "typeRoots": [str(TOOLS / "node_modules" / "@types")],
            "skipLibCheck": True,  # @types/node's own .d.ts files; ours are all checked
            "outDir": str(tmp_path / "out"),
        },
        "files": ["check.ts", "api.ts"],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(tsconfig))
    compiled = _run([tsc, "--project", tmp_path / "tsconfig.json"], cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = _run(["node", tmp_path / "out" / "check.js", server.base], cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    assert seen["total"] == 30 and seen["pageSize"] == 2 and len(seen["ids"]) == 2
    # Links that continue a walk carry the content version they were made from (README
    # "Cluster").
    with urllib.request.urlopen(f"{server.base}/readyz") as ready:
        version = ready.headers["X-Content-Version"]
    assert seen["next"] == f"{server.base}/articles?pageSize=2&contentVersion={version}&page=2"
    assert seen["article"]["id"] == seen["ids"][0] and seen["article"]["title"]
    assert seen["misspelt"] is None
    assert seen["problem"] == {
        "status": 404,
        "title": "Not Found",
        "detail": "No article has the id 'no-such-article'.",
    }


def test_python_client_calls_every_json_operation(server, tmp_path, monkeypatch, request):
    """A client generated by openapi-python-client calls each operation that answers
    JSON, gets a 200 and parses it into its model."""
    generator = _need(
        Path(sys.executable).parent / "openapi-python-client", "openapi-python-client"
    )
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\npackage_name_override: news_client\n")
    out = tmp_path / "news_client"
    command = [generator, "generate", "--path", SPEC, "--config", config, "--meta", "none"]
    result = _run([*command, "--output-path", out], cwd=tmp_path)
    assert (out / "client.py").exists(), result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    client_module = importlib.import_module("news_client.client")
    client = client_module.Client(base_url=server.base, raise_on_unexpected_status=True)
    request.addfinalizer(lambda: client.get_httpx_client().close())  # no socket left open

    spec = yaml.safe_load(SPEC.read_text("utf-8"))
    called = []
    for path, item in spec["paths"].items():
        operation = item["get"]
        (content_type,) = operation["responses"]["200"]["content"]
        if content_type not in JSON_TYPES:
            continue
        tag = operation["tags"][0]
        name = _snake(operation["operationId"])
        module = importlib.import_module(f"news_client.api.{tag}.{name}")
        wanted = inspect.signature(module.sync_detailed).parameters
        args = {k: v for k, v in CALL_ARGS.items() if k in wanted}
        response = module.sync_detailed(client=client, **args)
        assert response.status_code == 200, (path, response.content[:300])
        parsed = response.parsed
        assert parsed is not None and hasattr(parsed, "to_dict"), (path, parsed)
        # Every field the server sent is one the model knows (dates come back as
        # datetimes, so the values are compared by the model's own reading).
        assert parsed.to_dict().keys() == json.loads(response.content).keys(), path
        assert getattr(parsed, "additional_properties", {}) == {}, path
        called.append(operation["operationId"])
    assert len(called) == 18, called  # all but the 6 exports and 6 XML feeds


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
