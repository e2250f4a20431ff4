/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_filter on real frames: the doctor clip (../shared/data/video/
 * doctor_26732.mp4, 960x540) with the real built-in model.
 *  - effect color #00ff00 in every pixel format: the top corners (the
 *    wall) green, the doctor's face and coat not, and the mask says so;
 *  - exact mode: two runs byte-identical, and equal to the camera
 *    pipeline's own offline output of the same frames (one path);
 *    bd_filter_reset gives a fresh filter's output;
 *  - live mode with a model made 2 s slow (BACKDROP_INFER_DELAY_MS):
 *    frames never wait for it;
 *  - live settings: a new colour shows on the next frame; a bad value is
 *    refused with a message naming it, and the old one stays;
 *  - a new frame size and format mid-stream (and back), the settings kept;
 *  - bad frames refused;
 *  - a background handed in as pixels (bd_filter_set_background_image,
 *    RGBA and RGB, odd sizes, padded rows): shown on the next frame, kept
 *    through effect, fit and frame-size changes; bad images refused with
 *    the old background kept; a file set afterwards replaces it.
 * Run under SAN=1 for ASan/LSan (make asan).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>

#include "backdrop.h"
#include "capture/file_source.h"
#include "check.h"
#include "common/frame.h"
#include "test_util.h"

#define VIDEO "../shared/data/video/doctor_26732.mp4"
#define W 960
#define H 540
#define N 24

static uint8_t *clip_mem[N];
static struct bd_i420 clip[N];

static int load_clip(void)
{
    struct bd_file_source *src = NULL;
    struct bd_file_source_options o = {.loop = false, .threads = 1};
    if (bd_file_source_open(VIDEO, &o, &src) != BD_OK)
        return -1;
    const struct bd_file_source_info *fi = bd_file_source_info(src);
    int ok = fi->width == W && fi->height == H;
    for (int i = 0; ok && i < N; i++)
        ok = bd_i420_alloc(W, H, &clip_mem[i], &clip[i]) == BD_OK &&
             bd_file_source_read(src, &clip[i], NULL) == BD_OK;
    bd_file_source_close(src);
    return ok ? 0 : -1;
}

/* A frame of format fmt, w x h, with its own buffer. */
struct img {
    struct bd_video_frame v;
    uint8_t *mem;
};

static void img_alloc(struct img *m, enum bd_pixel_format fmt, int w, int h)
{
    memset(m, 0, sizeof *m);
    m->v.format = fmt;
    m->v.width = w;
    m->v.height = h;
    const int cw = w / 2, ch = h / 2;
    switch (fmt) {
    case BD_PIX_I420:
        m->mem = malloc((size_t)w * h + 2 * (size_t)cw * ch);
        m->v.data[0] = m->mem;
        m->v.data[1] = m->mem + (size_t)w * h;
        m->v.data[2] = m->v.data[1] + (size_t)cw * ch;
        m->v.stride[0] = w;
        m->v.stride[1] = m->v.stride[2] = cw;
        break;
    case BD_PIX_NV12:
        m->mem = malloc((size_t)w * h + (size_t)w * ch);
        m->v.data[0] = m->mem;
        m->v.data[1] = m->mem + (size_t)w * h;
        m->v.stride[0] = m->v.stride[1] = w;
        break;
    case BD_PIX_YUY2:
    case BD_PIX_UYVY:
        m->mem = malloc((size_t)w * 2 * h);
        m->v.data[0] = m->mem;
        m->v.stride[0] = w * 2;
        break;
    case BD_PIX_RGBA:
    case BD_PIX_BGRX:
        /* a padded stride, as GStreamer may give */
        m->mem = malloc((size_t)(w * 4 + 64) * h);
        m->v.data[0] = m->mem;
        m->v.stride[0] = w * 4 + 64;
        break;
    }
}

/* clip frame i (scaled to the image's size if need be) into m. */
static void img_fill(struct img *m, int i)
{
    const struct bd_i420 *s = &clip[i];
    const int w = m->v.width, h = m->v.height;
    static uint8_t *tmp_mem;
    static struct bd_i420 tmp;
    if (w != W || h != H) {
        if (tmp.width != w || tmp.height != h) {
            free(tmp_mem);
            bd_i420_alloc(w, h, &tmp_mem, &tmp);
        }
        I420Scale(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, W, H, tmp.y,
                  tmp.stride_y, tmp.u, tmp.stride_u, tmp.v, tmp.stride_v, w, h, kFilterBilinear);
        s = &tmp;
    }
    uint8_t **d = m->v.data;
    int *st = m->v.stride;
    switch (m->v.format) {
    case BD_PIX_I420:
        I420Copy(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], d[1],
                 st[1], d[2], st[2], w, h);
        break;
    case BD_PIX_NV12:
        I420ToNV12(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], d[1],
                   st[1], w, h);
        break;
    case BD_PIX_YUY2:
        I420ToYUY2(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], w, h);
        break;
    case BD_PIX_UYVY:
        I420ToUYVY(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], w, h);
        break;
    case BD_PIX_RGBA:
        I420ToABGR(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], w, h);
        break;
    case BD_PIX_BGRX:
        I420ToARGB(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], w, h);
        break;
    }
    m->v.pts_ns = (int64_t)i * 33366667;
}

