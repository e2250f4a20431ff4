/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one options table (bd_options) and bd_settings: the table is
 * well-formed (every default passes its own check, names and short names
 * unique, the live ones are the ones the issue lists), values are checked
 * with messages that start with the option's name, the settings' meanings
 * across options (background/color pick the effect, hologram), the config
 * file reader's errors name FILE:LINE, and bd_settings_to_config gives the
 * pipeline what the options say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backdrop.h"
#include "check.h"

static const char *const live_names[] = {
    "blur",     "background", "color",     "fit",   "mirror",   "hologram", "light-wrap",
    "mask-low", "mask-high",  "feather",   "grow",  "effect",   "enabled",  "on-demand",
    "idle-timeout", "model", "input", NULL,
};

static int is_listed(const char *name, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

static void test_table(void)
{
    const struct bd_option *t = bd_options();
    int n = 0;
    for (const struct bd_option *o = t; o->name; o++, n++) {
        CHECK(bd_option_find(o->name) == o, "find %s", o->name);
        CHECK(o->help && *o->help, "%s has help", o->name);
        CHECK(o->type != BD_OPTION_CHOICE || (o->choices && o->choices[0]), "%s choices",
              o->name);
        CHECK(o->type != BD_OPTION_INT || o->min <= o->max, "%s range", o->name);
        if (o->def)
            CHECK(bd_option_check(o, o->def) == BD_OK, "%s default '%s': %s", o->name, o->def,
                  bd_last_error());
        for (const struct bd_option *q = o + 1; q->name; q++) {
            CHECK(strcmp(o->name, q->name) != 0, "%s twice", o->name);
            CHECK(!o->short_name || o->short_name != q->short_name, "-%c twice", o->short_name);
        }
        const int live = (o->flags & BD_OPTION_LIVE) != 0;
        CHECK(live == is_listed(o->name, live_names), "%s: live %d", o->name, live);
    }
    CHECK(n >= 30, "%d options", n);
    CHECK(bd_option_find("colour") == NULL && bd_option_find(NULL) == NULL, "unknown names");
    static const char *const issue[] = {"effect", "enabled", "on-demand", "idle-timeout", NULL};
    for (int i = 0; issue[i]; i++)
        CHECK(bd_option_find(issue[i]) != NULL, "%s is in the table", issue[i]);
    CHECK(!strcmp(bd_option_find("idle-timeout")->def, "5"), "idle-timeout defaults to 5 s");
}

/* bd_option_check: status, and a message starting "NAME 'VALUE' ". */
static void bad(const char *name, const char *value, const char *why)
{
    const struct bd_option *o = bd_option_find(name);
    int r = bd_option_check(o, value);
    char head[256];
    snprintf(head, sizeof head, "%s '%s' ", name, value);
    const char *m = bd_last_error();
    CHECK(r == BD_ERR_INVALID_ARG, "%s '%s' accepted", name, value);
    CHECK(!strncmp(m, head, strlen(head)) && strstr(m, why), "%s '%s': message '%s' (want %s)",
          name, value, m, why);
}

static void good(const char *name, const char *value)
{
    CHECK(bd_option_check(bd_option_find(name), value) == BD_OK, "%s '%s': %s", name, value,
          bd_last_error());
}

static void test_check(void)
{
    good("blur", "1");
    good("blur", "64");
    bad("blur", "0", "from 1 to 64");
    bad("blur", "65", "from 1 to 64");
    bad("blur", "12x", "whole number");
    bad("blur", "", "whole number");
    bad("blur", "99999999999999999999", "whole number");
    good("grow", "-64");
    bad("grow", "-65", "from -64 to 64");
    good("fit", "tile");
    bad("fit", "round", "not one of: cover contain stretch tile");
    good("effect", "hologram");
    good("effect", "none");
    bad("effect", "sparkle", "not one of");
    good("mirror", "on");
    good("mirror", "false");
    bad("mirror", "maybe", "on or off");
    good("color", "#00ff00");
    good("color", "0xABCDEF");
    bad("color", "#12345", "#RRGGBB");
    bad("color", "#-0ff00", "#RRGGBB");
    bad("color", "#00ff00 ", "#RRGGBB");
    good("size", "640x480");
    bad("size", "640by480", "WxH");
    bad("size", "15x480", "WxH");
    bad("size", "8193x480", "WxH");
    good("idle-timeout", "3600");
    bad("idle-timeout", "0", "from 1 to 3600");
    CHECK(bd_option_check(NULL, "x") == BD_ERR_INVALID_ARG, "NULL option");
}

static void test_settings(void)
{
    struct bd_settings *s = NULL;
    CHECK(bd_settings_create(&s) == BD_OK && s, "create");
    if (!s)
        return;
    CHECK(!strcmp(bd_settings_get(s, "blur"), "12") && !strcmp(bd_settings_get(s, "effect"), "blur"),
          "defaults");
    CHECK(!strcmp(bd_settings_get(s, "mirror"), "off") && bd_settings_get(s, "background") == NULL,
          "unset flag reads off, unset string NULL");
    CHECK(bd_settings_set(s, "colour", "#000000") == BD_ERR_NOT_FOUND &&
              strstr(bd_last_error(), "unknown setting 'colour'"),
          "unknown setting: %s", bd_last_error());
    CHECK(bd_settings_set(s, "blur", "99") == BD_ERR_INVALID_ARG &&
              !strcmp(bd_settings_get(s, "blur"), "12"),
          "a bad value leaves the old one");
    CHECK(bd_settings_set(s, "mirror", "yes") == BD_OK && !strcmp(bd_settings_get(s, "mirror"), "on"),
          "a flag reads back as on");
    CHECK(bd_settings_set(s, "color", "#ff0000") == BD_OK &&
              !strcmp(bd_settings_get(s, "effect"), "color"),
          "color picks the effect");
    CHECK(bd_settings_set(s, "background", "/x.png") == BD_OK &&
              !strcmp(bd_settings_get(s, "effect"), "background"),
          "background picks the effect");
    CHECK(bd_settings_set(s, "hologram", "on") == BD_OK &&
              !strcmp(bd_settings_get(s, "effect"), "hologram") &&
              !strcmp(bd_settings_get(s, "hologram"), "on"),
          "hologram is the effect");
    CHECK(bd_settings_set(s, "color", "#0000ff") == BD_OK &&
              !strcmp(bd_settings_get(s, "effect"), "hologram"),
          "a colour keeps the hologram");
    struct bd_pipeline_config c;
    CHECK(bd_settings_to_config(s, &c) == BD_OK, "config: %s", bd_last_error());
    CHECK(c.hologram == 1 && c.effect == BD_EFFECT_IMAGE && !strcmp(c.background, "/x.png") &&
              c.color == 0x0000ff && c.mirror == 1,
          "hologram over the image: effect %d hologram %d color %06x", (int)c.effect, c.hologram,
          (unsigned)c.color);
    CHECK(bd_settings_set(s, "hologram", "off") == BD_OK &&
              !strcmp(bd_settings_get(s, "effect"), "background"),
          "hologram off goes back to the background: %s", bd_settings_get(s, "effect"));
    CHECK(bd_settings_set(s, "effect", "none") == BD_OK && bd_settings_to_config(s, &c) == BD_OK &&
              c.effect == BD_EFFECT_NONE,
          "effect none");
    CHECK(bd_settings_set(s, "enabled", "off") == BD_OK && bd_settings_to_config(s, &c) == BD_OK &&
              c.disabled == 1,
          "enabled off starts disabled");
    CHECK(bd_settings_set(s, "mask-low", "70") == BD_OK && bd_settings_set(s, "mask-high", "60") == BD_OK &&
              bd_settings_to_config(s, &c) == BD_ERR_INVALID_ARG &&
              strstr(bd_last_error(), "mask-low (70) must be below mask-high (60)"),
          "mask ramp: %s", bd_last_error());
    CHECK(bd_settings_set(s, "mask-high", "80") == BD_OK && bd_settings_to_config(s, &c) == BD_OK &&
              c.refine && c.refine->lo > 0.69f && c.refine->lo < 0.71f && c.refine->hi > 0.79f,
          "mask ramp into refine");
    CHECK(bd_settings_set(s, "light-wrap", "0") == BD_OK && bd_settings_set(s, "size", "640x360") == BD_OK &&
              bd_settings_to_config(s, &c) == BD_OK && c.light_wrap == -1 && c.width == 640 &&
              c.height == 360,
          "light-wrap 0 is off, size parsed");
    bd_settings_destroy(s);

    CHECK(bd_settings_create(&s) == BD_OK, "create");
    CHECK(bd_settings_set(s, "effect", "background") == BD_OK &&
              bd_settings_to_config(s, &c) == BD_ERR_INVALID_ARG &&
              strstr(bd_last_error(), "needs a background file"),
          "effect background without a file: %s", bd_last_error());
    CHECK(bd_settings_set(s, "effect", "color") == BD_OK &&
              bd_settings_to_config(s, &c) == BD_ERR_INVALID_ARG,
          "effect color without a colour");
    bd_settings_destroy(s);
    bd_settings_destroy(NULL);
}

static void conf(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_file(void)
{
    char path[256];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bd_test_options_%d.conf", t && *t ? t : "/tmp", (int)getpid());
    struct bd_settings *s = NULL;
    bd_settings_create(&s);
    if (!s)
        return;
    conf(path, "# comment\n\nblur = 20\ncolor = \"#00ff00\"\nmirror\nloop = false\n"
               "pipewire-name = 'a # b'\n");
    CHECK(bd_settings_load_file(s, path, 1) == BD_OK, "load: %s", bd_last_error());
    CHECK(!strcmp(bd_settings_get(s, "blur"), "20") && !strcmp(bd_settings_get(s, "color"), "#00ff00") &&
              !strcmp(bd_settings_get(s, "mirror"), "on") && !strcmp(bd_settings_get(s, "loop"), "off") &&
              !strcmp(bd_settings_get(s, "pipewire-name"), "a # b"),
          "values from the file");
    static const char *const cases[][2] = {
        {"blur = 20\nblur = 500\n", ":2: blur '500' is not a whole number"},
        {"colour = blue\n", ":1: unknown setting 'colour'"},
        {"config = /x\n", ":1: unknown setting 'config'"},
        {"fit\n", ":1: 'fit' needs a value"},
        {"mirror = maybe\n", ":1: mirror 'maybe' is not on or off"},
        {"color = #ff0000\nbackground = /x.jpg\n", ":2: both a colour and a background"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        conf(path, cases[i][0]);
        int r = bd_settings_load_file(s, path, 1);
        CHECK(r != BD_OK && strstr(bd_last_error(), path) && strstr(bd_last_error(), cases[i][1]),
              "'%s': %s (want %s)", cases[i][0], bd_last_error(), cases[i][1]);
    }
    unlink(path);
    CHECK(bd_settings_load_file(s, path, 0) == BD_OK, "a missing file is fine unless required");
    CHECK(bd_settings_load_file(s, path, 1) == BD_ERR_NOT_FOUND, "a required file that is missing");
    bd_settings_destroy(s);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    return buf;
}

/* bd_config_file_set: what the D-Bus service saves live changes with. The
 * file it writes must read back (bd_settings_load_file) as the changes
 * made in that order, and keep the user's comments. */
static void test_file_set(void)
{
    char dir[256], path[300];
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/bd_test_cfgset_%d", t && *t ? t : "/tmp", (int)getpid());
    snprintf(path, sizeof path, "%s/sub/backdrop.conf", dir);
    CHECK(bd_config_file_set(path, "blur", "20") == BD_OK, "a new file (and folders): %s",
          bd_last_error());
    CHECK(bd_config_file_set(path, "blur", "999") == BD_ERR_INVALID_ARG &&
              strstr(bd_last_error(), "blur '999'"), "a bad value refused: %s", bd_last_error());
    CHECK(bd_config_file_set(path, "colour", "#fff") == BD_ERR_NOT_FOUND, "an unknown name");
    CHECK(bd_config_file_set(path, "config", "/x") == BD_ERR_NOT_FOUND, "config is not saved");
    conf(path, "# mine\nblur = 20\nmirror\n# about the colour\ncolor = \"#00ff00\"\n");
    CHECK(bd_config_file_set(path, "blur", "30") == BD_OK, "blur 30");
    CHECK(bd_config_file_set(path, "background", "/a b#c.jpg") == BD_OK, "a background");
    CHECK(bd_config_file_set(path, "effect", "blur") == BD_OK, "effect blur");
    const char *want = "# mine\nmirror\n# about the colour\nblur = 30\n"
                       "background = \"/a b#c.jpg\"\neffect = blur\n";
    CHECK(!strcmp(slurp(path), want), "the file:\n%s\nwant:\n%s", slurp(path), want);
    struct bd_settings *s = NULL;
    bd_settings_create(&s);
    if (s) {
        CHECK(bd_settings_load_file(s, path, 1) == BD_OK, "it reads back: %s", bd_last_error());
        CHECK(!strcmp(bd_settings_get(s, "blur"), "30") &&
                  !strcmp(bd_settings_get(s, "background"), "/a b#c.jpg") &&
                  !strcmp(bd_settings_get(s, "effect"), "blur") &&
                  !strcmp(bd_settings_get(s, "mirror"), "on") && !bd_settings_get(s, "color"),
              "read back: blur %s background %s effect %s", bd_settings_get(s, "blur"),
              bd_settings_get(s, "background"), bd_settings_get(s, "effect"));
        bd_settings_destroy(s);
    }
    CHECK(bd_config_file_set(path, "color", "#102030") == BD_OK && !strstr(slurp(path), "background"),
          "a colour replaces the background line: %s", slurp(path));
    CHECK(bd_config_file_set(path, "mirror", NULL) == BD_OK && !strstr(slurp(path), "mirror"),
          "NULL removes: %s", slurp(path));
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
}

/* bd_image_thumbnail: a still and a video of ../shared, and a corrupt file. */
static void test_thumbnail(void)
{
    const char *jpg = "../shared/data/video/woman-5883428_1280.jpg";
    const char *mp4 = "../shared/data/video/doctor_26732.mp4";
    if (access(jpg, R_OK) != 0 || access(mp4, R_OK) != 0) {
        SKIP_PROVIDED("../shared/data/video missing: no thumbnails to make");
        return;
    }
    struct bd_image img;
    CHECK(bd_image_thumbnail(jpg, 160, &img) == BD_OK, "jpg: %s", bd_last_error());
    CHECK(img.width == 160 && img.height > 80 && img.height < 160 && img.channels == 3 && img.data,
          "jpg thumbnail %dx%d", img.width, img.height);
    /* not flat: a real picture, not a blank buffer */
    long sum = 0, sum2 = 0, n = (long)img.width * img.height * 3;
    for (long i = 0; img.data && i < n; i++)
        sum += img.data[i], sum2 += (long)img.data[i] * img.data[i];
    CHECK(n && sum2 / n - (sum / n) * (sum / n) > 100, "jpg thumbnail has detail (variance %ld)",
          n ? sum2 / n - (sum / n) * (sum / n) : 0);
    bd_image_free(&img);
    CHECK(bd_image_thumbnail(mp4, 96, &img) == BD_OK, "mp4: %s", bd_last_error());
    CHECK(img.width == 96 && img.height == 54, "mp4 thumbnail %dx%d (16:9)", img.width, img.height);
    bd_image_free(&img);
    char bad[256];
    const char *t = getenv("TMPDIR");
    snprintf(bad, sizeof bad, "%s/bd_test_thumb_%d.jpg", t && *t ? t : "/tmp", (int)getpid());
    conf(bad, "\xff\xd8\xff\xe0 not a jpeg at all");
    int r = bd_image_thumbnail(bad, 96, &img);
    CHECK(r != BD_OK && !img.data && strstr(bd_last_error(), bad), "corrupt: %d %s", r,
          bd_last_error());
    unlink(bad);
    /* a real JPEG cut short: FFmpeg alone would decode its top half; the
     * camera refuses it, so must the thumbnail */
    FILE *in = fopen(jpg, "rb"), *out = fopen(bad, "wb");
    char head[3000];
    size_t n3 = in ? fread(head, 1, sizeof head, in) : 0;
    if (out)
        fwrite(head, 1, n3, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    r = bd_image_thumbnail(bad, 96, &img);
    CHECK(r == BD_ERR_FORMAT && !img.data, "a truncated JPEG: %d %s", r, bd_last_error());
    unlink(bad);
}

/* The plugins show a filter option's help as it is (gst-inspect's blurb,
 * OBS's tooltip): it names settings, never a command-line flag or a
 * signal only the camera has. */
static void test_neutral_help(void)
{
    int n = 0;
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (!(o->flags & BD_OPTION_FILTER))
            continue;
        n++;
        CHECK(!strstr(o->help, "--") && !strstr(o->help, "SIG"),
              "'%s''s help speaks of the command line: %s", o->name, o->help);
    }
    CHECK(n > 10, "only %d filter options", n);
    printf("help: %d filter options' help texts name no flag or signal\n", n);
}

int main(void)
{
    test_table();
    test_neutral_help();
    test_check();
    test_settings();
    test_file();
    test_file_set();
    test_thumbnail();
    return check_report();
}
