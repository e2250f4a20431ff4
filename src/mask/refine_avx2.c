/* SPDX-License-Identifier: GPL-3.0-or-later */
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
    if (r >= 3) {
        /* prefix sums, then out[x] = S[x + 2r + 1] - S[x]: three loads per
         * 8 outputs instead of 2r + 1, a third of them split across cache
         * lines. Exact: the window sums fit 31 bits, and the wrap of a
         * prefix (two's complement, defined for vector lanes) cancels in
         * the difference. S lives in the scratch after the padded row
         * (bd_refine_box_scratch). */
        int32_t *S = pad + w + 2 * r + 8; /* after the padded row, in scratch */
        const int n = w + 2 * r;
        S[0] = 0;
        __m256i carry = _mm256_setzero_si256();
        const __m256i seven = _mm256_set1_epi32(7);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256i v = loadi(pad + i);
            v = _mm256_add_epi32(v, _mm256_slli_si256(v, 4));
            v = _mm256_add_epi32(v, _mm256_slli_si256(v, 8));
            const __m256i t = _mm256_shuffle_epi32(v, 0xFF);
            v = _mm256_add_epi32(v, _mm256_permute2x128_si256(t, t, 0x08));
            /* the carry chain is one add per vector: the vector's own total
             * is broadcast from its local prefix, off the chain */
            storei(S + 1 + i, _mm256_add_epi32(v, carry));
            carry = _mm256_add_epi32(carry, _mm256_permutevar8x32_epi32(v, seven));
        }
        int32_t acc = S[i];
        for (; i < n; i++) {
            acc += pad[i];
            S[1 + i] = acc;
        }
        const int d = 2 * r + 1;
        int x = 0;
        for (; x + 8 <= w; x += 8)
            storei(out + x, _mm256_sub_epi32(loadi(S + x + d), loadi(S + x)));
        for (; x < w; x++)
            out[x] = S[x + d] - S[x];
        return;
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

/* 8 int32 lanes (0..255) → 8 bytes at d. */
static AVX2 inline void store8_u8(uint8_t *d, __m256i v)
{
    __m128i w16 = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)(void *)d, _mm_packus_epi16(w16, w16));
}

