/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Output modules: src/output/video_writer (FFmpeg encoders and muxers) and
 * src/output/preview (the SDL2 --preview window).
 *
 * Checked:
 *  - 60 frames of a moving synthetic pattern (smooth gradients, a moving
 *    magenta block, a fixed #00ff00 block) at 640x360, 30 fps, into .mp4
 *    (pts -1: numbered by the rate) and .mkv (pts in microseconds), read
 *    back with the project's file source: 60 frames, 640x360, 30/1 fps,
 *    pts one frame apart, luma PSNR > 35 dB against what was written for
 *    every frame, the solid blocks' centres within 3 levels on Y, U, V;
 *  - a solid #00ff00 video (BT.601 limited range, bd_rgb_to_yuv601)
 *    decodes to that colour everywhere within 2 levels;
 *  - .webm (VP9/VP8, the container's default) and .avi give readable files;
 *    an odd size (641x361) gives 640x360, the crop of what was written;
 *  - pts fix-up: repeated and backward pts give strictly increasing ticks;
 *  - errors: a missing folder (BD_ERR_IO with the path and strerror),
 *    unknown extension and an image format (BD_ERR_UNSUPPORTED, nothing
 *    created), zero size / zero rate (BD_ERR_INVALID_ARG), wrong frame
 *    size, a full disk (/dev/full behind a symlink: BD_ERR_IO naming the
 *    path at open, write or close); NULL handling;
 *  - preview: with SDL_VIDEODRIVER=dummy, open, 10 frames shown, wrong
 *    size and wrong thread refused, close, an odd size; with no DISPLAY,
 *    WAYLAND_DISPLAY or SDL_VIDEODRIVER (SDL then falls back to its
 *    offscreen driver) and with a DISPLAY nobody serves, open fails with
 *    BD_ERR_UNSUPPORTED and "no display for --preview".
 * Leaks are found by LeakSanitizer under `make asan`.
 * Last line: "N passed, M failed"; exit status 1 when M > 0.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backdrop.h"
#include "capture/file_source.h"
#include "common/frame.h"
#include "composite/composite.h"
#include "output/preview.h"
#include "output/video_writer.h"

#include "check.h"
#include "test_img.h"

#define W 640
#define H 360
#define NFRAMES 60

static char dir[256];

static bool has(const char *s, const char *sub)
{
    return s && sub && strstr(s, sub) != NULL;
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* ---- frames -------------------------------------------------------------- */


static struct bd_i420_view view(const struct img *im)
{
    return bd_i420_view_of(&im->p);
}

/* Fills a w x h rectangle at (x0, y0) (even) with one colour. */
static void fill_rect(struct img *im, int x0, int y0, int w, int h, uint8_t y, uint8_t u,
                      uint8_t v)
{
    for (int j = y0; j < y0 + h && j < im->p.height; j++)
        for (int i = x0; i < x0 + w && i < im->p.width; i++)
            im->p.y[(size_t)j * im->p.stride_y + i] = y;
    for (int j = y0 / 2; j < (y0 + h) / 2 && j < (im->p.height + 1) / 2; j++)
        for (int i = x0 / 2; i < (x0 + w) / 2 && i < (im->p.width + 1) / 2; i++) {
            im->p.u[(size_t)j * im->p.stride_u + i] = u;
            im->p.v[(size_t)j * im->p.stride_v + i] = v;
        }
}

/* Where the blocks of frame k are (top-left corners, even). */
#define BLOCK 64
#define GREEN_X 480
#define GREEN_Y 200
#define GREEN_S 96
static int magenta_x(int k) { return 40 + 6 * k; }
static int magenta_y(int k) { return 100 + 2 * (k % 20); }

/* Frame k of the moving pattern at w x h. */
static void pattern(struct img *im, int k)
{
    const int w = im->p.width, h = im->p.height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            im->p.y[(size_t)y * im->p.stride_y + x] =
                (uint8_t)(30 + ((x + 4 * k) % w) * 150 / w + y * 40 / h);
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            im->p.u[(size_t)y * im->p.stride_u + x] = (uint8_t)(108 + (x + k) * 40 / cw % 40);
            im->p.v[(size_t)y * im->p.stride_v + x] = (uint8_t)(108 + y * 40 / ch);
        }
    uint8_t Y, U, V;
    bd_rgb_to_yuv601(255, 0, 255, &Y, &U, &V);
    fill_rect(im, magenta_x(k), magenta_y(k), BLOCK, BLOCK, Y, U, V);
    bd_rgb_to_yuv601(0, 255, 0, &Y, &U, &V);
    fill_rect(im, GREEN_X, GREEN_Y, GREEN_S, GREEN_S, Y, U, V);
}

/* Luma PSNR of b against a over w x h (the top-left of both). */
static double psnr_y(const struct img *a, const struct img *b, int w, int h)
{
    double se = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int d = a->p.y[(size_t)y * a->p.stride_y + x] - b->p.y[(size_t)y * b->p.stride_y + x];
            se += (double)d * d;
        }
    if (se == 0)
        return 99;
    return 10 * log10(255.0 * 255.0 * w * h / se);
}

/* Largest |difference| of Y, U, V at the centre pixel (x, y) of a and b. */
static int centre_diff(const struct img *a, const struct img *b, int x, int y)
{
    int d = abs(a->p.y[(size_t)y * a->p.stride_y + x] - b->p.y[(size_t)y * b->p.stride_y + x]);
    int du = abs(a->p.u[(size_t)(y / 2) * a->p.stride_u + x / 2] -
                 b->p.u[(size_t)(y / 2) * b->p.stride_u + x / 2]);
    int dv = abs(a->p.v[(size_t)(y / 2) * a->p.stride_v + x / 2] -
                 b->p.v[(size_t)(y / 2) * b->p.stride_v + x / 2]);
    return d > du ? (d > dv ? d : dv) : (du > dv ? du : dv);
}

/* ---- video writer: round trips ------------------------------------------- */

/* Writes NFRAMES pattern frames of w x h to path; pts -1 or k/30 s. */
static bool write_pattern(const char *path, int w, int h, bool explicit_pts)
{
    struct bd_video_writer *vw = NULL;
    int st = bd_video_writer_open(path, w, h, 30, 1, &vw);
    CHECK(st == BD_OK && vw, "open %s: %d %s", path, st, bd_last_error());
    if (!vw)
        return false;
    struct img im;
    img_alloc(&im, w, h);
    int bad = 0;
    for (int k = 0; k < NFRAMES; k++) {
        pattern(&im, k);
        struct bd_i420_view v = view(&im);
        int64_t pts = explicit_pts ? (int64_t)k * 1000000 / 30 : -1;
        st = bd_video_writer_write(vw, &v, pts);
        if (st != BD_OK && bad++ == 0)
            printf("write %s frame %d: %d %s\n", path, k, st, bd_last_error());
    }
    CHECK(bad == 0, "%s: %d writes failed", path, bad);
    CHECK(bd_video_writer_frames(vw) == NFRAMES, "%s: frames %llu", path,
          (unsigned long long)bd_video_writer_frames(vw));
    st = bd_video_writer_close(vw);
    CHECK(st == BD_OK, "close %s: %d %s", path, st, bd_last_error());
    img_free(&im);
    return st == BD_OK && bad == 0;
}

/* Reads path back and compares it with the pattern written at ww x wh
 * (the file is ww & ~1 x wh & ~1). */
static void check_pattern(const char *path, int ww, int wh, bool full)
{
    const int fw = ww & ~1, fh = wh & ~1;
    struct bd_file_source *src = NULL;
    int st = bd_file_source_open(path, NULL, &src);
    CHECK(st == BD_OK && src, "read back %s: %d %s", path, st, bd_last_error());
    if (!src)
        return;
    const struct bd_file_source_info *info = bd_file_source_info(src);
    CHECK(info->width == fw && info->height == fh, "%s: size %dx%d, want %dx%d", path,
          info->width, info->height, fw, fh);
    CHECK(info->fps_num == 30 * info->fps_den, "%s: rate %d/%d, want 30", path, info->fps_num,
          info->fps_den);
    if (info->width != fw || info->height != fh) {
        bd_file_source_close(src);
        return;
    }
    struct img got, want;
    img_alloc(&got, fw, fh);
    img_alloc(&want, ww, wh);
    int n = 0, bad_pts = 0, bad_psnr = 0, bad_colour = 0;
    double min_psnr = 99;
    int64_t pts = 0;
    uint8_t gy, gu, gv;
    bd_rgb_to_yuv601(0, 255, 0, &gy, &gu, &gv);
    while ((st = bd_file_source_read(src, &got.p, &pts)) == BD_OK) {
        int64_t expect = (int64_t)n * 1000000 / 30;
        if (llabs(pts - expect) > 1000)
            bad_pts++;
        if (n < NFRAMES) {
            pattern(&want, n);
            double p = psnr_y(&want, &got, fw, fh);
            if (p < min_psnr)
                min_psnr = p;
            if (p <= 35)
                bad_psnr++;
            if (full) {
                int mx = magenta_x(n) + BLOCK / 2, my = magenta_y(n) + BLOCK / 2;
                int gx = GREEN_X + GREEN_S / 2, gyy = GREEN_Y + GREEN_S / 2;
                int d1 = centre_diff(&want, &got, mx, my), d2 = centre_diff(&want, &got, gx, gyy);
                if (d1 > 3 || d2 > 3) {
                    if (bad_colour++ == 0)
                        printf("%s frame %d: block centres off by %d (magenta) %d (green)\n",
                               path, n, d1, d2);
                }
            }
        }
        n++;
    }
    CHECK(st == BD_FILE_SOURCE_EOF, "%s: read ended with %d %s", path, st, bd_last_error());
    CHECK(n == NFRAMES, "%s: %d frames, want %d", path, n, NFRAMES);
    CHECK(bad_pts == 0, "%s: %d pts off the 30 fps grid", path, bad_pts);
    CHECK(bad_psnr == 0, "%s: %d frames with luma PSNR <= 35 dB (min %.1f)", path, bad_psnr,
          min_psnr);
    CHECK(bad_colour == 0, "%s: %d frames with solid blocks off by > 3 levels", path,
          bad_colour);
    printf("%s: %d frames %dx%d %d/%d fps (%s in %s), min luma PSNR %.1f dB\n", path, n,
           info->width, info->height, info->fps_num, info->fps_den, info->codec,
           info->container, min_psnr);
    img_free(&got);
    img_free(&want);
    bd_file_source_close(src);
}

static void test_round_trips(void)
{
    char path[512];
    tmp_path(path, sizeof path, "pattern.mp4");
    if (write_pattern(path, W, H, false))
        check_pattern(path, W, H, true);
    tmp_path(path, sizeof path, "pattern.mkv");
    if (write_pattern(path, W, H, true))
        check_pattern(path, W, H, true);
    /* the containers' other codecs; odd sizes are cropped */
    tmp_path(path, sizeof path, "odd.mkv");
    if (write_pattern(path, W + 1, H + 1, false))
        check_pattern(path, W + 1, H + 1, false);
    tmp_path(path, sizeof path, "pattern.avi");
    if (write_pattern(path, W, H, false))
        check_pattern(path, W, H, false);
}

/* Decoded frames of a webm: its default codec (VP9 or VP8 with libvpx). */
static void test_webm(void)
{
    char path[512];
    tmp_path(path, sizeof path, "small.webm");
    struct bd_video_writer *vw = NULL;
    int st = bd_video_writer_open(path, 320, 180, 30, 1, &vw);
    CHECK(st == BD_OK && vw, "open %s: %d %s", path, st, bd_last_error());
    if (!vw)
        return;
    struct img im;
    img_alloc(&im, 320, 180);
    for (int k = 0; k < 10; k++) {
        pattern(&im, k);
        struct bd_i420_view v = view(&im);
        st = bd_video_writer_write(vw, &v, -1);
        CHECK(st == BD_OK, "webm frame %d: %d %s", k, st, bd_last_error());
    }
    st = bd_video_writer_close(vw);
    CHECK(st == BD_OK, "close webm: %d %s", st, bd_last_error());
    struct bd_file_source *src = NULL;
    st = bd_file_source_open(path, NULL, &src);
    CHECK(st == BD_OK, "read back %s: %d %s", path, st, bd_last_error());
    if (src) {
        const struct bd_file_source_info *info = bd_file_source_info(src);
        CHECK(info->width == 320 && info->height == 180, "webm size %dx%d", info->width,
              info->height);
        CHECK(strcmp(info->codec, "vp9") == 0 || strcmp(info->codec, "vp8") == 0,
              "webm codec %s", info->codec);
        struct img got;
        img_alloc(&got, 320, 180);
        int n = 0;
        double min_psnr = 99;
        while (bd_file_source_read(src, &got.p, NULL) == BD_OK) {
            pattern(&im, n);
            double p = psnr_y(&im, &got, 320, 180);
            min_psnr = p < min_psnr ? p : min_psnr;
            n++;
        }
        CHECK(n == 10, "webm: %d frames", n);
        CHECK(min_psnr > 25, "webm: min luma PSNR %.1f dB", min_psnr);
        printf("%s: %d frames (%s), min luma PSNR %.1f dB\n", path, n, info->codec, min_psnr);
        img_free(&got);
        bd_file_source_close(src);
    }
    img_free(&im);
}

/* A solid #00ff00 video stays that colour. */
static void test_solid(void)
{
    char path[512];
    tmp_path(path, sizeof path, "green.mp4");
    uint8_t gy, gu, gv;
    bd_rgb_to_yuv601(0, 255, 0, &gy, &gu, &gv);
    struct img im;
    img_alloc(&im, 320, 240);
    fill_rect(&im, 0, 0, 320, 240, gy, gu, gv);
    struct bd_video_writer *vw = NULL;
    int st = bd_video_writer_open(path, 320, 240, 25, 1, &vw);
    CHECK(st == BD_OK, "open %s: %d %s", path, st, bd_last_error());
    if (vw) {
        struct bd_i420_view v = view(&im);
        for (int k = 0; k < 10; k++)
            CHECK(bd_video_writer_write(vw, &v, k * 40000) == BD_OK, "green frame %d: %s", k,
                  bd_last_error());
        CHECK(bd_video_writer_close(vw) == BD_OK, "close green: %s", bd_last_error());
    }
    struct bd_file_source *src = NULL;
    st = bd_file_source_open(path, NULL, &src);
    CHECK(st == BD_OK, "read back %s: %d %s", path, st, bd_last_error());
    if (src) {
        struct img got;
        img_alloc(&got, 320, 240);
        int n = 0, worst = 0;
        while (bd_file_source_read(src, &got.p, NULL) == BD_OK) {
            for (int y = 0; y < 240; y++)
                for (int x = 0; x < 320; x++) {
                    int d = centre_diff(&im, &got, x, y);
                    worst = d > worst ? d : worst;
                }
            n++;
        }
        CHECK(n == 10, "green: %d frames", n);
        CHECK(worst <= 2, "green: a pixel off by %d levels (want Y %d U %d V %d)", worst, gy,
              gu, gv);
        printf("%s: %d frames of #00ff00 (Y %d U %d V %d), worst deviation %d\n", path, n, gy,
               gu, gv, worst);
        img_free(&got);
        bd_file_source_close(src);
    }
    img_free(&im);
}

/* Repeated and backward pts are moved to the next tick; -1 continues. */
static void test_pts_fixup(void)
{
    char path[512];
    tmp_path(path, sizeof path, "pts.mkv");
    const int64_t in[] = {0, 33333, 33333, 10000, 100000, -1, 200000, 190000};
    const int64_t want_ms[] = {0, 33, 67, 100, 133, 167, 200, 233};
    const int n_in = (int)(sizeof in / sizeof in[0]);
    struct bd_video_writer *vw = NULL;
    int st = bd_video_writer_open(path, 160, 120, 30, 1, &vw);
    CHECK(st == BD_OK, "open %s: %d %s", path, st, bd_last_error());
    if (!vw)
        return;
    struct img im;
    img_alloc(&im, 160, 120);
    for (int k = 0; k < n_in; k++) {
        pattern(&im, k);
        struct bd_i420_view v = view(&im);
        st = bd_video_writer_write(vw, &v, in[k]);
        CHECK(st == BD_OK, "pts %lld: %d %s", (long long)in[k], st, bd_last_error());
    }
    struct bd_i420_view v = view(&im);
    CHECK(bd_video_writer_write(vw, &v, -2) == BD_ERR_INVALID_ARG, "pts -2 refused");
    CHECK(bd_video_writer_close(vw) == BD_OK, "close: %s", bd_last_error());
    struct bd_file_source *src = NULL;
    st = bd_file_source_open(path, NULL, &src);
    CHECK(st == BD_OK, "read back %s: %d %s", path, st, bd_last_error());
    if (src) {
        struct img got;
        img_alloc(&got, 160, 120);
        int n = 0;
        int64_t pts;
        while (bd_file_source_read(src, &got.p, &pts) == BD_OK) {
            if (n < n_in)
                CHECK(llabs(pts / 1000 - want_ms[n]) <= 1, "frame %d at %lld us, want %lld ms",
                      n, (long long)pts, (long long)want_ms[n]);
            n++;
        }
        CHECK(n == n_in, "pts test: %d frames, want %d", n, n_in);
        img_free(&got);
        bd_file_source_close(src);
    }
    img_free(&im);
}

/* ---- video writer: errors ------------------------------------------------ */

static void test_writer_errors(void)
{
    char path[512];
    struct bd_video_writer *vw = (struct bd_video_writer *)&vw; /* must be reset to NULL */
    int st;

    tmp_path(path, sizeof path, "no/such/folder/out.mp4");
    st = bd_video_writer_open(path, W, H, 30, 1, &vw);
    CHECK(st == BD_ERR_IO && vw == NULL, "missing folder: %d", st);
    CHECK(has(bd_last_error(), path) && has(bd_last_error(), strerror(ENOENT)),
          "message: %s", bd_last_error());

    tmp_path(path, sizeof path, "out.notavideo");
    vw = (struct bd_video_writer *)&vw;
    st = bd_video_writer_open(path, W, H, 30, 1, &vw);
    CHECK(st == BD_ERR_UNSUPPORTED && vw == NULL, "unknown extension: %d", st);
    CHECK(has(bd_last_error(), path) && has(bd_last_error(), ".mp4"), "message: %s",
          bd_last_error());
    CHECK(!exists(path), "%s was created", path);

    tmp_path(path, sizeof path, "noextension");
    st = bd_video_writer_open(path, W, H, 30, 1, &vw);
    CHECK(st == BD_ERR_UNSUPPORTED && vw == NULL, "no extension: %d", st);
    CHECK(has(bd_last_error(), path), "message: %s", bd_last_error());

    tmp_path(path, sizeof path, "frame.png");
    st = bd_video_writer_open(path, W, H, 30, 1, &vw);
    CHECK(st == BD_ERR_UNSUPPORTED && vw == NULL, "image format: %d", st);
    CHECK(has(bd_last_error(), path) && has(bd_last_error(), "image"), "message: %s",
          bd_last_error());
    CHECK(!exists(path), "%s was created", path);

    /* audio containers: no video codec at all, or a muxer that wants audio */
    const char *audio[] = {"sound.wav", "sound.mp3"};
    for (size_t i = 0; i < 2; i++) {
        tmp_path(path, sizeof path, audio[i]);
        vw = (struct bd_video_writer *)&vw;
        st = bd_video_writer_open(path, W, H, 30, 1, &vw);
        CHECK(st == BD_ERR_UNSUPPORTED && vw == NULL, "%s: %d %s", audio[i], st, bd_last_error());
        CHECK(has(bd_last_error(), path), "message: %s", bd_last_error());
        CHECK(!exists(path), "%s was left behind", path);
    }

    tmp_path(path, sizeof path, "zero.mp4");
    const int bad[][4] = {{0, 0, 30, 1}, {0, H, 30, 1}, {W, 0, 30, 1}, {-2, H, 30, 1},
                          {1, 1, 30, 1}, {W, H, 0, 1},  {W, H, 30, 0}, {W, H, -30, 1},
                          {W, H, 100000, 1}, {20000, H, 30, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vw = (struct bd_video_writer *)&vw;
        st = bd_video_writer_open(path, bad[i][0], bad[i][1], bad[i][2], bad[i][3], &vw);
        CHECK(st == BD_ERR_INVALID_ARG && vw == NULL, "%dx%d @ %d/%d: %d", bad[i][0], bad[i][1],
              bad[i][2], bad[i][3], st);
        CHECK(has(bd_last_error(), path), "message: %s", bd_last_error());
    }
    CHECK(!exists(path), "%s was created", path);
    CHECK(bd_video_writer_open(NULL, W, H, 30, 1, &vw) == BD_ERR_INVALID_ARG, "NULL path");
    CHECK(bd_video_writer_open("", W, H, 30, 1, &vw) == BD_ERR_INVALID_ARG, "empty path");
    CHECK(bd_video_writer_open(path, W, H, 30, 1, NULL) == BD_ERR_INVALID_ARG, "NULL out");

    /* wrong frames into a good writer */
    tmp_path(path, sizeof path, "wrong.mkv");
    vw = NULL;
    st = bd_video_writer_open(path, 320, 240, 30, 1, &vw);
    CHECK(st == BD_OK, "open %s: %d %s", path, st, bd_last_error());
    if (vw) {
        struct img im;
        img_alloc(&im, 322, 240);
        struct bd_i420_view v = view(&im);
        CHECK(bd_video_writer_write(vw, &v, -1) == BD_ERR_INVALID_ARG, "wrong size accepted");
        CHECK(has(bd_last_error(), path), "message: %s", bd_last_error());
        v.width = 320;
        v.stride_y = 100;
        CHECK(bd_video_writer_write(vw, &v, -1) == BD_ERR_INVALID_ARG, "short stride accepted");
        v = view(&im);
        v.width = 320;
        v.u = NULL;
        CHECK(bd_video_writer_write(vw, &v, -1) == BD_ERR_INVALID_ARG, "NULL plane accepted");
        CHECK(bd_video_writer_write(vw, NULL, -1) == BD_ERR_INVALID_ARG, "NULL frame accepted");
        CHECK(bd_video_writer_frames(vw) == 0, "frames %llu",
              (unsigned long long)bd_video_writer_frames(vw));
        /* closing a writer with no frame gives a valid (empty) file */
        CHECK(bd_video_writer_close(vw) == BD_OK, "close empty: %s", bd_last_error());
        img_free(&im);
    }
    CHECK(bd_video_writer_write(NULL, NULL, -1) == BD_ERR_INVALID_ARG, "NULL writer");
    CHECK(bd_video_writer_frames(NULL) == 0, "frames(NULL)");
    CHECK(bd_video_writer_close(NULL) == BD_OK, "close(NULL)");
}

/* A full disk: /dev/full behind a file name of that container. Noisy
 * frames make large packets, so the failure comes in write (or at open for
 * MP4, which flushes its header); at the latest it comes at close. */
static void test_disk_full(const char *name)
{
    if (access("/dev/full", W_OK) != 0) {
        SKIP_MACHINE("disk-full test: /dev/full is not writable");
        return;
    }
    char path[512];
    tmp_path(path, sizeof path, name);
    if (symlink("/dev/full", path) != 0) {
        SKIP_MACHINE("disk-full test: symlink: %s", strerror(errno));
        return;
    }
    struct bd_video_writer *vw = NULL;
    int st = bd_video_writer_open(path, W, H, 30, 1, &vw);
    const char *where = "open";
    if (st == BD_OK) {
        struct img im;
        img_alloc(&im, W, H);
        uint32_t seed = 1;
        for (int k = 0; k < NFRAMES && st == BD_OK; k++) {
            pattern(&im, k);
            /* noise: packets large enough to overflow FFmpeg's buffers */
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    seed = seed * 1664525u + 1013904223u;
                    im.p.y[(size_t)y * im.p.stride_y + x] ^= (uint8_t)(seed >> 26);
                }
            struct bd_i420_view v = view(&im);
            st = bd_video_writer_write(vw, &v, -1);
            where = "write";
        }
        if (st != BD_OK) {
            struct bd_i420_view v = view(&im);
            CHECK(bd_video_writer_write(vw, &v, -1) == BD_ERR_IO, "writes go on after a failure");
        }
        int cst = bd_video_writer_close(vw);
        if (st == BD_OK) {
            st = cst;
            where = "close";
        } else {
            CHECK(cst == BD_ERR_IO, "close after a failed write: %d", cst);
        }
        img_free(&im);
    }
    CHECK(st == BD_ERR_IO, "disk full: %d %s", st, bd_last_error());
    CHECK(has(bd_last_error(), path) && has(bd_last_error(), strerror(ENOSPC)), "message: %s",
          bd_last_error());
    if (strcmp(where, "open") != 0)
        CHECK(has(bd_last_error(), "incomplete"), "message: %s", bd_last_error());
    printf("disk full: failed at %s: %s\n", where, bd_last_error());
    CHECK(exists(path), "the symlink (not created by the writer) was removed");
    unlink(path);
}

/* A full disk under a short recording: two small grey frames fit in
 * FFmpeg's I/O buffer, so nothing reaches the disk before close, and the
 * trailer's flush is where ENOSPC shows. close must report it: a file that
 * "was written" but lacks its end does not play. */
static void test_disk_full_at_close(const char *name)
{
    if (access("/dev/full", W_OK) != 0) {
        SKIP_MACHINE("disk-full-at-close test: /dev/full is not writable");
        return;
    }
    char path[512];
    tmp_path(path, sizeof path, name);
    if (symlink("/dev/full", path) != 0) {
        SKIP_MACHINE("disk-full-at-close test: symlink: %s", strerror(errno));
        return;
    }
    struct bd_video_writer *vw = NULL;
    int st = bd_video_writer_open(path, 64, 48, 30, 1, &vw);
    CHECK(st == BD_OK, "%s: open (nothing flushed yet): %d %s", name, st, bd_last_error());
    if (st == BD_OK) {
        struct img im;
        img_alloc(&im, 64, 48);
        fill_rect(&im, 0, 0, 64, 48, 128, 128, 128);
        struct bd_i420_view v = view(&im);
        for (int k = 0; k < 2; k++)
            CHECK(bd_video_writer_write(vw, &v, -1) == BD_OK, "%s: small frame %d: %s", name, k,
                  bd_last_error());
        st = bd_video_writer_close(vw);
        CHECK(st == BD_ERR_IO && has(bd_last_error(), path) &&
                  has(bd_last_error(), strerror(ENOSPC)) && has(bd_last_error(), "incomplete"),
              "%s: close on a full disk: %d '%s'", name, st, bd_last_error());
        img_free(&im);
    }
    unlink(path);
}

/* ---- preview ------------------------------------------------------------- */

struct other_thread {
    struct bd_preview *p;
    const struct bd_i420_view *v;
    int st;
};

static void *show_elsewhere(void *arg)
{
    struct other_thread *o = arg;
    o->st = bd_preview_show(o->p, o->v);
    return NULL;
}

static void test_preview_dummy(void)
{
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    struct bd_preview *p = NULL;
    int st = bd_preview_open("backdrop test", W, H, &p);
    CHECK(st == BD_OK && p, "preview open (dummy): %d %s", st, bd_last_error());
    if (p) {
        struct img im;
        img_alloc(&im, W, H);
        int bad = 0;
        for (int k = 0; k < 10; k++) {
            pattern(&im, k);
            struct bd_i420_view v = view(&im);
            st = bd_preview_show(p, &v);
            if (st != BD_OK && bad++ == 0)
                printf("preview frame %d: %d %s\n", k, st, bd_last_error());
        }
        CHECK(bad == 0, "%d frames not shown", bad);
        struct bd_i420_view v = view(&im);
        v.width = W - 2;
        CHECK(bd_preview_show(p, &v) == BD_ERR_INVALID_ARG, "wrong size shown");
        CHECK(bd_preview_show(p, NULL) == BD_ERR_INVALID_ARG, "NULL frame shown");
        v = view(&im);
        struct other_thread o = {p, &v, 0};
        pthread_t t;
        if (pthread_create(&t, NULL, show_elsewhere, &o) == 0) {
            pthread_join(t, NULL);
            CHECK(o.st == BD_ERR_INVALID_ARG, "show from another thread: %d", o.st);
        }
        bd_preview_close(p);
        img_free(&im);
    }
    /* odd sizes, twice in a row (SDL is shut down and started again) */
    p = NULL;
    st = bd_preview_open(NULL, 321, 241, &p);
    CHECK(st == BD_OK, "preview open 321x241: %d %s", st, bd_last_error());
    if (p) {
        struct img im;
        img_alloc(&im, 321, 241);
        pattern(&im, 3);
        struct bd_i420_view v = view(&im);
        st = bd_preview_show(p, &v);
        CHECK(st == BD_OK, "show 321x241: %d %s", st, bd_last_error());
        bd_preview_close(p);
        img_free(&im);
    }
    CHECK(bd_preview_open("x", 0, 10, &p) == BD_ERR_INVALID_ARG && p == NULL, "size 0");
    CHECK(bd_preview_show(NULL, NULL) == BD_ERR_INVALID_ARG, "show(NULL)");
    bd_preview_close(NULL);
    unsetenv("SDL_VIDEODRIVER");
}

static void test_preview_no_display(void)
{
    /* Without any display SDL 2.26 falls back to its offscreen driver by
     * itself (EGL, nothing visible), which bd_preview_open refuses unless
     * SDL_VIDEODRIVER asked for it. A Linux console with KMS/DRM access
     * is a display, though: skip there. */
    if (access("/dev/dri", F_OK) == 0) {
        SKIP_MACHINE("no-display preview test: /dev/dri exists (SDL may use KMS/DRM)");
        return;
    }
    unsetenv("SDL_VIDEODRIVER");
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    /* libwayland tries XDG_RUNTIME_DIR/wayland-0 even without
     * WAYLAND_DISPLAY: point it at our empty folder */
    setenv("XDG_RUNTIME_DIR", dir, 1);
    struct bd_preview *p = (struct bd_preview *)&p;
    int st = bd_preview_open("backdrop test", W, H, &p);
    CHECK(st == BD_ERR_UNSUPPORTED && p == NULL, "no display: %d", st);
    CHECK(has(bd_last_error(), "no display for --preview") &&
              has(bd_last_error(), "DISPLAY/WAYLAND_DISPLAY unset"),
          "message: %s", bd_last_error());
    printf("no display: %s\n", bd_last_error());
    if (st == BD_OK)
        bd_preview_close(p);

    /* an X display that does not answer */
    if (access("/tmp/.X11-unix/X97", F_OK) == 0) {
        SKIP_MACHINE("dead-DISPLAY preview test: an X server answers on :97 here");
    } else {
        setenv("DISPLAY", ":97", 1);
        p = (struct bd_preview *)&p;
        st = bd_preview_open("backdrop test", W, H, &p);
        CHECK(st == BD_ERR_UNSUPPORTED && p == NULL, "dead DISPLAY: %d", st);
        CHECK(has(bd_last_error(), "no display for --preview"), "message: %s", bd_last_error());
        printf("dead DISPLAY: %s\n", bd_last_error());
        if (st == BD_OK)
            bd_preview_close(p);
        unsetenv("DISPLAY");
    }
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/bd_outputs_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("mkdtemp %s: %s\n", dir, strerror(errno));
        return 2;
    }
    test_round_trips();
    test_webm();
    test_solid();
    test_pts_fixup();
    test_writer_errors();
    test_disk_full("full.mkv");
    test_disk_full("full.mp4");
    test_disk_full("full.ts");
    test_disk_full("full.avi");
    test_disk_full_at_close("full-at-close.mkv");
    test_disk_full_at_close("full-at-close.avi");
    test_disk_full_at_close("full-at-close.ts");
    test_preview_no_display();
    test_preview_dummy();

    const char *names[] = {"pattern.mp4", "pattern.mkv", "odd.mkv",  "pattern.avi", "small.webm",
                           "green.mp4",   "pts.mkv",     "wrong.mkv", "full.mkv", "full.mp4"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        tmp_path(path, sizeof path, names[i]);
        unlink(path);
    }
    if (rmdir(dir) != 0)
        printf("note: could not remove %s: %s\n", dir, strerror(errno));
    return check_report();
}
