"""The web app in a real browser: sign in, a live set from a fake camera, an upload and its report, the API page.

Slow (the pose model runs in the browser's wasm and, for the upload, on the server) and real throughout: Debian's
Chromium, the vendored tasks-vision, the served ``.task`` model, the server's LiveSession and job queue.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.web_server import LiveServer
from web_browser import FAKE_CAMERA_FLAGS, INIT_SCRIPT, chromium_exe, clip_to_y4m

from hingecoach.web.app import Settings

pytestmark = [pytest.mark.slow, pytest.mark.real_data, pytest.mark.model]
playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (Python package only)")

# manifest: deadlift, side, 1 rep (floor to lockout), the head craned up at the bottom: a back-line fault
# (head_out_of_line) that only the silhouette shows. Live it reads 0.32-0.37 trunk lengths (craned clips in the
# file path: 0.18-0.29; neutral 0.01-0.06). The camera plays it at its own 600 px (the trunk must be >= 80 px) and
# 3x slower than life (see web_browser.clip_to_y4m: ~5 fps pose in headless wasm on 2 cores).
LIVE_CLIP = "mediapipe-posereader/videos/good.mp4"
LIVE_WIDTH = 600
LIVE_SLOW = 3
LIVE_DRILL = "deadlift"
LIVE_REPS = 1
BACK_LINE_CUES = ("rounded_back", "head_out_of_line")
UPLOAD_CLIP = "mediapipe-posereader/videos/good.mp4"  # manifest: deadlift, side, 1 rep (1.8 s)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("webdata"), secret="browser-test-" + "k" * 32)
    with LiveServer(settings) as srv:
        yield srv


@pytest.fixture(scope="module")
def camera_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    dst = tmp_path_factory.mktemp("camera") / "clip.y4m"
    return clip_to_y4m(shared_data / LIVE_CLIP, dst, width=LIVE_WIDTH, slow=LIVE_SLOW)


@pytest.fixture(scope="module")
def browser(camera_clip: Path) -> Iterator[Any]:
    exe = chromium_exe()
    if exe is None:
        pytest.skip("Chromium is not installed (scripts/install.sh installs it)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            headless=True,
            args=["--no-sandbox", *FAKE_CAMERA_FLAGS, f"--use-file-for-fake-video-capture={camera_clip}"],
        )
        yield b
        b.close()


def _signed_in_page(browser: Any, server: LiveServer, email: str) -> Any:
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    ctx.add_init_script(INIT_SCRIPT)
    page = ctx.new_page()
    page.goto(server.url + "/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "a long enough password")
    page.check("input[name=role][value=athlete]")
    page.click("#register-form button[type=submit]")
    page.wait_for_url(server.url + "/")
    assert email in page.text_content("#who")
    return page


def test_live_set_counts_reps_shows_and_speaks_verdicts(browser: Any, server: LiveServer, artifacts: Path) -> None:
    page = _signed_in_page(browser, server, "live@example.org")
    page.goto(server.url + "/live")
    page.select_option("#drill", LIVE_DRILL)
    page.click("#start")
    page.wait_for_function(
        f"() => Number(document.getElementById('rep-count').textContent) >= {LIVE_REPS}", timeout=150_000, polling=500
    )
    # Each judged rep shows its verdict: the one cue (shown and spoken word for word) or "good rep". This clip's rep
    # has a back-line fault, which only the silhouette shows: the page sends the mask, the server reads the back
    # (the same frame_arrays -> profile_from_mask as a file), and the rep closes with that check's cue.
    page.wait_for_selector("#cue.fault", state="visible", timeout=120_000)
    shown = (page.text_content("#cue") or "").strip()
    page.screenshot(path=str(artifacts / "web_live.png"), full_page=True)
    stats = page.evaluate("window.hcLive.stats")
    back_cues = [c for c in stats["cues"] if c["id"] in BACK_LINE_CUES]
    assert back_cues, f"no back-line cue live: {stats['cues']}"
    assert shown in [c["text"] for c in stats["cues"]]
    assert stats["masks"] > 10 and stats["backs"] > 10  # masks went out; the server measured the back from them
    assert all(c["text"] in page.evaluate("window.__spoken") for c in back_cues)
    spoken: list[str] = page.evaluate("window.__spoken")
    for c in stats["cues"]:
        assert c["text"] in spoken and c["id"]
    elapsed_s = page.evaluate("(performance.now() - window.hcLive.stats.started) / 1000")
    for text in {c["text"] for c in stats["cues"]}:  # cooldown: the same cue at most once per 20 s
        assert spoken.count(text) <= 1 + int(elapsed_s // 20)
    assert stats["frames"] > 10 and stats["acks"] > 10
    page.click("#stop")
    page.wait_for_function("() => window.__spoken.some(t => t.startsWith('Set done.'))", timeout=30_000)
    summary = page.text_content("#summary") or ""
    said = next(t for t in page.evaluate("window.__spoken") if t.startswith("Set done."))
    assert "reps" in said and summary.startswith("Set ")
    assert page.evaluate("window.__cancels") >= 1  # each utterance cancels whatever is stale
    page.wait_for_function("() => document.getElementById('status').textContent.includes('Set')", timeout=30_000)
    assert page.evaluate("window.__csp") == []  # model, wasm and socket all worked under the CSP
    page.goto(server.url + "/")
    assert "live" in (page.text_content("#sessions") or "")
    page.close()


def test_upload_shows_progress_then_the_cli_report(
    browser: Any, server: LiveServer, shared_data: Path, artifacts: Path
) -> None:
    page = _signed_in_page(browser, server, "upload@example.org")
    page.goto(server.url + "/upload")
    page.select_option("#upload-drill", "deadlift")
    page.set_input_files("#upload-file", str(shared_data / UPLOAD_CLIP))
    page.click("#upload-submit")
    page.wait_for_selector("#jobs tr[data-job]", timeout=30_000)
    page.wait_for_selector("#jobs a.report-link, #jobs tr[data-status=failed]", timeout=240_000)
    row = page.locator("#jobs tr[data-job]").first
    assert row.get_attribute("data-status") == "done", row.inner_text()
    page.screenshot(path=str(artifacts / "web_upload.png"))
    page.click("#jobs a.report-link")
    page.wait_for_selector("#rep-count")
    assert page.text_content("#rep-count").strip() == "1"
    assert page.text_content("#drill-name").strip().startswith("Deadlift")
    page.wait_for_function("() => document.querySelector('video') && document.querySelector('video').readyState >= 1")
    assert page.evaluate("window.__csp") == []  # the CLI's report, inline CSS and all, under the hashed CSP
    page.screenshot(path=str(artifacts / "web_report.png"), full_page=True)
    page.close()


def test_openapi_page_works_under_the_csp(browser: Any, server: LiveServer, artifacts: Path) -> None:
    page = _signed_in_page(browser, server, "api@example.org")
    page.goto(server.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 6
    assert "/api/sessions" in (page.text_content("body") or "")
    assert page.evaluate("window.__csp") == []
    page.screenshot(path=str(artifacts / "web_docs.png"))
    page.close()
