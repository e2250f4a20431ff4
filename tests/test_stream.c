/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The camera's inference policy (src/model/stream.c), on real models and
 * the dev portraits placed in a 1280x720 frame:
 *  - bd_segment_options.mirrored is exactly the model on the mirror image,
 *    mirrored back, and the mirror average is the mean of it and the plain
 *    run;
 *  - alternate mirroring really alternates, and averages: two runs on one
 *    picture give the mirror average where the maps agree, the new run
 *    where they do not (bd_stream_mix);
 *  - the second look alone while the picture outside the box stands; the
 *    first look every first_every runs, and at once when the picture
 *    changed outside the box (the person moved, a hand reached out);
 *  - no run on an unchanged picture once the mirror pair is complete; a
 *    run when it changed; hold lets a run's map stand one frame more;
 *  - the policy's text (BACKDROP_STREAM).
 * Needs ../shared/data/portraits-dev.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>
#include <libyuv/scale_rgb.h>

#include "backdrop.h"
#include "check.h"
#include "model/stream.h"
#include "model/zoom.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* Portrait NAME scaled to 60% of a 1280x720 frame's height, the middle of
 * the person at x = cx, feet cut by the bottom; the photo's edge pixels
 * replicated around it. */
static uint8_t *place(const char *name, double cx)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "../shared/data/portraits-dev/image/%s.jpg", name);
    snprintf(b, sizeof b, "../shared/data/portraits-dev/alpha/%s.png", name);
    struct bd_image im, al;
    if (bd_image_load(a, 0, &im) != BD_OK)
        return NULL;
    if (bd_image_load(b, 0, &al) != BD_OK) {
        bd_image_free(&im);
        return NULL;
    }
    int bx0 = al.width, bx1 = -1, by0 = al.height, by1 = -1;
    for (int y = 0; y < al.height; y++)
        for (int x = 0; x < al.width; x++)
            if (al.data[(size_t)y * al.stride + (size_t)x * al.channels] >= 128) {
                bx0 = x < bx0 ? x : bx0;
                bx1 = x > bx1 ? x : bx1;
                by0 = y < by0 ? y : by0;
                by1 = y > by1 ? y : by1;
            }
    const int W = 1280, H = 720;
    const double s = 0.6 * H / (by1 - by0 + 1);
    const int pw = (int)(im.width * s), ph = (int)(im.height * s);
    const int x0 = (int)(cx - (bx0 + bx1 + 1) / 2.0 * s), y0 = (int)(H - (by1 + 1) * s);
    uint8_t *srgb = xmalloc((size_t)pw * ph * 3), *rgb = xmalloc((size_t)W * H * 3);
    RGBScale(im.data, im.stride, im.width, im.height, srgb, pw * 3, pw, ph, kFilterBilinear);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int sx = x - x0, sy = y - y0;
            sx = sx < 0 ? 0 : sx >= pw ? pw - 1 : sx;
            sy = sy < 0 ? 0 : sy >= ph ? ph - 1 : sy;
            memcpy(rgb + ((size_t)y * W + x) * 3, srgb + ((size_t)sy * pw + sx) * 3, 3);
        }
    free(srgb);
    bd_image_free(&im);
    bd_image_free(&al);
    return rgb;
}

/* rgb (w x h) scaled to mw x mh as the engine scales (per plane, bilinear) */
static void to_model(const uint8_t *rgb, int stride, int w, int h, int mw, int mh, uint8_t *out)
{
    const size_t n = (size_t)w * h, m = (size_t)mw * mh;
    uint8_t *pl = xmalloc(3 * (n + m)), *small = pl + 3 * n;
    SplitRGBPlane(rgb, stride, pl, w, pl + n, w, pl + 2 * n, w, w, h);
    for (int c = 0; c < 3; c++)
        ScalePlane(pl + (size_t)c * n, w, w, h, small + (size_t)c * m, mw, mw, mh, kFilterBilinear);
    MergeRGBPlane(small, mw, small + m, mw, small + 2 * m, mw, out, mw * 3, mw, mh);
    free(pl);
}

