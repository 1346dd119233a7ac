/**
 * Golden test against PyTorch.
 *
 * Reads the file named by env ATTENTION_GOLDEN (default: ../shared/golden/attention.json beside the project
 * root; made by PyTorch in float64, see its `generator` field) and runs every case through the library on the
 * wasm and cpu backends, asserting outputs and weights within 1e-4 absolute. Nothing here knows the cases: the
 * file's `conventions` define the layout, and any file of format attention-golden/1 works.
 *
 * Where the reference holds NaN (PyTorch's result for a query whose every key is masked) we expect 0: this
 * library documents that such a row attends to nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MultiHeadAttention, additiveAttention, scaledDotProductAttention } from '../../src/attention/index.js';
import { selectBackend } from '../../src/tf/backend.js';

const TOLERANCE = 1e-4;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const defaultPath = resolve(root, '../shared/golden/attention.json');
const path = process.env.ATTENTION_GOLDEN ?? defaultPath;

const Tensor = z
  .object({ shape: z.array(z.number().int().nonnegative()), data: z.array(z.number().nullable()) })
  .refine((t) => t.data.length === t.shape.reduce((a, b) => a * b, 1), {
    message: 'data length must equal the product of shape',
  });
type TensorJson = z.infer<typeof Tensor>;
const OptTensor = Tensor.nullish();

const Sdpa = z.object({
  name: z.string(),
  kind: z.literal('sdpa'),
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: OptTensor,
  causal: z.boolean().optional(),
  scale: z.number().nullish(),
  output: Tensor,
  weights: Tensor,
});
const Additive = z.object({
  name: z.string(),
  kind: z.literal('additive'),
  q: Tensor,
  k: Tensor,
  v: Tensor,
  wq: Tensor,
  wk: Tensor,
  b: OptTensor,
  va: Tensor,
  mask: OptTensor,
  causal: z.boolean().optional(),
  output: Tensor,
  weights: Tensor,
});
const Mha = z.object({
  name: z.string(),
  kind: z.literal('mha'),
  numHeads: z.number().int().positive(),
  causal: z.boolean().optional(),
  query: Tensor,
  key: Tensor,
  value: Tensor,
  wq: Tensor,
  wk: Tensor,
  wv: Tensor,
  wo: Tensor,
  bq: OptTensor,
  bk: OptTensor,
  bv: OptTensor,
  bo: OptTensor,
  keyPaddingMask: OptTensor,
  mask: OptTensor,
  output: Tensor,
  weights: Tensor,
});
const Case = z.discriminatedUnion('kind', [Sdpa, Additive, Mha]);
type GoldenCase = z.infer<typeof Case>;
const Golden = z.object({ format: z.literal('attention-golden/1'), conventions: z.unknown(), cases: z.array(Case).min(1) });

function loadGolden(): GoldenCase[] | null {
  if (!existsSync(path)) {
    if (process.env.ATTENTION_GOLDEN) throw new Error(`ATTENTION_GOLDEN=${path}: no such file`);
    return null;
  }
  const parsed = Golden.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data.cases;
}

const cases = loadGolden();

const t = (j: TensorJson) => tf.tensor(j.data.map((x) => x ?? Number.NaN), j.shape, 'float32');
const opt = (j: TensorJson | null | undefined) => (j ? t(j) : null);

function run(c: GoldenCase): { output: tf.Tensor; weights: tf.Tensor } {
  switch (c.kind) {
    case 'sdpa':
      return scaledDotProductAttention(t(c.q), t(c.k), t(c.v), {
        mask: opt(c.mask),
        causal: c.causal ?? false,
        ...(c.scale != null ? { scale: c.scale } : {}),
      });
    case 'additive':
      return additiveAttention(
        t(c.q),
        t(c.k),
        t(c.v),
        { wq: t(c.wq), wk: t(c.wk), b: opt(c.b), va: t(c.va) },
        { mask: opt(c.mask), causal: c.causal ?? false },
      );
    case 'mha': {
      const [inQ, embedDim] = c.wq.shape as [number, number];
      if (inQ !== c.query.shape[2]) throw new Error(`${c.name}: wq rows ${inQ} != query width ${c.query.shape[2]}`);
      const hasBias = c.bq != null;
      const layer = new MultiHeadAttention({
        embedDim,
        numHeads: c.numHeads,
        kDim: c.wk.shape[0]!,
        vDim: c.wv.shape[0]!,
        bias: hasBias,
      });
      const named = { wq: c.wq, wk: c.wk, wv: c.wv, wo: c.wo, bq: c.bq, bk: c.bk, bv: c.bv, bo: c.bo };
      const weights: Record<string, { shape: number[]; data: number[] }> = {};
      for (const [name, w] of Object.entries(named)) {
        if (w) weights[name] = { shape: w.shape, data: w.data.map((x) => x ?? Number.NaN) };
      }
      layer.setWeights(weights);
      const result = layer.apply(t(c.query), t(c.key), t(c.value), {
        keyPaddingMask: opt(c.keyPaddingMask),
        mask: opt(c.mask),
        causal: c.causal ?? false,
      });
      layer.dispose();
      return result;
    }
  }
}

function expectClose(actual: tf.Tensor, expected: TensorJson, what: string): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const a = actual.dataSync();
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i] ?? Number.NaN;
    const want = Number.isNaN(e) ? 0 : e; // fully masked row: documented as zeros
    const got = a[i]!;
    const err = Number.isFinite(got) ? Math.abs(got - want) : Number.POSITIVE_INFINITY;
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  expect(worst, `${what}: max |error| ${worst} at flat index ${worstAt}`).toBeLessThanOrEqual(TOLERANCE);
}

// Skipped only when the shared folder is not beside the checkout (e.g. a clone elsewhere); the reason is printed.
describe.skipIf(cases === null)('golden attention vs PyTorch float64', () => {
  if (cases === null) {
    console.warn(`golden test skipped: ${defaultPath} not found; set ATTENTION_GOLDEN to a golden file`);
    return;
  }
  for (const backend of ['wasm', 'cpu'] as const) {
    describe(`${backend} backend, ${path}`, () => {
      beforeAll(async () => {
        await selectBackend({ flag: backend, log: null });
      });
      it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        tf.tidy(() => {
          const { output, weights } = run(c);
          expectClose(output, c.output, `${c.name} output`);
          expectClose(weights, c.weights, `${c.name} weights`);
        });
      });
    });
  }
});
