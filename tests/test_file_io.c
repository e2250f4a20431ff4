/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File input and y4m I/O: src/capture/file_source (FFmpeg), src/capture/
 * y4m_reader and src/output/y4m_writer.
 *
 * Checked:
 *  - a real MP4 (../shared/data/video/doctor_26732.mp4, skipped with a
 *    message when absent): size, plausible luma, strictly increasing pts,
 *    EOF without loop, and with loop the frames after the rewind equal the
 *    first ones and pts keep increasing;
 *  - a still JPEG: repeated, identical frames, increasing pts, never EOF;
 *  - y4m round trip through a pipe (writer on a thread, odd size, padded
 *    strides): bit-identical, then a clean EOF; and through a file path;
 *  - y4m planes larger than the reader's buffer into tight planes (read()
 *    straight into them) and padded ones: the same bytes; rewinding a file
 *    (a pipe refuses); a file cut inside a plane read in one piece;
 *  - malformed y4m (magic, sizes, missing tags, colourspaces, overlong or
 *    unterminated headers, truncated frames and frame lines, control
 *    bytes) each fail with a message naming the stream; random mutations
 *    of a valid stream never crash;
 *  - missing, non-video and truncated files fail with messages naming them.
 * Last line: "N passed, M failed"; exit status 1 when M > 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backdrop.h"
#include "capture/file_source.h"
#include "capture/y4m_reader.h"
#include "common/error.h"
#include "output/y4m_writer.h"

#include "check.h"
#include "test_img.h"

#define VIDEO "../shared/data/video/doctor_26732.mp4"
#define STILL "../shared/data/video/doctor-5871743_640.jpg"

static bool has(const char *s, const char *sub)
{
    return s && sub && strstr(s, sub) != NULL;
}

/* An I420 image with padded strides. */

static bool img_equal(const struct img *a, const struct img *b)
{
    int cw = (a->p.width + 1) / 2, ch = (a->p.height + 1) / 2;
    for (int y = 0; y < a->p.height; y++)
        if (memcmp(a->p.y + (size_t)y * a->p.stride_y, b->p.y + (size_t)y * b->p.stride_y,
                   (size_t)a->p.width))
            return false;
    for (int y = 0; y < ch; y++)
        if (memcmp(a->p.u + (size_t)y * a->p.stride_u, b->p.u + (size_t)y * b->p.stride_u,
                   (size_t)cw) ||
            memcmp(a->p.v + (size_t)y * a->p.stride_v, b->p.v + (size_t)y * b->p.stride_v,
                   (size_t)cw))
            return false;
    return true;
}

static void img_copy(struct img *dst, const struct img *src)
{
    int cw = (src->p.width + 1) / 2, ch = (src->p.height + 1) / 2;
    for (int y = 0; y < src->p.height; y++)
        memcpy(dst->p.y + (size_t)y * dst->p.stride_y, src->p.y + (size_t)y * src->p.stride_y,
               (size_t)src->p.width);
    for (int y = 0; y < ch; y++) {
        memcpy(dst->p.u + (size_t)y * dst->p.stride_u, src->p.u + (size_t)y * src->p.stride_u,
               (size_t)cw);
        memcpy(dst->p.v + (size_t)y * dst->p.stride_v, src->p.v + (size_t)y * src->p.stride_v,
               (size_t)cw);
    }
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void img_random(struct img *im)
{
    int cw = (im->p.width + 1) / 2, ch = (im->p.height + 1) / 2;
    for (int y = 0; y < im->p.height; y++)
        for (int x = 0; x < im->p.width; x++)
            im->p.y[(size_t)y * im->p.stride_y + x] = (uint8_t)rnd();
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            im->p.u[(size_t)y * im->p.stride_u + x] = (uint8_t)rnd();
            im->p.v[(size_t)y * im->p.stride_v + x] = (uint8_t)rnd();
        }
}

/* Mean, min and max of the luma plane. */
static void luma_stats(const struct img *im, double *mean, int *lo, int *hi)
{
    uint64_t sum = 0;
    *lo = 255;
    *hi = 0;
    for (int y = 0; y < im->p.height; y++)
        for (int x = 0; x < im->p.width; x++) {
            int v = im->p.y[(size_t)y * im->p.stride_y + x];
            sum += (uint64_t)v;
            if (v < *lo)
                *lo = v;
            if (v > *hi)
                *hi = v;
        }
    *mean = (double)sum / ((double)im->p.width * im->p.height);
}

/* ---- (a) video ----------------------------------------------------------- */

#define MAX_FRAMES 4000

