/**
 * The autoencoder's activation, shared by the JS forward pass and the WebAssembly one.
 */

/** Beyond ±TANH_CLAMP, `tanh` returns ±1 (1 − tanh(12) = 7.6e-11). */
export const TANH_CLAMP = 12;
export const INV_CLAMP2 = 1 / (TANH_CLAMP * TANH_CLAMP);

/**
 * tanh to within 1.0e-10 absolute (Math.tanh: within an ulp): x·P(u)/Q(u), u = (x/12)², a
 * rational (7, 7) fitted (Lawson-weighted least squares towards minimax) on [0, 12], odd by
 * construction, ±1 beyond ±12, NaN for NaN. The largest error over a sweep of [0, 12] in
 * steps of 1e-6 against Math.tanh is 9.3e-11 (and 7.6e-11 beyond 12); the error's second
 * derivative stays near 2e-8 (30-digit arithmetic, every 0.005), so between the sweep's
 * points it cannot grow by even 1e-20. test/detector-model.test.ts checks a coarser sweep.
 *
 * Why: Math.tanh is a call into C that costs ~20 ns; the autoencoder needs ~94 per vehicle
 * row, which made tanh half of the model's scoring time. This inlines to ~20 flops (and runs
 * two at a time in simd.ts, from TANH_P and TANH_Q, with the same operations in the same order). The
 * weights are float32 (7 significant digits), so an error of 1e-10 is far below anything
 * the model can resolve; training (TF.js) uses its own tanh, and calibration and scoring
 * both use this one, so a saved and reloaded model scores identically.
 */
export function tanh(x: number): number {
  if (x >= TANH_CLAMP) return 1;
  if (x <= -TANH_CLAMP) return -1;
  const u = x * x * INV_CLAMP2;
  const p = ((((((1.1766939546866595 * u + 23.898761324502303) * u + 21.670655581472065) * u - 42.61171223920021) * u + 31.247162870818634) * u + 68.45645839230835) * u + 19.12118752168461) * u + 0.9999999994999992;
  const q = ((((((97.8490091611511 * u + 431.83002887660416) * u - 209.7921346026476) * u - 251.6248483877142) * u + 825.6537401184643) * u + 525.4735064860033) * u + 67.12118719337562) * u + 1;
  return (x * p) / q;
}

/** The same coefficients, P0…P7 and Q0…Q7 (simd.ts; the test that both paths agree checks they are these). */
export const TANH_P = [0.9999999994999992, 19.12118752168461, 68.45645839230835, 31.247162870818634, -42.61171223920021, 21.670655581472065, 23.898761324502303, 1.1766939546866595];
export const TANH_Q = [1, 67.12118719337562, 525.4735064860033, 825.6537401184643, -251.6248483877142, -209.7921346026476, 431.83002887660416, 97.8490091611511];
