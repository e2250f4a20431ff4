/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * v4l2tool: a small driver of the V4L2 layer, for the VM tests
 * (tests/vm/v4l2_layer.sh) and for trying a real webcam by hand.
 *
 *   v4l2tool list
 *       every /dev/videoN: driver, card, caps, loopback or not, and the
 *       modes of capture devices
 *   v4l2tool capture DEV WxH FPS N OUT.raw [FOURCC]
 *       N frames from DEV, chosen as the layer chooses (or in FOURCC),
 *       converted to I420 and appended to OUT.raw (V4L2TOOL_VERBOSE=1:
 *       one line per frame with its sequence and timestamp)
 *   v4l2tool loop IN_DEV OUT_DEV N [--size WxH] [--fps F] [--i420]
 *       N frames (0 = until SIGINT/SIGTERM) from IN_DEV, converted to I420,
 *       written to the v4l2loopback device OUT_DEV ("auto": the first free
 *       one) in YUYV (or I420); when the input stalls the last frame is
 *       written again
 *   v4l2tool pattern OUT_DEV N [--size WxH] [--fps F] [--i420]
 *       N frames (0 = until SIGINT/SIGTERM) of a moving test pattern to
 *       OUT_DEV ("auto" as above), paced at F fps: a producer that needs
 *       no camera
 *
 * Errors: one line "v4l2tool: MESSAGE" on stderr, exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/v4l2_capture.h"
