/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ref backend's kernels, written in plain C so that GCC vectorises
 * them, and compiled three times from ref_kernels.inc: for AVX-512, for
 * AVX2 and for the baseline ISA. ref.c picks the variant once.
 *
 * How the source is shaped for the vectoriser (GCC 12 at -O2 uses the
 * "very cheap" cost model, which vectorises only loops whose trip count is
 * a compile-time multiple of the vector length):
 *  - elementwise loops run in blocks of REF_VL with a constant-length inner
 *    loop, then a scalar tail (REF_VFOR);
 *  - GEMM and depthwise kernels keep a constant-size accumulator block
 *    whose row loop is fully unrolled (#pragma GCC unroll), so the
 *    accumulators live in vector registers; the vectorised column loop is
 *    only unrolled when it is at most 2 vectors long, so each ISA uses
 *    blocks of at most 2 registers per row (ref.c's max_nr, REF_DWMAX);
 *  - the AVX-512 and AVX2 variants multiply-add with FMA (REF_FMA 1: MADD
 *    is fmaf(), which GCC turns into vfmadd): the GEMMs and depthwise
 *    convolutions are bound by their arithmetic, and FMA halves it (the
 *    selfie model ran 1.23x faster). The baseline variant keeps every
 *    product and sum rounded on its own (REF_FMA 0), and contraction of
 *    a*b+c is kept off below in all of them, so MADD is the only fused
 *    operation.
 *
 * How the arithmetic is ordered: like TensorFlow Lite's WebAssembly build
 * (XNNPACK kernels, no FMA), which the golden test compares with, so that
 * the baseline variant rounds alike (bit for bit on the selfie and Meet
 * models; BACKDROP_REF_ISA=base picks it) and the FMA variants differ from
 * it by the roundings FMA skips (golden: within its 1e-4 like XNNPACK):
 *  - CONV2D, FULLY_CONNECTED, direct TRANSPOSE_CONV (stride == kernel):
 *    start from the bias, add tap by tap (ky, kx), channel by channel; a
 *    CONV2D or direct TRANSPOSE_CONV with fewer than REF_C4_BELOW_CO
 *    output channels runs on XNNPACK's 4x2c4 kernels there, which keep 4
 *    partial sums (the c4 kernels here, see struct ref_prep). A
 *    TRANSPOSE_CONV with overlapping taps is not mirrored (it adds per-tap
 *    GEMM results into the output);
 *  - depthwise: bias, then the taps column by column (kx outer, ky inner);
 *  - MEAN / global AVG_POOL: XNNPACK's 7-pixel groups (global_avg);
 *  - HARD_SWISH (x * (1/6)) * relu6(x + 3), LOGISTIC XNNPACK's polynomial
 *    (sigmoidf), RESIZE_BILINEAR along x first, then y.
 * Blocking never changes the order in which one output's terms are added,
 * so the AVX-512 and AVX2 variants give the same bits as each other.
 *
 * Where GCC does not find the vector form, a kernel has AVX-512 and AVX2
 * intrinsics twins (REF_SIMD 512 / 256) of its plain C code, doing the same
 * operations in the same order (same bits); bd_ref_simd(0) makes engines
 * created afterwards run the plain C code in every variant, which is how
 * test_ref_ops compares the twins.
 */
#include "ref_internal.h"

/* Each product and sum is rounded on its own: no a*b+c contraction into
 * FMA, whatever the build's -std (ISO C modes already keep it off). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__) && !defined(__STRICT_ANSI__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../common/error.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#define REF_CAT2(a, b) a##_##b
#define REF_CAT(a, b) REF_CAT2(a, b)

/* for (size_t i = 0; i < n; i++) { body } in blocks of REF_VL. */
#define REF_VFOR(i, n, ...)                                                  \
    do {                                                                     \
        const size_t i##_n_ = (n);                                           \
        size_t i##_b_ = 0;                                                   \
        for (; i##_b_ + REF_VL <= i##_n_; i##_b_ += REF_VL)                  \
            for (size_t i = i##_b_; i < i##_b_ + REF_VL; i++) {              \
                __VA_ARGS__                                                  \
            }                                                                \
        for (size_t i = i##_b_; i < i##_n_; i++) {                           \
            __VA_ARGS__                                                      \
        }                                                                    \
    } while (0)

#define REF_UNROLL _Pragma("GCC unroll 32")

/* Op-level drivers and micro-kernels stay out of line: inlined into the big
 * per-ISA executor, GCC was seen to stop vectorising the kernels. */
#define REF_NOINLINE __attribute__((noinline))

/* Kinds of elementwise binary op. */
enum { REF_BADD, REF_BSUB, REF_BMUL, REF_BPRELU, REF_BDIV, REF_BMIN, REF_BMAX };

static inline const float *ref_tensor(const struct bd_ref *R, int idx)
{
    return R->t[idx] ? R->t[idx] : (const float *)R->g->tensors[idx].data;
}

/* Clamp and hard-swish are no-ops (the residual add is separate). */
static inline int ref_epi_no_clamp(const struct ref_epi *e)
{
    return !e->hswish && e->lo == -INFINITY && e->hi == INFINITY;
}

static inline int ref_epi_is_identity(const struct ref_epi *e)
{
    return ref_epi_no_clamp(e) && !e->add;
}

/* A tensor's dims right-aligned to 4-D. */
static inline void ref_dims4(const struct bd_tensor *t, int d[4])
{
    const int s = 4 - t->ndim;
    for (int i = 0; i < 4; i++)
        d[i] = i < s ? 1 : t->dims[i - s];
}

/* Element strides of an input of dims din broadcast to dims dout (0 along
 * broadcast dimensions). */
static inline void ref_bstrides(const int din[4], const int dout[4], size_t s[4])
{
    size_t st = 1;
    for (int i = 3; i >= 0; i--) {
        s[i] = (din[i] == 1 && dout[i] != 1) ? 0 : st;
        st *= (size_t)din[i];
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define REF_X86_VARIANTS 1
#else
#define REF_X86_VARIANTS 0
#endif

int bd_ref_have_x86_variants(void)
{
    return REF_X86_VARIANTS;
}

#if REF_X86_VARIANTS

/* ---- AVX-512 (32 zmm registers) ---------------------------------------- */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
#define REF_SUF avx512
#define REF_FMA 1
#define REF_SIMD 512
#define REF_VL 16
#define REF_MR8 8
#define REF_MR16 8
#define REF_MR32 8
#define REF_DWPX32 4
#define REF_DWPX16 8
#define REF_DWPX8 8
#define REF_DWMAX 32
#include "ref_kernels.inc"
#undef REF_SUF
#undef REF_FMA
#undef REF_SIMD
#undef REF_VL
#undef REF_MR8
#undef REF_MR16
#undef REF_MR32
#undef REF_DWPX32
#undef REF_DWPX16
#undef REF_DWPX8
#undef REF_DWMAX
#pragma GCC pop_options

/* ---- AVX2 (16 ymm registers) ------------------------------------------- */
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define REF_SUF avx2
#define REF_FMA 1
#define REF_SIMD 256
#define REF_VL 16
#define REF_MR8 8
#define REF_MR16 6
#define REF_MR32 2
#define REF_DWPX32 2
#define REF_DWPX16 4
#define REF_DWPX8 8
#define REF_DWMAX 16
#include "ref_kernels.inc"
#undef REF_SUF
#undef REF_FMA
#undef REF_SIMD
#undef REF_VL
#undef REF_MR8
#undef REF_MR16
#undef REF_MR32
#undef REF_DWPX32
#undef REF_DWPX16
#undef REF_DWPX8
#undef REF_DWMAX
#pragma GCC pop_options

#else

int bd_ref_exec_avx512(const struct bd_ref *r, const struct ref_step *s)
{
    (void)r;
    (void)s;
    return bd_fail(BD_ERR_BACKEND, "ref: AVX-512 kernels not compiled in");
}

int bd_ref_exec_avx2(const struct bd_ref *r, const struct ref_step *s)
{
    (void)r;
    (void)s;
    return bd_fail(BD_ERR_BACKEND, "ref: AVX2 kernels not compiled in");
}

#endif /* REF_X86_VARIANTS */

/* ---- baseline (SSE2 on x86-64, whatever the target has elsewhere) ------ */
#define REF_SUF base
#define REF_FMA 0
#define REF_SIMD 0
#define REF_VL 8
#define REF_MR8 4
#define REF_MR16 2
#define REF_MR32 1
#define REF_DWPX32 1
#define REF_DWPX16 2
#define REF_DWPX8 4
#define REF_DWMAX 8
#include "ref_kernels.inc"
#undef REF_SUF
#undef REF_FMA
#undef REF_SIMD
#undef REF_VL
#undef REF_MR8
#undef REF_MR16
#undef REF_MR32
#undef REF_DWPX32
#undef REF_DWPX16
#undef REF_DWPX8
#undef REF_DWMAX
