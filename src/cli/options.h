/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Declarative command-line options: one table per command gives each
 * option's name, help, type, default and range, and drives parsing,
 * validation and --help alike (in the manner of FFmpeg's AVOption tables).
 * The settings are the library's one table (bd_options, src/options/),
 * checked there: all of them for the camera, those marked BD_OPTION_STILL
 * for mask, cutout and bench; here are only the commands' own arguments
 * (an output file, --help).
 */
#ifndef BD_CLI_OPTIONS_H
#define BD_CLI_OPTIONS_H

#include <stddef.h>

#include "backdrop.h"

enum opt_type {
    OPT_FLAG,     /* no value; sets int to 1 */
    OPT_INT,      /* integer within [min, max] */
    OPT_STRING,   /* any string */
    OPT_CHOICE,   /* one of choices[], stored as its index */
};

struct opt_def {
    const char *name;      /* long name without "--" */
    char short_name;       /* 0 if none */
    enum opt_type type;
    const char *help;
    const char *def;       /* default as text, NULL for none */
    long min, max;         /* OPT_INT */
    const char *const *choices; /* OPT_CHOICE, NULL-terminated */
    size_t offset;         /* where the value goes in the command's struct */
    /* OPT_STRING only, optional: NULL if v is acceptable, else what it
     * should be ("is not WxH ..."), so a bad value is reported where it
     * was given (the option, or the config file's line). */
    const char *(*check)(const char *v);
};

/*
 * Parses argv[first..argc) into the struct at base: options from defs,
 * and up to max_pos positional arguments into pos[]. Defaults are applied
 * first. On error prints one line to stderr naming the option and returns -1.
 */
int opt_parse(const char *cmd, const struct opt_def *defs, void *base, int argc, char **argv,
              int first, const char **pos, int max_pos, int *npos);

/* Applies every option's default (the first step of opt_parse). */
int opt_defaults(const char *cmd, const struct opt_def *defs, void *base);

/* opt_parse without applying the defaults first (for values already set
 * by opt_defaults and a config file). */
int opt_parse_args(const char *cmd, const struct opt_def *defs, void *base, int argc, char **argv,
                   int first, const char **pos, int max_pos, int *npos);

/*
 * The camera's command line over settings (the library's one table,
 * bd_options): --name VALUE, --name=VALUE, -x VALUE, a flag alone or
 * --no-FLAG; each value goes through bd_settings_set. seen[i] is set for
 * each bd_options()[i] given (seen may be NULL). No positional arguments.
 * On error prints one line to stderr naming the option and returns -1.
 */
int opt_parse_settings(const char *cmd, struct bd_settings *s, int argc, char **argv, int first,
                       unsigned char *seen);

/*
 * opt_parse, where an option not in defs may be one of the library's
 * settings marked BD_OPTION_STILL (model, class, mask options, ...), set
 * into s with bd_settings_set: the still-image commands' own arguments
 * (output, help) are theirs, their settings the library's one table.
 */
int opt_parse_still(const char *cmd, const struct opt_def *defs, void *base, struct bd_settings *s,
                    int argc, char **argv, int first, const char **pos, int max_pos, int *npos);

/* opt_help, then the library's BD_OPTION_STILL settings. */
void opt_help_still(const char *usage, const struct opt_def *defs);

/* Prints the library's option table as --help text, like opt_help. */
void opt_help_table(const char *usage, const struct bd_option *table);

/* Prints the option table as --help text. */
void opt_help(const char *usage, const struct opt_def *defs);

#endif
