/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * AVX2 versions of the compositor's inner loops (composite_kernels.h). Each
 * gives exactly the bytes of its C twin in composite.c: same integer
 * formulas, same rounding; the tests compare them on random data. Compiled
 * with the rest of the library (no -mavx2): each function carries
 * target("avx2") and is only reached through the table, which
 * bd_composite_kernels_for hands out when the CPU has AVX2.
 *
 * Row tails shorter than a vector go to the C twin rather than to masked
 * or overlapping stores: blend may run in place (dst = fg), where redoing
 * an overlapped pixel would blend it twice.
 */
#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

#include <libyuv/rotate.h>

#include "composite/composite_kernels.h"

#define AVX2 __attribute__((target("avx2")))

static AVX2 inline __m256i load32(const uint8_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static AVX2 inline void store32(uint8_t *p, __m256i v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v);
}

/* The blend formula on 32 pixels in 16-bit lanes. unpacklo/hi work within
 * 128-bit lanes and packus undoes exactly that interleave, so no
 * cross-lane permute is needed. */
static AVX2 inline __m256i blend32(__m256i vf, __m256i vb, __m256i vm)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i c255 = _mm256_set1_epi16(255), c128 = _mm256_set1_epi16(128);
    const __m256i mlo = _mm256_unpacklo_epi8(vm, zero), mhi = _mm256_unpackhi_epi8(vm, zero);
    __m256i tlo = _mm256_add_epi16(
        _mm256_add_epi16(_mm256_mullo_epi16(mlo, _mm256_unpacklo_epi8(vf, zero)),
                         _mm256_mullo_epi16(_mm256_sub_epi16(c255, mlo),
                                            _mm256_unpacklo_epi8(vb, zero))),
        c128);
    __m256i thi = _mm256_add_epi16(
        _mm256_add_epi16(_mm256_mullo_epi16(mhi, _mm256_unpackhi_epi8(vf, zero)),
                         _mm256_mullo_epi16(_mm256_sub_epi16(c255, mhi),
                                            _mm256_unpackhi_epi8(vb, zero))),
        c128);
    tlo = _mm256_srli_epi16(_mm256_add_epi16(tlo, _mm256_srli_epi16(tlo, 8)), 8);
    thi = _mm256_srli_epi16(_mm256_add_epi16(thi, _mm256_srli_epi16(thi, 8)), 8);
    return _mm256_packus_epi16(tlo, thi);
}

static AVX2 inline int all_eq(__m256i v, __m256i c)
{
    return (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, c)) == 0xFFFFFFFFu;
}

/* 16 bytes widened to 16-bit lanes */
static AVX2 inline __m256i load16u8(const uint8_t *p)
{
    return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* 32 pixels at a time. Where the mask is 0 or 255 across all 32 (most of a
 * frame: background or person, only the edge between is soft) the formula
 * reduces to a copy of bg or fg (m = 255: t = 255 f + 128, (t + (t >> 8))
 * >> 8 = f), so the arithmetic is skipped with bit-identical results. */
static AVX2 void blend_row_avx2(const uint8_t *f, const uint8_t *b, const uint8_t *m,
                                uint8_t *d, int n)
{
    const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi8(-1);
    int x = 0;
    for (; x + 32 <= n; x += 32) {
        const __m256i vm = load32(m + x);
        if (all_eq(vm, zero))
            store32(d + x, load32(b + x));
        else if (all_eq(vm, ones))
            store32(d + x, load32(f + x));
        else
            store32(d + x, blend32(load32(f + x), load32(b + x), vm));
    }
    bd_blend_row_c(f + x, b + x, m + x, d + x, n - x);
}

/* 32 chroma samples from 64 x 2 mask samples: pair sums by maddubs with
 * ones (<= 510, no saturation), then (a + b + 2) >> 2. */
static AVX2 void mask_chroma_row_avx2(const uint8_t *r0, const uint8_t *r1, uint8_t *d,
                                      int width)
{
    const __m256i ones = _mm256_set1_epi8(1), two = _mm256_set1_epi16(2);
    const int half = width / 2;
    int x = 0;
    for (; x + 32 <= half; x += 32) {
        __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(load32(r0 + 2 * x), ones),
                                      _mm256_maddubs_epi16(load32(r1 + 2 * x), ones));
        __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(load32(r0 + 2 * x + 32), ones),
                                      _mm256_maddubs_epi16(load32(r1 + 2 * x + 32), ones));
        s0 = _mm256_srli_epi16(_mm256_add_epi16(s0, two), 2);
        s1 = _mm256_srli_epi16(_mm256_add_epi16(s1, two), 2);
        store32(d + x, _mm256_permute4x64_epi64(_mm256_packus_epi16(s0, s1), 0xD8));
    }
    bd_mask_chroma_row_c(r0 + 2 * x, r1 + 2 * x, d + x, width - 2 * x);
}

