/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The zoom pass's geometry (zoom.h). */
#include "model/zoom.h"

#include <math.h>
#include <stdlib.h>

#include "backdrop.h"

/* Widening of the person's box on each side, in parts of its size. The
 * bench/quality sweep (general, 1280x720): 0 -> IoU 0.944 / boundary F
 * 0.710, 0.03 -> 0.948 / 0.736, 0.05 -> 0.946 / 0.738, 0.08 -> 0.943 /
 * 0.733, 0.1 -> 0.941 / 0.734. Too tight cuts hair off; too wide lets the
 * room back in. */
#define ZOOM_MARGIN 0.05
#define ZOOM_MAX_COVER 0.9 /* a box covering more of the frame is no zoom */
#define ZOOM_MIN_SIDE 32
#define ZOOM_SETTLE 0.04
#define ZOOM_MAX_SQUASH 1.8 /* about what 16:9 into the general model's 1:1 is */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Grows [*a, *b) about its middle to length n, shifted to fit [0, lim). */
static void grow_span(double *a, double *b, double n, double lim)
{
    const double c = 0.5 * (*a + *b);
    n = n > lim ? lim : n;
    *a = c - 0.5 * n;
    *b = c + 0.5 * n;
    if (*a < 0) {
        *b -= *a;
        *a = 0;
    }
    if (*b > lim) {
        *a -= *b - lim;
        *b = lim;
    }
}

int bd_zoom_input_fits(int mw, int mh)
{
    return 3 * mw <= 4 * mh;
}

const char *bd_model_zoom_partner(const struct bd_model *model)
{
    struct bd_model_info info;
    bd_model_get_info(model, &info);
    return info.in_channels == 3 && !bd_zoom_input_fits(info.in_width, info.in_height) ? "general"
                                                                                      : NULL;
}

int bd_zoom_find(const float *prob, int pw, int ph, int fw, int fh, int mw, int mh,
                 struct bd_rect *box)
{
    int x0 = pw, y0 = ph, x1 = -1, y1 = -1;
    for (int y = 0; y < ph; y++) {
        const float *row = prob + (size_t)y * (size_t)pw;
        for (int x = 0; x < pw; x++)
            if (row[x] >= 0.5f) {
                x0 = x < x0 ? x : x0;
                x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0;
                y1 = y > y1 ? y : y1;
            }
    }
    /* A wide input (the landscape model's 256x144) fits no standing
     * person's box: squashed into it, the second look did worse than none
     * (bench/quality temporal set, landscape: IoU 0.929 without, 0.846
     * with; shaped to within ZOOM_MAX_SQUASH the still set gained only
     * 0.004). */
    if (x1 < 0 || !bd_zoom_input_fits(mw, mh))
        return 0;
    /* cell edges in frame pixels, then the margin */
    double l = (double)x0 * fw / pw, r = (double)(x1 + 1) * fw / pw;
    double t = (double)y0 * fh / ph, b = (double)(y1 + 1) * fh / ph;
    const double mx = ZOOM_MARGIN * (r - l), my = ZOOM_MARGIN * (b - t);
    l = l - mx < 0 ? 0 : l - mx;
    r = r + mx > fw ? fw : r + mx;
    t = t - my < 0 ? 0 : t - my;
    b = b + my > fh ? fh : b + my;
    /* The model's input is squashed from the box: a box whose shape is far
     * from the input's grows its short side until the squash is at most
     * ZOOM_MAX_SQUASH (the landscape model, 256x144, on a standing
     * person's box flattened them 2.5 times and did worse than no zoom). */
    const double ma = (double)mw / mh, a = (r - l) / (b - t);
    if (a * ZOOM_MAX_SQUASH < ma)
        grow_span(&l, &r, (b - t) * ma / ZOOM_MAX_SQUASH, fw);
    else if (a > ma * ZOOM_MAX_SQUASH)
        grow_span(&t, &b, (r - l) / (ma * ZOOM_MAX_SQUASH), fh);
    int bx0 = clampi((int)floor(l), 0, fw), bx1 = clampi((int)ceil(r), 0, fw);
    int by0 = clampi((int)floor(t), 0, fh), by1 = clampi((int)ceil(b), 0, fh);
    bx0 &= ~1;
    by0 &= ~1;
    int w = (bx1 - bx0) & ~1, h = (by1 - by0) & ~1;
    if (w < ZOOM_MIN_SIDE || h < ZOOM_MIN_SIDE ||
        (double)w * h > ZOOM_MAX_COVER * (double)fw * fh)
        return 0;
    *box = (struct bd_rect){bx0, by0, w, h};
    return 1;
}

