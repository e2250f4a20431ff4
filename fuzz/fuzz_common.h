/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the libFuzzer targets: an in-memory file (memfd) that a
 * path-taking API can open as /proc/self/fd/N, and a CHECK that aborts
 * (the fuzzer's way of reporting a bug; the library itself never aborts).
 */
#ifndef BD_FUZZ_COMMON_H
#define BD_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void fuzz_broken(const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: invariant broken: ", who);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* CHECK(cond, fmt, ...) for a target that defines FUZZ_NAME before
 * including this file. */
#ifdef FUZZ_NAME
#define CHECK(c, ...)                              \
    do {                                           \
        if (!(c))                                  \
            fuzz_broken(FUZZ_NAME, __VA_ARGS__);   \
    } while (0)
#endif

/* One memfd per process, rewritten for each input. Returns its fd and
 * writes its path to path (at least 32 bytes), or aborts. */
static inline int fuzz_memfile(const char *who, const uint8_t *data, size_t size, char *path)
{
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create(who, 0);
        if (fd < 0)
            fuzz_broken(who, "memfd_create failed");
    }
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        fuzz_broken(who, "memfd reset failed");
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            fuzz_broken(who, "memfd write failed");
        done += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        fuzz_broken(who, "memfd seek failed");
    snprintf(path, 32, "/proc/self/fd/%d", fd);
    return fd;
}

#ifdef BD_COMMON_FRAME_H
/* Planes of exactly w x h (and ceil/2 chroma), tight strides, each its own
 * allocation so that ASan catches a write past any of them. */
static void fuzz_i420_alloc(const char *who, struct bd_i420 *f, int w, int h)
{
    const size_t cw = ((size_t)w + 1) / 2, ch = ((size_t)h + 1) / 2;
    memset(f, 0, sizeof *f);
    f->width = w;
    f->height = h;
    f->stride_y = w;
    f->stride_u = f->stride_v = (int)cw;
    f->y = malloc((size_t)w * (size_t)h);
    f->u = malloc(cw * ch);
    f->v = malloc(cw * ch);
    if (!f->y || !f->u || !f->v)
        fuzz_broken(who, "out of memory");
}

static void fuzz_i420_free(struct bd_i420 *f)
{
    free(f->y);
    free(f->u);
    free(f->v);
}
#endif

#endif