/* k x k box means. k = 8: psadbw against zero sums 8 bytes per 64-bit
 * lane, one per row, 4 blocks per 32 bytes. k = 4: maddubs with ones gives
 * pair sums, 4 rows added in 16 bits (<= 2040), madd with ones the 4-sums,
 * 8 blocks per 32 bytes. The partial block at the right edge (and any
 * blocks after the last whole vector) go to the C twin, one small row at a
 * time: given one block row, it clamps rows exactly as for the whole. */
static AVX2 void downscale_avx2(const uint8_t *src, int ss, uint8_t *dst, int ds, int w,
                                int h, int k)
{
    const int sw = (w + k - 1) / k, sh = (h + k - 1) / k, nfull = w / k;
    const __m256i zero = _mm256_setzero_si256();
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    for (int sy = 0; sy < sh; sy++) {
        const uint8_t *rp[8];
        for (int j = 0; j < k; j++)
            rp[j] = src + (size_t)(sy * k + j < h ? sy * k + j : h - 1) * (size_t)ss;
        uint8_t *d = dst + (size_t)sy * (size_t)ds;
        int sx = 0;
        if (k == 8) {
            for (; sx + 4 <= nfull; sx += 4) {
                __m256i acc = zero;
                for (int j = 0; j < 8; j++)
                    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(load32(rp[j] + 8 * sx), zero));
                acc = _mm256_srli_epi64(_mm256_add_epi64(acc, _mm256_set1_epi64x(32)), 6);
                __m128i q = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(acc, idx));
                q = _mm_packus_epi16(_mm_packus_epi32(q, q), q);
                const uint32_t v = (uint32_t)_mm_cvtsi128_si32(q);
                memcpy(d + sx, &v, 4);
            }
        } else {
            for (; sx + 8 <= nfull; sx += 8) {
                __m256i acc = zero;
                for (int j = 0; j < 4; j++)
                    acc = _mm256_add_epi16(acc, _mm256_maddubs_epi16(load32(rp[j] + 4 * sx),
                                                                     ones8));
                acc = _mm256_madd_epi16(acc, ones16);
                acc = _mm256_srli_epi32(_mm256_add_epi32(acc, _mm256_set1_epi32(8)), 4);
                __m128i q = _mm_packus_epi32(_mm256_castsi256_si128(acc),
                                             _mm256_extracti128_si256(acc, 1));
                _mm_storel_epi64((__m128i *)(void *)(d + sx), _mm_packus_epi16(q, q));
            }
        }
        if (sx < sw) {
            const int rows = h - sy * k < k ? h - sy * k : k;
            bd_box_downscale_c(src + (size_t)(sy * k) * (size_t)ss + (size_t)(sx * k), ss,
                               d + sx, ds, w - sx * k, rows, k);
        }
    }
}

/* One vertical box pass in strips of 16 columns, the window sum of each
 * column in a 16-bit lane (<= 129 * 255 = 32895). (sum * mul + 2^15) >> 16
 * with mul < 2^15: mulhi gives the high half, and the rounding carry is
 * the top bit of the low half. The last strip overlaps the one before
 * rather than running short (src != dst, so recomputing is harmless). */
