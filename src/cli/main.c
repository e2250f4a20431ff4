/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The backdrop command: a thin client of include/backdrop.h.
 * Every failure prints one line "backdrop: <what>: <detail>" and exits 1
 * (2 for usage errors).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "cli/camera.h"
#include "cli/ctl.h"
#include "cli/options.h"

static int fail(const char *what, int status)
{
    const char *d = bd_last_error();
    fprintf(stderr, "backdrop: %s: %s\n", what, *d ? d : bd_status_str(status));
    return 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The settings of a still command (the library's BD_OPTION_STILL
 * options), as a config; NULL with the message printed. */
static struct bd_settings *still_settings(void)
{
    struct bd_settings *st;
    if (bd_settings_create(&st) != BD_OK) {
        fail("out of memory", BD_ERR_NOMEM);
        return NULL;
    }
    return st;
}

static int still_config(const char *cmd, struct bd_settings *st, struct bd_pipeline_config *c)
{
    memset(c, 0, sizeof *c);
    if (bd_settings_to_config(st, c) != BD_OK) {
        fprintf(stderr, "backdrop %s: %s\n", cmd, bd_last_error());
        return -1;
    }
    return 0;
}

/* ---- mask ---------------------------------------------------------------- */

struct mask_opts {
    const char *out;
    const char *tin, *tout;
    int help;
};

/* The command's own arguments; its settings (model, class, raw-mask,
 * mirror-average, zoom, mask options, backend, threads) are the library's
 * BD_OPTION_STILL options (opt_parse_still). */
static const struct opt_def mask_defs[] = {
    {"output", 'o', OPT_STRING, "output PNG (the mask at the image's size; cutout: RGBA)", NULL, 0,
     0, NULL, offsetof(struct mask_opts, out), NULL},
    {"tensor-in", 0, OPT_STRING, "raw float32 NHWC input tensor at the model's size", NULL, 0, 0, NULL,
     offsetof(struct mask_opts, tin), NULL},
    {"tensor-out", 0, OPT_STRING, "write the raw float32 output tensor here", NULL, 0, 0, NULL,
     offsetof(struct mask_opts, tout), NULL},
    {"help", 'h', OPT_FLAG, "show this help", NULL, 0, 0, NULL, offsetof(struct mask_opts, help), NULL},
    {0},
};

static int read_exact(const char *path, void *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "backdrop: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    size_t got = fread(buf, 1, size, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != size || extra) {
        fprintf(stderr, "backdrop: '%s' must hold exactly %zu bytes of float32 (the model's input size)\n",
                path, size);
        return -1;
    }
    return 0;
}

