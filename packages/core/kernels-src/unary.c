// Element-wise exp and erf for WebAssembly SIMD (float32), written for deitjs's wasm Exp and Erf kernels:
// tfjs-backend-wasm evaluates both with scalar libm calls (~12-15 ns per element); these run 4 lanes at
// once with polynomial evaluations accurate to a few float32 ulps.
#include <wasm_simd128.h>

// exp(x) = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 (ln 2 split in two parts so r is exact
// to float precision), |r| ≤ ln 2 / 2, e^r by its degree-7 Taylor polynomial (truncation < 1e-8
// relative). 2^n is applied as two halves so n down to −252 and up to 254 stay representable:
// results overflow to +inf and underflow through the subnormals to 0 as exp does.
static v128_t exp4(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-104.0f), hi = wasm_f32x4_splat(89.0f);
  const v128_t xc = wasm_f32x4_pmax(lo, wasm_f32x4_pmin(hi, x));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  const v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  const v128_t n1 = wasm_i32x4_shr(ni, 1);
  const v128_t n2 = wasm_i32x4_sub(ni, n1);
  const v128_t bias = wasm_i32x4_splat(127);
  const v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
  const v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  const v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  // The clamp (which keeps the integer conversion in range) maps NaN to a number: put NaN back.
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

// erf(x) = sign(x) · erf(|x|). For |x| < 0.5 the Maclaurin series to x¹³ (next term < 1e-9 relative);
// otherwise 1 − (a₁t + … + a₅t⁵)·e^{−x²} with t = 1/(1 + p|x|), Abramowitz & Stegun 7.1.26 (absolute
// error ≤ 1.5e-7, i.e. ≤ 3e-7 relative where erf ≥ 0.52). Saturates to ±1, NaN stays NaN.
static v128_t erf4(v128_t x) {
  const v128_t ax = wasm_f32x4_abs(x);
  const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  // Series: (2/√π)·x·(1 − x²/3 + x⁴/10 − x⁶/42 + x⁸/216 − x¹⁰/1320 + x¹²/9360).
  const v128_t x2 = wasm_f32x4_mul(ax, ax);
  v128_t s = wasm_f32x4_splat(1.0f / 9360.0f);
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), wasm_f32x4_splat(-1.0f / 1320.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), wasm_f32x4_splat(1.0f / 216.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), wasm_f32x4_splat(-1.0f / 42.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), wasm_f32x4_splat(1.0f / 10.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), wasm_f32x4_splat(-1.0f / 3.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), wasm_f32x4_splat(1.0f));
  s = wasm_f32x4_mul(s, wasm_f32x4_mul(ax, wasm_f32x4_splat(1.12837916709551257f)));
  // Tail formula.
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(ax, wasm_f32x4_splat(0.3275911f))));
  v128_t q = wasm_f32x4_splat(1.061405429f);
  q = wasm_f32x4_add(wasm_f32x4_mul(q, t), wasm_f32x4_splat(-1.453152027f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, t), wasm_f32x4_splat(1.421413741f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, t), wasm_f32x4_splat(-0.284496736f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, t), wasm_f32x4_splat(0.254829592f));
  q = wasm_f32x4_mul(q, t);
  const v128_t e = exp4(wasm_f32x4_neg(x2));
  const v128_t tail = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(q, e));
  const v128_t small = wasm_f32x4_lt(ax, wasm_f32x4_splat(0.5f));
  const v128_t y = wasm_v128_bitselect(s, tail, small);
  return wasm_v128_or(y, sign);
}

// The tail (n mod 4 elements) goes through one vector built lane by lane: no stack memory is used.
#define UNARY(name, fn)                                                                  \
  __attribute__((export_name(#name))) void name(const float *x, float *y, int n) {       \
    int i = 0;                                                                           \
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, fn(wasm_v128_load(x + i)));       \
    if (i < n) {                                                                         \
      const int r = n - i;                                                               \
      const v128_t v = fn(wasm_f32x4_make(x[i], r > 1 ? x[i + 1] : 0.0f, r > 2 ? x[i + 2] : 0.0f, 0.0f)); \
      y[i] = wasm_f32x4_extract_lane(v, 0);                                              \
      if (r > 1) y[i + 1] = wasm_f32x4_extract_lane(v, 1);                               \
      if (r > 2) y[i + 2] = wasm_f32x4_extract_lane(v, 2);                               \
    }                                                                                    \
  }

UNARY(exp_f32, exp4)
UNARY(erf_f32, erf4)
