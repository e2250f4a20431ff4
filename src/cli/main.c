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

static const char *const onoff_choices[] = {"on", "off", NULL};
static const char *const backend_choices[] = {"auto", "xnnpack", "ref", NULL};

struct common_opts {
    const char *model;
    const char *cls;
    int backend;
    int threads;
};

#define COMMON_OPTS(T)                                                                                    \
    {"model", 'm', OPT_STRING, "built-in model name or .tflite path", "general", 0, 0, NULL,              \
     offsetof(T, c.model), NULL}, \
        {"class", 0, OPT_STRING, "class to segment, by name or index (multi-class models)", NULL, 0, 0,  \
         NULL, offsetof(T, c.cls), NULL}, \
        {"backend", 0, OPT_CHOICE, "inference backend", "auto", 0, 0, backend_choices,                    \
         offsetof(T, c.backend), NULL}, \
        {"threads", 0, OPT_INT, "inference threads (0 = default, 1)", "0", 0, 64, NULL,                   \
         offsetof(T, c.threads), NULL}

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

struct session {
    struct bd_model *model;
    struct bd_engine *engine;
    struct bd_model_info info;
    int cls;
    struct bd_model *zmodel;   /* the second look's, for a wide model (zoom_session) */
    struct bd_engine *zengine;
};

/* An engine for model m with the command's backend and threads. */
static int make_engine(const struct common_opts *c, const struct bd_model *m,
                       struct bd_engine **e, const char *what)
{
    struct bd_engine_options eo = {(enum bd_backend)c->backend, c->threads};
    int r = bd_engine_create(m, &eo, e);
    return r == BD_OK ? 0 : fail(what, r);
}

static int open_session(const struct common_opts *c, struct session *s)
{
    memset(s, 0, sizeof *s);
    int r = bd_model_open(c->model, &s->model);
    if (r != BD_OK)
        return fail("cannot load model", r);
    bd_model_get_info(s->model, &s->info);
    s->cls = -1;
    if (c->cls) {
        s->cls = bd_model_find_class(s->model, c->cls);
        if (s->cls < 0)
            return fail("--class", BD_ERR_NOT_FOUND);
    }
    return make_engine(c, s->model, &s->engine, "cannot create the inference engine");
}

static void close_session(struct session *s)
{
    bd_engine_destroy(s->zengine);
    bd_model_destroy(s->zmodel);
    bd_engine_destroy(s->engine);
    bd_model_destroy(s->model);
}

/* A model wider than 4:3 (landscape) squashes a person's box: as the
 * camera does, the general model takes the zoom pass's second look. */
static int zoom_session(const struct common_opts *c, struct session *s)
{
    const char *partner = bd_model_zoom_partner(s->model);
    if (!partner)
        return 0;
    int r = bd_model_open(partner, &s->zmodel);
    if (r != BD_OK)
        return fail("cannot load the zoom pass's model (or use --zoom off)", r);
    return make_engine(c, s->zmodel, &s->zengine, "cannot create the zoom pass's inference engine");
}

/* Segments img into an 8-bit mask of its size (caller frees): refined
 * unless raw. */
static uint8_t *segment(struct session *s, const struct bd_image *img, int raw, int no_mirror,
                        int no_zoom)
{
    uint8_t *mask = malloc((size_t)img->width * (size_t)img->height);
    if (!mask) {
        fprintf(stderr, "backdrop: out of memory\n");
        return NULL;
    }
    struct bd_mask_options mo = {.use_class = s->cls >= 0,
                                 .class_index = s->cls,
                                 .raw = raw,
                                 .no_mirror_average = no_mirror,
                                 .no_zoom = no_zoom,
                                 .zoom_engine = s->zengine};
    int r = bd_segment_image(s->engine, img->data, img->stride, img->width, img->height, &mo, mask,
                             img->width);
    if (r != BD_OK) {
        free(mask);
        fail("segmentation failed", r);
        return NULL;
    }
    return mask;
}

