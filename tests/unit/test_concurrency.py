"""Two analyses at once in one process (a server's threads) give the results of one at a time, and leave no
process-wide state changed: warning filters, file descriptor 2, OpenCV's thread count.
"""

from __future__ import annotations

import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import cv2

from hingecoach.analysis import analyze_track
from hingecoach.devtools import synth
from hingecoach.pose.mediapipe_backend import native_stderr_silenced, opencv_single_threaded
from hingecoach.track import PoseTrack


def _tracks() -> list[tuple[PoseTrack, str]]:
    side = synth.CameraSpec(facing="right")
    return [
        (synth.generate(synth.HingeSpec(trunk_round_deg=60.0), side, back_profile_k=21).track, "rdl"),
        (synth.generate(synth.HingeSpec(head_drop_deg=45.0), side, synth.NoiseSpec(noise_px=2.0)).track, "auto"),
        (synth.generate(synth.HingeSpec(reps=4), synth.CameraSpec(facing="left", yaw_deg=90.0)).track, "good_morning"),
        (synth.generate(synth.HingeSpec(), side, synth.NoiseSpec(occlusion_frac=0.05, swap_frac=0.03)).track, "rdl"),
    ]


def test_threads_give_the_sequential_results_and_touch_no_global_state() -> None:
    jobs = _tracks() * 2
    filters_before = list(warnings.filters)
    sequential = [analyze_track(t, drill=d).analysis.to_json() for t, d in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(lambda job: analyze_track(job[0], drill=job[1]).analysis.to_json(), jobs))
    assert concurrent == sequential
    assert list(warnings.filters) == filters_before


def test_overlapping_stderr_silencing_restores_the_real_stderr() -> None:
    real = os.fstat(2)
    barrier = threading.Barrier(2)
    inside: list[bool] = []

    def worker(delay_first: bool) -> None:
        with native_stderr_silenced():
            barrier.wait()
            inside.append(os.path.samestat(os.fstat(2), os.stat(os.devnull)))
            barrier.wait()
            if delay_first:
                barrier.wait()  # leave second
        if not delay_first:
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(flag,)) for flag in (True, False)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    assert inside == [True, True]
    assert os.path.samestat(os.fstat(2), real)  # the real stderr, not /dev/null, whatever the order of leaving


def test_overlapping_opencv_single_threaded_restores_the_setting() -> None:
    before = cv2.getNumThreads()
    outer = opencv_single_threaded()
    outer.__enter__()
    inner = opencv_single_threaded()
    inner.__enter__()
    assert cv2.getNumThreads() == 1
    outer.__exit__(None, None, None)  # the first user leaves first: still single-threaded for the second
    assert cv2.getNumThreads() == 1
    inner.__exit__(None, None, None)
    assert cv2.getNumThreads() == before
