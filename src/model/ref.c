/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ref backend: portable C kernels (ref_kernels.c) driven by a plan made
 * once in bd_ref_create.
 *
 * create packs every weight into the layout its kernel streams (GEMM
 * weights [K][nr] per block of nr output channels, depthwise weights
 * [taps][channels padded to 8]), precomputes resize tables, sizes all
 * scratch, picks the kernel variant for this CPU, and folds the RELU, RELU6,
 * HARD_SWISH and residual ADD ops that directly follow a conv-like, binary,
 * pooling or concat op into that op's epilogue when nothing else reads the
 * intermediate tensors (see fuse_chain). run then only walks the plan; it
 * never allocates.
 */
#include "backend.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/error.h"
#include "ref_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <xmmintrin.h>
/* MXCSR's flush-to-zero and denormals-are-zero bits */
#define REF_MXCSR_FTZ_DAZ 0x8040u
#endif

/* ------------------------------------------------------------------------ */
/* Kernel variant selection                                                  */

static const char *forced_isa; /* NULL = auto */
static int simd_on = 1;

void bd_ref_simd(int on)
{
    simd_on = on;
}

static int cpu_has(const char *isa)
{
    if (strcmp(isa, "base") == 0)
        return 1;
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    if (!bd_ref_have_x86_variants())
        return 0;
    __builtin_cpu_init();
    if (strcmp(isa, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma");
    if (strcmp(isa, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return 0;
}

int bd_ref_force_isa(const char *name)
{
    if (name == NULL || strcmp(name, "auto") == 0) {
        forced_isa = NULL;
        return 0;
    }
    static const char *const names[] = {"avx512", "avx2", "base"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            if (!cpu_has(names[i]))
                return -1;
            forced_isa = names[i];
            return 0;
        }
    return -1;
}

int bd_ref_isa_fma(const char *isa)
{
    return isa && (strcmp(isa, "avx512") == 0 || strcmp(isa, "avx2") == 0);
}

int bd_ref_fma_kernels(void)
{
    return bd_ref_isa_fma(bd_ref_isa());
}

const char *bd_ref_isa(void)
{
    if (forced_isa)
        return forced_isa;
    /* BACKDROP_REF_ISA=base forces the plain C build of the kernels (like
     * libyuv's LIBYUV_DISABLE_*); avx2 or avx512 pick those variants when
     * the CPU has them. Read when an engine is created, never per run. */
    const char *env = getenv("BACKDROP_REF_ISA");
    if (env && (strcmp(env, "base") == 0 || ((strcmp(env, "avx2") == 0 || strcmp(env, "avx512") == 0) &&
                                            cpu_has(env))))
        return strcmp(env, "base") == 0 ? "base" : strcmp(env, "avx2") == 0 ? "avx2" : "avx512";
    if (cpu_has("avx512"))
        return "avx512";
    if (cpu_has("avx2"))
        return "avx2";
    return "base";
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                                */

static void *ref_alloc(struct bd_ref *r, size_t bytes)
{
    if (r->nallocs == r->capallocs) {
        int cap = r->capallocs ? r->capallocs * 2 : 32;
        void **a = realloc(r->allocs, (size_t)cap * sizeof *a);
        if (!a)
            return NULL;
        r->allocs = a;
        r->capallocs = cap;
    }
    size_t sz = (bytes + 63) / 64 * 64;
    if (sz == 0)
        sz = 64;
    void *p = aligned_alloc(64, sz);
    if (!p)
        return NULL;
    memset(p, 0, sz);
    r->allocs[r->nallocs++] = p;
    return p;
}

void bd_ref_destroy(struct bd_ref *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nallocs; i++)
        free(r->allocs[i]);
    free(r->allocs);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* Preparation                                                               */

struct needs {
    size_t zeros, ptrs, tmp, rowbuf;
};

static int unsupported(int op_index, const struct bd_op *op, const char *what)
{
    return bd_fail(BD_ERR_UNSUPPORTED, "ref: op #%d (%s): %s", op_index,
                   op->tflite_name ? op->tflite_name : bd_op_type_name(op->type),
                   what);
}

static const float *const_data(const struct bd_graph *g, int idx)
{
    if (idx < 0 || idx >= g->num_tensors)
        return NULL;
    const struct bd_tensor *t = &g->tensors[idx];
    if (t->dtype != BD_DT_F32)
        return NULL;
    return (const float *)t->data;
}

/* Splits N output columns into kernel blocks (see struct ref_cblk) and
 * allocates the packed weights [K][npad] and bias [npad]. */
static int plan_blocks(struct bd_ref *r, struct ref_prep *p, int N, int K)
{
    struct ref_cblk tmp[4];
    const int maxnr = r->max_nr;
    int nblk32 = N / maxnr, rem = N % maxnr, ntail = 0;
    if (maxnr == 8) {
        if (rem > 0)
            tmp[ntail++] = (struct ref_cblk){0, rem, 8, 0};
    } else if (maxnr == 16) {
        if (rem > 8)
            tmp[ntail++] = (struct ref_cblk){0, rem, 16, 0};
        else if (rem > 0)
            tmp[ntail++] = (struct ref_cblk){0, rem, 8, 0};
    } else if (rem > 24) {
        tmp[ntail++] = (struct ref_cblk){0, rem, 32, 0};
    } else if (rem > 16) {
        tmp[ntail++] = (struct ref_cblk){0, 16, 16, 0};
        tmp[ntail++] = (struct ref_cblk){0, rem - 16, 8, 0};
    } else if (rem > 8) {
        tmp[ntail++] = (struct ref_cblk){0, rem, 16, 0};
    } else if (rem > 0) {
        tmp[ntail++] = (struct ref_cblk){0, rem, 8, 0};
    }
    p->nblk = nblk32 + ntail;
    p->blk = ref_alloc(r, (size_t)p->nblk * sizeof *p->blk);
    if (!p->blk)
        return BD_ERR_NOMEM;
    int n0 = 0;
    for (int b = 0; b < p->nblk; b++) {
        struct ref_cblk bk = b < nblk32 ? (struct ref_cblk){0, maxnr, maxnr, 0}
                                        : tmp[b - nblk32];
        bk.n0 = n0;
        bk.np0 = n0; /* only the last block is partial */
        n0 += bk.nr;
        p->blk[b] = bk;
    }
    p->npad = n0;
    p->K = K;
    p->w = ref_alloc(r, (size_t)K * (size_t)p->npad * sizeof(float));
    p->bias = ref_alloc(r, (size_t)p->npad * sizeof(float));
    if (!p->w || !p->bias)
        return BD_ERR_NOMEM;
    return BD_OK;
}

/* Packs B[k][n] = src(k, n) into the blocks. src is given as a row-major
 * matrix with element (k, n) at src[n * n_stride + k * k_stride]. */
static void pack_gemm(struct ref_prep *p, int N, const float *src,
                      size_t n_stride, size_t k_stride)
{
    for (int b = 0; b < p->nblk; b++) {
        const struct ref_cblk *bk = &p->blk[b];
        float *w = p->w + (size_t)p->K * (size_t)bk->np0;
        for (int k = 0; k < p->K; k++)
            for (int j = 0; j < bk->nr; j++) {
                const int n = bk->n0 + j;
                w[(size_t)k * bk->nr + j] =
                    (j < bk->nc && n < N)
                        ? src[(size_t)n * n_stride + (size_t)k * k_stride]
                        : 0.0f;
            }
    }
}

/* Allocates the c4 weights and bias (see struct ref_prep). */
static int c4_alloc(struct bd_ref *r, struct ref_prep *p, int ncol, int taps, int kc)
{
    const size_t ncb = ((size_t)ncol + 3) / 4, kg = ((size_t)kc + 3) / 4;
    p->c4 = 1;
    p->c4_taps = taps;
    p->c4_kc = kc;
    p->c4_ncol = ncol;
    p->w = ref_alloc(r, ncb * (size_t)taps * kg * 16 * sizeof(float));
    p->bias = ref_alloc(r, ncb * 4 * sizeof(float));
    return p->w && p->bias ? BD_OK : BD_ERR_NOMEM;
}

/* Sets the c4 weight of column n, tap t, input k: the weights are
 * [ncol / 4][taps][kc / 4][4 columns][4 lanes] (rounded up, zero padded). */
static void c4_set(const struct ref_prep *p, int n, int t, int k, float v)
{
    const size_t kg = ((size_t)p->c4_kc + 3) / 4;
    p->w[((((size_t)(n / 4) * (size_t)p->c4_taps + (size_t)t) * kg + (size_t)(k / 4)) * 4 +
          (size_t)(n % 4)) * 4 + (size_t)(k % 4)] = v;
}

/* The filter and bias of a conv-like op, with the shapes the kernels
 * rely on checked once more (the reader already did; this keeps ref safe
 * for hand-built graphs such as the tests'). */
struct conv_operands {
    const float *filter, *bias;
    int Co, KH, KW, Ci;
};

static int conv_operands(const struct bd_ref *r, int i, int dilated, struct conv_operands *c)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *tf = &g->tensors[op->inputs[1]];
    const struct bd_tensor *to = &g->tensors[op->output];
    c->filter = const_data(g, op->inputs[1]);
    if (!c->filter || tf->ndim != 4)
        return unsupported(i, op, "filter must be a constant float 4-D tensor");
    if (ti->ndim != 4 || to->ndim != 4)
        return unsupported(i, op, "input and output must be 4-D");
    c->Co = tf->dims[0];
    c->KH = tf->dims[1];
    c->KW = tf->dims[2];
    c->Ci = tf->dims[3];
    const struct bd_conv_params *cp = &op->p.conv;
    if (c->KH != cp->kernel_h || c->KW != cp->kernel_w || c->Ci != ti->dims[3] ||
        c->Co != to->dims[3] || ti->dims[0] != to->dims[0])
        return unsupported(i, op, "filter shape does not match the op");
    if (cp->stride_h < 1 || cp->stride_w < 1 ||
        (dilated && (cp->dilation_h < 1 || cp->dilation_w < 1)))
        return unsupported(i, op, "stride and dilation must be >= 1");
    const int has_bias = op->num_inputs > 2 && op->inputs[2] >= 0;
    c->bias = has_bias ? const_data(g, op->inputs[2]) : NULL;
    if (has_bias && !c->bias)
        return unsupported(i, op, "bias must be a constant float tensor");
    return BD_OK;
}

static int prep_conv(struct bd_ref *r, int i, struct needs *nd)
{
    struct ref_prep *p = &r->prep[i];
    struct conv_operands c;
    int rc = conv_operands(r, i, 1, &c);
    if (rc != BD_OK)
        return rc;
    const float *f = c.filter, *bias = c.bias;
    const int Co = c.Co, KH = c.KH, KW = c.KW, Ci = c.Ci;
    const int T = KH * KW, K = T * Ci;
    if (nd->zeros < (size_t)Ci)
        nd->zeros = (size_t)Ci;
    if (nd->ptrs < (size_t)REF_MR_MAX * T)
        nd->ptrs = (size_t)REF_MR_MAX * T;
    if (Co < REF_C4_BELOW_CO) {
        int st = c4_alloc(r, p, Co, T, Ci);
        if (st)
            return st;
        for (int co = 0; co < Co; co++) {
            for (int t = 0; t < T; t++)
                for (int k = 0; k < Ci; k++)
                    c4_set(p, co, t, k, f[((size_t)co * T + (size_t)t) * Ci + (size_t)k]);
            if (bias)
                p->bias[co] = bias[co];
        }
        return BD_OK;
    }
    int st = plan_blocks(r, p, Co, K);
    if (st)
        return st;
    /* filter OHWI: element (k, co) at f[co * K + k] */
    pack_gemm(p, Co, f, (size_t)K, 1);
    if (bias)
        for (int b = 0; b < p->nblk; b++)
            for (int j = 0; j < p->blk[b].nc; j++)
                p->bias[p->blk[b].np0 + j] = bias[p->blk[b].n0 + j];
    return BD_OK;
}

static int prep_fc(struct bd_ref *r, int i, struct needs *nd)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    struct ref_prep *p = &r->prep[i];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *tw = &g->tensors[op->inputs[1]];
    const struct bd_tensor *to = &g->tensors[op->output];
    const float *w = const_data(g, op->inputs[1]);
    if (!w || tw->ndim != 2)
        return unsupported(i, op, "weights must be a constant float [Co, Ci] tensor");
    const int Co = tw->dims[0], Ci = tw->dims[1];
    if (ti->count % (size_t)Ci != 0 || to->count != ti->count / (size_t)Ci * (size_t)Co)
        return unsupported(i, op, "weights shape does not match the input/output");
    const float *bias = op->num_inputs > 2 && op->inputs[2] >= 0
                            ? const_data(g, op->inputs[2])
                            : NULL;
    if (op->num_inputs > 2 && op->inputs[2] >= 0 && !bias)
        return unsupported(i, op, "bias must be a constant float tensor");
    int st = plan_blocks(r, p, Co, Ci);
    if (st)
        return st;
    pack_gemm(p, Co, w, (size_t)Ci, 1);
    if (bias)
        for (int b = 0; b < p->nblk; b++)
            for (int j = 0; j < p->blk[b].nc; j++)
                p->bias[p->blk[b].np0 + j] = bias[p->blk[b].n0 + j];
    if (nd->ptrs < REF_MR_MAX)
        nd->ptrs = REF_MR_MAX;
    return BD_OK;
}

static int prep_tconv(struct bd_ref *r, int i, struct needs *nd)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    struct ref_prep *p = &r->prep[i];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *to = &g->tensors[op->output];
    const struct bd_conv_params *cp = &op->p.conv;
    struct conv_operands c;
    int rc = conv_operands(r, i, 0, &c);
    if (rc != BD_OK)
        return rc;
    const float *f = c.filter, *bias = c.bias;
    const int Co = c.Co, KH = c.KH, KW = c.KW, Ci = c.Ci;
    const int T = KH * KW;
    if ((long long)T * Co > INT_MAX / 2)
        return unsupported(i, op, "filter too large");
    p->obias = ref_alloc(r, (size_t)Co * sizeof(float));
    if (!p->obias)
        return BD_ERR_NOMEM;
    if (bias)
        memcpy(p->obias, bias, (size_t)Co * sizeof(float));
    /* Non-overlapping patches tiling the whole output: each output is
     * written once, straight by the GEMM (bias per column, epilogue), one
     * GEMM per filter row ky over N = KW * Co columns (kx, co). */
    p->tc_direct = cp->stride_h == KH && cp->stride_w == KW && cp->pad_top == 0 &&
                   cp->pad_left == 0 && to->dims[1] == ti->dims[1] * KH &&
                   to->dims[2] == ti->dims[2] * KW;
    if (p->tc_direct && Co < REF_C4_BELOW_CO) {
        int st = c4_alloc(r, p, T * Co, 1, Ci);
        if (st)
            return st;
        for (int t = 0; t < T; t++)
            for (int co = 0; co < Co; co++) {
                const int n = t * Co + co;
                for (int k = 0; k < Ci; k++)
                    c4_set(p, n, 0, k, f[((size_t)co * T + (size_t)t) * Ci + (size_t)k]);
                if (bias)
                    p->bias[n] = bias[co];
            }
        if (nd->tmp < (size_t)T * Co + 4)
            nd->tmp = (size_t)T * Co + 4;
        return BD_OK;
    }
    if (nd->ptrs < REF_MR_MAX)
        nd->ptrs = REF_MR_MAX;
    const int N = p->tc_direct ? KW * Co : T * Co;
    int st = plan_blocks(r, p, N, Ci);
    if (st)
        return st;
    const int nsets = p->tc_direct ? KH : 1;
    if (nsets > 1) {
        p->w = ref_alloc(r, (size_t)nsets * Ci * (size_t)p->npad * sizeof(float));
        if (!p->w)
            return BD_ERR_NOMEM;
    }
    /* general: column n = t * Co + co; direct: set ky, column n = kx * Co + co.
     * Element (ci, n) is f[(co * T + t) * Ci + ci]. */
    for (int set = 0; set < nsets; set++)
        for (int b = 0; b < p->nblk; b++) {
            const struct ref_cblk *bk = &p->blk[b];
            float *w = p->w + ((size_t)set * p->npad + (size_t)bk->np0) * (size_t)Ci;
            for (int k = 0; k < Ci; k++)
                for (int j = 0; j < bk->nr; j++) {
                    const int n = bk->n0 + j;
                    float v = 0.0f;
                    if (j < bk->nc) {
                        const int t = set * KW + n / Co, co = n % Co;
                        v = f[((size_t)co * T + (size_t)t) * Ci + (size_t)k];
                    }
                    w[(size_t)k * bk->nr + j] = v;
                }
        }
    if (p->tc_direct && bias)
        for (int n = 0; n < N; n++)
            p->bias[n] = bias[n % Co];
    if (nd->tmp < (size_t)REF_MR_MAX * (size_t)p->npad)
        nd->tmp = (size_t)REF_MR_MAX * (size_t)p->npad;
    return BD_OK;
}

static int prep_dw(struct bd_ref *r, int i, struct needs *nd)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    struct ref_prep *p = &r->prep[i];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *tf = &g->tensors[op->inputs[1]];
    const struct bd_tensor *to = &g->tensors[op->output];
    const float *f = const_data(g, op->inputs[1]);
    if (!f || tf->ndim != 4)
        return unsupported(i, op, "filter must be a constant float 4-D tensor");
    if (ti->ndim != 4 || to->ndim != 4)
        return unsupported(i, op, "input and output must be 4-D");
    const int KH = tf->dims[1], KW = tf->dims[2], C = tf->dims[3];
    const struct bd_conv_params *cp = &op->p.conv;
    const int Ci = ti->dims[3];
    if (tf->dims[0] != 1 || KH != cp->kernel_h || KW != cp->kernel_w ||
        C != to->dims[3] || C % Ci != 0 || ti->dims[0] != to->dims[0])
        return unsupported(i, op, "filter shape does not match the op");
    if (cp->stride_h < 1 || cp->stride_w < 1 || cp->dilation_h < 1 ||
        cp->dilation_w < 1)
        return unsupported(i, op, "stride and dilation must be >= 1");
    const float *bias = op->num_inputs > 2 && op->inputs[2] >= 0
                            ? const_data(g, op->inputs[2])
                            : NULL;
    if (op->num_inputs > 2 && op->inputs[2] >= 0 && !bias)
        return unsupported(i, op, "bias must be a constant float tensor");
    const int T = KH * KW;
    const size_t cpad = ((size_t)C + 7) / 8 * 8;
    p->cpad = (int)cpad;
    p->w = ref_alloc(r, (size_t)T * cpad * sizeof(float));
    p->bias = ref_alloc(r, cpad * sizeof(float));
    if (!p->w || !p->bias)
        return BD_ERR_NOMEM;
    for (int t = 0; t < T; t++)
        memcpy(p->w + (size_t)t * cpad, f + (size_t)t * C, (size_t)C * sizeof(float));
    if (bias)
        memcpy(p->bias, bias, (size_t)C * sizeof(float));
    if (nd->ptrs < 2 * (size_t)T)
        nd->ptrs = 2 * (size_t)T;
    return BD_OK;
}

static void resize_axis(int out_size, int in_size, int align_corners,
                        int half_pixel, int i, int *lo, int *hi, float *frac)
{
    float scale = (float)in_size / (float)out_size;
    if (align_corners && out_size > 1)
        scale = (float)(in_size - 1) / (float)(out_size - 1);
    float v = half_pixel ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    if (v < 0.0f)
        v = 0.0f;
    int a = (int)floorf(v);
    int b = (int)ceilf(v);
    if (a > in_size - 1)
        a = in_size - 1;
    if (b > in_size - 1)
        b = in_size - 1;
    *lo = a;
    *hi = b;
    *frac = v - (float)a;
}

/* The tables of RESIZE_BILINEAR op i into p, for C channels (the op's
 * own, or a 1x1 convolution's moved before it, see plan_swaps). */
static int resize_tables(struct bd_ref *r, int i, struct ref_prep *p, int C)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *to = &g->tensors[op->output];
    const int H = ti->dims[1], W = ti->dims[2];
    const int OH = to->dims[1], OW = to->dims[2];
    const int ac = op->p.resize.align_corners, hp = op->p.resize.half_pixel_centers;
    p->rx0 = ref_alloc(r, (size_t)OW * sizeof(size_t));
    p->rx1 = ref_alloc(r, (size_t)OW * sizeof(size_t));
    p->rwx = ref_alloc(r, (size_t)OW * sizeof(float));
    p->ry0 = ref_alloc(r, (size_t)OH * sizeof(int));
    p->ry1 = ref_alloc(r, (size_t)OH * sizeof(int));
    p->rwy = ref_alloc(r, (size_t)OH * sizeof(float));
    if (!p->rx0 || !p->rx1 || !p->rwx || !p->ry0 || !p->ry1 || !p->rwy)
        return BD_ERR_NOMEM;
    for (int x = 0; x < OW; x++) {
        int a, b;
        resize_axis(OW, W, ac, hp, x, &a, &b, &p->rwx[x]);
        p->rx0[x] = (size_t)a * (size_t)C;
        p->rx1[x] = (size_t)b * (size_t)C;
    }
    for (int y = 0; y < OH; y++)
        resize_axis(OH, H, ac, hp, y, &p->ry0[y], &p->ry1[y], &p->rwy[y]);
    return BD_OK;
}

