// The growing NCA of nca_steps/model.py in plain JavaScript, on the CPU, for viewer.html.
//
// Same model, step for step: perception is identity + Sobel-x + Sobel-y of every channel with
// zero padding, the per-cell MLP is 3C -> hidden (ReLU) -> C, a cell fires with probability
// fireRate, and a cell survives only if its 3x3 neighbourhood had alpha > 0.1 both before and
// after the update. The perception angle is folded into the first layer's weights, as
// model.rotate_sobel does. A cell survives only inside the pre-update living mask, and its
// post-update mask reads only its neighbours' updates, so cells more than one cell outside that
// mask cannot matter: their MLP is skipped. Exact, and the reason a small pattern on a big grid
// runs fast.
"use strict";

const HIDDEN = 128; // the notebook's hidden width, model.HIDDEN; a run may set its own
const ALPHA = 3;
const ALIVE_THRESHOLD = Math.fround(0.1); // float32, as JAX compares

/** Split the flat vector in ravel_pytree order (b1, w1, b2, w2), as model.unflatten does. */
function unflatten(flat, channels, hidden) {
  const sizes = [hidden, 3 * channels * hidden, channels, hidden * channels];
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (flat.length !== expected) {
    throw new Error(
      `parameter vector has ${flat.length} values; ${channels} channels and hidden width ${hidden} need ${expected}`,
    );
  }
  const parts = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(flat.subarray(at, at + size));
    at += size;
  }
  const [b1, w1, b2, w2] = parts;
  return { b1, w1, b2, w2 };
}

/** w1 with its Sobel rows turned by `angle` (radians): c*wx + s*wy and -s*wx + c*wy. */
function rotateSobel(w1, channels, hidden, angle) {
  const out = Float32Array.from(w1);
  const c = Math.fround(Math.cos(angle));
  const s = Math.fround(Math.sin(angle));
  const block = channels * hidden;
  for (let k = 0; k < block; k++) {
    const wx = w1[block + k];
    const wy = w1[2 * block + k];
    out[block + k] = c * wx + s * wy;
    out[2 * block + k] = -s * wx + c * wy;
  }
  return out;
}

class NCA {
  constructor(flatParams, { height, width, channels, hidden = HIDDEN, fireRate = 0.5, angle = 0 }) {
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.fireRate = fireRate;
    this.params = unflatten(flatParams, channels, hidden);
    this.hidden = new Float32Array(hidden); // the hidden layer of one cell
    this.setAngle(angle);
    const cells = height * width;
    this.state = new Float32Array(cells * channels);
    this.next = new Float32Array(cells * channels);
    this.opaque = new Uint8Array(cells);
    this.preAlive = new Uint8Array(cells);
    this.nearAlive = new Uint8Array(cells);
    this.postAlive = new Uint8Array(cells);
    this.residual = new Float32Array(channels);
    this.perception = new Float32Array(3 * channels);
    this.random = Math.random;
    this.reset();
  }

  setAngle(angle) {
    this.angle = angle;
    this.w1 = rotateSobel(this.params.w1, this.channels, this.hidden.length, angle);
  }

  /** One living cell in the middle (alpha and hidden channels 1), as model.seed_grid. */
  reset() {
    this.state.fill(0);
    const i = Math.floor(this.height / 2);
    const j = Math.floor(this.width / 2);
    const at = (i * this.width + j) * this.channels;
    for (let c = ALPHA; c < this.channels; c++) this.state[at + c] = 1;
    this.steps = 0;
  }

  /** 1 where some cell of the 3x3 neighbourhood has alpha > 0.1, for every cell. */
  livingMask(x, out) {
    const { channels: C, opaque } = this;
    for (let cell = 0; cell < opaque.length; cell++) {
      opaque[cell] = x[cell * C + ALPHA] > ALIVE_THRESHOLD;
    }
    this.dilate(opaque, out);
  }