struct models {
    struct bd_model *gm, *lm;
    struct bd_engine *ge, *le;
    struct bd_model_info gi, li;
};

static int models_open(struct models *m)
{
    memset(m, 0, sizeof *m);
    if (bd_model_open("general", &m->gm) != BD_OK || bd_engine_create(m->gm, NULL, &m->ge) != BD_OK ||
        bd_model_open("landscape", &m->lm) != BD_OK ||
        bd_engine_create(m->lm, NULL, &m->le) != BD_OK) {
        CHECK(0, "models: %s", bd_last_error());
        return -1;
    }
    bd_model_get_info(m->gm, &m->gi);
    bd_model_get_info(m->lm, &m->li);
    return 0;
}

static void models_close(struct models *m)
{
    bd_engine_destroy(m->ge);
    bd_engine_destroy(m->le);
    bd_model_destroy(m->gm);
    bd_model_destroy(m->lm);
}

/* ---- the engine's mirrored run ---------------------------------------- */

static void test_mirrored(struct models *m, const uint8_t *frame)
{
    const int mw = m->gi.in_width, mh = m->gi.in_height, ow = m->gi.out_width, oh = m->gi.out_height;
    const size_t n = (size_t)ow * oh;
    uint8_t *in = xmalloc((size_t)mw * mh * 3), *flip = xmalloc((size_t)mw * mh * 3);
    to_model(frame, 1280 * 3, 1280, 720, mw, mh, in);
    for (int y = 0; y < mh; y++)
        for (int x = 0; x < mw; x++)
            memcpy(flip + ((size_t)y * mw + x) * 3, in + ((size_t)y * mw + (mw - 1 - x)) * 3, 3);
    float *plain = xmalloc(sizeof(float) * n), *mir = xmalloc(sizeof(float) * n);
    float *of_flip = xmalloc(sizeof(float) * n), *avg = xmalloc(sizeof(float) * n);
    struct bd_segment_options po = {.class_index = -1}, mo = {.class_index = -1, .mirrored = 1};
    struct bd_segment_options ao = {.class_index = -1, .mirror_average = 1};
    int ok = bd_engine_segment_rgb(m->ge, in, mw * 3, mw, mh, &po, plain) == BD_OK &&
             bd_engine_segment_rgb(m->ge, in, mw * 3, mw, mh, &mo, mir) == BD_OK &&
             bd_engine_segment_rgb(m->ge, flip, mw * 3, mw, mh, &po, of_flip) == BD_OK &&
             bd_engine_segment_rgb(m->ge, in, mw * 3, mw, mh, &ao, avg) == BD_OK;
    CHECK(ok, "segment: %s", bd_last_error());
    double e_flip = 0, e_avg = 0, differ = 0;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            const size_t i = (size_t)y * ow + x;
            e_flip = fmax(e_flip, fabs(mir[i] - of_flip[(size_t)y * ow + (ow - 1 - x)]));
            e_avg = fmax(e_avg, fabs(avg[i] - 0.5 * (plain[i] + mir[i])));
            differ = fmax(differ, fabs(mir[i] - plain[i]));
        }
    CHECK(e_flip == 0, "mirrored is not the mirror image's map mirrored back (off by %g)", e_flip);
    CHECK(e_avg < 1e-6, "the mirror average is not the mean of plain and mirrored (off by %g)",
          e_avg);
    CHECK(differ > 0.05, "the mirrored run's map is the plain one (differs by %g at most)", differ);
    struct bd_segment_options bad = {.class_index = -1, .mirrored = 1, .zoom = 1};
    CHECK(bd_engine_segment_rgb(m->ge, in, mw * 3, mw, mh, &bad, avg) == BD_ERR_INVALID_ARG,
          "mirrored with zoom accepted");
    free(in);
    free(flip);
    free(plain);
    free(mir);
    free(of_flip);
    free(avg);
}

