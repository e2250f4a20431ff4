/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The camera's inference policy (stream.h). */
#include "model/stream.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "model/zoom.h"

struct bd_stream {
    struct bd_engine *e, *ze;
    struct bd_stream_policy pol;
    int in_w, in_h, pw, ph; /* first look: input, output */
    int zin_w, zin_h, zw, zh;
    int fw, fh;
    int class_index;
    float *first;      /* the last first look's map (alternate: mixed with the one before) */
    float *zp_first;   /* a new first look's map, before that */
    float *zp;         /* the second look's map */
    float *cur, *prev; /* this run's map and the run before's, unmixed */
    uint8_t *last_in, *last_zin; /* the last run's inputs */
    uint8_t *first_in;           /* the last first look's input */
    struct bd_rect last_zb;      /* and its box */
    struct bd_rect box;          /* the box for the next frames */
    int have_first, have_prev, first_age, need_first, parity;
    int held;    /* frames since the last run */
    int settled; /* the last run's picture was the one before's (the pair is complete) */
};

void bd_stream_policy_default(struct bd_stream_policy *p)
{
    *p = (struct bd_stream_policy){
        .mirror = BD_STREAM_MIRROR_BOTH, .first_every = 30, .skip_psnr = 40.0, .hold = 2,
        .cut_psnr = 25.0};
}

void bd_stream_policy_full(struct bd_stream_policy *p)
{
    *p = (struct bd_stream_policy){.mirror = BD_STREAM_MIRROR_BOTH, .first_every = 1};
}

void bd_stream_policy_rate(struct bd_stream_policy *p, double fps)
{
    if (fps > 0)
        p->hold = (int)lround(p->hold * fps / 30.0);
}

int bd_stream_policy_parse(const char *text, struct bd_stream_policy *p)
{
    struct bd_stream_policy q = *p;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *v = strchr(t, '=');
        if (!v)
            return -1;
        *v++ = 0;
        char *end;
        if (!strcmp(t, "mirror")) {
            if (!strcmp(v, "both"))
                q.mirror = BD_STREAM_MIRROR_BOTH;
            else if (!strcmp(v, "alt"))
                q.mirror = BD_STREAM_MIRROR_ALTERNATE;
            else if (!strcmp(v, "off"))
                q.mirror = BD_STREAM_MIRROR_OFF;
            else
                return -1;
        } else if (!strcmp(t, "first")) {
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1000)
                return -1;
            q.first_every = (int)n;
        } else if (!strcmp(t, "hold")) {
            long n = strtol(v, &end, 10);
            if (*end || n < 0 || n > 100)
                return -1;
            q.hold = (int)n;
        } else if (!strcmp(t, "cut")) {
            double d = strtod(v, &end);
            if (*end || d < 0 || d > 100)
                return -1;
            q.cut_psnr = d;
        } else if (!strcmp(t, "skip")) {
            double d = strtod(v, &end);
            if (*end || d < 0 || d > 100)
                return -1;
            q.skip_psnr = d;
        } else {
            return -1;
        }
    }
    *p = q;
    return 0;
}

