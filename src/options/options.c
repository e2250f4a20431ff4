/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one options table of the camera (bd_options) and what turns name =
 * value pairs into a bd_pipeline_config (bd_settings_*): the command line,
 * the config file, the man pages, the D-Bus properties and the live
 * settings (bd_pipeline_set) all read this table and check values here, so
 * a value means the same and is refused with the same words everywhere.
 */
#include "options/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

static const char *const fit_choices[] = {"cover", "contain", "stretch", "tile", NULL};
static const char *const format_choices[] = {"yuyv", "i420", NULL};
static const char *const backend_choices[] = {"auto", "xnnpack", "ref", NULL};
static const char *const pace_choices[] = {"auto", "live", "offline", NULL};
static const char *const guide_choices[] = {"luma", "color", NULL};
static const char *const onoff_choices[] = {"on", "off", NULL};
static const char *const dbus_choices[] = {"auto", "on", "off", NULL};
/* in the order of enum bd_effect, hologram last (not a background of its own) */
static const char *const effect_choices[] = {"blur", "background", "color", "none", "hologram",
                                             NULL};
enum { EFFECT_HOLOGRAM = 4 };

#define LIVE BD_OPTION_LIVE
#define STILL BD_OPTION_STILL
#define FILTER BD_OPTION_FILTER
static const struct bd_option table[] = {
    {"input", 'i', BD_OPTION_STRING,
     "camera device, video or image file, or - for YUV4MPEG2 on stdin (default: the first "
     "camera); live: another camera while a camera is read",
     NULL, 0, 0, NULL, LIVE},
    {"output", 'o', BD_OPTION_STRING,
     "v4l2loopback device, pipewire, a .mp4/.mkv/.y4m file, - for YUV4MPEG2 on stdout, or null "
     "(default: the first free v4l2loopback device)",
     NULL, 0, 0, NULL, 0},
    {"size", 's', BD_OPTION_STRING, "capture size WxH (the nearest the camera offers)", "1280x720",
     0, 0, NULL, 0},
    {"fps", 0, BD_OPTION_INT, "capture frame rate", "30", 1, 240, NULL, 0},
    {"loop", 0, BD_OPTION_FLAG, "file input: start again at the end", NULL, 0, 0, NULL, 0},
    {"effect", 0, BD_OPTION_CHOICE,
     "the effect: blur, background (the file), color, hologram (the person, over the file, the "
     "colour or the blur) or none; a background, a colour or hologram alone picks it too",
     "blur", 0, 0, effect_choices, LIVE | FILTER},
    {"blur", 'b', BD_OPTION_INT, "blur the background with this strength (the default effect)", "12",
     1, 64, NULL, LIVE | FILTER},
    {"background", 'B', BD_OPTION_STRING,
     "replace the background with an image or a looped video", NULL, 0, 0, NULL, LIVE | FILTER},
    {"fit", 0, BD_OPTION_CHOICE, "how the background file fills the frame", "cover", 0, 0, fit_choices,
     LIVE | FILTER},
    {"color", 'c', BD_OPTION_STRING, "replace the background with a colour, '#RRGGBB'", NULL, 0, 0,
     NULL, LIVE | FILTER},
    {"mirror", 0, BD_OPTION_FLAG, "flip the picture horizontally", NULL, 0, 0, NULL, LIVE | FILTER},
    {"enabled", 0, BD_OPTION_CHOICE,
     "apply the effect (off: the picture as it is)", "on", 0, 0, onoff_choices,
     LIVE | FILTER},
    {"output-format", 0, BD_OPTION_CHOICE, "pixel format for a v4l2loopback output", "yuyv", 0, 0,
     format_choices, 0},
    {"on-demand", 0, BD_OPTION_CHOICE,
     "open the camera and run the model only while a program streams from the output (a "
     "v4l2loopback or PipeWire camera; files are never on demand)", "on", 0, 0, onoff_choices,
     LIVE},
    {"idle-timeout", 0, BD_OPTION_INT,
     "on demand: close the camera this many seconds after the last program stops", "5", 1, 3600,
     NULL, LIVE},
    {"model", 'm', BD_OPTION_STRING,
     "auto (photos and file-to-file runs: rvm when installed, else general; the camera: general, "
     "or landscape for wide frames), a built-in model name, rvm (Robust Video Matting: make "
     "models-rvm fetches it), or a .tflite path",
     "auto", 0, 0, NULL, STILL | LIVE | FILTER},
    {"rvm-ratio", 0, BD_OPTION_STRING,
     "when the model is rvm: the downsample ratio its backbone sees the frame at, from 0.05 to 1, "
     "or auto (512 / the longer side, at least 0.5 up to 1280x720)",
     "auto", 0, 0, NULL, STILL | FILTER},
    {"rvm-fuse", 0, BD_OPTION_CHOICE,
     "when the model is rvm: fuse its alpha with the default model's person mask (its edges, our "
     "sense of what the person is: bench/rvm-fusion.md); off: RVM's bare alpha",
     "on", 0, 0, onoff_choices, STILL | FILTER},
    {"class", 0, BD_OPTION_STRING,
     "the class to segment, by name or index, for a multi-class model (backdrop models lists "
     "them; default: the model's person class)",
     NULL, 0, 0, NULL, STILL | FILTER},
    {"backend", 0, BD_OPTION_CHOICE, "inference backend", "auto", 0, 0, backend_choices, STILL | FILTER},
    {"threads", 0, BD_OPTION_INT, "inference threads", "1", 1, 64, NULL, STILL | FILTER},
    {"raw-mask", 0, BD_OPTION_FLAG, "the model's mask upsampled bilinearly, without refinement",
     NULL, 0, 0, NULL, STILL | FILTER},
    {"guide", 0, BD_OPTION_CHOICE,
     "edges the refined mask follows: color (default), or luma (cheaper, worse at hair)", "color",
     0, 0, guide_choices, FILTER},
    {"mask-low", 0, BD_OPTION_INT,
     "coverage: probability (%) at and below which it is background", "40", 0, 99, NULL, LIVE | STILL | FILTER},
    {"mask-high", 0, BD_OPTION_INT,
     "coverage: probability (%) at and above which it is the person", "60", 1, 100, NULL, LIVE | STILL | FILTER},
    {"feather", 0, BD_OPTION_INT, "soften the mask's edge by this many pixels", "0", 0, 64, NULL,
     LIVE | STILL | FILTER},
    {"grow", 0, BD_OPTION_INT, "grow (> 0) or shrink (< 0) the person by this many pixels", "0",
     -64, 64, NULL, LIVE | STILL | FILTER},
    {"temporal", 0, BD_OPTION_CHOICE,
     "smooth the mask over time where the picture is still (no lag where it moves)", "on", 0, 0,
     onoff_choices, FILTER},
    {"mirror-average", 0, BD_OPTION_CHOICE,
     "also run the model on the mirror image and average the two (better edges, steadier; "
     "twice the inference)",
     "on", 0, 0, onoff_choices, STILL | FILTER},
    {"zoom", 0, BD_OPTION_CHOICE,
     "where the person fills less of the frame, look again at them alone (fewer objects taken "
     "for the person; one more model run)",
     "on", 0, 0, onoff_choices, STILL | FILTER},
    {"halo-free", 0, BD_OPTION_CHOICE,
     "keep the person's colours out of the blurred background (off: the plain blur)", "on", 0, 0,
     onoff_choices, FILTER},
    {"light-wrap", 0, BD_OPTION_INT,
     "let the background's light spill onto the person's edge, in % (0 = off)", "30", 0, 100,
     NULL, LIVE | FILTER},
    {"hologram", 0, BD_OPTION_FLAG,
     "show the person as a hologram (blue-green, scan lines, ghost): effect hologram", NULL, 0,
     0, NULL, LIVE | FILTER},
    {"preview", 'p', BD_OPTION_FLAG, "also show the output in a window", NULL, 0, 0, NULL, 0},
    {"pipewire-name", 0, BD_OPTION_STRING, "node name of the PipeWire camera", "backdrop", 0, 0,
     NULL, 0},
    {"frames", 'n', BD_OPTION_INT, "stop after this many output frames (0 = run until stopped)",
     "0", 0, 1000000000, NULL, 0},
    {"pace", 0, BD_OPTION_CHOICE,
     "live: play files in real time and never wait for the model; offline: every frame gets its "
     "own mask, as fast as possible; auto: live with a camera, PipeWire or a preview at either end",
     "auto", 0, 0, pace_choices, 0},
    {"quiet", 'q', BD_OPTION_FLAG, "no start-up line and no status line", NULL, 0, 0, NULL, 0},
    {"dbus", 0, BD_OPTION_CHOICE,
     "live control on the session bus (backdrop ctl, docs/DBUS.md): auto serves a camera output "
     "(v4l2loopback, PipeWire), on also a file or pipe, off never",
     "auto", 0, 0, dbus_choices, 0},
    {"config", 0, BD_OPTION_STRING,
     "read settings from this file (\"name = value\" lines with these option names) before the "
     "command line; default ~/.config/backdrop/backdrop.conf when it exists",
     NULL, 0, 0, NULL, 0},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL, 0},
};
#undef LIVE
#undef STILL
#undef FILTER

