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


def clip_to_y4m(src: Path, dst: Path, *, width: int = 480, fps: int = 30) -> Path:
    """A camera feed from a clip: scaled down (pose cost is per frame, not per pixel, but the file is smaller)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-vf", f"scale={width}:-2,fps={fps}", "-pix_fmt", "yuv420p",
         str(dst)],
        check=True,
    )
    return dst
