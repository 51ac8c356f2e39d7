// Live set: camera → PoseLandmarker in a Web Worker (in this browser; the video never leaves the device) →
// landmarks and the person's mask over /ws/live → the server's LiveSession → events back: setup guidance, phase,
// rep count, one cue per rep (the back line's too: the server reads the silhouette), set summary.
// Everything is served by our own server (model, wasm, these files); the page's CSP forbids any other host.
// Why a worker: the model takes ~100–300 ms a frame on a CPU; on the main thread every server reply waited behind it.
import { PoseLandmarker } from "/static/vendor/tasks-vision/vision_bundle.mjs";
import { Speaker } from "/static/speech.js";

const $ = (id) => document.getElementById(id);
const cfg = $("live-config").dataset;
const video = $("video");
const canvas = $("overlay");
const ctx = canvas.getContext("2d");
const speaker = new Speaker();

const stats = {
  frames: 0, poseMs: [], maskMs: [], rttMs: [], serverMs: [], started: 0, sent: 0, acks: 0, cues: [], reps: 0,
  masks: 0, backs: 0, maskBytes: 0,
};
window.hcLive = { stats, speaker };  // read by the benchmark and the browser tests

let worker = null;
let ws = null;
let running = false;
let busy = false;  // one frame in the worker at a time: a camera faster than the model drops frames, never queues
let seq = 0;
let t0 = 0;
let frameId = 0;
let lastVideoTime = -1;
const sentAt = new Map();
const pending = new Map();  // frame id → capture time (ms), for the frame's timestamp
let lastCueAt = 0;

function status(text) { $("status").textContent = text; }

function loadModel() {
  if (worker) return Promise.resolve(worker);
  status("Loading the pose model…");
  return new Promise((resolve, reject) => {
    const w = new Worker("/static/pose_worker.js");  // classic: see the worker's header
    w.onmessage = (e) => {
      const m = e.data;
      if (m.type === "ready") { worker = w; w.onmessage = onPose; resolve(w); }
      else if (m.type === "error") reject(new Error(m.message));
    };
    w.onerror = (e) => reject(new Error(e.message || "the pose worker failed to start"));
    const abs = (u) => new URL(u, location.href).href;
    w.postMessage({ type: "init", wasm: abs(cfg.wasm), model: abs(cfg.model),
      bundle: abs("/static/vendor/tasks-vision/vision_bundle.mjs"), maskModule: abs("/static/mask.js") });
  });
}

async function openCamera() {
  status("Waiting for the camera…");
  const stream = await navigator.mediaDevices.getUserMedia({
    // 720p: the back line needs the trunk ≥ 80 px in the picture (a whole body at 480 rows is often less).
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: "user" }, audio: false,
  });
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) await new Promise((r) => video.addEventListener("loadedmetadata", r, { once: true }));
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
}

function openSocket(drill) {
  return new Promise((resolve, reject) => {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(`${proto}//${location.host}/ws/live`);
    const athlete = $("athlete") ? Number($("athlete").value) : null;  // a coach trains one of their athletes
    sock.onopen = () => sock.send(JSON.stringify({
      type: "start", drill, athlete_id: athlete, width: video.videoWidth, height: video.videoHeight,
    }));
    sock.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === "ready") { resolve(sock); return; }
      onMessage(msg);
    };
    sock.onerror = () => reject(new Error("the live connection failed"));
    sock.onclose = (e) => { if (running) { status(`Connection closed: ${e.reason || e.code}`); stop(false); } };
  });
}

function onMessage(msg) {
  if (msg.type === "ack") {
    const t = sentAt.get(msg.seq);
    if (t !== undefined) { keep(stats.rttMs, performance.now() - t); sentAt.delete(msg.seq); }
    keep(stats.serverMs, msg.server_ms);
    stats.acks += 1;
    if (msg.back) stats.backs += 1;
    for (const ev of msg.events) onEvent(ev);
  } else if (msg.type === "saved") {
    for (const ev of msg.events) onEvent(ev);
    status(msg.session_ids.length ? "Set saved to your history." : "Set ended (no complete rep to save).");
  } else if (msg.type === "error") {
    status(msg.message);
  }
}

function onEvent(ev) {
  switch (ev.type) {
    case "setup": {
      const box = $("setup");
      if (ev.ok) { box.hidden = true; box.textContent = ""; status("Ready: start your reps."); break; }
      box.hidden = false;
      box.textContent = ev.problems.map((p) => p.message).join(" · ");
      if (ev.problems.length) speaker.say(`setup:${ev.problems[0].code}`, ev.problems[0].message);
      break;
    }
    case "phase":
      $("phase").textContent = ev.phase;
      break;
    case "rep_count":
      stats.reps = ev.count;
      $("rep-count").textContent = String(ev.count);
      break;
    case "rep":
      showCue(ev);
      break;
    case "set_summary":
      showSummary(ev);
      break;
    default:
      break;
  }
}

function showCue(ev) {
  const box = $("cue");
  lastCueAt = performance.now();
  if (ev.cue) {
    box.hidden = false;
    box.className = "cue fault";
    box.textContent = ev.cue;
    stats.cues.push({ rep: ev.rep.index, id: ev.cue_id, text: ev.cue });
    speaker.say(ev.cue_id, ev.cue);
  } else {
    // The server's one-line verdict: "good rep" only when the back line was judged and nothing was too close to call.
    const verdict = ev.verdict || `Rep ${ev.rep.index}: good rep.`;
    box.hidden = false;
    box.className = ev.good_rep || !ev.verdict ? "cue clean" : "cue unsure";
    box.textContent = verdict;
  }
}

