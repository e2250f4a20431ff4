/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_mask_fuse: a matte (Robust Video Matting's alpha) combined with a
 * segmentation mask (the selfie model's refined mask). RVM draws better
 * edges (hair, hats) and leaves out objects our mask takes for the person
 * on composites, but on real photos gives partial alpha to blankets and
 * clothes and drops held objects (issue 18): the fusions take RVM's edge
 * near our mask's boundary and our mask's sense of what the person is.
 * bench/rvm-fusion.md has every option tried, with figures.
 *
 * The mean is weighted per pixel by how sure the person mask is (a table
 * of 256 weights: no division per pixel). The band and the gate come from
 * box sums of our mask's binary person
 * (>= 128) over a (2r+1)^2 window: any person pixel in the window
 * (dilation), every pixel person (erosion). Row prefix sums, then a
 * sliding column sum: O(w h) whatever the radius.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "common/error.h"

/* counts[y*w+x] = person pixels in the window around (x, y), clipped at
 * the borders; area[] = the window's clipped size is (x1-x0+1)*(y1-y0+1) */
static void box_counts(const uint8_t *m, int ms, int w, int h, int r, uint32_t *rows,
                       uint32_t *counts)
{
    /* rows: per row, the count of person pixels within r columns */
    for (int y = 0; y < h; y++) {
        const uint8_t *p = m + (size_t)y * ms;
        uint32_t *o = rows + (size_t)y * w;
        uint32_t s = 0;
        for (int x = 0; x < r && x < w; x++)
            s += p[x] >= 128;
        for (int x = 0; x < w; x++) {
            if (x + r < w)
                s += p[x + r] >= 128;
            if (x - r - 1 >= 0)
                s -= p[x - r - 1] >= 128;
            o[x] = s;
        }
    }
    /* columns: sliding sum of the row counts */
    for (int x = 0; x < w; x++) {
        uint32_t s = 0;
        for (int y = 0; y < r && y < h; y++)
            s += rows[(size_t)y * w + x];
        for (int y = 0; y < h; y++) {
            if (y + r < h)
                s += rows[(size_t)(y + r) * w + x];
            if (y - r - 1 >= 0)
                s -= rows[(size_t)(y - r - 1) * w + x];
            counts[(size_t)y * w + x] = s;
        }
    }
}

static inline uint32_t window_area(int x, int y, int w, int h, int r)
{
    int x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= w ? w - 1 : x + r;
    int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= h ? h - 1 : y + r;
    return (uint32_t)(x1 - x0 + 1) * (uint32_t)(y1 - y0 + 1);
}

size_t bd_mask_fuse_scratch(int width, int height)
{
    return 2 * (size_t)width * (size_t)height * sizeof(uint32_t);
}

enum bd_status bd_mask_fuse(const uint8_t *alpha, int alpha_stride, const uint8_t *person,
                            int person_stride, int width, int height,
                            const struct bd_fuse_options *o, void *scratch, uint8_t *out,
                            int out_stride)
{
    if (!alpha || !person || !o || !out || width < 1 || height < 1 || alpha_stride < width ||
        person_stride < width || out_stride < width || o->radius < 0 || o->radius > 1024 ||
        o->weight < 0 || o->weight > 256 || o->edge_weight < 0 || o->edge_weight > 256 ||
        (o->mode != BD_FUSE_MEAN && !scratch) || o->mode < BD_FUSE_MEAN || o->mode > BD_FUSE_BAND)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_mask_fuse: bad arguments");
    const int w = width, h = height, r = o->radius;
    if (o->mode == BD_FUSE_MEAN) {
        /* the alpha's weight per person value: edge_weight at 127/128,
         * weight at 0/255 (a table of 256: no division per pixel) */
        uint16_t wt[256];
        for (int v = 0; v < 256; v++) {
            const int sure = v > 127 ? 2 * v - 255 : 255 - 2 * v; /* 1 .. 255 */
            wt[v] = (uint16_t)((o->edge_weight * (255 - sure) + o->weight * (sure - 1) + 127) / 254);
        }
        for (int y = 0; y < h; y++) {
            const uint8_t *a = alpha + (size_t)y * alpha_stride;
            const uint8_t *p = person + (size_t)y * person_stride;
            uint8_t *d = out + (size_t)y * out_stride;
            for (int x = 0; x < w; x++) {
                const unsigned k = wt[p[x]];
                d[x] = (uint8_t)((a[x] * k + p[x] * (256 - k) + 128) >> 8);
            }
        }
        return BD_OK;
    }
    uint32_t *rows = scratch, *counts = rows + (size_t)w * h;
    box_counts(person, person_stride, w, h, r, rows, counts);
    for (int y = 0; y < h; y++) {
        const uint8_t *a = alpha + (size_t)y * alpha_stride;
        const uint8_t *p = person + (size_t)y * person_stride;
        const uint32_t *c = counts + (size_t)y * w;
        uint8_t *d = out + (size_t)y * out_stride;
        for (int x = 0; x < w; x++) {
            const int near = c[x] > 0;                            /* dilated person */
            const int core = c[x] == window_area(x, y, w, h, r); /* eroded person */
            if (o->mode == BD_FUSE_GATE)
                d[x] = near ? a[x] : 0;
            else /* BAND: RVM's edge near our boundary, our mask elsewhere */
                d[x] = near && !core ? a[x] : p[x];
        }
    }
    return BD_OK;
}

void bd_fuse_smooth_options(struct bd_refine_options *o)
{
    bd_refine_options_default(o);
    o->edge_aware = 0;
    o->lo = 0.f;
    o->hi = 1.f;
    o->temporal = 1;
}

/* The mean weighted by how sure our mask is: RVM's alpha 0.4 where our
 * mask is sure (0, 255), all of it where our mask is unsure (127/128).
 * On real photos RVM's partial alpha on clothes and blankets costs
 * boundary F wherever it gets more than 0.4 of a sure pixel (the plain
 * mean: 0.639 against the default's 0.642; this one 0.643); on the dev
 * composites it takes RVM's edge where our mask hesitates, and with RVM
 * at ratio 0.5 at 1280x720 (bd_rvm_auto_ratio) cuts trimap MAD by 26% at
 * both framings, IoU and boundary F up. The band, the gate, the refiner
 * after the fusion and weights by RVM's own confidence do worse on one of
 * the two (bench/rvm-fusion.md). */
void bd_fuse_options_default(int width, int height, struct bd_fuse_options *o)
{
    (void)width;
    (void)height;
    o->mode = BD_FUSE_MEAN;
    o->radius = 0;
    o->weight = 102;
    o->edge_weight = 256;
}
