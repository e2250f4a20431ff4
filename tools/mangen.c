/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mangen TEMPLATE: copies TEMPLATE to stdout with @KEY@ placeholders
 * filled in from the library's one options table (bd_options), so the man
 * pages, the sample config and the bash completion list exactly the
 * options, defaults, ranges and help that `backdrop --help` prints.
 *
 * A build tool linked with libbackdrop, not a hidden option of the
 * command: the command stays a thin client with no documentation
 * formatting in it, and every generated file comes from one program.
 *
 *   @VERSION@        bd_version()
 *   @MAN_OPTIONS@    backdrop(1): one .TP entry per option
 *   @MAN_SETTINGS@   backdrop.conf(5): one .TP entry per setting
 *   @CONF_SETTINGS@  the sample config: each setting, its help and its
 *                    default, commented out
 *   @BASH_OPTIONS@   the words `backdrop --<TAB>` offers (--no-FLAG too)
 *   @BASH_VALUES@    case branches completing an option's value
 *   @BASH_LIVE@      the names `backdrop ctl set <TAB>` offers
 *
 * Other @...@ text passes through (the Makefile fills in paths).
 */
#include <stdio.h>
#include <string.h>

#include "backdrop.h"

/* The config file cannot name the file it is read from. */
static int in_config_file(const struct bd_option *o)
{
    return strcmp(o->name, "config") != 0;
}

/* Text for a roff body line: backslashes and minus signs escaped (a plain
 * '-' may print as a hyphen that cannot be pasted back into a shell), and
 * a leading '.' or '\'' kept from reading as a request. */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* What the option's value looks like, for the entry's first line. */
static void roff_value(FILE *f, const struct bd_option *o)
{
    switch (o->type) {
    case BD_OPTION_FLAG:
        break;
    case BD_OPTION_INT:
        fputs(" \\fIN\\fR", f);
        break;
    case BD_OPTION_STRING:
        fputs(" \\fIVALUE\\fR", f);
        break;
    case BD_OPTION_CHOICE:
        fputc(' ', f);
        for (int i = 0; o->choices[i]; i++) {
            fprintf(f, "%s\\fI", i ? "|" : "");
            roff(f, o->choices[i]);
            fputs("\\fR", f);
        }
        break;
    }
}

/* The entry's body: the help sentence, then the default, the range and
 * whether a running camera takes it, each from the table. */
static void roff_body(FILE *f, const struct bd_option *o)
{
    roff(f, o->help);
    fputs(".", f);
    if (o->type == BD_OPTION_INT) {
        fprintf(f, " From %ld to %ld.", o->min, o->max);
    }
    if (o->def) {
        fputs(" Default: \\fB", f);
        roff(f, o->def);
        fputs("\\fR.", f);
    } else if (o->type == BD_OPTION_FLAG) {
        fputs(" Default: off.", f);
    }
    if (o->flags & BD_OPTION_LIVE)
        fputs(" Live: a running camera takes it (see \\fBLIVE CONTROL\\fR).", f);
    if (o->flags & BD_OPTION_STILL)
        fputs(" Also for \\fBmask\\fR, \\fBcutout\\fR and \\fBbench\\fR.", f);
    fputc('\n', f);
}

static void man_options(FILE *f)
{
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        fputs(".TP\n", f);
        if (o->short_name)
            fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
        fputs("\\fB\\-\\-", f);
        roff(f, o->name);
        fputs("\\fR", f);
        roff_value(f, o);
        if (o->type == BD_OPTION_FLAG) {
            fputs(", \\fB\\-\\-no\\-", f);
            roff(f, o->name);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff_body(f, o);
    }
}

static void man_settings(FILE *f)
{
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (!in_config_file(o))
            continue;
        fputs(".TP\n\\fB", f);
        roff(f, o->name);
        fputs("\\fR", f);
        if (o->type == BD_OPTION_FLAG)
            fputs(" [= \\fIon\\fR|\\fIoff\\fR]", f);
        else {
            fputs(" =", f);
            roff_value(f, o);
        }
        fputc('\n', f);
        roff_body(f, o);
    }
}

/* Writes s wrapped at about 76 columns, each line starting with "# ". */
static void comment(FILE *f, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        size_t n = len;
        if (n > 74) {
            n = 74;
            while (n > 20 && s[n] != ' ')
                n--;
            if (s[n] != ' ')
                n = 74;
        }
        fprintf(f, "# %.*s\n", (int)n, s);
        s += n;
        len -= n;
        while (*s == ' ') {
            s++;
            len--;
        }
    }
}