static AVX2 void box_v_avx2(const uint8_t *s, int ss, uint8_t *d, int ds, int w, int h, int r,
                            uint32_t *cs)
{
    if (w < 16) {
        bd_box_v_c(s, ss, d, ds, w, h, r, cs);
        return;
    }
    const __m256i mul = _mm256_set1_epi16((short)bd_box_mul(r));
    for (int x = 0;; x += 16) {
        if (x + 16 > w)
            x = w - 16;
        __m256i sum = _mm256_setzero_si256();
        for (int i = -r; i <= r; i++) {
            const int yy = i < 0 ? 0 : i > h - 1 ? h - 1 : i;
            sum = _mm256_add_epi16(sum, load16u8(s + (size_t)yy * (size_t)ss + x));
        }
        for (int y = 0; y < h; y++) {
            const __m256i o = _mm256_add_epi16(
                _mm256_mulhi_epu16(sum, mul),
                _mm256_srli_epi16(_mm256_mullo_epi16(sum, mul), 15));
            _mm_storeu_si128((__m128i *)(void *)(d + (size_t)y * (size_t)ds + x),
                             _mm_packus_epi16(_mm256_castsi256_si128(o),
                                              _mm256_extracti128_si256(o, 1)));
            const uint8_t *add = s + (size_t)(y + r + 1 < h ? y + r + 1 : h - 1) * (size_t)ss;
            const uint8_t *sub = s + (size_t)(y - r > 0 ? y - r : 0) * (size_t)ss;
            sum = _mm256_sub_epi16(_mm256_add_epi16(sum, load16u8(add + x)), load16u8(sub + x));
        }
        if (x + 16 >= w)
            break;
    }
}

/* The blur of bd_box_blur_c (all vertical passes, then all horizontal),
 * the horizontal passes done as vertical ones on the transposed plane
 * (libyuv's TransposePlane, SSSE3): a running sum along a row is serial,
 * down columns it is 16 independent lanes. */
static AVX2 void blur_avx2(uint8_t *plane, int stride, int w, int h, int r, int passes,
                           void *scratch)
{
    uint8_t *t1 = scratch, *t2 = t1 + bd_blur_plane_bytes(w, h);
    uint32_t *cs = (uint32_t *)(void *)(t2 + bd_blur_plane_bytes(w, h));
    const int aw = (w + 63) & ~63, ah = (h + 63) & ~63;
    uint8_t *cur = plane, *oth = t1;
    int cst = stride, ost = aw;
    for (int p = 0; p < passes; p++) {
        box_v_avx2(cur, cst, oth, ost, w, h, r, cs);
        uint8_t *t = cur;
        cur = oth;
        oth = t;
        int st = cst;
        cst = ost;
        ost = st;
    }
    /* cur is plane or t1; the transposed plane goes to t2, and t1 or t2
     * (whichever cur is not) is the other buffer, now h wide */
    TransposePlane(cur, cst, t2, ah, w, h);
    cur = t2;
    oth = t1;
    for (int p = 0; p < passes; p++) {
        box_v_avx2(cur, ah, oth, ah, h, w, r, cs);
        uint8_t *t = cur;
        cur = oth;
        oth = t;
    }
    TransposePlane(cur, ah, plane, stride, h, w);
}

/* The bilinear upscale's horizontal mix: 16 outputs from 8 consecutive
 * 16-bit vertical mixes. Both 128-bit lanes hold the same 8 words, pshufb
 * picks each output's left and right neighbour, and the weights
 * (sixteenths, see bd_upscale_row_h_c) repeat every 16 outputs; the 8 words
 * advance by 16/k per 16 outputs. */
struct up_consts {
    __m256i sl, sr, fl, fr;
    int step;
};