/* 8 int32 lanes (|v| <= 32767) → 8 int16 at d. */
static AVX2 inline void store8_i16(int16_t *d, __m256i v)
{
    _mm_storeu_si128((__m128i *)(void *)d,
                     _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

static AVX2 inline __m256i fix16r(__m256 v)
{
    v = _mm256_max_ps(v, _mm256_set1_ps(-32767.f));
    v = _mm256_min_ps(v, _mm256_set1_ps(32767.f));
    return _mm256_cvtps_epi32(v);
}

/* Bounds of the mixed-guide term of q4 for one channel (cell_class). */
static AVX2 inline void cls_term(__m256i a, __m256i *up, __m256i *dn, __m256i *big)
{
    const __m256i c255 = _mm256_set1_epi32(255), lim = _mm256_set1_epi32(16383);
    __m256i u = _mm256_max_epi32(_mm256_mullo_epi32(a, _mm256_set1_epi32(127)),
                                 _mm256_mullo_epi32(a, _mm256_set1_epi32(-128)));
    __m256i d = _mm256_max_epi32(_mm256_mullo_epi32(a, _mm256_set1_epi32(128)),
                                 _mm256_mullo_epi32(a, _mm256_set1_epi32(-127)));
    *up = _mm256_add_epi32(*up, _mm256_srai_epi32(_mm256_add_epi32(u, c255), 8));
    *dn = _mm256_add_epi32(*dn, _mm256_srai_epi32(_mm256_add_epi32(d, c255), 8));
    *big = _mm256_or_si256(*big, _mm256_cmpgt_epi32(_mm256_abs_epi32(a), lim));
}

static AVX2 void fix16_avx2(const int32_t *const S[4], size_t n, int na, float ia, float ib,
                            int thr0, int thr1, int16_t *const q[4], uint8_t *cls)
{
    const __m256 via = _mm256_set1_ps(ia), vib = _mm256_set1_ps(ib), two = _mm256_set1_ps(2.f);
    const __m256i t0 = _mm256_set1_epi32(thr0), t1 = _mm256_set1_epi32(thr1 - 1);
    const __m256i mg = _mm256_set1_epi32(BD_CLS_MARGIN), lim = _mm256_set1_epi32(16383);
    const __m256i one = _mm256_set1_epi32(1), full = _mm256_set1_epi32(255);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 s0 = cvt(S[0] + i), sb = s0;
        __m256i a0 = fix16r(MUL(s0, via)), up = _mm256_setzero_si256(), dn = up, big = up;
        store8_i16(q[0] + i, a0);
        cls_term(a0, &up, &dn, &big);
        if (na == 3) {
            __m256 s1 = cvt(S[1] + i), s2 = cvt(S[2] + i);
            __m256i a1 = fix16r(MUL(s1, via)), a2 = fix16r(MUL(s2, via));
            store8_i16(q[1] + i, a1);
            store8_i16(q[2] + i, a2);
            cls_term(a1, &up, &dn, &big);
            cls_term(a2, &up, &dn, &big);
            sb = ADD(ADD(s0, s1), s2);
        }
        __m256i b = fix16r(MUL(ADD(cvt(S[3] + i), MUL(sb, two)), vib));
        store8_i16(q[3] + i, b);
        big = _mm256_or_si256(big, _mm256_cmpgt_epi32(_mm256_abs_epi32(b), lim));
        __m256i qmax = _mm256_add_epi32(_mm256_add_epi32(b, up), mg);
        __m256i qmin = _mm256_sub_epi32(_mm256_sub_epi32(b, dn), mg);
        __m256i not0 = _mm256_cmpgt_epi32(qmax, t0);   /* not qmax <= thr0 */
        __m256i is255 = _mm256_cmpgt_epi32(qmin, t1);  /* qmin >= thr1 */
        __m256i v = _mm256_blendv_epi8(one, full, is255);
        v = _mm256_blendv_epi8(v, one, big);
        v = _mm256_and_si256(v, _mm256_or_si256(not0, big));
        store8_u8(cls + i, v);
    }
    if (i < n) {
        const int32_t *const S2[4] = {S[0] + i, S[1] + i, S[2] + i, S[3] + i};
        int16_t *const q2[4] = {q[0] + i, q[1] + i, q[2] + i, q[3] + i};
        bd_refine_fix16_c(S2, n - i, na, ia, ib, thr0, thr1, q2, cls + i);
    }
}

/* The horizontal geometry for 16 outputs: output j of each 128-bit lane
 * mixes 16-bit elements li[j] and ri[j] of that lane; the high lane's
 * elements start 8/k cells after the low lane's (refine.h). */
struct geom16 {
    __m256i shl, shr, w;
    int off;             /* 8 / k */
    __m128i span;        /* 0xFF over the cells 16 outputs read */
    __m256i span16;      /* 0xFFFF over those cells (16-bit rows) */
};

static AVX2 inline void geom_load(const struct bd_refine_geom *g, struct geom16 *g16)
{
    g16->off = 8 / g->k;
    g16->shl = _mm256_loadu_si256((const __m256i *)(const void *)g->sl);
    g16->shr = _mm256_loadu_si256((const __m256i *)(const void *)g->sr);
    g16->w = _mm256_loadu_si256((const __m256i *)(const void *)g->w16);
    g16->span = _mm_loadu_si128((const __m128i *)(const void *)g->span8);
    g16->span16 = _mm256_loadu_si256((const __m256i *)(const void *)g->span16);
}

static AVX2 inline __m256i hmix16(const int16_t *v, int base, const struct geom16 *g)
{
    __m256i p = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(v + base))),
        _mm_loadu_si128((const __m128i *)(const void *)(v + base + g->off)), 1);
    __m256i l = _mm256_shuffle_epi8(p, g->shl), r = _mm256_shuffle_epi8(p, g->shr);
    return _mm256_add_epi16(l, _mm256_mulhrs_epi16(_mm256_subs_epi16(r, l), g->w));
}

