/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pw_feed: a producer and a checker for the PipeWire camera output
 * (src/output/pipewire_out.c), driven by tests/pipewire/run.sh.
 *
 *   pw_feed [--name NAME] [--size WxH] [--fps N] [--frames N]
 *           [--color '#rrggbb' | --pattern]
 *       Opens the node NAME (default "backdrop-test", 320x240, 30 fps)
 *       and writes N frames (0 = until SIGINT/SIGTERM) paced at the rate:
 *       a solid colour (BT.601 as the compositor makes it: the frames the
 *       CLI's --color gives) or a moving pattern (see below). Prints
 *       "PipeWire node ID 'NAME'" once the node exists and, at the end,
 *       "queued=Q dropped=D".
 *
 *   pw_feed check FILE --size WxH --format I420|YUY2
 *                 (--color '#rrggbb' [--tolerance T] | --pattern) [--min-frames N]
 *       Checks raw frames as a consumer (GStreamer's filesink) wrote them,
 *       in GStreamer's layout of the format (I420: strides rounded up to
 *       4, planes back to back; YUY2: 2 * width): FILE holds a whole
 *       number of frames, at least N (default 1); every pixel is the
 *       colour (within T, default 0) or the pattern of one frame number,
 *       and the pattern's frame numbers increase from frame to frame.
 *       Prints "frames=N ..." and exits 0, or one line on what differs.
 *
 * The pattern of frame f (mod 256) at pixel (x, y), chroma at (x/2, y/2):
 *   Y = x + 2y + f,  U = 3x + y + 2f,  V = x + 3y + 128 + f  (all mod 256)
 * so plane offsets, strides and the frame order are all visible.
 *
 * Errors: one line "pw_feed: MESSAGE" on stderr, exit status 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "composite/composite.h"
#include "output/pipewire_out.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: pw_feed [--name NAME] [--size WxH] [--fps N] [--frames N] "
                    "[--color '#rrggbb' | --pattern]\n"
                    "       pw_feed check FILE --size WxH --format I420|YUY2 "
                    "(--color '#rrggbb' [--tolerance T] | --pattern) [--min-frames N]\n");
    return 2;
}

static bool parse_size(const char *s, int *w, int *h)
{
    char x;
    return sscanf(s, "%d%c%d", w, &x, h) == 3 && (x == 'x' || x == 'X') && *w > 0 && *h > 0;
}

static bool parse_color(const char *s, uint8_t *y, uint8_t *u, uint8_t *v)
{
    unsigned r, g, b;
    char end;
    if (s[0] != '#' || strlen(s) != 7 || sscanf(s + 1, "%2x%2x%2x%c", &r, &g, &b, &end) != 3)
        return false;
    bd_rgb_to_yuv601((uint8_t)r, (uint8_t)g, (uint8_t)b, y, u, v);
    return true;
}

static uint8_t pat_y(int x, int y, unsigned f) { return (uint8_t)(x + 2 * y + (int)f); }
static uint8_t pat_u(int x, int y, unsigned f) { return (uint8_t)(3 * x + y + 2 * (int)f); }
static uint8_t pat_v(int x, int y, unsigned f) { return (uint8_t)(x + 3 * y + 128 + (int)f); }

static void fill_pattern(struct bd_i420 *fr, unsigned f)
{
    for (int y = 0; y < fr->height; y++)
        for (int x = 0; x < fr->width; x++)
            fr->y[(size_t)y * fr->stride_y + x] = pat_y(x, y, f);
    for (int y = 0; y < fr->height / 2; y++)
        for (int x = 0; x < fr->width / 2; x++) {
            fr->u[(size_t)y * fr->stride_u + x] = pat_u(x, y, f);
            fr->v[(size_t)y * fr->stride_v + x] = pat_v(x, y, f);
        }
}

static int feed(int argc, char **argv)
{
    const char *name = "backdrop-test", *color = NULL;
    int w = 320, h = 240, fps = 30;
    long frames = 0;
    bool pattern = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--pattern") == 0) {
            pattern = true;
            continue;
        }
        if (val == NULL)
            return usage();
        i++;
        if (strcmp(a, "--name") == 0)
            name = val;
        else if (strcmp(a, "--size") == 0) {
            if (!parse_size(val, &w, &h))
                return usage();
        } else if (strcmp(a, "--fps") == 0)
            fps = atoi(val);
        else if (strcmp(a, "--frames") == 0)
            frames = atol(val);
        else if (strcmp(a, "--color") == 0)
            color = val;
        else
            return usage();
    }
    uint8_t cy = 16, cu = 128, cv = 128;
    if (color != NULL && !parse_color(color, &cy, &cu, &cv)) {
        fprintf(stderr, "pw_feed: colour '%s' is not #rrggbb\n", color);
        return 1;
    }

    struct bd_pw_output *out = NULL;
    if (bd_pw_output_open(name, "backdrop test feed", w, h, fps, 1, &out) != BD_OK) {
        fprintf(stderr, "pw_feed: %s\n", bd_last_error());
        return 1;
    }
    printf("PipeWire node %u '%s'\n", bd_pw_output_node_id(out), name);
    fflush(stdout);

    size_t cw = (size_t)w / 2, ch = (size_t)h / 2;
    uint8_t *buf = malloc((size_t)w * (size_t)h + 2 * cw * ch);
    if (buf == NULL) {
        fprintf(stderr, "pw_feed: out of memory\n");
        bd_pw_output_close(out);
        return 1;
    }
    struct bd_i420 fr = {buf, buf + (size_t)w * h, buf + (size_t)w * h + cw * ch,
                         w, (int)cw, (int)cw, w, h};
    if (!pattern) {
        memset(fr.y, cy, (size_t)w * h);
        memset(fr.u, cu, cw * ch);
        memset(fr.v, cv, cw * ch);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = 0;
    long period_ns = 1000000000L / (fps > 0 ? fps : 30);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long n = 0; !stop && (frames == 0 || n < frames); n++) {
        if (pattern)
            fill_pattern(&fr, (unsigned)n);
        struct bd_i420_view view = bd_i420_view_of(&fr);
        if (bd_pw_output_write(out, &view) != BD_OK) {
            fprintf(stderr, "pw_feed: %s\n", bd_last_error());
            rc = 1;
            break;
        }
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
        }
    }
    uint64_t queued, dropped;
    bd_pw_output_stats(out, &queued, &dropped);
    printf("queued=%llu dropped=%llu\n", (unsigned long long)queued,
           (unsigned long long)dropped);
    fflush(stdout);
    bd_pw_output_close(out);
    free(buf);
    return rc;
}

