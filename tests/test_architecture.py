"""The dependency rule (docs/architecture.md): financeplanner <- channels_app <- contingency.

A module may import its own app and the apps below it, never one above it — at module level or inside a function.
Only the URL confs, which assemble the site, may name the apps above them. The walk reads the source with `ast`, so an
import that is never executed in the tests is caught as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"financeplanner": 0, "channels_app": 1, "contingency": 2}


def is_url_conf(path: Path) -> bool:
    return path.name == "urls.py" or path.name.startswith("urls_")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module an import statement names, anywhere in the file, with its line; relative imports resolved."""
    found = []
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def upward_imports(path: Path, source: str) -> list[str]:
    module = module_name(path)
    own = LAYERS[module.split(".")[0]]
    problems = []
    for line, name in imported_modules(source, module, path.name == "__init__.py"):
        target = LAYERS.get(name.split(".")[0])
        if target is not None and target > own:
            problems.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return problems


def app_sources() -> list[Path]:
    return sorted(p for app in LAYERS for p in (ROOT / app).rglob("*.py") if not is_url_conf(p))


def test_no_app_imports_an_app_above_it():
    sources = app_sources()
    assert len(sources) > 100, "the walk must see the apps' modules"
    problems = [problem for path in sources for problem in upward_imports(path, path.read_text(encoding="utf-8"))]
    assert problems == [], "Upward imports break financeplanner <- channels_app <- contingency:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("financeplanner/x.py", "from contingency.models import DrillRun\n", ["contingency.models"]),
        ("financeplanner/x.py", "def f():\n    import channels_app.watch\n", ["channels_app.watch"]),
        ("channels_app/api/x.py", "def f():\n    from ...contingency import drills\n", ["contingency"]),
        ("channels_app/x.py", "from financeplanner.models import Company\nfrom . import ratings\n", []),
        ("contingency/x.py", "from channels_app import watch\nfrom financeplanner import models\n", []),
    ],
)
def test_the_walk_sees_every_kind_of_import(path, source, expected):
    problems = upward_imports(ROOT / path, source)
    assert [problem.rsplit(" ", 1)[1] for problem in problems] == expected
