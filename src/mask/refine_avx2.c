/*
 * AVX2 twins of the refinement kernels (refine.h). Integer box sums are
 * exact whatever the order; the float kernels do the C twins' operations in
 * the same order, lane by lane, without FMA (target "avx2" only), so every
 * kernel gives the C twin's bytes; tests/test_refine.c checks it on random
 * data. Compiled with the rest of the library (no -mavx2): each function
 * carries target("avx2") and is reached only through the table, which
 * bd_refine_kernels_for hands out when the CPU has AVX2. Row tails shorter
 * than a vector go to the C twins.
 */
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

#include "mask/refine.h"

#define AVX2 __attribute__((target("avx2")))

static inline int clampi(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static AVX2 inline __m256i load8_u8(const uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
}

static AVX2 inline __m256i loadi(const int32_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static AVX2 inline void storei(int32_t *p, __m256i v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v);
}

/* Window sums along the row: cs = pad + r holds w column sums; the r
 * samples on each side are replicated here, then out[x] = sum of pad[x ..
 * x + 2r]. */
static AVX2 void hsum_row_avx2(int32_t *pad, int w, int r, int32_t *out)
{
    int32_t *cs = pad + r;
    for (int i = 1; i <= r; i++) {
        cs[-i] = cs[0];
        cs[w - 1 + i] = cs[w - 1];
    }
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256i s = loadi(pad + x);
        for (int i = 1; i <= 2 * r; i++)
            s = _mm256_add_epi32(s, loadi(pad + x + i));
        storei(out + x, s);
    }
    for (; x < w; x++) {
        int32_t s = 0;
        for (int i = 0; i <= 2 * r; i++)
            s += pad[x + i];
        out[x] = s;
    }
}

static AVX2 inline __m256i val8(const uint8_t *a, const uint8_t *b)
{
    __m256i va = load8_u8(a);
    return b ? _mm256_mullo_epi32(va, load8_u8(b)) : va;
}

static AVX2 void box_u8_avx2(const uint8_t *a, const uint8_t *b, int stride, int w, int h,
                             int r, int32_t *dst, int dst_stride, int32_t *scratch)
{
    int32_t *pad = scratch, *cs = scratch + r;
    memset(cs, 0, (size_t)w * sizeof *cs);
    for (int i = -r; i <= r; i++) {
        size_t o = (size_t)clampi(i, 0, h - 1) * (size_t)stride;
        const uint8_t *ra = a + o, *rb = b ? b + o : NULL;
        int x = 0;
        for (; x + 8 <= w; x += 8)
            storei(cs + x, _mm256_add_epi32(loadi(cs + x), val8(ra + x, rb ? rb + x : NULL)));
        for (; x < w; x++)
            cs[x] += rb ? (int32_t)ra[x] * rb[x] : ra[x];
    }
    for (int y = 0; y < h; y++) {
        hsum_row_avx2(pad, w, r, dst + (size_t)y * (size_t)dst_stride);
        size_t oa = (size_t)clampi(y + r + 1, 0, h - 1) * (size_t)stride;
        size_t os = (size_t)clampi(y - r, 0, h - 1) * (size_t)stride;
        const uint8_t *aa = a + oa, *as = a + os;
        const uint8_t *ba = b ? b + oa : NULL, *bs = b ? b + os : NULL;
        int x = 0;
        for (; x + 8 <= w; x += 8) {
            __m256i d = _mm256_sub_epi32(val8(aa + x, ba ? ba + x : NULL),
                                         val8(as + x, bs ? bs + x : NULL));
            storei(cs + x, _mm256_add_epi32(loadi(cs + x), d));
        }
        for (; x < w; x++)
            cs[x] += (ba ? (int32_t)aa[x] * ba[x] : aa[x]) - (bs ? (int32_t)as[x] * bs[x] : as[x]);
    }
}

