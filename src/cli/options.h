/*
 * Declarative command-line options: one table per command gives each
 * option's name, help, type, default and range, and drives parsing,
 * validation and --help alike (in the manner of FFmpeg's AVOption tables).
 */
#ifndef BD_CLI_OPTIONS_H
#define BD_CLI_OPTIONS_H

#include <stddef.h>

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
 * Reads settings from a config file with the same table: one "name = value"
 * per line (name as the long option, without "--"; a flag may be just
 * "name" or "name = true|false"), '#' starts a comment line, a value may be
 * quoted with "..." or '...'. Unknown names and bad values are errors
 * naming the file and line. A missing file is fine unless must_exist.
 * String values are kept until opt_free_file_values(). Returns 0 or -1.
 */
int opt_parse_file(const char *cmd, const struct opt_def *defs, void *base, const char *path,
                   int must_exist);
void opt_free_file_values(void);

/* Prints the option table as --help text. */
void opt_help(const char *usage, const struct opt_def *defs);

#endif