/* ---- mix and psnr ------------------------------------------------------- */

static void test_mix_psnr(void)
{
    const float cur[5] = {0.5f, 0.2f, 1.f, 0.f, 0.6f};
    const float prev[5] = {0.5f, 0.4f, 0.f, 0.5f, 0.f};
    float out[5];
    bd_stream_mix(out, cur, prev, 5);
    /* agree to 0.25: the mean; 0.75 apart or more: cur; 0.5 apart: weight 0.25 */
    const float want[5] = {0.5f, 0.3f, 1.f, 0.125f, 0.6f - 0.6f * 0.15f};
    for (int i = 0; i < 5; i++)
        CHECK(fabsf(out[i] - want[i]) < 1e-6f, "mix[%d] = %g, want %g", i, out[i], want[i]);
    uint8_t a[100], b[100];
    for (int i = 0; i < 100; i++)
        a[i] = b[i] = (uint8_t)(i * 2);
    CHECK(isinf(bd_stream_psnr(a, b, 100)), "equal images: PSNR %g", bd_stream_psnr(a, b, 100));
    b[7] += 10; /* MSE 1: 48.13 dB */
    CHECK(fabs(bd_stream_psnr(a, b, 100) - 48.1308) < 1e-3, "PSNR %g, want 48.13",
          bd_stream_psnr(a, b, 100));
    /* the vectorised sum (16 lanes, 16384-byte chunks) against a plain
     * one on random bytes: odd lengths around both, unaligned starts,
     * and the largest differences (0 against 255) */
    const size_t big = 3 * 16384 + 50;
    uint8_t *x = xmalloc(big + 8), *y = xmalloc(big + 8);
    uint32_t seed = 12345;
    for (size_t i = 0; i < big + 8; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (uint8_t)(seed >> 24);
        y[i] = (uint8_t)(seed >> 16);
    }
    const size_t lens[] = {1, 15, 16, 17, 255, 16383, 16384, 16385, 2 * 16384 + 31, big};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (int off = 0; off < 3; off++) {
            const size_t n = lens[li];
            double ssd = 0;
            for (size_t i = 0; i < n; i++) {
                const double d = (double)x[off + i] - (double)y[2 * off + i];
                ssd += d * d;
            }
            const double want = 10.0 * log10(65025.0 * (double)n / ssd);
            const double got = bd_stream_psnr(x + off, y + 2 * off, n);
            CHECK(fabs(got - want) < 1e-9, "PSNR of %zu random bytes at +%d: %.12g, want %.12g",
                  n, off, got, want);
        }
    memset(x, 0, big);
    memset(y, 255, big);
    CHECK(fabs(bd_stream_psnr(x, y, big)) < 1e-9, "0 against 255: PSNR %g, want 0",
          bd_stream_psnr(x, y, big));
    free(x);
    free(y);
}

/* ---- the policy on frames ----------------------------------------------- */

struct feed {
    struct models *m;
    struct bd_stream *s;
    uint8_t *in, *zin;
    float *prob;
};

/* One frame through the stream with box *zb (updated to the next one). */
static int step(struct feed *f, const uint8_t *frame, struct bd_rect *zb, struct bd_stream_look *look)
{
    const struct models *m = f->m;
    to_model(frame, 1280 * 3, 1280, 720, m->li.in_width, m->li.in_height, f->in);
    if (zb->w > 0)
        to_model(frame + (size_t)zb->y * 1280 * 3 + (size_t)zb->x * 3, 1280 * 3, zb->w, zb->h,
                 m->gi.in_width, m->gi.in_height, f->zin);
    int r = bd_stream_segment(f->s, f->in, m->li.in_width * 3, f->zin, m->gi.in_width * 3, zb, NULL,
                              NULL, f->prob, look);
    CHECK(r == BD_OK, "bd_stream_segment: %s", bd_last_error());
    *zb = look->box;
    return r;
}