/* Mean R, G, B of a 32x32 block at (x, y) in the image's pixels, read back
 * through libyuv (BGRA bytes). */
static void rgb_at(const struct img *m, int x, int y, double rgb[3])
{
    const int w = m->v.width, h = m->v.height;
    uint8_t *argb = malloc((size_t)w * 4 * h);
    uint8_t *const *d = m->v.data;
    const int *st = m->v.stride;
    switch (m->v.format) {
    case BD_PIX_I420:
        I420ToARGB(d[0], st[0], d[1], st[1], d[2], st[2], argb, w * 4, w, h);
        break;
    case BD_PIX_NV12:
        NV12ToARGB(d[0], st[0], d[1], st[1], argb, w * 4, w, h);
        break;
    case BD_PIX_YUY2:
        YUY2ToARGB(d[0], st[0], argb, w * 4, w, h);
        break;
    case BD_PIX_UYVY:
        UYVYToARGB(d[0], st[0], argb, w * 4, w, h);
        break;
    case BD_PIX_RGBA:
        ABGRToARGB(d[0], st[0], argb, w * 4, w, h);
        break;
    case BD_PIX_BGRX:
        ARGBCopy(d[0], st[0], argb, w * 4, w, h);
        break;
    }
    double s[3] = {0, 0, 0};
    for (int yy = y; yy < y + 32; yy++)
        for (int xx = x; xx < x + 32; xx++) {
            const uint8_t *p = argb + (size_t)yy * w * 4 + (size_t)xx * 4;
            s[0] += p[2];
            s[1] += p[1];
            s[2] += p[0];
        }
    for (int i = 0; i < 3; i++)
        rgb[i] = s[i] / (32 * 32);
    free(argb);
}

static int is_green(const double c[3])
{
    return c[1] > 200 && c[0] < 60 && c[2] < 60;
}

static int is_blue(const double c[3])
{
    return c[2] > 200 && c[0] < 60 && c[1] < 60;
}

/* Neither green nor blue: what the model leaves of the doctor. */
static int is_plain(const double c[3])
{
    return !(c[1] > c[0] + 50 && c[1] > c[2] + 50) && !(c[2] > c[0] + 50 && c[2] > c[1] + 50);
}

/* The wall at the two top corners, the doctor's face and coat, in the
 * frame's own pixels (scaled from 960x540). */
static void check_regions(const struct img *m, int (*want)(const double *), const char *what)
{
    const int w = m->v.width, h = m->v.height;
    double c[3];
    rgb_at(m, 0, 0, c);
    CHECK(want(c), "format %d %dx%d top left not %s: %.0f %.0f %.0f", (int)m->v.format, w, h,
          what, c[0], c[1], c[2]);
    rgb_at(m, w - 32, 0, c);
    CHECK(want(c), "format %d %dx%d top right not %s: %.0f %.0f %.0f", (int)m->v.format, w, h,
          what, c[0], c[1], c[2]);
    rgb_at(m, 560 * w / W, 150 * h / H, c);
    CHECK(is_plain(c), "format %d %dx%d the face is coloured: %.0f %.0f %.0f", (int)m->v.format,
          w, h, c[0], c[1], c[2]);
    rgb_at(m, 580 * w / W, 330 * h / H, c);
    CHECK(is_plain(c), "format %d %dx%d the coat is coloured: %.0f %.0f %.0f", (int)m->v.format,
          w, h, c[0], c[1], c[2]);
}

static struct bd_filter *make_filter(enum bd_filter_mode mode, const char *color)
{
    struct bd_pipeline_config c;
    memset(&c, 0, sizeof c);
    c.effect = BD_EFFECT_COLOR;
    unsigned rgb = 0;
    sscanf(color + 1, "%x", &rgb);
    c.color = rgb;
    c.width = W;
    c.height = H;
    struct bd_filter *f = NULL;
    int r = bd_filter_create(&c, mode, &f);
    CHECK(r == BD_OK, "bd_filter_create: %s", bd_last_error());
    return f;
}

static double mask_mean(struct bd_filter *f, int x, int y)
{
    const uint8_t *m;
    int st, w, h;
    if (bd_filter_mask(f, &m, &st, &w, &h) != BD_OK)
        return -1;
    double s = 0;
    for (int yy = y; yy < y + 32; yy++)
        for (int xx = x; xx < x + 32; xx++)
            s += m[(size_t)yy * st + xx];
    return s / (32 * 32);
}

