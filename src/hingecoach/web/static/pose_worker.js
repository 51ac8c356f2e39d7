// Pose in a Web Worker: the model's ~100–300 ms per frame on a CPU would otherwise block the page's main thread,
// and every server reply (the rep count, the cue) would wait behind it — the round trip measured 150–300 ms.
// Here the main thread only grabs frames (ImageBitmap, transferred) and talks to the socket; this worker runs
// PoseLandmarker (the vendored tasks-vision, the served .task model) and returns the message to send: landmarks,
// people in view, and the first person's segmentation mask in run-length form (the back line's silhouette).
// A classic worker (not type: "module"), with the ES modules imported dynamically: tasks-vision loads its wasm
// loader with importScripts, which module workers do not have (its fallback import() cannot see the loader's global).
let landmarker = null;
let encodeMask = null;

// People in view: BlazePose sometimes returns a second, overlapping detection of the same person (or a weak one on
// a poster or reflection); only a distinct, well-seen second body counts, so "one person only" is not a false alarm.
function peopleInView(landmarks) {
  const bodies = landmarks.filter((lm) => lm.reduce((a, p) => a + (p.visibility ?? 0), 0) / lm.length > 0.6);
  if (bodies.length < 2) return bodies.length;
  const centre = (lm) => [lm[23].x + lm[24].x + lm[11].x + lm[12].x, lm[23].y + lm[24].y + lm[11].y + lm[12].y]
    .map((v) => v / 4);
  const [a, b] = [centre(bodies[0]), centre(bodies[1])];
  return Math.hypot(a[0] - b[0], a[1] - b[1]) > 0.2 ? 2 : 1;
}

async function init(msg) {
  const [vision, mask] = await Promise.all([import(msg.bundle), import(msg.maskModule)]);
  const { FilesetResolver, PoseLandmarker } = vision;
  encodeMask = mask.encodeMask;
  const fileset = await FilesetResolver.forVisionTasks(msg.wasm);
  landmarker = await PoseLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: msg.model, delegate: "CPU" },
    runningMode: "VIDEO",
    numPoses: 2,  // two detections tell the server "one person only"; only the first is coached
    minPoseDetectionConfidence: 0.5,
    minPosePresenceConfidence: 0.5,
    minTrackingConfidence: 0.5,
    outputSegmentationMasks: msg.masks !== false,
  });
}

function detect(msg) {
  const t0 = performance.now();
  const result = landmarker.detectForVideo(msg.bitmap, msg.ts);
  msg.bitmap.close();
  const poseMs = performance.now() - t0;
  const lm = result.landmarks[0];
  const wl = result.worldLandmarks[0];
  let mk = null;
  let maskMs = 0;
  const masks = result.segmentationMasks || [];
  if (lm && masks.length) {
    const m0 = performance.now();
    const m = masks[0];
    mk = encodeMask(m.getAsFloat32Array(), m.width, m.height);
    maskMs = performance.now() - m0;
  }
  for (const m of masks) m.close();
  return {
    type: "pose",
    id: msg.id,
    poseMs,
    maskMs,
    frame: {
      np: peopleInView(result.landmarks),
      lm: lm ? lm.map((p) => [p.x, p.y, p.visibility ?? 0]) : [],
      wl: wl ? wl.map((p) => [p.x, p.y, p.z]) : null,
      mk,
    },
  };
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === "init") {
      await init(msg);
      self.postMessage({ type: "ready" });
    } else if (msg.type === "frame") {
      self.postMessage(detect(msg));
    }
  } catch (err) {
    if (msg.bitmap) msg.bitmap.close();
    self.postMessage({ type: "error", id: msg.id, message: String((err && err.message) || err) });
  }
};
