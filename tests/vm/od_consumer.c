/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * od_consumer: the consumers of tests/vm/ondemand.sh, in plain V4L2 (no
 * library code: it plays the browser).
 *
 *   od_consumer first DEV TIMEOUT_S
 *       mmap streaming; prints "first_real_ms MS placeholders N": the time
 *       from its STREAMON to the first frame that is not backdrop's dark
 *       idle placeholder (mean luma >= 48); exit 1 if none came in time
 *   od_consumer stream DEV SECONDS
 *       streams SECONDS (0: until killed); prints "frames N real M"
 *   od_consumer map DEV SECONDS
 *       REQBUFS and mmap as a stream set-up does, no STREAMON; holds the
 *       mappings SECONDS
 *   od_consumer probe DEV N
 *       N probe cycles as programs do when they list cameras: open,
 *       QUERYCAP, G_FMT, ENUM_FMT, close; then open, hold 0.2 s, close
 *   od_consumer stall DEV SECONDS
 *       streams across a restart of the producer, as an app that keeps
 *       its camera open does: an error from poll, DQBUF, QBUF or G_FMT is
 *       counted and named (never fatal), the format is read again after
 *       every gap; ends once 10 real frames followed a gap of 1.5 s or
 *       more, or after SECONDS; prints "frames N real M errors E
 *       first_error WHAT gap_ms G real_after_gap R fmt_changes F fmt
 *       WxH/FOURCC" (G: the longest time without a frame; R: real frames
 *       after it). With OD_COLOUR_LOG=FILE set, it also appends
 *       "MS CR" to FILE twice a second: the time and the mean Cr (V) of
 *       the newest frame (YUYV), so a test sees which camera the producer
 *       reads while this one stream goes on (a second consumer's
 *       STREAMOFF upsets the first on v4l2loopback 0.12.x)
 *
 * Exit status 0, or 1 with one line "od_consumer: ..." on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#define NBUF 4
#define PLACEHOLDER_LUMA 48

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int die(const char *what)
{
    fprintf(stderr, "od_consumer: %s: %s\n", what, strerror(errno));
    return 1;
}

struct stream {
    int fd;
    void *mem[NBUF];
    size_t len[NBUF];
    int n;
    struct v4l2_pix_format pix;
};

static double streamon_ms; /* when STREAMON was called */

static int start_ex(struct stream *s, const char *dev, int streamon)
{
    memset(s, 0, sizeof *s);
    s->fd = open(dev, O_RDWR);
    if (s->fd < 0)
        return die(dev);
    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    if (xioctl(s->fd, VIDIOC_G_FMT, &f) < 0)
        return die("G_FMT");
    s->pix = f.fmt.pix;
    struct v4l2_requestbuffers rb = {.count = NBUF, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                     .memory = V4L2_MEMORY_MMAP};
    if (xioctl(s->fd, VIDIOC_REQBUFS, &rb) < 0)
        return die("REQBUFS");
    s->n = (int)rb.count < NBUF ? (int)rb.count : NBUF;
    for (int i = 0; i < s->n; i++) {
        struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP,
                                .index = (unsigned)i};
        if (xioctl(s->fd, VIDIOC_QUERYBUF, &b) < 0)
            return die("QUERYBUF");
        s->len[i] = b.length;
        s->mem[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, s->fd, b.m.offset);
        if (s->mem[i] == MAP_FAILED)
            return die("mmap");
        if (xioctl(s->fd, VIDIOC_QBUF, &b) < 0)
            return die("QBUF");
    }
    if (!streamon)
        return 0;
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    streamon_ms = now_ms();
    if (xioctl(s->fd, VIDIOC_STREAMON, &type) < 0)
        return die("STREAMON");
    return 0;
}

static int start(struct stream *s, const char *dev)
{
    return start_ex(s, dev, 1);
}

/* The mean luma of a frame on a sparse grid (YUYV: Y at even bytes;
 * planar: the first plane). */
static int mean_luma(const struct stream *s, int i, size_t used)
{
    const uint8_t *p = s->mem[i];
    const int yuyv = s->pix.pixelformat == V4L2_PIX_FMT_YUYV;
    const size_t w = s->pix.width, h = s->pix.height;
    const size_t stride = s->pix.bytesperline ? s->pix.bytesperline : (yuyv ? 2 * w : w);
    uint64_t sum = 0, n = 0;
    for (size_t y = 0; y < h; y += 8)
        for (size_t x = 0; x < w; x += 8) {
            size_t o = y * stride + (yuyv ? 2 * x : x);
            if (o < used) {
                sum += p[o];
                n++;
            }
        }
    return n ? (int)(sum / n) : 0;
}