/* Every format, in place and into a second frame. */
static void test_formats(void)
{
    static const char *names[] = {"I420", "NV12", "YUY2", "RGBA", "BGRx", "UYVY"};
    for (int fmt = BD_PIX_I420; fmt <= BD_PIX_UYVY; fmt++) {
        struct bd_filter *f = make_filter(BD_FILTER_EXACT, "#00ff00");
        if (!f)
            return;
        struct img a, b;
        img_alloc(&a, (enum bd_pixel_format)fmt, W, H);
        img_alloc(&b, (enum bd_pixel_format)fmt, W, H);
        int ok = 1;
        double face_in[3] = {0, 0, 0};
        for (int i = 0; i < N && ok; i++) {
            img_fill(&a, i);
            if (i == N - 1)
                rgb_at(&a, 560, 150, face_in);
            /* odd frames in place, even ones into b */
            struct img *o = (i & 1) ? &a : &b;
            ok = bd_filter_process(f, &a.v, &o->v) == BD_OK;
            CHECK(ok, "%s frame %d: %s", names[fmt], i, bd_last_error());
        }
        /* the last frame (odd) went in place */
        check_regions(&a, is_green, "green");
        /* the person keeps their colours (R, G and B in their places) */
        double face[3];
        rgb_at(&a, 560, 150, face);
        CHECK(fabs(face[0] - face_in[0]) < 6 && fabs(face[1] - face_in[1]) < 6 &&
                  fabs(face[2] - face_in[2]) < 6 && face_in[0] > face_in[2] + 20,
              "%s face %.0f %.0f %.0f, was %.0f %.0f %.0f", names[fmt], face[0], face[1], face[2],
              face_in[0], face_in[1], face_in[2]);
        double bg = mask_mean(f, 0, 0), person = mask_mean(f, 560, 150);
        CHECK(bg < 10 && person > 245, "%s mask: wall %.0f, face %.0f", names[fmt], bg, person);
        if (fmt == BD_PIX_RGBA)
            CHECK(a.v.data[0][3] == 255 && a.v.data[0][(size_t)100 * a.v.stride[0] + 403] == 255,
                  "RGBA alpha not opaque");
        struct bd_pipeline_stats st;
        bd_filter_get_stats(f, &st);
        CHECK(st.frames_in == N && st.frames_out == N && st.inferences == N,
              "%s stats: in %llu out %llu inferences %llu", names[fmt],
              (unsigned long long)st.frames_in, (unsigned long long)st.frames_out,
              (unsigned long long)st.inferences);
        printf("format %s: corners green, face and coat not (%d frames)\n", names[fmt], N);
        free(a.mem);
        free(b.mem);
        bd_filter_destroy(f);
    }
}

/* Runs frames [from, to) through f (I420), keeping every output. */
static void run_exact(struct bd_filter *f, int from, int to, uint8_t *outs)
{
    struct img a;
    img_alloc(&a, BD_PIX_I420, W, H);
    const size_t fs = (size_t)W * H * 3 / 2;
    for (int i = from; i < to; i++) {
        img_fill(&a, i);
        if (bd_filter_process(f, &a.v, &a.v) != BD_OK)
            CHECK(0, "frame %d: %s", i, bd_last_error());
        memcpy(outs + (size_t)(i - from) * fs, a.mem, fs);
    }
    free(a.mem);
}

