"""Is this track good enough to judge? Refuse clearly when it is not; warn when parts of it are weak.

Checks, in the order a user should fix them (the first failure raises):

1. Whose reps? Two or more people in more than ``MULTI_PEOPLE_MAX_SHARE`` of the frames where people were counted
   (the backend counts on ~1 frame per second) → :class:`MultiplePeopleError`, unless the tracked person is
   clearly the lifter (clearly larger, or moving while the other stands still; :mod:`hingecoach.pose.people`):
   then a ``multiple_people`` warning that names the one judged. Never a silent choice. Checked first: when two
   people are in view, "nobody detected" would be the wrong advice.
2. Nobody there: a person is detected in fewer than ``min_coverage`` of the frames → :class:`NoPersonError`.
3. Body out of frame: for each key part (shoulders, hips, knees, feet = ankles) a frame is *out* when neither side's
   landmark lies inside the image. Out in more than ``OUT_OF_FRAME_MAX_SHARE`` of the detected frames →
   :class:`OutOfFrameError` naming the part.

Why "inside the image" and not BlazePose visibility: on the dev clips visibility stays at 1.0 for shoulders and a
nose extrapolated far above the top edge (03y/deadlift2), while ankles hidden behind a plate but inside the image
drop to 0.1–0.3 (mattiolato Bad 000001: ankles inside the frame in 100 % of frames, "invisible" in 93 %). The first
is out of frame, the second is occlusion; only the first is fixed by stepping back, so occlusion is a warning.

Warnings are ``(code, message)`` pairs for the analysis' ``warnings`` list.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import MultiplePeopleError, NoPersonError, OutOfFrameError
from hingecoach.pose.people import LifterVerdict, judge_lifter, summarise
from hingecoach.skeleton import sided
from hingecoach.track import PoseTrack
from hingecoach.wording import and_list

#: Below this share of frames with a person (but above ``min_coverage``) the analysis warns about gaps.
LOW_COVERAGE_WARN: Final[float] = 0.8
#: Share of people-counted frames showing 2+ people above which we refuse / warn.
MULTI_PEOPLE_MAX_SHARE: Final[float] = 0.5
MULTI_PEOPLE_WARN_SHARE: Final[float] = 0.2
#: Fewest people-counted frames needed before judging "several people" (one frame can be a passer-by).
MIN_COUNTED_FRAMES: Final[int] = 2
#: Share of detected frames with a key part outside the image above which we refuse / warn.
OUT_OF_FRAME_MAX_SHARE: Final[float] = 0.5
OUT_OF_FRAME_WARN_SHARE: Final[float] = 0.2
#: A landmark inside the image counts as hidden below this BlazePose visibility; warn above this share of frames.
VISIBLE_MIN: Final[float] = 0.5
HIDDEN_WARN_SHARE: Final[float] = 0.5

#: Key parts in the order they are reported (plural noun for the message, skeleton part name).
KEY_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("feet", "ankle"),
    ("knees", "knee"),
    ("hips", "hip"),
    ("shoulders", "shoulder"),
)

Warning = tuple[str, str]


def part_shares(track: PoseTrack) -> dict[str, tuple[float, float]]:
    """Per key part: (share of detected frames out of the image, share inside but hidden), both sides considered."""
    detected = track.detected()
    w, h = track.image_wh
    n = int(detected.sum())
    cols = np.array([[sided("left", part), sided("right", part)] for _, part in KEY_PARTS], dtype=np.intp)
    xy = track.xy_px[detected][:, cols]  # (n, parts, 2 sides, 2); all parts at once (the live session runs this often)
    vis = track.visibility[detected][:, cols]
    inside: NDArray[np.bool_] = (
        np.isfinite(xy).all(axis=-1) & (xy[..., 0] >= 0) & (xy[..., 0] <= w) & (xy[..., 1] >= 0) & (xy[..., 1] <= h)
    )
    out_of_frame = ~inside.any(axis=-1)  # (n, parts)
    hidden = inside.any(axis=-1) & ~(inside & (vis >= VISIBLE_MIN)).any(axis=-1)
    oof = out_of_frame.mean(axis=0) if n else np.zeros(len(KEY_PARTS))
    hid = hidden.mean(axis=0) if n else np.zeros(len(KEY_PARTS))
    return {label: (float(oof[k]), float(hid[k])) for k, (label, _) in enumerate(KEY_PARTS)}


def _lifter(track: PoseTrack) -> LifterVerdict | None:
    """Whether the tracked person is clearly the lifter, from what the people counter saw of the other person."""
    if track.other_person is None:
        return None
    tracked = np.stack([summarise(xy) for xy in track.xy_px])
    return judge_lifter(tracked, track.other_person, track.image_wh)


def check_track(track: PoseTrack, *, min_coverage: float = 0.5) -> list[Warning]:
    """Raise for a track that cannot be judged; return warnings for one that can, with weak parts named."""
    warnings: list[Warning] = []
    # Two people first: a tracker that loses both of two small people must not be reported as "nobody there".
    if track.n_people is not None:
        counted = track.n_people[track.n_people >= 0]
        if counted.size >= MIN_COUNTED_FRAMES:
            share = float((counted >= 2).mean())
            if share > MULTI_PEOPLE_MAX_SHARE:
                verdict = _lifter(track)
                seen = f"{int(counted.max())} people are in view in {share:.0%} of the checked frames"
                if verdict is None or not verdict.clear:
                    why = "" if verdict is None else f" ({verdict.reason})"
                    raise MultiplePeopleError(
                        f"{seen} and it is not clear which one is the lifter{why}; film one lifter at a time, or "
                        "crop the video to the lifter, so it is clear whose reps to judge"
                    )
                warnings.append(
                    ("multiple_people", f"{seen}; judged the person on the {verdict.tracked_side} "
                     f"({verdict.reason}) and ignored the other")
                )
            elif share > MULTI_PEOPLE_WARN_SHARE:
                warnings.append(
                    ("multiple_people", f"another person is in view in {share:.0%} of the checked frames; "
                     "the tracked lifter may be swapped")
                )

    total = track.n_frames
    detected = track.detected()
    n_det = int(detected.sum())
    if total == 0 or n_det < min_coverage * total or n_det == 0:
        raise NoPersonError(
            f"no person detected in {total - n_det} of {total} frames; "
            "make sure your whole body is in view and well lit"
        )
    coverage = n_det / total
    if coverage < LOW_COVERAGE_WARN:
        warnings.append(
            ("low_coverage", f"a person was detected in only {coverage:.0%} of frames; reps in the gaps are not judged")
        )

    shares = part_shares(track)
    worst_label, (worst_out, _) = max(shares.items(), key=lambda kv: kv[1][0])
    if worst_out > OUT_OF_FRAME_MAX_SHARE:
        raise OutOfFrameError(
            f"{worst_label} are out of frame in {worst_out:.0%} of frames; "
            "step back so your whole body is visible"
        )
    # One warning per code, naming every part it concerns (a consumer may key warnings by code).
    out = {label: share for label, (share, _) in shares.items() if share > OUT_OF_FRAME_WARN_SHARE}
    hidden = {label: share for label, (_, share) in shares.items() if share > HIDDEN_WARN_SHARE}
    if out:
        warnings.append(("partly_out_of_frame", f"{_parts(out)} out of frame in {_shares(out)} of frames; "
                         "checks that need them are less reliable"))  # fmt: skip
    if hidden:
        warnings.append(("part_hidden", f"{_parts(hidden)} hidden (e.g. behind the plates) in {_shares(hidden)} of "
                         "frames; checks that need them are less reliable"))  # fmt: skip
    return warnings


def _parts(shares: dict[str, float]) -> str:
    """``"knees and feet are"`` / ``"feet are"``: the parts a warning is about, as the sentence's subject."""
    names = list(shares)
    return and_list(names) + " are"


def _shares(shares: dict[str, float]) -> str:
    """``"24%"`` when every part shares it, else each part's: ``"24% and 12%"`` (in the parts' order)."""
    pct = [f"{v:.0%}" for v in shares.values()]
    return pct[0] if len(set(pct)) == 1 else and_list(pct)