static AVX2 inline struct up_consts up_consts(int k)
{
#define W2(a) (char)(2 * (a)), (char)(2 * (a) + 1)
    /* k = 8: outputs 0-3 mix words 0,1; 4-11 words 1,2; 12-15 words 2,3 */
    static const char l8[32] = {W2(0), W2(0), W2(0), W2(0), W2(1), W2(1), W2(1), W2(1),
                                W2(1), W2(1), W2(1), W2(1), W2(2), W2(2), W2(2), W2(2)};
    static const char r8[32] = {W2(1), W2(1), W2(1), W2(1), W2(2), W2(2), W2(2), W2(2),
                                W2(2), W2(2), W2(2), W2(2), W2(3), W2(3), W2(3), W2(3)};
    static const short f8[16] = {9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7};
    /* k = 4: outputs 0-1 mix words 0,1; 2-5 words 1,2; ...; 14-15 words 4,5 */
    static const char l4[32] = {W2(0), W2(0), W2(1), W2(1), W2(1), W2(1), W2(2), W2(2),
                                W2(2), W2(2), W2(3), W2(3), W2(3), W2(3), W2(4), W2(4)};
    static const char r4[32] = {W2(1), W2(1), W2(2), W2(2), W2(2), W2(2), W2(3), W2(3),
                                W2(3), W2(3), W2(4), W2(4), W2(4), W2(4), W2(5), W2(5)};
    static const short f4[16] = {10, 14, 2, 6, 10, 14, 2, 6, 10, 14, 2, 6, 10, 14, 2, 6};
#undef W2
    struct up_consts c;
    c.sl = _mm256_loadu_si256((const __m256i *)(const void *)(k == 8 ? l8 : l4));
    c.sr = _mm256_loadu_si256((const __m256i *)(const void *)(k == 8 ? r8 : r4));
    c.fr = _mm256_loadu_si256((const __m256i *)(const void *)(k == 8 ? f8 : f4));
    c.fl = _mm256_sub_epi16(_mm256_set1_epi16(16), c.fr);
    c.step = 16 / k;
    return c;
}

/* Outputs x .. x+31 (x a multiple of 32); base = v - 1, since output x
 * mixes v[i0] and v[i0 + 1] with i0 >= -1. */
static AVX2 inline __m256i up16(const uint16_t *p, const struct up_consts *c)
{
    const __m256i src =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)p));
    const __m256i a = _mm256_shuffle_epi8(src, c->sl), b = _mm256_shuffle_epi8(src, c->sr);
    return _mm256_srli_epi16(
        _mm256_add_epi16(_mm256_add_epi16(_mm256_mullo_epi16(a, c->fl),
                                          _mm256_mullo_epi16(b, c->fr)),
                         _mm256_set1_epi16(128)),
        8);
}

/* (two explicit halves: a loop over an array of two made GCC keep them on
 * the stack) */
static AVX2 inline __m256i up32(const uint16_t *base, int x, const struct up_consts *c)
{
    const uint16_t *p = base + (x / 16) * c->step;
    return _mm256_permute4x64_epi64(_mm256_packus_epi16(up16(p, c), up16(p + c->step, c)),
                                    0xD8);
}

static AVX2 void upscale_row_h_avx2(const uint16_t *v, uint8_t *out, int n, int k)
{
    const struct up_consts c = up_consts(k);
    for (int x = 0; x < n; x += 32)
        store32(out + x, up32(v - 1, x, &c));
}

static AVX2 void mix_rows_avx2(const uint8_t *a, const uint8_t *b, int fy, uint16_t *v, int n)
{
    const __m256i wa = _mm256_set1_epi16((short)(16 - fy)), wb = _mm256_set1_epi16((short)fy);
    int x = 0;
    for (; x + 16 <= n; x += 16)
        _mm256_storeu_si256((__m256i *)(void *)(v + x),
                            _mm256_add_epi16(_mm256_mullo_epi16(load16u8(a + x), wa),
                                             _mm256_mullo_epi16(load16u8(b + x), wb)));
    bd_mix_rows_c(a + x, b + x, fy, v + x, n - x);
}

