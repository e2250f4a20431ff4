/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask-quality metrics. Notation: pred and gt are 8-bit masks of the same
 * size, read as values on 0..1 (v / 255); "binarised at 0.5" means
 * v >= 128 (0.502 on 0..1, the first 8-bit value at or above one half).
 *
 *  IoU        |P & G| / |P | G| with P, G the masks binarised at 0.5; 1 when
 *             both are empty.
 *  MAD        1000 * mean over all pixels of |pred - gt| (0..1 values).
 *  boundary F The boundary of a binarised mask is the set of its foreground
 *             pixels that have at least one 4-neighbour (inside the frame)
 *             of the other class: a one-pixel inner contour; the frame's
 *             border is not a boundary. A predicted boundary pixel is
 *             correct when a ground-truth boundary pixel lies within
 *             Euclidean distance 3 px (dx^2 + dy^2 <= 9, 29 offsets;
 *             gt_frame.bf_r, which a frame scaled up from its ground
 *             truth's own size may widen by the scale);
 *             precision P = correct / predicted boundary pixels; recall R
 *             = ground-truth boundary pixels with a predicted one within
 *             3 px / ground-truth boundary pixels; F = 2PR / (P + R),
 *             0 when P + R = 0. Both boundaries empty: F = 1; only one: 0.
 *  trimap MAD The band U = pixels with 0 < gt < 1 (8-bit 1..254), dilated
 *             by a Euclidean disk of radius 5 px; 1000 * mean over U of
 *             |pred - gt|. An empty band (a hard 0/255 mask with no edge)
 *             scores 0.
 * Per-image values; the harness averages them over images.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

long boundary_map(const uint8_t *m, int w, int h, uint8_t *map)
{
    long n = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *r = m + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            int b = 0;
            if (r[x] >= 128) {
                b = (x > 0 && r[x - 1] < 128) || (x + 1 < w && r[x + 1] < 128) ||
                    (y > 0 && r[x - w] < 128) || (y + 1 < h && r[x + w] < 128);
            }
            map[(size_t)y * w + x] = (uint8_t)b;
            n += b;
        }
    }
    return n;
}

/* Offsets of the disk dx^2 + dy^2 <= r^2. */
static int disk(int r, int *dx, int *dy)
{
    int n = 0;
    for (int y = -r; y <= r; y++)
        for (int x = -r; x <= r; x++)
            if (x * x + y * y <= r * r) {
                dx[n] = x;
                dy[n] = y;
                n++;
            }
    return n;
}

/*
 * Stamps the disk around each pixel of `in` that has a 4-neighbour outside
 * `in` (and marks `in` itself). That is the whole dilation: the nearest
 * in-pixel u to any outside pixel q has its 4-neighbour one step towards q
 * outside `in` (that neighbour is nearer to q), so u is such an edge pixel.
 */
long dilate_disk(const uint8_t *in, int w, int h, int r, uint8_t *out)
{
    int dx[(2 * 16 + 1) * (2 * 16 + 1)], dy[(2 * 16 + 1) * (2 * 16 + 1)];
    if (r > 16)
        r = 16;
    int nd = disk(r, dx, dy);
    for (size_t i = 0; i < (size_t)w * h; i++)
        out[i] = in[i] != 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!in[i])
                continue;
            int edge = (x > 0 && !in[i - 1]) || (x + 1 < w && !in[i + 1]) || (y > 0 && !in[i - w]) ||
                       (y + 1 < h && !in[i + w]);
            if (!edge)
                continue;
            for (int k = 0; k < nd; k++) {
                int xx = x + dx[k], yy = y + dy[k];
                if (xx >= 0 && xx < w && yy >= 0 && yy < h)
                    out[(size_t)yy * w + xx] = 1;
            }
        }
    long n = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        n += out[i];
    return n;
}