static void test_video(void)
{
    if (access(VIDEO, R_OK) != 0) {
        SKIP_PROVIDED("video tests: %s is missing (run from the repository root with "
                      "../shared/data present)", VIDEO);
        return;
    }
    struct bd_file_source *src = NULL;
    int st = bd_file_source_open(VIDEO, NULL, &src);
    CHECK(st == BD_OK && src, "open %s: %d %s", VIDEO, st, bd_last_error());
    if (!src)
        return;
    const struct bd_file_source_info *info = bd_file_source_info(src);
    CHECK(info->width == 960 && info->height == 540, "size %dx%d", info->width, info->height);
    CHECK(info->fps_num > 0 && info->fps_den > 0 &&
              (double)info->fps_num / info->fps_den > 5 &&
              (double)info->fps_num / info->fps_den < 121,
          "fps %d/%d", info->fps_num, info->fps_den);
    CHECK(!info->still, "a video is not a still");
    printf("video: %dx%d %d/%d fps, %s in %s, %.2f s\n", info->width, info->height,
           info->fps_num, info->fps_den, info->codec, info->container,
           (double)info->duration_us / 1e6);

    struct img first, cur;
    img_alloc(&first, info->width, info->height);
    img_alloc(&cur, info->width, info->height);
    int n = 0, bad_luma = 0, bad_pts = 0;
    int64_t prev = -1, pts = -1, pts0 = -1, pts1 = -1;
    for (;;) {
        st = bd_file_source_read(src, &cur.p, &pts);
        if (st != BD_OK)
            break;
        double mean;
        int lo, hi;
        luma_stats(&cur, &mean, &lo, &hi);
        if (!(mean > 16 && mean < 235 && hi > lo + 20))
            bad_luma++;
        if (n > 0 && pts <= prev)
            bad_pts++;
        if (n == 0) {
            img_copy(&first, &cur);
            pts0 = pts;
            printf("video: first frame luma mean %.1f min %d max %d\n", mean, lo, hi);
        }
        if (n == 1)
            pts1 = pts;
        prev = pts;
        if (++n >= MAX_FRAMES)
            break;
    }
    CHECK(st == BD_FILE_SOURCE_EOF, "end of video: %d %s", st, bd_last_error());
    CHECK(n > 10 && n < MAX_FRAMES, "%d frames", n);
    CHECK(bad_luma == 0, "%d frames with implausible luma", bad_luma);
    CHECK(bad_pts == 0, "%d frames with non-increasing pts", bad_pts);
    CHECK(pts0 == 0, "first pts %lld", (long long)pts0);
    int64_t frame_us = (int64_t)(1e6 * info->fps_den / info->fps_num);
    CHECK(pts1 > 0 && pts1 < 3 * frame_us, "second pts %lld (interval %lld)", (long long)pts1,
          (long long)frame_us);
    st = bd_file_source_read(src, &cur.p, &pts);
    CHECK(st == BD_FILE_SOURCE_EOF, "EOF again: %d", st);
    struct bd_file_source_stats stats;
    bd_file_source_stats(src, &stats);
    CHECK(stats.frames == (uint64_t)n && stats.bad == 0 && stats.loops == 0,
          "stats %llu %llu %llu", (unsigned long long)stats.frames,
          (unsigned long long)stats.bad, (unsigned long long)stats.loops);
    printf("video: %d frames, last pts %.3f s\n", n, (double)prev / 1e6);
    bd_file_source_close(src);

    /* loop: N + 10 frames; frame N is frame 0 again */
    struct bd_file_source_options opt = {.loop = true, .threads = 2};
    src = NULL;
    st = bd_file_source_open(VIDEO, &opt, &src);
    CHECK(st == BD_OK && src, "open loop: %d %s", st, bd_last_error());
    if (src) {
        int bad = 0;
        int64_t last = -1, at_n = -1;
        bool same_as_first = false;
        for (int i = 0; i < n + 10; i++) {
            st = bd_file_source_read(src, &cur.p, &pts);
            if (st != BD_OK) {
                CHECK(st == BD_OK, "loop read %d: %d %s", i, st, bd_last_error());
                break;
            }
            if (i > 0 && pts <= last)
                bad++;
            if (i == n) {
                at_n = pts;
                same_as_first = img_equal(&cur, &first);
            }
            last = pts;
        }
        CHECK(bad == 0, "%d non-increasing pts while looping", bad);
        CHECK(same_as_first, "frame %d (after the rewind) equals frame 0", n);
        CHECK(at_n > prev, "pts after the rewind %lld > last pts %lld", (long long)at_n,
              (long long)prev);
        bd_file_source_stats(src, &stats);
        CHECK(stats.loops == 1, "loops %llu", (unsigned long long)stats.loops);
        bd_file_source_close(src);
    }
    img_free(&first);
    img_free(&cur);

    /* a truncated copy of the video: an error naming it (no moov) or EOF early */
    char trunc[64];
    snprintf(trunc, sizeof trunc, "/tmp/bd_test_trunc_%d.mp4", (int)getpid());
    FILE *in = fopen(VIDEO, "rb"), *out = fopen(trunc, "wb");
    if (in && out) {
        static uint8_t buf[65536];
        size_t k = fread(buf, 1, sizeof buf, in);
        fwrite(buf, 1, k, out);
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    /* (the file has its moov first, so the cut copy opens and ends early;
     * either way: no crash, and an error names the file) */
    src = NULL;
    st = bd_file_source_open(trunc, NULL, &src);
    if (st == BD_OK) {
        struct img t;
        img_alloc(&t, bd_file_source_info(src)->width, bd_file_source_info(src)->height);
        int k = 0;
        while ((st = bd_file_source_read(src, &t.p, &pts)) == BD_OK && k < MAX_FRAMES)
            k++;
        CHECK(k < n && (st == BD_FILE_SOURCE_EOF || has(bd_last_error(), trunc)),
              "truncated mp4: %d frames, then %d '%s'", k, st, bd_last_error());
        printf("truncated mp4: %d frames, then %d %s\n", k, st,
               st < 0 ? bd_last_error() : "(EOF)");
        img_free(&t);
    } else {
        CHECK(st < 0 && !src && has(bd_last_error(), trunc), "truncated mp4: %d '%s'", st,
              bd_last_error());
        printf("truncated mp4: %s\n", bd_last_error());
    }
    bd_file_source_close(src);

    /* a copy with garbage over 256 KiB in the middle: damaged frames are
     * skipped or decoded with errors, never a crash; the end is reached */
    in = fopen(VIDEO, "rb");
    out = fopen(trunc, "wb");
    if (in && out) {
        static uint8_t buf[65536];
        size_t k, off = 0;
        while ((k = fread(buf, 1, sizeof buf, in)) > 0) {
            if (off >= 1200000 && off < 1200000 + 262144)
                for (size_t i = 0; i < k; i++)
                    buf[i] = (uint8_t)rnd();
            fwrite(buf, 1, k, out);
            off += k;
        }
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    src = NULL;
    struct bd_file_source_options lo = {.loop = false};
    st = bd_file_source_open(trunc, &lo, &src);
    CHECK(st == BD_OK, "damaged mp4 opens: %d '%s'", st, bd_last_error());
    if (src) {
        struct img t;
        img_alloc(&t, 960, 540);
        int k = 0;
        while ((st = bd_file_source_read(src, &t.p, &pts)) == BD_OK && k < MAX_FRAMES)
            k++;
        bd_file_source_stats(src, &stats);
        CHECK(st == BD_FILE_SOURCE_EOF || (st < 0 && has(bd_last_error(), trunc)),
              "damaged mp4: %d frames, then %d '%s'", k, st, bd_last_error());
        printf("damaged mp4: %d frames, %llu rejected, then %d %s\n", k,
               (unsigned long long)stats.bad, st, st < 0 ? bd_last_error() : "(EOF)");
        img_free(&t);
        bd_file_source_close(src);
    }
    unlink(trunc);
}

/* ---- (b) still image ---------------------------------------------------- */

static void test_still(void)
{
    if (access(STILL, R_OK) != 0) {
        SKIP_PROVIDED("still test: %s is missing", STILL);
        return;
    }
    struct bd_file_source *src = NULL;
    int st = bd_file_source_open(STILL, NULL, &src);
    CHECK(st == BD_OK && src, "open %s: %d %s", STILL, st, bd_last_error());
    if (!src)
        return;
    const struct bd_file_source_info *info = bd_file_source_info(src);
    printf("still: %dx%d %s in %s, still=%d\n", info->width, info->height, info->codec,
           info->container, info->still);
    CHECK(info->width == 640 && info->height > 100, "size %dx%d", info->width, info->height);
    CHECK(info->still, "a JPEG is a still");
    struct img a, b;
    img_alloc(&a, info->width, info->height);
    img_alloc(&b, info->width, info->height);
    int64_t p0 = -1, p = -1;
    st = bd_file_source_read(src, &a.p, &p0);
    CHECK(st == BD_OK, "read still: %d %s", st, bd_last_error());
    double mean;
    int lo, hi;
    luma_stats(&a, &mean, &lo, &hi);
    printf("still: luma mean %.1f min %d max %d\n", mean, lo, hi);
    CHECK(mean > 16 && mean < 235 && hi > lo + 20 && lo >= 16 && hi <= 235,
          "luma mean %.1f min %d max %d (video range)", mean, lo, hi);
    int64_t prev = p0;
    for (int i = 0; i < 5; i++) {
        memset(b.mem, 0, 1);
        st = bd_file_source_read(src, &b.p, &p);
        CHECK(st == BD_OK, "repeat %d: %d %s", i, st, bd_last_error());
        CHECK(img_equal(&a, &b), "repeat %d is the same image", i);
        CHECK(p > prev, "pts %lld > %lld", (long long)p, (long long)prev);
        prev = p;
    }
    img_free(&a);
    img_free(&b);
    bd_file_source_close(src);
}

/*
 * Small pictures that need swscale (RGB, RGBA and grey PNGs of odd sizes),
 * read into planes with tight strides that end where their canaries
 * start: nothing past a plane may be written (swscale's SIMD stores run
 * past a row's end; fuzz/regressions/background/rgb_png_6x4 found it), and
 * the colour must arrive.
 */
static void test_tight_planes(void)
{
    static const int sizes[][2] = {{1, 1}, {6, 4}, {13, 7}, {33, 17}, {65, 3}, {2, 31}};
    static const int channels[] = {3, 4, 1};
    char path[64];
    snprintf(path, sizeof path, "/tmp/bd-tight-%d.png", (int)getpid());
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t ci = 0; ci < sizeof channels / sizeof channels[0]; ci++) {
            const int w = sizes[si][0], h = sizes[si][1], ch = channels[ci];
            uint8_t px[65 * 31 * 4];
            for (int i = 0; i < w * h; i++) {
                uint8_t *q = px + (size_t)i * ch;
                if (ch == 1) {
                    q[0] = 200; /* grey: full range 200 -> Y 188 */
                } else {
                    q[0] = 255, q[1] = 0, q[2] = 0; /* red: Y 82, U 90, V 240 */
                    if (ch == 4)
                        q[3] = 255;
                }
            }
            if (bd_image_write_png(path, px, w * ch, w, h, ch) != BD_OK) {
                CHECK(0, "write %s: %s", path, bd_last_error());
                continue;
            }
            struct bd_file_source *src = NULL;
            int st = bd_file_source_open(path, NULL, &src);
            CHECK(st == BD_OK, "open %dx%d/%d: %s", w, h, ch, bd_last_error());
            if (st != BD_OK)
                continue;
            /* the source's size (it may round to even): the planes' */
            const int fw = bd_file_source_info(src)->width, fh = bd_file_source_info(src)->height;
            CHECK(fw >= w - 1 && fw <= w + 1 && fh >= h - 1 && fh <= h + 1,
                  "%dx%d read as %dx%d", w, h, fw, fh);
            const int cw = (fw + 1) / 2, chh = (fh + 1) / 2, G = 64;
            const size_t ny = (size_t)fw * fh, nc = (size_t)cw * chh;
            uint8_t *mem = malloc(ny + 2 * nc + 3 * G);
            memset(mem, 0x5a, ny + 2 * nc + 3 * G);
            struct bd_i420 f = {.y = mem, .u = mem + ny + G, .v = mem + ny + nc + 2 * G,
                                .stride_y = fw, .stride_u = cw, .stride_v = cw,
                                .width = fw, .height = fh};
            int64_t pts;
            st = bd_file_source_read(src, &f, &pts);
            CHECK(st == BD_OK, "read %dx%d/%d: %s", w, h, ch, bd_last_error());
            int canary = 1;
            for (int i = 0; i < G; i++)
                canary &= mem[ny + i] == 0x5a && mem[ny + nc + G + i] == 0x5a &&
                          mem[ny + 2 * nc + 2 * G + i] == 0x5a;
            CHECK(canary, "%dx%d/%d channels: the conversion wrote past a plane", w, h, ch);
            const int wy = ch == 1 ? 188 : 82, wu = ch == 1 ? 128 : 90, wv = ch == 1 ? 128 : 240;
            int worst = 0;
            for (size_t i = 0; i < ny; i++)
                worst = abs(f.y[i] - wy) > worst ? abs(f.y[i] - wy) : worst;
            /* swscale (as the ffmpeg tool) gives an odd size's last chroma
             * column and row half weight: known, left alone, not checked */
            for (int y = 0; y < chh - (fh & 1); y++)
                for (int x = 0; x < cw - (fw & 1); x++) {
                    int du = abs(f.u[y * cw + x] - wu), dv = abs(f.v[y * cw + x] - wv);
                    worst = du > worst ? du : worst;
                    worst = dv > worst ? dv : worst;
                }
            CHECK(worst <= 3, "%dx%d/%d channels: colour off by %d", w, h, ch, worst);
            free(mem);
            bd_file_source_close(src);
        }
    unlink(path);
}

/* ---- (e) files that are not videos --------------------------------------- */

static void test_bad_files(void)
{
    struct bd_file_source *src = NULL;
    const char *missing = "/tmp/bd-no-such-video-file.mp4";
    int st = bd_file_source_open(missing, NULL, &src);
    CHECK(st == BD_ERR_NOT_FOUND && !src && has(bd_last_error(), missing), "missing: %d '%s'",
          st, bd_last_error());
    printf("missing: %s\n", bd_last_error());

    char path[64];
    snprintf(path, sizeof path, "/tmp/bd_test_notvideo_%d.dat", (int)getpid());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "create %s", path);
    if (f) {
        for (int i = 0; i < 200; i++)
            fprintf(f, "This is a plain text file, line %d, and certainly not a video.\n", i);
        fclose(f);
        st = bd_file_source_open(path, NULL, &src);
        CHECK(st < 0 && !src && has(bd_last_error(), path), "not a video: %d '%s'", st,
              bd_last_error());
        printf("not a video: %s\n", bd_last_error());
        bd_file_source_close(src);
        src = NULL;
        unlink(path);
    }
    /* an empty file */
    f = fopen(path, "w");
    if (f) {
        fclose(f);
        st = bd_file_source_open(path, NULL, &src);
        CHECK(st < 0 && !src && has(bd_last_error(), path), "empty: %d '%s'", st,
              bd_last_error());
        printf("empty: %s\n", bd_last_error());
        bd_file_source_close(src);
        src = NULL;
        unlink(path);
    }
    /* a directory */
    st = bd_file_source_open("/tmp", NULL, &src);
    CHECK(st < 0 && !src && has(bd_last_error(), "/tmp"), "directory: %d '%s'", st,
          bd_last_error());
    printf("directory: %s\n", bd_last_error());
    /* a URL is a file name, not a network access */
    st = bd_file_source_open("http://127.0.0.1:1/x.mp4", NULL, &src);
    CHECK(st == BD_ERR_NOT_FOUND && !src, "url: %d '%s'", st, bd_last_error());
    /* bad arguments */
    CHECK(bd_file_source_open(NULL, NULL, &src) == BD_ERR_INVALID_ARG, "NULL path");
    CHECK(bd_file_source_open("x", NULL, NULL) == BD_ERR_INVALID_ARG, "NULL out");
    bd_file_source_close(NULL);

    struct bd_y4m_writer *w = NULL;
    st = bd_y4m_writer_open_path("/nonexistent-dir/x.y4m", 4, 4, 30, 1, &w);
    CHECK(st == BD_ERR_IO && !w && has(bd_last_error(), "/nonexistent-dir/x.y4m"),
          "writer path: %d '%s'", st, bd_last_error());
    st = bd_y4m_writer_open_fd(1, "stdout", 0, 4, 30, 1, &w);
    CHECK(st == BD_ERR_INVALID_ARG && !w, "writer W0: %d", st);
    st = bd_y4m_writer_open_fd(1, "stdout", 4, 4, 0, 1, &w);
    CHECK(st == BD_ERR_INVALID_ARG && !w, "writer F0: %d", st);
}