static int write_all(const char *path, const void *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "backdrop: cannot write '%s': %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

/* The still segmenter of the command's settings; NULL with the message
 * printed. raw: the model alone (no zoom pass's second engine). */
static struct bd_still *open_still(const char *cmd, struct bd_settings *st, int raw)
{
    struct bd_pipeline_config c;
    if (still_config(cmd, st, &c) != 0)
        return NULL;
    if (raw)
        c.raw_mask = 1;
    struct bd_still *still;
    int r = bd_still_create(&c, &still);
    if (r != BD_OK) {
        fprintf(stderr, "backdrop %s: %s\n", cmd, bd_last_error());
        return NULL;
    }
    return still;
}

static int cmd_tensor(struct mask_opts *o, struct bd_settings *st)
{
    if (!o->tin || !o->tout) {
        fprintf(stderr, "backdrop mask: --tensor-in and --tensor-out go together\n");
        return 2;
    }
    struct bd_still *still = open_still("mask", st, 1);
    if (!still)
        return 1;
    struct bd_engine *e = bd_still_engine(still);
    struct bd_model_info info;
    bd_model_get_info(bd_still_model(still), &info);
    size_t n_in = (size_t)info.in_width * info.in_height * info.in_channels;
    size_t n_out = (size_t)info.out_width * info.out_height * info.out_channels;
    int rc = 1;
    if (read_exact(o->tin, bd_engine_input(e), n_in * 4) == 0) {
        int r = bd_engine_run(e);
        if (r != BD_OK)
            rc = fail("inference failed", r);
        else if (write_all(o->tout, bd_engine_output(e), n_out * 4) == 0)
            rc = 0;
    }
    bd_still_destroy(still);
    return rc;
}

static int cmd_mask(int argc, char **argv, int cutout)
{
    struct mask_opts o = {0};
    const char *pos[1];
    int npos;
    const char *cmd = cutout ? "cutout" : "mask";
    struct bd_settings *st = still_settings();
    if (!st)
        return 1;
    if (opt_parse_still(cmd, mask_defs, &o, st, argc, argv, 2, pos, 1, &npos) != 0) {
        bd_settings_destroy(st);
        return 2;
    }
    int rc = 1;
    if (o.help) {
        opt_help_still(cutout ? "usage: backdrop cutout IMAGE -o OUT.png [options]\n"
                                "Writes an RGBA PNG whose background is transparent."
                              : "usage: backdrop mask IMAGE -o MASK.png [options]\n"
                                "       backdrop mask --model M --tensor-in IN.f32 --tensor-out OUT.f32",
                       mask_defs);
        rc = 0;
    } else if (!cutout && (o.tin || o.tout)) {
        rc = cmd_tensor(&o, st);
    } else if (npos != 1 || !o.out) {
        fprintf(stderr, "backdrop %s: needs IMAGE and -o OUT.png (see 'backdrop %s --help')\n", cmd, cmd);
        rc = 2;
    } else {
        struct bd_image img;
        int r = bd_image_load(pos[0], 0, &img);
        struct bd_still *still = NULL;
        if (r != BD_OK)
            fail("cannot read image", r);
        else
            still = open_still(cmd, st, 0);
        const int ch = cutout ? 4 : 1;
        uint8_t *out = still ? malloc((size_t)img.width * (size_t)img.height * ch) : NULL;
        if (still && !out)
            fail("out of memory", BD_ERR_NOMEM);
        if (out) {
            r = cutout ? bd_still_cutout(still, &img, out, img.width * 4)
                       : bd_still_mask(still, &img, out, img.width);
            if (r != BD_OK)
                fail("segmentation failed", r);
            else if ((r = bd_image_write_png(o.out, out, img.width * ch, img.width, img.height,
                                             ch)) != BD_OK)
                fail("cannot write output", r);
            else
                rc = 0;
        }
        free(out);
        bd_still_destroy(still);
        bd_image_free(&img);
    }
    bd_settings_destroy(st);
    return rc;
}

/* ---- models -------------------------------------------------------------- */

static const char *kind_name(enum bd_output_kind k)
{
    switch (k) {
    case BD_OUTPUT_PROBABILITY: return "probability";
    case BD_OUTPUT_SOFTMAX2: return "softmax2";
    case BD_OUTPUT_CLASSES: return "classes";
    case BD_OUTPUT_LOGIT: return "logit";
    }
    return "?";
}

static int print_model(const char *name)
{
    struct bd_model *m;
    int r = bd_model_open(name, &m);
    if (r != BD_OK)
        return fail("cannot load model", r);
    struct bd_model_info i;
    bd_model_get_info(m, &i);
    printf("%-12s in %dx%dx%d  out %dx%dx%d  %s, input %s, %d ops, %.1f MB weights\n", i.name, i.in_width,
           i.in_height, i.in_channels, i.out_width, i.out_height, i.out_channels, kind_name(i.output_kind),
           i.input_range == BD_RANGE_0_1 ? "[0,1]" : "[-1,1]", i.num_ops, (double)i.weight_bytes / 1e6);
    printf("             %s\n", i.description);
    printf("             classes:");
    for (int c = 0; c < i.num_classes; c++)
        printf(" %d=%s%s", c, i.class_names[c] ? i.class_names[c] : "?", c == i.default_class ? "*" : "");
    printf("\n");
    bd_model_destroy(m);
    return 0;
}

static int cmd_models(int argc, char **argv)
{
    if (argc > 2 && (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0)) {
        printf("usage: backdrop models [MODEL.tflite ...]\n"
               "Lists the built-in models (or the given files): sizes, output decoding and classes;\n"
               "* marks the class used by default.\n");
        return 0;
    }
    int rc = 0;
    if (argc > 2) {
        for (int a = 2; a < argc; a++)
            rc |= print_model(argv[a]);
        return rc;
    }
    for (int k = 0; k < bd_builtin_model_count(); k++)
        rc |= print_model(bd_builtin_model_name(k));
    return rc;
}

/* ---- bench --------------------------------------------------------------- */

struct bench_opts {
    int iterations;
    int help;
};

static const struct opt_def bench_defs[] = {
    {"iterations", 'n', OPT_INT, "timed runs after 5 warm-ups", "200", 1, 1000000, NULL,
     offsetof(struct bench_opts, iterations), NULL},
    {"help", 'h', OPT_FLAG, "show this help", NULL, 0, 0, NULL, offsetof(struct bench_opts, help), NULL},
    {0},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_bench(int argc, char **argv)
{
    struct bench_opts o = {0};
    const char *pos[1];
    int npos;
    struct bd_settings *st = still_settings();
    if (!st)
        return 1;
    if (opt_parse_still("bench", bench_defs, &o, st, argc, argv, 2, pos, 0, &npos) != 0) {
        bd_settings_destroy(st);
        return 2;
    }
    if (o.help) {
        opt_help_still("usage: backdrop bench --model M [--backend xnnpack|ref] [--threads N] [--iterations N]\n"
                       "Times inference on a fixed pseudo-random input; prints one line.",
                       bench_defs);
        bd_settings_destroy(st);
        return 0;
    }
    double t0 = now_ms();
    struct bd_still *still = open_still("bench", st, 1);
    double t1 = now_ms();
    int threads = atoi(bd_settings_get(st, "threads"));
    bd_settings_destroy(st);
    if (!still)
        return 1;
    struct bd_engine *e = bd_still_engine(still);
    struct bd_model_info info;
    bd_model_get_info(bd_still_model(still), &info);
    float *in = bd_engine_input(e);
    size_t n = (size_t)info.in_width * info.in_height * info.in_channels;
    uint32_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        in[i] = (float)(seed >> 8) / 16777216.f;
    }
    double *t = malloc((size_t)o.iterations * sizeof *t);
    if (!t) {
        bd_still_destroy(still);
        return fail("out of memory", BD_ERR_NOMEM);
    }
    int r = BD_OK;
    for (int i = 0; i < 5 && r == BD_OK; i++)
        r = bd_engine_run(e);
    for (int i = 0; i < o.iterations && r == BD_OK; i++) {
        double a = now_ms();
        r = bd_engine_run(e);
        t[i] = now_ms() - a;
    }
    if (r == BD_OK) {
        qsort(t, (size_t)o.iterations, sizeof *t, cmp_double);
        printf("model=%s backend=%s threads=%d median_ms=%.3f p90_ms=%.3f create_ms=%.3f\n",
               info.name, bd_backend_name(bd_engine_backend(e)), threads, t[o.iterations / 2],
               t[(o.iterations * 9) / 10 < o.iterations ? (o.iterations * 9) / 10 : o.iterations - 1],
               t1 - t0);
    }
    free(t);
    bd_still_destroy(still);
    return r == BD_OK ? 0 : fail("inference failed", r);
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "Other commands:\n"
               "  devices                    list cameras and v4l2loopback devices\n"
               "  mask IMAGE -o MASK.png     8-bit person mask at the image's size\n"
               "  cutout IMAGE -o OUT.png    RGBA PNG with a transparent background\n"
               "  models [FILE...]           list built-in models (or describe files)\n"
               "  bench --model M            time inference\n"
               "  ctl status|get|set|toggle  control the running camera (D-Bus)\n"
               "  version                    print the version\n\n"
               "'backdrop COMMAND --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
    /* No command, or options first: the virtual camera. */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 &&
                     strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--version") != 0))
        return cli_camera(argc, argv, 1);
    const char *c = argv[1];
    if (strcmp(c, "devices") == 0)
        return cli_devices(argc, argv);
    if (strcmp(c, "ctl") == 0)
        return cli_ctl(argc, argv);
    if (strcmp(c, "mask") == 0)
        return cmd_mask(argc, argv, 0);
    if (strcmp(c, "cutout") == 0)
        return cmd_mask(argc, argv, 1);
    if (strcmp(c, "models") == 0)
        return cmd_models(argc, argv);
    if (strcmp(c, "bench") == 0)
        return cmd_bench(argc, argv);
    if (strcmp(c, "version") == 0 || strcmp(c, "--version") == 0) {
        printf("backdrop %s\n", bd_version());
        return 0;
    }
    if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        cli_camera_help();
        printf("\n");
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "backdrop: unknown command '%s' (see 'backdrop --help')\n", c);
    return 2;
}
