// Single-precision GEMM for WebAssembly SIMD (128-bit), written for deitjs's wasm BatchMatMul kernel.
//
// C[m×n] = A[m×k] · B[k×n], with A and B addressed through row/column strides so that transposed
// operands need no separate transpose pass: a(i,p) = a[i*rsa + p*csa], b(p,j) = b[p*rsb + j*csb].
//
// Structure (the classic Goto/BLIS loop nest): B is packed in KC×NR column panels and A in MR×KC row
// panels so the inner MR×NR micro-kernel streams both operands from contiguous memory; KC keeps one B
// panel in L1, MC×KC of A in L2. Products and sums are separate float32 mul and add (wasm SIMD has no
// fused multiply-add without the relaxed-SIMD proposal), so results differ from a naive loop only in
// summation order.
//
// Built by scripts/build-wasm-kernels.sh with clang --target=wasm32 -msimd128 -O3 -nostdlib: no libc,
// no allocator. The caller (packages/core/src/kernels/batch-mat-mul.ts) owns the memory layout and
// passes every buffer in.
#include <wasm_simd128.h>

#define MR 4
#define NR 8
#define KC 256
#define MC 128
#define NC 1024

// Sizes in floats of the two per-thread scratch buffers the caller must provide (A packing plus one
// MR×NR edge tile; B packing). No stack memory is used: instances on several threads share one memory.
__attribute__((export_name("pack_a_floats"))) int pack_a_floats(void) { return MC * KC + MR * NR; }
__attribute__((export_name("pack_b_floats"))) int pack_b_floats(void) { return KC * NC; }

// Packs rows [i0, i0+mc) × depth [p0, p0+kc) of A as consecutive MR-row panels, each stored
// depth-major (MR values per depth step); rows past mc are zero so the micro-kernel needs no edge case.
static void pack_a(int mc, int kc, const float *a, int rsa, int csa, float *pa) {
  for (int i = 0; i < mc; i += MR) {
    const int rows = mc - i < MR ? mc - i : MR;
    for (int p = 0; p < kc; p++) {
      for (int r = 0; r < rows; r++) pa[r] = a[(i + r) * rsa + p * csa];
      for (int r = rows; r < MR; r++) pa[r] = 0.0f;
      pa += MR;
    }
  }
}

// Packs depth [p0, p0+kc) × columns [j0, j0+nc) of B as consecutive NR-column panels, each stored
// depth-major (NR values per depth step), zero-padded past nc.
static void pack_b(int kc, int nc, const float *b, int rsb, int csb, float *pb) {
  for (int j = 0; j < nc; j += NR) {
    const int cols = nc - j < NR ? nc - j : NR;
    if (cols == NR && csb == 1) {
      for (int p = 0; p < kc; p++) {
        const float *src = b + p * rsb + j;
        wasm_v128_store(pb, wasm_v128_load(src));
        wasm_v128_store(pb + 4, wasm_v128_load(src + 4));
        pb += NR;
      }
    } else {
      for (int p = 0; p < kc; p++) {
        for (int c = 0; c < cols; c++) pb[c] = b[p * rsb + (j + c) * csb];
        for (int c = cols; c < NR; c++) pb[c] = 0.0f;
        pb += NR;
      }
    }
  }
}

// acc[MR×NR] = Σ_p pa[p,:]ᵀ · pb[p,:] over kc depth steps, then C (+)= acc for the valid rows × cols.
static void micro_kernel(int kc, const float *pa, const float *pb, float *c, int ldc, int rows, int cols, int accumulate, float *tile) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(pb);
    const v128_t b1 = wasm_v128_load(pb + 4);
    const v128_t a0 = wasm_v128_load32_splat(pa);
    const v128_t a1 = wasm_v128_load32_splat(pa + 1);
    const v128_t a2 = wasm_v128_load32_splat(pa + 2);
    const v128_t a3 = wasm_v128_load32_splat(pa + 3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
    pa += MR;
    pb += NR;
  }
  if (rows == MR && cols == NR) {
    float *r0 = c, *r1 = c + ldc, *r2 = c + 2 * ldc, *r3 = c + 3 * ldc;
    if (accumulate) {
      c00 = wasm_f32x4_add(c00, wasm_v128_load(r0));
      c01 = wasm_f32x4_add(c01, wasm_v128_load(r0 + 4));
      c10 = wasm_f32x4_add(c10, wasm_v128_load(r1));
      c11 = wasm_f32x4_add(c11, wasm_v128_load(r1 + 4));
      c20 = wasm_f32x4_add(c20, wasm_v128_load(r2));
      c21 = wasm_f32x4_add(c21, wasm_v128_load(r2 + 4));
      c30 = wasm_f32x4_add(c30, wasm_v128_load(r3));
      c31 = wasm_f32x4_add(c31, wasm_v128_load(r3 + 4));
    }
    wasm_v128_store(r0, c00);
    wasm_v128_store(r0 + 4, c01);
    wasm_v128_store(r1, c10);
    wasm_v128_store(r1 + 4, c11);
    wasm_v128_store(r2, c20);
    wasm_v128_store(r2 + 4, c21);
    wasm_v128_store(r3, c30);
    wasm_v128_store(r3 + 4, c31);
    return;
  }
  // Edge tile: spill to the scratch tile and copy the valid part.
  wasm_v128_store(tile, c00);
  wasm_v128_store(tile + 4, c01);
  wasm_v128_store(tile + 8, c10);
  wasm_v128_store(tile + 12, c11);
  wasm_v128_store(tile + 16, c20);
  wasm_v128_store(tile + 20, c21);
  wasm_v128_store(tile + 24, c30);
  wasm_v128_store(tile + 28, c31);
  for (int r = 0; r < rows; r++) {
    for (int j = 0; j < cols; j++) {
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r * NR + j] : tile[r * NR + j];
    }
  }
}

// C[m×n] (row stride ldc) = A · B. pa and pb are scratch of pack_a_floats() and pack_b_floats() floats.
static void gemm(int m, int n, int k, const float *a, int rsa, int csa, const float *b, int rsb,
                                               int csb, float *c, int ldc, float *pa, float *pb) {
  if (k == 0) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[i * ldc + j] = 0.0f;
    return;
  }
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = k - pc < KC ? k - pc : KC;
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, pb);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          const int cols = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const int rows = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, pa + ir * kc, pb + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, rows, cols, pc > 0, pa + MC * KC);
          }
        }
      }
    }
  }
}

// Runs tasks [first, first + count) of a task table: task i is the product of an m_i×k block of A
// and a k×n_i block of B into C, given as five ints {a, b, c, m_i, n_i} (byte offsets and sizes), all
// with the same k, strides and ldc. Batch slices and column/row blocks of one product are tasks; threads
// take disjoint task ranges, each with its own pa/pb scratch.
__attribute__((export_name("gemm_tasks"))) void gemm_tasks(const int *tasks, int first, int count, int k, int rsa, int csa,
                                                           int rsb, int csb, int ldc, float *pa, float *pb) {
  for (int t = first; t < first + count; t++) {
    const int *task = tasks + 5 * t;
    gemm(task[3], task[4], k, (const float *)task[0], rsa, csa, (const float *)task[1], rsb, csb, (float *)task[2], ldc, pa, pb);
  }
}