static void test_exact(void)
{
    const size_t fs = (size_t)W * H * 3 / 2;
    uint8_t *r1 = malloc(fs * N), *r2 = malloc(fs * N);
    struct bd_filter *f1 = make_filter(BD_FILTER_EXACT, "#00ff00");
    struct bd_filter *f2 = make_filter(BD_FILTER_EXACT, "#00ff00");
    if (!f1 || !f2)
        return;
    CHECK(bd_filter_get_mode(f1) == BD_FILTER_EXACT, "mode");
    run_exact(f1, 0, N, r1);
    run_exact(f2, 0, N, r2);
    int same = memcmp(r1, r2, fs * N) == 0;
    CHECK(same, "two exact runs differ");
    printf("exact: two runs of %d frames byte-identical: %s\n", N, same ? "yes" : "no");

    /* the camera pipeline, offline, on the same file: the same bytes */
    struct bd_pipeline_config c;
    memset(&c, 0, sizeof c);
    c.input = VIDEO;
    const char *y4m = tmp_path("filter_cli.y4m");
    c.output = y4m;
    c.effect = BD_EFFECT_COLOR;
    c.color = 0x00ff00;
    c.max_frames = N;
    c.pace = BD_PACE_OFFLINE;
    struct bd_pipeline *p = NULL;
    int r = bd_pipeline_create(&c, &p);
    if (r == BD_OK)
        r = bd_pipeline_run(p, NULL, NULL);
    bd_pipeline_destroy(p);
    CHECK(r == BD_OK, "pipeline: %s", bd_last_error());
    FILE *fp = fopen(y4m, "rb");
    int frames_same = 0;
    if (fp) {
        char line[256];
        if (fgets(line, sizeof line, fp)) {
            uint8_t *buf = malloc(fs);
            for (int i = 0; i < N; i++) {
                if (!fgets(line, sizeof line, fp) || fread(buf, 1, fs, fp) != fs)
                    break;
                frames_same += memcmp(buf, r1 + i * fs, fs) == 0;
            }
            free(buf);
        }
        fclose(fp);
    }
    remove(y4m);
    CHECK(frames_same == N, "the camera pipeline's output equals the filter's in %d of %d frames",
          frames_same, N);
    printf("exact: the camera pipeline (offline) gives the same bytes in %d of %d frames\n",
           frames_same, N);

    /* reset: frames 12.. after a reset are a fresh filter's */
    bd_filter_reset(f1);
    run_exact(f1, 12, N, r1);
    struct bd_filter *f3 = make_filter(BD_FILTER_EXACT, "#00ff00");
    run_exact(f3, 12, N, r2);
    CHECK(memcmp(r1, r2, fs * (N - 12)) == 0, "after reset the output is not a fresh filter's");
    bd_filter_destroy(f1);
    bd_filter_destroy(f2);
    bd_filter_destroy(f3);
    free(r1);
    free(r2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The model made 2 s slow: in live mode frames go on without it. */
static void test_live(void)
{
    setenv("BACKDROP_INFER_DELAY_MS", "2000", 1);
    struct bd_filter *f = make_filter(BD_FILTER_LIVE, "#00ff00");
    unsetenv("BACKDROP_INFER_DELAY_MS");
    if (!f)
        return;
    CHECK(bd_filter_get_mode(f) == BD_FILTER_LIVE, "mode");
    struct img a;
    img_alloc(&a, BD_PIX_I420, W, H);
    double t0 = now_s();
    for (int i = 0; i < 10; i++) {
        img_fill(&a, i);
        CHECK(bd_filter_process(f, &a.v, &a.v) == BD_OK, "live frame %d: %s", i, bd_last_error());
    }
    double dt = now_s() - t0;
    struct bd_pipeline_stats st;
    bd_filter_get_stats(f, &st);
    /* one model result takes 2 s: had a frame waited, ten would take 20 */
    CHECK(dt < 1.5 && st.frames_out == 10 && st.inferences <= 1,
          "live frames waited for the model: 10 frames in %.2f s, %llu out, %llu inferences", dt,
          (unsigned long long)st.frames_out, (unsigned long long)st.inferences);
    printf("live: 10 frames in %.3f s with a 2 s model (%llu inferences done)\n", dt,
           (unsigned long long)st.inferences);
    /* switching to exact joins the thread: each frame then waits */
    CHECK(bd_filter_set_mode(f, BD_FILTER_EXACT) == BD_OK, "set_mode: %s", bd_last_error());
    free(a.mem);
    bd_filter_destroy(f);

    /* and at normal speed, live mode converges on the right picture */
    f = make_filter(BD_FILTER_LIVE, "#00ff00");
    img_alloc(&a, BD_PIX_BGRX, W, H);
    for (int i = 0; i < N; i++) {
        img_fill(&a, i);
        CHECK(bd_filter_process(f, &a.v, &a.v) == BD_OK, "live frame %d: %s", i, bd_last_error());
        if (i == N / 2) { /* let a map come (slowly under ASan) */
            struct bd_pipeline_stats ps;
            double end = now_s() + 60;
            do {
                nanosleep(&(struct timespec){0, 20000000}, NULL);
                bd_filter_get_stats(f, &ps);
            } while (ps.inferences < 2 && now_s() < end);
        }
    }
    check_regions(&a, is_green, "green");
    free(a.mem);
    bd_filter_destroy(f);
}

/* A YUV frame of any layout, repacked to I420 (no colour maths). */
static void to_i420(const struct img *m, struct bd_i420 *o)
{
    uint8_t *const *d = m->v.data;
    const int *st = m->v.stride;
    const int w = m->v.width, h = m->v.height;
    switch (m->v.format) {
    case BD_PIX_NV12:
        NV12ToI420(d[0], st[0], d[1], st[1], o->y, o->stride_y, o->u, o->stride_u, o->v,
                   o->stride_v, w, h);
        break;
    case BD_PIX_YUY2:
        YUY2ToI420(d[0], st[0], o->y, o->stride_y, o->u, o->stride_u, o->v, o->stride_v, w, h);
        break;
    case BD_PIX_UYVY:
        UYVYToI420(d[0], st[0], o->y, o->stride_y, o->u, o->stride_u, o->v, o->stride_v, w, h);
        break;
    default:
        I420Copy(d[0], st[0], d[1], st[1], d[2], st[2], o->y, o->stride_y, o->u, o->stride_u,
                 o->v, o->stride_v, w, h);
    }
}

/* An I420 picture into a YUV layout (no colour maths). */
static void from_i420(const struct bd_i420 *s, struct img *m)
{
    uint8_t **d = m->v.data;
    int *st = m->v.stride;
    const int w = m->v.width, h = m->v.height;
    switch (m->v.format) {
    case BD_PIX_NV12:
        I420ToNV12(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], d[1],
                   st[1], w, h);
        break;
    case BD_PIX_YUY2:
        I420ToYUY2(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], w, h);
        break;
    case BD_PIX_UYVY:
        I420ToUYVY(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], w, h);
        break;
    default:
        I420Copy(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, d[0], st[0], d[1],
                 st[1], d[2], st[2], w, h);
    }
}

/* The standards' YUV -> RGB: Y offset, Y gain, V->R, U->G, V->G, U->B
 * (libyuv's BT.709 limited read-back is not used: it caps U->B at 2.0). */