#define N_OPTIONS ((int)(sizeof table / sizeof table[0]) - 1)

const struct bd_option *bd_options(void)
{
    return table;
}

const struct bd_option *bd_option_find(const char *name)
{
    if (!name)
        return NULL;
    for (const struct bd_option *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

int bd_option_count(void)
{
    return N_OPTIONS;
}

int bd_option_index(const struct bd_option *opt)
{
    return (int)(opt - table);
}

/* ---- values ------------------------------------------------------------- */

int bd_parse_size(const char *s, int *w, int *h)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (errno || end == t || *end || a < 16 || b < 16 || a > 8192 || b > 8192)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

int bd_parse_color(const char *s, uint32_t *rgb)
{
    if (*s == '#')
        s++;
    else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    /* six hex digits and nothing else: strtoul alone would also take a
     * sign or spaces (fuzz/regressions/options/color_sign) */
    uint32_t v = 0;
    for (int i = 0; i < 6; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    if (s[6])
        return -1;
    *rgb = v;
    return 0;
}

static int flag_value(const char *v)
{
    static const char *const on[] = {"on", "true", "yes", "1"}, *const off[] = {"off", "false",
                                                                                "no", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(v, on[i]))
            return 1;
        if (!strcmp(v, off[i]))
            return 0;
    }
    return -1;
}

/* Errors name the option first ("blur '99' is not ..."), so that a client
 * can say where it was given: "--blur ...", "FILE:LINE: blur ...". */
int bd_option_parse(const struct bd_option *o, const char *v, long *num)
{
    *num = 0;
    if (!v)
        return bd_fail(BD_ERR_INVALID_ARG, "%s needs a value", o->name);
    switch (o->type) {
    case BD_OPTION_FLAG: {
        int f = flag_value(v);
        if (f < 0)
            return bd_fail(BD_ERR_INVALID_ARG, "%s '%s' is not on or off", o->name, v);
        *num = f;
        return BD_OK;
    }
    case BD_OPTION_INT: {
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end != '\0' || x < o->min || x > o->max)
            return bd_fail(BD_ERR_INVALID_ARG, "%s '%s' is not a whole number from %ld to %ld",
                           o->name, v, o->min, o->max);
        *num = x;
        return BD_OK;
    }
    case BD_OPTION_CHOICE: {
        for (int i = 0; o->choices[i]; i++)
            if (strcmp(o->choices[i], v) == 0) {
                *num = i;
                return BD_OK;
            }
        char list[256] = "";
        size_t n = 0;
        for (int i = 0; o->choices[i] && n < sizeof list; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, " %s", o->choices[i]);
        return bd_fail(BD_ERR_INVALID_ARG, "%s '%s' is not one of:%s", o->name, v, list);
    }
    case BD_OPTION_STRING:
        if (!strcmp(o->name, "size")) {
            int w, h;
            if (bd_parse_size(v, &w, &h) != 0)
                return bd_fail(BD_ERR_INVALID_ARG,
                               "%s '%s' is not WxH (e.g. 1280x720, 16..8192 each)", o->name, v);
        } else if (!strcmp(o->name, "color")) {
            uint32_t c;
            if (bd_parse_color(v, &c) != 0)
                return bd_fail(BD_ERR_INVALID_ARG, "%s '%s' is not '#RRGGBB'", o->name, v);
        } else if (strlen(v) >= 4096) {
            return bd_fail(BD_ERR_INVALID_ARG, "%s '%.40s...' is too long (%zu bytes)", o->name, v,
                           strlen(v));
        }
        return BD_OK;
    }
    return bd_fail(BD_ERR_INVALID_ARG, "%s: unknown type", o->name);
}

enum bd_status bd_option_check(const struct bd_option *opt, const char *value)
{
    if (!opt)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_option_check: NULL option");
    long n;
    return (enum bd_status)bd_option_parse(opt, value, &n);
}

/* ---- settings ------------------------------------------------------------ */

struct bd_settings {
    char *val[N_OPTIONS];           /* NULL: the default; flags as "on"/"off" */
    int from_file[N_OPTIONS];       /* the line of the file being read that set it */
    struct bd_refine_options refine; /* what bd_settings_to_config points at */
};

enum bd_status bd_settings_create(struct bd_settings **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_settings_create: NULL out");
    *out = calloc(1, sizeof **out);
    return *out ? BD_OK : bd_fail(BD_ERR_NOMEM, "out of memory");
}

void bd_settings_destroy(struct bd_settings *s)
{
    if (!s)
        return;
    for (int i = 0; i < N_OPTIONS; i++)
        free(s->val[i]);
    free(s);
}

static const char *value_of(const struct bd_settings *s, const char *name)
{
    const struct bd_option *o = bd_option_find(name);
    int i = bd_option_index(o);
    return s->val[i] ? s->val[i] : o->type == BD_OPTION_FLAG ? "off" : o->def;
}

static long number_of(const struct bd_settings *s, const char *name)
{
    long n = 0;
    const char *v = value_of(s, name);
    if (v)
        bd_option_parse(bd_option_find(name), v, &n); /* checked when it was set */
    return n;
}

static int store(struct bd_settings *s, const struct bd_option *o, const char *v)
{
    char *c = NULL;
    if (v && !(c = strdup(v)))
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    int i = bd_option_index(o);
    free(s->val[i]);
    s->val[i] = c;
    return BD_OK;
}

/* The effect a background or colour alone asks for: what --background and
 * --color mean when no effect is named. The hologram keeps its person over
 * the new background. */
static int implied_effect(struct bd_settings *s, const char *effect)
{
    if (!strcmp(value_of(s, "effect"), "hologram"))
        return BD_OK;
    return store(s, bd_option_find("effect"), effect);
}

enum bd_status bd_settings_set(struct bd_settings *s, const char *name, const char *value)
{
    if (!s || !name)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_settings_set: NULL argument");
    const struct bd_option *o = bd_option_find(name);
    if (!o)
        return bd_fail(BD_ERR_NOT_FOUND, "unknown setting '%s'", name);
    long n;
    int r = bd_option_parse(o, value, &n);
    if (r != BD_OK)
        return r;
    if (o->type == BD_OPTION_FLAG)
        value = n ? "on" : "off";
    /* --hologram is the effect's old name: it lives in "effect" */
    if (!strcmp(name, "hologram")) {
        if (n)
            return store(s, bd_option_find("effect"), "hologram");
        if (strcmp(value_of(s, "effect"), "hologram") != 0)
            return BD_OK;
        return store(s, bd_option_find("effect"),
                     s->val[bd_option_index(bd_option_find("background"))] ? "background"
                     : s->val[bd_option_index(bd_option_find("color"))]    ? "color"
                                                                            : "blur");
    }
    r = store(s, o, value);
    if (r == BD_OK && !strcmp(name, "background"))
        r = implied_effect(s, "background");
    else if (r == BD_OK && !strcmp(name, "color"))
        r = implied_effect(s, "color");
    return (enum bd_status)r;
}

const char *bd_settings_get(const struct bd_settings *s, const char *name)
{
    if (!s || !bd_option_find(name))
        return NULL;
    if (!strcmp(name, "hologram"))
        return strcmp(value_of(s, "effect"), "hologram") ? "off" : "on";
    return value_of(s, name);
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

static int file_line(struct bd_settings *s, char *l, const char *path, int lineno)
{
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
    const struct bd_option *o = bd_option_find(name);
    if (!o || !strcmp(name, "config"))
        return bd_fail(BD_ERR_NOT_FOUND, "%s:%d: unknown setting '%s'", path, lineno, name);
    if (!value && o->type != BD_OPTION_FLAG)
        return bd_fail(BD_ERR_INVALID_ARG, "%s:%d: '%s' needs a value (%s = ...)", path, lineno,
                       name, name);
    /* one file sets one background: a colour and an image is a mistake */
    const int bg = !strcmp(name, "background"), col = !strcmp(name, "color");
    if ((bg && s->from_file[bd_option_index(bd_option_find("color"))]) ||
        (col && s->from_file[bd_option_index(bd_option_find("background"))]))
        return bd_fail(BD_ERR_INVALID_ARG,
                       "%s:%d: both a colour and a background are set: choose one", path, lineno);
    int r = bd_settings_set(s, name, value ? value : "on");
    if (r != BD_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        return bd_fail(r, "%s:%d: %s", path, lineno, msg);
    }
    s->from_file[bd_option_index(o)] = lineno;
    return BD_OK;
}

enum bd_status bd_settings_load_file(struct bd_settings *s, const char *path, int must_exist)
{
    if (!s || !path)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_settings_load_file: NULL argument");
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return BD_OK;
        return bd_fail(errno == ENOENT ? BD_ERR_NOT_FOUND : BD_ERR_IO,
                       "cannot read config file '%s': %s", path, strerror(errno));
    }
    memset(s->from_file, 0, sizeof s->from_file);
    char line[4096];
    int lineno = 0, r = BD_OK;
    while (r == BD_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *l = trim(line);
        if (*l && *l != '#')
            r = file_line(s, l, path, lineno);
    }
    if (r == BD_OK && ferror(f))
        r = bd_fail(BD_ERR_IO, "cannot read config file '%s'", path);
    fclose(f);
    memset(s->from_file, 0, sizeof s->from_file);
    return (enum bd_status)r;
}

enum bd_status bd_settings_to_config(struct bd_settings *s, struct bd_pipeline_config *cfg)
{
    if (!s || !cfg)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_settings_to_config: NULL argument");
    struct bd_pipeline_config c;
    memset(&c, 0, sizeof c);
    c.input = value_of(s, "input");
    c.output = value_of(s, "output");
    if (bd_parse_size(value_of(s, "size"), &c.width, &c.height) != 0)
        return bd_fail(BD_ERR_INVALID_ARG, "size '%s' is not WxH", value_of(s, "size"));
    c.fps = (int)number_of(s, "fps");
    c.loop = (int)number_of(s, "loop");
    c.blur = (int)number_of(s, "blur");
    c.fit = (enum bd_fit_mode)number_of(s, "fit");
    c.mirror = (int)number_of(s, "mirror");
    c.disabled = number_of(s, "enabled") == 1;
    c.output_format = (enum bd_output_format)number_of(s, "output-format");
    c.model = value_of(s, "model");
    c.model_class = value_of(s, "class");
    c.rvm_bare = number_of(s, "rvm-fuse") == 1; /* onoff_choices: "on" first */
    const char *rr = value_of(s, "rvm-ratio");
    c.rvm_ratio = 0.f;
    if (rr && strcmp(rr, "auto") != 0) {
        char *end;
        errno = 0;
        double v = strtod(rr, &end);
        if (errno || end == rr || *end || !(v >= 0.05 && v <= 1.0))
            return bd_fail(BD_ERR_INVALID_ARG,
                           "rvm-ratio '%s' is not auto or a number from 0.05 to 1", rr);
        c.rvm_ratio = (float)v;
    }
    c.backend = (enum bd_backend)number_of(s, "backend");
    c.threads = (int)number_of(s, "threads");
    c.raw_mask = (int)number_of(s, "raw-mask");
    c.guide_luma = number_of(s, "guide") == 0;
    c.no_mirror_average = number_of(s, "mirror-average") == 1;
    c.no_zoom = number_of(s, "zoom") == 1;
    c.no_halo_free = number_of(s, "halo-free") == 1;
    long lw = number_of(s, "light-wrap");
    c.light_wrap = lw ? (int)lw : -1;
    c.preview = (int)number_of(s, "preview");
    c.pw_name = value_of(s, "pipewire-name");
    c.max_frames = number_of(s, "frames");
    c.pace = (enum bd_pace)number_of(s, "pace");
    c.on_demand = number_of(s, "on-demand") == 0; /* onoff_choices: "on" first */
    c.idle_timeout = (int)number_of(s, "idle-timeout");

    long lo = number_of(s, "mask-low"), hi = number_of(s, "mask-high");
    if (lo >= hi)
        return bd_fail(BD_ERR_INVALID_ARG, "mask-low (%ld) must be below mask-high (%ld)", lo, hi);
    struct bd_refine_options *ro = &s->refine;
    bd_refine_options_default(ro);
    ro->lo = (float)lo / 100.f;
    ro->hi = (float)hi / 100.f;
    ro->feather = (int)number_of(s, "feather");
    ro->grow = (int)number_of(s, "grow");
    ro->temporal = number_of(s, "temporal") == 0;
    c.refine = ro;

    const char *bg = value_of(s, "background"), *col = value_of(s, "color");
    if (col && bd_parse_color(col, &c.color) != 0)
        return bd_fail(BD_ERR_INVALID_ARG, "color '%s' is not '#RRGGBB'", col);
    c.background = bg;
    long effect = number_of(s, "effect");
    if (effect == EFFECT_HOLOGRAM) {
        c.hologram = 1;
        effect = bg ? BD_EFFECT_IMAGE : col ? BD_EFFECT_COLOR : BD_EFFECT_BLUR;
    }
    if (effect == BD_EFFECT_IMAGE && !bg)
        return bd_fail(BD_ERR_INVALID_ARG, "effect 'background' needs a background file");
    if (effect == BD_EFFECT_COLOR && !col)
        return bd_fail(BD_ERR_INVALID_ARG, "effect 'color' needs a colour (color = #RRGGBB)");
    c.effect = (enum bd_effect)effect;
    *cfg = c;
    return BD_OK;
}

/* The name a config line sets ("" for a comment or a blank line), into
 * name (size bytes). */
static void line_name(const char *line, char *name, size_t size)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = 0;
    if (*line != '#')
        while (line[n] && line[n] != '=' && line[n] != '\n' && line[n] != '\r')
            n++;
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n >= size)
        n = 0;
    memcpy(name, line, n);
    name[n] = '\0';
}