static int feed_open(struct feed *f, struct models *m, const struct bd_stream_policy *pol, int zoom)
{
    f->m = m;
    f->in = xmalloc((size_t)m->li.in_width * m->li.in_height * 3);
    f->zin = xmalloc((size_t)m->gi.in_width * m->gi.in_height * 3);
    f->prob = xmalloc(sizeof(float) * (size_t)m->li.out_width * m->li.out_height);
    int r = bd_stream_create(m->le, zoom ? m->ge : NULL, 1280, 720, -1, pol, &f->s);
    CHECK(r == BD_OK, "bd_stream_create: %s", bd_last_error());
    return r;
}

static void feed_close(struct feed *f)
{
    bd_stream_destroy(f->s);
    free(f->in);
    free(f->zin);
    free(f->prob);
}

/* Without a box: runs alternate plain / mirrored; the second run's map is
 * the mix of the two single runs (and on one picture, the mirror average
 * where they agree). */
static void test_alternate(struct models *m, const uint8_t *frame)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    pol.mirror = BD_STREAM_MIRROR_ALTERNATE;
    pol.skip_psnr = 0;
    pol.hold = 0;
    struct feed f;
    if (feed_open(&f, m, &pol, 0) != BD_OK)
        return;
    const int lw = m->li.in_width, lh = m->li.in_height;
    const size_t n = (size_t)m->li.out_width * m->li.out_height;
    float *plain = xmalloc(sizeof(float) * n), *mir = xmalloc(sizeof(float) * n);
    float *want = xmalloc(sizeof(float) * n), *p1 = xmalloc(sizeof(float) * n);
    struct bd_rect zb = {0, 0, 0, 0};
    struct bd_stream_look l1, l2, l3;
    step(&f, frame, &zb, &l1);
    memcpy(p1, f.prob, sizeof(float) * n);
    step(&f, frame, &zb, &l2);
    struct bd_segment_options po = {.class_index = -1}, mo = {.class_index = -1, .mirrored = 1};
    bd_engine_segment_rgb(m->le, f.in, lw * 3, lw, lh, &po, plain);
    bd_engine_segment_rgb(m->le, f.in, lw * 3, lw, lh, &mo, mir);
    CHECK(!l1.mirrored && l2.mirrored && l1.runs == 1 && l2.runs == 1 && l1.first && l2.first &&
              !l1.mixed && l2.mixed,
          "alternate: runs %d/%d, mirrored %d/%d, mixed %d/%d (want 1/1, 0/1, 0/1)", l1.runs,
          l2.runs, l1.mirrored, l2.mirrored, l1.mixed, l2.mixed);
    CHECK(memcmp(p1, plain, sizeof(float) * n) == 0, "alternate: the first run is not the plain map");
    bd_stream_mix(want, mir, plain, n);
    CHECK(memcmp(f.prob, want, sizeof(float) * n) == 0,
          "alternate: the second map is not the mix of the mirrored and the plain run");
    size_t agree = 0, at_mean = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(plain[i] - mir[i]) <= 0.25f) {
            agree++;
            at_mean += fabsf(f.prob[i] - 0.5f * (plain[i] + mir[i])) < 1e-6f;
        }
    CHECK(agree > n / 2 && at_mean == agree, "alternate: %zu of %zu agreeing cells at the mean",
          at_mean, agree);
    step(&f, frame, &zb, &l3);
    CHECK(!l3.mirrored && l3.mixed, "alternate: the third run is not plain again");
    free(plain);
    free(mir);
    free(want);
    free(p1);
    feed_close(&f);
}

/* With the zoom: the second look alone while the picture outside the box
 * stands, the first look every first_every runs and when the person
 * moved. */