/* Upscale and blend in one pass: the background row is made 32 pixels at
 * a time in registers, and not at all where the mask is all 255. The
 * tail (n % 32) goes through row, as in the C twin. */
static AVX2 void blend_up_row_avx2(const uint8_t *f, const uint16_t *v, int k,
                                   const uint8_t *m, uint8_t *d, int n, uint8_t *row)
{
    const struct up_consts c = up_consts(k);
    const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi8(-1);
    int x = 0;
    for (; x + 32 <= n; x += 32) {
        const __m256i vm = load32(m + x);
        if (all_eq(vm, ones)) {
            store32(d + x, load32(f + x));
            continue;
        }
        const __m256i vb = up32(v - 1, x, &c);
        store32(d + x, all_eq(vm, zero) ? vb : blend32(load32(f + x), vb, vm));
    }
    if (x < n) {
        store32(row, up32(v - 1, x, &c));
        bd_blend_row_c(f + x, row, m + x, d + x, n - x);
    }
}

/* ---- halo-free blur ------------------------------------------------------ */

static AVX2 inline __m256i load8x16(const uint16_t *p)
{
    return _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* bd_box_v16_c in strips of 8 columns, the window sums in 32-bit lanes;
 * the last strip overlaps the one before (src != dst). */
static AVX2 void box_v16_avx2(const uint16_t *s, int ss, uint16_t *d, int ds, int w, int h,
                              int r, uint32_t *cs)
{
    if (w < 8) {
        bd_box_v16_c(s, ss, d, ds, w, h, r, cs);
        return;
    }
    const __m256i mul = _mm256_set1_epi32((int)bd_box_mul16(r));
    const __m256i half = _mm256_set1_epi32(32768);
    for (int x = 0;; x += 8) {
        if (x + 8 > w)
            x = w - 8;
        __m256i sum = _mm256_setzero_si256();
        for (int i = -r; i <= r; i++) {
            const int yy = i < 0 ? 0 : i > h - 1 ? h - 1 : i;
            sum = _mm256_add_epi32(sum, load8x16(s + (size_t)yy * (size_t)ss + x));
        }
        for (int y = 0; y < h; y++) {
            const __m256i o =
                _mm256_srli_epi32(_mm256_add_epi32(_mm256_mullo_epi32(sum, mul), half), 16);
            _mm_storeu_si128((__m128i *)(void *)(d + (size_t)y * (size_t)ds + x),
                             _mm_packus_epi32(_mm256_castsi256_si128(o),
                                              _mm256_extracti128_si256(o, 1)));
            const uint16_t *add = s + (size_t)(y + r + 1 < h ? y + r + 1 : h - 1) * (size_t)ss;
            const uint16_t *sub = s + (size_t)(y - r > 0 ? y - r : 0) * (size_t)ss;
            sum = _mm256_sub_epi32(_mm256_add_epi32(sum, load8x16(add + x)), load8x16(sub + x));
        }
        if (x + 8 >= w)
            break;
    }
}

/* d (h wide, w tall) = the transpose of s (w wide, h tall), 16-bit
 * samples, 8x8 blocks by SSE2 unpacks; the ragged edges one by one. */
static AVX2 void transpose16(const uint16_t *s, int ss, uint16_t *d, int ds, int w, int h)
{
    int y = 0;
    for (; y + 8 <= h; y += 8) {
        int x = 0;
        for (; x + 8 <= w; x += 8) {
            __m128i r[8], t[8], u[8];
            for (int i = 0; i < 8; i++)
                r[i] = _mm_loadu_si128(
                    (const __m128i *)(const void *)(s + (size_t)(y + i) * (size_t)ss + x));
            for (int i = 0; i < 4; i++) {
                t[2 * i] = _mm_unpacklo_epi16(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm_unpackhi_epi16(r[2 * i], r[2 * i + 1]);
            }
            u[0] = _mm_unpacklo_epi32(t[0], t[2]);
            u[1] = _mm_unpackhi_epi32(t[0], t[2]);
            u[2] = _mm_unpacklo_epi32(t[1], t[3]);
            u[3] = _mm_unpackhi_epi32(t[1], t[3]);
            u[4] = _mm_unpacklo_epi32(t[4], t[6]);
            u[5] = _mm_unpackhi_epi32(t[4], t[6]);
            u[6] = _mm_unpacklo_epi32(t[5], t[7]);
            u[7] = _mm_unpackhi_epi32(t[5], t[7]);
            for (int i = 0; i < 4; i++) {
                _mm_storeu_si128((__m128i *)(void *)(d + (size_t)(x + 2 * i) * (size_t)ds + y),
                                 _mm_unpacklo_epi64(u[i], u[i + 4]));
                _mm_storeu_si128(
                    (__m128i *)(void *)(d + (size_t)(x + 2 * i + 1) * (size_t)ds + y),
                    _mm_unpackhi_epi64(u[i], u[i + 4]));
            }
        }
        for (; x < w; x++)
            for (int i = 0; i < 8; i++)
                d[(size_t)x * (size_t)ds + y + i] = s[(size_t)(y + i) * (size_t)ss + x];
    }
    for (; y < h; y++)
        for (int x = 0; x < w; x++)
            d[(size_t)x * (size_t)ds + y] = s[(size_t)y * (size_t)ss + x];
}

/* bd_box_blur16_c: the horizontal passes as vertical ones on the
 * transposed plane, as blur_avx2 does for 8 bits. */
static AVX2 void blur16_avx2(uint16_t *plane, int stride, int w, int h, int r, int passes,
                             void *scratch)
{
    if (r <= 0 || passes <= 0)
        return;
    uint16_t *t1 = scratch;
    uint16_t *t2 = (uint16_t *)(void *)((unsigned char *)scratch + bd_blur16_plane_bytes(w, h));
    uint32_t *cs =
        (uint32_t *)(void *)((unsigned char *)scratch + 2 * bd_blur16_plane_bytes(w, h));
    const int aw = (w + 31) & ~31, ah = (h + 31) & ~31;
    uint16_t *cur = plane, *oth = t1;
    int cst = stride, ost = aw;
    for (int p = 0; p < passes; p++) {
        box_v16_avx2(cur, cst, oth, ost, w, h, r, cs);
        uint16_t *t = cur;
        cur = oth;
        oth = t;
        int st = cst;
        cst = ost;
        ost = st;
    }
    transpose16(cur, cst, t2, ah, w, h);
    cur = t2;
    oth = t1;
    for (int p = 0; p < passes; p++) {
        box_v16_avx2(cur, ah, oth, ah, h, w, r, cs);
        uint16_t *t = cur;
        cur = oth;
        oth = t;
    }
    transpose16(cur, ah, plane, stride, h, w);
}

static AVX2 void premul_row_avx2(const uint8_t *a, const uint8_t *m, uint16_t *num,
                                 uint16_t *den, int n)
{
    const __m256i c257 = _mm256_set1_epi16(257), c255 = _mm256_set1_epi16(255);
    int x = 0;
    for (; x + 16 <= n; x += 16) {
        const __m256i va = load16u8(a + x);
        const __m128i m8 = _mm_loadu_si128((const __m128i *)(const void *)(m + x));
        const __m256i vm = _mm256_cvtepu8_epi16(_mm_adds_epu8(m8, m8)); /* min(2m, 255) */
        const __m256i w = _mm256_sub_epi16(c257, vm);
        _mm256_storeu_si256((__m256i *)(void *)(num + x), _mm256_mullo_epi16(va, w));
        _mm256_storeu_si256((__m256i *)(void *)(den + x), _mm256_mullo_epi16(c255, w));
    }
    bd_premul_row_c(a + x, m + x, num + x, den + x, n - x);
}

static AVX2 void ratio_row_avx2(const uint16_t *num, const uint16_t *den, uint8_t *d, int n)
{
    const __m256i c255 = _mm256_set1_epi32(255), zero = _mm256_setzero_si256();
    const __m256 halfp = _mm256_set1_ps(0.5f);
    int x = 0;
    for (; x + 8 <= n; x += 8) {
        const __m256i vn = load8x16(num + x), vd = load8x16(den + x);
        const __m256 q = _mm256_div_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(vn, c255)),
                                       _mm256_cvtepi32_ps(vd));
        __m256i r = _mm256_min_epi32(_mm256_cvttps_epi32(_mm256_add_ps(q, halfp)), c255);
        r = _mm256_andnot_si256(_mm256_cmpeq_epi32(vd, zero), r);
        const __m128i p16 =
            _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storel_epi64((__m128i *)(void *)(d + x), _mm_packus_epi16(p16, p16));
    }
    bd_ratio_row_c(num + x, den + x, d + x, n - x);
}