/* The folders above path, made as needed (0700: a user's settings). */
static int make_parents(const char *path)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return -1;
    for (char *c = dir + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    return 0;
}

enum bd_status bd_config_file_set(const char *path, const char *name, const char *value)
{
    if (!path || !name || !*path)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_config_file_set: NULL argument");
    const struct bd_option *o = bd_option_find(name);
    if (!o || !strcmp(name, "config"))
        return bd_fail(BD_ERR_NOT_FOUND, "unknown setting '%s'", name);
    if (value) {
        int r = bd_option_check(o, value);
        if (r != BD_OK)
            return (enum bd_status)r;
        if (strpbrk(value, "\n\r") || (strchr(value, '"') && strchr(value, '\'')))
            return bd_fail(BD_ERR_INVALID_ARG, "%s: a value with a line break or both quote "
                           "marks cannot be written to a config file", name);
    }
    /* the file's two ways to name a background exclude each other (as the
     * reader insists): the last one given wins */
    const char *other = !strcmp(name, "background") ? "color"
                        : !strcmp(name, "color")    ? "background"
                                                    : NULL;
    if (make_parents(path) != 0)
        return bd_fail(BD_ERR_IO, "cannot make the folder of config file '%s': %s", path,
                       strerror(errno));
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return bd_fail(BD_ERR_INVALID_ARG, "config file path too long: '%s'", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return bd_fail(BD_ERR_IO, "cannot write config file '%s': %s", path, strerror(errno));
    FILE *out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        unlink(tmp);
        return bd_fail(BD_ERR_IO, "cannot write config file '%s': %s", path, strerror(errno));
    }
    int err = 0;
    FILE *in = fopen(path, "r");
    if (!in && errno != ENOENT)
        err = errno;
    if (in) {
        /* the file's own permissions stay (it may hold nothing secret, but
         * it is the user's choice) */
        struct stat st;
        if (fstat(fileno(in), &st) == 0)
            fchmod(fd, st.st_mode & 07777);
        char line[4096], key[128];
        while (fgets(line, sizeof line, in)) {
            line_name(line, key, sizeof key);
            if (!strcmp(key, name) || (other && !strcmp(key, other)))
                continue;
            size_t n = strlen(line);
            fputs(line, out);
            if (n && line[n - 1] != '\n')
                fputc('\n', out);
        }
        if (ferror(in))
            err = EIO;
        fclose(in);
    } else {
        fprintf(out, "# backdrop settings (backdrop.conf(5)); changes made while the "
                     "camera runs are saved here\n");
    }
    /* Appended, not replaced in place: lines apply in order, and a later
     * one can move an earlier one ("background" sets "effect"), so the
     * file replays the changes in the order they were made. */
    if (value) {
        const char *q = strchr(value, '"') ? "'" : "\"";
        int quote = strpbrk(value, "#\"'") || value[0] == ' ' || value[0] == '\t' ||
                    (*value && strchr(" \t", value[strlen(value) - 1]));
        fprintf(out, "%s = %s%s%s\n", name, quote ? q : "", value, quote ? q : "");
    }
    if (fflush(out) != 0 || fsync(fd) != 0)
        err = err ? err : errno;
    if (fclose(out) != 0)
        err = err ? err : errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        return bd_fail(BD_ERR_IO, "cannot write config file '%s': %s", path, strerror(err));
    }
    return BD_OK;
}
