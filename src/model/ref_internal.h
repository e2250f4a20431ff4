/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to the ref backend (ref.c, ref_kernels.c and its .inc files).
 *
 * ref.c prepares everything at create time (packed weights, bias, lookup
 * tables, scratch) into one struct ref_prep per op and a list of steps;
 * ref_kernels.c holds the kernels, compiled once per instruction set
 * (AVX-512, AVX2, baseline) from the same plain-C source, and the
 * best variant the CPU supports is picked once in bd_ref_create.
 */
#ifndef BD_MODEL_REF_INTERNAL_H
#define BD_MODEL_REF_INTERNAL_H

#include <stddef.h>

#include "graph.h"

/* Largest row block (MR) any kernel variant uses; sizes the scratch. */
#define REF_MR_MAX 8

/* Output-channel block of a GEMM-like op: channels [n0, n0 + nc) are
 * computed with a kernel of width nr (8, 16 or 32; nc <= nr; every block
 * but the last is full, so np0 == n0). The block's packed weights are
 * [K][nr] at w + K * np0 and its bias is bias + np0, where np0 is the sum
 * of the nr of the blocks before it. */
struct ref_cblk {
    int n0, nc, nr, np0;
};

/* Convolutions (CONV2D, direct TRANSPOSE_CONV) with fewer output channels
 * than this use the "c4" kernels: XNNPACK's WebAssembly build, whose main
 * GEMM kernels are 8 columns wide, runs them on its 4x2c4 kernels, which
 * sum every output in 4 partial sums (see struct ref_prep). */
#define REF_C4_BELOW_CO 8

/* What an op runs with, prepared at create time. */
struct ref_prep {
    /* CONV2D, FULLY_CONNECTED, TRANSPOSE_CONV: a GEMM over K = taps * Ci
     * (conv: k = (ky * KW + kx) * Ci + ci; fc: K = Ci) or K = Ci with
     * N = KH * KW * Co (tconv: n = (ky * KW + kx) * Co + co; when
     * tc_direct, KH sets of weights with N = KW * Co, one per ky). */
    int nblk;
    struct ref_cblk *blk;
    float *w;            /* packed, 64-byte aligned */
    float *bias;         /* [npad] (zeros when the op has none) */
    float *obias;        /* TRANSPOSE_CONV: [Co] bias added to the output */
    int tc_direct;       /* TRANSPOSE_CONV: stride == kernel, no padding and
                          * full coverage: every output is written once, so
                          * bias (per column) and epilogue go in the GEMM */
    int K, npad;
    /* c4 (CONV2D with Co < REF_C4_BELOW_CO: c4_taps = KH*KW, columns co;
     * direct TRANSPOSE_CONV with Co < REF_C4_BELOW_CO: c4_taps = 1,
     * columns n = (ky * KW + kx) * Co + co): column n's value is
     * (s0 + s2) + (s1 + s3), where s_j starts at bias[n] for j = 0 and 0
     * otherwise, and adds, tap by tap and within a tap in order, the
     * products of the inputs k with k % 4 == j (k counted from 0 in each
     * tap). w: see c4_set in ref.c; bias is [ncol rounded up to 4]. */
    int c4, c4_taps, c4_kc, c4_ncol;
    /* DWCONV2D: w is [KH*KW][cpad], bias [cpad]. */
    int cpad;
    /* RESIZE_BILINEAR: per output column, element offsets of the two source
     * columns and the weight of the second; likewise per output row. */
    size_t *rx0, *rx1;
    float *rwx;
    int *ry0, *ry1;
    float *rwy;
};

/* Epilogue applied to an op's results, in this order: clamp to [lo, hi];
 * hard-swish if hswish (a fused HARD_SWISH); if add is not NULL, add
 * add[i] (a fused residual ADD: add has the output's shape, element i goes
 * with output element i) and clamp to [lo2, hi2]; the logistic function
 * if sigmoid (a fused LOGISTIC: only ever set on a direct TRANSPOSE_CONV
 * with one c4 block, the selfie models' last layer, see fuse_chain). */
