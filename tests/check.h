/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The smallest test harness: CHECK(cond, fmt, ...) counts a pass or prints
 * the failing condition with its location and message; check_report()
 * prints the closing "N passed, M failed, K skipped" line the test runners
 * read and returns the exit status. One instance per test program (static
 * state).
 *
 * A test that cannot run says so in its count, never as a silent pass. Two
 * kinds of skip, because they mean different things:
 *  - SKIP_MACHINE: this machine truly lacks it (AVX-512 on an older CPU, a
 *    writable /dev/full): counted as skipped everywhere;
 *  - SKIP_PROVIDED: something the project's own set-up provides is missing
 *    (../shared/data, a fetched model, ffmpeg, qemu, Chromium): skipped on
 *    a developer's machine, but a failure under CI=true, where the set-up
 *    has run and its absence is a bug.
 */
#ifndef BD_TESTS_CHECK_H
#define BD_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed, skipped;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            passed++;                                                         \
        } else {                                                              \
            failed++;                                                         \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
        }                                                                     \
    } while (0)

/* CI=true (as CI sets it): the whole set-up has run. */
static inline int check_under_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

static inline void check_vskip(const char *file, int line, int provided, const char *fmt,
                               va_list ap)
{
    if (provided && check_under_ci()) {
        failed++;
        printf("FAIL %s:%d: missing under CI (the project's set-up provides it): ", file, line);
    } else {
        skipped++;
        printf("SKIP %s:%d: ", file, line);
    }
    vprintf(fmt, ap);
    printf("\n");
}

static inline __attribute__((format(printf, 4, 5))) void
check_skip(const char *file, int line, int provided, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vskip(file, line, provided, fmt, ap);
    va_end(ap);
}

/* One skipped test (or group of tests) each; the message names what is missing. */
#define SKIP_MACHINE(...)  check_skip(__FILE__, __LINE__, 0, __VA_ARGS__)
#define SKIP_PROVIDED(...) check_skip(__FILE__, __LINE__, 1, __VA_ARGS__)

/* The suites hide RVM (the Makefile points BACKDROP_RVM_DIR at a folder
 * that is not there), so "auto" is MediaPipe's everywhere, as on a machine
 * without RVM: RVM takes a second a photo, minutes under ASan. The tests
 * about RVM call this first: BD_TEST_RVM_DIR, where the Makefile says RVM
 * is, becomes BACKDROP_RVM_DIR again. */
static inline void check_use_rvm(void)
{
    const char *d = getenv("BD_TEST_RVM_DIR");
    if (d && *d)
        setenv("BACKDROP_RVM_DIR", d, 1);
}

static inline int check_report(void)
{
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

#endif
