/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

int bd_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

void bd_clear_error(void)
{
    last_error[0] = '\0';
}

const char *bd_last_error(void)
{
    return last_error;
}

const char *bd_status_str(enum bd_status status)
{
    switch (status) {
    case BD_OK: return "ok";
    case BD_ERR_INVALID_ARG: return "invalid argument";
    case BD_ERR_NOMEM: return "out of memory";
    case BD_ERR_IO: return "I/O error";
    case BD_ERR_FORMAT: return "corrupt or invalid file";
    case BD_ERR_UNSUPPORTED: return "unsupported";
    case BD_ERR_BACKEND: return "backend failure";
    case BD_ERR_NOT_FOUND: return "not found";
    }
    return "unknown status";
}

const char *bd_version(void)
{
    return "0.1.0";
}
