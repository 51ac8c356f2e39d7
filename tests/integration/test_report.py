"""Overlay video and full report output, end to end through ffmpeg and OpenCV.

Source videos: a generated figure (:mod:`hingecoach.devtools.render_figure`) drawn on :mod:`hingecoach.devtools.synth`
landmarks at an NTSC frame rate, so the true landmarks, reps and back-line state are known; plus one short real
side-view clip from ``../shared/data`` tracked by the real pose model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from hingecoach.devtools.render_figure import write_figure_video
from hingecoach.devtools.synth import CameraSpec, HingeSpec, SynthResult, generate
from hingecoach.report import OutputFiles, ReportInputs, render_overlay, write_all
from hingecoach.report.annotators import AMBER, GREEN, RED
from hingecoach.schema import Analysis, Fault, Rep, Source, Summary
from hingecoach.skeleton import sided
from hingecoach.track import PoseTrack

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NTSC = 30000 / 1001
CUE = "Keep the stick on all three points: back of the head, between the shoulder blades, tailbone."

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def analysis_for(track: PoseTrack, reps: list[tuple[int, int, int]], fault_rep: int | None, path: str) -> Analysis:
    """A hand-built analysis@1 over known rep frames (the report renders it; it does not judge)."""
    t = track.t_s
    out = []
    for k, (s, b, e) in enumerate(reps, start=1):
        faults = []
        if k == fault_rep:
            faults = [
                Fault(code="rounded_back", severity="major", at_s=float(t[b]), cue=CUE, value=0.09, threshold=0.06)
            ]
        out.append(
            Rep(
                index=k,
                start_s=float(t[s]),
                bottom_s=float(t[b]),
                end_s=float(t[e]),
                start_frame=s,
                bottom_frame=b,
                end_frame=e,
                descent_s=float(t[b] - t[s]),
                ascent_s=float(t[e] - t[b]),
                metrics={"hip_flexion_max_deg": 80.0, "knee_flexion_at_bottom_deg": 20.0},
                faults=faults,
                score=45 if faults else 90,
            )
        )
    n_faults = sum(len(r.faults) for r in out)
    return Analysis(
        source=Source(
            path=path,
            fps=track.fps,
            frame_count=track.n_frames,
            width=track.image_wh[0],
            height=track.image_wh[1],
            duration_s=track.duration_s,
        ),
        drill="hinge_dowel",
        camera_view="side",
        pose_coverage=track.coverage(),
        reps=out,
        summary=Summary(
            rep_count=len(out),
            fault_counts={"rounded_back": n_faults} if n_faults else {},
            score=min(r.score for r in out) if out else None,
            cues=[CUE] if n_faults else [],
        ),
    )


@pytest.fixture(scope="module")
def synth_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[SynthResult, Path]:
    """A 2-rep figure video at 29.97 fps, 480×360 (odd-free, small: fast to encode and decode)."""
    res = generate(
        HingeSpec(reps=2, descent_s=0.8, ascent_s=0.7), CameraSpec(facing="right", image_wh=(480, 360), fps=NTSC)
    )
    path = tmp_path_factory.mktemp("src") / "figure.mp4"
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    write_figure_video(res.track, path)
    return res, path


def synth_inputs(res: SynthResult) -> tuple[ReportInputs, np.ndarray]:
    """Inputs whose back line breaks around the bottom of rep 2 (±5 frames) and holds everywhere else."""
    reps = [(r.start, r.bottom, r.end) for r in res.reps]
    back_ok = np.ones(res.track.n_frames, bool)
    b2 = res.reps[1].bottom
    back_ok[b2 - 5 : b2 + 6] = False
    inputs = ReportInputs(
        analysis=analysis_for(res.track, reps, fault_rep=2, path="figure.mp4"),
        t_s=res.track.t_s,
        series={k: v for k, v in res.angles.items() if k in ("hip_flexion_deg", "knee_flexion_deg", "back_bulge")},
        phases=res.phases,
        back_ok=back_ok,
        side=res.side,
        track=res.track,
    )
    return inputs, back_ok


def ffprobe(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(json.loads(out.stdout)["streams"][0])


def decode_all(path: Path) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames, fps


def dowel_colour_share(frame: np.ndarray, xy: np.ndarray, side: str, colour: tuple[int, int, int]) -> float:
    """Share of pixels sampled along the drawn ear→shoulder→hip line that have ``colour`` (±45 per channel)."""
    pts = xy[[sided(side, p) for p in ("ear", "shoulder", "hip")]]  # type: ignore[arg-type]
    samples = []
    for a, b in ((pts[0], pts[1]), (pts[1], pts[2])):
        for f in np.linspace(0.3, 0.7, 9):  # the middle of each segment, away from the contact dots
            x, y = np.round(a + f * (b - a)).astype(int)
            samples.append(frame[y, x].astype(int))
    diff = np.abs(np.array(samples) - np.array(colour)).max(axis=1)
    return float((diff <= 45).mean())


@needs_ffmpeg
def test_overlay_keeps_frames_size_and_rate_and_colours_the_back_line(
    synth_clip: tuple[SynthResult, Path], tmp_path: Path
) -> None:
    res, src = synth_clip
    inputs, back_ok = synth_inputs(res)
    calls: list[tuple[int, int]] = []
    out = render_overlay(src, res.track, inputs, tmp_path / "overlay.mp4", progress=lambda d, t: calls.append((d, t)))
    n = res.track.n_frames
    assert out.frames == n and out.size_wh == (480, 360) and calls[-1][0] == n
    info = ffprobe(out.path)
    assert info["codec_name"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["r_frame_rate"] == "30000/1001" and int(info["nb_read_frames"]) == n
    head = out.path.read_bytes()[:4096]
    assert b"moov" in head, "+faststart: the index must come before the media data"
    frames, fps = decode_all(out.path)
    assert len(frames) == n and frames[0].shape == (360, 480, 3) and fps == pytest.approx(NTSC, abs=1e-3)
    # Green where the back line holds, red where it breaks (sampled along the drawn line itself).
    b2 = res.reps[1].bottom
    for i in (res.reps[0].bottom, b2 + 12, n - 3):
        assert back_ok[i]
        assert dowel_colour_share(frames[i], res.track.xy_px[i], res.side, GREEN) > 0.8, i
        assert dowel_colour_share(frames[i], res.track.xy_px[i], res.side, RED) == 0.0, i
    for i in (b2 - 3, b2, b2 + 4):
        assert not back_ok[i]
        assert dowel_colour_share(frames[i], res.track.xy_px[i], res.side, RED) > 0.8, i
    # Key frames: the bottoms of the best (rep 1) and worst (rep 2) reps, kept from the same decoding pass.
    assert len(out.key_frames) == 2 and any("rep 2" in k for k in out.key_frames)
    assert all(f.shape == (360, 480, 3) for f in out.key_frames.values())


@needs_ffmpeg
def test_overlay_downscale_and_cue_window(synth_clip: tuple[SynthResult, Path], tmp_path: Path) -> None:
    res, src = synth_clip
    inputs, _ = synth_inputs(res)
    out = render_overlay(src, res.track, inputs, tmp_path / "small.mp4", max_side=240)
    assert out.size_wh == (240, 180)
    frames, _ = decode_all(out.path)
    assert len(frames) == res.track.n_frames and frames[0].shape == (180, 240, 3)
    # The cue banner (bottom band) appears only within ±1 s of the fault at the bottom of rep 2.
    fault_t = float(res.track.t_s[res.reps[1].bottom])
    t = res.track.t_s
    # The banner's amber accent bar (lower half of the frame) is present exactly when a cue is shown.
    amber = np.array(AMBER)
    shown = np.array([(np.abs(f[90:].astype(int) - amber).max(axis=-1) < 50).sum() > 20 for f in frames])
    inside = np.abs(t - fault_t) <= 1.0 - 1.5 / NTSC
    outside = np.abs(t - fault_t) > 1.0 + 1.5 / NTSC
    assert shown[inside].all() and not shown[outside].any()


@needs_ffmpeg
def test_write_all_makes_every_file_atomically(synth_clip: tuple[SynthResult, Path], tmp_path: Path) -> None:
    res, src = synth_clip
    inputs, _ = synth_inputs(res)
    files = write_all(tmp_path / "out", inputs, video_path=src)
    assert isinstance(files, OutputFiles)
    names = sorted(p.name for p in files.all())
    assert names == sorted(
        ["report.html", "overlay.mp4", "analysis.json", "frames.csv", "angles.mot", "markers_px.trc", "markers_m.trc"]
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names  # no temporary leftovers
    html = files.report_html.read_text()
    assert html.count('class="keyframe"') == 2 and 'src="overlay.mp4"' in html
    assert CUE in html and "<svg" in html
    assert Analysis.model_validate_json(files.analysis_json.read_text()) == inputs.analysis
    assert len(files.frames_csv.read_text().splitlines()) == res.track.n_frames + 1


@needs_ffmpeg
def test_report_without_overlay_grabs_key_frames_from_the_video(
    synth_clip: tuple[SynthResult, Path], tmp_path: Path
) -> None:
    from hingecoach.report import render_report

    res, src = synth_clip
    inputs, _ = synth_inputs(res)
    path = render_report(inputs, tmp_path / "r.html", key_frames=None, video_path=src)
    html = path.read_text()
    assert html.count("data:image/jpeg;base64,") == 2 and "<video" not in html


@needs_ffmpeg
def test_video_sink_pads_odd_sizes_and_cleans_up_on_error(tmp_path: Path) -> None:
    from hingecoach.report.video_sink import VideoSink

    frame = np.full((25, 33, 3), 128, np.uint8)
    with VideoSink(tmp_path / "odd.mp4", (33, 25), 12.5) as sink:
        for _ in range(3):
            sink.write(frame)
    info = ffprobe(tmp_path / "odd.mp4")
    assert (int(info["width"]), int(info["height"]), info["r_frame_rate"], int(info["nb_read_frames"])) == (
        34,
        26,
        "25/2",
        3,
    )
    with (
        pytest.raises(ValueError, match=r"frame must be \(25, 33, 3\) uint8"),
        VideoSink(tmp_path / "bad.mp4", (33, 25), 25.0) as s,
    ):
        s.write(np.zeros((24, 33, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.mp4"]


def test_render_overlay_rejects_a_file_that_is_not_a_video(tmp_path: Path) -> None:
    from hingecoach.errors import VideoError

    res = generate(HingeSpec(reps=1), CameraSpec(image_wh=(64, 48)))
    inputs = plain_inputs(res)
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    with pytest.raises(VideoError, match=r"cannot open video .*notes\.mp4"):
        render_overlay(bogus, res.track, inputs, tmp_path / "o.mp4")
    assert not (tmp_path / "o.mp4").exists()


def plain_inputs(res: SynthResult) -> ReportInputs:
    reps = [(r.start, r.bottom, r.end) for r in res.reps]
    analysis = analysis_for(res.track, reps, fault_rep=None, path="x.mp4")
    return ReportInputs(analysis=analysis, t_s=res.track.t_s, track=res.track)


# ---------------------------------------------------------------------------------------------- a real clip
REAL_CLIP = "bichraix/good/good007.mp4"  # side view, 1280×720, 30000/1001 fps, 43 frames: cheap to track


@pytest.fixture(scope="module")
def real_track() -> tuple[Path, PoseTrack]:
    clip = DATA / REAL_CLIP
    if not clip.is_file():
        pytest.skip(f"shared data not available ({clip})")
    from hingecoach.pose.extract import extract_track

    return clip, extract_track(clip, workers=1, with_masks=False)


@pytest.mark.real_data
@pytest.mark.model
@needs_ffmpeg
def test_overlay_on_a_real_clip(real_track: tuple[Path, PoseTrack], tmp_path: Path) -> None:
    clip, track = real_track
    side = "left" if np.nanmean(track.visibility[:, sided("left", "hip")]) >= 0.5 else "right"
    hip = track.xy_px[:, sided(side, "hip"), 1]
    bottom = int(np.nanargmax(hip))  # lowest hip in the image (y grows downwards): the deepest point
    n = track.n_frames
    reps = [(0, min(max(bottom, 1), n - 2), n - 1)]
    back_ok = np.arange(n) < n // 2  # holds in the first half, breaks in the second (an arbitrary known mask)
    inputs = ReportInputs(
        analysis=analysis_for(track, reps, fault_rep=None, path=REAL_CLIP),
        t_s=track.t_s,
        back_ok=back_ok,
        side=side,
        track=track,
    )
    files = write_all(tmp_path, inputs, video_path=clip, max_side=640)
    assert files.overlay_mp4 is not None
    info = ffprobe(files.overlay_mp4)
    assert (info["codec_name"], info["pix_fmt"], info["r_frame_rate"]) == ("h264", "yuv420p", "30000/1001")
    assert (int(info["width"]), int(info["height"]), int(info["nb_read_frames"])) == (640, 360, n)
    frames, _ = decode_all(files.overlay_mp4)
    scale = 640 / track.image_wh[0]
    seen = {"green": 0, "red": 0}
    for i in range(n):
        xy = track.xy_px[i] * scale
        if not np.isfinite(xy[[sided(side, p) for p in ("ear", "shoulder", "hip")]]).all():
            continue
        key = "green" if back_ok[i] else "red"
        seen[key] += dowel_colour_share(frames[i], xy, side, GREEN if back_ok[i] else RED) > 0.6
    assert seen["green"] >= 0.8 * (n // 2) and seen["red"] >= 0.8 * (n - n // 2), seen


# ---------------------------------------------------------------------------------------------- wired to the pipeline
def test_inputs_from_a_pipeline_result(tmp_path: Path) -> None:
    """``ReportInputs.from_result`` on the real stages (no video): the back line breaks only in the rounded reps."""
    from hingecoach.analysis import analyze_track
    from hingecoach.devtools.demo import demo_session

    truth = demo_session()  # reps 3 and 4 round the back (trunk_round_deg=35), reps 1 and 2 are clean
    result = analyze_track(truth.track, drill="rdl")
    inputs = ReportInputs.from_result(result)
    assert inputs.back_threshold is not None and inputs.back_deviation is not None and inputs.side == truth.side
    state = inputs.back_state()
    frame = np.arange(inputs.n_frames)
    rounded = np.zeros(inputs.n_frames, bool)
    for r in truth.reps[2:]:
        rounded |= (frame >= r.start) & (frame <= r.end)
    assert (state == 0).any() and not (state[~rounded] == 0).any()
    files = write_all(tmp_path, inputs)
    assert files.overlay_mp4 is None and files.markers_m_trc is not None
    html = files.report_html.read_text()
    assert "Romanian deadlift" in html and html.count('class="rep"') == len(result.analysis.reps)