static int prep_resize(struct bd_ref *r, int i, struct needs *nd)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *to = &g->tensors[op->output];
    if (ti->ndim != 4 || to->ndim != 4 || ti->dims[0] != to->dims[0] ||
        ti->dims[3] != to->dims[3])
        return unsupported(i, op, "input and output must be 4-D NHWC of equal N, C");
    const int C = ti->dims[3], OW = to->dims[2];
    if (nd->rowbuf < 2 * (size_t)OW * (size_t)C)
        nd->rowbuf = 2 * (size_t)OW * (size_t)C;
    return resize_tables(r, i, &r->prep[i], C);
}

static int check_4d(int i, const struct bd_graph *g, const struct bd_op *op)
{
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *to = &g->tensors[op->output];
    if (ti->ndim != 4 || to->ndim != 4 || ti->dims[0] != to->dims[0] ||
        ti->dims[3] != to->dims[3])
        return unsupported(i, op, "input and output must be 4-D NHWC of equal N, C");
    return BD_OK;
}

static int prep_op(struct bd_ref *r, int i, struct needs *nd)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    if (op->num_inputs < 1 || op->inputs[0] < 0 || op->output < 0)
        return unsupported(i, op, "missing input or output");
    switch (op->type) {
    case BD_OP_CONV2D: return prep_conv(r, i, nd);
    case BD_OP_DWCONV2D: return prep_dw(r, i, nd);
    case BD_OP_TRANSPOSE_CONV: return prep_tconv(r, i, nd);
    case BD_OP_FULLY_CONNECTED: return prep_fc(r, i, nd);
    case BD_OP_RESIZE_BILINEAR: return prep_resize(r, i, nd);
    case BD_OP_ADD:
    case BD_OP_SUB:
    case BD_OP_MUL:
    case BD_OP_PRELU:
    case BD_OP_DIV:
    case BD_OP_MINIMUM:
    case BD_OP_MAXIMUM:
        if (op->num_inputs < 2 || op->inputs[1] < 0)
            return unsupported(i, op, "missing second input");
        if (g->tensors[op->inputs[0]].ndim > 4 || g->tensors[op->inputs[1]].ndim > 4 ||
            g->tensors[op->output].ndim > 4)
            return unsupported(i, op, "more than 4 dimensions");
        return BD_OK;
    case BD_OP_AVG_POOL:
    case BD_OP_MAX_POOL:
        if (op->p.pool.stride_h < 1 || op->p.pool.stride_w < 1 ||
            op->p.pool.filter_h < 1 || op->p.pool.filter_w < 1)
            return unsupported(i, op, "filter and stride must be >= 1");
        return check_4d(i, g, op);
    case BD_OP_MEAN: {
        const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
        const struct bd_tensor *to = &g->tensors[op->output];
        if (ti->ndim != 4 || to->count != (size_t)ti->dims[0] * (size_t)ti->dims[3])
            return unsupported(i, op, "only the mean over H and W of NHWC is supported");
        return BD_OK;
    }
    case BD_OP_CONCAT:
        if (op->p.concat.axis < 0 || op->p.concat.axis >= g->tensors[op->output].ndim)
            return unsupported(i, op, "bad axis");
        return BD_OK;
    case BD_OP_PAD:
        if (g->tensors[op->inputs[0]].ndim != g->tensors[op->output].ndim)
            return unsupported(i, op, "input and output ranks differ");
        return BD_OK;
    case BD_OP_SLICE: {
        const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
        const struct bd_tensor *to = &g->tensors[op->output];
        if (ti->ndim != to->ndim)
            return unsupported(i, op, "input and output ranks differ");
        for (int d = 0; d < to->ndim; d++)
            if (op->p.slice.begin[d] < 0 || op->p.slice.begin[d] + to->dims[d] > ti->dims[d])
                return unsupported(i, op, "the box leaves the input");
        return BD_OK;
    }
    case BD_OP_MEAN_C: {
        const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
        const struct bd_tensor *to = &g->tensors[op->output];
        if (ti->ndim != to->ndim || to->dims[to->ndim - 1] != 1 ||
            to->count * (size_t)ti->dims[ti->ndim - 1] != ti->count)
            return unsupported(i, op, "only the mean over the last axis, kept, is supported");
        return BD_OK;
    }
    case BD_OP_SOFTMAX:
    case BD_OP_RESHAPE:
    case BD_OP_HARD_SWISH:
    case BD_OP_RELU:
    case BD_OP_RELU6:
    case BD_OP_LOGISTIC:
    case BD_OP_TANH:
    case BD_OP_LEAKY_RELU:
        if (g->tensors[op->inputs[0]].count != g->tensors[op->output].count)
            return unsupported(i, op, "input and output sizes differ");
        return BD_OK;
    case BD_OP_COUNT:
        break;
    }
    return unsupported(i, op, "op type not supported by the ref backend");
}

