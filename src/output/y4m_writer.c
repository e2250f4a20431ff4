/* SPDX-License-Identifier: GPL-3.0-or-later */
/* YUV4MPEG2 writer: see y4m_writer.h. */
#include "output/y4m_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

struct bd_y4m_writer {
    int fd;
    bool own_fd;
    bool failed;
    char name[256];
    int width, height;
    uint8_t *frame;       /* "FRAME\n" + planes */
    size_t frame_size;
    uint64_t frames;
};

static const char frame_magic[] = "FRAME\n";

static int write_all(struct bd_y4m_writer *w, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        w->failed = true;
        if (k < 0 && errno == EPIPE)
            return bd_fail(BD_ERR_IO, "y4m output '%s': the reader closed the pipe", w->name);
        return bd_fail(BD_ERR_IO, "y4m output '%s': write failed: %s", w->name,
                       k < 0 ? strerror(errno) : "no progress");
    }
    return BD_OK;
}

static long long gcd(long long a, long long b)
{
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int open_common(int fd, bool own, const char *name, int width, int height, int fps_num,
                       int fps_den, struct bd_y4m_writer **out)
{
    if (width < 1 || height < 1 || width > BD_Y4M_MAX_DIM || height > BD_Y4M_MAX_DIM ||
        fps_num <= 0 || fps_den <= 0) {
        if (own)
            close(fd);
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output '%s': bad size %dx%d or rate %d/%d", name,
                       width, height, fps_num, fps_den);
    }
    struct bd_y4m_writer *w = calloc(1, sizeof *w);
    size_t cw = ((size_t)width + 1) / 2, ch = ((size_t)height + 1) / 2;
    size_t size = sizeof frame_magic - 1 + (size_t)width * (size_t)height + 2 * cw * ch;
    uint8_t *frame = malloc(size);
    if (!w || !frame) {
        free(w);
        free(frame);
        if (own)
            close(fd);
        return bd_fail(BD_ERR_NOMEM, "y4m output '%s': out of memory", name);
    }
    w->fd = fd;
    w->own_fd = own;
    w->width = width;
    w->height = height;
    w->frame = frame;
    w->frame_size = size;
    memcpy(frame, frame_magic, sizeof frame_magic - 1);
    snprintf(w->name, sizeof w->name, "%s", name);

    long long g = gcd(fps_num, fps_den);
    char hdr[128];
    int n = snprintf(hdr, sizeof hdr, "YUV4MPEG2 W%d H%d F%lld:%lld Ip A1:1 C420jpeg\n", width,
                     height, fps_num / g, fps_den / g);
    int st = write_all(w, hdr, (size_t)n);
    if (st != BD_OK) {
        bd_y4m_writer_close(w);
        return st;
    }
    *out = w;
    return BD_OK;
}

int bd_y4m_writer_open_fd(int fd, const char *name, int width, int height, int fps_num,
                          int fps_den, struct bd_y4m_writer **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output: out is NULL");
    *out = NULL;
    if (!name)
        name = "output";
    if (fd < 0)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output '%s': bad file descriptor %d", name, fd);
    return open_common(fd, false, name, width, height, fps_num, fps_den, out);
}

int bd_y4m_writer_open_path(const char *path, int width, int height, int fps_num, int fps_den,
                            struct bd_y4m_writer **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output: no path");
    if (strcmp(path, "-") == 0)
        return open_common(STDOUT_FILENO, false, "stdout", width, height, fps_num, fps_den, out);
    int fd;
    do
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return bd_fail(BD_ERR_IO, "y4m output '%s': cannot create: %s", path, strerror(errno));
    return open_common(fd, true, path, width, height, fps_num, fps_den, out);
}

static void pack(uint8_t **dst, const uint8_t *src, int stride, int w, int h)
{
    for (int y = 0; y < h; y++) {
        memcpy(*dst, src + (size_t)y * (size_t)stride, (size_t)w);
        *dst += w;
    }
}

int bd_y4m_writer_write(struct bd_y4m_writer *w, const struct bd_i420 *src)
{
    if (!w)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output: writer is NULL");
    const int W = w->width, H = w->height, cw = (W + 1) / 2, ch = (H + 1) / 2;
    if (!src || !src->y || !src->u || !src->v || src->stride_y < W || src->stride_u < cw ||
        src->stride_v < cw)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m output '%s': source planes missing or strides "
                                           "too small for %dx%d", w->name, W, H);
    if (w->failed)
        return bd_fail(BD_ERR_IO, "y4m output '%s': an earlier write failed", w->name);
    uint8_t *p = w->frame + sizeof frame_magic - 1;
    pack(&p, src->y, src->stride_y, W, H);
    pack(&p, src->u, src->stride_u, cw, ch);
    pack(&p, src->v, src->stride_v, cw, ch);
    int st = write_all(w, w->frame, w->frame_size);
    if (st == BD_OK)
        w->frames++;
    return st;
}

uint64_t bd_y4m_writer_frames(const struct bd_y4m_writer *w)
{
    return w->frames;
}

int bd_y4m_writer_close(struct bd_y4m_writer *w)
{
    if (!w)
        return BD_OK;
    int st = BD_OK;
    if (w->own_fd && close(w->fd) != 0 && errno != EINTR)
        st = bd_fail(BD_ERR_IO, "y4m output '%s': close failed: %s", w->name, strerror(errno));
    free(w->frame);
    free(w);
    return st;
}