#include "common/v4l2_device.h"
#include "common/v4l2_ops.h"
#include "output/v4l2_loopback.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int die(void)
{
    fprintf(stderr, "v4l2tool: %s\n", bd_last_error());
    return 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool parse_size(const char *s, int *w, int *h)
{
    char x;
    return sscanf(s, "%d%c%d", w, &x, h) == 3 && (x == 'x' || x == 'X') && *w > 0 && *h > 0;
}

static int cmd_list(void)
{
    struct bd_v4l2_device_info devs[BD_V4L2_MAX_DEVICES];
    int n = 0;
    if (bd_v4l2_list_devices(NULL, NULL, 0, devs, BD_V4L2_MAX_DEVICES, &n) < 0)
        return die();
    static struct bd_v4l2_modes modes;
    for (int i = 0; i < n; i++) {
        const struct bd_v4l2_device_info *d = &devs[i];
        char caps[256];
        const char *kind = d->is_loopback
                               ? (d->can_output ? "loopback (free)" : d->can_capture ? "loopback (fed)" : "loopback (stuck)")
                               : d->can_capture ? "camera" : "other";
        printf("%s\t%s\tdriver '%s'\tcard '%s'\tcaps %s\n", d->path, kind, d->driver, d->card,
               bd_v4l2_caps_str(d->caps, caps, sizeof caps));
        if (!d->can_capture)
            continue;
        int fd = bd_v4l2_open(NULL, d->path, O_RDWR | O_NONBLOCK);
        if (fd < 0)
            continue;
        if (bd_v4l2_enum_modes(NULL, fd, &modes) == 0) {
            char s[2048];
            printf("\tmodes: %s\n", bd_v4l2_modes_str(&modes, s, sizeof s));
        }
        bd_v4l2_close(NULL, fd);
    }
    printf("%d devices\n", n);
    return 0;
}

static void print_format(const struct bd_v4l2_capture *cap, const struct bd_v4l2_request *req)
{
    const struct bd_v4l2_format *f = bd_v4l2_capture_format(cap);
    const struct bd_v4l2_choice *c = bd_v4l2_capture_choice(cap);
    char fcc[8];
    printf("capture %s (%s): %s %dx%d stride %d interval %u/%u; asked %dx%d@%d: %s size, rate %s\n",
           bd_v4l2_capture_path(cap), bd_v4l2_capture_card(cap), bd_v4l2_fourcc_str(f->fourcc, fcc), f->width,
           f->height, f->stride, f->interval.num, f->interval.den, req->width, req->height, req->fps,
           c->exact_size ? "exact" : "nearest", c->reaches_fps ? "reached" : "not reached");
    fflush(stdout);
}

/* I420 planes of w x h in one allocation. */
struct i420 {
    uint8_t *y, *u, *v;
    int w, h, cw, ch;
    size_t size;
};

static int i420_alloc(struct i420 *p, int w, int h)
{
    p->w = w;
    p->h = h;
    p->cw = (w + 1) / 2;
    p->ch = (h + 1) / 2;
    p->size = (size_t)w * h + 2 * (size_t)p->cw * p->ch;
    p->y = malloc(p->size);
    if (!p->y)
        return -1;
    p->u = p->y + (size_t)w * h;
    p->v = p->u + (size_t)p->cw * p->ch;
    return 0;
}

static int cmd_capture(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: v4l2tool capture DEV WxH FPS N OUT.raw [FOURCC]\n");
        return 2;
    }
    struct bd_v4l2_request req = {0};
    if (!parse_size(argv[2], &req.width, &req.height)) {
        fprintf(stderr, "v4l2tool: bad size '%s'\n", argv[2]);
        return 2;
    }
    req.fps = atoi(argv[3]);
    int n = atoi(argv[4]);
    if (argc > 6) {
        const char *f = argv[6];
        if (strlen(f) != 4) {
            fprintf(stderr, "v4l2tool: bad fourcc '%s'\n", f);
            return 2;
        }
        req.fourcc = BD_FOURCC(f[0], f[1], f[2], f[3]);
    }
    struct bd_v4l2_capture *cap = NULL;
    double t0 = now_s();
    if (bd_v4l2_capture_open(argv[1], &req, NULL, &cap) < 0)
        return die();
    double t_open = now_s() - t0;
    print_format(cap, &req);
    const struct bd_v4l2_format *f = bd_v4l2_capture_format(cap);
    struct bd_v4l2_converter *cv = NULL;
    struct i420 img = {0};
    FILE *out = NULL;
    int rc = 1;
    if (bd_v4l2_converter_create(f->width, f->height, &cv) < 0 || i420_alloc(&img, f->width, f->height) < 0)
        goto done;
    out = fopen(argv[5], "wb");
    if (!out) {
        fprintf(stderr, "v4l2tool: cannot write '%s'\n", argv[5]);
        goto done_quiet;
    }
    t0 = now_s();
    if (bd_v4l2_capture_start(cap) < 0)
        goto done;
    double t_start = now_s() - t0, t_first = 0;
    t0 = now_s();
    int got = 0, bad = 0;
    bool verbose = getenv("V4L2TOOL_VERBOSE") != NULL; /* one line per frame */
    while (got < n) {
        struct bd_v4l2_frame fr;
        if (bd_v4l2_capture_dequeue(cap, 5000, &fr) < 0)
            goto done;
        if (got == 0)
            t_first = now_s() - t0;
        if (verbose)
            printf("frame index %d seq %u bytesused %zu ts %.6f\n", fr.index, fr.sequence, fr.bytesused,
                   (double)fr.timestamp_ns / 1e9);
        int r = bd_v4l2_frame_to_i420(cv, &fr, img.y, img.w, img.u, img.cw, img.v, img.cw);
        if (bd_v4l2_capture_requeue(cap, &fr) < 0)
            goto done;
        if (r == -EBADMSG) {
            bad++;
            continue;
        }
        if (r < 0)
            goto done;
        if (fwrite(img.y, 1, img.size, out) != img.size) {
            fprintf(stderr, "v4l2tool: cannot write '%s'\n", argv[5]);
            goto done_quiet;
        }
        got++;
    }
    double secs = now_s() - t0;
    struct bd_v4l2_capture_stats st;
    bd_v4l2_capture_stats(cap, &st);
    printf("captured %d frames of %zu bytes (I420) in %.2f s (%.1f fps after the first); open %.0f ms, start %.0f ms, "
           "first frame %.0f ms; corrupt %llu, dropped %llu, undecodable %d\n",
           got, img.size, secs, got > 1 ? (got - 1) / (secs - t_first) : 0.0, t_open * 1e3, t_start * 1e3,
           t_first * 1e3, (unsigned long long)st.corrupt, (unsigned long long)st.dropped, bad);
    rc = 0;
    goto done_quiet;
done:
    rc = die();
done_quiet:
    if (out && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "v4l2tool: cannot write '%s'\n", argv[5]);
        rc = 1;
    }
    free(img.y);
    bd_v4l2_converter_destroy(cv);
    bd_v4l2_capture_close(cap);
    return rc;
}

