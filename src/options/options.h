/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Inside the library: the parsers behind the options table (options.c),
 * shared by bd_settings_* and the pipeline's live settings (bd_pipeline_set)
 * so that a value means the same wherever it is given. Not public.
 */
#ifndef BD_OPTIONS_OPTIONS_H
#define BD_OPTIONS_OPTIONS_H

#include <stdint.h>

#include "backdrop.h"

/* The options' count (the table's length without its end marker). */
int bd_option_count(void);

/* The index of opt in bd_options(). */
int bd_option_index(const struct bd_option *opt);

/*
 * Checks v against opt and gives its number: BD_OPTION_INT its value,
 * BD_OPTION_CHOICE the choice's index, BD_OPTION_FLAG 1 (on) or 0 (off);
 * 0 for a string. BD_OK, or BD_ERR_INVALID_ARG with bd_last_error()
 * "NAME 'V' WHY" (bd_option_check).
 */
int bd_option_parse(const struct bd_option *opt, const char *v, long *num);

/* "#RRGGBB" (or "0xRRGGBB", or six hex digits) → 0xRRGGBB; 0 or -1. */
int bd_parse_color(const char *s, uint32_t *rgb);
/* "WxH", 16..8192 each; 0 or -1. */
int bd_parse_size(const char *s, int *w, int *h);

#endif