static const double k601f[6] = {0, 1, 1.402, -0.344136, -0.714136, 1.772};
static const double k709l[6] = {16, 1.164384, 1.792741, -0.213249, -0.532909, 2.112402};
static const double k709f[6] = {0, 1, 1.5748, -0.187324, -0.468124, 1.8556};

static void yuv_rgb(const double *k, const struct bd_i420 *f, int x, int y, double rgb[3])
{
    const double Y = k[1] * (f->y[(size_t)y * f->stride_y + x] - k[0]);
    const double U = f->u[(size_t)(y / 2) * f->stride_u + x / 2] - 128;
    const double V = f->v[(size_t)(y / 2) * f->stride_v + x / 2] - 128;
    rgb[0] = Y + k[2] * V;
    rgb[1] = Y + k[3] * U + k[4] * V;
    rgb[2] = Y + k[5] * U;
}

/* Frames in BT.601 full range (a webcam's JPEG range) and BT.709, in
 * every YUV layout: read back with the standard's matrix for the frame's space,
 * the wall is the effect's #00ff00 (to the 8-bit rounding of the space:
 * +-2, unclamped) and the doctor keeps his colours. Taken as BT.601 limited, the
 * same bytes read 13 or more off. */
static void test_colour(void)
{
    static const char *fnames[] = {"I420", "NV12", "YUY2", "", "", "UYVY"};
    static const enum bd_pixel_format fmts[] = {BD_PIX_I420, BD_PIX_NV12, BD_PIX_YUY2,
                                                BD_PIX_UYVY};
    static const struct {
        enum bd_color_matrix m;
        enum bd_color_range r;
        const double *coef;
        const char *name;
    } spaces[] = {{BD_MATRIX_BT601, BD_RANGE_FULL, k601f, "BT.601 full"},
                  {BD_MATRIX_BT709, BD_RANGE_LIMITED, k709l, "BT.709 limited"},
                  {BD_MATRIX_BT709, BD_RANGE_FULL, k709f, "BT.709 full"}};
    const int n = 8;
    uint8_t *argb = malloc((size_t)W * 4 * H), *t_mem = NULL, *j_mem = NULL;
    struct bd_i420 t, j;
    bd_i420_alloc(W, H, &t_mem, &t);
    bd_i420_alloc(W, H, &j_mem, &j);
    for (size_t si = 0; si < sizeof spaces / sizeof spaces[0]; si++)
        for (size_t fi = 0; fi < sizeof fmts / sizeof fmts[0]; fi++) {
            struct bd_filter *f = make_filter(BD_FILTER_EXACT, "#00ff00");
            if (!f)
                return;
            struct img a;
            img_alloc(&a, fmts[fi], W, H);
            a.v.matrix = spaces[si].m;
            a.v.range = spaces[si].r;
            for (int i = 0; i < n; i++) {
                /* the clip in the frame's range (BT.709 frames: its bytes as they are) */
                const struct bd_i420 *c = &clip[i];
                if (spaces[si].r == BD_RANGE_FULL) {
                    I420ToARGB(c->y, c->stride_y, c->u, c->stride_u, c->v, c->stride_v, argb,
                               W * 4, W, H);
                    ARGBToJ420(argb, W * 4, j.y, j.stride_y, j.u, j.stride_u, j.v, j.stride_v,
                               W, H);
                    c = &j;
                }
                from_i420(c, &a);
                a.v.pts_ns = (int64_t)i * 33366667;
                CHECK(bd_filter_process(f, &a.v, &a.v) == BD_OK, "%s %s frame %d: %s",
                      spaces[si].name, fnames[fmts[fi]], i, bd_last_error());
            }
            to_i420(&a, &t);
            int worst = 0;
            for (int k = 0; k < 2; k++) {
                double c[3];
                yuv_rgb(spaces[si].coef, &t, k ? W - 3 : 2, 2, c);
                const double d[3] = {fabs(c[0]), fabs(c[1] - 255), fabs(c[2])};
                for (int q = 0; q < 3; q++)
                    worst = lround(d[q]) > worst ? (int)lround(d[q]) : worst;
            }
            double face[3] = {0, 0, 0};
            for (int yy = 150; yy < 182; yy++)
                for (int xx = 560; xx < 592; xx++) {
                    double c[3];
                    yuv_rgb(spaces[si].coef, &t, xx, yy, c);
                    for (int q = 0; q < 3; q++)
                        face[q] += c[q] / 1024.0;
                }
            CHECK(worst <= 2, "%s %s: the wall reads %d off #00ff00", spaces[si].name,
                  fnames[fmts[fi]], worst);
            CHECK(is_plain(face) && face[0] > face[2] + 20, "%s %s: face %.0f %.0f %.0f",
                  spaces[si].name, fnames[fmts[fi]], face[0], face[1], face[2]);
            printf("colour %s %s: the wall within %d of #00ff00, the face %.0f %.0f %.0f\n",
                   spaces[si].name, fnames[fmts[fi]], worst, face[0], face[1], face[2]);
            free(a.mem);
            bd_filter_destroy(f);
        }
    free(argb);
    free(t_mem);
    free(j_mem);
}

