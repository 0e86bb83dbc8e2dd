// Plain float64 JavaScript versions of the encoder layers, written from deit-spec §1.2 with PyTorch-layout
// weights, as the independent expectation the TF.js layers are tested against.

/** Row-major matrix [rows, cols]. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export const mat = (rows: number, cols: number, data?: ArrayLike<number>): Mat => ({ rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) });

/** x [n, in] · Wᵀ + b with W in PyTorch layout [out, in]. */
export function linearRef(x: Mat, w: ArrayLike<number>, b: ArrayLike<number> | undefined, out: number): Mat {
  const y = mat(x.rows, out);
  for (let i = 0; i < x.rows; i++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o]! : 0;
      for (let k = 0; k < x.cols; k++) s += x.data[i * x.cols + k]! * w[o * x.cols + k]!;
      y.data[i * out + o] = s;
    }
  }
  return y;
}

export function layerNormRef(x: Mat, w: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-6): Mat {
  const y = mat(x.rows, x.cols);
  for (let i = 0; i < x.rows; i++) {
    let m = 0;
    for (let k = 0; k < x.cols; k++) m += x.data[i * x.cols + k]!;
    m /= x.cols;
    let v = 0;
    for (let k = 0; k < x.cols; k++) v += (x.data[i * x.cols + k]! - m) ** 2;
    v /= x.cols;
    for (let k = 0; k < x.cols; k++) y.data[i * x.cols + k] = ((x.data[i * x.cols + k]! - m) / Math.sqrt(v + eps)) * w[k]! + b[k]!;
  }
  return y;
}

// erf by its Maclaurin series (|x| < 3) or the continued fraction of erfc (larger |x|): float64-accurate.
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * sum * (2 / Math.sqrt(Math.PI));
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

export const geluRef = (x: number): number => 0.5 * x * (1 + erfRef(x / Math.SQRT2));

export interface AttnWeights {
  qkvW: ArrayLike<number>;
  qkvB: ArrayLike<number>;
  projW: ArrayLike<number>;
  projB: ArrayLike<number>;
}

/** Attention of one sample's tokens x [N, D]. */
export function attentionRef(x: Mat, heads: number, p: AttnWeights): Mat {
  const n = x.rows;
  const d = x.cols;
  const hd = d / heads;
  const qkv = linearRef(x, p.qkvW, p.qkvB, 3 * d);
  const out = mat(n, d);
  for (let h = 0; h < heads; h++) {
    const at = (t: number, which: number, c: number): number => qkv.data[t * 3 * d + which * d + h * hd + c]!;
    for (let i = 0; i < n; i++) {
      const s = new Float64Array(n);
      let mx = -Infinity;
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let c = 0; c < hd; c++) dot += at(i, 0, c) * at(j, 1, c);
        s[j] = dot / Math.sqrt(hd);
        mx = Math.max(mx, s[j]!);
      }
      let z = 0;
      for (let j = 0; j < n; j++) {
        s[j] = Math.exp(s[j]! - mx);
        z += s[j]!;
      }
      for (let c = 0; c < hd; c++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += (s[j]! / z) * at(j, 2, c);
        out.data[i * d + h * hd + c] = acc;
      }
    }
  }
  return linearRef(out, p.projW, p.projB, d);
}

export interface MlpWeights {
  fc1W: ArrayLike<number>;
  fc1B: ArrayLike<number>;
  fc2W: ArrayLike<number>;
  fc2B: ArrayLike<number>;
}

export function mlpRef(x: Mat, hidden: number, p: MlpWeights): Mat {
  const a = linearRef(x, p.fc1W, p.fc1B, hidden);
  for (let i = 0; i < a.data.length; i++) a.data[i] = geluRef(a.data[i]!);
  return linearRef(a, p.fc2W, p.fc2B, x.cols);
}

export const addMat = (a: Mat, b: Mat): Mat => {
  const y = mat(a.rows, a.cols);
  for (let i = 0; i < y.data.length; i++) y.data[i] = a.data[i]! + b.data[i]!;
  return y;
};

/** Reads a PyTorch-layout tensor of a state dict as a float64-friendly array. */
export const sdArray = (sd: Map<string, { data: ArrayLike<number> | BigInt64Array }>, key: string): ArrayLike<number> => {
  const t = sd.get(key);
  if (t === undefined) throw new Error(`missing ${key}`);
  return t.data as ArrayLike<number>;
};

/** Random PyTorch-layout values for every parameter of a module, loaded into it; returns them (for references). */
export function randomizeModule(
  module: { stateDict(): Map<string, { shape: number[]; dtype: string; data: unknown }>; loadStateDict(sd: Map<string, never>): unknown },
  rng: { normal(mean?: number, std?: number): number },
  std = 0.5,
): Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> {
  const sd = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
  for (const [k, t] of module.stateDict()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.normal(0, std);
    // LayerNorm scales around 1 keep the activations in a realistic range.
    if (k.endsWith('norm1.weight') || k.endsWith('norm2.weight') || k === 'weight') for (let i = 0; i < n; i++) data[i] = 1 + data[i]! * 0.3;
    sd.set(k, { dtype: 'F32', shape: t.shape, data });
  }
  module.loadStateDict(sd as unknown as Map<string, never>);
  return sd;
}

/** Float32 data of a TF.js tensor as a Mat of [rows, cols] (flattening leading axes into rows). */
export const toMat = (data: ArrayLike<number>, cols: number): Mat => mat(data.length / cols, cols, data);