/* ---- light wrap ----------------------------------------------------------- */

/* (v * s8 + 128) >> 8 on 32 bytes, s8 in 16-bit lanes (<= 256). */
static AVX2 inline __m256i scale32(__m256i v, __m256i s8)
{
    const __m256i zero = _mm256_setzero_si256(), c128 = _mm256_set1_epi16(128);
    __m256i lo = _mm256_mullo_epi16(_mm256_unpacklo_epi8(v, zero), s8);
    __m256i hi = _mm256_mullo_epi16(_mm256_unpackhi_epi8(v, zero), s8);
    lo = _mm256_srli_epi16(_mm256_add_epi16(lo, c128), 8);
    hi = _mm256_srli_epi16(_mm256_add_epi16(hi, c128), 8);
    return _mm256_packus_epi16(lo, hi);
}

static AVX2 void scale_row_avx2(const uint8_t *s, int s8, uint8_t *d, int n)
{
    const __m256i v8 = _mm256_set1_epi16((short)s8);
    int x = 0;
    for (; x + 32 <= n; x += 32)
        store32(d + x, scale32(load32(s + x), v8));
    bd_scale_row_c(s + x, s8, d + x, n - x);
}

/* 32 outputs of bd_blend_wrap_row_c at x (a multiple of 32); f, b, m
 * point at sample x. */