enum bd_status bd_stream_create(struct bd_engine *e, struct bd_engine *ze, int fw, int fh,
                                int class_index, const struct bd_stream_policy *pol,
                                struct bd_stream **out)
{
    if (!e || !pol || !out || fw < 1 || fh < 1)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_stream_create: bad arguments");
    struct bd_stream *s = calloc(1, sizeof *s);
    if (!s)
        return bd_fail(BD_ERR_NOMEM, "out of memory for the stream");
    struct bd_model_info info;
    bd_model_get_info(bd_engine_model(e), &info);
    s->e = e;
    s->ze = ze;
    s->pol = *pol;
    s->class_index = class_index;
    if (s->pol.first_every < 1)
        s->pol.first_every = 1;
    s->fw = fw;
    s->fh = fh;
    s->in_w = info.in_width;
    s->in_h = info.in_height;
    s->pw = info.out_width;
    s->ph = info.out_height;
    if (ze) {
        bd_model_get_info(bd_engine_model(ze), &info);
        s->zin_w = info.in_width;
        s->zin_h = info.in_height;
        s->zw = info.out_width;
        s->zh = info.out_height;
    }
    const size_t n = (size_t)s->pw * s->ph;
    s->first = malloc(sizeof(float) * n);
    s->zp_first = malloc(sizeof(float) * n);
    s->cur = malloc(sizeof(float) * n);
    s->prev = malloc(sizeof(float) * n);
    s->zp = malloc(sizeof(float) * ((size_t)s->zw * s->zh + 1));
    s->last_in = malloc((size_t)s->in_w * s->in_h * 3);
    s->first_in = malloc((size_t)s->in_w * s->in_h * 3);
    s->last_zin = malloc((size_t)s->zin_w * s->zin_h * 3 + 1);
    if (!s->first || !s->zp_first || !s->cur || !s->prev || !s->zp || !s->last_in || !s->last_zin || !s->first_in) {
        bd_stream_destroy(s);
        return bd_fail(BD_ERR_NOMEM, "out of memory for the stream");
    }
    *out = s;
    return BD_OK;
}

void bd_stream_destroy(struct bd_stream *s)
{
    if (!s)
        return;
    free(s->first);
    free(s->zp_first);
    free(s->cur);
    free(s->prev);
    free(s->zp);
    free(s->last_in);
    free(s->last_zin);
    free(s->first_in);
    free(s);
}

void bd_stream_reset(struct bd_stream *s)
{
    if (!s)
        return;
    s->have_first = s->have_prev = s->first_age = s->need_first = s->parity = s->held = s->settled = 0;
    s->box = s->last_zb = (struct bd_rect){0, 0, 0, 0};
}

/* The sum of squared differences of n bytes, n <= PSNR_CHUNK (16384 *
 * 255^2 fits 32 bits). The one-accumulator loop stayed scalar at -O2:
 * 2.3% of the camera's CPU at 720p in perf, on every frame. */
#define PSNR_CHUNK 16384
static uint32_t ssd_chunk(const uint8_t *p, const uint8_t *q, int n)
{
    /* 16 lanes of a fixed count: what GCC's -O2 vectoriser takes */
    uint32_t lane[16] = {0};
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int k = 0; k < 16; k++) {
            const int d = (int)p[x + k] - (int)q[x + k];
            lane[k] += (uint32_t)(d * d);
        }
    uint32_t rs = 0;
    for (; x < n; x++) {
        const int d = (int)p[x] - (int)q[x];
        rs += (uint32_t)(d * d);
    }
    for (int k = 0; k < 16; k++)
        rs += lane[k];
    return rs;
}

/* The PSNR of two images of h rows of n bytes. */
static double psnr_2d(const uint8_t *a, int as, const uint8_t *b, int bs, int n, int h)
{
    uint64_t sum = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *p = a + (size_t)y * as, *q = b + (size_t)y * bs;
        for (int x = 0; x < n; x += PSNR_CHUNK)
            sum += ssd_chunk(p + x, q + x, n - x < PSNR_CHUNK ? n - x : PSNR_CHUNK);
    }
    if (!sum)
        return INFINITY;
    return 10.0 * log10(65025.0 * (double)n * h / (double)sum);
}

double bd_stream_psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
    return psnr_2d(a, 0, b, 0, (int)n, 1);
}

/* The weight of prev: a half (the mirror average) while the two maps
 * agree to 0.25, nothing from 0.75 on: there the person moved (or the
 * scene changed), and an average would put the edge half a frame behind. */
void bd_stream_mix(float *out, const float *cur, const float *prev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float d = fabsf(cur[i] - prev[i]);
        const float w = d <= 0.25f ? 0.5f : d >= 0.75f ? 0.f : 0.75f - d;
        out[i] = cur[i] + w * (prev[i] - cur[i]);
    }
}