/* r widened by dx, dy on each side, clamped to the frame, even. */
static struct bd_rect widen(const struct bd_rect *r, int dx, int dy, int fw, int fh)
{
    const int x0 = clampi(r->x - dx, 0, fw) & ~1, y0 = clampi(r->y - dy, 0, fh) & ~1;
    const int x1 = clampi(r->x + r->w + dx, 0, fw), y1 = clampi(r->y + r->h + dy, 0, fh);
    return (struct bd_rect){x0, y0, (x1 - x0) & ~1, (y1 - y0) & ~1};
}

struct bd_rect bd_zoom_settle(const struct bd_rect *prev, const struct bd_rect *cur, int fw,
                              int fh)
{
    const int tx = (int)lrint(ZOOM_SETTLE * fw), ty = (int)lrint(ZOOM_SETTLE * fh);
    /* prev stays while it holds cur and is not much larger: within two
     * slacks of cur on every side */
    if (prev->w > 0 && prev->h > 0 && cur->x >= prev->x && cur->y >= prev->y &&
        cur->x + cur->w <= prev->x + prev->w && cur->y + cur->h <= prev->y + prev->h &&
        cur->x - prev->x <= 2 * tx && cur->y - prev->y <= 2 * ty &&
        prev->x + prev->w - cur->x - cur->w <= 2 * tx &&
        prev->y + prev->h - cur->y - cur->h <= 2 * ty)
        return *prev;
    return widen(cur, tx, ty, fw, fh);
}

/* For output cell i (cells sz px wide): its centre's two taps t0, t1 and
 * the weight w of t1 in a map of n cells over [b0, b0 + bn) px (z = n /
 * bn), half-pixel centres, edges clamped; 0 when the centre is outside. */
static int tap(int i, double sz, int b0, int bn, int n, double z, int *t0, int *t1, float *w)
{
    const double p = (i + 0.5) * sz;
    if (p < b0 || p >= b0 + bn)
        return 0;
    double v = (p - b0) * z - 0.5;
    v = v < 0 ? 0 : v > n - 1 ? n - 1 : v;
    *t0 = (int)v;
    *t1 = *t0 + 1 < n ? *t0 + 1 : *t0;
    *w = (float)(v - *t0);
    return 1;
}

int bd_zoom_fuse(float *prob, int pw, int ph, int fw, int fh, const struct bd_rect *box,
                 const float *zp, int zw, int zh)
{
    const double sx = (double)fw / pw, sy = (double)fh / ph;
    const double zx = (double)zw / box->w, zy = (double)zh / box->h;
    /* The second look must still see a person: a close-up of a face
     * alone, say, can look like nobody to the model, and its empty map
     * would erase the person the first look boxed. Then the first look
     * stays. */
    float top = 0.f;
    for (size_t i = 0; i < (size_t)zw * (size_t)zh; i++)
        top = zp[i] > top ? zp[i] : top;
    if (top < 0.5f)
        return 0;
    /* the columns' taps once per block of columns, not once per cell: in
     * the camera this ran on every model run, 2% of its CPU at 720p */
    enum { TAPS = 512 };
    int cu0[TAPS], cu1[TAPS];
    float cwu[TAPS];
    unsigned char cin[TAPS];
    for (int xb = 0; xb < pw; xb += TAPS) {
        const int xn = pw - xb < TAPS ? pw - xb : TAPS;
        for (int x = 0; x < xn; x++)
            cin[x] = (unsigned char)tap(xb + x, sx, box->x, box->w, zw, zx, &cu0[x], &cu1[x],
                                        &cwu[x]);
        for (int y = 0; y < ph; y++) {
            int v0, v1;
            float wv;
            if (!tap(y, sy, box->y, box->h, zh, zy, &v0, &v1, &wv))
                continue;
            const float *r0 = zp + (size_t)v0 * (size_t)zw, *r1 = zp + (size_t)v1 * (size_t)zw;
            float *out = prob + (size_t)y * (size_t)pw + xb;
            for (int x = 0; x < xn; x++) {
                if (!cin[x])
                    continue;
                const int u0 = cu0[x], u1 = cu1[x];
                const float wu = cwu[x];
                const float a = r0[u0] + (r0[u1] - r0[u0]) * wu;
                const float c = r1[u0] + (r1[u1] - r1[u0]) * wu;
                out[x] = a + (c - a) * wv;
            }
        }
    }
    return 1;
}