static void test_second_look(struct models *m, const uint8_t *left, const uint8_t *right)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    pol.mirror = BD_STREAM_MIRROR_ALTERNATE;
    pol.skip_psnr = 0;
    pol.hold = 0;
    pol.first_every = 4;
    struct feed f;
    if (feed_open(&f, m, &pol, 1) != BD_OK)
        return;
    struct bd_rect zb = {0, 0, 0, 0};
    struct bd_stream_look l;
    step(&f, left, &zb, &l);
    CHECK(l.first && !l.second && l.runs == 1 && zb.w > 0 && zb.x + zb.w < 900,
          "no box yet: first %d second %d runs %d, box x %d w %d", l.first, l.second, l.runs, zb.x,
          zb.w);
    /* the same picture: the second look alone, a first look every 4 runs */
    int firsts = 0, runs = 0, seconds = 0;
    for (int i = 0; i < 8; i++) {
        step(&f, left, &zb, &l);
        firsts += l.first;
        runs += l.runs;
        seconds += l.second && l.fused;
    }
    CHECK(seconds == 8 && firsts == 2 && runs == 10,
          "still picture: %d first looks, %d second looks, %d runs in 8 frames (want 2, 8, 10)",
          firsts, seconds, runs);
    /* the person moved across the frame (the old box given): the picture
     * outside the box changed, so the first look is taken at once */
    step(&f, right, &zb, &l);
    CHECK(l.first && l.second, "moved: first %d second %d", l.first, l.second);
    CHECK(zb.x > 500, "moved: the box stayed at x %d", zb.x);
    feed_close(&f);
}

/* The defaults: both mirror runs in each second look, the first look
 * (plain) only when needed: two runs a frame on a still picture, three
 * with a first look. */
static void test_both(struct models *m, const uint8_t *left)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    pol.skip_psnr = 0;
    pol.hold = 0;
    pol.first_every = 4;
    struct feed f;
    if (feed_open(&f, m, &pol, 1) != BD_OK)
        return;
    struct bd_rect zb = {0, 0, 0, 0};
    struct bd_stream_look l;
    step(&f, left, &zb, &l);
    CHECK(l.first && l.runs == 2 && !l.mixed, "both, no box: first %d, runs %d (want 1, 2)", l.first,
          l.runs);
    int firsts = 0, runs = 0, seconds = 0, mirrored = 0, mixed = 0;
    for (int i = 0; i < 8; i++) {
        step(&f, left, &zb, &l);
        firsts += l.first;
        runs += l.runs;
        seconds += l.second && l.fused;
        mirrored += l.mirrored;
        mixed += l.mixed;
    }
    CHECK(seconds == 8 && firsts == 2 && runs == 18 && !mirrored && !mixed,
          "both: %d first looks, %d second looks, %d runs in 8 frames, %d mirrored, %d mixed "
          "(want 2, 8, 18, 0, 0)",
          firsts, seconds, runs, mirrored, mixed);
    feed_close(&f);
}

/* The picture changed outside the box (a patch of another colour, as a
 * hand reaching out): a first look; the same patch inside the box: none. */
static void test_outside(struct models *m, const uint8_t *left)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    pol.mirror = BD_STREAM_MIRROR_ALTERNATE;
    pol.skip_psnr = 0;
    pol.hold = 0;
    pol.first_every = 100;
    struct feed f;
    if (feed_open(&f, m, &pol, 1) != BD_OK)
        return;
    const size_t N = (size_t)1280 * 720 * 3;
    uint8_t *pic = xmalloc(N);
    struct bd_rect zb = {0, 0, 0, 0};
    struct bd_stream_look l;
    for (int i = 0; i < 3; i++)
        step(&f, left, &zb, &l);
    CHECK(!l.first && l.second && zb.w > 0, "settled: first %d second %d", l.first, l.second);
    /* a 60x60 patch, 40 levels off, in the middle of the box */
    memcpy(pic, left, N);
    const int ix = zb.x + zb.w / 2 - 30, iy = zb.y + zb.h / 2 - 30;
    for (int y = iy; y < iy + 60; y++)
        for (int x = ix * 3; x < (ix + 60) * 3; x++) {
            uint8_t *v = pic + (size_t)y * 1280 * 3 + x;
            *v = (uint8_t)(*v < 128 ? *v + 40 : *v - 40);
        }
    struct bd_rect keep = zb;
    step(&f, pic, &zb, &l);
    CHECK(!l.first && l.second, "a change inside the box took the first look");
    /* the same patch right of the box */
    memcpy(pic, left, N);
    const int ox = keep.x + keep.w + 100;
    CHECK(ox + 60 < 1280, "no room right of the box (it ends at %d)", keep.x + keep.w);
    for (int y = iy; y < iy + 60 && ox + 60 < 1280; y++)
        for (int x = ox * 3; x < (ox + 60) * 3; x++) {
            uint8_t *v = pic + (size_t)y * 1280 * 3 + x;
            *v = (uint8_t)(*v < 128 ? *v + 40 : *v - 40);
        }
    zb = keep;
    step(&f, pic, &zb, &l);
    CHECK(l.first && l.second, "a change outside the box: first %d second %d", l.first, l.second);
    free(pic);
    feed_close(&f);
}