static AVX2 inline __attribute__((always_inline)) __m256i
wrap32(const uint8_t *f, const uint8_t *b, const uint16_t *vb, const struct up_consts *cb,
       const uint16_t *vl, const struct up_consts *cl, __m256i s8, const uint8_t *m, int x)
{
    const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi8(-1);
    const __m256i vm = load32(m);
    if (all_eq(vm, zero))
        return b ? load32(b) : up32(vb - 1, x, cb);
    const __m256i vf = load32(f);
    if (all_eq(vm, ones)) {
        /* inside the person: when every vertical mix these 32 outputs
         * read is 16 x 255, the blurred mask is 255, L and ww are 0 and
         * the output is f (the 16 words loaded cover the up to 12 read) */
        const __m256i w16 = _mm256_loadu_si256(
            (const __m256i *)(const void *)(vl - 1 + (x / 16) * cl->step));
        if ((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(w16, _mm256_set1_epi16(4080))) ==
            0xFFFFFFFFu)
            return vf;
    }
    /* the blurred background (blur mode: the background itself) only
     * where something below reads it: not inside the person */
    const __m256i L = _mm256_xor_si256(up32(vl - 1, x, cl), ones); /* 255 - v */
    const __m256i ww = scale32(_mm256_adds_epu8(L, L), s8);
    const int opaque = all_eq(vm, ones), wrap = !all_eq(ww, zero);
    const __m256i B = wrap || (!b && !opaque) ? up32(vb - 1, x, cb) : zero;
    const __m256i fp = wrap ? blend32(B, vf, ww) : vf;
    return opaque ? fp : blend32(fp, b ? load32(b) : B, vm);
}

