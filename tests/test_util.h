/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Small helpers shared by the C test programs (header only, like check.h).
 */
#ifndef BD_TEST_UTIL_H
#define BD_TEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* $TMPDIR/<program>_<pid>_<name> (/tmp without TMPDIR): the pid keeps two
 * runs of one test apart (make mutate beside make unit). The last eight
 * answers stay valid. */
static inline const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    const char *t = getenv("TMPDIR");
    char *b = buf[k++ % 8];
    snprintf(b, 512, "%s/bd_%s_%d_%s", t && *t ? t : "/tmp", program_invocation_short_name,
             (int)getpid(), name);
    return b;
}

#endif
