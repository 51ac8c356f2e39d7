"""Clips the decoder tests share: a real 30 fps clip and a variable-frame-rate copy of it (made with ffmpeg)."""

from pathlib import Path

import pytest
from tests.fixtures.videos import write_vfr_copy

KB = "to-be-frank/videos/kb-deadlift.mp4"  # 480x480, 30 fps, 86 frames


@pytest.fixture(scope="session")
def kb(shared_data: Path) -> Path:
    path = shared_data / KB
    if not path.exists():
        pytest.skip(f"{KB} is absent from the shared data folder")
    return path


@pytest.fixture(scope="session")
def vfr(kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 30 fps for 1.5 s, then 10 fps: frames 0-44 every 33 ms, then every 100 ms.
    return write_vfr_copy(kb, tmp_path_factory.mktemp("vfr") / "vfr.mp4", switch_s=1.5, keep_every=3, scale_w=240)