  /** out = 1 where some cell of the 3x3 neighbourhood (inside the grid) is set in `mask`. */
  dilate(mask, out) {
    const { height: H, width: W } = this;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        let set = 0;
        for (let ii = Math.max(0, i - 1); ii <= Math.min(H - 1, i + 1) && !set; ii++) {
          for (let jj = Math.max(0, j - 1); jj <= Math.min(W - 1, j + 1); jj++) {
            if (mask[ii * W + jj]) {
              set = 1;
              break;
            }
          }
        }
        out[i * W + j] = set;
      }
    }
  }

  /** Identity, Sobel-x (across columns) and Sobel-y (down rows) of every channel at (i, j). */
  perceive(i, j) {
    const { height: H, width: W, channels: C, state: x, perception: p } = this;
    p.fill(0);
    for (let di = -1; di <= 1; di++) {
      const ii = i + di;
      if (ii < 0 || ii >= H) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if (jj < 0 || jj >= W) continue;
        // Sobel-x = [1,2,1] down x [-1,0,1] across / 8; Sobel-y the same turned
        const gx = (di === 0 ? 2 : 1) * dj * 0.125;
        const gy = (dj === 0 ? 2 : 1) * di * 0.125;
        const at = (ii * W + jj) * C;
        for (let c = 0; c < C; c++) {
          const v = x[at + c];
          if (di === 0 && dj === 0) p[c] = v;
          p[C + c] += gx * v;
          p[2 * C + c] += gy * v;
        }
      }
    }
  }

  /** One update of every cell; returns nothing, the new state is this.state. */
  step() {
    const { height: H, width: W, channels: C, w1, hidden: h, perception: p, residual: d } = this;
    const { b1, b2, w2 } = this.params;
    const width = h.length; // hidden units
    const x = this.state;
    const y = this.next;
    this.livingMask(x, this.preAlive);
    this.dilate(this.preAlive, this.nearAlive);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const cell = i * W + j;
        const at = cell * C;
        if (!this.nearAlive[cell]) {
          y.fill(0, at, at + C);
          continue;
        }
        if (this.fireRate < 1 && !(this.random() < this.fireRate)) {
          for (let c = 0; c < C; c++) y[at + c] = x[at + c];
          continue;
        }
        this.perceive(i, j);
        h.set(b1);
        for (let k = 0; k < 3 * C; k++) {
          const v = p[k];
          if (v === 0) continue;
          const row = k * width;
          for (let u = 0; u < width; u++) h[u] += v * w1[row + u];
        }
        d.fill(0);
        for (let u = 0; u < width; u++) {
          const v = h[u];
          if (v <= 0) continue; // ReLU
          const row = u * C;
          for (let c = 0; c < C; c++) d[c] += v * w2[row + c];
        }
        for (let c = 0; c < C; c++) y[at + c] = x[at + c] + (d[c] + b2[c]);
      }
    }
    // keep cells alive before and after: the post mask reads the updated alpha
    this.livingMask(y, this.postAlive);
    for (let cell = 0; cell < H * W; cell++) {
      if (!(this.preAlive[cell] && this.postAlive[cell])) y.fill(0, cell * C, (cell + 1) * C);
    }
    this.next = x;
    this.state = y;
    this.steps += 1;
  }

  /** Zero every channel of the cells whose middle (i + 0.5, j + 0.5) lies within `radius` of
   * (row, col), grid units from the top-left corner: damage.erase_disc's disc. */
  erase(row, col, radius) {
    const { height: H, width: W, channels: C } = this;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        if ((i + 0.5 - row) ** 2 + (j + 0.5 - col) ** 2 <= radius * radius) {
          this.state.fill(0, (i * W + j) * C, (i * W + j + 1) * C);
        }
      }
    }
  }

  /** The RGBA of every cell composited on white (premultiplied, as images.to_rgb) into
   * pixels; returns how many cells are alive (alpha > 0.1). */
  paint(pixels) {
    const { channels: C, state: x } = this;
    const clip = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);
    let alive = 0;
    for (let cell = 0, at = 0; at < x.length; cell++, at += C) {
      if (x[at + ALPHA] > ALIVE_THRESHOLD) alive++;
      const alpha = clip(x[at + ALPHA]);
      for (let c = 0; c < 3; c++) pixels[4 * cell + c] = Math.round(clip(1 - alpha + x[at + c]) * 255);
      pixels[4 * cell + 3] = 255;
    }
    return alive;
  }
}
