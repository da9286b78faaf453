/**
 * The forward pass's arithmetic in WebAssembly SIMD (f64x2), for network.ts: the dense
 * layers' multiply-adds and tanh. Eight rows go through together, interleaved: value i of
 * row r of a group sits at `(group × width + i) × 8 + r % 8` (float64s), so one weight is
 * multiplied with four two-row vectors. Each unit's sum starts at its bias and adds input
 * 0, 1, … in turn, a separate multiply and add each (WebAssembly does not fuse them), in
 * float64; tanh is tanh.ts's, operation for operation. Exactly the arithmetic of the JS
 * loop, so both give bit-identical results (test/detector-model.test.ts).
 *
 * The module is 980 bytes (mostly the tanh coefficients), assembled below from its
 * instructions rather than shipped as a binary. Where WebAssembly SIMD is unavailable,
 * `simdEngine()` is undefined and network.ts runs its JS loop.
 */

/** layer(a, kernelT, bias, out, groups, inputs, units): byte offsets and counts; out = a·kernel + bias per row. */
export type SimdLayer = (a: number, kernelT: number, bias: number, out: number, groups: number, inputs: number, units: number) => void;

/** tanh(ptr, count): tanh.ts's tanh of `count` float64s (an even number) at byte offset ptr, in place. */
export type SimdTanh = (ptr: number, count: number) => void;

export interface SimdEngine {
  memory: WebAssembly.Memory;
  layer: SimdLayer;
  tanh: SimdTanh;
}

import { INV_CLAMP2, TANH_CLAMP, TANH_P, TANH_Q } from './tanh.js';

// Opcodes (WebAssembly core 2.0 and its fixed-width SIMD proposal).
const I32 = 0x7f;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_LT_U = 0x49;
const F64_LOAD = 0x2b;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const SIMD = 0xfd;
const v128Load = (offset: number) => [SIMD, 0x00, 4, offset];
const v128Store = (offset: number) => [SIMD, 0x0b, 4, offset];
const F64X2_SPLAT = [SIMD, 0x14];
const F64X2_ADD = [SIMD, 0xf0, 0x01];
const F64X2_MUL = [SIMD, 0xf2, 0x01];
const F64X2_DIV = [SIMD, 0xf3, 0x01];
const F64X2_GE = [SIMD, 0x4c];
const F64X2_LE = [SIMD, 0x4b];
const V128_BITSELECT = [SIMD, 0x52];
/** v128.const of a float64 in both lanes. */
function f64x2Const(v: number): number[] {
  const b = new Uint8Array(new Float64Array([v, v]).buffer);
  return [SIMD, 0x0c, ...b];
}

// Parameters 0–6: a, k, bias, out, groups, inputs, units. Locals: i32 g, u, i, ap, kp; v128 acc0–3, w.
const [A, K, BIAS, OUT, GROUPS, INPUTS, UNITS] = [0, 1, 2, 3, 4, 5, 6];
const [G, U, I, AP, KP] = [7, 8, 9, 10, 11];
const ACC = [12, 13, 14, 15];
const W = 16;

const get = (l: number) => [LOCAL_GET, l];
const set = (l: number) => [LOCAL_SET, l];
const addConst = (l: number, c: number) => [...get(l), I32_CONST, ...sleb(c), I32_ADD, ...set(l)];

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    const b = v & 0x7f;
    v >>>= 7;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