/* ---- mask ---------------------------------------------------------------- */

struct mask_opts {
    struct common_opts c;
    const char *out;
    int raw;
    int mirror_average, zoom; /* 0 on, 1 off */
    const char *tin, *tout;
    int help;
};

static const struct opt_def mask_defs[] = {
    {"output", 'o', OPT_STRING, "output PNG (8-bit mask at the image's size)", NULL, 0, 0, NULL,
     offsetof(struct mask_opts, out), NULL},
    {"raw", 0, OPT_FLAG, "model output upsampled bilinearly, no refinement", NULL, 0, 0, NULL,
     offsetof(struct mask_opts, raw), NULL},
    {"mirror-average", 0, OPT_CHOICE,
     "also run the model on the mirror image and average the two (better edges; one more model "
     "run)", "on", 0, 0, onoff_choices, offsetof(struct mask_opts, mirror_average), NULL},
    {"zoom", 0, OPT_CHOICE,
     "where the person fills less of the image, look again at them alone (fewer objects taken "
     "for the person; one more model run)", "on", 0, 0, onoff_choices,
     offsetof(struct mask_opts, zoom), NULL},
    {"tensor-in", 0, OPT_STRING, "raw float32 NHWC input tensor at the model's size", NULL, 0, 0, NULL,
     offsetof(struct mask_opts, tin), NULL},
    {"tensor-out", 0, OPT_STRING, "write the raw float32 output tensor here", NULL, 0, 0, NULL,
     offsetof(struct mask_opts, tout), NULL},
    COMMON_OPTS(struct mask_opts),
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

static int cmd_tensor(struct mask_opts *o)
{
    if (!o->tin || !o->tout) {
        fprintf(stderr, "backdrop mask: --tensor-in and --tensor-out go together\n");
        return 2;
    }
    struct session s;
    if (open_session(&o->c, &s) != 0) {
        close_session(&s);
        return 1;
    }
    size_t n_in = (size_t)s.info.in_width * s.info.in_height * s.info.in_channels;
    size_t n_out = (size_t)s.info.out_width * s.info.out_height * s.info.out_channels;
    int rc = 1;
    if (read_exact(o->tin, bd_engine_input(s.engine), n_in * 4) == 0) {
        int r = bd_engine_run(s.engine);
        if (r != BD_OK)
            rc = fail("inference failed", r);
        else if (write_all(o->tout, bd_engine_output(s.engine), n_out * 4) == 0)
            rc = 0;
    }
    close_session(&s);
    return rc;
}

static int cmd_mask(int argc, char **argv, int cutout)
{
    struct mask_opts o = {0};
    const char *pos[1];
    int npos;
    const char *cmd = cutout ? "cutout" : "mask";
    if (opt_parse(cmd, mask_defs, &o, argc, argv, 2, pos, 1, &npos) != 0)
        return 2;
    if (o.help) {
        opt_help(cutout ? "usage: backdrop cutout IMAGE -o OUT.png [options]\n"
                          "Writes an RGBA PNG whose background is transparent."
                        : "usage: backdrop mask IMAGE -o MASK.png [options]\n"
                          "       backdrop mask --model M --tensor-in IN.f32 --tensor-out OUT.f32",
                 mask_defs);
        return 0;
    }
    if (!cutout && (o.tin || o.tout))
        return cmd_tensor(&o);
    if (npos != 1 || !o.out) {
        fprintf(stderr, "backdrop %s: needs IMAGE and -o OUT.png (see 'backdrop %s --help')\n", cmd, cmd);
        return 2;
    }
    struct bd_image img;
    int r = bd_image_load(pos[0], 0, &img);
    if (r != BD_OK)
        return fail("cannot read image", r);
    struct session s;
    int rc = 1;
    if (open_session(&o.c, &s) == 0 && (o.raw || o.zoom == 1 || zoom_session(&o.c, &s) == 0)) {
        uint8_t *mask = segment(&s, &img, o.raw, o.mirror_average == 1, o.zoom == 1);
        if (mask) {
            if (cutout) {
                size_t n = (size_t)img.width * (size_t)img.height;
                uint8_t *rgba = malloc(n * 4);
                if (rgba) {
                    for (int y = 0; y < img.height; y++)
                        for (int x = 0; x < img.width; x++) {
                            size_t i = (size_t)y * (size_t)img.width + (size_t)x;
                            const uint8_t *p = img.data + (size_t)y * (size_t)img.stride + 3 * (size_t)x;
                            rgba[4 * i] = p[0];
                            rgba[4 * i + 1] = p[1];
                            rgba[4 * i + 2] = p[2];
                            rgba[4 * i + 3] = mask[i];
                        }
                    r = bd_image_write_png(o.out, rgba, img.width * 4, img.width, img.height, 4);
                    rc = r == BD_OK ? 0 : fail("cannot write output", r);
                    free(rgba);
                } else {
                    fprintf(stderr, "backdrop: out of memory\n");
                }
            } else {
                r = bd_image_write_png(o.out, mask, img.width, img.width, img.height, 1);
                rc = r == BD_OK ? 0 : fail("cannot write output", r);
            }
            free(mask);
        }
    }
    close_session(&s);
    bd_image_free(&img);
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
    struct common_opts c;
    int iterations;
    int help;
};

static const struct opt_def bench_defs[] = {
    {"iterations", 'n', OPT_INT, "timed runs after 5 warm-ups", "200", 1, 1000000, NULL,
     offsetof(struct bench_opts, iterations), NULL},
    COMMON_OPTS(struct bench_opts),
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
    if (opt_parse("bench", bench_defs, &o, argc, argv, 2, pos, 0, &npos) != 0)
        return 2;
    if (o.help) {
        opt_help("usage: backdrop bench --model M [--backend xnnpack|ref] [--threads N] [--iterations N]\n"
                 "Times inference on a fixed pseudo-random input; prints one line.",
                 bench_defs);
        return 0;
    }
    double t0 = now_ms();
    struct bd_model *m;
    int r = bd_model_open(o.c.model, &m);
    if (r != BD_OK)
        return fail("cannot load model", r);
    double t1 = now_ms();
    struct bd_engine *e;
    struct bd_engine_options eo = {(enum bd_backend)o.c.backend, o.c.threads};
    r = bd_engine_create(m, &eo, &e);
    if (r != BD_OK) {
        bd_model_destroy(m);
        return fail("cannot create the inference engine", r);
    }
    double t2 = now_ms();
    struct bd_model_info info;
    bd_model_get_info(m, &info);
    float *in = bd_engine_input(e);
    size_t n = (size_t)info.in_width * info.in_height * info.in_channels;
    uint32_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        in[i] = (float)(seed >> 8) / 16777216.f;
    }
    double *t = malloc((size_t)o.iterations * sizeof *t);
    if (!t) {
        bd_engine_destroy(e);
        bd_model_destroy(m);
        return fail("out of memory", BD_ERR_NOMEM);
    }
    for (int i = 0; i < 5 && r == BD_OK; i++)
        r = bd_engine_run(e);
    for (int i = 0; i < o.iterations && r == BD_OK; i++) {
        double a = now_ms();
        r = bd_engine_run(e);
        t[i] = now_ms() - a;
    }
    if (r == BD_OK) {
        qsort(t, (size_t)o.iterations, sizeof *t, cmp_double);
        int threads = o.c.threads ? o.c.threads : 1;
        printf("model=%s backend=%s threads=%d median_ms=%.3f p90_ms=%.3f load_ms=%.3f build_ms=%.3f\n",
               info.name, bd_backend_name(bd_engine_backend(e)), threads, t[o.iterations / 2],
               t[(o.iterations * 9) / 10 < o.iterations ? (o.iterations * 9) / 10 : o.iterations - 1],
               t1 - t0, t2 - t1);
    }
    free(t);
    bd_engine_destroy(e);
    bd_model_destroy(m);
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