struct ref_epi {
    float lo, hi;
    int hswish;
    const float *add;
    float lo2, hi2;
    int sigmoid;
};

/* A depth-first band (ref.c's plan_bands): an inverted-residual chain run
 * a few output rows at a time so that its intermediate tensors live in
 * small buffers instead of going through memory. The step's own op is a
 * 1x1 CONV2D ("expand", epilogue step.epi) whose output only the DWCONV2D
 * dw_op reads (through its taps and perhaps as its residual addend); the
 * depthwise output goes to pw_op, a 1x1 CONV2D reading nothing else, or,
 * with pw_op -1, to step.out. Per band of `rows` output rows: the expand
 * rows the taps need that are not yet in `mid` are computed into it (rows
 * no band needs any more are dropped from its top first), the depthwise
 * rows go to `dwo` (or straight to the output), the project rows to the
 * output. Each output is computed by the same kernels in the same order as
 * without the band, so the results are the same bits. */
struct ref_band {
    int dw_op, pw_op;
    struct ref_epi dw_epi, pw_epi;
    int dw_add_mid;            /* the depthwise's addend is the expand output */
    int rows;                  /* output rows per band */
    float *mid;                /* mid_rows expand-output rows */
    int mid_rows;
    float *dwo;                /* rows depthwise-output rows (pw_op >= 0) */
    /* pre_op >= 0: the expand's input is that elementwise ADD, SUB or MUL
     * (of two full tensors, or of a full one and a per-channel vector),
     * epilogue pre_epi, computed row by row into xbuf (mid_rows rows)
     * instead of read from memory; tile holds the vector repeated over
     * tile_px pixels */
    int pre_op;
    struct ref_epi pre_epi;
    /* post_op >= 0 (then pw_op is -1): the depthwise rows go through dwo
     * into that direct TRANSPOSE_CONV with one c4 block (the selfie
     * models' last layer), epilogue post_epi, row by row */
    int post_op;
    struct ref_epi post_epi;
    float *xbuf, *tile;
    int tile_px;
};

/* A RESIZE_BILINEAR and the 1x1 CONV2D after it run the other way round
 * (ref.c's plan_swaps): the step's op, the convolution, at the resize's
 * input size into mid, then resize_op on its output with the tables rp
 * (for the convolution's channels), through rowbuf. */
struct ref_swap {
    int resize_op;
    struct ref_prep rp;
    float *mid, *rowbuf;
};

/* An elementwise binary op whose output only a global average pool reads
 * (ref.c's plan_pools): the op's output goes through `buf`, chunk_px
 * pixels (a multiple of 7) at a time, into the pool's sums (`acc`, one
 * per channel), in XNNPACK's 7-pixel groups as global_avg adds them, so
 * the pooled values are the same bits; the full-size output is never
 * written. */
struct ref_pool {
    int pool_op;
    struct ref_epi pool_epi;
    int chunk_px;
    float *buf, *acc;
};

/* One unit of work of bd_ref_run: op `op` writing tensor `out` (the op's
 * own output, or the output of the last op fused after it: an activation
 * (RELU, RELU6, HARD_SWISH) and/or a same-shape ADD, see ref.c), ops
 * op..last in all; with band, the whole chain of struct ref_band; with
 * swap, the resize before op too. */
struct ref_step {
    int op;
    int out;
    struct ref_epi epi;
    int last;
    const struct ref_band *band;
    const struct ref_swap *swap;
    const struct ref_pool *pool;
};

/* The depthwise row kernel's contract (ref_dw.inc, its DWR). */
typedef void (*ref_dwr_fn)(int nky, int nkx, const float *restrict x, size_t rstride,
                           size_t kstride, size_t pstride, const float *restrict w,
                           size_t wrstride, size_t wkstride, const float *restrict bias,
                           float *restrict out, const float *restrict d, size_t ostride,
                           const struct ref_epi *e);