static int check(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *path = argv[2], *format = NULL, *color = NULL;
    int w = 0, h = 0, tol = 0;
    long min_frames = 1;
    bool pattern = false;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--pattern") == 0) {
            pattern = true;
            continue;
        }
        if (val == NULL)
            return usage();
        i++;
        if (strcmp(a, "--size") == 0) {
            if (!parse_size(val, &w, &h))
                return usage();
        } else if (strcmp(a, "--format") == 0)
            format = val;
        else if (strcmp(a, "--color") == 0)
            color = val;
        else if (strcmp(a, "--tolerance") == 0)
            tol = atoi(val);
        else if (strcmp(a, "--min-frames") == 0)
            min_frames = atol(val);
        else
            return usage();
    }
    if (w == 0 || format == NULL || (color == NULL) == !pattern)
        return usage();
    bool yuy2 = strcmp(format, "YUY2") == 0;
    if (!yuy2 && strcmp(format, "I420") != 0)
        return usage();
    uint8_t cy = 0, cu = 0, cv = 0;
    if (color != NULL && !parse_color(color, &cy, &cu, &cv)) {
        fprintf(stderr, "pw_feed: colour '%s' is not #rrggbb\n", color);
        return 1;
    }

    /* GStreamer's default layout (gst_video_info_set_format). */
    size_t sy, su, frame;
    if (yuy2) {
        sy = (size_t)((w * 2 + 3) & ~3);
        su = 0;
        frame = sy * (size_t)h;
    } else {
        sy = (size_t)((w + 3) & ~3);
        su = (size_t)(((w + 1) / 2 + 3) & ~3);
        frame = sy * (size_t)((h + 1) & ~1) + 2 * su * (size_t)((h + 1) / 2);
    }

    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "pw_feed: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    uint8_t *buf = malloc(frame);
    if (buf == NULL) {
        fclose(fp);
        fprintf(stderr, "pw_feed: out of memory\n");
        return 1;
    }
    long n = 0, gaps = 0;
    unsigned prev = 0, first = 0;
    int rc = 0;
    size_t got;
    while ((got = fread(buf, 1, frame, fp)) == frame) {
        /* Expected value at each sample; the pattern's frame number comes
         * from the first Y sample. */
        unsigned f = buf[0];
        if (pattern) {
            if (n == 0)
                first = f;
            else {
                unsigned step = (f - prev) & 255;
                if (step == 0) {
                    fprintf(stderr, "pw_feed: frame %ld repeats pattern frame %u\n", n, f);
                    rc = 1;
                    break;
                }
                gaps += step > 1;
            }
            prev = f;
        }
        for (int y = 0; y < h && rc == 0; y++) {
            for (int x = 0; x < w; x++) {
                uint8_t ey = pattern ? pat_y(x, y, f) : cy;
                uint8_t eu = pattern ? pat_u(x / 2, y / 2, f) : cu;
                uint8_t ev = pattern ? pat_v(x / 2, y / 2, f) : cv;
                uint8_t gy, gu, gv;
                if (yuy2) {
                    const uint8_t *px = buf + (size_t)y * sy + (size_t)(x / 2) * 4;
                    gy = px[(x & 1) * 2];
                    gu = px[1];
                    gv = px[3];
                } else {
                    gy = buf[(size_t)y * sy + x];
                    size_t uoff = sy * (size_t)h, voff = uoff + su * (size_t)(h / 2);
                    gu = buf[uoff + (size_t)(y / 2) * su + x / 2];
                    gv = buf[voff + (size_t)(y / 2) * su + x / 2];
                }
                if (abs(gy - ey) > tol || abs(gu - eu) > tol || abs(gv - ev) > tol) {
                    fprintf(stderr,
                            "pw_feed: frame %ld pixel (%d,%d) is Y/U/V %u/%u/%u, expected "
                            "%u/%u/%u\n",
                            n, x, y, gy, gu, gv, ey, eu, ev);
                    rc = 1;
                    break;
                }
            }
        }
        if (rc != 0)
            break;
        n++;
    }
    if (rc == 0 && got != 0 && got != frame) {
        fprintf(stderr, "pw_feed: '%s' ends with a partial frame (%zu of %zu bytes)\n", path,
                got, frame);
        rc = 1;
    }
    if (rc == 0 && n < min_frames) {
        fprintf(stderr, "pw_feed: '%s' holds %ld frames of %zu bytes, expected at least %ld\n",
                path, n, frame, min_frames);
        rc = 1;
    }
    if (rc == 0) {
        printf("frames=%ld frame_bytes=%zu", n, frame);
        if (pattern)
            printf(" first=%u last=%u gaps=%ld", first, prev, gaps);
        printf("\n");
    }
    free(buf);
    fclose(fp);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return check(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage();
        return 0;
    }
    return feed(argc, argv);
}