/* Unchanged pictures: no run once the mirror pair is complete; a changed
 * one runs; hold lets a map stand one frame over a small change. */
static void test_skip(struct models *m, const uint8_t *left, const uint8_t *right)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    pol.mirror = BD_STREAM_MIRROR_ALTERNATE;
    pol.skip_psnr = 40;
    pol.hold = 0;
    struct feed f;
    if (feed_open(&f, m, &pol, 1) != BD_OK)
        return;
    struct bd_rect zb = {0, 0, 0, 0};
    struct bd_stream_look l;
    int skipped = 0, runs = 0, paired = 0, mirrored = 0;
    for (int i = 0; i < 8; i++) {
        step(&f, left, &zb, &l);
        /* the first skip comes after a plain and a mirrored run at the box */
        if (l.skipped && !skipped)
            paired = mirrored == 3;
        if (!l.skipped && l.second)
            mirrored |= 1 << l.mirrored;
        skipped += l.skipped;
        runs += l.runs;
    }
    CHECK(skipped >= 4 && !l.first && l.skipped,
          "unchanged: %d of 8 frames skipped (the last: skipped %d)", skipped, l.skipped);
    CHECK(paired, "unchanged: skipped before both a plain and a mirrored second look (seen %#x)",
          mirrored);
    /* every 7th byte 3 levels off: noise, well above 40 dB at the model's
     * size (the whole picture's PSNR, not a row's) */
    uint8_t *nudged = xmalloc((size_t)1280 * 720 * 3);
    memcpy(nudged, left, (size_t)1280 * 720 * 3);
    for (size_t i = 0; i < (size_t)1280 * 720 * 3; i += 7)
        nudged[i] = (uint8_t)(nudged[i] < 250 ? nudged[i] + 3 : nudged[i] - 3);
    step(&f, nudged, &zb, &l);
    CHECK(l.skipped, "a picture with noise of 3 levels was not taken as unchanged");
    step(&f, right, &zb, &l);
    CHECK(!l.skipped && l.runs >= 1, "changed picture skipped");
    feed_close(&f);

    pol.skip_psnr = 0;
    pol.hold = 1;
    pol.cut_psnr = 25;
    if (feed_open(&f, m, &pol, 1) == BD_OK) {
        zb = (struct bd_rect){0, 0, 0, 0};
        for (int i = 0; i < 3; i++) /* until the box settles */
            step(&f, left, &zb, &l);
        int pattern = 0;
        for (int i = 0; i < 6; i++) {
            step(&f, i % 2 ? nudged : left, &zb, &l);
            pattern = pattern << 1 | l.skipped;
        }
        /* run, hold, run, hold, ... */
        CHECK(pattern == 0x15 || pattern == 0x2a,
              "hold 1: skip pattern %#x over 6 frames, want 0x15 or 0x2a", pattern);
        /* right after a run, where hold would keep the map: the person
         * jumped across the frame (below cut), so a run */
        for (int i = 0; i < 2 && l.skipped; i++)
            step(&f, left, &zb, &l);
        step(&f, right, &zb, &l);
        CHECK(!l.skipped, "hold 1: a cut (the person jumped) was held");
        feed_close(&f);
    }
    /* the default hold: a run's map stands two frames more */
    pol.hold = 2;
    if (feed_open(&f, m, &pol, 1) == BD_OK) {
        zb = (struct bd_rect){0, 0, 0, 0};
        for (int i = 0; i < 3; i++)
            step(&f, left, &zb, &l);
        int pattern = 0;
        for (int i = 0; i < 6; i++) {
            step(&f, i % 2 ? nudged : left, &zb, &l);
            pattern = pattern << 1 | l.skipped;
        }
        /* run, hold, hold, run, hold, hold (in any phase) */
        CHECK(pattern == 0x1b || pattern == 0x36 || pattern == 0x2d,
              "hold 2: skip pattern %#x over 6 frames, want 0x1b, 0x36 or 0x2d", pattern);
        feed_close(&f);
    }
    free(nudged);
}