/* ------------------------------------------------------------------------ */
/* Plan                                                                      */

static struct ref_epi op_epi(const struct bd_op *op)
{
    enum bd_act act = BD_ACT_NONE;
    switch (op->type) {
    case BD_OP_CONV2D:
    case BD_OP_DWCONV2D:
    case BD_OP_TRANSPOSE_CONV:
        act = op->p.conv.act;
        break;
    case BD_OP_FULLY_CONNECTED:
    case BD_OP_ADD:
    case BD_OP_SUB:
    case BD_OP_MUL:
        act = op->p.binary.act;
        break;
    case BD_OP_AVG_POOL:
    case BD_OP_MAX_POOL:
        act = op->p.pool.act;
        break;
    case BD_OP_CONCAT:
        act = op->p.concat.act;
        break;
    default:
        break;
    }
    struct ref_epi e = {0.0f, 0.0f, 0, NULL, -INFINITY, INFINITY, 0};
    bd_act_range(act, &e.lo, &e.hi);
    return e;
}

static int epi_capable(enum bd_op_type t)
{
    switch (t) {
    case BD_OP_CONV2D:
    case BD_OP_DWCONV2D:
    case BD_OP_TRANSPOSE_CONV:
    case BD_OP_FULLY_CONNECTED:
    case BD_OP_ADD:
    case BD_OP_SUB:
    case BD_OP_MUL:
    case BD_OP_AVG_POOL:
    case BD_OP_MAX_POOL:
    case BD_OP_CONCAT:
        return 1;
    default:
        return 0;
    }
}