static int cmd_loop(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: v4l2tool loop IN_DEV OUT_DEV N [--size WxH] [--fps F] [--i420]\n");
        return 2;
    }
    struct bd_v4l2_request req = {.width = 640, .height = 480, .fps = 30};
    enum bd_loopback_format ofmt = BD_LOOPBACK_YUYV;
    int n = atoi(argv[3]);
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && parse_size(argv[i + 1], &req.width, &req.height)) {
            i++;
        } else if (strcmp(argv[i], "--fps") == 0 && i + 1 < argc) {
            req.fps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--i420") == 0) {
            ofmt = BD_LOOPBACK_I420;
        } else {
            fprintf(stderr, "v4l2tool: bad option '%s'\n", argv[i]);
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct bd_v4l2_capture *cap = NULL;
    struct bd_v4l2_loopback *lb = NULL;
    struct bd_v4l2_converter *cv = NULL;
    struct i420 img = {0};
    int rc = 1;
    if (bd_v4l2_capture_open(argv[1], &req, NULL, &cap) < 0)
        return die();
    print_format(cap, &req);
    const struct bd_v4l2_format *f = bd_v4l2_capture_format(cap);
    int fps = f->interval.num ? (int)(f->interval.den / f->interval.num) : req.fps;
    const char *out_path = strcmp(argv[2], "auto") == 0 ? NULL : argv[2];
    if (bd_v4l2_loopback_open(out_path, f->width, f->height, ofmt, fps, NULL, &lb) < 0)
        goto done;
    printf("loopback %s: %dx%d %s, %zu bytes a frame\n", bd_v4l2_loopback_path(lb), f->width, f->height,
           bd_loopback_format_name(ofmt), bd_v4l2_loopback_frame_size(lb));
    fflush(stdout);
    if (bd_v4l2_converter_create(f->width, f->height, &cv) < 0 || i420_alloc(&img, f->width, f->height) < 0)
        goto done;
    if (bd_v4l2_capture_start(cap) < 0)
        goto done;
    double t0 = now_s();
    int frames = 0, repeats = 0;
    while (!stop && (n == 0 || frames < n)) {
        struct bd_v4l2_frame fr;
        int r = bd_v4l2_capture_dequeue(cap, 500, &fr);
        if (r == -ETIMEDOUT) {
            /* keep consumers fed while the input stalls */
            if (bd_v4l2_loopback_repeat(lb) < 0)
                goto done;
            repeats++;
            continue;
        }
        if (r < 0) {
            if (stop)
                break;
            goto done;
        }
        r = bd_v4l2_frame_to_i420(cv, &fr, img.y, img.w, img.u, img.cw, img.v, img.cw);
        if (bd_v4l2_capture_requeue(cap, &fr) < 0)
            goto done;
        if (r == -EBADMSG)
            continue;
        if (r < 0)
            goto done;
        if (bd_v4l2_loopback_write_i420(lb, img.y, img.w, img.u, img.cw, img.v, img.cw) < 0)
            goto done;
        frames++;
    }
    double secs = now_s() - t0;
    printf("looped %d frames in %.2f s (%.1f fps), %d repeats%s\n", frames, secs, secs > 0 ? frames / secs : 0.0,
           repeats, stop ? ", stopped by a signal" : "");
    rc = 0;
    goto out;
done:
    rc = die();
out:
    free(img.y);
    bd_v4l2_converter_destroy(cv);
    bd_v4l2_loopback_close(lb);
    bd_v4l2_capture_close(cap);
    return rc;
}

static int cmd_pattern(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: v4l2tool pattern OUT_DEV N [--size WxH] [--fps F] [--i420]\n");
        return 2;
    }
    int w = 320, h = 240, fps = 30, n = atoi(argv[2]);
    enum bd_loopback_format ofmt = BD_LOOPBACK_YUYV;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && parse_size(argv[i + 1], &w, &h)) {
            i++;
        } else if (strcmp(argv[i], "--fps") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            fps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--i420") == 0) {
            ofmt = BD_LOOPBACK_I420;
        } else {
            fprintf(stderr, "v4l2tool: bad option '%s'\n", argv[i]);
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct bd_v4l2_loopback *lb = NULL;
    const char *out_path = strcmp(argv[1], "auto") == 0 ? NULL : argv[1];
    if (bd_v4l2_loopback_open(out_path, w, h, ofmt, fps, NULL, &lb) < 0)
        return die();
    printf("loopback %s: %dx%d %s, %zu bytes a frame\n", bd_v4l2_loopback_path(lb), w, h,
           bd_loopback_format_name(ofmt), bd_v4l2_loopback_frame_size(lb));
    struct i420 img = {0};
    int rc = 0, frames = 0;
    if (i420_alloc(&img, w, h) < 0) {
        fprintf(stderr, "v4l2tool: out of memory\n");
        bd_v4l2_loopback_close(lb);
        return 1;
    }
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!stop && (n == 0 || frames < n)) {
        /* a grey ramp with a white bar that moves 4 pixels a frame */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img.y[(size_t)y * w + x] = (uint8_t)(((x + frames * 4) % w) < 16 ? 235 : 16 + (y * 200) / h);
        memset(img.u, 128 + (frames % 64), (size_t)img.cw * img.ch);
        memset(img.v, 128, (size_t)img.cw * img.ch);
        if (bd_v4l2_loopback_write_i420(lb, img.y, w, img.u, img.cw, img.v, img.cw) < 0) {
            rc = die();
            break;
        }
        frames++;
        next.tv_nsec += 1000000000L / fps;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    if (rc == 0)
        printf("wrote %d frames%s\n", frames, stop ? ", stopped by a signal" : "");
    free(img.y);
    bd_v4l2_loopback_close(lb);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return cmd_list();
    if (argc >= 2 && strcmp(argv[1], "capture") == 0)
        return cmd_capture(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "loop") == 0)
        return cmd_loop(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "pattern") == 0)
        return cmd_pattern(argc - 1, argv + 1);
    fprintf(stderr, "usage: v4l2tool list | capture DEV WxH FPS N OUT.raw [FOURCC] | "
                    "loop IN_DEV OUT_DEV N [--size WxH] [--fps F] [--i420] | "
                    "pattern OUT_DEV N [--size WxH] [--fps F] [--i420]\n");
    return 2;
}
