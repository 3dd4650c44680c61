"""The import rules of docs/architecture.md, checked on the source (AST, not at run time).

portal → matching ← workers → embeddings; portal may import workers.queues only;
matching imports none of the others; embeddings imports none of the others.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGES = ("matching", "portal", "workers", "embeddings")
HEAVY = ("torch", "sentence_transformers", "faiss", "onnxruntime", "transformers")

# package → (forbidden top-level modules, allowed exceptions as full module names)
RULES: dict[str, tuple[set[str], set[str]]] = {
    "matching": ({"portal", "workers", "embeddings", "flask", *HEAVY}, set()),
    "embeddings": ({"matching", "portal", "workers", "flask", "sqlalchemy"}, set()),
    "workers": ({"portal", "flask"}, set()),
    "portal": ({"workers", "embeddings", *HEAVY}, {"workers.queues"}),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from workers import queues` imports workers.queues: record the full names.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in ("__import__", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(package: str) -> list[str]:
    forbidden, allowed = RULES[package]
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for lineno, module in imports_of(path):
            top = module.split(".")[0]
            if top in forbidden and not any(
                module == ok or module.startswith(ok + ".") for ok in allowed
            ):
                problems.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    return problems


@pytest.mark.parametrize("package", PACKAGES)
def test_import_rules(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    assert violations(package) == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import torch\nfrom workers.jobs import x\nfrom workers import queues\n"
        "import importlib\nimportlib.import_module('embeddings.encoder')\n"
    )
    modules = [m for _, m in imports_of(bad)]
    assert "torch" in modules and "workers.jobs.x" in modules and "embeddings.encoder" in modules
    assert "workers.queues" in modules


def test_portal_does_not_pull_heavy_libraries_at_run_time() -> None:
    """Importing the web app must not import torch & co (checked in a clean interpreter)."""
    import subprocess
    import sys

    code = (
        "import sys; import portal.app; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def test_violations_are_reported_for_a_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_root = tmp_path
    (fake_root / "portal").mkdir()
    (fake_root / "portal" / "__init__.py").write_text("")
    (fake_root / "portal" / "views.py").write_text(
        "from workers.queues import enqueue\nfrom workers.jobs import purge\nimport faiss\n"
    )
    monkeypatch.setitem(globals(), "ROOT", fake_root)
    assert violations("portal") == [
        "portal/views.py:2 imports workers.jobs.purge",
        "portal/views.py:3 imports faiss",
    ]
