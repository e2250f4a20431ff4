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

int opt_parse_args(const char *cmd, const struct opt_def *defs, void *base, int argc, char **argv,
                   int first, const char **pos, int max_pos, int *npos)
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

void opt_help(const char *usage, const struct opt_def *defs)
{
    printf("%s\n\nOptions:\n", usage);
    for (const struct opt_def *d = defs; d->name; d++) {
        char left[64];
        const char *arg = d->type == OPT_FLAG ? "" : d->type == OPT_INT ? " N" : " VALUE";
        if (d->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s", d->short_name, d->name, arg);
        else
            snprintf(left, sizeof left, "    --%s%s", d->name, arg);
        printf("  %-28s %s", left, d->help);
        if (d->type == OPT_INT)
            printf(" [%ld..%ld]", d->min, d->max);
        if (d->type == OPT_CHOICE) {
            printf(" (");
            for (int i = 0; d->choices[i]; i++)
                printf("%s%s", i ? "|" : "", d->choices[i]);
            printf(")");
        }
        if (d->def)
            printf(" (default: %s)", d->def);
        printf("\n");
    }
    for (const struct opt_def *d = defs; d->name; d++)
        if (d->type == OPT_FLAG) {
            printf("\n  A flag is switched off with --no-NAME (e.g. --no-%s), over a config file.\n",
                   d->name);
            break;
        }
}

/* Values read from config files live until opt_free_file_values(). */
static char **file_values;
static size_t n_file_values;

void opt_free_file_values(void)
{
    for (size_t i = 0; i < n_file_values; i++)
        free(file_values[i]);
    free(file_values);
    file_values = NULL;
    n_file_values = 0;
}

static char *keep(const char *v)
{
    char **grown = realloc(file_values, (n_file_values + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    file_values = grown;
    char *c = strdup(v);
    if (c)
        file_values[n_file_values++] = c;
    return c;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int opt_parse_file(const char *cmd, const struct opt_def *defs, void *base, const char *path,
                   int must_exist)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        fprintf(stderr, "backdrop%s%s: cannot read config file '%s': %s\n", *cmd ? " " : "", cmd, path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        char *name = l, *value = NULL;
        if (eq) {
            *eq = '\0';
            name = trim(l);
            value = trim(eq + 1);
            /* "value" or 'value': quotes let a value keep a '#' or spaces */
            size_t n = strlen(value);
            if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
                value[n - 1] = '\0';
                value++;
            }
        }
        const struct opt_def *d = NULL;
        for (const struct opt_def *x = defs; x->name; x++)
            if (strcmp(x->name, name) == 0)
                d = x;
        if (!d || strcmp(name, "config") == 0) {
            fprintf(stderr, "backdrop%s%s: %s:%d: unknown setting '%s' (see 'backdrop%s%s --help')\n",
                    *cmd ? " " : "", cmd, path, lineno, name, *cmd ? " " : "", cmd);
            rc = -1;
        } else if (d->type == OPT_FLAG) {
            int on = !value || !strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1");
            int off = value && (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"));
            if (!on && !off) {
                fprintf(stderr, "backdrop%s%s: %s:%d: '%s' takes true or false\n", *cmd ? " " : "", cmd, path, lineno, name);
                rc = -1;
            } else {
                *(int *)((char *)base + d->offset) = on;
            }
        } else if (!value) {
            fprintf(stderr, "backdrop%s%s: %s:%d: '%s' needs a value (%s = ...)\n", *cmd ? " " : "", cmd, path, lineno, name,
                    name);
            rc = -1;
        } else {
            const char *v = d->type == OPT_STRING ? keep(value) : value;
            if (!v) {
                fprintf(stderr, "backdrop%s%s: out of memory reading '%s'\n", *cmd ? " " : "", cmd, path);
                rc = -1;
            } else if (set_value(cmd, d, base, v, path, lineno) != 0) {
                rc = -1;
            }
        }
    }
    fclose(f);
    return rc;
}
