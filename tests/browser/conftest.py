"""Fixtures for the browser tests: a Chromium driver (skipped with a reason when not installed) and test-artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from chromium_helper import Chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.skip("Chromium is not installed (scripts/install.sh installs it: apt-get install chromium)")
    return Chromium(exe, tmp_path_factory.mktemp("chromium-profile"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
