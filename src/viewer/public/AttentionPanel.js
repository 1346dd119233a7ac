// The attention panel: the policy's camera image with the cross-attention heatmap of one word over it, for a
// chosen fusion layer and head (or the mean over heads). Plain 2-D canvas, so it works without WebGL too.

/** base64 -> bytes */
export function decodeBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** 0..1 -> [r, g, b] on a dark-blue -> magenta -> yellow ramp (inferno-like). */
export function heatColour(v) {
  const stops = [
    [0, [0, 0, 40]],
    [0.35, [120, 28, 109]],
    [0.65, [237, 105, 37]],
    [1, [252, 255, 164]],
  ];
  for (let i = 1; i < stops.length; i++) {
    const [t1, c1] = stops[i];
    const [t0, c0] = stops[i - 1];
    if (v <= t1) {
      const f = (v - t0) / (t1 - t0);
      return c0.map((c, k) => Math.round(c + f * (c1[k] - c)));
    }
  }
  return stops[stops.length - 1][1];
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
    const map = new Float32Array(rows * cols);
    const heads = this.head === 'avg' ? [...Array(p.heads).keys()] : [Number(this.head)];
    for (const h of heads) {
      const o = at(this.layer, h, this.word);
      for (let i = 0; i < map.length; i++) map[i] += f.maps[o + i] / heads.length;
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
    ic.width = f.width;
    ic.height = f.height;
    const ictx = ic.getContext('2d');
    const img = ictx.createImageData(f.width, f.height);
    const rgb = f.images[this.camera] ?? f.images[0];
    for (let i = 0, n = f.width * f.height; i < n; i++) {
      img.data[4 * i] = rgb[3 * i];
      img.data[4 * i + 1] = rgb[3 * i + 1];
      img.data[4 * i + 2] = rgb[3 * i + 2];
      img.data[4 * i + 3] = 255;
    }
    ictx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(ic, 0, 0, canvas.width, canvas.height);
    if (!map) {
      this.note.textContent = 'no words to show';
      return;
    }
    // The heatmap: one cell per patch, scaled to the map's maximum, blended over the image, smoothed.
    const [rows, cols] = p.grid;
    const hc = this.heatCanvas;
    hc.width = cols;
    hc.height = rows;
    const hctx = hc.getContext('2d');
    const heat = hctx.createImageData(cols, rows);
    // Min-max scaled: a barely-peaked map still shows where it peaks; the note gives the true range.
    let max = -Infinity;
    let min = Infinity;
    for (const v of map) {
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    const span = max - min;
    for (let i = 0; i < map.length; i++) {
      const v = span > 0 ? (map[i] - min) / span : 0;
      const [r, g, b] = heatColour(v);
      heat.data.set([r, g, b, Math.round(255 * (0.15 + 0.6 * v))], 4 * i);
    }
    hctx.putImageData(heat, 0, 0);
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