/* The mean Cr of a YUYV frame on a sparse grid (V at byte 3 of each
 * pixel pair); -1 for other formats. */
static int mean_cr(const struct stream *s, int i, size_t used)
{
    if (s->pix.pixelformat != V4L2_PIX_FMT_YUYV)
        return -1;
    const uint8_t *p = s->mem[i];
    const size_t w = s->pix.width, h = s->pix.height;
    const size_t stride = s->pix.bytesperline ? s->pix.bytesperline : 2 * w;
    uint64_t sum = 0, n = 0;
    for (size_t y = 0; y < h; y += 8)
        for (size_t x = 0; x < w; x += 8) {
            size_t o = y * stride + 2 * x + 3;
            if (o < used) {
                sum += p[o];
                n++;
            }
        }
    return n ? (int)(sum / n) : 0;
}

/* One frame: its mean luma, or -1 with errno. */
static int next(struct stream *s, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(s->fd, &fds);
    int r = select(s->fd + 1, &fds, NULL, NULL, &tv);
    if (r <= 0) {
        if (r == 0)
            errno = ETIMEDOUT;
        return -1;
    }
    struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (xioctl(s->fd, VIDIOC_DQBUF, &b) < 0)
        return -1;
    int m = mean_luma(s, (int)b.index % s->n, b.bytesused ? b.bytesused : s->len[b.index % s->n]);
    if (xioctl(s->fd, VIDIOC_QBUF, &b) < 0)
        return -1;
    return m;
}

static void stop(struct stream *s)
{
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    xioctl(s->fd, VIDIOC_STREAMOFF, &type);
    for (int i = 0; i < s->n; i++)
        munmap(s->mem[i], s->len[i]);
    close(s->fd);
}

static volatile sig_atomic_t quit;
static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

static int same_fmt(const struct v4l2_pix_format *a, const struct v4l2_pix_format *b)
{
    return a->width == b->width && a->height == b->height && a->pixelformat == b->pixelformat;
}