static int overlaps(const struct bd_ref *r, int a, int b)
{
    const char *pa = (const char *)r->t[a], *pb = (const char *)r->t[b];
    if (!pa || !pb)
        return 0;
    const size_t na = bd_tensor_bytes(&r->g->tensors[a]);
    const size_t nb = bd_tensor_bytes(&r->g->tensors[b]);
    return (uintptr_t)pa < (uintptr_t)pb + nb && (uintptr_t)pb < (uintptr_t)pa + na;
}

/* Is tensor t read by op j only (and not a graph output)? */
static int only_used_by(const struct bd_graph *g, int t, int j)
{
    if (g->tensors[t].last_use != j)
        return 0;
    for (int k = 0; k < g->num_outputs && k < 4; k++)
        if (g->outputs[k] == t)
            return 0;
    return 1;
}

static int same_shape(const struct bd_tensor *a, const struct bd_tensor *b)
{
    if (a->count != b->count)
        return 0;
    int da[4], db[4];
    for (int i = 0; i < 4; i++) {
        da[i] = i < 4 - a->ndim ? 1 : a->dims[i - (4 - a->ndim)];
        db[i] = i < 4 - b->ndim ? 1 : b->dims[i - (4 - b->ndim)];
        if (da[i] != db[i])
            return 0;
    }
    return 1;
}

