"""Replaying a saved pose track through a :class:`~hingecoach.live.session.LiveSession`, frame by frame.

Why: the honest test of the live path is to give it the frames of real clips one at a time, as a camera would, and
compare what it says with the file path's :func:`~hingecoach.analysis.analyze_track` on the same track; the live
benchmark times the same loop.
"""

from __future__ import annotations

from hingecoach.config import AnalysisConfig, LiveConfig
from hingecoach.live.events import LiveEvent
from hingecoach.live.session import LiveSession
from hingecoach.track import PoseTrack


def replay(
    track: PoseTrack,
    drill: str | None = None,
    *,
    config: LiveConfig | None = None,
    analysis_config: AnalysisConfig | None = None,
) -> list[LiveEvent]:
    """Feed a saved track to a :class:`LiveSession` frame by frame, as a camera would, and return every event.

    Why: the honest test of the live path is to give it the frames of real clips one at a time and compare what it
    says with the file path's :func:`~hingecoach.analysis.analyze_track` on the same track.
    """
    session = LiveSession(
        drill, image_wh=track.image_wh, coords="pixels", fps=track.fps, config=config, analysis_config=analysis_config
    )
    events: list[LiveEvent] = []
    for k in range(track.n_frames):
        events.extend(push_track_frame(session, track, k))
    events.extend(session.finish())
    return events


def push_track_frame(session: LiveSession, track: PoseTrack, k: int) -> list[LiveEvent]:
    """Push frame ``k`` of a saved track into ``session`` as the camera would have sent it (replays, benchmarks)."""
    world, people, back = track.world_m, track.n_people, track.back_profile
    return session.push(
        float(track.t_s[k]),
        track.xy_px[k],
        track.visibility[k],
        None if world is None else world[k],
        n_people=None if people is None or people[k] < 0 else int(people[k]),
        back_profile=None if back is None else back[k],
    )
