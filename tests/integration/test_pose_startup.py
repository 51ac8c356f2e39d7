"""MediaPipe is imported without ``matplotlib.pyplot`` (``hingecoach.pose.mpimport``), and nothing else changes.

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


@pytest.mark.model
def test_the_landmarker_is_built_without_loading_pyplot_and_pyplot_still_works() -> None:
    out = _python(
        """
        import sys
        from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend
        import numpy as np

        with MediaPipePoseBackend(None, with_masks=True) as backend:
            backend.process(np.zeros((64, 64, 3), dtype=np.uint8), 0)
        from mediapipe.tasks.python import vision
        placeholder = sys.modules["matplotlib.pyplot"]
        assert type(placeholder).__name__ == "PyplotPlaceholder", type(placeholder)
        assert vision.drawing_utils.plt is placeholder  # MediaPipe's own ``import matplotlib.pyplot as plt``
        heavy = {"matplotlib.figure", "matplotlib.axes", "matplotlib.backend_bases"} & set(sys.modules)
        assert not heavy, f"pyplot's machinery was loaded: {heavy}"  # (``import matplotlib`` itself still is)
        import inspect, warnings
        inspect.getmodule(MediaPipePoseBackend)  # scans sys.modules' __file__s: must not load pyplot
        warnings.warn("a warning")
        assert sys.modules["matplotlib.pyplot"] is placeholder
        assert placeholder.__spec__.name == "matplotlib.pyplot" and placeholder.__file__.endswith("pyplot.py")

        figure = placeholder.figure  # the first public attribute read loads the real pyplot
        real = sys.modules["matplotlib.pyplot"]
        assert type(real).__name__ == "module" and real is not placeholder
        import matplotlib, matplotlib.pyplot as plt
        assert plt is real and matplotlib.pyplot is real
        assert figure is real.figure and vision.drawing_utils.plt.subplots is real.subplots
        names = {}
        exec("from matplotlib.pyplot import *", names)
        assert names["figure"] is real.figure
        fig = vision.drawing_utils.plt.figure(figsize=(2, 2))  # MediaPipe's plt really draws
        assert fig in [real.figure(n) for n in real.get_fignums()]
        print("ok")
        """
    )
    assert out.strip().endswith("ok")


def test_pyplot_imported_first_is_left_alone() -> None:
    out = _python(
        """
        import sys
        import matplotlib.pyplot as plt
        from hingecoach.pose.mpimport import import_mediapipe
        mp = import_mediapipe()
        from mediapipe.tasks.python import vision
        assert sys.modules["matplotlib.pyplot"] is plt and vision.drawing_utils.plt is plt
        assert mp is sys.modules["mediapipe"]
        print("ok")
        """
    )
    assert out.strip().endswith("ok")


def test_the_placeholder_stands_in_before_mediapipe_is_imported() -> None:
    # ``import matplotlib.pyplot; matplotlib.pyplot.plot`` (the package attribute) works before the real load too.
    out = _python(
        """
        import sys
        from hingecoach.pose.mpimport import defer_pyplot
        defer_pyplot()
        defer_pyplot()  # idempotent
        import matplotlib.pyplot
        assert type(sys.modules["matplotlib.pyplot"]).__name__ == "PyplotPlaceholder"
        plot = matplotlib.pyplot.plot
        assert plot is sys.modules["matplotlib.pyplot"].plot and matplotlib.pyplot is sys.modules["matplotlib.pyplot"]
        assert "figure" in dir(matplotlib.pyplot)
        print("ok")
        """
    )
    assert out.strip().endswith("ok")


_FIELDS = ("xy_px", "visibility", "t_s", "world_m", "n_people", "back_profile", "other_person")
_EXTRACT = f"""
import json, sys
import numpy as np
if sys.argv[1] == "pyplot-first":
    import matplotlib.pyplot  # the import order before hingecoach.pose.mpimport: MediaPipe gets the real pyplot
from hingecoach.pose.extract import extract_track
track = extract_track(sys.argv[2], workers=1)
arrays = {{name: getattr(track, name) for name in {_FIELDS!r}}}
np.savez(sys.argv[3], **{{k: v for k, v in arrays.items() if v is not None}})  # as computed: no casts
print(json.dumps([type(sys.modules["matplotlib.pyplot"]).__name__, track.fps, track.image_wh, track.warnings]))
"""


@pytest.mark.real_data
@pytest.mark.model
@pytest.mark.slow
def test_the_track_is_bit_identical_with_and_without_pyplot(shared_data: Path, tmp_path: Path) -> None:
    clip = shared_data / "to-be-frank" / "videos" / "kb-deadlift.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} is absent")
    meta = {}
    for order in ("pyplot-first", "deferred"):
        meta[order] = json.loads(_python(_EXTRACT, order, str(clip), str(tmp_path / f"{order}.npz")))
    assert meta["pyplot-first"][0] == "module" and meta["deferred"][0] == "PyplotPlaceholder"
    assert meta["pyplot-first"][1:] == meta["deferred"][1:]  # fps, frame size, warnings
    with np.load(tmp_path / "pyplot-first.npz") as a, np.load(tmp_path / "deferred.npz") as b:
        assert a["t_s"].shape == (86,) and sorted(a.files) == sorted(b.files)
        assert {"xy_px", "visibility", "world_m", "n_people", "back_profile"} <= set(a.files)
        for name in a.files:
            x, y = a[name], b[name]
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name  # bit for bit