/* (G - 128) * 128 for 16 guide bytes */
static AVX2 inline __m256i guide16(__m128i g8)
{
    return _mm256_sub_epi16(_mm256_slli_epi16(_mm256_cvtepu8_epi16(g8), 7),
                            _mm256_set1_epi16(16384));
}

static AVX2 inline __m128i load16(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* The row's constants and pointers in locals (the byte stores could alias
 * the row struct otherwise, and every field would be reloaded). */
struct row16 {
    __m256i lo4, hi4, r4, ks, db7, rc; /* hi4 = lo4 + r4 */
    __m128i sh;
    const int16_t *a0, *a1, *a2, *b, *r;
    const uint8_t *cls, *y, *u, *v, *prev, *yp;
    uint8_t *state, *dst, *ys;
    __m128i ythr;
    __m256i rstill;
    int db, rconst, lk, off, n, na;
    int keep;          /* |c7 - 128 prev| up to this leaves prev (skip_block) */
    int top_exact;     /* coverage 1 (q4 >= lo4 + r4) is exactly 255 * 128 */
    int last_b, last_c7;
    const struct bd_refine_row *row;
};

static AVX2 inline void row_load(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                                 struct row16 *c)
{
    c->lo4 = _mm256_set1_epi16((int16_t)row->lo4);
    c->r4 = _mm256_set1_epi16((int16_t)row->r4);
    c->hi4 = _mm256_set1_epi16((int16_t)(row->lo4 + row->r4));
    c->ks = _mm256_set1_epi16((int16_t)(uint16_t)row->ks);
    c->db7 = _mm256_set1_epi16((int16_t)row->db7);
    c->rc = _mm256_set1_epi16((int16_t)(row->r_const >= 0 ? row->r_const : 0));
    c->sh = _mm_cvtsi32_si128(row->sh);
    c->a0 = row->a[0];
    c->a1 = row->a[1];
    c->a2 = row->a[2];
    c->b = row->b;
    c->r = row->r;
    c->cls = row->cls;
    c->y = row->y;
    c->u = row->u;
    c->v = row->v;
    c->prev = row->prev;
    c->yp = row->yp;
    c->ys = row->ys;
    c->ythr = _mm_set1_epi8((char)(row->ythr < 0 ? 0 : row->ythr > 255 ? 255 : row->ythr));
    c->rstill = _mm256_set1_epi16((int16_t)row->rstill);
    c->state = row->state;
    c->dst = row->dst;
    c->db = row->db7 > 0;
    c->rconst = row->r_const >= 0;
    c->lk = g->k == 1 ? 0 : g->k == 2 ? 1 : g->k == 4 ? 2 : 3;
    c->off = g->k > 1;
    c->n = row->n;
    c->na = 1;
    c->keep = row->db7 > 63 ? row->db7 : 63;
    c->top_exact = bd_refine_c7(row, row->lo4 + row->r4) == 255 * 128;
    c->last_b = -100000;
    c->last_c7 = 0;
    c->row = row;
}

/* The retention of pixels whose luma did not move, and the luma saved
 * (the C twin's pixel_still). */
static AVX2 inline __m256i pixel_still16(const struct row16 *cv, __m256i rt, __m128i y8, int x)
{
    if (cv->yp) {
        __m128i p8 = load16(cv->yp + x);
        __m128i d = _mm_or_si128(_mm_subs_epu8(y8, p8), _mm_subs_epu8(p8, y8));
        __m128i still = _mm_cmpeq_epi8(_mm_min_epu8(d, cv->ythr), d);
        rt = _mm256_blendv_epi8(rt, _mm256_max_epi16(rt, cv->rstill), _mm256_cvtepi8_epi16(still));
    }
    if (cv->ys)
        _mm_storeu_si128((__m128i *)(void *)(cv->ys + x), y8);
    return rt;
}

static AVX2 inline void save_y(const struct row16 *cv, int x)
{
    if (cv->ys)
        _mm_storeu_si128((__m128i *)(void *)(cv->ys + x), load16(cv->y + x));
}

