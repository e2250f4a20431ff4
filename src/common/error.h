/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thread-local error detail, behind bd_last_error(). */
#ifndef BD_COMMON_ERROR_H
#define BD_COMMON_ERROR_H

#include "backdrop.h"

#if defined(__GNUC__)
#define BD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BD_PRINTF(a, b)
#endif

/* Records a formatted detail message for the calling thread and returns
 * status, so callers can write `return bd_fail(BD_ERR_FORMAT, "...")`. */
int bd_fail(int status, const char *fmt, ...) BD_PRINTF(2, 3);

/* Clears the calling thread's detail message. */
void bd_clear_error(void);

#endif