/* ---- (c) y4m round trip ----------------------------------------------------- */

#define RT_W 321
#define RT_H 241
#define RT_N 5

struct writer_job {
    int fd;
    struct img *frames;
    int status;
};

static void *writer_thread(void *arg)
{
    struct writer_job *job = arg;
    struct bd_y4m_writer *w = NULL;
    job->status = bd_y4m_writer_open_fd(job->fd, "pipe", RT_W, RT_H, 60000, 2002, &w);
    for (int i = 0; i < RT_N && job->status == BD_OK; i++)
        job->status = bd_y4m_writer_write(w, &job->frames[i].p);
    if (w && job->status == BD_OK && bd_y4m_writer_frames(w) != RT_N)
        job->status = -100;
    bd_y4m_writer_close(w);
    close(job->fd);
    return NULL;
}

static void test_y4m_roundtrip(void)
{
    struct img frames[RT_N], got;
    for (int i = 0; i < RT_N; i++) {
        img_alloc(&frames[i], RT_W, RT_H);
        img_random(&frames[i]);
    }
    img_alloc(&got, RT_W, RT_H);

    int fds[2];
    if (pipe(fds) != 0) {
        CHECK(0, "pipe: %s", strerror(errno));
        return;
    }
    struct writer_job job = {.fd = fds[1], .frames = frames};
    pthread_t t;
    pthread_create(&t, NULL, writer_thread, &job);
    struct bd_y4m_reader *r = NULL;
    int st = bd_y4m_reader_open(fds[0], "pipe", &r);
    CHECK(st == BD_OK && r, "reader open: %d %s", st, bd_last_error());
    if (r) {
        const struct bd_y4m_info *info = bd_y4m_reader_info(r);
        CHECK(info->width == RT_W && info->height == RT_H, "size %dx%d", info->width,
              info->height);
        CHECK(info->fps_num == 30000 && info->fps_den == 1001, "rate %d:%d (reduced)",
              info->fps_num, info->fps_den);
        CHECK(strcmp(info->chroma, "420jpeg") == 0 && info->interlace == 'p', "C%s I%c",
              info->chroma, info->interlace);
        for (int i = 0; i < RT_N; i++) {
            memset(got.mem, 0xAA, (size_t)got.p.stride_y * RT_H);
            st = bd_y4m_reader_read(r, &got.p);
            CHECK(st == BD_OK, "frame %d: %d %s", i, st, bd_last_error());
            CHECK(img_equal(&got, &frames[i]), "frame %d bit-identical", i);
        }
        st = bd_y4m_reader_read(r, &got.p);
        CHECK(st == BD_Y4M_EOF, "clean EOF after %d frames: %d %s", RT_N, st, bd_last_error());
        st = bd_y4m_reader_read(r, &got.p);
        CHECK(st == BD_Y4M_EOF, "EOF again: %d", st);
        CHECK(bd_y4m_reader_frames(r) == RT_N, "frames %llu",
              (unsigned long long)bd_y4m_reader_frames(r));
        bd_y4m_reader_close(r);
    }
    close(fds[0]);
    pthread_join(t, NULL);
    CHECK(job.status == BD_OK, "writer: %d", job.status);

    /* through a file path */
    char path[64];
    snprintf(path, sizeof path, "/tmp/bd_test_rt_%d.y4m", (int)getpid());
    struct bd_y4m_writer *w = NULL;
    st = bd_y4m_writer_open_path(path, RT_W, RT_H, 25, 1, &w);
    CHECK(st == BD_OK, "writer path: %d %s", st, bd_last_error());
    for (int i = 0; i < 2 && w; i++)
        CHECK(bd_y4m_writer_write(w, &frames[i].p) == BD_OK, "write %d", i);
    CHECK(bd_y4m_writer_close(w) == BD_OK, "close");
    int fd = open(path, O_RDONLY);
    r = NULL;
    st = bd_y4m_reader_open(fd, path, &r);
    CHECK(st == BD_OK, "reopen: %d %s", st, bd_last_error());
    if (r) {
        CHECK(bd_y4m_reader_info(r)->fps_num == 25 && bd_y4m_reader_info(r)->fps_den == 1,
              "F25:1");
        for (int i = 0; i < 2; i++)
            CHECK(bd_y4m_reader_read(r, &got.p) == BD_OK && img_equal(&got, &frames[i]),
                  "file frame %d", i);
        CHECK(bd_y4m_reader_read(r, &got.p) == BD_Y4M_EOF, "file EOF");
        bd_y4m_reader_close(r);
    }
    if (fd >= 0)
        close(fd);
    unlink(path);

    /* a writer whose reader has gone: BD_ERR_IO, not a crash (SIGPIPE ignored) */
    if (pipe(fds) == 0) {
        signal(SIGPIPE, SIG_IGN);
        close(fds[0]);
        w = NULL;
        st = bd_y4m_writer_open_fd(fds[1], "closed-pipe", 4, 4, 30, 1, &w);
        CHECK(st == BD_ERR_IO && !w && has(bd_last_error(), "closed the pipe"),
              "closed pipe: %d '%s'", st, bd_last_error());
        close(fds[1]);
    }
    for (int i = 0; i < RT_N; i++)
        img_free(&frames[i]);
    img_free(&got);
}

