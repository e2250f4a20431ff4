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

/* One memfd per process, rewritten for each input. Returns its fd and
 * writes its path to path (at least 32 bytes), or aborts. */
static int fuzz_memfile(const char *who, const uint8_t *data, size_t size, char *path)
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

#endif