static int stall(const char *dev, int seconds)
{
    struct stream s;
    if (start(&s, dev))
        return 1;
    const struct v4l2_pix_format fmt0 = s.pix;
    const double t0 = now_ms();
    double last = t0, gap = 0;
    long frames = 0, real = 0, errors = 0, real_after = 0, fmt_changes = 0;
    char first_error[96] = "none";
    const char *log_path = getenv("OD_COLOUR_LOG");
    FILE *colour_log = log_path ? fopen(log_path, "a") : NULL;
    double logged = 0;
    while (now_ms() - t0 < seconds * 1e3 && !(gap >= 1500 && real_after >= 10)) {
        const char *what = NULL;
        struct pollfd pf = {.fd = s.fd, .events = POLLIN};
        int r = poll(&pf, 1, 200);
        if (r < 0 && errno != EINTR)
            what = "poll";
        else if (r > 0 && (pf.revents & (POLLERR | POLLHUP | POLLNVAL))) {
            errno = EIO;
            what = pf.revents & POLLHUP ? "poll POLLHUP" : "poll POLLERR";
        } else if (r > 0) {
            struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                    .memory = V4L2_MEMORY_MMAP};
            if (xioctl(s.fd, VIDIOC_DQBUF, &b) < 0) {
                what = errno == EAGAIN ? NULL : "DQBUF";
            } else {
                const double t = now_ms();
                if (t - last > gap) {
                    gap = t - last;
                    real_after = 0;
                    /* after a gap the producer may have come back with
                     * another format: what the app would have to notice */
                    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
                    if (xioctl(s.fd, VIDIOC_G_FMT, &f) < 0)
                        what = "G_FMT";
                    else if (!same_fmt(&f.fmt.pix, &fmt0))
                        fmt_changes++;
                }
                last = t;
                int m = mean_luma(&s, (int)b.index % s.n,
                                  b.bytesused ? b.bytesused : s.len[b.index % s.n]);
                frames++;
                real += m >= PLACEHOLDER_LUMA;
                real_after += m >= PLACEHOLDER_LUMA;
                if (colour_log && t - logged >= 500) {
                    fprintf(colour_log, "%.0f %d\n", t - t0,
                            mean_cr(&s, (int)b.index % s.n,
                                    b.bytesused ? b.bytesused : s.len[b.index % s.n]));
                    fflush(colour_log);
                    logged = t;
                }
                if (xioctl(s.fd, VIDIOC_QBUF, &b) < 0)
                    what = "QBUF";
            }
        }
        if (what) {
            if (!errors++)
                snprintf(first_error, sizeof first_error, "%s:%s", what, strerror(errno));
            nanosleep(&(struct timespec){0, 100000000}, NULL); /* no spin on a dead fd */
        }
    }
    if (now_ms() - last > gap) /* a stall that never ended */
        gap = now_ms() - last, real_after = 0;
    for (char *c = first_error; *c; c++)
        if (*c == ' ')
            *c = '_';
    char fcc[5] = {(char)(fmt0.pixelformat & 255), (char)(fmt0.pixelformat >> 8 & 255),
                   (char)(fmt0.pixelformat >> 16 & 255), (char)(fmt0.pixelformat >> 24), 0};
    printf("frames %ld real %ld errors %ld first_error %s gap_ms %.0f real_after_gap %ld "
           "fmt_changes %ld fmt %ux%u/%s\n",
           frames, real, errors, first_error, gap, real_after, fmt_changes, fmt0.width,
           fmt0.height, fcc);
    stop(&s);
    if (colour_log)
        fclose(colour_log);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: od_consumer first DEV TIMEOUT_S | stream DEV SECONDS | stall DEV SECONDS | map DEV SECONDS | probe DEV N\n");
        return 2;
    }
    const char *cmd = argv[1], *dev = argv[2];
    const int arg = atoi(argv[3]);
    struct stream s;
    if (!strcmp(cmd, "first")) {
        if (start(&s, dev))
            return 1;
        const double t0 = streamon_ms;
        int placeholders = 0;
        for (;;) {
            double left = arg * 1e3 - (now_ms() - t0);
            if (left <= 0) {
                fprintf(stderr, "od_consumer: no real frame within %d s (%d placeholders)\n", arg,
                        placeholders);
                stop(&s);
                return 1;
            }
            int m = next(&s, (int)left);
            if (m < 0 && errno != ETIMEDOUT)
                return die("frame");
            if (m < 0)
                continue;
            if (m >= PLACEHOLDER_LUMA) {
                printf("first_real_ms %.0f placeholders %d luma %d\n", now_ms() - t0, placeholders, m);
                break;
            }
            placeholders++;
        }
        stop(&s);
        return 0;
    }
    if (!strcmp(cmd, "stream")) {
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        if (start(&s, dev))
            return 1;
        double t0 = now_ms();
        long frames = 0, real = 0;
        while (!quit && (arg == 0 || now_ms() - t0 < arg * 1e3)) {
            int m = next(&s, 500);
            if (m < 0 && errno != ETIMEDOUT && errno != EINTR)
                return die("frame");
            if (m >= 0) {
                frames++;
                real += m >= PLACEHOLDER_LUMA;
            }
        }
        stop(&s);
        printf("frames %ld real %ld\n", frames, real);
        return 0;
    }
    if (!strcmp(cmd, "stall"))
        return stall(dev, arg);
    if (!strcmp(cmd, "map")) {
        if (start_ex(&s, dev, 0))
            return 1;
        sleep((unsigned)arg);
        stop(&s);
        printf("mapped %d buffers for %d s\n", s.n, arg);
        return 0;
    }
    if (!strcmp(cmd, "probe")) {
        for (int i = 0; i < arg; i++) {
            int fd = open(dev, O_RDWR);
            if (fd < 0)
                return die(dev);
            struct v4l2_capability cap;
            struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
            struct v4l2_fmtdesc d = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
            if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
                return die("QUERYCAP");
            (void)xioctl(fd, VIDIOC_G_FMT, &f);
            while (xioctl(fd, VIDIOC_ENUM_FMT, &d) == 0)
                d.index++;
            close(fd);
            fd = open(dev, O_RDWR);
            if (fd < 0)
                return die(dev);
            nanosleep(&(struct timespec){0, 200000000}, NULL);
            close(fd);
        }
        printf("probes %d\n", arg);
        return 0;
    }
    fprintf(stderr, "od_consumer: unknown command '%s'\n", cmd);
    return 2;
}
