"""Property: however a clip was re-encoded, the analysis finds the same reps at the same times (issue 12).

One short real clip (a kettlebell deadlift, 480x480, 30 fps, one rep) is re-encoded by ffmpeg the ways phones,
messengers and editors do: variable frame rate, dropped frames, rotation metadata (pixels stored turned, the
player turns them back), 25/30/60 fps, VP9 in WebM, MJPEG in AVI, 10-bit H.264. Hypothesis draws the encodings;
each must give the original's rep count and rep times within one frame (of the variant's own rate at that time,
after snapping the original's time to the variant's nearest frame). Bounded: one example per encoding at most,
the pose model on 86 frames each; marked slow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fixtures.videos import ffmpeg, frame_times

from hingecoach.analysis import AnalysisResult, analyze_track
from hingecoach.pose.extract import extract_track

KB = "to-be-frank/videos/kb-deadlift.mp4"

pytestmark = [pytest.mark.real_data, pytest.mark.model, pytest.mark.slow]

H264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-an"]
#: name -> (suffix, ffmpeg arguments between input and output)
ENCODINGS: dict[str, tuple[str, list[str]]] = {
    "vfr": (".mp4", ["-vf", "select='if(lt(t,1.2),1,not(mod(n,2)))'", "-fps_mode", "passthrough", *H264]),
    "dropped_frames": (".mp4", ["-vf", "select='not(eq(mod(n,7),3))'", "-fps_mode", "passthrough", *H264]),
    "rotation_metadata": (".mp4", []),  # made in two steps, see _make
    "25fps": (".mp4", ["-vf", "fps=25", *H264]),
    "30fps": (".mp4", H264),
    "60fps": (".mp4", ["-vf", "fps=60", *H264]),
    "vp9_webm": (".webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M", "-an"]),
    "mjpeg_avi": (".avi", ["-c:v", "mjpeg", "-q:v", "3", "-an"]),
    "10bit": (".mp4", ["-pix_fmt", "yuv420p10le", *H264]),
}


def _make(src: Path, folder: Path, name: str) -> Path:
    suffix, args = ENCODINGS[name]
    out = folder / f"{name}{suffix}"
    if out.exists():
        return out
    if name == "rotation_metadata":
        turned = folder / "turned.mp4"
        ffmpeg("-i", str(src), "-vf", "transpose=2", *H264, str(turned))  # pixels stored a quarter turn left ...
        ffmpeg("-i", str(turned), "-c", "copy", "-metadata:s:v:0", "rotate=270", str(out))  # ... shown upright
    else:
        ffmpeg("-i", str(src), *args, str(out))
    return out


def _analyse(path: Path) -> AnalysisResult:
    return analyze_track(extract_track(path, with_masks=False, workers=1), drill="deadlift")


@pytest.fixture(scope="module")
def original(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, AnalysisResult]:
    src = shared_data / KB
    if not src.exists():
        pytest.skip(f"{KB} is absent")
    return src, tmp_path_factory.mktemp("encodings"), _analyse(src)


@settings(
    max_examples=len(ENCODINGS),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(ENCODINGS)))
def test_same_reps_at_the_same_times_whatever_the_encoding(
    original: tuple[Path, Path, AnalysisResult], name: str
) -> None:
    src, folder, base = original
    variant = _make(src, folder, name)
    result = _analyse(variant)
    a, b = base.analysis, result.analysis
    assert b.summary.rep_count == a.summary.rep_count >= 1, name
    ref = frame_times(variant)
    step = np.diff(ref)
    assert abs(result.raw_track.n_frames - ref.size) <= 1, name
    for ra, rb in zip(a.reps, b.reps, strict=True):
        for key in ("start_s", "bottom_s", "end_s"):
            ta, tb = getattr(ra, key), getattr(rb, key)
            i = int(np.argmin(np.abs(ref - ta)))
            frame = max(step[max(i - 1, 0)], step[min(i, step.size - 1)])
            assert abs(tb - ref[i]) <= frame + 1e-3, f"{name} rep {ra.index} {key}: {ta} vs {tb} (frame {frame:.3f})"