static void test_parse(void)
{
    struct bd_stream_policy p;
    bd_stream_policy_default(&p);
    CHECK(p.mirror == BD_STREAM_MIRROR_BOTH && p.first_every == 30 && p.skip_psnr == 40 &&
              p.hold == 2 && p.cut_psnr == 25,
          "defaults: mirror %d, first every %d, skip %g, hold %d, cut %g (want both, 30, 40, 2, 25)",
          p.mirror, p.first_every, p.skip_psnr, p.hold, p.cut_psnr);
    CHECK(bd_stream_policy_parse("mirror=both,first=1,skip=0,hold=2,cut=20", &p) == 0 &&
              p.mirror == BD_STREAM_MIRROR_BOTH && p.first_every == 1 && p.skip_psnr == 0 &&
              p.hold == 2 && p.cut_psnr == 20,
          "parse: mirror %d first %d skip %g hold %d cut %g", p.mirror, p.first_every, p.skip_psnr,
          p.hold, p.cut_psnr);
    CHECK(bd_stream_policy_parse("mirror=sideways", &p) == -1 && p.mirror == BD_STREAM_MIRROR_BOTH,
          "a bad mirror value was taken");
    /* hold is a time (frames at 30 fps): 1 and the default 2 */
    const double rates[] = {60, 59.94, 50, 30, 29.97, 25, 15, 10, 0};
    const int holds1[] = {2, 2, 2, 1, 1, 1, 1, 0, 1};
    const int holds2[] = {4, 4, 3, 2, 2, 2, 1, 1, 2};
    for (int i = 0; i < 9; i++) {
        struct bd_stream_policy q;
        bd_stream_policy_default(&q);
        q.hold = 1;
        bd_stream_policy_rate(&q, rates[i]);
        CHECK(q.hold == holds1[i], "hold 1 at %g fps: %d frames, want %d", rates[i], q.hold,
              holds1[i]);
        bd_stream_policy_default(&q);
        bd_stream_policy_rate(&q, rates[i]);
        CHECK(q.hold == holds2[i], "hold 2 at %g fps: %d frames, want %d", rates[i], q.hold,
              holds2[i]);
    }
    CHECK(bd_stream_policy_parse("first=0", &p) == -1 && bd_stream_policy_parse("x=1", &p) == -1 &&
              bd_stream_policy_parse("skip", &p) == -1,
          "bad policy text accepted");
}

int main(void)
{
    test_mix_psnr();
    test_parse();
    struct models m;
    if (models_open(&m) != 0)
        return check_report();
    uint8_t *left = place("p_22fc0130", 400), *right = place("p_22fc0130", 950);
    if (!left || !right) {
        CHECK(0, "cannot read the portrait (../shared/data/portraits-dev)");
    } else {
        test_mirrored(&m, left);
        test_alternate(&m, left);
        test_second_look(&m, left, right);
        test_outside(&m, left);
        test_both(&m, left);
        test_skip(&m, left, right);
    }
    free(left);
    free(right);
    models_close(&m);
    return check_report();
}
