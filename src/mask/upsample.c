/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask upsampling: low-resolution person probability → 8-bit mask at the
 * frame's size. Plain bilinear with half-pixel centres (the same sampling
 * TFLite's RESIZE_BILINEAR uses with half_pixel_centers), the `--raw`
 * baseline that edge-aware refinement is measured against.
 */
#include <stdlib.h>

#include "backdrop.h"

/* Source sample of destination index d at scale (half-pixel centres, the
 * coordinate clamped at 0): the two neighbours and the weight of the second. */
static inline void src_coord(int d, float scale, int n, int *i0, int *i1, float *w)
{
    float f = ((float)d + 0.5f) * scale - 0.5f;
    if (f < 0.f)
        f = 0.f;
    int a = (int)f;
    if (a > n - 1)
        a = n - 1;
    *i0 = a;
    *i1 = a + 1 < n ? a + 1 : n - 1;
    *w = f - (float)a;
}

void bd_mask_upsample_bilinear(const float *src, int sw, int sh, uint8_t *dst, int dst_stride,
                               int dw, int dh)
{
    if (!src || !dst || sw < 1 || sh < 1 || dw < 1 || dh < 1)
        return;
    const float sx = (float)sw / (float)dw, sy = (float)sh / (float)dh;
    for (int y = 0; y < dh; y++) {
        int y0, y1;
        float wy;
        src_coord(y, sy, sh, &y0, &y1, &wy);
        const float *r0 = src + (size_t)y0 * (size_t)sw, *r1 = src + (size_t)y1 * (size_t)sw;
        uint8_t *out = dst + (size_t)y * (size_t)dst_stride;
        for (int x = 0; x < dw; x++) {
            int x0, x1;
            float wx;
            src_coord(x, sx, sw, &x0, &x1, &wx);
            float top = r0[x0] + (r0[x1] - r0[x0]) * wx;
            float bot = r1[x0] + (r1[x1] - r1[x0]) * wx;
            float v = (top + (bot - top) * wy) * 255.f + 0.5f;
            out[x] = v <= 0.f ? 0 : v >= 255.f ? 255 : (uint8_t)v;
        }
    }
}