function body(): number[] {
  const code = [
    ...[I32_CONST, 0], ...set(G),
    LOOP, VOID, // groups
    ...[I32_CONST, 0], ...set(U),
    LOOP, VOID, // units
    // w = splat(bias[u]); acc0..3 = w
    ...get(BIAS), ...get(U), I32_CONST, 8, I32_MUL, I32_ADD, F64_LOAD, 3, 0, ...F64X2_SPLAT, ...set(W),
    ...ACC.flatMap((acc) => [...get(W), ...set(acc)]),
    // ap = a; kp = k + u × inputs × 8; i = inputs
    ...get(A), ...set(AP),
    ...get(K), ...get(U), ...get(INPUTS), I32_MUL, I32_CONST, 8, I32_MUL, I32_ADD, ...set(KP),
    ...get(INPUTS), ...set(I),
    LOOP, VOID, // inputs
    ...get(KP), F64_LOAD, 3, 0, ...F64X2_SPLAT, ...set(W),
    ...ACC.flatMap((acc, j) => [...get(acc), ...get(AP), ...v128Load(16 * j), ...get(W), ...F64X2_MUL, ...F64X2_ADD, ...set(acc)]),
    ...addConst(AP, 64), ...addConst(KP, 8),
    ...get(I), I32_CONST, 1, I32_SUB, ...set(I),
    ...get(I), BR_IF, 0,
    END,
    // out[group][u] = acc0..3
    ...ACC.flatMap((acc, j) => [...get(OUT), ...get(U), I32_CONST, ...sleb(64), I32_MUL, I32_ADD, ...get(acc), ...v128Store(16 * j)]),
    ...addConst(U, 1),
    ...get(U), ...get(UNITS), I32_LT_U, BR_IF, 0,
    END,
    // next group: a += inputs × 64, out += units × 64
    ...get(A), ...get(INPUTS), I32_CONST, ...sleb(64), I32_MUL, I32_ADD, ...set(A),
    ...get(OUT), ...get(UNITS), I32_CONST, ...sleb(64), I32_MUL, I32_ADD, ...set(OUT),
    ...addConst(G, 1),
    ...get(G), ...get(GROUPS), I32_LT_U, BR_IF, 0,
    END,
    END,
  ];
  const locals = vec([
    [5, I32],
    [5, V128],
  ]);
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/**
 * tanh(ptr, count), two values at a time: x ≥ 12 → 1, x ≤ −12 → −1, else (x·P(u))/Q(u) with
 * u = (x·x)·INV_CLAMP2 and P, Q by Horner from the highest coefficient, as tanh.ts computes it.
 */
function tanhBody(): number[] {
  const [PTR, COUNT, X, UU, P, Q] = [0, 1, 2, 3, 4, 5];
  const horner = (c: number[], acc: number) => [
    ...f64x2Const(c.at(-1)!), ...get(UU), ...F64X2_MUL, ...f64x2Const(c.at(-2)!), ...F64X2_ADD, ...set(acc),
    ...c.slice(0, -2).reverse().flatMap((k) => [...get(acc), ...get(UU), ...F64X2_MUL, ...f64x2Const(k), ...F64X2_ADD, ...set(acc)]),
  ];
  const code = [
    LOOP, VOID,
    ...get(PTR), ...v128Load(0), ...set(X),
    ...get(X), ...get(X), ...F64X2_MUL, ...f64x2Const(INV_CLAMP2), ...F64X2_MUL, ...set(UU),
    ...horner(TANH_P, P),
    ...horner(TANH_Q, Q),
    ...get(PTR),
    // bitselect(a, b, mask) takes a where the mask is set
    ...f64x2Const(-1),
    ...f64x2Const(1),
    ...get(X), ...get(P), ...F64X2_MUL, ...get(Q), ...F64X2_DIV,
    ...get(X), ...f64x2Const(TANH_CLAMP), ...F64X2_GE, ...V128_BITSELECT,
    ...get(X), ...f64x2Const(-TANH_CLAMP), ...F64X2_LE, ...V128_BITSELECT,
    ...v128Store(0),
    ...addConst(PTR, 16),
    ...get(COUNT), I32_CONST, 2, I32_SUB, ...set(COUNT),
    ...get(COUNT), BR_IF, 0,
    END,
    END,
  ];
  const fn = [...vec([[4, V128]]), ...code];
  return [...uleb(fn.length), ...fn];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const params = (n: number) => vec(Array.from({ length: n }, () => [I32]));
  const type = vec([
    [0x60, ...params(7), 0],
    [0x60, ...params(2), 0],
  ]);
  const name = (s: string) => vec([...s].map((c) => [c.charCodeAt(0)]));
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, type),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, 1]])), // one memory, at least one page
    ...section(7, vec([
      [...name('memory'), 0x02, 0],
      [...name('layer'), 0x00, 0],
      [...name('tanh'), 0x00, 1],
    ])),
    ...section(10, vec([body(), tanhBody()])),
  ]);
}

let module: WebAssembly.Module | null | undefined;

/** A fresh instance (its own memory), or undefined where WebAssembly SIMD is unavailable. */
export function simdEngine(): SimdEngine | undefined {
  if (module === undefined) {
    try {
      const bytes = moduleBytes();
      module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      module = null;
    }
  }
  if (!module) return undefined;
  const exports = new WebAssembly.Instance(module).exports as { memory: WebAssembly.Memory; layer: SimdLayer; tanh: SimdTanh };
  return { memory: exports.memory, layer: exports.layer, tanh: exports.tanh };
}