/* Coverage, temporal mix, rounding and the two stores for 16 pixels (the
 * C twin's finish, refine.c). */
static AVX2 inline void finish16(const struct row16 *cv, __m256i q, __m256i rt, int x,
                                 __m128i pv)
{
    __m256i d = _mm256_subs_epi16(q, cv->lo4);
    d = _mm256_max_epi16(d, _mm256_setzero_si256());
    d = _mm256_min_epi16(d, cv->r4);
    __m256i s = _mm256_mulhi_epu16(_mm256_sll_epi16(d, cv->sh), cv->ks);
    __m256i s2 = _mm256_mulhrs_epi16(s, s);
    __m256i ss = _mm256_mulhrs_epi16(
        s2, _mm256_sub_epi16(_mm256_set1_epi16(24576), _mm256_srli_epi16(s, 1)));
    __m256i c7 = _mm256_sub_epi16(_mm256_slli_epi16(ss, 2), _mm256_srli_epi16(ss, 6));
    __m256i p7 = _mm256_slli_epi16(_mm256_cvtepu8_epi16(pv), 7);
    __m256i diff = _mm256_sub_epi16(p7, c7);
    __m256i o = _mm256_add_epi16(c7, _mm256_mulhrs_epi16(diff, rt));
    if (cv->db) {
        __m256i move = _mm256_cmpgt_epi16(_mm256_abs_epi16(diff), cv->db7);
        o = _mm256_blendv_epi8(p7, o, move);
    }
    o = _mm256_srli_epi16(_mm256_add_epi16(o, _mm256_set1_epi16(64)), 7);
    __m128i b8 = _mm_packus_epi16(_mm256_castsi256_si128(o), _mm256_extracti128_si256(o, 1));
    _mm_storeu_si128((__m128i *)(void *)(cv->state + x), b8);
    _mm_storeu_si128((__m128i *)(void *)(cv->dst + x), b8);
}

/* Blocks whose output is provably prev (prev one value p over the 16
 * pixels, pv): written without the arithmetic; returns 1.
 *  - saturated: p is 0 (255) and every cell the 16 outputs read has class
 *    0 (255) (refine.h, bd_refine_row.cls);
 *  - flat: a is 0 and b one value over those cells, so q4 = b for every
 *    pixel (mixes of equal values are that value; mulhrs(0, G) = 0) and c7
 *    is one number; with |c7 - 128 p| <= max(db7, 63) the output is p: the
 *    deadband keeps it, or o7 lies strictly within 64 of 128 p and rounds
 *    to p. */
static AVX2 inline __attribute__((always_inline)) int skip_block(struct row16 *cv,
                                                                 const struct geom16 *g,
                                                                 int base, int x, __m128i pv)
{
    const int p0 = _mm_cvtsi128_si32(pv) & 255;
    int ok = 0;
    if (p0 == 0 || p0 == 255) {
        __m128i c = load16(cv->cls + base);
        ok = p0 == 0 ? _mm_testz_si128(c, g->span) : _mm_testc_si128(c, g->span);
    }
    if (!ok) {
        const __m256i sp = g->span16;
        if (!_mm256_testz_si256(_mm256_loadu_si256((const __m256i *)(const void *)(cv->a0 + base)), sp))
            return 0;
        if (cv->na == 3 &&
            (!_mm256_testz_si256(_mm256_loadu_si256((const __m256i *)(const void *)(cv->a1 + base)), sp) ||
             !_mm256_testz_si256(_mm256_loadu_si256((const __m256i *)(const void *)(cv->a2 + base)), sp)))
            return 0;
        const int b0 = cv->b[base];
        __m256i bv = _mm256_loadu_si256((const __m256i *)(const void *)(cv->b + base));
        if (!_mm256_testc_si256(_mm256_cmpeq_epi16(bv, _mm256_set1_epi16((int16_t)b0)), sp))
            return 0;
        if (b0 != cv->last_b) {
            cv->last_b = b0;
            cv->last_c7 = bd_refine_c7(cv->row, b0);
        }
        const int dc = cv->last_c7 - 128 * p0;
        if (dc > cv->keep || dc < -cv->keep)
            return 0;
    }
    _mm_storeu_si128((__m128i *)(void *)(cv->dst + x), pv);
    if (cv->state != cv->prev)
        _mm_storeu_si128((__m128i *)(void *)(cv->state + x), pv);
    return 1;
}

