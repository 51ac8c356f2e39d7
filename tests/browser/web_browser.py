"""Playwright for Python driving Debian's Chromium (``executable_path``; no browser download), with a fake camera.

The fake camera plays a real dev clip converted to ``.y4m`` (Chromium's ``--use-file-for-fake-video-capture``
reads only Y4M/MJPEG). Headless Chromium has no voices, so ``speechSynthesis`` is replaced before any page script
runs by a recorder: tests assert on what the page asked to say. Every Content-Security-Policy violation is
recorded too, so a test can prove the page works *under* the policy, not around it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

INIT_SCRIPT = """
window.__spoken = [];
window.__cancels = 0;
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
class RecordingUtterance { constructor(text) { this.text = text; this.rate = 1; } }
window.SpeechSynthesisUtterance = RecordingUtterance;
Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: {
  speaking: false, pending: false,
  speak(u) { if (u.text) window.__spoken.push(u.text); },
  cancel() { window.__cancels += 1; },
  getVoices() { return []; },
}});
"""

FAKE_CAMERA_FLAGS = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")


def chromium_exe() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def clip_to_y4m(src: Path, dst: Path, *, width: int = 480, fps: int = 30, slow: int = 1) -> Path:
    """A camera feed from a clip: scaled to ``width`` (pose cost is per frame, not per pixel, but the file is
    smaller; the back line needs the trunk ≥ 80 px, so keep a small lifter's clip large), and played ``slow`` times
    slower than life (every frame kept, ``fps / slow`` of them a second).

    Why slow motion: headless Chromium's wasm pose runs ~5 frames a second on this 2-core machine, where a phone or
    laptop runs 15–30; the back line is judged on the ≥ 5 frames of a rep's deepest lean, which a real-time feed at
    5 fps does not give. Slowed down, the page sees as many frames per rep as a real device would.
    """
    vf = f"scale={width}:-2,fps={fps}" + (f",setpts={slow}*PTS" if slow > 1 else "")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-vf", vf, "-r", f"{fps / slow:g}", "-pix_fmt", "yuv420p",
         str(dst)],
        check=True,
    )
    return dst