/*
 * Folds the ops that follow op i into its epilogue while they only consume
 * the value being built: first activations (RELU, RELU6, HARD_SWISH), then
 * at most one same-shape ADD with another tensor (a residual connection),
 * then RELU/RELU6 after that ADD; a LOGISTIC ends the chain, and only
 * after the one TRANSPOSE_CONV kernel that applies it. The chain's intermediate tensors are
 * never written; the step writes the last fused op's output. Returns the
 * index of the last op folded in (i when none).
 */
static int fuse_chain(const struct bd_ref *r, int i, struct ref_step *s)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[i];
    if (!epi_capable(op->type))
        return i;
    int cur = op->output, j = i + 1;
    for (; j < g->num_ops; j++) {
        const struct bd_op *nx = &g->ops[j];
        if (!only_used_by(g, cur, j) || nx->num_inputs < 1)
            break;
        struct ref_epi e = s->epi;
        if (e.sigmoid)
            break;
        if (nx->type == BD_OP_LOGISTIC) {
            /* only where the kernel applies it (tconv_c4's one-block path) */
            const struct ref_prep *p = &r->prep[i];
            if (nx->inputs[0] != cur || op->type != BD_OP_TRANSPOSE_CONV || !p->c4 ||
                !p->tc_direct || p->c4_ncol > 4)
                break;
            e.sigmoid = 1;
        } else if (nx->type == BD_OP_RELU || nx->type == BD_OP_RELU6 ||
            nx->type == BD_OP_HARD_SWISH) {
            if (nx->inputs[0] != cur)
                break;
            const int six = nx->type == BD_OP_RELU6;
            if (e.add) {
                if (nx->type == BD_OP_HARD_SWISH)
                    break;
                e.lo2 = e.lo2 > 0.0f ? e.lo2 : 0.0f;
                if (six && e.hi2 > 6.0f)
                    e.hi2 = 6.0f;
            } else if (e.hswish) {
                break; /* no clamp after the hard-swish without an add */
            } else if (nx->type == BD_OP_HARD_SWISH) {
                e.hswish = 1; /* hswish(clamp(x, lo, hi)) */
            } else {
                /* relu(clamp(x, lo, hi)) == clamp(x, max(lo, 0), hi), hi >= 0 */
                e.lo = e.lo > 0.0f ? e.lo : 0.0f;
                if (six && e.hi > 6.0f)
                    e.hi = 6.0f;
            }
        } else if (nx->type == BD_OP_ADD && !e.add && nx->num_inputs == 2 &&
                   nx->inputs[0] >= 0 && nx->inputs[1] >= 0 &&
                   (nx->inputs[0] == cur) != (nx->inputs[1] == cur)) {
            const int other = nx->inputs[0] == cur ? nx->inputs[1] : nx->inputs[0];
            const float *po = r->t[other] ? r->t[other] : (const float *)g->tensors[other].data;
            if (!po || !same_shape(&g->tensors[other], &g->tensors[cur]) ||
                g->tensors[other].dtype != BD_DT_F32 || overlaps(r, other, nx->output))
                break;
            e.add = po;
            bd_act_range(nx->p.binary.act, &e.lo2, &e.hi2);
        } else {
            break;
        }
        /* Writing this op's output early must not clobber what op i still
         * reads, except that an elementwise op may write over an input of
         * the output's own shape exactly (it reads each element before it
         * writes it; the binary kernels have in-place variants). */
        int bad = 0;
        for (int k = 0; k < op->num_inputs; k++) {
            const int in = op->inputs[k];
            if (in < 0 || !overlaps(r, in, nx->output))
                continue;
            int inplace_ok =
                (op->type == BD_OP_ADD || op->type == BD_OP_SUB || op->type == BD_OP_MUL) &&
                r->t[in] == r->t[nx->output] && same_shape(&g->tensors[in], &g->tensors[cur]);
            for (int q = 0; q < op->num_inputs; q++)
                if (q != k && op->inputs[q] >= 0 && r->t[op->inputs[q]] == r->t[in])
                    inplace_ok = 0; /* x * x: keep the kernels' restrict contract */
            if (!inplace_ok)
                bad = 1;
        }
        if (bad)
            break;
        s->epi = e;
        s->out = nx->output;
        cur = nx->output;
    }
    return j - 1;
}

static int build_plan(struct bd_ref *r)
{
    const struct bd_graph *g = r->g;
    r->steps = ref_alloc(r, (size_t)(g->num_ops > 0 ? g->num_ops : 1) * sizeof *r->steps);
    if (!r->steps)
        return BD_ERR_NOMEM;
    int n = 0;
    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        struct ref_step s = {i, op->output, op_epi(op), i, NULL, NULL, NULL};
        i = fuse_chain(r, i, &s);
        s.last = i;
        r->steps[n++] = s;
    }
    r->nsteps = n;
    return BD_OK;
}

/* ------------------------------------------------------------------------ */
/* Depth-first bands                                                         */

#define BAND_BUDGET_DEFAULT 24576 /* floats: 96 KiB, within L2 beside the streams */
static long band_budget = BAND_BUDGET_DEFAULT;

void bd_ref_band_budget(long floats)
{
    band_budget = floats == 0 ? BAND_BUDGET_DEFAULT : floats;
}

/* A 1x1, stride-1, unpadded CONV2D on the GEMM kernels: one row of pixels
 * in, the same row out. */