int gt_frame_init(struct gt_frame *g, const uint8_t *alpha, int w, int h)
{
    memset(g, 0, sizeof *g);
    g->w = w;
    g->h = h;
    g->bf_r = 3;
    g->alpha = alpha;
    size_t n = (size_t)w * h;
    g->bnd = malloc(n);
    g->band = malloc(n);
    uint8_t *soft = malloc(n);
    if (!g->bnd || !g->band || !soft) {
        free(soft);
        gt_frame_free(g);
        return -1;
    }
    g->bnd_n = boundary_map(alpha, w, h, g->bnd);
    g->bnd_idx = malloc(sizeof(int32_t) * (size_t)(g->bnd_n ? g->bnd_n : 1));
    if (!g->bnd_idx) {
        free(soft);
        gt_frame_free(g);
        return -1;
    }
    long k = 0;
    for (size_t i = 0; i < n; i++)
        if (g->bnd[i])
            g->bnd_idx[k++] = (int32_t)i;
    for (size_t i = 0; i < n; i++)
        soft[i] = alpha[i] > 0 && alpha[i] < 255;
    g->band_n = dilate_disk(soft, w, h, 5, g->band);
    free(soft);
    return 0;
}

void gt_frame_free(struct gt_frame *g)
{
    free(g->bnd);
    free(g->bnd_idx);
    free(g->band);
    memset(g, 0, sizeof *g);
}

/* Of the pixels listed in idx, how many have a pixel of map within r px
 * (r <= 16). */
static long matched(const int32_t *idx, long n, const uint8_t *map, int w, int h, int r)
{
    int dx[(2 * 16 + 1) * (2 * 16 + 1)], dy[(2 * 16 + 1) * (2 * 16 + 1)];
    const int nd = disk(r > 16 ? 16 : r, dx, dy);
    long hit = 0;
    for (long j = 0; j < n; j++) {
        int x = idx[j] % w, y = idx[j] / w;
        for (int k = 0; k < nd; k++) {
            int xx = x + dx[k], yy = y + dy[k];
            if (xx >= 0 && xx < w && yy >= 0 && yy < h && map[(size_t)yy * w + xx]) {
                hit++;
                break;
            }
        }
    }
    return hit;
}

void score_mask(const struct gt_frame *g, const uint8_t *pred, uint8_t *scratch, struct scores *s)
{
    const int w = g->w, h = g->h;
    const size_t n = (size_t)w * h;
    long inter = 0, uni = 0;
    uint64_t sad = 0, sad_band = 0;
    for (size_t i = 0; i < n; i++) {
        int p = pred[i] >= 128, q = g->alpha[i] >= 128;
        inter += p & q;
        uni += p | q;
        int d = pred[i] - g->alpha[i];
        d = d < 0 ? -d : d;
        sad += (uint64_t)d;
        sad_band += g->band[i] ? (uint64_t)d : 0;
    }
    s->iou = uni ? (double)inter / (double)uni : 1.0;
    s->mad = 1000.0 * (double)sad / 255.0 / (double)n;
    s->tmad = g->band_n ? 1000.0 * (double)sad_band / 255.0 / (double)g->band_n : 0.0;

    /* boundary F: predicted boundary pixels listed from scratch */
    long pn = boundary_map(pred, w, h, scratch);
    if (pn == 0 || g->bnd_n == 0) {
        s->bf = pn == 0 && g->bnd_n == 0 ? 1.0 : 0.0;
        return;
    }
    int32_t *pidx = malloc(sizeof(int32_t) * (size_t)pn);
    if (!pidx) {
        s->bf = 0;
        return;
    }
    long k = 0;
    for (size_t i = 0; i < n; i++)
        if (scratch[i])
            pidx[k++] = (int32_t)i;
    double P = (double)matched(pidx, pn, g->bnd, w, h, g->bf_r) / (double)pn;
    double R = (double)matched(g->bnd_idx, g->bnd_n, scratch, w, h, g->bf_r) / (double)g->bnd_n;
    s->bf = P + R > 0 ? 2 * P * R / (P + R) : 0.0;
    free(pidx);
}
