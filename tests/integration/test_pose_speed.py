"""Speed measures that must not change an answer: the people count run beside the tracker (deferred) is the count
the waiting path gives, on real frames with two people in a wide picture (the tiled count)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend
from hingecoach.video import iter_timed_frames, probe


@pytest.mark.real_data
@pytest.mark.model
def test_a_deferred_people_count_is_the_count_process_waits_for(shared_data: Path) -> None:
    path = shared_data / "to-be-frank" / "videos" / "kb-deadlift.mp4"
    info = probe(path)
    frames = [f.rgb for f in iter_timed_frames(path, fps=info.fps, timing=info.timing, max_side=480)][:40:8]
    # The lifter twice side by side: 960x480, wide enough to be counted on tiles too (four detections a count).
    wide = [np.ascontiguousarray(np.hstack([f, f[:, ::-1]])) for f in frames]
    with (
        MediaPipePoseBackend(with_masks=False, count_every_ms=200) as waiting,
        MediaPipePoseBackend(with_masks=False, count_every_ms=200) as deferring,
    ):
        pending = []
        for i, rgb in enumerate(wide):
            want = waiting.process(rgb, 250 * i)
            got, count = deferring.process_deferred(rgb, 250 * i)
            assert count is not None  # a count is due on every frame (250 ms apart, one every 200 ms)
            assert got.n_people == -1 and got.other_person is None  # not known until the count finishes
            np.testing.assert_array_equal(got.xy_norm, want.xy_norm)
            pending.append((want, count.apply(got)))
        for want, got in pending:  # settled after the others were submitted: later, but the same answer
            assert got.n_people == want.n_people == 2
            assert want.other_person is not None and got.other_person is not None
            np.testing.assert_array_equal(got.other_person, want.other_person)
