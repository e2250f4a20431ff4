/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How an error names the setting: "--blur" on the command line,
 * "FILE:LINE: blur" from a config file (where "--blur" would send the user
 * looking at the wrong place). */
static const char *where(char *buf, size_t n, const struct opt_def *d, const char *file, int line)
{
    if (file)
        snprintf(buf, n, "%s:%d: %s", file, line, d->name);
    else
        snprintf(buf, n, "--%s", d->name);
    return buf;
}

static int set_value(const char *cmd, const struct opt_def *d, void *base, const char *v,
                     const char *file, int line)
{
    char *field = (char *)base + d->offset;
    char at[4200];
    switch (d->type) {
    case OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case OPT_INT: {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end != '\0' || x < d->min || x > d->max) {
            fprintf(stderr, "backdrop%s%s: %s '%s' is not a whole number from %ld to %ld\n",
                    *cmd ? " " : "", cmd, where(at, sizeof at, d, file, line), v, d->min, d->max);
            return -1;
        }
        *(int *)field = (int)x;
        return 0;
    }
    case OPT_STRING: {
        const char *bad = d->check ? d->check(v) : NULL;
        if (bad) {
            fprintf(stderr, "backdrop%s%s: %s '%s' %s\n", *cmd ? " " : "", cmd,
                    where(at, sizeof at, d, file, line), v, bad);
            return -1;
        }
        *(const char **)field = v;
        return 0;
    }
    case OPT_CHOICE:
        for (int i = 0; d->choices[i]; i++) {
            if (strcmp(d->choices[i], v) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        fprintf(stderr, "backdrop%s%s: %s '%s' is not one of:", *cmd ? " " : "", cmd,
                where(at, sizeof at, d, file, line), v);
        for (int i = 0; d->choices[i]; i++)
            fprintf(stderr, " %s", d->choices[i]);
        fprintf(stderr, "\n");
        return -1;
    }
    return -1;
}

int opt_defaults(const char *cmd, const struct opt_def *defs, void *base)
{
    for (const struct opt_def *d = defs; d->name; d++) {
        if (d->def && d->type != OPT_FLAG && set_value(cmd, d, base, d->def, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

int opt_parse(const char *cmd, const struct opt_def *defs, void *base, int argc, char **argv, int first,
              const char **pos, int max_pos, int *npos)
{
    if (opt_defaults(cmd, defs, base) != 0)
        return -1;
    return opt_parse_args(cmd, defs, base, argc, argv, first, pos, max_pos, npos);
}

/* The library's option called name[0..len) (or its short name c) that has
 * the flags need; NULL if none. */
static const struct bd_option *find_setting(const char *name, size_t len, char c, unsigned need)
{
    for (const struct bd_option *o = bd_options(); o->name; o++)
        if ((o->flags & need) == need &&
            (name ? strlen(o->name) == len && strncmp(o->name, name, len) == 0 : o->short_name == c))
            return o;
    return NULL;
}

/* argv[*i], not one of the command's own options: a setting of the
 * library's table with the flags need, and its value (inline or the next
 * argument, *i moved past it), through bd_settings_set. -1 with one line on
 * stderr when it is none of them or its value is refused. *found (if not
 * NULL) is the option set. */
static int parse_setting(const char *cmd, struct bd_settings *s, unsigned need, int argc,
                         char **argv, int *i, const struct bd_option **found)
{
    const char *a = argv[*i], *sp = *cmd ? " " : "";
    const struct bd_option *d = NULL;
    const char *v = NULL;
    int has_inline = 0;
    if (a[0] == '-' && a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        d = find_setting(name, len, 0, need);
        /* --no-FLAG switches a flag off */
        if (!d && !eq && len > 3 && !strncmp(name, "no-", 3)) {
            d = find_setting(name + 3, len - 3, 0, need);
            if (d && d->type != BD_OPTION_FLAG)
                d = NULL;
            v = "off";
        }
        if (eq) {
            v = eq + 1;
            has_inline = 1;
        }
    } else {
        d = find_setting(NULL, 0, a[1], need);
    }
    if (!d) {
        fprintf(stderr, "backdrop%s%s: unknown option '%s' (see 'backdrop%s%s --help')\n", sp, cmd,
                a, sp, cmd);
        return -1;
    }
    if (d->type == BD_OPTION_FLAG) {
        if (has_inline) {
            fprintf(stderr, "backdrop%s%s: --%s takes no value\n", sp, cmd, d->name);
            return -1;
        }
        if (!v)
            v = "on";
    } else if (!v) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "backdrop%s%s: --%s needs a value\n", sp, cmd, d->name);
            return -1;
        }
        v = argv[++*i];
    }
    if (bd_settings_set(s, d->name, v) != BD_OK) {
        /* the library's message starts with the option's name */
        fprintf(stderr, "backdrop%s%s: --%s\n", sp, cmd, bd_last_error());
        return -1;
    }
    if (found)
        *found = d;
    return 0;
}

/* opt_parse_args, and with s also the settings of the library's table
 * whose flags include need (opt_parse_still). */
static int parse_args(const char *cmd, const struct opt_def *defs, void *base, struct bd_settings *s,
                      unsigned need, int argc, char **argv, int first, const char **pos,
                      int max_pos, int *npos)
{
    *npos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const struct opt_def *d = NULL;
        const char *inline_val = NULL;
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (const struct opt_def *x = defs; x->name; x++)
                if (strlen(x->name) == len && strncmp(x->name, name, len) == 0)
                    d = x;
            /* --no-FLAG switches a flag off (e.g. one set in the config file) */
            if (!d && !eq && len > 3 && strncmp(name, "no-", 3) == 0) {
                for (const struct opt_def *x = defs; x->name; x++)
                    if (x->type == OPT_FLAG && strcmp(x->name, name + 3) == 0) {
                        *(int *)((char *)base + x->offset) = 0;
                        d = x;
                    }
                if (d)
                    continue;
            }
            if (eq)
                inline_val = eq + 1;
        } else if (a[0] == '-' && a[1] && !a[2]) {
            for (const struct opt_def *x = defs; x->name; x++)
                if (x->short_name == a[1])
                    d = x;
        } else {
            if (*npos >= max_pos) {
                fprintf(stderr, "backdrop%s%s: unexpected argument '%s' (see 'backdrop%s%s --help')\n", *cmd ? " " : "", cmd, a, *cmd ? " " : "", cmd);
                return -1;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (!d && s) {
            if (parse_setting(cmd, s, need, argc, argv, &i, NULL) != 0)
                return -1;
            continue;
        }
        if (!d) {
            fprintf(stderr, "backdrop%s%s: unknown option '%s' (see 'backdrop%s%s --help')\n", *cmd ? " " : "", cmd, a, *cmd ? " " : "", cmd);
            return -1;
        }
        const char *v = inline_val;
        if (d->type != OPT_FLAG && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "backdrop%s%s: --%s needs a value\n", *cmd ? " " : "", cmd, d->name);
                return -1;
            }
            v = argv[++i];
        }
        if (d->type == OPT_FLAG && inline_val) {
            fprintf(stderr, "backdrop%s%s: --%s takes no value\n", *cmd ? " " : "", cmd, d->name);
            return -1;
        }
        if (set_value(cmd, d, base, v, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

int opt_parse_args(const char *cmd, const struct opt_def *defs, void *base, int argc, char **argv,
                   int first, const char **pos, int max_pos, int *npos)
{
    return parse_args(cmd, defs, base, NULL, 0, argc, argv, first, pos, max_pos, npos);
}

int opt_parse_still(const char *cmd, const struct opt_def *defs, void *base, struct bd_settings *s,
                    int argc, char **argv, int first, const char **pos, int max_pos, int *npos)
{
    if (opt_defaults(cmd, defs, base) != 0)
        return -1;
    return parse_args(cmd, defs, base, s, BD_OPTION_STILL, argc, argv, first, pos, max_pos, npos);
}

static void help_line(const char *name, char short_name, int is_flag, int is_int,
                      const char *help, const char *def, long min, long max,
                      const char *const *choices)
{
    char left[64];
    const char *arg = is_flag ? "" : is_int ? " N" : " VALUE";
    if (short_name)
        snprintf(left, sizeof left, "-%c, --%s%s", short_name, name, arg);
    else
        snprintf(left, sizeof left, "    --%s%s", name, arg);
    printf("  %-28s %s", left, help);
    if (is_int)
        printf(" [%ld..%ld]", min, max);
    if (choices) {
        printf(" (");
        for (int i = 0; choices[i]; i++)
            printf("%s%s", i ? "|" : "", choices[i]);
        printf(")");
    }
    if (def)
        printf(" (default: %s)", def);
    printf("\n");
}

static void help_flags_note(const char *flag)
{
    if (flag)
        printf("\n  A flag is switched off with --no-NAME (e.g. --no-%s), over a config file.\n",
               flag);
}

void opt_help(const char *usage, const struct opt_def *defs)
{
    printf("%s\n\nOptions:\n", usage);
    const char *flag = NULL;
    for (const struct opt_def *d = defs; d->name; d++) {
        help_line(d->name, d->short_name, d->type == OPT_FLAG, d->type == OPT_INT, d->help,
                  d->def, d->min, d->max, d->type == OPT_CHOICE ? d->choices : NULL);
        if (d->type == OPT_FLAG && !flag)
            flag = d->name;
    }
    help_flags_note(flag);
}

void opt_help_table(const char *usage, const struct bd_option *table)
{
    printf("%s\n\nOptions:\n", usage);
    const char *flag = NULL;
    for (const struct bd_option *d = table; d->name; d++) {
        help_line(d->name, d->short_name, d->type == BD_OPTION_FLAG, d->type == BD_OPTION_INT,
                  d->help, d->def, d->min, d->max,
                  d->type == BD_OPTION_CHOICE ? d->choices : NULL);
        if (d->type == BD_OPTION_FLAG && !flag)
            flag = d->name;
    }
    help_flags_note(flag);
}

void opt_help_still(const char *usage, const struct opt_def *defs)
{
    printf("%s\n\nOptions:\n", usage);
    const char *flag = NULL;
    for (const struct opt_def *d = defs; d->name; d++) {
        help_line(d->name, d->short_name, d->type == OPT_FLAG, d->type == OPT_INT, d->help,
                  d->def, d->min, d->max, d->type == OPT_CHOICE ? d->choices : NULL);
        if (d->type == OPT_FLAG && !flag && strcmp(d->name, "help"))
            flag = d->name;
    }
    for (const struct bd_option *d = bd_options(); d->name; d++) {
        if (!(d->flags & BD_OPTION_STILL))
            continue;
        help_line(d->name, d->short_name, d->type == BD_OPTION_FLAG, d->type == BD_OPTION_INT,
                  d->help, d->def, d->min, d->max,
                  d->type == BD_OPTION_CHOICE ? d->choices : NULL);
        if (d->type == BD_OPTION_FLAG && !flag)
            flag = d->name;
    }
    help_flags_note(flag);
}

int opt_parse_settings(const char *cmd, struct bd_settings *s, int argc, char **argv, int first,
                       unsigned char *seen)
{
    const char *sp = *cmd ? " " : "";
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const struct bd_option *d;
        if (!((a[0] == '-' && a[1] == '-' && a[2]) || (a[0] == '-' && a[1] && !a[2]))) {
            fprintf(stderr, "backdrop%s%s: unexpected argument '%s' (see 'backdrop%s%s --help')\n",
                    sp, cmd, a, sp, cmd);
            return -1;
        }
        if (parse_setting(cmd, s, 0, argc, argv, &i, &d) != 0)
            return -1;
        if (seen)
            seen[d - bd_options()] = 1;
    }
    return 0;
}