/* Rows reversed, plane by plane (a packed frame: its one plane). */
static void flip_rows(struct img *m)
{
    const int planes = m->v.format == BD_PIX_I420 ? 3 : 1;
    uint8_t row[8192 * 4];
    for (int p = 0; p < planes; p++) {
        const int h = p ? m->v.height / 2 : m->v.height;
        const int st = m->v.stride[p];
        for (int y = 0; y < h / 2; y++) {
            uint8_t *a = m->v.data[p] + (size_t)y * st, *b = m->v.data[p] + (size_t)(h - 1 - y) * st;
            memcpy(row, a, (size_t)st);
            memcpy(a, b, (size_t)st);
            memcpy(b, row, (size_t)st);
        }
    }
}

/* OBS's flip: the frames stored bottom-up give, turned back, exactly the
 * upright frames' output (the model saw them upright). */
static void test_flip(void)
{
    static const enum bd_pixel_format fmts[] = {BD_PIX_I420, BD_PIX_YUY2};
    for (int fi = 0; fi < 2; fi++) {
        struct bd_filter *up = make_filter(BD_FILTER_EXACT, "#00ff00");
        struct bd_filter *down = make_filter(BD_FILTER_EXACT, "#00ff00");
        if (!up || !down)
            return;
        struct img a, b;
        img_alloc(&a, fmts[fi], W, H);
        img_alloc(&b, fmts[fi], W, H);
        b.v.flip = 1;
        int same = 0;
        const size_t bytes = fmts[fi] == BD_PIX_I420 ? (size_t)W * H * 3 / 2 : (size_t)W * 2 * H;
        for (int i = 0; i < 6; i++) {
            img_fill(&a, i);
            img_fill(&b, i);
            flip_rows(&b);
            CHECK(bd_filter_process(up, &a.v, &a.v) == BD_OK, "upright: %s", bd_last_error());
            CHECK(bd_filter_process(down, &b.v, &b.v) == BD_OK, "flipped: %s", bd_last_error());
            flip_rows(&b);
            same += memcmp(a.mem, b.mem, bytes) == 0;
        }
        check_regions(&b, is_green, "green");
        CHECK(same == 6, "format %d: flipped frames turned back equal the upright output in %d "
              "of 6", (int)fmts[fi], same);
        printf("flip format %d: the bottom-up frames' output, turned back, is the upright "
               "frames' in %d of 6\n", (int)fmts[fi], same);
        free(a.mem);
        free(b.mem);
        bd_filter_destroy(up);
        bd_filter_destroy(down);
    }
}

/* bd_filter_set_rate: the hold is in time, so at 60 fps a model run
 * stands for more frames than at 10 (four against one). */
static void test_rate(void)
{
    uint64_t runs[2] = {0, 0};
    static const double rates[2] = {10, 60};
    for (int k = 0; k < 2; k++) {
        struct bd_filter *f = make_filter(BD_FILTER_EXACT, "#00ff00");
        if (!f)
            return;
        CHECK(bd_filter_set_rate(f, rates[k]) == BD_OK, "set_rate: %s", bd_last_error());
        struct img a;
        img_alloc(&a, BD_PIX_I420, W, H);
        for (int i = 0; i < N; i++) {
            img_fill(&a, i);
            CHECK(bd_filter_process(f, &a.v, &a.v) == BD_OK, "%s", bd_last_error());
        }
        struct bd_pipeline_stats st;
        bd_filter_get_stats(f, &st);
        runs[k] = st.model_runs;
        CHECK(st.fps == rates[k] && st.frames_out == N, "at %.0f fps: stats fps %.1f, %llu out",
              rates[k], st.fps, (unsigned long long)st.frames_out);
        check_regions(&a, is_green, "green");
        free(a.mem);
        bd_filter_destroy(f);
    }
    CHECK(runs[1] < runs[0], "model runs at 60 fps %llu, at 10 fps %llu",
          (unsigned long long)runs[1], (unsigned long long)runs[0]);
    CHECK(bd_filter_set_rate(NULL, 30) == BD_ERR_INVALID_ARG, "NULL filter taken");
    printf("rate: %d frames at 10 fps: %llu model runs, at 60 fps: %llu\n", N,
           (unsigned long long)runs[0], (unsigned long long)runs[1]);
}

