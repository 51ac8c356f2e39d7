"""MediaPipe is imported without its drawing modules, so without matplotlib (``hingecoach.pose.mpimport``).

Each check runs in a fresh interpreter: what a process has imported is the thing under test, and the test session
itself has long since imported matplotlib and MediaPipe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str) -> str:
    """Run ``code`` in a new interpreter with this tree's ``src`` first on the path; its stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


DRAWING_UTILS = "mediapipe.tasks.python.vision.drawing_utils"


@pytest.mark.model
def test_the_landmarker_is_built_without_matplotlib_and_mediapipe_drawing_still_works() -> None:
    out = _python(
        f"""
        import sys
        from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend
        import numpy as np

        finders = list(sys.meta_path)
        with MediaPipePoseBackend(None, with_masks=True) as backend:
            backend.process(np.zeros((64, 64, 3), dtype=np.uint8), 0)
        assert sys.meta_path == finders  # the deferring finder is gone once MediaPipe is imported
        assert not any(m == "matplotlib" or m.startswith("matplotlib.") for m in sys.modules), "matplotlib loaded"
        from mediapipe.tasks.python import vision
        placeholder = sys.modules["{DRAWING_UTILS}"]
        assert type(placeholder).__name__ == "DeferredModule" and vision.drawing_utils is placeholder
        assert placeholder.__spec__.name == "{DRAWING_UTILS}" and placeholder.__file__.endswith("drawing_utils.py")
        import inspect, warnings
        inspect.getmodule(MediaPipePoseBackend)  # reads every module's __file__: must not execute the real one
        warnings.warn("a warning")
        import mediapipe.tasks.python.vision.drawing_utils  # a re-import reads __spec__: must not either
        assert sys.modules["{DRAWING_UTILS}"] is placeholder and "matplotlib" not in sys.modules

        spec = placeholder.DrawingSpec  # the first public attribute read executes the real module
        real = sys.modules["{DRAWING_UTILS}"]
        assert type(real).__name__ == "module" and real is not placeholder and vision.drawing_utils is real
        assert spec is real.DrawingSpec and placeholder.draw_landmarks is real.draw_landmarks
        import matplotlib.pyplot as plt
        assert real.plt is plt and type(plt).__name__ == "module"  # MediaPipe's own pyplot, the real one
        style = vision.drawing_styles.get_default_pose_landmarks_style()  # the other deferred module
        assert len(style) == 33
        assert type(sys.modules["mediapipe.tasks.python.vision.drawing_styles"]).__name__ == "module"
        names = {{}}
        exec("from mediapipe.tasks.python.vision.drawing_utils import *", names)
        assert names["draw_landmarks"] is real.draw_landmarks
        image = np.zeros((32, 32, 3), dtype=np.uint8)
        from mediapipe.tasks.python.components.containers import landmark
        dots = [landmark.NormalizedLandmark(x=0.5, y=0.5, visibility=1.0, presence=1.0)]
        vision.drawing_utils.draw_landmarks(image, dots)  # it really draws
        assert image.any()
        print("ok")
        """
    )
    assert out.strip().endswith("ok")


def test_mediapipe_imported_first_is_left_alone() -> None:
    out = _python(
        f"""
        import sys
        import mediapipe
        from hingecoach.pose.mpimport import import_mediapipe
        assert import_mediapipe() is mediapipe
        assert type(sys.modules["{DRAWING_UTILS}"]).__name__ == "module" and "matplotlib.pyplot" in sys.modules
        print("ok")
        """
    )
    assert out.strip().endswith("ok")


_FIELDS = ("xy_px", "visibility", "t_s", "world_m", "n_people", "back_profile", "other_person")
_EXTRACT = f"""
import json, sys
import numpy as np
if sys.argv[1] == "as-before":
    import mediapipe  # imported whole, drawing modules and pyplot included, as before hingecoach.pose.mpimport
from hingecoach.pose.extract import extract_track
track = extract_track(sys.argv[2], workers=1)
arrays = {{name: getattr(track, name) for name in {_FIELDS!r}}}
np.savez(sys.argv[3], **{{k: v for k, v in arrays.items() if v is not None}})  # as computed: no casts
print(json.dumps(["matplotlib" in sys.modules, track.fps, track.image_wh, track.warnings]))
"""


@pytest.fixture
def clip(shared_data: Path) -> Path:
    """A short real clip (480 px, 86 frames) both slow tests run the model on."""
    path = shared_data / "to-be-frank" / "videos" / "kb-deadlift.mp4"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.mark.real_data
@pytest.mark.model
@pytest.mark.slow
def test_the_track_is_bit_identical_with_and_without_deferring(clip: Path, tmp_path: Path) -> None:
    meta = {}
    for order in ("as-before", "deferred"):
        meta[order] = json.loads(_python(_EXTRACT, order, str(clip), str(tmp_path / f"{order}.npz")))
    assert meta["as-before"][0] is True and meta["deferred"][0] is False  # matplotlib imported, or not
    assert meta["as-before"][1:] == meta["deferred"][1:]  # fps, frame size, warnings
    with np.load(tmp_path / "as-before.npz") as a, np.load(tmp_path / "deferred.npz") as b:
        assert a["t_s"].shape == (86,) and sorted(a.files) == sorted(b.files)
        assert {"xy_px", "visibility", "world_m", "n_people", "back_profile"} <= set(a.files)
        for name in a.files:
            x, y = a[name], b[name]
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name  # bit for bit


@pytest.mark.real_data
@pytest.mark.model
@pytest.mark.slow
def test_analyze_to_json_imports_no_matplotlib(clip: Path, tmp_path: Path) -> None:
    # The whole CLI path of `hingecoach analyze clip --json out`: neither MediaPipe nor the report stack pulls it in.
    out = _python(
        """
        import sys
        from hingecoach.entry import main
        sys.argv = ["hingecoach", "analyze", sys.argv[1], "--workers", "1", "--json", sys.argv[2]]
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
        """,
        str(clip),
        str(tmp_path / "a.json"),
    )
    assert out.strip().splitlines()[-1] == "[]"
    assert json.loads((tmp_path / "a.json").read_text())["schema"].startswith("hingecoach/analysis@")