static int is_pointwise(const struct bd_ref *r, int op_index)
{
    const struct bd_op *op = &r->g->ops[op_index];
    if (op->type != BD_OP_CONV2D || r->prep[op_index].c4)
        return 0;
    const struct bd_conv_params *cp = &op->p.conv;
    const struct bd_tensor *ti = &r->g->tensors[op->inputs[0]];
    const struct bd_tensor *to = &r->g->tensors[op->output];
    return cp->kernel_h == 1 && cp->kernel_w == 1 && cp->stride_h == 1 && cp->stride_w == 1 &&
           cp->pad_top == 0 && cp->pad_left == 0 && ti->dims[1] == to->dims[1] &&
           ti->dims[2] == to->dims[2];
}

/* Tensor t is read by no op after `last` and is not a graph output. */
static int dead_after(const struct bd_graph *g, int t, int last)
{
    for (int k = 0; k < g->num_outputs && k < 4; k++)
        if (g->outputs[k] == t)
            return 0;
    return g->tensors[t].last_use <= last;
}

/* Can steps[k], steps[k + 1] (and steps[k + 2]) run as one band? Fills b
 * (without buffers) and returns the number of steps it takes: 0, 2 or 3. */
static int band_fits(const struct bd_ref *r, int k, struct ref_band *b)
{
    const struct bd_graph *g = r->g;
    if (k + 1 >= r->nsteps)
        return 0;
    const struct ref_step *sa = &r->steps[k], *sb = &r->steps[k + 1];
    if (!is_pointwise(r, sa->op) || sa->epi.add || g->ops[sb->op].type != BD_OP_DWCONV2D)
        return 0;
    const struct bd_op *dw = &g->ops[sb->op];
    const int mid = sa->out;
    const struct bd_tensor *tm = &g->tensors[mid], *td = &g->tensors[sb->out];
    const struct bd_conv_params *cp = &dw->p.conv;
    if (dw->inputs[0] != mid || tm->dims[0] != 1 || tm->dims[3] != td->dims[3] ||
        cp->depth_multiplier != 1 || !dead_after(g, mid, sb->last))
        return 0;
    /* the expand output may only be read by the depthwise, through its taps
     * or as its residual addend (c + dw(c)), then only where the addend's
     * row is among the rows the taps hold */
    b->dw_add_mid = sb->epi.add == r->t[mid];
    for (int j = sa->last + 1; j <= sb->last; j++)
        for (int q = 0; q < g->ops[j].num_inputs; q++)
            if (g->ops[j].inputs[q] == mid && j != sb->op && !b->dw_add_mid)
                return 0;
    if (b->dw_add_mid && (cp->stride_h != 1 || tm->dims[1] != td->dims[1] || cp->pad_top < 0 ||
                          cp->pad_top > (cp->kernel_h - 1) * cp->dilation_h))
        return 0;
    const float *x = r->t[g->ops[sa->op].inputs[0]];
    b->dw_op = sb->op;
    b->dw_epi = sb->epi;
    b->pw_op = -1;
    b->post_op = -1;
    int n = 2, out = sb->out;
    if (k + 2 < r->nsteps) {
        const struct ref_step *sc = &r->steps[k + 2];
        if (is_pointwise(r, sc->op) && g->ops[sc->op].inputs[0] == sb->out &&
            dead_after(g, sb->out, sc->op) &&
            (!sc->epi.add || sc->epi.add != r->t[sb->out])) {
            b->pw_op = sc->op;
            b->pw_epi = sc->epi;
            out = sc->out;
            n = 3;
        } else if (g->ops[sc->op].type == BD_OP_TRANSPOSE_CONV && g->ops[sc->op].inputs[0] == sb->out &&
                   r->prep[sc->op].c4 && r->prep[sc->op].tc_direct && r->prep[sc->op].c4_ncol <= 4 &&
                   dead_after(g, sb->out, sc->op) && g->tensors[sc->out].dims[0] == 1 &&
                   (!sc->epi.add || sc->epi.add != r->t[sb->out])) {
            b->post_op = sc->op;
            b->post_epi = sc->epi;
            out = sc->out;
            n = 3;
        }
    }
    /* the output is written band by band while the input (and the
     * depthwise's addend) are still read */
    if (x && overlaps(r, g->ops[sa->op].inputs[0], out))
        return 0;
    if (sb->epi.add && !b->dw_add_mid)
        for (int j = sb->op; j <= sb->last; j++)
            for (int q = 0; q < g->ops[j].num_inputs; q++) {
                const int t = g->ops[j].inputs[q];
                if (t >= 0 && r->t[t] == sb->epi.add && overlaps(r, t, out))
                    return 0;
            }
    return n;
}

/* The epilogue does nothing. */
static int epi_identity(const struct ref_epi *e)
{
    return e->lo == -INFINITY && e->hi == INFINITY && !e->hswish && !e->add && !e->sigmoid;
}

/*
 * FMA variants only (the baseline keeps TFLite's order): a RESIZE_BILINEAR
 * whose output only feeds a 1x1 convolution with nothing fused after it
 * becomes the convolution at the small size, then the resize of its
 * output (struct ref_swap). Both are linear and each resized value is a
 * weighted sum with weights adding up to 1, so the bias passes through;
 * the selfie decoders upsample 16 to 128 channels and then project them to
 * 24, so both get cheaper by the area ratio, 4.
 */
static int plan_swaps(struct bd_ref *r)
{
    if (!bd_ref_isa_fma(bd_ref_isa()) || band_budget < 0)
        return BD_OK;
    const struct bd_graph *g = r->g;
    int n = 0;
    for (int k = 0; k < r->nsteps; k++) {
        struct ref_step s = r->steps[k];
        const struct ref_step *sc = k + 1 < r->nsteps ? &r->steps[k + 1] : NULL;
        const struct bd_op *rs = &g->ops[s.op];
        if (sc && rs->type == BD_OP_RESIZE_BILINEAR && !s.band && !s.swap && s.last == s.op &&
            !sc->band && sc->last == sc->op && is_pointwise(r, sc->op) &&
            g->ops[sc->op].inputs[0] == s.out && epi_identity(&sc->epi) &&
            dead_after(g, s.out, sc->op) && g->tensors[rs->inputs[0]].dims[0] == 1) {
            const struct bd_tensor *ti = &g->tensors[rs->inputs[0]];
            const struct bd_tensor *to = &g->tensors[sc->out];
            const int Co = to->dims[3];
            struct ref_swap *w = ref_alloc(r, sizeof *w);
            if (!w)
                return BD_ERR_NOMEM;
            w->resize_op = s.op;
            w->mid = ref_alloc(r, ((size_t)ti->dims[1] * ti->dims[2] * Co + 16) * sizeof(float));
            w->rowbuf = ref_alloc(r, (2 * (size_t)to->dims[2] * Co + 16) * sizeof(float));
            if (!w->mid || !w->rowbuf || resize_tables(r, s.op, &w->rp, Co) != BD_OK)
                return BD_ERR_NOMEM;
            s = *sc;
            s.swap = w;
            k++;
        }
        r->steps[n++] = s;
    }
    r->nsteps = n;
    return BD_OK;
}

