"""Every asset the app serves is its own: `collectstatic` gathers nothing that loads from the internet."""

import re

from django.contrib.staticfiles import finders
from django.core.management import call_command

# Hosts a collected file would fetch from: font and script CDNs, and raw GitHub (ReDoc's bundle names ajv's data
# schema there). JSON Schema's own `$schema` identifiers (json-schema.org/draft…) are names, never fetched.
FETCHED = re.compile(
    rb"(fonts\.googleapis\.com|cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|raw\.githubusercontent\.com)"
)


def test_collected_static_files_load_nothing_from_the_internet(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    collected = [path for path in tmp_path.rglob("*") if path.is_file()]
    names = {path.relative_to(tmp_path).as_posix() for path in collected}
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in names  # the API docs are served
    assert not [name for name in names if "redoc" in name]
    loading = [
        path.relative_to(tmp_path).as_posix()
        for path in collected
        if path.suffix in {".js", ".css", ".html"} and FETCHED.search(path.read_bytes())
    ]
    assert loading == []


def test_the_redoc_bundle_is_not_found_in_development_either():
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js") is None
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js") is not None
