/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The V4L2 layer's system calls: the real ones, and EINTR-retrying
 * wrappers that every caller goes through (see v4l2_ops.h). */
#include "common/v4l2_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backdrop.h"

static int sys_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    int fd = open(path, flags);
    return fd >= 0 ? fd : -errno;
}

static int sys_close(void *ctx, int fd)
{
    (void)ctx;
    return close(fd) == 0 ? 0 : -errno;
}

static int sys_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
    (void)ctx;
    int r = ioctl(fd, request, arg);
    return r >= 0 ? r : -errno;
}

static int sys_mmap(void *ctx, void **addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    (void)ctx;
    void *p = mmap(NULL, length, prot, flags, fd, offset);
    if (p == MAP_FAILED)
        return -errno;
    *addr = p;
    return 0;
}

static int sys_munmap(void *ctx, void *addr, size_t length)
{
    (void)ctx;
    return munmap(addr, length) == 0 ? 0 : -errno;
}

static ssize_t sys_write(void *ctx, int fd, const void *buf, size_t count)
{
    (void)ctx;
    ssize_t n = write(fd, buf, count);
    return n >= 0 ? n : -errno;
}

static int sys_poll(void *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    (void)ctx;
    int n = poll(fds, nfds, timeout_ms);
    return n >= 0 ? n : -errno;
}

const struct bd_v4l2_ops bd_v4l2_sys_ops = {
    .open = sys_open,
    .close = sys_close,
    .ioctl = sys_ioctl,
    .mmap = sys_mmap,
    .munmap = sys_munmap,
    .write = sys_write,
    .poll = sys_poll,
    .ctx = NULL,
};

const struct bd_v4l2_ops *bd_v4l2_ops_or_sys(const struct bd_v4l2_ops *ops)
{
    return ops ? ops : &bd_v4l2_sys_ops;
}

int bd_v4l2_open(const struct bd_v4l2_ops *ops, const char *path, int flags)
{
    ops = bd_v4l2_ops_or_sys(ops);
    int fd;
    /* open() of a character device can sleep in the driver (uvcvideo wakes
     * the camera up) and so can be interrupted. */
    do
        fd = ops->open(ops->ctx, path, flags | O_CLOEXEC);
    while (fd == -EINTR);
    return fd;
}

void bd_v4l2_close(const struct bd_v4l2_ops *ops, int fd)
{
    if (fd < 0)
        return;
    ops = bd_v4l2_ops_or_sys(ops);
    (void)ops->close(ops->ctx, fd);
}

int bd_v4l2_ioctl(const struct bd_v4l2_ops *ops, int fd, unsigned long request, void *arg)
{
    ops = bd_v4l2_ops_or_sys(ops);
    int r;
    /* Drivers sleep in DQBUF, S_FMT, STREAMON...; a signal (SIGWINCH, a
     * profiler's SIGPROF, a debugger) then turns into EINTR. The same call
     * with the same argument is always safe to repeat: V4L2 ioctls that are
     * interrupted have not changed the device's state. */
    do
        r = ops->ioctl(ops->ctx, fd, request, arg);
    while (r == -EINTR);
    return r;
}

ssize_t bd_v4l2_write(const struct bd_v4l2_ops *ops, int fd, const void *buf, size_t count)
{
    ops = bd_v4l2_ops_or_sys(ops);
    ssize_t n;
    do
        n = ops->write(ops->ctx, fd, buf, count);
    while (n == -EINTR);
    return n;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bd_v4l2_poll1(const struct bd_v4l2_ops *ops, int fd, short events, int timeout_ms,
                  short *revents)
{
    ops = bd_v4l2_ops_or_sys(ops);
    /* A plain retry with the full timeout would never time out under a
     * steady stream of signals; retry with what is left instead. */
    int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
    int left = timeout_ms;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int n = ops->poll(ops->ctx, &p, 1, left);
        if (n > 0) {
            *revents = p.revents;
            return 1;
        }
        if (n == 0) {
            *revents = 0;
            return 0;
        }
        if (n != -EINTR)
            return n;
        if (timeout_ms >= 0) {
            int64_t rest = deadline - now_ms();
            left = rest > 0 ? (int)rest : 0;
        }
    }
}

int bd_v4l2_mmap(const struct bd_v4l2_ops *ops, void **addr, size_t length, int prot,
                 int flags, int fd, off_t offset)
{
    ops = bd_v4l2_ops_or_sys(ops);
    return ops->mmap(ops->ctx, addr, length, prot, flags, fd, offset);
}

void bd_v4l2_munmap(const struct bd_v4l2_ops *ops, void *addr, size_t length)
{
    if (!addr)
        return;
    ops = bd_v4l2_ops_or_sys(ops);
    (void)ops->munmap(ops->ctx, addr, length);
}

char *bd_v4l2_fourcc_str(uint32_t fourcc, char buf[8])
{
    for (int i = 0; i < 4; i++) {
        unsigned c = (fourcc >> (8 * i)) & 0x7f;
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    buf[4] = '\0';
    /* V4L2_PIX_FMT_PRIV... formats: bit 31 marks the big-endian variant. */
    if (fourcc & (1u << 31))
        memcpy(buf + 4, "-BE", 4);
    return buf;
}

enum bd_status bd_v4l2_status(int neg_errno)
{
    if (neg_errno >= 0)
        return BD_OK;
    switch (-neg_errno) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return BD_ERR_NOT_FOUND;
    case ENOMEM:
        return BD_ERR_NOMEM;
    case EINVAL:
    case ERANGE:
        return BD_ERR_INVALID_ARG;
    case ENOTTY:
    case EOPNOTSUPP:
    case ENOSYS:
        return BD_ERR_UNSUPPORTED;
    case EBADMSG:
        return BD_ERR_FORMAT;
    default:
        return BD_ERR_IO;
    }
}

void bd_v4l2_copy_name(char *dst, size_t dst_size, const uint8_t *src, size_t src_size)
{
    if (dst_size == 0)
        return;
    size_t n = 0;
    while (n < src_size && n + 1 < dst_size && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
}