static void test_settings(void)
{
    struct bd_filter *f = make_filter(BD_FILTER_EXACT, "#00ff00");
    if (!f)
        return;
    struct img a;
    img_alloc(&a, BD_PIX_NV12, W, H);
    for (int i = 0; i < 8; i++) {
        img_fill(&a, i);
        bd_filter_process(f, &a.v, &a.v);
    }
    check_regions(&a, is_green, "green");
    /* a new colour: on the next frame */
    CHECK(bd_filter_set(f, "color", "#0000ff") == BD_OK, "color: %s", bd_last_error());
    img_fill(&a, 8);
    bd_filter_process(f, &a.v, &a.v);
    check_regions(&a, is_blue, "blue");
    /* refused values: the error names them, the old value stays */
    char v[64];
    CHECK(bd_filter_set(f, "blur", "999") == BD_ERR_INVALID_ARG, "blur 999 accepted");
    CHECK(strstr(bd_last_error(), "blur") && strstr(bd_last_error(), "999"), "message: %s",
          bd_last_error());
    CHECK(bd_filter_get(f, "blur", v, sizeof v) == BD_OK && !strcmp(v, "12"), "blur now %s", v);
    CHECK(bd_filter_set(f, "background", "/nonexistent/x.jpg") != BD_OK, "a missing file taken");
    CHECK(!strcmp(bd_last_error(), "background '/nonexistent/x.jpg': no such file"), "message: %s",
          bd_last_error());
    CHECK(bd_filter_set(f, "model", "/nonexistent/m.tflite") != BD_OK, "a missing model taken");
    CHECK(bd_filter_set(f, "effect", "sparkles") == BD_ERR_INVALID_ARG, "effect sparkles taken");
    CHECK(bd_filter_set(f, "nonsense", "1") == BD_ERR_NOT_FOUND, "unknown option taken");
    CHECK(bd_filter_set(f, "threads", "2") == BD_ERR_UNSUPPORTED, "a create-only option taken");
    CHECK(bd_filter_get(f, "effect", v, sizeof v) == BD_OK && !strcmp(v, "color"), "effect %s", v);
    CHECK(bd_filter_get(f, "color", v, sizeof v) == BD_OK && !strcmp(v, "#0000ff"), "color %s",
          v);
    img_fill(&a, 9);
    bd_filter_process(f, &a.v, &a.v);
    check_regions(&a, is_blue, "still blue");

    /* a new size and format mid-stream, and back: the colour stays */
    struct img s;
    img_alloc(&s, BD_PIX_YUY2, 640, 360);
    for (int i = 10; i < 18; i++) {
        img_fill(&s, i);
        CHECK(bd_filter_process(f, &s.v, &s.v) == BD_OK, "640x360: %s", bd_last_error());
    }
    check_regions(&s, is_blue, "blue");
    CHECK(bd_filter_get(f, "size", v, sizeof v) == BD_OK && !strcmp(v, "640x360"), "size %s", v);
    CHECK(bd_filter_set(f, "color", "#00ff00") == BD_OK, "color: %s", bd_last_error());
    for (int i = 18; i < N; i++) {
        img_fill(&a, i);
        CHECK(bd_filter_process(f, &a.v, &a.v) == BD_OK, "960x540: %s", bd_last_error());
    }
    check_regions(&a, is_green, "green");
    printf("settings: colour changes on the next frame, bad values refused, kept across 960x540 "
           "-> 640x360 -> 960x540\n");

    /* bad frames */
    struct img odd;
    img_alloc(&odd, BD_PIX_I420, 320, 180);
    odd.v.width = 319;
    CHECK(bd_filter_process(f, &odd.v, &odd.v) == BD_ERR_UNSUPPORTED, "odd width taken");
    odd.v.width = 320;
    struct img other;
    img_alloc(&other, BD_PIX_NV12, 320, 180);
    CHECK(bd_filter_process(f, &odd.v, &other.v) == BD_ERR_INVALID_ARG, "formats differ: taken");
    odd.v.stride[1] = 10;
    CHECK(bd_filter_process(f, &odd.v, &odd.v) == BD_ERR_INVALID_ARG, "short stride taken");
    CHECK(bd_filter_process(NULL, &odd.v, &odd.v) == BD_ERR_INVALID_ARG, "NULL filter taken");
    free(odd.mem);
    free(other.mem);
    free(s.mem);
    free(a.mem);
    bd_filter_destroy(f);

    /* a bad background or model fails create, naming the file */
    struct bd_pipeline_config c;
    memset(&c, 0, sizeof c);
    c.effect = BD_EFFECT_IMAGE;
    c.background = "/nonexistent/bg.png";
    /* named as the setting, as a live set names it (no CLI flag) */
    CHECK(bd_filter_create(&c, BD_FILTER_EXACT, &f) != BD_OK && !f &&
              !strcmp(bd_last_error(), "background '/nonexistent/bg.png': no such file"),
          "bad background: %s", bd_last_error());
    memset(&c, 0, sizeof c);
    c.model = "/nonexistent/m.tflite";
    CHECK(bd_filter_create(&c, BD_FILTER_LIVE, &f) != BD_OK && !f &&
              strstr(bd_last_error(), "/nonexistent/m.tflite"),
          "bad model: %s", bd_last_error());
    bd_filter_destroy(NULL);
}

/* An image of one colour, w x h, channels 3 or 4, rows padded. */
static struct bd_image solid(int w, int h, int channels, uint8_t r, uint8_t g, uint8_t b)
{
    struct bd_image im = {w, h, channels, w * channels + 12, NULL};
    im.data = malloc((size_t)im.stride * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = im.data + (size_t)y * im.stride + (size_t)x * channels;
            p[0] = r;
            p[1] = g;
            p[2] = b;
            if (channels == 4)
                p[3] = 255;
        }
    return im;
}

static int is_red(const double c[3])
{
    return c[0] > 200 && c[1] < 60 && c[2] < 60;
}

static void run_frames(struct bd_filter *f, struct img *a, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        img_fill(a, i % N);
        CHECK(bd_filter_process(f, &a->v, &a->v) == BD_OK, "process: %s", bd_last_error());
    }
}

