"""Swagger UI at /docs, served from the installed ``swagger_ui_bundle``
package (no CDN), reading the API from /openapi.json."""
import functools
import mimetypes
import os

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from .responses import HttpError

DOCS_PATH = "/docs"
SPEC_PATH = "/openapi.json"

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>eJia API</title>
  <link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="{DOCS_PATH}/index.css">
  <link rel="icon" type="image/png" href="{DOCS_PATH}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{DOCS_PATH}/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="{DOCS_PATH}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script src="{DOCS_PATH}/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"""

# Replaces the bundle's own initializer, which points at a demo API.
INITIALIZER = f"""window.onload = function () {{
  window.ui = SwaggerUIBundle({{
    url: "{SPEC_PATH}",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  }});
}};
"""

_GENERATED = {"swagger-initializer.js": INITIALIZER.encode("utf-8")}
_NOT_SERVED = {"index.html", "index.j2"}  # pages that would load the demo API
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".map": "application/json", ".html": "text/html; charset=utf-8"}
_CACHE = "public, max-age=86400"


def page() -> Response:
    return Response(PAGE, content_type="text/html; charset=utf-8")


def asset(name: str) -> Response:
    """One file of the bundle by its exact name; anything else is a 404."""
    body = _GENERATED.get(name)
    if body is None:
        path = _bundle_files().get(name)
        if path is None:
            raise HttpError(404, "not_found", "No such documentation asset.")
        body = _read(path)
    return Response(body, content_type=_content_type(name), headers={"Cache-Control": _CACHE})


@functools.lru_cache(maxsize=1)
def _bundle_files() -> dict:
    """File name -> path for the bundle's files: a closed set, so a request
    can name nothing outside it (no path traversal)."""
    return {name: os.path.join(swagger_ui_path, name)
            for name in os.listdir(swagger_ui_path)
            if name not in _NOT_SERVED and os.path.isfile(os.path.join(swagger_ui_path, name))}


@functools.lru_cache(maxsize=32)
def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _content_type(name: str) -> str:
    ext = os.path.splitext(name)[1]
    return _TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