static AVX2 void box_i32_avx2(const int32_t *src, int stride, int w, int h, int r,
                              int32_t *dst, int dst_stride, int32_t *scratch)
{
    int32_t *pad = scratch, *cs = scratch + r;
    memset(cs, 0, (size_t)w * sizeof *cs);
    for (int i = -r; i <= r; i++) {
        const int32_t *row = src + (size_t)clampi(i, 0, h - 1) * (size_t)stride;
        int x = 0;
        for (; x + 8 <= w; x += 8)
            storei(cs + x, _mm256_add_epi32(loadi(cs + x), loadi(row + x)));
        for (; x < w; x++)
            cs[x] += row[x];
    }
    for (int y = 0; y < h; y++) {
        hsum_row_avx2(pad, w, r, dst + (size_t)y * (size_t)dst_stride);
        const int32_t *ad = src + (size_t)clampi(y + r + 1, 0, h - 1) * (size_t)stride;
        const int32_t *sb = src + (size_t)clampi(y - r, 0, h - 1) * (size_t)stride;
        int x = 0;
        for (; x + 8 <= w; x += 8)
            storei(cs + x, _mm256_add_epi32(loadi(cs + x),
                                            _mm256_sub_epi32(loadi(ad + x), loadi(sb + x))));
        for (; x < w; x++)
            cs[x] += ad[x] - sb[x];
    }
}

static AVX2 inline __m256 cvt(const int32_t *p)
{
    return _mm256_cvtepi32_ps(loadi(p));
}

static AVX2 inline __m256i fix8(__m256 v, float scale)
{
    const __m256 c = _mm256_set1_ps((float)BD_GF_CLAMP), nc = _mm256_set1_ps(-(float)BD_GF_CLAMP);
    v = _mm256_mul_ps(v, _mm256_set1_ps(scale));
    v = _mm256_max_ps(v, nc);
    v = _mm256_min_ps(v, c);
    return _mm256_cvtps_epi32(v);
}

#define MUL _mm256_mul_ps
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps

static AVX2 void coef_y_avx2(const int32_t *si, const int32_t *sp, const int32_t *sii,
                             const int32_t *sip, size_t n, float inv_n, float eps, int32_t *a,
                             int32_t *b)
{
    const __m256 vn = _mm256_set1_ps(inv_n), ve = _mm256_set1_ps(eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 mi = MUL(cvt(si + i), vn), mp = MUL(cvt(sp + i), vn);
        __m256 var = SUB(MUL(cvt(sii + i), vn), MUL(mi, mi));
        __m256 cov = SUB(MUL(cvt(sip + i), vn), MUL(mi, mp));
        __m256 av = _mm256_div_ps(cov, ADD(var, ve));
        __m256 bv = SUB(mp, MUL(av, mi));
        storei(a + i, fix8(av, BD_GF_A_SCALE));
        storei(b + i, fix8(bv, BD_GF_B_SCALE));
    }
    if (i < n)
        bd_refine_coef_y_c(si + i, sp + i, sii + i, sip + i, n - i, inv_n, eps, a + i, b + i);
}

