/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The system calls the V4L2 layer makes, behind a table of function
 * pointers, so that the unit tests can run the capture and loopback code
 * against a fake camera (tests/test_v4l2_fake.c) on machines without V4L2.
 * The idea is libv4l2's `struct libv4l_dev_ops`; the -errno convention is
 * the kernel's.
 *
 * Two layers:
 *  - struct bd_v4l2_ops: one system call each, no retry. Every function
 *    returns -errno on failure (never sets errno for the caller), so a fake
 *    can inject any error, EINTR included.
 *  - bd_v4l2_open/ioctl/write/poll(): what the rest of the code calls. They
 *    retry on EINTR (poll with the remaining time) and pass everything else
 *    through. They never call bd_fail(): the caller knows which device and
 *    which step failed, and writes the message.
 *
 * Every object of the layer takes a `const struct bd_v4l2_ops *`; NULL
 * means bd_v4l2_sys_ops (the real system calls). The table and its ctx must
 * outlive the objects that use it.
 */
#ifndef BD_COMMON_V4L2_OPS_H
#define BD_COMMON_V4L2_OPS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backdrop.h"

struct bd_v4l2_ops {
    /* open(2). Returns the fd (>= 0) or -errno. */
    int (*open)(void *ctx, const char *path, int flags);
    /* close(2). Returns 0 or -errno; the fd is released either way (Linux). */
    int (*close)(void *ctx, int fd);
    /* ioctl(2), once. Returns its non-negative result or -errno (-EINTR
     * included: bd_v4l2_ioctl() retries). */
    int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
    /* mmap(2). On success stores the address in *addr and returns 0;
     * otherwise returns -errno and leaves *addr alone. */
    int (*mmap)(void *ctx, void **addr, size_t length, int prot, int flags,
                int fd, off_t offset);
    /* munmap(2). Returns 0 or -errno. */
    int (*munmap)(void *ctx, void *addr, size_t length);
    /* write(2), once. Returns the bytes written or -errno. */
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t count);
    /* poll(2), once. Returns the number of ready fds, 0 on timeout, or
     * -errno (-EINTR included). */
    int (*poll)(void *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms);
    /* Passed as the first argument of each function. */
    void *ctx;
};

/* The real system calls (ctx unused). */
extern const struct bd_v4l2_ops bd_v4l2_sys_ops;

/* Returns ops, or &bd_v4l2_sys_ops when ops is NULL. */
const struct bd_v4l2_ops *bd_v4l2_ops_or_sys(const struct bd_v4l2_ops *ops);

/* open() retried on EINTR. Returns the fd or -errno. O_CLOEXEC is added:
 * a device fd must not leak into programs we might exec. */
int bd_v4l2_open(const struct bd_v4l2_ops *ops, const char *path, int flags);

/* close(); never retried (on Linux the fd is gone even after EINTR, and a
 * retry could close an fd another thread just got). fd < 0 is a no-op. */
void bd_v4l2_close(const struct bd_v4l2_ops *ops, int fd);

/* ioctl() retried on EINTR. Returns the ioctl's result (>= 0) or -errno. */
int bd_v4l2_ioctl(const struct bd_v4l2_ops *ops, int fd, unsigned long request, void *arg);

/* write() retried on EINTR. Returns the bytes written (possibly short) or
 * -errno. */
ssize_t bd_v4l2_write(const struct bd_v4l2_ops *ops, int fd, const void *buf, size_t count);

/*
 * Waits until fd has one of events, up to timeout_ms (< 0: forever).
 * Retries on EINTR with the time that is left (CLOCK_MONOTONIC).
 * Returns 1 with *revents set, 0 on timeout (*revents = 0), or -errno.
 */
int bd_v4l2_poll1(const struct bd_v4l2_ops *ops, int fd, short events, int timeout_ms,
                  short *revents);

/* mmap()/munmap() through ops (no EINTR: neither call is interruptible). */
int bd_v4l2_mmap(const struct bd_v4l2_ops *ops, void **addr, size_t length, int prot,
                 int flags, int fd, off_t offset);
void bd_v4l2_munmap(const struct bd_v4l2_ops *ops, void *addr, size_t length);

/* ------------------------------------------------------------------------ */
/* Small helpers shared by the V4L2 code                                    */

/* Writes the four characters of a V4L2 fourcc ("YUYV", "MJPG"), '?' for
 * unprintable bytes, plus "-BE" when the big-endian bit is set, into buf
 * (at least 8 bytes) and returns buf. */
char *bd_v4l2_fourcc_str(uint32_t fourcc, char buf[8]);

/*
 * Maps a -errno returned by this layer to the library's status:
 * -ENOENT/-ENODEV/-ENXIO -> BD_ERR_NOT_FOUND, -ENOMEM -> BD_ERR_NOMEM,
 * -EINVAL/-ERANGE -> BD_ERR_INVALID_ARG, -ENOTTY/-EOPNOTSUPP/-ENOSYS
 * -> BD_ERR_UNSUPPORTED, -EBADMSG -> BD_ERR_FORMAT, other negatives ->
 * BD_ERR_IO, 0 and positives -> BD_OK.
 */
enum bd_status bd_v4l2_status(int neg_errno);

/* Copies a fixed-size, possibly unterminated __u8 array from a V4L2 struct
 * (driver, card, bus_info, description) into dst as a C string. */
void bd_v4l2_copy_name(char *dst, size_t dst_size, const uint8_t *src, size_t src_size);

#endif