/* A global average pool (or MEAN over H, W) of one batch. */
static int is_global_avg(const struct bd_graph *g, int op_index)
{
    const struct bd_op *op = &g->ops[op_index];
    const struct bd_tensor *ti = &g->tensors[op->inputs[0]];
    const struct bd_tensor *to = &g->tensors[op->output];
    if (ti->ndim != 4 || ti->dims[0] != 1 || to->count != (size_t)ti->dims[3])
        return 0;
    if (op->type == BD_OP_MEAN)
        return 1;
    const struct bd_pool_params *pp = &op->p.pool;
    return op->type == BD_OP_AVG_POOL && pp->pad_top <= 0 && pp->pad_left <= 0 &&
           pp->filter_h - pp->pad_top >= ti->dims[1] && pp->filter_w - pp->pad_left >= ti->dims[2];
}

/* Merges an elementwise ADD, SUB or MUL of same-shape tensors (with its
 * fused activations, no residual add) into the global average pool that
 * alone reads its output (struct ref_pool); the selfie decoders pool the
 * sum of the skip connection and the upsampled features that way. */
static int plan_pools(struct bd_ref *r)
{
    if (band_budget < 0)
        return BD_OK;
    const struct bd_graph *g = r->g;
    int n = 0;
    for (int k = 0; k < r->nsteps; k++) {
        struct ref_step s = r->steps[k];
        const struct ref_step *sp = k + 1 < r->nsteps ? &r->steps[k + 1] : NULL;
        const struct bd_op *op = &g->ops[s.op];
        if (sp && !s.band && !s.swap && !s.pool && !s.epi.add && !s.epi.sigmoid &&
            (op->type == BD_OP_ADD || op->type == BD_OP_SUB || op->type == BD_OP_MUL) &&
            g->tensors[op->inputs[0]].count == g->tensors[s.out].count &&
            g->tensors[op->inputs[1]].count == g->tensors[s.out].count &&
            sp->last == sp->op && is_global_avg(g, sp->op) &&
            g->ops[sp->op].inputs[0] == s.out && dead_after(g, s.out, sp->op)) {
            const int C = g->tensors[s.out].dims[3];
            struct ref_pool *pl = ref_alloc(r, sizeof *pl);
            if (!pl)
                return BD_ERR_NOMEM;
            pl->pool_op = sp->op;
            pl->pool_epi = sp->epi;
            pl->chunk_px = 7 * (2048 / (7 * C) > 0 ? 2048 / (7 * C) : 1);
            pl->buf = ref_alloc(r, ((size_t)pl->chunk_px * C + 16) * sizeof(float));
            pl->acc = ref_alloc(r, ((size_t)C + 16) * sizeof(float));
            if (!pl->buf || !pl->acc)
                return BD_ERR_NOMEM;
            s.pool = pl;
            s.out = sp->out;
            s.last = sp->last;
            k++;
        }
        r->steps[n++] = s;
    }
    r->nsteps = n;
    return BD_OK;
}

/* Can step sp, an elementwise op, be computed row by row inside the band
 * whose expand is op `expand` (struct ref_band's pre_op)? */
static int pre_fits(const struct bd_ref *r, const struct ref_step *sp, int expand, int out)
{
    const struct bd_graph *g = r->g;
    const struct bd_op *op = &g->ops[sp->op];
    if (sp->band || sp->swap || sp->pool || sp->epi.sigmoid || sp->last != expand - 1 ||
        (op->type != BD_OP_ADD && op->type != BD_OP_SUB && op->type != BD_OP_MUL) ||
        g->ops[expand].inputs[0] != sp->out || !dead_after(g, sp->out, expand))
        return 0;
    const struct bd_tensor *to = &g->tensors[sp->out];
    const struct bd_tensor *ta = &g->tensors[op->inputs[0]];
    const struct bd_tensor *tb = &g->tensors[op->inputs[1]];
    if (to->ndim != 4 || ta->count != to->count || !r->t[op->inputs[0]] ||
        (tb->count != to->count && tb->count != (size_t)to->dims[3]))
        return 0;
    if (tb->count != to->count) { /* a vector: [C] or [1, 1, 1, C] */
        const int nd = tb->ndim;
        if (tb->dims[nd - 1] != to->dims[3])
            return 0;
    }
    /* the band writes its output while these are still read */
    for (int j = sp->op; j <= sp->last; j++)
        for (int q = 0; q < g->ops[j].num_inputs; q++) {
            const int t = g->ops[j].inputs[q];
            const int p = t >= 0 ? g->tensors[t].producer : -1;
            if (t >= 0 && !(p >= sp->op && p <= sp->last) && r->t[t] && overlaps(r, t, out))
                return 0;
        }
    return 1;
}

/* Merges chains of steps into bands (struct ref_band), sizing each band's
 * rows so that its buffers hold about band_budget floats. */
static int plan_bands(struct bd_ref *r)
{
    if (band_budget < 0)
        return BD_OK;
    const struct bd_graph *g = r->g;
    int n = 0;
    for (int k = 0; k < r->nsteps; k++) {
        struct ref_band b;
        memset(&b, 0, sizeof b);
        const int take = band_fits(r, k, &b);
        struct ref_step s = r->steps[k];
        b.pre_op = -1;
        if (take) {
            const struct bd_op *dw = &g->ops[b.dw_op];
            const struct bd_conv_params *cp = &dw->p.conv;
            const struct bd_tensor *tm = &g->tensors[dw->inputs[0]];
            const struct bd_tensor *td = &g->tensors[dw->output];
            const long midrow = (long)tm->dims[2] * tm->dims[3];
            const long dwrow = b.pw_op >= 0 ? (long)td->dims[2] * td->dims[3] : 0;
            const long halo = (long)(cp->kernel_h - 1) * cp->dilation_h + 1;
            /* rows: (rows - 1) * stride + halo expand rows, rows dw rows */
            long rows = (band_budget - (halo - cp->stride_h) * midrow) /
                        (cp->stride_h * midrow + dwrow);
            if (rows < 1)
                rows = 1;
            if (rows > td->dims[1])
                rows = td->dims[1];
            b.rows = (int)rows;
            b.mid_rows = (int)((rows - 1) * cp->stride_h + halo);
            if (b.mid_rows > tm->dims[1])
                b.mid_rows = tm->dims[1];
            struct ref_band *bp = ref_alloc(r, sizeof *bp);
            if (!bp)
                return BD_ERR_NOMEM;
            *bp = b;
            bp->mid = ref_alloc(r, ((size_t)b.mid_rows * (size_t)midrow + 16) * sizeof(float));
            if (!bp->mid)
                return BD_ERR_NOMEM;
            if (b.pw_op >= 0 || b.post_op >= 0) {
                const size_t dwr = (size_t)td->dims[2] * td->dims[3];
                bp->dwo = ref_alloc(r, ((size_t)rows * dwr + 16) * sizeof(float));
                if (!bp->dwo)
                    return BD_ERR_NOMEM;
            }
            /* the elementwise step before, if it only feeds the expand */
            if (n > 0 && pre_fits(r, &r->steps[n - 1], s.op, r->steps[k + take - 1].out)) {
                const struct ref_step *sp = &r->steps[n - 1];
                const struct bd_op *pop = &g->ops[sp->op];
                const struct bd_tensor *tx = &g->tensors[pop->output];
                const int C = tx->dims[3];
                bp->pre_op = sp->op;
                bp->pre_epi = sp->epi;
                bp->tile_px = 256 / C > 0 ? 256 / C : 1;
                bp->xbuf = ref_alloc(r, ((size_t)b.mid_rows * tx->dims[2] * C + 16) * sizeof(float));
                bp->tile = ref_alloc(r, ((size_t)bp->tile_px * C + 16) * sizeof(float));
                if (!bp->xbuf || !bp->tile)
                    return BD_ERR_NOMEM;
                n--;
            }
            s.band = bp;
            s.last = r->steps[k + take - 1].last;
            s.out = r->steps[k + take - 1].out;
            k += take - 1;
        }
        r->steps[n++] = s;
    }
    r->nsteps = n;
    return BD_OK;
}