static AVX2 void coef_yuv_avx2(const int32_t *const s[13], size_t n, float inv_n, float eps,
                               int32_t *const a[3], int32_t *b)
{
    const __m256 vn = _mm256_set1_ps(inv_n), ve = _mm256_set1_ps(eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 my = MUL(cvt(s[0] + i), vn), mu = MUL(cvt(s[1] + i), vn);
        __m256 mv = MUL(cvt(s[2] + i), vn), mp = MUL(cvt(s[3] + i), vn);
        __m256 yy = ADD(SUB(MUL(cvt(s[4] + i), vn), MUL(my, my)), ve);
        __m256 yu = SUB(MUL(cvt(s[5] + i), vn), MUL(my, mu));
        __m256 yv = SUB(MUL(cvt(s[6] + i), vn), MUL(my, mv));
        __m256 uu = ADD(SUB(MUL(cvt(s[7] + i), vn), MUL(mu, mu)), ve);
        __m256 uv = SUB(MUL(cvt(s[8] + i), vn), MUL(mu, mv));
        __m256 vv = ADD(SUB(MUL(cvt(s[9] + i), vn), MUL(mv, mv)), ve);
        __m256 cy = SUB(MUL(cvt(s[10] + i), vn), MUL(my, mp));
        __m256 cu = SUB(MUL(cvt(s[11] + i), vn), MUL(mu, mp));
        __m256 cv = SUB(MUL(cvt(s[12] + i), vn), MUL(mv, mp));
        __m256 c00 = SUB(MUL(uu, vv), MUL(uv, uv)), c01 = SUB(MUL(yv, uv), MUL(yu, vv));
        __m256 c02 = SUB(MUL(yu, uv), MUL(yv, uu));
        __m256 c11 = SUB(MUL(yy, vv), MUL(yv, yv)), c12 = SUB(MUL(yu, yv), MUL(yy, uv));
        __m256 c22 = SUB(MUL(yy, uu), MUL(yu, yu));
        __m256 det = ADD(ADD(MUL(yy, c00), MUL(yu, c01)), MUL(yv, c02));
        __m256 id = _mm256_div_ps(_mm256_set1_ps(1.f), det);
        __m256 ay = MUL(ADD(ADD(MUL(c00, cy), MUL(c01, cu)), MUL(c02, cv)), id);
        __m256 au = MUL(ADD(ADD(MUL(c01, cy), MUL(c11, cu)), MUL(c12, cv)), id);
        __m256 av = MUL(ADD(ADD(MUL(c02, cy), MUL(c12, cu)), MUL(c22, cv)), id);
        __m256 bv = SUB(SUB(SUB(mp, MUL(ay, my)), MUL(au, mu)), MUL(av, mv));
        storei(a[0] + i, fix8(ay, BD_GF_A_SCALE));
        storei(a[1] + i, fix8(au, BD_GF_A_SCALE));
        storei(a[2] + i, fix8(av, BD_GF_A_SCALE));
        storei(b + i, fix8(bv, BD_GF_B_SCALE));
    }
    if (i < n) {
        const int32_t *s2[13];
        for (int c = 0; c < 13; c++)
            s2[c] = s[c] + i;
        int32_t *const a2[3] = {a[0] + i, a[1] + i, a[2] + i};
        bd_refine_coef_yuv_c(s2, n - i, inv_n, eps, a2, b + i);
    }
}

struct geom8 {
    __m256i li, ri;
    __m256 w;
};

static AVX2 inline __m256 hmix8(const float *v, int base, const struct geom8 *g)
{
    __m256 p = _mm256_loadu_ps(v + base);
    __m256 l = _mm256_permutevar8x32_ps(p, g->li), r = _mm256_permutevar8x32_ps(p, g->ri);
    return ADD(l, MUL(SUB(r, l), g->w));
}

/* Coverage, temporal mix, rounding and the two stores for 8 pixels. */
static AVX2 inline void finish8(const struct bd_refine_row *row, __m256 q, __m256 t, int x)
{
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f);
    __m256 s = MUL(SUB(q, _mm256_set1_ps(row->lo)), _mm256_set1_ps(row->inv));
    s = _mm256_max_ps(s, zero);
    s = _mm256_min_ps(s, one);
    __m256 c = MUL(MUL(MUL(s, s), SUB(_mm256_set1_ps(3.f), MUL(_mm256_set1_ps(2.f), s))),
                   _mm256_set1_ps(255.f));
    __m256 pv = _mm256_cvtepi32_ps(load8_u8(row->prev + x));
    __m256 o = ADD(pv, MUL(SUB(c, pv), t));
    __m256i oi = _mm256_cvtps_epi32(o);
    __m128i w16 = _mm_packus_epi32(_mm256_castsi256_si128(oi), _mm256_extracti128_si256(oi, 1));
    __m128i b8 = _mm_packus_epi16(w16, w16);
    _mm_storel_epi64((__m128i *)(void *)(row->state + x), b8);
    _mm_storel_epi64((__m128i *)(void *)(row->dst + x), b8);
}

static AVX2 inline void geom_load(const struct bd_refine_geom *g, struct geom8 *g8)
{
    g8->li = _mm256_loadu_si256((const __m256i *)(const void *)g->li);
    g8->ri = _mm256_loadu_si256((const __m256i *)(const void *)g->ri);
    g8->w = _mm256_loadu_ps(g->w);
}