/* Frames of w x h in tight planes (stride = width, so the reader takes a
 * plane in one piece) starting at an odd address. */
struct tight {
    uint8_t *mem;
    struct bd_i420 p;
};

static void tight_alloc(struct tight *t, int w, int h)
{
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    const size_t ys = (size_t)w * h, cs = (size_t)cw * ch;
    t->mem = calloc(1, ys + 2 * cs + 1);
    if (!t->mem) {
        printf("out of memory\n");
        exit(2);
    }
    t->p = (struct bd_i420){.y = t->mem + 1, .u = t->mem + 1 + ys, .v = t->mem + 1 + ys + cs,
                            .stride_y = w, .stride_u = cw, .stride_v = cw, .width = w,
                            .height = h};
}

static bool tight_equal(const struct tight *t, const struct img *a)
{
    struct img v = {.mem = NULL, .p = t->p};
    return img_equal(&v, a);
}

/* A y4m file whose planes are larger than the reader's buffer: read in one
 * piece into tight planes (the kernel's read straight into them) and row by
 * row into padded ones, the same bytes; rewind for looping; truncation
 * inside a plane read in one piece. */
static void test_y4m_tight_rewind(void)
{
    static const int sizes[][2] = {{400, 331}, {1001, 333}, {641, 97}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int W = sizes[si][0], H = sizes[si][1], N = 3;
        struct img frames[3], got;
        struct tight tg;
        for (int i = 0; i < N; i++) {
            img_alloc(&frames[i], W, H);
            img_random(&frames[i]);
        }
        img_alloc(&got, W, H);
        tight_alloc(&tg, W, H);
        char path[64];
        snprintf(path, sizeof path, "/tmp/bd_test_tight_%d.y4m", (int)getpid());
        struct bd_y4m_writer *w = NULL;
        int st = bd_y4m_writer_open_path(path, W, H, 30, 1, &w);
        CHECK(st == BD_OK, "writer %dx%d: %s", W, H, bd_last_error());
        for (int i = 0; i < N && w; i++)
            CHECK(bd_y4m_writer_write(w, &frames[i].p) == BD_OK, "write %d", i);
        bd_y4m_writer_close(w);
        int fd = open(path, O_RDONLY);
        struct bd_y4m_reader *r = NULL;
        st = bd_y4m_reader_open(fd, path, &r);
        CHECK(st == BD_OK, "open %dx%d: %s", W, H, bd_last_error());
        if (r) {
            /* tight, padded, tight: the reader's buffer and the direct
             * reads interleave differently each time */
            CHECK(bd_y4m_reader_read(r, &tg.p) == BD_OK && tight_equal(&tg, &frames[0]),
                  "%dx%d frame 0 into tight planes", W, H);
            CHECK(bd_y4m_reader_read(r, &got.p) == BD_OK && img_equal(&got, &frames[1]),
                  "%dx%d frame 1 into padded planes", W, H);
            CHECK(bd_y4m_reader_read(r, &tg.p) == BD_OK && tight_equal(&tg, &frames[2]),
                  "%dx%d frame 2 into tight planes", W, H);
            CHECK(bd_y4m_reader_read(r, &tg.p) == BD_Y4M_EOF, "%dx%d EOF", W, H);
            st = bd_y4m_reader_rewind(r);
            CHECK(st == BD_OK, "%dx%d rewind: %s", W, H, bd_last_error());
            for (int i = 0; i < N; i++) {
                memset(tg.mem, 0xAA, 1 + (size_t)W * H);
                CHECK(bd_y4m_reader_read(r, &tg.p) == BD_OK && tight_equal(&tg, &frames[i]),
                      "%dx%d after the rewind, frame %d", W, H, i);
            }
            CHECK(bd_y4m_reader_frames(r) == 2 * (uint64_t)N, "frames count on: %llu",
                  (unsigned long long)bd_y4m_reader_frames(r));
            /* a rewind mid-stream goes back to the first frame too */
            CHECK(bd_y4m_reader_rewind(r) == BD_OK && bd_y4m_reader_read(r, &got.p) == BD_OK &&
                      bd_y4m_reader_read(r, &got.p) == BD_OK && img_equal(&got, &frames[1]),
                  "%dx%d rewind mid-stream", W, H);
            bd_y4m_reader_close(r);
        }
        if (fd >= 0)
            close(fd);
        /* cut three quarters into frame 2's Y plane (past the buffer's
         * 64 KiB for the larger planes) */
        struct stat sb;
        if (stat(path, &sb) == 0) {
            const off_t fb = (off_t)W * H + 2 * (off_t)((W + 1) / 2) * ((H + 1) / 2);
            const off_t hdr = sb.st_size - N * (6 + fb);
            CHECK(truncate(path, hdr + (6 + fb) + 6 + (off_t)W * H * 3 / 4) == 0, "truncate");
            fd = open(path, O_RDONLY);
            r = NULL;
            if (bd_y4m_reader_open(fd, path, &r) == BD_OK) {
                bd_y4m_reader_read(r, &tg.p);
                st = bd_y4m_reader_read(r, &tg.p);
                CHECK(st == BD_ERR_FORMAT && has(bd_last_error(), "truncated frame 2") &&
                          has(bd_last_error(), "Y plane"),
                      "%dx%d truncated in a tight plane: %d '%s'", W, H, st, bd_last_error());
                CHECK(bd_y4m_reader_rewind(r) == BD_ERR_FORMAT, "no rewind after a failure");
                bd_y4m_reader_close(r);
            } else {
                CHECK(0, "reopen truncated: %s", bd_last_error());
            }
            if (fd >= 0)
                close(fd);
        }
        unlink(path);
        for (int i = 0; i < N; i++)
            img_free(&frames[i]);
        img_free(&got);
        free(tg.mem);
    }
    /* a pipe cannot rewind */
    int fds[2];
    if (pipe(fds) == 0) {
        const char hdr[] = "YUV4MPEG2 W4 H4 F30:1\n";
        CHECK(write(fds[1], hdr, sizeof hdr - 1) == (ssize_t)(sizeof hdr - 1), "pipe write");
        close(fds[1]);
        struct bd_y4m_reader *r = NULL;
        if (bd_y4m_reader_open(fds[0], "pipe", &r) == BD_OK) {
            int st = bd_y4m_reader_rewind(r);
            CHECK(st == BD_ERR_UNSUPPORTED && has(bd_last_error(), "not a seekable file"),
                  "pipe rewind: %d '%s'", st, bd_last_error());
            bd_y4m_reader_close(r);
        } else {
            CHECK(0, "pipe open: %s", bd_last_error());
        }
        close(fds[0]);
    }
}