/* 64 pixels at once where the 16-pixel saturated case (skip_block) holds
 * over all of them: prev 0 (255) across the 64 and every cell they read of
 * class 0 (255). Most of a frame is such runs, background or the person's
 * inside; one test instead of four. k = 8 only: the 64 outputs then read
 * 10 cells, within the 16 bytes the per-16 path loads from cls + base. */
static AVX2 inline __attribute__((always_inline)) int skip64(struct row16 *cv, int x)
{
    const __m256i p0 = _mm256_loadu_si256((const __m256i *)(const void *)(cv->prev + x));
    const __m256i p1 = _mm256_loadu_si256((const __m256i *)(const void *)(cv->prev + x + 32));
    const int v = cv->prev[x];
    if (v != 0 && v != 255)
        return 0;
    const __m256i pv = _mm256_set1_epi8((char)v);
    if ((unsigned)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(p0, pv),
                                                        _mm256_cmpeq_epi8(p1, pv))) != 0xFFFFFFFFu)
        return 0;
    const __m128i span = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0);
    const __m128i c = load16(cv->cls + (x >> 3) - 1);
    if (!(v == 0 ? _mm_testz_si128(c, span) : _mm_testc_si128(c, span)))
        return 0;
    _mm256_storeu_si256((__m256i *)(void *)(cv->dst + x), pv);
    _mm256_storeu_si256((__m256i *)(void *)(cv->dst + x + 32), pv);
    if (cv->state != cv->prev) {
        _mm256_storeu_si256((__m256i *)(void *)(cv->state + x), pv);
        _mm256_storeu_si256((__m256i *)(void *)(cv->state + x + 32), pv);
    }
    if (cv->ys)
        memcpy(cv->ys + x, cv->y + x, 64);
    return 1;
}

/* Where prev is 0 (255) over the 16 pixels and q puts every one of them
 * at coverage 0 (1), the output is prev whatever the retention: c7 = p7
 * (d = 0 gives c7 = 0; d = r4 gives 32640, checked per row: top_exact),
 * so the mix and the deadband both give p7. Blocks next to an edge, whose
 * cells the class test cannot clear for every guide value, mostly end
 * here; finish16 and the stillness test are then skipped. */
static AVX2 inline int settled16(const struct row16 *cv, __m256i q, int x, __m128i pv, int uni)
{
    if (!uni)
        return 0;
    const int p0 = _mm_cvtsi128_si32(pv) & 255;
    if (p0 == 0) {
        if (_mm256_movemask_epi8(_mm256_cmpgt_epi16(q, cv->lo4)))
            return 0;
    } else if (p0 == 255 && cv->top_exact) {
        if (_mm256_movemask_epi8(_mm256_cmpgt_epi16(cv->hi4, q)))
            return 0;
    } else {
        return 0;
    }
    _mm_storeu_si128((__m128i *)(void *)(cv->dst + x), pv);
    if (cv->state != cv->prev)
        _mm_storeu_si128((__m128i *)(void *)(cv->state + x), pv);
    save_y(cv, x);
    return 1;
}

/* prev is one value over the 16 pixels */
static AVX2 inline int prev_uniform(__m128i pv)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(pv, _mm_shuffle_epi8(pv, _mm_setzero_si128()))) ==
           0xFFFF;
}