static void test_background_image(void)
{
    struct bd_filter *f = make_filter(BD_FILTER_EXACT, "#00ff00");
    if (!f)
        return;
    struct img a;
    img_alloc(&a, BD_PIX_RGBA, W, H);
    run_frames(f, &a, 0, 6);
    check_regions(&a, is_green, "green");
    struct bd_image blue = solid(333, 211, 4, 0, 0, 255);
    CHECK(bd_filter_set_background_image(f, &blue) == BD_OK, "blue: %s", bd_last_error());
    /* the caller keeps its image: the filter has a copy */
    memset(blue.data, 0, (size_t)blue.stride * blue.height);
    run_frames(f, &a, 6, 1);
    check_regions(&a, is_blue, "blue (next frame)");
    char v[64];
    CHECK(bd_filter_get(f, "effect", v, sizeof v) == BD_OK && !strcmp(v, "background"),
          "effect %s", v);
    CHECK(bd_filter_get(f, "background", v, sizeof v) == BD_OK && !strcmp(v, ""),
          "background '%s'", v);

    /* bad images: refused, saying why; the blue stays */
    struct bd_image bad = solid(64, 64, 4, 255, 0, 0);
    bad.channels = 2;
    CHECK(bd_filter_set_background_image(f, &bad) == BD_ERR_INVALID_ARG, "2 channels taken");
    CHECK(strstr(bd_last_error(), "channels") != NULL, "message: %s", bd_last_error());
    bad.channels = 4;
    bad.stride = 64 * 4 - 1;
    CHECK(bd_filter_set_background_image(f, &bad) == BD_ERR_INVALID_ARG, "short stride taken");
    CHECK(strstr(bd_last_error(), "stride") != NULL, "message: %s", bd_last_error());
    bad.stride = 64 * 4;
    bad.width = 1;
    CHECK(bd_filter_set_background_image(f, &bad) == BD_ERR_INVALID_ARG, "1x64 taken");
    CHECK(bd_filter_set_background_image(f, NULL) == BD_ERR_INVALID_ARG, "NULL taken");
    CHECK(bd_filter_set_background_image(NULL, &bad) == BD_ERR_INVALID_ARG, "NULL filter taken");
    run_frames(f, &a, 7, 1);
    check_regions(&a, is_blue, "blue after refused images");

    /* away and back, another fit, another frame size: still the image */
    CHECK(bd_filter_set(f, "effect", "color") == BD_OK, "color: %s", bd_last_error());
    run_frames(f, &a, 8, 1);
    check_regions(&a, is_green, "green again");
    CHECK(bd_filter_set(f, "effect", "background") == BD_OK, "back: %s", bd_last_error());
    CHECK(bd_filter_set(f, "fit", "stretch") == BD_OK, "fit: %s", bd_last_error());
    run_frames(f, &a, 9, 1);
    check_regions(&a, is_blue, "blue, back and stretched");
    struct img s;
    img_alloc(&s, BD_PIX_I420, 640, 360);
    CHECK(bd_filter_set(f, "fit", "cover") == BD_OK, "fit: %s", bd_last_error());
    run_frames(f, &s, 10, 4);
    check_regions(&s, is_blue, "blue at 640x360");

    /* RGB, replacing it */
    struct bd_image red = solid(97, 55, 3, 255, 0, 0);
    CHECK(bd_filter_set_background_image(f, &red) == BD_OK, "red: %s", bd_last_error());
    run_frames(f, &s, 14, 1);
    check_regions(&s, is_red, "red (RGB)");
    /* a file set afterwards replaces it, also when the effect comes back */
    const char *photo = "../shared/data/video/girl-919048_1280.jpg";
    CHECK(bd_filter_set(f, "background", photo) == BD_OK, "%s: %s", photo, bd_last_error());
    CHECK(bd_filter_get(f, "background", v, sizeof v) == BD_OK && strstr(v, "girl-919048"),
          "background '%s'", v);
    CHECK(bd_filter_set(f, "effect", "color") == BD_OK, "color: %s", bd_last_error());
    CHECK(bd_filter_set(f, "effect", "background") == BD_OK, "back: %s", bd_last_error());
    run_frames(f, &s, 15, 1);
    double c[3];
    rgb_at(&s, 0, 0, c);
    CHECK(!is_red(c) && !is_green(c), "the file's picture not shown: %.0f %.0f %.0f", c[0], c[1],
          c[2]);
    free(blue.data);
    free(bad.data);
    free(red.data);
    free(s.mem);
    free(a.mem);
    bd_filter_destroy(f);
    printf("background image: RGBA 333x211 and RGB 97x55 shown on the next frame, kept through "
           "effect, fit and size changes, bad images refused\n");
}

int main(void)
{
    if (load_clip() != 0) {
        SKIP_PROVIDED("%s is missing", VIDEO);
        return check_report();
    }
    test_formats();
    test_colour();
    test_flip();
    test_rate();
    test_exact();
    test_live();
    test_settings();
    test_background_image();
    for (int i = 0; i < N; i++)
        free(clip_mem[i]);
    return check_report();
}