static AVX2 void blend_wrap_row_avx2(const uint8_t *f, const uint8_t *b, const uint16_t *vb,
                                     int kb, const uint16_t *vl, int kl, int s8,
                                     const uint8_t *m, uint8_t *d, int n, uint8_t *row)
{
    (void)row;
    const struct up_consts cb = up_consts(kb), cl = up_consts(kl);
    const __m256i v8 = _mm256_set1_epi16((short)s8);
    int x = 0;
    for (; x + 32 <= n; x += 32)
        store32(d + x, wrap32(f + x, b ? b + x : NULL, vb, &cb, vl, &cl, v8, m + x, x));
    if (x < n) { /* the tail through zero-padded copies (d may be f) */
        uint8_t ft[32] = {0}, bt[32] = {0}, mt[32] = {0}, dt[32];
        memcpy(ft, f + x, (size_t)(n - x));
        memcpy(mt, m + x, (size_t)(n - x));
        if (b)
            memcpy(bt, b + x, (size_t)(n - x));
        store32(dt, wrap32(ft, b ? bt : NULL, vb, &cb, vl, &cl, v8, mt, x));
        memcpy(d + x, dt, (size_t)(n - x));
    }
}

/* ---- hologram ------------------------------------------------------------- */

static AVX2 void holo_y_row_avx2(const uint8_t *s, uint8_t *d, int n, int a, int b)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i va = _mm256_set1_epi16((short)a), vb = _mm256_set1_epi16((short)(unsigned short)b);
    int x = 0;
    for (; x + 32 <= n; x += 32) {
        const __m256i v = load32(s + x);
        __m256i lo = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpacklo_epi8(v, zero), va), vb);
        __m256i hi = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpackhi_epi8(v, zero), va), vb);
        store32(d + x, _mm256_packus_epi16(_mm256_srli_epi16(lo, 8), _mm256_srli_epi16(hi, 8)));
    }
    bd_holo_y_row_c(s + x, d + x, n - x, a, b);
}

static AVX2 void holo_c_row_avx2(const uint8_t *s, const uint8_t *yc, uint8_t *d, int n,
                                 int c0, int c1, int bias)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i v0 = _mm256_set1_epi16((short)c0), v1 = _mm256_set1_epi16((short)c1),
                  vb = _mm256_set1_epi16((short)bias);
    int x = 0;
    for (; x + 32 <= n; x += 32) {
        const __m256i a = load32(s + x), y = load32(yc + x);
        __m256i lo = _mm256_add_epi16(
            _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpacklo_epi8(a, zero), v0),
                             _mm256_mullo_epi16(_mm256_unpacklo_epi8(y, zero), v1)),
            vb);
        __m256i hi = _mm256_add_epi16(
            _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpackhi_epi8(a, zero), v0),
                             _mm256_mullo_epi16(_mm256_unpackhi_epi8(y, zero), v1)),
            vb);
        store32(d + x, _mm256_packus_epi16(_mm256_srai_epi16(lo, 6), _mm256_srai_epi16(hi, 6)));
    }
    bd_holo_c_row_c(s + x, yc + x, d + x, n - x, c0, c1, bias);
}

const struct bd_composite_kernels bd_composite_kernels_avx2 = {
    .name = "avx2",
    .blend_row = blend_row_avx2,
    .mask_chroma_row = mask_chroma_row_avx2,
    .downscale = downscale_avx2,
    .blur = blur_avx2,
    .upscale_row_h = upscale_row_h_avx2,
    .blend_up_row = blend_up_row_avx2,
    .mix_rows = mix_rows_avx2,
    .blur16 = blur16_avx2,
    .premul_row = premul_row_avx2,
    .ratio_row = ratio_row_avx2,
    .blend_wrap_row = blend_wrap_row_avx2,
    .scale_row = scale_row_avx2,
    .holo_y_row = holo_y_row_avx2,
    .holo_c_row = holo_c_row_avx2,
};

#endif