/* Where the block's cells are all of one saturated class and prev holds
 * that value already, the output is that value (see refine.h): writes dst
 * and returns 1. */
static inline int uniform_block(const struct bd_refine_row *row, int base, int x, uint64_t span)
{
    uint64_t c, pv;
    memcpy(&c, row->cls + base, 8);
    c &= span;
    if (c != 0 && c != span)
        return 0;
    memcpy(&pv, row->prev + x, 8);
    if (pv != (c ? ~(uint64_t)0 : 0))
        return 0;
    memcpy(row->dst + x, &pv, 8);
    return 1;
}

static uint64_t span_mask(const struct bd_refine_geom *g)
{
    int n = g->ri[7] + 1;
    return n >= 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * n)) - 1);
}

static AVX2 void apply_y_avx2(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    struct geom8 g8;
    geom_load(g, &g8);
    const int k = g->k, off = k > 1;
    const uint64_t span = span_mask(g);
    int x = 0;
    for (; x + 8 <= row->n; x += 8) {
        const int base = x / k - off;
        if (row->cls && uniform_block(row, base, x, span))
            continue;
        __m256 a = hmix8(row->a[0], base, &g8), b = hmix8(row->b, base, &g8);
        __m256 t = hmix8(row->t, base, &g8);
        __m256 y = _mm256_cvtepi32_ps(load8_u8(row->y + x));
        finish8(row, ADD(MUL(a, y), b), t, x);
    }
    if (x < row->n)
        bd_refine_apply_y_c(row, g, x);
}

static AVX2 inline __m256 chroma8(const uint8_t *c)
{
    int32_t v;
    memcpy(&v, c, 4);
    __m256i w = _mm256_cvtepu8_epi32(_mm_cvtsi32_si128(v));
    w = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
    return _mm256_cvtepi32_ps(w);
}

static AVX2 void apply_yuv_avx2(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    struct geom8 g8;
    geom_load(g, &g8);
    const int k = g->k, off = k > 1;
    const uint64_t span = span_mask(g);
    int x = 0;
    for (; x + 8 <= row->n; x += 8) {
        const int base = x / k - off;
        if (row->cls && uniform_block(row, base, x, span))
            continue;
        __m256 a0 = hmix8(row->a[0], base, &g8), a1 = hmix8(row->a[1], base, &g8);
        __m256 a2 = hmix8(row->a[2], base, &g8), b = hmix8(row->b, base, &g8);
        __m256 t = hmix8(row->t, base, &g8);
        __m256 y = _mm256_cvtepi32_ps(load8_u8(row->y + x));
        __m256 u = chroma8(row->u + x / 2), v = chroma8(row->v + x / 2);
        __m256 q = ADD(ADD(ADD(MUL(a0, y), MUL(a1, u)), MUL(a2, v)), b);
        finish8(row, q, t, x);
    }
    if (x < row->n)
        bd_refine_apply_yuv_c(row, g, x);
}

static AVX2 void vmix_avx2(const float *p0, const float *p1, float wy, float *out, int w)
{
    const __m256 vw = _mm256_set1_ps(wy);
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 a = _mm256_loadu_ps(p0 + x), b = _mm256_loadu_ps(p1 + x);
        _mm256_storeu_ps(out + x, ADD(a, MUL(SUB(b, a), vw)));
    }
    if (x < w)
        bd_refine_vmix_c(p0 + x, p1 + x, wy, out + x, w - x);
}

/* 8 int32 lanes (0..255) → 8 bytes at d. */
static AVX2 inline void store8_u8(uint8_t *d, __m256i v)
{
    __m128i w16 = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)(void *)d, _mm_packus_epi16(w16, w16));
}