/* Intrinsics twins kept in files of their own, outside ref_kernels.inc:
 * the WebAssembly build's (src/model/wasm/ref_simd128.c). bd_ref_create
 * sets bd_ref.tw for the baseline variant there (unless bd_ref_simd(0));
 * the executor then calls them in place of its own kernels. */
struct ref_twins {
    const char *name;
    int dw8_px;       /* output pixels per dwr_8 call */
    ref_dwr_fn dwr_8; /* the depthwise row kernel, 8 channels */
    /* ref_kernels.inc's c4_px for one tap (the selfie models' last layer,
     * tconv1_row): res[n] for the 4 columns of the block at w, bias the
     * block's 4 biases, kc inputs at a */
    void (*c4_px1)(int kc, const float *a, const float *w, const float *bias, float *res);
};
extern const struct ref_twins bd_ref_twins_simd128;

struct bd_ref {
    const struct bd_graph *g;
    float *const *t;           /* tensor pointers (engine-owned) */
    struct ref_prep *prep;     /* [num_ops] */
    struct ref_step *steps;    /* fused plan for bd_ref_run */
    int nsteps;
    /* scratch */
    float *zeros;              /* nzeros floats of 0 */
    size_t nzeros;
    const float **ptrs;        /* pointer scratch for im2col-free convs */
    size_t nptrs;
    float *tmp;                /* GEMM scratch for TRANSPOSE_CONV */
    size_t ntmp;
    float *rowbuf;             /* RESIZE_BILINEAR: two input rows interpolated
                                * along x (2 * OW * C) */
    size_t nrowbuf;
    int (*exec)(const struct bd_ref *r, const struct ref_step *s);
    int max_nr;                /* widest GEMM block for this ISA: 32, 16 or 8 */
    int simd;                  /* run the intrinsics twins (bd_ref_simd) */
    const struct ref_twins *tw; /* NULL: the variant's own kernels */
    int ftz;                   /* run with denormals flushed (ref.c's
                                * ref_fpu_enter: the FMA variants) */
    /* allocations to free */
    void **allocs;
    int nallocs, capallocs;
};

/* The per-ISA executors (ref_kernels.c). Each returns 0 or a bd_status. */
int bd_ref_exec_avx512(const struct bd_ref *r, const struct ref_step *s);
int bd_ref_exec_avx2(const struct bd_ref *r, const struct ref_step *s);
int bd_ref_exec_base(const struct bd_ref *r, const struct ref_step *s);
/* 1 when the AVX-512 / AVX2 variants were compiled in. */
int bd_ref_have_x86_variants(void);

/* For tests and benchmarks: force a kernel variant for engines created
 * afterwards ("avx512", "avx2", "base", or NULL/"auto" for the CPU's best).
 * Returns 0, or -1 if the name is unknown or the CPU lacks it. Not
 * thread-safe; never called by the library itself. */
int bd_ref_force_isa(const char *name);
/* For tests: 0 makes engines created afterwards run the plain C twin of
 * every intrinsics kernel, 1 (the default) the intrinsics. Not
 * thread-safe; never called by the library itself. */
void bd_ref_simd(int on);

/* For tests and benchmarks: the floats a band's buffers may hold (ref.c's
 * plan_bands), for engines created afterwards; 0 restores the default, -1
 * turns bands, swaps and pool fusions off (the plan of one step per op and
 * its activations). Not thread-safe; never called by the library itself. */
void bd_ref_band_budget(long floats);

/* The variant bd_ref_create picks now ("avx512", "avx2" or "base"). */
const char *bd_ref_isa(void);
/* 1 when variant isa multiply-adds with FMA (avx512, avx2): its results
 * differ from the baseline's, which rounds like TFLite-WASM bit for bit,
 * by the roundings FMA skips; the FMA variants agree with each other. */
int bd_ref_isa_fma(const char *isa);

#endif /* BD_MODEL_REF_INTERNAL_H */