/* ---- (d) malformed y4m ------------------------------------------------------ */

/* An fd reading data (a temporary file). */
static int fd_with(const void *data, size_t n)
{
    FILE *f = tmpfile();
    if (!f)
        return -1;
    int fd = dup(fileno(f));
    fclose(f);
    if (fd < 0)
        return -1;
    if (n && write(fd, data, n) != (ssize_t)n) {
        close(fd);
        return -1;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* Opens a reader on data; returns the status (reader closed). */
static int y4m_open_status(const void *data, size_t n)
{
    int fd = fd_with(data, n);
    if (fd < 0)
        return 999;
    struct bd_y4m_reader *r = NULL;
    int st = bd_y4m_reader_open(fd, "test", &r);
    if ((st == BD_OK) != (r != NULL))
        st = 998;
    bd_y4m_reader_close(r);
    close(fd);
    return st;
}

/* Opens data and reads frames until not BD_OK; returns that status and the
 * number of frames read. */
static int y4m_read_status(const void *data, size_t n, int *frames)
{
    *frames = 0;
    int fd = fd_with(data, n);
    if (fd < 0)
        return 999;
    struct bd_y4m_reader *r = NULL;
    int st = bd_y4m_reader_open(fd, "test", &r);
    if (st == BD_OK) {
        const struct bd_y4m_info *info = bd_y4m_reader_info(r);
        struct img im;
        img_alloc(&im, info->width, info->height);
        while ((st = bd_y4m_reader_read(r, &im.p)) == BD_OK)
            (*frames)++;
        img_free(&im);
        bd_y4m_reader_close(r);
    }
    close(fd);
    return st;
}

/* Opens data, reads until a read is not BD_OK, then reads twice more:
 * returns how many of those two repeated the first status (and, for an
 * error, said the stream had already failed). *first is the first non-OK
 * status, *frames the frames read before it. */
static int y4m_repeats(const void *data, size_t n, int *first, int *frames)
{
    *first = 999;
    *frames = 0;
    int fd = fd_with(data, n);
    if (fd < 0)
        return -1;
    struct bd_y4m_reader *r = NULL;
    int same = -1;
    if (bd_y4m_reader_open(fd, "test", &r) == BD_OK) {
        const struct bd_y4m_info *info = bd_y4m_reader_info(r);
        struct img im;
        img_alloc(&im, info->width, info->height);
        while ((*first = bd_y4m_reader_read(r, &im.p)) == BD_OK)
            (*frames)++;
        same = 0;
        for (int k = 0; k < 2; k++) {
            int st = bd_y4m_reader_read(r, &im.p);
            same += st == *first && (st == BD_Y4M_EOF || has(bd_last_error(), "already failed"));
        }
        img_free(&im);
        bd_y4m_reader_close(r);
    }
    close(fd);
    return same;
}

#define BAD_HEADER(str, status, msg)                                                   \
    do {                                                                               \
        int st_ = y4m_open_status(str, sizeof(str) - 1);                               \
        CHECK(st_ == (status) && has(bd_last_error(), "y4m 'test'") &&                 \
                  has(bd_last_error(), msg),                                           \
              "header \"%s\": %d '%s'", str, st_, bd_last_error());                    \
    } while (0)

static void test_y4m_malformed(void)
{
    BAD_HEADER("", BD_ERR_FORMAT, "empty");
    BAD_HEADER("YUV4MPEG3 W4 H4\n", BD_ERR_FORMAT, "not a YUV4MPEG2");
    BAD_HEADER("RIFF....WAVEfmt \n", BD_ERR_FORMAT, "not a YUV4MPEG2");
    BAD_HEADER("YUV4MPEG2W4 H4\n", BD_ERR_FORMAT, "not a YUV4MPEG2");
    BAD_HEADER("YUV4MPEG2 W0 H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W4 H0\n", BD_ERR_FORMAT, "height");
    BAD_HEADER("YUV4MPEG2 W16385 H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W99999999999999999999 H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W-4 H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W+4 H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W4x H4\n", BD_ERR_FORMAT, "width");
    BAD_HEADER("YUV4MPEG2 W4\n", BD_ERR_FORMAT, "lacks H");
    BAD_HEADER("YUV4MPEG2 H4\n", BD_ERR_FORMAT, "lacks W");
    BAD_HEADER("YUV4MPEG2\n", BD_ERR_FORMAT, "lacks W and H");
    BAD_HEADER("YUV4MPEG2 W4 W4 H4\n", BD_ERR_FORMAT, "twice");
    BAD_HEADER("YUV4MPEG2 W4 H4 C444\n", BD_ERR_UNSUPPORTED, "C444");
    BAD_HEADER("YUV4MPEG2 W4 H4 C422\n", BD_ERR_UNSUPPORTED, "only 8-bit 4:2:0");
    BAD_HEADER("YUV4MPEG2 W4 H4 Cmono\n", BD_ERR_UNSUPPORTED, "Cmono");
    BAD_HEADER("YUV4MPEG2 W4 H4 C420p10 XYSCSS=420P10\n", BD_ERR_UNSUPPORTED, "C420p10");
    BAD_HEADER("YUV4MPEG2 W4 H4 C\n", BD_ERR_FORMAT, "colourspace");
    BAD_HEADER("YUV4MPEG2 W4 H4 F30\n", BD_ERR_FORMAT, "frame rate");
    BAD_HEADER("YUV4MPEG2 W4 H4 F30:0\n", BD_ERR_FORMAT, "frame rate");
    BAD_HEADER("YUV4MPEG2 W4 H4 F:1\n", BD_ERR_FORMAT, "frame rate");
    BAD_HEADER("YUV4MPEG2 W4 H4 Ix\n", BD_ERR_FORMAT, "interlacing");
    BAD_HEADER("YUV4MPEG2 W4 H4 A1\n", BD_ERR_FORMAT, "aspect");
    BAD_HEADER("YUV4MPEG2 W4 H4 Z9\n", BD_ERR_FORMAT, "unknown header tag 'Z9'");
    BAD_HEADER("YUV4MPEG2 W4 H4\t\n", BD_ERR_FORMAT, "control");
    BAD_HEADER("YUV4MPEG2 W4 H4\r\n", BD_ERR_FORMAT, "control");
    BAD_HEADER("YUV4MPEG2 W4 H4 X\x01\n", BD_ERR_FORMAT, "control");
    BAD_HEADER("YUV4MPEG2 W4 H4", BD_ERR_FORMAT, "truncated header");
    BAD_HEADER("YUV4MPEG2 W4 H4 X\0\n", BD_ERR_FORMAT, "control");

    /* a header without a newline over the limit: refused after the limit,
     * not read to the end */
    {
        size_t n = 3 * BD_Y4M_MAX_HEADER;
        char *big = malloc(n);
        memcpy(big, "YUV4MPEG2 W4 H4 X", 17);
        memset(big + 17, 'x', n - 17);
        int st = y4m_open_status(big, n);
        CHECK(st == BD_ERR_FORMAT && has(bd_last_error(), "longer than"), "long header: %d '%s'",
              st, bd_last_error());
        /* the same with a newline after the limit */
        big[n - 1] = '\n';
        st = y4m_open_status(big, n);
        CHECK(st == BD_ERR_FORMAT && has(bd_last_error(), "longer than"),
              "long header with late newline: %d '%s'", st, bd_last_error());
        /* exactly at the limit is fine */
        big[BD_Y4M_MAX_HEADER - 1] = '\n';
        st = y4m_open_status(big, BD_Y4M_MAX_HEADER);
        CHECK(st == BD_OK, "header of exactly %d bytes: %d '%s'", BD_Y4M_MAX_HEADER, st,
              bd_last_error());
        free(big);
    }

    /* accepted headers */
    static const char *const good[] = {
        "YUV4MPEG2 W4 H4\n",
        "YUV4MPEG2 W4 H4 F25:1 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2\n",
        "YUV4MPEG2 W4 H4 C420paldv It A0:0 F0:0\n",
        "YUV4MPEG2  W4   H4 C420 \n",
        "YUV4MPEG2 W16384 H16384 C420jpeg\n",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int st = y4m_open_status(good[i], strlen(good[i]));
        CHECK(st == BD_OK, "good header \"%s\": %d '%s'", good[i], st, bd_last_error());
    }

    /* frames: 4x4 = 24 bytes, 3x3 = 9 + 2 * 4 = 17 bytes */
    char buf[256];
    int frames, st;
    size_t n = (size_t)snprintf(buf, sizeof buf, "YUV4MPEG2 W4 H4\nFRAME\n");
    memset(buf + n, 7, 24);
    n += 24;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "FRAME Ixyz XA=b\n");
    memset(buf + n, 9, 24);
    n += 24;
    st = y4m_read_status(buf, n, &frames);
    CHECK(st == BD_Y4M_EOF && frames == 2, "two frames then EOF: %d, %d", st, frames);
    st = y4m_read_status(buf, n - 1, &frames);
    CHECK(st == BD_ERR_FORMAT && frames == 1 && has(bd_last_error(), "truncated frame 2"),
          "truncated frame: %d, %d '%s'", st, frames, bd_last_error());
    /* The reader's end is sticky, an error most of all: a read after a
     * truncated frame must fail again, not report the clean end of stream
     * that the exhausted input would otherwise give (a cut-off input would
     * then look complete to a caller that reads on). */
    {
        int first, nf;
        int same = y4m_repeats(buf, n - 1, &first, &nf);
        CHECK(first == BD_ERR_FORMAT && nf == 1 && same == 2,
              "reads after a truncated frame: first %d after %d frames, %d of 2 repeated it ('%s')",
              first, nf, same, bd_last_error());
        same = y4m_repeats(buf, 16 + 6 + 24 + 3, &first, &nf);
        CHECK(first == BD_ERR_FORMAT && nf == 1 && same == 2,
              "reads after a truncated FRAME line: first %d, %d of 2 repeated it ('%s')", first,
              same, bd_last_error());
        same = y4m_repeats(buf, n, &first, &nf);
        CHECK(first == BD_Y4M_EOF && nf == 2 && same == 2,
              "reads after the clean end: first %d after %d frames, %d of 2 repeated it", first,
              nf, same);
    }
    st = y4m_read_status(buf, n - 20, &frames);
    CHECK(st == BD_ERR_FORMAT && frames == 1 && has(bd_last_error(), "Y plane"),
          "truncated in Y: %d, %d '%s'", st, frames, bd_last_error());
    st = y4m_read_status(buf, 16 + 6 + 24 + 3, &frames);
    CHECK(st == BD_ERR_FORMAT && frames == 1 && has(bd_last_error(), "truncated FRAME line"),
          "truncated FRAME line: %d, %d '%s'", st, frames, bd_last_error());
    st = y4m_read_status(buf, 16, &frames);
    CHECK(st == BD_Y4M_EOF && frames == 0, "header only: %d, %d", st, frames);
    memcpy(buf + 16, "FRAMX", 5);
    st = y4m_read_status(buf, n, &frames);
    CHECK(st == BD_ERR_FORMAT && frames == 0 && has(bd_last_error(), "FRAME"),
          "bad FRAME line: %d '%s'", st, bd_last_error());
    memcpy(buf + 16, "FRAMEX", 6);
    st = y4m_read_status(buf, n, &frames);
    CHECK(st == BD_ERR_FORMAT && frames == 0, "FRAMEX: %d '%s'", st, bd_last_error());
    {
        /* FRAME line without a newline over its limit */
        size_t m = 16 + 2 * BD_Y4M_MAX_FRAME_HEADER;
        char *big = malloc(m);
        memcpy(big, "YUV4MPEG2 W4 H4\nFRAME ", 22);
        memset(big + 22, 'x', m - 22);
        st = y4m_read_status(big, m, &frames);
        CHECK(st == BD_ERR_FORMAT && has(bd_last_error(), "longer than"),
              "long FRAME line: %d '%s'", st, bd_last_error());
        free(big);
    }
    n = (size_t)snprintf(buf, sizeof buf, "YUV4MPEG2 W3 H3 C420\nFRAME\n");
    memset(buf + n, 1, 17);
    n += 17;
    st = y4m_read_status(buf, n, &frames);
    CHECK(st == BD_Y4M_EOF && frames == 1, "odd size 3x3: %d, %d '%s'", st, frames,
          bd_last_error());

    /* reader argument checks */
    struct bd_y4m_reader *r = NULL;
    CHECK(bd_y4m_reader_open(-1, "x", &r) == BD_ERR_INVALID_ARG && !r, "fd -1");
    int fd = fd_with(buf, n);
    st = bd_y4m_reader_open(fd, NULL, &r);
    CHECK(st == BD_OK, "NULL name");
    if (r) {
        uint8_t small[4];
        struct bd_i420 p = {small, small, small, 2, 2, 2, 0, 0};
        CHECK(bd_y4m_reader_read(r, &p) == BD_ERR_INVALID_ARG, "strides too small");
        CHECK(bd_y4m_reader_read(r, NULL) == BD_ERR_INVALID_ARG, "NULL planes");
        bd_y4m_reader_close(r);
    }
    close(fd);
    bd_y4m_reader_close(NULL);

    /* random mutations of a valid stream: any status, no crash (ASan) */
    char base[128];
    size_t bn = (size_t)snprintf(base, sizeof base,
                                 "YUV4MPEG2 W6 H5 F30:1 Ip A1:1 C420jpeg XA=1\nFRAME\n");
    memset(base + bn, 3, 30 + 2 * 9);
    bn += 48;
    int ok = 0, errs = 0, other = 0;
    for (int it = 0; it < 3000; it++) {
        char m[160];
        memcpy(m, base, bn);
        size_t mn = bn;
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) {
            uint32_t k = rnd();
            size_t at = (size_t)(rnd() % mn);
            if (k % 3 == 0)
                m[at] = (char)rnd();
            else if (k % 3 == 1)
                m[at] = "0123456789 :\nWHFCAIX"[rnd() % 20];
            else
                mn = at + 1; /* truncate */
        }
        st = y4m_read_status(m, mn, &frames);
        if (st == BD_Y4M_EOF)
            ok++;
        else if (st == BD_ERR_FORMAT || st == BD_ERR_UNSUPPORTED)
            errs++;
        else
            other++;
        if (st != BD_Y4M_EOF && !has(bd_last_error(), "y4m"))
            other++;
    }
    CHECK(other == 0 && ok > 0 && errs > 0, "mutations: %d ok, %d errors, %d odd", ok, errs,
          other);
    /* parse_header directly, with lengths that cut the line anywhere */
    struct bd_y4m_info info;
    for (size_t i = 0; i <= 44; i++)
        (void)bd_y4m_parse_header(base, i, "cut", &info);
    CHECK(bd_y4m_parse_header(base, 44, "cut", &info) == BD_OK && info.width == 6 &&
              info.height == 5 && info.frame_bytes == 48,
          "parse_header: %s", bd_last_error());
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_y4m_malformed();
    test_y4m_roundtrip();
    test_y4m_tight_rewind();
    test_bad_files();
    test_still();
    test_tight_planes();
    test_video();
    return check_report();
}
