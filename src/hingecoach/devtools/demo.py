"""The README's example: a generated RDL session, so the first run needs no third-party footage.

Four reps seen from the side with detector-like noise: two clean, then two that break the back line (the
"candy cane") and bend the knees too much. The result shows both what clean reps look like and what the faults,
cues and the drill ladder say when the pattern breaks.
"""

from __future__ import annotations

from hingecoach.devtools.synth import CameraSpec, HingeSpec, NoiseSpec, SynthResult, generate

DEMO_DRILL = "rdl"


def demo_session(seed: int = 7) -> SynthResult:
    """A reproducible 4-rep RDL clip with faults injected into reps 3 and 4 (known answers in the result)."""
    spec = HingeSpec(
        reps=4,
        hip_flexion_deg=80.0,
        knee_flexion_deg=20.0,
        trunk_round_deg=60.0,
        head_drop_deg=20.0,
        fault_reps=(3, 4),
        start="standing",
        arms="bar",
    )
    camera = CameraSpec(facing="right", image_wh=(1280, 720), fps=30.0)
    noise = NoiseSpec(noise_px=1.0, occlusion_frac=0.01, seed=seed)
    return generate(spec, camera, noise, back_profile_k=21)
