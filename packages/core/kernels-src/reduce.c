// Sums over the middle axis of a row-major [outer, red, inner] float32 array, written for deitjs's wasm
// Sum kernel (bias and LayerNorm parameter gradients: [T, C] → [C]). Accumulates in float64, as the
// cpu backend does, two lanes at a time (f64x2); no stack memory is used.
#include <wasm_simd128.h>

// out[o·inner + i] = Σ_r x[(o·red + r)·inner + i]; acc is scratch of `inner` doubles (8-byte aligned).
__attribute__((export_name("sum_middle"))) void sum_middle(const float *x, float *out, double *acc, int outer, int red, int inner) {
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) acc[i] = 0.0;
    for (int r = 0; r < red; r++) {
      const float *row = x + ((long)o * red + r) * inner;
      int i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v128_t v = wasm_v128_load(row + i);
        const v128_t lo = wasm_f64x2_promote_low_f32x4(v);
        const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
        wasm_v128_store(acc + i, wasm_f64x2_add(wasm_v128_load(acc + i), lo));
        wasm_v128_store(acc + i + 2, wasm_f64x2_add(wasm_v128_load(acc + i + 2), hi));
      }
      for (; i < inner; i++) acc[i] += row[i];
    }
    for (int i = 0; i < inner; i++) out[(long)o * inner + i] = (float)acc[i];
  }
}
