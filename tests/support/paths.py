"""Where the project, the test fixtures and the reference data are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_MODELS = ROOT / "var" / "test-models"  # the prepared model, reused across test runs
