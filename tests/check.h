/*
 * The smallest test harness: CHECK(cond, fmt, ...) counts a pass or prints
 * the failing condition with its location and message; check_report()
 * prints the closing "N passed, M failed" line the test runners read and
 * returns the exit status. One instance per test program (static state).
 */
#ifndef BD_TESTS_CHECK_H
#define BD_TESTS_CHECK_H

#include <stdio.h>

static int passed, failed;

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

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