function showSummary(ev) {
  const s = ev.summary;
  const box = $("summary");
  box.hidden = false;
  box.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = `Set ${ev.set_index}: ${s.rep_count} reps` + (s.score !== null ? `, score ${s.score}` : "");
  box.append(h);
  for (const c of s.cues) { const p = document.createElement("p"); p.textContent = c; box.append(p); }
  const spoken = `Set done. ${s.rep_count} reps.` + (s.cues.length ? ` Next time: ${s.cues[0]}` : " Clean set, well done.");
  speaker.sayNow(spoken);
}

function draw(lm) {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!lm || !lm.length) return;
  const W = canvas.width, H = canvas.height;
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(56, 189, 248, 0.9)";
  for (const { start, end } of PoseLandmarker.POSE_CONNECTIONS) {
    const a = lm[start], b = lm[end];
    if (a[2] < 0.3 || b[2] < 0.3) continue;
    ctx.beginPath(); ctx.moveTo(a[0] * W, a[1] * H); ctx.lineTo(b[0] * W, b[1] * H); ctx.stroke();
  }
  // The dowel line of the article: back of the head, upper back, tailbone — drawn on the side facing the camera.
  const side = lm[7][2] + lm[11][2] + lm[23][2] >= lm[8][2] + lm[12][2] + lm[24][2] ? [7, 11, 23] : [8, 12, 24];
  ctx.lineWidth = 5;
  ctx.strokeStyle = "rgba(245, 158, 11, 0.95)";
  ctx.beginPath();
  side.forEach((k, n) => { const p = lm[k]; if (n === 0) ctx.moveTo(p[0] * W, p[1] * H); else ctx.lineTo(p[0] * W, p[1] * H); });
  ctx.stroke();
}

const keep = (arr, v) => { arr.push(v); if (arr.length > 1000) arr.splice(0, 500); };

function send(frame, tS) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount > 256 * 1024) return;  // the network is behind: drop this frame rather than queue up lag
  const msg = { type: "frame", seq: ++seq, t: tS, np: frame.np, lm: frame.lm, wl: frame.wl, mk: frame.mk };
  const text = JSON.stringify(msg);
  sentAt.set(msg.seq, performance.now());
  if (sentAt.size > 300) sentAt.delete(sentAt.keys().next().value);
  ws.send(text);
  stats.sent += 1;
  if (frame.mk) { stats.masks += 1; stats.maskBytes += frame.mk.rle.length; }
}

// The worker's answer for one frame: draw it, send it, and let the next camera frame in.
function onPose(e) {
  const m = e.data;
  busy = false;
  const captured = pending.get(m.id);
  pending.delete(m.id);
  if (m.type === "error") { status(`Pose failed: ${m.message}`); return; }
  if (!running || captured === undefined) return;
  keep(stats.poseMs, m.poseMs);
  keep(stats.maskMs, m.maskMs);
  stats.frames += 1;
  draw(m.frame.lm);
  send(m.frame, (captured - t0) / 1000);
  if (!$("cue").hidden && performance.now() - lastCueAt > 6000) $("cue").hidden = true;
}

async function grab() {
  if (!running || busy || video.readyState < 2 || video.currentTime === lastVideoTime) return;
  lastVideoTime = video.currentTime;
  busy = true;
  const now = performance.now();
  const id = ++frameId;
  try {
    const bitmap = await createImageBitmap(video);
    pending.set(id, now);
    worker.postMessage({ type: "frame", id, ts: now, bitmap }, [bitmap]);
  } catch (err) {
    busy = false;
  }
}

function loop() {
  if (!running) return;
  grab();
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(loop);
  else requestAnimationFrame(loop);
}

async function start() {
  speaker.unlock();  // the click is the user gesture speech needs
  $("start").disabled = true;
  try {
    await loadModel();
    await openCamera();
    status("Connecting…");
    ws = await openSocket($("drill").value);
  } catch (e) {
    status(`Could not start: ${e.message || e}`);
    $("start").disabled = false;
    return;
  }
  $("rep-count").textContent = "0";
  $("summary").hidden = true;
  t0 = performance.now();
  stats.started = t0;
  running = true;
  $("stop").disabled = false;
  status("Get into position: side-on to the camera, whole body in view.");
  loop();
}

function stop(sendStop = true) {
  running = false;
  $("stop").disabled = true;
  $("start").disabled = false;
  if (sendStop && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "stop" }));
  const s = video.srcObject;
  if (s) { for (const t of s.getTracks()) t.stop(); video.srcObject = null; }
}

$("start").addEventListener("click", start);
$("stop").addEventListener("click", () => stop(true));
setInterval(() => {
  if (!running) return;
  const mean = (a) => (a.length ? a.slice(-100).reduce((x, y) => x + y, 0) / Math.min(a.length, 100) : 0);
  const secs = (performance.now() - stats.started) / 1000;
  $("stats").textContent = `pose ${(stats.frames / secs).toFixed(1)} fps (${mean(stats.poseMs).toFixed(0)} ms) · ` +
    `round trip ${mean(stats.rttMs).toFixed(1)} ms · server ${mean(stats.serverMs).toFixed(2)} ms`;
}, 1000);