static void conf_settings(FILE *f)
{
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (!in_config_file(o))
            continue;
        char line[1024];
        snprintf(line, sizeof line, "%s.", o->help);
        fputc('\n', f);
        comment(f, line);
        if (o->type == BD_OPTION_INT)
            fprintf(f, "# From %ld to %ld.\n", o->min, o->max);
        else if (o->type == BD_OPTION_CHOICE) {
            fputs("# One of:", f);
            for (int i = 0; o->choices[i]; i++)
                fprintf(f, " %s", o->choices[i]);
            fputs(".\n", f);
        } else if (o->type == BD_OPTION_FLAG)
            fputs("# on or off.\n", f);
        if (o->def)
            fprintf(f, "#%s = %s\n", o->name, o->def);
        else if (o->type == BD_OPTION_FLAG)
            fprintf(f, "#%s = off\n", o->name);
        else
            fprintf(f, "# (not set by default)\n#%s =\n", o->name);
    }
}

static void bash_options(FILE *f)
{
    const char *sep = "";
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        fprintf(f, "%s--%s", sep, o->name);
        sep = " ";
        if (o->type == BD_OPTION_FLAG)
            fprintf(f, " --no-%s", o->name);
        if (o->short_name)
            fprintf(f, " -%c", o->short_name);
    }
}

/* One case label: "-b|--blur". */
static void bash_label(FILE *f, const struct bd_option *o)
{
    if (o->short_name)
        fprintf(f, "-%c|", o->short_name);
    fprintf(f, "--%s", o->name);
}

/* One case branch for every option of that type, running action. */
static void bash_branch(FILE *f, enum bd_option_type type, const char *action)
{
    const char *sep = "        ";
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (o->type != type)
            continue;
        fputs(sep, f);
        bash_label(f, o);
        sep = "|";
    }
    if (*sep == '|') /* an empty label would be a syntax error */
        fprintf(f, ")\n            %s ;;\n", action);
}

static void bash_values(FILE *f)
{
    /* strings are paths more often than not: complete file names */
    bash_branch(f, BD_OPTION_STRING, "_backdrop_files; return");
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (o->type != BD_OPTION_CHOICE)
            continue;
        fputs("        ", f);
        bash_label(f, o);
        fputs(")\n            _backdrop_words '", f);
        for (int i = 0; o->choices[i]; i++)
            fprintf(f, "%s%s", i ? " " : "", o->choices[i]);
        fputs("'; return ;;\n", f);
    }
    /* a number: nothing to offer, but not the option names either */
    bash_branch(f, BD_OPTION_INT, "return");
}

static void bash_live(FILE *f)
{
    const char *sep = "";
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (o->flags & BD_OPTION_LIVE) {
            fprintf(f, "%s%s", sep, o->name);
            sep = " ";
        }
    }
}

static int expand(FILE *f, const char *key, size_t n)
{
    static const struct {
        const char *key;
        void (*fn)(FILE *);
    } keys[] = {
        {"MAN_OPTIONS", man_options},   {"MAN_SETTINGS", man_settings},
        {"CONF_SETTINGS", conf_settings}, {"BASH_OPTIONS", bash_options},
        {"BASH_VALUES", bash_values},   {"BASH_LIVE", bash_live},
    };
    if (n == 7 && !memcmp(key, "VERSION", 7)) {
        fputs(bd_version(), f);
        return 1;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strlen(keys[i].key) == n && !memcmp(key, keys[i].key, n)) {
            keys[i].fn(f);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mangen TEMPLATE > OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        for (const char *p = line; *p;) {
            const char *a = strchr(p, '@');
            const char *b = a ? strchr(a + 1, '@') : NULL;
            if (!b) {
                fputs(p, stdout);
                break;
            }
            fwrite(p, 1, (size_t)(a - p), stdout);
            if (expand(stdout, a + 1, (size_t)(b - a - 1))) {
                p = b + 1;
            } else {
                fputc('@', stdout); /* not ours: left for the Makefile */
                p = a + 1;
            }
        }
    }
    int bad = ferror(in);
    fclose(in);
    if (bad || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mangen: %s: read or write error\n", argv[1]);
        return 1;
    }
    return 0;
}
