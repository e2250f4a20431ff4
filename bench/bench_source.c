/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the pipeline's source costs a frame, measured apart from the rest
 * (bench/cpu-defaults.md, fourth pass): make bench-pipeline's live figures
 * read a .y4m file where a user has a camera. Process CPU per frame
 * (user and kernel time) of, in turn, ROUNDS times:
 *  - y4m: the file through the y4m reader into the pipeline's planes (how
 *    the pipeline reads a .y4m file now: the kernel's read straight into
 *    the frame);
 *  - ffmpeg: the same file through FFmpeg's file source (how it read it
 *    before: a packet allocated per frame, two more copies);
 *  - yuyv: a camera's work instead: its YUYV frames (the clip's frames,
 *    converted once, in a ring of 4 buffers as a driver's mmap ring)
 *    converted to I420 (bd_v4l2_frame_to_i420, as source.c does).
 *
 * usage: bench_source FILE.y4m FRAMES [ROUNDS]
 * Prints "source=<kind> size=WxH cpu_ms=<median over rounds>" lines.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libyuv/convert_from.h>
#include <linux/videodev2.h>

#include "capture/file_source.h"
#include "capture/v4l2_capture.h"
#include "capture/y4m_reader.h"
#include "common/frame.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ms a frame reading n frames of path with the y4m reader (looping). */
static double run_y4m(const char *path, long n, const struct bd_i420 *f)
{
    int fd = open(path, O_RDONLY);
    struct bd_y4m_reader *r = NULL;
    if (fd < 0 || bd_y4m_reader_open(fd, path, &r) != 0) {
        fprintf(stderr, "bench_source: cannot read %s\n", path);
        exit(1);
    }
    const double c0 = cpu_s();
    for (long i = 0; i < n; i++) {
        int st = bd_y4m_reader_read(r, f);
        if (st == BD_Y4M_EOF && bd_y4m_reader_rewind(r) == 0)
            st = bd_y4m_reader_read(r, f);
        if (st != 0) {
            fprintf(stderr, "bench_source: y4m read failed (%d)\n", st);
            exit(1);
        }
    }
    const double ms = (cpu_s() - c0) * 1e3 / (double)n;
    bd_y4m_reader_close(r);
    close(fd);
    return ms;
}

static double run_ffmpeg(const char *path, long n, const struct bd_i420 *f)
{
    struct bd_file_source_options o = {.loop = true, .threads = 0};
    struct bd_file_source *s = NULL;
    if (bd_file_source_open(path, &o, &s) != 0) {
        fprintf(stderr, "bench_source: FFmpeg cannot open %s\n", path);
        exit(1);
    }
    int64_t pts;
    const double c0 = cpu_s();
    for (long i = 0; i < n; i++)
        if (bd_file_source_read(s, f, &pts) != 0) {
            fprintf(stderr, "bench_source: FFmpeg read failed\n");
            exit(1);
        }
    const double ms = (cpu_s() - c0) * 1e3 / (double)n;
    bd_file_source_close(s);
    return ms;
}

static double run_yuyv(uint8_t *const ring[4], int w, int h, long n, const struct bd_i420 *f)
{
    const double c0 = cpu_s();
    for (long i = 0; i < n; i++) {
        const struct bd_v4l2_frame fr = {.data = ring[i % 4], .bytesused = (size_t)w * 2 * h,
                                         .fourcc = V4L2_PIX_FMT_YUYV, .width = w, .height = h,
                                         .stride = 2 * w};
        if (bd_v4l2_frame_to_i420(NULL, &fr, f->y, f->stride_y, f->u, f->stride_u, f->v,
                                  f->stride_v) != 0) {
            fprintf(stderr, "bench_source: YUYV conversion failed\n");
            exit(1);
        }
    }
    return (cpu_s() - c0) * 1e3 / (double)n;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s FILE.y4m FRAMES [ROUNDS]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    const long n = atol(argv[2]);
    const int rounds = argc == 4 ? atoi(argv[3]) : 3;
    if (n < 1 || rounds < 1 || rounds > 15)
        return 2;
    int fd = open(path, O_RDONLY);
    struct bd_y4m_reader *r = NULL;
    if (fd < 0 || bd_y4m_reader_open(fd, path, &r) != 0) {
        fprintf(stderr, "bench_source: cannot read %s\n", path);
        return 1;
    }
    const int w = bd_y4m_reader_info(r)->width, h = bd_y4m_reader_info(r)->height;
    uint8_t *mem = NULL;
    struct bd_i420 f;
    if (bd_i420_alloc(w, h, &mem, &f) != 0)
        return 1;
    uint8_t *ring[4];
    for (int i = 0; i < 4; i++) {
        ring[i] = malloc((size_t)w * 2 * h);
        if (!ring[i] || bd_y4m_reader_read(r, &f) != 0)
            return 1;
        I420ToYUY2(f.y, f.stride_y, f.u, f.stride_u, f.v, f.stride_v, ring[i], 2 * w, w, h);
    }
    bd_y4m_reader_close(r);
    close(fd);
    double t[3][15];
    for (int k = 0; k < rounds; k++) {
        t[0][k] = run_y4m(path, n, &f);
        t[1][k] = run_ffmpeg(path, n, &f);
        t[2][k] = run_yuyv(ring, w, h, n, &f);
    }
    static const char *names[3] = {"y4m", "ffmpeg", "yuyv"};
    for (int j = 0; j < 3; j++) {
        qsort(t[j], (size_t)rounds, sizeof t[j][0], cmp);
        printf("source=%s size=%dx%d frames=%ld rounds=%d cpu_ms=%.3f\n", names[j], w, h, n,
               rounds, t[j][rounds / 2]);
    }
    for (int i = 0; i < 4; i++)
        free(ring[i]);
    free(mem);
    return 0;
}
