"""Headless Chromium for report tests: load a local file, let its scripts run, read back the DOM or a screenshot.

Tests inject a tiny probe script into a *copy* of the report (the report itself has no JavaScript): on ``load``
it measures what a user would see (images decoded, plot size, the video's metadata) and writes the results as JSON
into a ``<pre id="probe">`` element, which ``--dump-dom`` then prints.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--mute-audio",
)

PROBE = """
<script>
function hcProbe(extra) {
  const imgs = Array.from(document.images).map(i => ({complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
                                                       alt: i.alt}));
  const svgs = Array.from(document.querySelectorAll('svg')).map(s => {
    const r = s.getBoundingClientRect(); return {w: r.width, h: r.height, texts: s.querySelectorAll('text').length};
  });
  const out = Object.assign({imgs: imgs, svgs: svgs}, extra || {});
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}
window.addEventListener('load', () => {
  const v = document.querySelector('video');
  if (!v) { hcProbe({video: null}); return; }
  const report = ev => hcProbe({video: {event: ev, readyState: v.readyState, w: v.videoWidth, h: v.videoHeight,
                                        duration: v.duration, error: v.error ? v.error.code : null,
                                        canPlay: v.canPlayType('video/mp4; codecs="avc1.640028"')}});
  if (v.readyState >= 1) { report('ready'); return; }
  v.addEventListener('loadedmetadata', () => report('loadedmetadata'), {once: true});
  v.addEventListener('error', () => report('error'), {once: true});
  v.load();
});
</script>
"""


@dataclass(frozen=True)
class Chromium:
    """A Chromium binary driven through its command line (one process per call, a throw-away profile)."""

    exe: str
    profile: Path

    def _run(self, args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
        cmd = [self.exe, *FLAGS, f"--user-data-dir={self.profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)

    def dump_dom(self, html: Path, *, budget_ms: int = 8000, timeout_s: float = 90) -> str:
        """The DOM after load and after ``budget_ms`` of virtual time (so load handlers and media events ran)."""
        proc = self._run([f"--virtual-time-budget={budget_ms}", "--dump-dom", html.resolve().as_uri()], timeout_s)
        if "<html" not in proc.stdout:
            raise AssertionError(f"chromium printed no DOM (rc={proc.returncode}): {proc.stderr[-2000:]}")
        return proc.stdout

    def screenshot(
        self, html: Path, png: Path, *, size_wh: tuple[int, int] = (1280, 2000), timeout_s: float = 90
    ) -> Path:
        png.parent.mkdir(parents=True, exist_ok=True)
        png.unlink(missing_ok=True)
        proc = self._run(
            [f"--screenshot={png}", f"--window-size={size_wh[0]},{size_wh[1]}", html.resolve().as_uri()], timeout_s
        )
        if not png.is_file():
            raise AssertionError(f"chromium wrote no screenshot (rc={proc.returncode}): {proc.stderr[-2000:]}")
        return png

    def probe(self, report: Path) -> tuple[dict[str, Any], str]:
        """Load a copy of ``report`` with the probe injected; returns the probe's JSON and the whole DOM."""
        probed = report.with_name(report.stem + ".probe.html")
        probed.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
        dom = self.dump_dom(probed)
        m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
        if m is None:
            raise AssertionError("the probe script did not run (no #probe element in the DOM)")
        raw = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return json.loads(raw), dom
