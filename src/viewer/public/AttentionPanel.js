// The attention panel: the policy's camera image with the cross-attention heatmap of one word over it, for a
// chosen fusion layer and head (or the mean over heads). Plain 2-D canvas, so it works without WebGL too.

/** base64 -> bytes */
export function decodeBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The heat ramp's stops: dark blue -> magenta -> orange -> pale yellow (inferno-like). */
const HEAT_STOPS = [
  [0, [0, 0, 40]],
  [0.35, [120, 28, 109]],
  [0.65, [237, 105, 37]],
  [1, [252, 255, 164]],
];

/** 0..1 -> [r, g, b] on the heat ramp, written into `out` (a scratch array: no allocation per patch). */
export function heatColour(v, out = [0, 0, 0]) {
  for (let i = 1; i < HEAT_STOPS.length; i++) {
    const [t1, c1] = HEAT_STOPS[i];
    if (v <= t1 || i === HEAT_STOPS.length - 1) {
      const [t0, c0] = HEAT_STOPS[i - 1];
      const f = Math.min(1, (v - t0) / (t1 - t0));
      for (let k = 0; k < 3; k++) out[k] = Math.round(c0[k] + f * (c1[k] - c0[k]));
      return out;
    }
  }
  return out;
}

/** An ImageData of w x h on `canvas`, reused while the size stays (sizing a canvas clears and reallocates it). */
function imageDataFor(canvas, kept, w, h) {
  if (kept && kept.width === w && kept.height === h) return kept;
  canvas.width = w;
  canvas.height = h;
  return canvas.getContext('2d').createImageData(w, h);
}

export class AttentionPanel {
  constructor(canvas, note) {
    this.canvas = canvas;
    this.note = note;
    this.ctx = canvas.getContext('2d');
    this.policy = null;
    this.words = [];
    this.frame = null; // {images: Uint8Array[], width, height, maps: Float32Array}
    this.word = 0;
    this.label = null; // the user's word shown for this.word, when it differs from the policy's token
    this.layer = 0;
    this.head = 'avg';
    this.camera = 0;
    this.draws = 0;
    this.imageCanvas = document.createElement('canvas');
    this.heatCanvas = document.createElement('canvas');
    // Scratch kept between frames (20 a second): the two ImageData, the map and one colour.
    this.imageData = null;
    this.heatData = null;
    this.mapBuffer = null;
    this.colour = [0, 0, 0];
  }

  setPolicy(policy, note) {
    this.policy = policy;
    this.frame = null;
    if (!policy) this.message(note || 'no policy loaded');
    else this.note.textContent = '';
  }

  setWords(words) {
    this.words = words ? words.words : [];
    if (this.word >= this.words.length) this.word = 0;
  }

  setFrame(attention) {
    if (!attention || !this.policy) return;
    const bytes = decodeBase64(attention.maps);
    this.frame = {
      images: attention.images.map(decodeBase64),
      width: attention.width,
      height: attention.height,
      maps: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4),
    };
    this.draw();
  }

  select(sel) {
    Object.assign(this, sel);
    this.draw();
  }

  message(text) {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.note.textContent = text;
  }

  /** The map of the selected layer, head (or mean) and word over the selected camera's patches. */
  currentMap() {
    const p = this.policy;
    const f = this.frame;
    const W = this.words.length;
    if (!p || !f || W === 0) return null;
    const [rows, cols] = p.grid;
    const per = p.cameras.length * rows * cols;
    const at = (layer, head, word) => ((layer * p.heads + head) * W + word) * per + this.camera * rows * cols;
    if (!this.mapBuffer || this.mapBuffer.length !== rows * cols) this.mapBuffer = new Float32Array(rows * cols);
    const map = this.mapBuffer.fill(0);
    const h0 = this.head === 'avg' ? 0 : Number(this.head);
    const h1 = this.head === 'avg' ? p.heads : h0 + 1;
    for (let h = h0; h < h1; h++) {
      const o = at(this.layer, h, this.word);
      for (let i = 0; i < map.length; i++) map[i] += f.maps[o + i] / (h1 - h0);
    }
    return map;
  }

  draw() {
    const p = this.policy;
    const f = this.frame;
    if (!p || !f) return;
    const map = this.currentMap();
    const { ctx, canvas } = this;
    // The camera image, pixel for pixel, scaled up without smoothing.
    const ic = this.imageCanvas;
    const img = (this.imageData = imageDataFor(ic, this.imageData, f.width, f.height));
    const rgb = f.images[this.camera] ?? f.images[0];
    for (let i = 0, n = f.width * f.height; i < n; i++) {
      img.data[4 * i] = rgb[3 * i];
      img.data[4 * i + 1] = rgb[3 * i + 1];
      img.data[4 * i + 2] = rgb[3 * i + 2];
      img.data[4 * i + 3] = 255;
    }
    ic.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(ic, 0, 0, canvas.width, canvas.height);
    if (!map) {
      this.note.textContent = 'no words to show';
      return;
    }
    // The heatmap: one cell per patch, scaled to the map's maximum, blended over the image, smoothed.
    const [rows, cols] = p.grid;
    const hc = this.heatCanvas;
    const heat = (this.heatData = imageDataFor(hc, this.heatData, cols, rows));
    // Min-max scaled: a barely-peaked map still shows where it peaks; the note gives the true range.
    let max = -Infinity;
    let min = Infinity;
    for (let i = 0; i < map.length; i++) {
      if (map[i] > max) max = map[i];
      if (map[i] < min) min = map[i];
    }
    const span = max - min;
    const c = this.colour;
    for (let i = 0; i < map.length; i++) {
      const v = span > 0 ? (map[i] - min) / span : 0;
      heatColour(v, c);
      heat.data[4 * i] = c[0];
      heat.data[4 * i + 1] = c[1];
      heat.data[4 * i + 2] = c[2];
      heat.data[4 * i + 3] = Math.round(255 * (0.15 + 0.6 * v));
    }
    hc.getContext('2d').putImageData(heat, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(hc, 0, 0, canvas.width, canvas.height);
    const word = this.label ?? this.words[this.word] ?? '';
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    this.note.textContent =
      `"${word}", layer ${this.layer}, ${this.head === 'avg' ? 'heads averaged' : `head ${this.head}`}: a patch gets ` +
      `${pct(min)} to ${pct(max)} of the word's attention (uniform would be ${pct(1 / map.length)}); colours span that range`;
    this.draws++;
  }
}
