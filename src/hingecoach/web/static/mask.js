// The person mask in the compact form the server reads (hingecoach/web/mask.py says why this form):
// thresholded at the back line's level (0.5, backline.MASK_LEVEL), run-length encoded row-major over the whole
// frame — background, person, background, ... — as little-endian uint16 runs, base64. A silhouette is a few runs
// per row, so a 640×480 mask is a few kB, lossless at the model's resolution (the back edge must be exact to a pixel).
export const MASK_LEVEL = 0.5;
export const MAX_RUNS = 60000;

function pushRun(runs, n) {
  while (n > 0xffff) { runs.push(0xffff, 0); n -= 0xffff; }  // 65535 of this value, none of the other, the rest
  runs.push(n);
}

// values: Float32Array (or any array) of w*h probabilities. Returns {w, h, rle} or null when the mask is too noisy.
export function encodeMask(values, w, h, level = MASK_LEVEL) {
  const runs = [];
  let cur = 0;
  let n = 0;
  const total = w * h;
  for (let i = 0; i < total; i++) {
    const v = values[i] >= level ? 1 : 0;
    if (v === cur) { n++; continue; }
    pushRun(runs, n);
    if (runs.length > MAX_RUNS) return null;
    cur = v;
    n = 1;
  }
  pushRun(runs, n);
  const bytes = new Uint8Array(runs.length * 2);
  const view = new DataView(bytes.buffer);
  runs.forEach((r, k) => view.setUint16(2 * k, r, true));
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return { w, h, rle: btoa(bin) };
}
