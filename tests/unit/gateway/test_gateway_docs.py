"""Swagger UI at /docs, from the installed swagger_ui_bundle (no CDN)."""
import os
import re

import pytest
from swagger_ui_bundle import swagger_ui_path


def test_the_docs_page_is_html_loading_local_assets_only(call):
    reply = call("docs_page", "GET", "/docs")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    sources = re.findall(r'(?:src|href)="([^"]+)"', reply.text)
    assert "/docs/swagger-ui-bundle.js" in sources and "/docs/swagger-ui.css" in sources
    assert all(source.startswith("/docs/") for source in sources)
    assert "http://" not in reply.text and "https://" not in reply.text


@pytest.mark.parametrize("name, content_type", [
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("favicon-32x32.png", "image/png"),
])
def test_assets_are_the_installed_bundle_files(call, name, content_type):
    reply = call("docs_asset", "GET", f"/docs/{name}", asset=name)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type
    with open(os.path.join(swagger_ui_path, name), "rb") as handle:
        assert reply.response.get_data() == handle.read()


def test_the_initializer_points_at_the_api_document(call):
    reply = call("docs_asset", "GET", "/docs/swagger-initializer.js", asset="swagger-initializer.js")
    assert reply.status == 200
    assert 'url: "/openapi.json"' in reply.text
    assert "petstore" not in reply.text


@pytest.mark.parametrize("name", ["nope.js", "../__init__.py", "..%2F__init__.py", "index.html",
                                  "/etc/passwd", "vendor/../swagger-ui.css", ""])
def test_anything_else_is_a_json_404(call, name):
    reply = call("docs_asset", "GET", f"/docs/{name}", asset=name)
    assert reply.status == 404
    assert reply.error["code"] == "not_found"