static AVX2 void apply_y_avx2(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    struct geom16 g16;
    geom_load(g, &g16);
    struct row16 cv;
    row_load(row, g, &cv);
    int x = 0;
    const int run = cv.cls && g->k == 8;
    for (; x + 16 <= cv.n; x += 16) {
        if (run && x + 64 <= cv.n && skip64(&cv, x)) {
            x += 48;
            continue;
        }
        const int base = (x >> cv.lk) - cv.off;
        const __m128i pv = load16(cv.prev + x);
        const int uni = prev_uniform(pv);
        if (cv.cls && uni && skip_block(&cv, &g16, base, x, pv)) {
            save_y(&cv, x);
            continue;
        }
        __m256i a = hmix16(cv.a0, base, &g16), b = hmix16(cv.b, base, &g16);
        const __m128i y8 = load16(cv.y + x);
        __m256i q = _mm256_adds_epi16(b, _mm256_mulhrs_epi16(a, guide16(y8)));
        if (settled16(&cv, q, x, pv, uni))
            continue;
        __m256i rt = cv.rconst ? cv.rc : hmix16(cv.r, base, &g16);
        rt = pixel_still16(&cv, rt, y8, x);
        finish16(&cv, q, rt, x, pv);
    }
    if (x < cv.n)
        bd_refine_apply_y_c(row, g, x);
}

/* 16 chroma values for 16 outputs: 8 bytes at c, each twice */
static AVX2 inline __m256i chroma16(const uint8_t *c)
{
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)c);
    return guide16(_mm_unpacklo_epi8(v, v));
}

static AVX2 void apply_yuv_avx2(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    struct geom16 g16;
    geom_load(g, &g16);
    struct row16 cv;
    row_load(row, g, &cv);
    cv.na = 3;
    int x = 0;
    const int run = cv.cls && g->k == 8;
    for (; x + 16 <= cv.n; x += 16) {
        if (run && x + 64 <= cv.n && skip64(&cv, x)) {
            x += 48;
            continue;
        }
        const int base = (x >> cv.lk) - cv.off;
        const __m128i pv = load16(cv.prev + x);
        const int uni = prev_uniform(pv);
        if (cv.cls && uni && skip_block(&cv, &g16, base, x, pv)) {
            save_y(&cv, x);
            continue;
        }
        __m256i a0 = hmix16(cv.a0, base, &g16), a1 = hmix16(cv.a1, base, &g16);
        __m256i a2 = hmix16(cv.a2, base, &g16), b = hmix16(cv.b, base, &g16);
        const __m128i y8 = load16(cv.y + x);
        __m256i q = _mm256_adds_epi16(b, _mm256_mulhrs_epi16(a0, guide16(y8)));
        q = _mm256_adds_epi16(q, _mm256_mulhrs_epi16(a1, chroma16(cv.u + x / 2)));
        q = _mm256_adds_epi16(q, _mm256_mulhrs_epi16(a2, chroma16(cv.v + x / 2)));
        if (settled16(&cv, q, x, pv, uni))
            continue;
        __m256i rt = cv.rconst ? cv.rc : hmix16(cv.r, base, &g16);
        rt = pixel_still16(&cv, rt, y8, x);
        finish16(&cv, q, rt, x, pv);
    }
    if (x < cv.n)
        bd_refine_apply_yuv_c(row, g, x);
}

static AVX2 void vmix_avx2(const int16_t *p0, const int16_t *p1, int wy15, int16_t *out, int w)
{
    const __m256i vw = _mm256_set1_epi16((int16_t)wy15);
    int x = 0;
    for (; x + 16 <= w; x += 16) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p0 + x));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p1 + x));
        _mm256_storeu_si256((__m256i *)(void *)(out + x),
                            _mm256_add_epi16(a, _mm256_mulhrs_epi16(_mm256_subs_epi16(b, a), vw)));
    }
    if (x < w)
        bd_refine_vmix_c(p0 + x, p1 + x, wy15, out + x, w - x);
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

const struct bd_refine_kernels bd_refine_kernels_avx2 = {
    .name = "avx2",
    .box_u8 = box_u8_avx2,
    .box_i32 = box_i32_avx2,
    .coef_y = coef_y_avx2,
    .coef_yuv = coef_yuv_avx2,
    .fix16 = fix16_avx2,
    .vmix = vmix_avx2,
    .motion_row = motion_row_avx2,
    .apply_y = apply_y_avx2,
    .apply_yuv = apply_yuv_avx2,
};

#endif
