/*
 * Mask upsampling: low-resolution person probability → 8-bit mask at the
 * frame's size. Plain bilinear with half-pixel centres (the same sampling
 * TFLite's RESIZE_BILINEAR uses with half_pixel_centers), the `--raw`
 * baseline that edge-aware refinement is measured against.
 */
#include <stdlib.h>

#include "backdrop.h"

void bd_mask_upsample_bilinear(const float *src, int sw, int sh, uint8_t *dst, int dst_stride,
                               int dw, int dh)
{
    if (!src || !dst || sw < 1 || sh < 1 || dw < 1 || dh < 1)
        return;
    const float sx = (float)sw / (float)dw, sy = (float)sh / (float)dh;
    for (int y = 0; y < dh; y++) {
        float fy = ((float)y + 0.5f) * sy - 0.5f;
        if (fy < 0.f)
            fy = 0.f;
        int y0 = (int)fy;
        if (y0 > sh - 1)
            y0 = sh - 1;
        int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        float wy = fy - (float)y0;
        const float *r0 = src + (size_t)y0 * (size_t)sw, *r1 = src + (size_t)y1 * (size_t)sw;
        uint8_t *out = dst + (size_t)y * (size_t)dst_stride;
        for (int x = 0; x < dw; x++) {
            float fx = ((float)x + 0.5f) * sx - 0.5f;
            if (fx < 0.f)
                fx = 0.f;
            int x0 = (int)fx;
            if (x0 > sw - 1)
                x0 = sw - 1;
            int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            float wx = fx - (float)x0;
            float top = r0[x0] + (r0[x1] - r0[x0]) * wx;
            float bot = r1[x0] + (r1[x1] - r1[x0]) * wx;
            float v = (top + (bot - top) * wy) * 255.f + 0.5f;
            out[x] = v <= 0.f ? 0 : v >= 255.f ? 255 : (uint8_t)v;
        }
    }
}