static AVX2 void classify_avx2(const float *const a[3], const float *b, size_t n, int na,
                               float lo, float hi, uint8_t *cls)
{
    const __m256 zero = _mm256_setzero_ps(), c255 = _mm256_set1_ps(255.f);
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256i one = _mm256_set1_epi32(1), full = _mm256_set1_epi32(255);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 qmax = _mm256_loadu_ps(b + i), qmin = qmax;
        for (int c = 0; c < na; c++) {
            __m256 d = MUL(_mm256_loadu_ps(a[c] + i), c255);
            qmax = ADD(qmax, _mm256_max_ps(d, zero));
            qmin = ADD(qmin, _mm256_min_ps(d, zero));
        }
        __m256i below = _mm256_castps_si256(_mm256_cmp_ps(qmax, vlo, _CMP_LT_OQ));
        __m256i above = _mm256_castps_si256(_mm256_cmp_ps(qmin, vhi, _CMP_GT_OQ));
        __m256i v = _mm256_blendv_epi8(one, full, above);
        v = _mm256_andnot_si256(below, v);
        store8_u8(cls + i, v);
    }
    if (i < n) {
        const float *const a2[3] = {a[0] + i, a[1] + i, a[2] + i};
        bd_refine_classify_c(a2, b + i, n - i, na, lo, hi, cls + i);
    }
}

static AVX2 inline __m256i load32u8(const uint8_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static AVX2 void motion_row_avx2(const uint8_t *const a[3], const uint8_t *const b[3],
                                 uint8_t *out, int w)
{
    int x = 0;
    for (; x + 32 <= w; x += 32) {
        __m256i m = _mm256_setzero_si256();
        for (int i = 0; i < 3; i++) {
            __m256i va = load32u8(a[i] + x), vb = load32u8(b[i] + x);
            __m256i d = _mm256_or_si256(_mm256_subs_epu8(va, vb), _mm256_subs_epu8(vb, va));
            m = _mm256_max_epu8(m, d);
        }
        _mm256_storeu_si256((__m256i *)(void *)(out + x), m);
    }
    if (x < w) {
        const uint8_t *const a2[3] = {a[0] + x, a[1] + x, a[2] + x};
        const uint8_t *const b2[3] = {b[0] + x, b[1] + x, b[2] + x};
        bd_refine_motion_row_c(a2, b2, out + x, w - x);
    }
}

static AVX2 void tweight_row_avx2(const uint8_t *m, const uint8_t *p, const uint8_t *pp,
                                  float *t, int w)
{
    const __m256 m0 = _mm256_set1_ps(BD_MOT0), ms = _mm256_set1_ps(BD_MOT_SLOPE);
    const __m256 j0 = _mm256_set1_ps(BD_JUMP), js = _mm256_set1_ps(BD_JUMP_SLOPE);
    const __m256 tmin = _mm256_set1_ps(BD_T_MIN), one = _mm256_set1_ps(1.f);
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256i mm = _mm256_max_epi32(_mm256_max_epi32(load8_u8(m + x - 1), load8_u8(m + x)),
                                      load8_u8(m + x + 1));
        __m256 tm = MUL(SUB(_mm256_cvtepi32_ps(mm), m0), ms);
        __m256i dp = _mm256_abs_epi32(_mm256_sub_epi32(load8_u8(p + x), load8_u8(pp + x)));
        __m256 tj = MUL(SUB(_mm256_cvtepi32_ps(dp), j0), js);
        __m256 v = _mm256_max_ps(tm, tj);
        v = _mm256_max_ps(v, tmin);
        _mm256_storeu_ps(t + x, _mm256_min_ps(v, one));
    }
    if (x < w)
        bd_refine_tweight_row_c(m + x, p + x, pp + x, t + x, w - x);
}

const struct bd_refine_kernels bd_refine_kernels_avx2 = {
    .name = "avx2",
    .box_u8 = box_u8_avx2,
    .box_i32 = box_i32_avx2,
    .coef_y = coef_y_avx2,
    .coef_yuv = coef_yuv_avx2,
    .vmix = vmix_avx2,
    .classify = classify_avx2,
    .motion_row = motion_row_avx2,
    .tweight_row = tweight_row_avx2,
    .apply_y = apply_y_avx2,
    .apply_yuv = apply_yuv_avx2,
};

#endif
