"""The rules of docs/architecture.md, checked on the source (AST, not at run time).

- Packages: portal → matching ← workers → embeddings; portal may import workers.queues only;
  matching imports none of the others; embeddings imports none of the others.
- Areas inside matching import only the areas below them (:data:`AREAS`).
- No application module is over :data:`MAX_MODULE_LINES` lines (the generated demo vocabulary
  and the migrations aside).
- The test tree mirrors the packages, and no test module imports another test module.
- Validity on a day is written as SQL in one place (``models.base.Dated.valid_on``).
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


# --- areas inside the domain layer ----------------------------------------------------------

# area → the areas it may import (besides itself). Lower areas never import higher ones:
# models ← core ← rules ← accounts, people ← vacancies ← ranking ← referrals ← fairs ← intake
# ← demo (the demo seeds CVs as the CV editor stores them).
# ``core.dates`` is pure (no tables), so the models' validity expression may use it; the
# built-in taxonomy reads the occupation list of the demo vocabulary, a data module.
AREAS: dict[str, set[str]] = {
    "models": set(),
    "core": {"models"},
    "rules": {"models", "core"},
    "accounts": {"models", "core"},
    "people": {"models", "core", "rules"},
    "vacancies": {"models", "core", "rules", "accounts", "people"},
    "ranking": {"models", "core", "rules", "accounts", "people", "vacancies"},
    "referrals": {"models", "core", "rules", "accounts", "people", "vacancies", "ranking"},
    "fairs": {
        "models",
        "core",
        "rules",
        "accounts",
        "people",
        "vacancies",
        "ranking",
        "referrals",
    },  # fmt: skip
    "intake": {
        "models",
        "core",
        "rules",
        "accounts",
        "people",
        "vacancies",
        "ranking",
        "referrals",
        "fairs",
    },  # fmt: skip
    "demo": {
        "models",
        "core",
        "rules",
        "accounts",
        "people",
        "vacancies",
        "ranking",
        "referrals",
        "fairs",
        "intake",
    },  # fmt: skip
    "migrations": {"models", "core"},
}
AREA_EXCEPTIONS = {
    ("models", "matching.core.dates"),  # the pure date functions (Dated.valid_on)
    ("ranking", "matching.demo.vocab"),  # the built-in taxonomy's occupation list (data)
}


def area_of(path: Path) -> str | None:
    parts = path.relative_to(ROOT / "matching").parts
    return parts[0] if len(parts) > 1 else None


def area_violations() -> list[str]:
    problems = []
    for path in sorted((ROOT / "matching").rglob("*.py")):
        area = area_of(path)
        if area is None:
            continue
        assert area in AREAS, f"{path.relative_to(ROOT)}: unknown area {area!r}, add it to AREAS"
        for lineno, module in imports_of(path):
            parts = module.split(".")
            if parts[0] != "matching" or len(parts) < 2 or parts[1] == area:
                continue
            if parts[1] in AREAS[area] or any(
                area == where and module.startswith(allowed) for where, allowed in AREA_EXCEPTIONS
            ):
                continue
            problems.append(f"{path.relative_to(ROOT)}:{lineno} ({area}) imports {module}")
    return problems


def test_areas_import_only_the_areas_below_them() -> None:
    assert area_violations() == []


def test_every_area_is_a_package_with_a_docstring() -> None:
    for area in AREAS:
        init = ROOT / "matching" / area / "__init__.py"
        if area == "migrations":
            continue
        assert init.exists(), area
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), area


# --- sizes ----------------------------------------------------------------------------------

MAX_MODULE_LINES = 600
SIZE_EXEMPT = {"matching/demo/vocab.py"}  # generated vocabulary


def test_no_application_module_is_over_600_lines() -> None:
    long = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if "migrations" in path.parts or rel in SIZE_EXEMPT:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                long.append(f"{rel}: {lines} lines")
    assert long == []


# --- the test tree --------------------------------------------------------------------------

TESTS = ROOT / "tests"
SHARED = {"support", "factories", "fixtures"}  # helpers and data, not tests of a package


def test_the_test_tree_mirrors_the_packages() -> None:
    """tests/matching/fairs/exports/ tests matching/fairs/exports/, and so on down."""
    unmatched = []
    for folder in sorted(p for p in TESTS.rglob("*") if p.is_dir()):
        rel = folder.relative_to(TESTS)
        if rel.parts[0] in SHARED or "__pycache__" in rel.parts:
            continue
        if not (ROOT / rel).is_dir():
            unmatched.append(str(rel))
    assert unmatched == []


def is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def test_no_test_module_imports_another_test_module() -> None:
    """Shared helpers live in tests/support and tests/factories, never in a test or conftest."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for lineno, module in imports_of(path):
            if module.startswith("tests.") and any(
                is_test_module(".".join(module.split(".")[:i]))
                for i in range(2, len(module.split(".")) + 1)
            ):
                found.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert found == []


# --- one home for validity -------------------------------------------------------------------


def test_validity_on_a_day_is_written_as_sql_only_once() -> None:
    """``x.valid_to.is_(None)`` belongs to Dated.valid_on; everything else calls it."""
    home = ROOT / "matching" / "models" / "base.py"
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == home or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "is_"
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "valid_to"
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_architecture_document_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for area in AREAS:
        if area != "migrations":
            assert f"matching/{area}/" in text, area