/* ------------------------------------------------------------------------ */
/* Interface                                                                 */

int bd_ref_create(const struct bd_graph *g, float *const *tensors,
                  struct bd_ref **out)
{
    if (!g || !tensors || !out)
        return bd_fail(BD_ERR_INVALID_ARG, "ref: NULL argument");
    *out = NULL;
    struct bd_ref *r = calloc(1, sizeof *r);
    if (!r)
        return bd_fail(BD_ERR_NOMEM, "ref: out of memory");
    r->g = g;
    r->t = tensors;
    r->simd = simd_on;

    /* GEMM blocks of at most two vector registers per row (wider ones do
     * not stay in registers, see ref_kernels.c): 32 output channels with
     * AVX-512, 16 with AVX2, 8 with 128-bit vectors. */
    const char *isa = bd_ref_isa();
    r->ftz = bd_ref_isa_fma(isa);
    if (strcmp(isa, "avx512") == 0) {
        r->exec = bd_ref_exec_avx512;
        r->max_nr = 32;
    } else if (strcmp(isa, "avx2") == 0) {
        r->exec = bd_ref_exec_avx2;
        r->max_nr = 16;
    } else {
        r->exec = bd_ref_exec_base;
        r->max_nr = 8;
#if defined(__wasm_simd128__)
        if (simd_on)
            r->tw = &bd_ref_twins_simd128;
#endif
    }

    int st = BD_OK;
    struct needs nd = {0, 0, 0, 0};
    r->prep = ref_alloc(r, (size_t)(g->num_ops > 0 ? g->num_ops : 1) * sizeof *r->prep);
    if (!r->prep) {
        st = BD_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        if (op->output < 0 || op->output >= g->num_tensors || !tensors[op->output]) {
            st = unsupported(i, op, "output tensor has no memory");
            goto fail;
        }
        for (int k = 0; k < op->num_inputs; k++) {
            const int t = op->inputs[k];
            if (t >= 0 && !tensors[t] && !g->tensors[t].data &&
                g->tensors[t].dtype == BD_DT_F32) {
                st = unsupported(i, op, "input tensor has no memory");
                goto fail;
            }
        }
        st = prep_op(r, i, &nd);
        if (st)
            goto fail;
    }
    r->nzeros = nd.zeros + 64;
    r->zeros = ref_alloc(r, r->nzeros * sizeof(float));
    r->nptrs = nd.ptrs + REF_MR_MAX;
    r->ptrs = ref_alloc(r, r->nptrs * sizeof(*r->ptrs));
    r->ntmp = nd.tmp + 64;
    r->tmp = ref_alloc(r, r->ntmp * sizeof(float));
    r->nrowbuf = nd.rowbuf + 64;
    r->rowbuf = ref_alloc(r, r->nrowbuf * sizeof(float));
    if (!r->zeros || !r->ptrs || !r->tmp || !r->rowbuf) {
        st = BD_ERR_NOMEM;
        goto fail;
    }
    st = build_plan(r);
    if (st == BD_OK)
        st = plan_bands(r);
    if (st == BD_OK)
        st = plan_swaps(r);
    if (st == BD_OK)
        st = plan_pools(r);
    if (st)
        goto fail;
    *out = r;
    return BD_OK;

fail:
    if (st == BD_ERR_NOMEM)
        bd_fail(BD_ERR_NOMEM, "ref: out of memory");
    bd_ref_destroy(r);
    return st;
}

/*
 * The FMA variants run with denormals flushed to zero (MXCSR FTZ and DAZ,
 * the caller's MXCSR restored before returning). Their results already
 * differ from TFLite's by the roundings FMA skips; flushing changes only
 * values below FLT_MIN (1.2e-38). Without it the LOGISTIC polynomial, on
 * the selfie models' confident logits (|x| from about 80), makes denormal
 * intermediates whose microcode assists cost up to 5x its normal time
 * (bench_engine.md). The baseline variant keeps TFLite-WASM's denormals.
 */
static unsigned ref_fpu_enter(const struct bd_ref *r)
{
#ifdef REF_MXCSR_FTZ_DAZ
    if (r->ftz) {
        const unsigned csr = _mm_getcsr();
        _mm_setcsr(csr | REF_MXCSR_FTZ_DAZ);
        return csr;
    }
#endif
    (void)r;
    return 0;
}

static void ref_fpu_leave(const struct bd_ref *r, unsigned csr)
{
#ifdef REF_MXCSR_FTZ_DAZ
    if (r->ftz)
        _mm_setcsr(csr);
#endif
    (void)r;
    (void)csr;
}

int bd_ref_run(struct bd_ref *r)
{
    if (!r)
        return bd_fail(BD_ERR_INVALID_ARG, "ref: NULL engine");
    const unsigned csr = ref_fpu_enter(r);
    int st = BD_OK;
    for (int s = 0; s < r->nsteps && st == BD_OK; s++)
        st = r->exec(r, &r->steps[s]);
    ref_fpu_leave(r, csr);
    return st;
}

int bd_ref_run_op(struct bd_ref *r, int op_index)
{
    if (!r || op_index < 0 || op_index >= r->g->num_ops)
        return bd_fail(BD_ERR_INVALID_ARG, "ref: bad op index %d", op_index);
    const struct bd_op *op = &r->g->ops[op_index];
    struct ref_step s = {op_index, op->output, op_epi(op), op_index, NULL, NULL, NULL};
    const unsigned csr = ref_fpu_enter(r);
    const int st = r->exec(r, &s);
    ref_fpu_leave(r, csr);
    return st;
}