static int same_box(const struct bd_rect *a, const struct bd_rect *b)
{
    return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

/* The mean |difference| (levels, over an 8x8 block of the first look's
 * input and its three channels) from which the picture outside the box has
 * changed. Sensor noise at the model's size stays near 1; the bench clip's
 * slow camera pan reaches 11 at the monitor's edge, where 6 took the first
 * look on most frames (bench/cpu-defaults.md); a hand or a face over a
 * room differs by tens of levels. */
#define OUTSIDE_LEVELS 16

/* 1 when the picture changed outside the box (frame pixels) since the last
 * first look, whose input was old (w x h RGB24, this picture's size).
 * Someone coming in, or a hand reaching out of the box, is then seen by
 * the first look at once instead of at the next periodic one. */
static int outside_changed(const uint8_t *cur, int stride, const uint8_t *old, int w, int h,
                           int fw, int fh, const struct bd_rect *box)
{
    /* the box in input pixels, rounded inwards: a block counts as inside
     * only when it lies entirely within the box */
    const double sx = (double)w / fw, sy = (double)h / fh;
    const int bx0 = (int)ceil(box->x * sx), bx1 = (int)floor((box->x + box->w) * sx);
    const int by0 = (int)ceil(box->y * sy), by1 = (int)floor((box->y + box->h) * sy);
    for (int y0 = 0; y0 < h; y0 += 8) {
        const int y1 = y0 + 8 < h ? y0 + 8 : h;
        for (int x0 = 0; x0 < w; x0 += 8) {
            const int x1 = x0 + 8 < w ? x0 + 8 : w;
            if (x0 >= bx0 && x1 <= bx1 && y0 >= by0 && y1 <= by1)
                continue;
            int sum = 0;
            for (int y = y0; y < y1; y++) {
                const uint8_t *p = cur + (size_t)y * stride + (size_t)x0 * 3;
                const uint8_t *q = old + ((size_t)y * w + (size_t)x0) * 3;
                for (int i = 0; i < (x1 - x0) * 3; i++)
                    sum += abs((int)p[i] - (int)q[i]);
            }
            if (sum > OUTSIDE_LEVELS * 3 * (x1 - x0) * (y1 - y0))
                return 1;
        }
    }
    return 0;
}

enum bd_status bd_stream_segment(struct bd_stream *s, const uint8_t *rgb, int stride,
                                 const uint8_t *zrgb, int zstride, const struct bd_rect *zb,
                                 int (*stop)(void *), void *opaque, float *prob,
                                 struct bd_stream_look *look)
{
    if (!s || !rgb || !prob || !look)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_stream_segment: bad arguments");
    memset(look, 0, sizeof *look);
    const int boxed = s->ze && zrgb && zb && zb->w > 0 && zb->h > 0;
    const struct bd_rect nobox = {0, 0, 0, 0}, *b = boxed ? zb : &nobox;
    const size_t n = (size_t)s->pw * s->ph;
    const int row = s->in_w * 3, zrow = s->zin_w * 3;

    /* Nothing changed since the last run (the box included): the old map
     * stands. */
    int settled = 0;
    if (s->have_prev && same_box(b, &s->last_zb) && (s->pol.skip_psnr > 0 || s->held < s->pol.hold)) {
        double q = psnr_2d(rgb, stride, s->last_in, row, row, s->in_h);
        if (boxed && q >= s->pol.cut_psnr) {
            const double zq = psnr_2d(zrgb, zstride, s->last_zin, zrow, zrow, s->zin_h);
            q = zq < q ? zq : q;
        }
        /* unchanged: skipped once the mirror pair is complete (settled),
         * else this run completes it */
        const int unchanged = s->pol.skip_psnr > 0 && q >= s->pol.skip_psnr;
        if ((unchanged && s->settled) || (s->held < s->pol.hold && q >= s->pol.cut_psnr)) {
            s->held++;
            look->skipped = 1;
            look->box = s->box;
            return BD_OK;
        }
        settled = unchanged;
    }
    s->held = 0;

    const int alt = s->pol.mirror == BD_STREAM_MIRROR_ALTERNATE;
    struct bd_segment_options so = {.class_index = s->class_index,
                                    .mirror_average = s->pol.mirror == BD_STREAM_MIRROR_BOTH,
                                    .mirrored = alt && s->parity,
                                    .skip_mirror = stop,
                                    .opaque = opaque};
    const int take_first = !boxed || !s->have_first || s->need_first ||
                           s->first_age + 1 >= s->pol.first_every ||
                           outside_changed(rgb, stride, s->first_in, s->in_w, s->in_h, s->fw,
                                           s->fh, b);
    enum bd_status r;
    if (take_first) {
        struct bd_segment_options fo = so;
        if (boxed)
            fo.mirror_average = 0; /* the mirror run goes to the second look */
        r = bd_engine_segment_rgb(s->e, rgb, stride, s->in_w, s->in_h, &fo, s->zp_first);
        if (r != BD_OK)
            return r;
        /* first looks alternate too: the one kept for under the box is
         * averaged with the one before (outside the box it stands for
         * many frames, and a lone plain or mirrored map there flickered
         * when renewed: bench/cpu-defaults.md) */
        if (alt && s->have_first)
            bd_stream_mix(s->first, s->zp_first, s->first, n);
        else
            memcpy(s->first, s->zp_first, sizeof(float) * n);
        s->have_first = 1;
        s->first_age = 0;
        for (int y = 0; y < s->in_h; y++)
            memcpy(s->first_in + (size_t)y * row, rgb + (size_t)y * stride, (size_t)row);
        look->first = 1;
        look->runs += 1 + (fo.mirror_average != 0);
    } else {
        s->first_age++;
    }
    /* without a box the new look is the map (mixed below, once) */
    memcpy(s->cur, boxed ? s->first : s->zp_first, sizeof(float) * n);
    if (boxed) {
        r = bd_engine_segment_rgb(s->ze, zrgb, zstride, s->zin_w, s->zin_h, &so, s->zp);
        if (r != BD_OK)
            return r;
        look->second = 1;
        look->runs += 1 + (so.mirror_average != 0);
        /* 0: the second look saw nobody, the first look stays (zoom.h);
         * the next run takes a fresh one */
        look->fused = bd_zoom_fuse(s->cur, s->pw, s->ph, s->fw, s->fh, zb, s->zp, s->zw, s->zh);
        s->need_first = !look->fused;
    }
    look->mirrored = so.mirrored;
    if (alt && s->have_prev) {
        bd_stream_mix(prob, s->cur, s->prev, n);
        look->mixed = 1;
    } else {
        memcpy(prob, s->cur, sizeof(float) * n);
    }
    /* The box for the next frames, kept steady (zoom.h): from the first
     * look, as a still's zoom, but the one kept (alternate: averaged with
     * the one before; a single run's box jumped between two widths every
     * frame, the plain and the mirrored run disagreeing at a blob beside
     * the person). The fused map's box is no good: the sharper second
     * look puts the person's box near the frame's size, no zoom, and the
     * zoom came and went (test_pipeline's zoom test: 23 of 30 frames). */
    struct bd_rect box;
    if (s->ze && bd_zoom_find(s->first, s->pw, s->ph, s->fw, s->fh, s->zin_w, s->zin_h, &box))
        s->box = bd_zoom_settle(&s->box, &box, s->fw, s->fh);
    else
        s->box = nobox;
    look->box = s->box;
    float *t = s->prev;
    s->prev = s->cur;
    s->cur = t;
    s->have_prev = 1;
    s->parity ^= 1;
    for (int y = 0; y < s->in_h; y++)
        memcpy(s->last_in + (size_t)y * row, rgb + (size_t)y * stride, (size_t)row);
    if (boxed)
        for (int y = 0; y < s->zin_h; y++)
            memcpy(s->last_zin + (size_t)y * zrow, zrgb + (size_t)y * zstride, (size_t)zrow);
    s->last_zb = *b;
    s->settled = settled;
    return BD_OK;
}
