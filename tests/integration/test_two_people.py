"""Two people in view (issue 12): a clear error, or a warning naming the one judged when that one clearly is the
lifter; never a silent choice. Test clips are stacks of real clips made with ffmpeg.
"""

from pathlib import Path

import pytest
from tests.fixtures.videos import ffmpeg

from hingecoach.errors import MultiplePeopleError
from hingecoach.pose.extract import extract_track
from hingecoach.pose.quality import check_track

KB = "to-be-frank/videos/kb-deadlift.mp4"  # 480x480, 86 frames
RDL = "gym-app-ai/videos/rdl.mp4"  # 1920x926: stacked twice it is 4x wider than tall

pytestmark = [pytest.mark.real_data, pytest.mark.model, pytest.mark.slow]


def _src(shared_data: Path, rel: str) -> Path:
    path = shared_data / rel
    if not path.exists():
        pytest.skip(f"{rel} is absent")
    return path


def _encode(dst: Path, *args: str) -> Path:
    ffmpeg(*args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-an", str(dst))
    return dst


def test_the_same_lifter_twice_side_by_side_is_refused(shared_data: Path, tmp_path: Path) -> None:
    clip = _encode(tmp_path / "two.mp4", "-i", str(_src(shared_data, KB)), "-filter_complex", "[0:v][0:v]hstack")
    track = extract_track(clip, workers=1, with_masks=False)
    with pytest.raises(MultiplePeopleError, match=r"2 people are in view .* not clear which one is the lifter"):
        check_track(track)


def test_two_small_people_in_a_wide_stack_are_counted_and_refused(shared_data: Path, tmp_path: Path) -> None:
    """The silent case of the issue: in a 4:1 frame the whole-frame detector found at most one person."""
    clip = _encode(
        tmp_path / "wide.mp4", "-i", str(_src(shared_data, RDL)), "-filter_complex",
        "[0:v]scale=480:-2,split[a][b];[a][b]hstack",
    )
    track = extract_track(clip, workers=1, with_masks=False)
    assert track.n_people is not None
    counted = track.n_people[track.n_people >= 0]
    assert (counted == 2).all()
    with pytest.raises(MultiplePeopleError, match="not clear which one is the lifter"):
        check_track(track)


def test_a_clearly_larger_lifter_is_judged_with_a_warning_naming_them(shared_data: Path, tmp_path: Path) -> None:
    clip = _encode(
        tmp_path / "big_small.mp4", "-i", str(_src(shared_data, KB)), "-filter_complex",
        "[0:v]split[a][b];[b]scale=iw/2:ih/2,pad=iw*2:ih*2:iw/2:ih[s];[a][s]hstack",
    )
    track = extract_track(clip, workers=1, with_masks=False)
    warnings = check_track(track)
    people = [m for c, m in warnings if c == "multiple_people"]
    assert len(people) == 1
    assert "judged the person on the left" in people[0] and "nearer the camera" in people[0]
