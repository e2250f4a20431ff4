/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Hostile model files through the public API (bd_model_open_memory).
 *
 * For each real model (the two selfie models, and DeepLab, BodyPix and Meet
 * full/lite from ../shared/data/models) the file is damaged in five ways,
 * and every kind of damage has an expected outcome, decided from what the
 * damaged bytes are (located with the reader's own flatbuf.h):
 *
 *  (a) truncation at ~200 lengths and at the boundary below: the file is
 *      refused with BD_ERR_FORMAT ("file is empty or truncated" under 8
 *      bytes, else "corrupt TFLite file") whenever a byte the reader reads
 *      is cut. The reader reads up to `used_end` (computed here by walking
 *      what it walks); DeepLab ends in 8 bytes nothing refers to, and cutting
 *      only those must load a graph identical to the original's and give
 *      bit-identical output.
 *  (b) 500 single- and multi-bit flips and (c) 400 extreme 4-byte values
 *      (0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000), half of them in the file's
 *      structure:
 *       - in the identifier "TFL3": refused, "no TFL3 identifier";
 *       - only in float weights: must load, with the original's graph
 *         (only constant values differ), and run; when every changed weight
 *         stays finite and within a factor of 2 (sign, mantissa and lowest
 *         exponent bits) the output is finite;
 *       - only in weights no tensor uses: loads, identical graph and output;
 *       - only in tensor names: must load;
 *       - elsewhere (structure): refused with BD_ERR_FORMAT or
 *         BD_ERR_UNSUPPORTED, a message naming the model and *out == NULL;
 *         or loaded, and then: a graph identical to the original's must give
 *         bit-identical output; a graph that differs must run on the
 *         reference backend (and on BD_BACKEND_AUTO for the first of them):
 *         what the reader accepts, the engine must run.
 *  (d) the declared length of real vectors (operator codes, tensors,
 *      operators, buffers, shapes, names, weights) changed: a length that
 *      runs past the end of the file is refused, "corrupt TFLite file";
 *      other lengths as for structure above;
 *  (e) garbage appended (1 byte to 1 MB): a flatbuffer ignores trailing
 *      bytes, so each must load the original's graph and give bit-identical
 *      output (all five are run).
 * Every mutated file sits in a malloc block of exactly its size, so ASan
 * (make asan) sees any read past the end.
 *
 * Engine runs are counted, not timed, so the counts are the same on every
 * run and in every build (ASan included): per model and kind of damage at
 * most run_caps[] runs of graphs identical to the original's (all of them
 * are compared as graphs, weights included, which decides the output), of
 * graphs with other weights and of other graphs (some on BD_BACKEND_AUTO
 * too); appended garbage is always run.
 *
 *  (f) one operator code patched to SQUARED_DIFFERENCE (99): BD_ERR_UNSUPPORTED
 *      naming the op and the model;
 *  (g) an empty file, a PNG and 1 MB of random bytes: BD_ERR_FORMAT;
 *  (h) every file in fuzz/regressions (inputs that once crashed the fuzz
 *      target or broke a graph invariant): the outcome listed for it below.
 * The checks of the reader one by one, on crafted models: test_tflite_checks.
 *
 * Usage: test_hostile                  run everything (from the repo root)
 *        test_hostile --write-unsupported PATH
 *                                      write the (f) model for the CLI tests
 * BD_TEST_MODELS overrides the directory of the selfie models
 * (default build/npm/selfie_segmentation/package). A model that is missing
 * is skipped, and counted as a failure under CI=true (tests/check.h).
 * Last line: "N passed, M failed, K skipped"; exit status 1 when M > 0.
 */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backdrop.h"
#include "check.h"
#include "model/flatbuf.h"
#include "model/graph.h"
#include "model/model.h"

/* Engine runs per model and kind of damage: for graphs identical to the
 * original's, with other weights, other graphs, and other graphs on
 * BD_BACKEND_AUTO; fewer for the models over 1 MB (DeepLab, BodyPix), whose
 * runs cost ~2.5 s each under ASan. */
static const int run_caps[2][4] = {{3, 4, 8, 2}, {1, 1, 2, 1}};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int ok, const char *fmt, ...)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* xorshift64, fixed seed: every run mutates the same bytes. */
static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(((uint64_t)rnd() << 32 | rnd()) % n) : 0;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        *size = (size_t)st.st_size;
        buf = malloc(*size ? *size : 1);
        if (buf && fread(buf, 1, *size, f) != *size) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* The file's structure, through the reader's own flatbuffer accessors       */

/* What each byte of the file is. */
enum { B_STRUCT, B_WEIGHT, B_NAME, B_UNREAD };

struct layout {
    uint8_t *cls;            /* per byte */
    size_t *structural;      /* positions of the B_STRUCT bytes */
    size_t num_structural;
    size_t vec_len_pos[64];  /* positions of some vectors' u32 length */
    size_t vec_elem[64];     /* their element size */
    const char *vec_what[64];
    int num_vecs;
    size_t used_end;         /* one past the last byte the reader reads */
};

static void add_vec(struct layout *l, const struct fb_vec *v, size_t elem, const char *what)
{
    if (v->pos >= 4 && l->num_vecs < 64) {
        l->vec_len_pos[l->num_vecs] = v->pos - 4;
        l->vec_elem[l->num_vecs] = elem;
        l->vec_what[l->num_vecs++] = what;
    }
}

/* schema.fbs field ids */
enum { MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS = 4, OP_CUSTOM = 5 };

static int open_model_tables(const struct fb_buf *b, struct fb_table *model, struct fb_table *sg)
{
    size_t root = fb_deref(b, 0);
    struct fb_vec sgs;
    if (root == (size_t)-1 || fb_table_at(b, root, model) != 0 ||
        fb_get_vec(b, model, MODEL_SUBGRAPHS, 4, &sgs) != 0 || fb_vec_table(b, &sgs, 0, sg) != 0)
        return -1;
    return 0;
}

static void extend(size_t *end, size_t to)
{
    if (to > *end)
        *end = to;
}

static void table_end(size_t *end, const struct fb_table *t)
{
    extend(end, t->vt + t->vt_size);
    extend(end, t->pos + t->t_size);
}

static void vec_end(size_t *end, const struct fb_vec *v, size_t elem)
{
    extend(end, v->pos + v->len * elem);
}

/* A vector field's extent, when present. */
static void field_vec_end(const struct fb_buf *b, size_t *end, const struct fb_table *t, int id, size_t elem)
{
    struct fb_vec v;
    if (fb_field(b, t, id, 4) && fb_get_vec(b, t, id, elem, &v) == 0)
        vec_end(end, &v, elem);
}

static int find_layout(const uint8_t *data, size_t size, struct layout *l)
{
    memset(l, 0, sizeof *l);
    struct fb_buf b = {data, size};
    struct fb_table model, sg, t;
    struct fb_vec v, bufs, tensors, ops, opcodes, sgs;
    if (open_model_tables(&b, &model, &sg) != 0 || fb_get_vec(&b, &model, MODEL_BUFFERS, 4, &bufs) != 0 ||
        fb_get_vec(&b, &model, MODEL_OPCODES, 4, &opcodes) != 0 ||
        fb_get_vec(&b, &model, MODEL_SUBGRAPHS, 4, &sgs) != 0 ||
        fb_get_vec(&b, &sg, SG_TENSORS, 4, &tensors) != 0 || fb_get_vec(&b, &sg, SG_OPERATORS, 4, &ops) != 0)
        return -1;
    l->cls = calloc(size, 1);
    l->structural = malloc(size * sizeof *l->structural);
    uint8_t *used = calloc(bufs.len ? bufs.len : 1, 1); /* 1: float weights, 2: other constants */
    if (!l->cls || !l->structural || !used) {
        free(used);
        return -1;
    }

    /* What the reader reads, object by object (tflite.c: bd_tflite_load,
     * load_opcodes, load_tensor, load_op). */
    size_t end = 8;
    table_end(&end, &model);
    vec_end(&end, &opcodes, 4);
    vec_end(&end, &sgs, 4);
    vec_end(&end, &bufs, 4);
    table_end(&end, &sg);
    for (int id = 0; id < 4; id++)
        field_vec_end(&b, &end, &sg, id, 4);
    for (uint32_t i = 0; i < opcodes.len; i++)
        if (fb_vec_table(&b, &opcodes, i, &t) == 0) {
            table_end(&end, &t);
            field_vec_end(&b, &end, &t, 1, 1);
        }
    for (uint32_t i = 0; i < tensors.len; i++) {
        if (fb_vec_table(&b, &tensors, i, &t) != 0)
            continue;
        table_end(&end, &t);
        field_vec_end(&b, &end, &t, TENSOR_SHAPE, 4);
        field_vec_end(&b, &end, &t, TENSOR_NAME, 1);
        if (fb_get_vec(&b, &t, TENSOR_NAME, 1, &v) == 0)
            memset(l->cls + v.pos, B_NAME, v.len);
        uint8_t type;
        int32_t bi;
        struct fb_table bt;
        if (fb_get_u8(&b, &t, TENSOR_TYPE, 0, &type) != 0 || fb_get_i32(&b, &t, TENSOR_BUFFER, 0, &bi) != 0 ||
            bi <= 0 || (uint32_t)bi >= bufs.len || fb_vec_table(&b, &bufs, (uint32_t)bi, &bt) != 0)
            continue;
        used[bi] |= type <= 1 ? 1 : 2; /* FLOAT32, FLOAT16 */
        table_end(&end, &bt);
        field_vec_end(&b, &end, &bt, 0, 1);
        uint64_t boff = 0, bsize = 0;
        if (fb_get_vec(&b, &bt, 0, 1, &v) == 0 && v.len == 0 && fb_get_u64(&b, &bt, 1, 0, &boff) == 0 &&
            fb_get_u64(&b, &bt, 2, 0, &bsize) == 0 && boff > 1)
            extend(&end, (size_t)(boff + bsize));
    }
    for (uint32_t i = 0; i < ops.len; i++) {
        if (fb_vec_table(&b, &ops, i, &t) != 0)
            continue;
        table_end(&end, &t);
        field_vec_end(&b, &end, &t, OP_INPUTS, 4);
        field_vec_end(&b, &end, &t, OP_OUTPUTS, 4);
        field_vec_end(&b, &end, &t, OP_CUSTOM, 1);
        struct fb_table o;
        int has;
        if (fb_get_table(&b, &t, OP_OPTIONS, &o, &has) == 0 && has)
            table_end(&end, &o);
    }
    l->used_end = end;

    /* Weights: the data of buffers float tensors use; a buffer no tensor
     * uses is never read. Constants of other types (int32 sizes, paddings)
     * are decoded into the graph's structure: they count as structure. */
    struct fb_vec biggest = {0, 0};
    for (uint32_t i = 0; i < bufs.len; i++) {
        if (fb_vec_table(&b, &bufs, i, &t) != 0 || fb_get_vec(&b, &t, 0, 1, &v) != 0) {
            free(used);
            return -1;
        }
        if (used[i] == 1 || used[i] == 0)
            memset(l->cls + v.pos, used[i] == 1 ? B_WEIGHT : B_UNREAD, v.len);
        if (used[i] == 1 && v.len > biggest.len)
            biggest = v;
    }
    free(used);
    for (size_t p = 0; p < size; p++)
        if (l->cls[p] == B_STRUCT)
            l->structural[l->num_structural++] = p;

    add_vec(l, &opcodes, 4, "operator codes");
    add_vec(l, &tensors, 4, "tensors");
    add_vec(l, &ops, 4, "operators");
    add_vec(l, &bufs, 4, "buffers");
    add_vec(l, &biggest, 1, "largest weights");
    if (fb_get_vec(&b, &sg, SG_INPUTS, 4, &v) == 0)
        add_vec(l, &v, 4, "subgraph inputs");
    if (fb_get_vec(&b, &sg, SG_OUTPUTS, 4, &v) == 0)
        add_vec(l, &v, 4, "subgraph outputs");
    uint32_t picks[] = {0, tensors.len / 2, tensors.len - 1};
    for (int k = 0; k < 3; k++) {
        if (fb_vec_table(&b, &tensors, picks[k], &t) != 0)
            continue;
        if (fb_get_vec(&b, &t, TENSOR_SHAPE, 4, &v) == 0 && v.len)
            add_vec(l, &v, 4, "a tensor shape");
        if (fb_get_vec(&b, &t, TENSOR_NAME, 1, &v) == 0 && v.len)
            add_vec(l, &v, 1, "a tensor name");
    }
    uint32_t opicks[] = {0, ops.len / 2, ops.len ? ops.len - 1 : 0};
    for (int k = 0; k < 3; k++)
        if (fb_vec_table(&b, &ops, opicks[k], &t) == 0 && fb_get_vec(&b, &t, OP_INPUTS, 4, &v) == 0 && v.len)
            add_vec(l, &v, 4, "operator inputs");
    return 0;
}

static void free_layout(struct layout *l)
{
    free(l->cls);
    free(l->structural);
}

/*
 * Patches the operator code used by the first operator whose code table has
 * a builtin code field to SQUARED_DIFFERENCE (99), in place. Returns the
 * operator's index, or -1.
 */
static int patch_unsupported(uint8_t *data, size_t size)
{
    struct fb_buf b = {data, size};
    struct fb_table model, sg, op, oc;
    struct fb_vec ops, opcodes;
    if (open_model_tables(&b, &model, &sg) != 0 || fb_get_vec(&b, &model, MODEL_OPCODES, 4, &opcodes) != 0 ||
        fb_get_vec(&b, &sg, SG_OPERATORS, 4, &ops) != 0)
        return -1;
    for (uint32_t i = 0; i < ops.len; i++) {
        int32_t idx;
        if (fb_vec_table(&b, &ops, i, &op) != 0 || fb_get_i32(&b, &op, OP_OPCODE, 0, &idx) != 0 || idx < 0 ||
            fb_vec_table(&b, &opcodes, (uint32_t)idx, &oc) != 0)
            return -1;
        size_t dep = fb_field(&b, &oc, 0, 1);  /* deprecated_builtin_code: byte */
        size_t code = fb_field(&b, &oc, 3, 4); /* builtin_code: int32 */
        if (dep == (size_t)-1 || code == (size_t)-1 || (!dep && !code))
            continue;
        if (dep)
            data[dep] = 99;
        if (code) {
            int32_t v = 99;
            memcpy(data + code, &v, 4);
        }
        return (int)i;
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Graphs compared, and engines run                                          */

enum { G_SAME, G_WEIGHTS, G_STRUCT };
static const char *const g_names[] = {"identical graph", "other weights", "other graph"};

static int info_equal(const struct bd_model_info *a, const struct bd_model_info *b)
{
    return a->in_width == b->in_width && a->in_height == b->in_height && a->in_channels == b->in_channels &&
           a->out_width == b->out_width && a->out_height == b->out_height &&
           a->out_channels == b->out_channels && a->output_kind == b->output_kind &&
           a->input_range == b->input_range && a->default_class == b->default_class &&
           a->num_classes == b->num_classes && a->num_ops == b->num_ops && a->num_tensors == b->num_tensors &&
           a->weight_bytes == b->weight_bytes;
}

/*
 * How model b's graph differs from a's: G_SAME (everything the engine reads
 * is equal, constants included; tensor names aside), G_WEIGHTS (only
 * constant values differ; *tame: every changed float is finite and within a
 * factor of 2 of the original) or G_STRUCT.
 */
static int compare(const struct bd_model *ma, const struct bd_model *mb, int *tame)
{
    const struct bd_graph *a = ma->graph, *b = mb->graph;
    struct bd_model_info ia, ib;
    bd_model_get_info(ma, &ia);
    bd_model_get_info(mb, &ib);
    *tame = 1;
    if (!info_equal(&ia, &ib) || a->num_tensors != b->num_tensors || a->num_ops != b->num_ops ||
        a->input != b->input || a->num_outputs != b->num_outputs ||
        memcmp(a->outputs, b->outputs, sizeof a->outputs) != 0)
        return G_STRUCT;
    for (int i = 0; i < a->num_ops; i++) {
        const struct bd_op *x = &a->ops[i], *y = &b->ops[i];
        if (x->type != y->type || x->num_inputs != y->num_inputs || x->output != y->output ||
            memcmp(x->inputs, y->inputs, (size_t)x->num_inputs * sizeof *x->inputs) != 0 ||
            memcmp(&x->p, &y->p, sizeof x->p) != 0 || strcmp(x->tflite_name, y->tflite_name) != 0)
            return G_STRUCT;
    }
    int same = 1;
    for (int i = 0; i < a->num_tensors; i++) {
        const struct bd_tensor *x = &a->tensors[i], *y = &b->tensors[i];
        if (x->ndim != y->ndim || memcmp(x->dims, y->dims, sizeof x->dims) != 0 || x->dtype != y->dtype ||
            x->count != y->count || !x->data != !y->data || x->producer != y->producer ||
            x->last_use != y->last_use)
            return G_STRUCT;
        if (!x->data || memcmp(x->data, y->data, x->count * 4) == 0)
            continue;
        same = 0;
        if (x->dtype != BD_DT_F32)
            continue;
        const float *fx = x->data, *fy = y->data;
        for (size_t k = 0; k < x->count; k++)
            if (memcmp(&fx[k], &fy[k], 4) != 0 && !(isfinite(fy[k]) && fabsf(fy[k]) <= 2.0f * fabsf(fx[k])))
                *tame = 0;
    }
    return same ? G_SAME : G_WEIGHTS;
}

/* Runs the model once on a fixed input; *out gets a copy of the output. */
static int run_model(struct bd_model *m, enum bd_backend backend, float **out, size_t *n)
{
    struct bd_engine_options eo = {backend, 1};
    struct bd_engine *e = NULL;
    int r = bd_engine_create(m, &eo, &e);
    if (r != BD_OK)
        return r;
    struct bd_model_info info;
    bd_model_get_info(m, &info);
    float *in = bd_engine_input(e);
    size_t ni = (size_t)info.in_width * (size_t)info.in_height * (size_t)info.in_channels;
    for (size_t i = 0; i < ni; i++)
        in[i] = (float)(i % 255) / 255.0f;
    r = bd_engine_run(e);
    if (r == BD_OK && out) {
        *n = (size_t)info.out_width * (size_t)info.out_height * (size_t)info.out_channels;
        *out = malloc(*n * sizeof **out);
        if (*out)
            memcpy(*out, bd_engine_output(e), *n * sizeof **out);
        else
            r = BD_ERR_NOMEM;
    }
    bd_engine_destroy(e);
    return r;
}

static int all_finite(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Outcomes                                                                  */

enum { CAT_TRUNC, CAT_FLIP, CAT_EXTREME, CAT_VECLEN, CAT_APPEND, NCAT };
static const char *const cat_names[NCAT] = {"truncate", "bit flips", "extreme u32", "vector length", "append"};

/* The expected outcome of one damaged file. */
enum {
    X_ANY,       /* structure: refused (format/unsupported), or loaded and consistent */
    X_REFUSED,   /* BD_ERR_FORMAT, the message containing msg */
    X_LOADS,     /* must load; then as X_ANY */
    X_WEIGHTS,   /* must load the original's graph, weights aside */
    X_SAME,      /* must load the original's graph, weights included */
};

struct tally {
    int trials, refused[8], loaded[3];
    int runs[3], runs_auto, not_run;
};

/* The unmodified model, what its damaged copies are compared with. */
struct original {
    const char *name;
    const int *caps;         /* run_caps[large] */
    struct bd_model *m;
    float *out;              /* output of the reference backend */
    size_t nout;
    struct tally t[NCAT];
};

static const char *status_name(int r)
{
    return bd_status_str((enum bd_status)r);
}

/* Opens data[0..size) (copied into a block of exactly size bytes) and checks
 * the outcome against want (msg: X_REFUSED's message). */
static void try_model(struct original *o, const uint8_t *data, size_t size, int cat, int want, const char *msg,
                      const char *what)
{
    struct tally *t = &o->t[cat];
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        check(0, "out of memory");
        return;
    }
    if (size)
        memcpy(copy, data, size);
    struct bd_model *m = (struct bd_model *)(uintptr_t)1; /* must be reset */
    int r = bd_model_open_memory(copy, size, o->name, &m);
    free(copy); /* "data is only read during the call" */
    t->trials++;
    if (r != BD_OK) {
        const char *e = bd_last_error();
        char who[160];
        snprintf(who, sizeof who, "model '%s'", o->name);
        if (-r >= 0 && -r < 8)
            t->refused[-r]++;
        check(m == NULL, "%s: failed (%d) but *out was not reset to NULL", what, r);
        check(strstr(e, who) != NULL, "%s: status %d (%s) with a message not naming the model: '%s'", what, r,
              status_name(r), e);
        if (want == X_REFUSED)
            check(r == BD_ERR_FORMAT && strstr(e, msg), "%s: status %d (%s), want %s with '%s': '%s'", what, r,
                  status_name(r), status_name(BD_ERR_FORMAT), msg, e);
        else if (want == X_ANY)
            check(r == BD_ERR_FORMAT || r == BD_ERR_UNSUPPORTED, "%s: status %d (%s): '%s'", what, r,
                  status_name(r), e);
        else
            check(0, "%s: must load, got %d (%s): '%s'", what, r, status_name(r), e);
        return;
    }
    check(m != NULL, "%s: BD_OK without a model", what);
    if (!m)
        return;
    int tame;
    int g = compare(o->m, m, &tame);
    t->loaded[g]++;
    if (want == X_REFUSED)
        check(0, "%s: loaded (%s), want %s with '%s'", what, g_names[g], status_name(BD_ERR_FORMAT), msg);
    else if (want == X_SAME)
        check(g == G_SAME, "%s: loaded with %s, want the original's", what, g_names[g]);
    else if (want == X_WEIGHTS)
        check(g != G_STRUCT, "%s: loaded with %s, want the original's graph", what, g_names[g]);
    else
        passed++;

    if (t->runs[g] >= o->caps[g] && cat != CAT_APPEND) {
        t->not_run++;
        bd_model_destroy(m);
        return;
    }
    t->runs[g]++;
    float *out = NULL;
    size_t n = 0;
    r = run_model(m, BD_BACKEND_REF, &out, &n);
    check(r == BD_OK, "%s (%s): the reference engine returned %d (%s): '%s'", what, g_names[g], r, status_name(r),
          bd_last_error());
    if (r == BD_OK && g == G_SAME)
        check(n == o->nout && memcmp(out, o->out, n * sizeof *out) == 0,
              "%s: an identical graph gave other output than the original's", what);
    if (r == BD_OK && g == G_WEIGHTS && tame)
        check(n == o->nout && all_finite(out, n), "%s: weights changed by at most 2x gave non-finite output",
              what);
    free(out);
    if (g == G_STRUCT && t->runs_auto < o->caps[3]) {
        t->runs_auto++;
        r = run_model(m, BD_BACKEND_AUTO, NULL, NULL);
        check(r == BD_OK, "%s (%s): the auto engine returned %d (%s): '%s'", what, g_names[g], r, status_name(r),
              bd_last_error());
    }
    bd_model_destroy(m);
}

/* The expectation for bytes [pos, pos + len) changed. */
static int want_for(const struct layout *l, const uint8_t *orig, const uint8_t *buf, size_t pos, size_t len)
{
    if (pos < 8 && pos + len > 4 && memcmp(orig + 4, buf + 4, 4) != 0)
        return X_REFUSED;
    int seen[4] = {0};
    for (size_t p = pos; p < pos + len; p++)
        if (orig[p] != buf[p])
            seen[l->cls[p]] = 1;
    if (seen[B_STRUCT])
        return X_ANY;
    if (seen[B_NAME])
        return X_LOADS;
    if (seen[B_WEIGHT])
        return X_WEIGHTS;
    return X_SAME; /* unread bytes only, or nothing changed */
}

/* ------------------------------------------------------------------------ */

static void hostile_model(const char *path, const char *name, int shared)
{
    size_t size;
    uint8_t *data = read_file(path, &size);
    if (!data) {
        if (shared)
            SKIP_PROVIDED("%s not found (../shared/data/models provides it): its hostile copies not tried", path);
        else
            SKIP_PROVIDED("%s not found (make models): its hostile copies not tried", path);
        return;
    }
    printf("== %s (%zu bytes)\n", name, size);
    double t0 = now_s();
    struct original o = {.name = name, .caps = run_caps[size > (1u << 20)]};
    int r = bd_model_open_memory(data, size, name, &o.m);
    check(r == BD_OK, "%s: the unmodified model does not load: %s", name, bd_last_error());
    if (r != BD_OK) {
        free(data);
        return;
    }
    r = run_model(o.m, BD_BACKEND_REF, &o.out, &o.nout);
    check(r == BD_OK && all_finite(o.out, o.nout), "%s: the unmodified model does not run: %s", name,
          bd_last_error());
    check(run_model(o.m, BD_BACKEND_AUTO, NULL, NULL) == BD_OK, "%s: the unmodified model does not run on auto",
          name);
    struct layout lay = {0};
    if (r != BD_OK || find_layout(data, size, &lay) != 0 || lay.num_structural == 0) {
        check(0, "%s: cannot walk the flatbuffer", name);
        free_layout(&lay);
        bd_model_destroy(o.m);
        free(o.out);
        free(data);
        return;
    }
    check(lay.used_end <= size && lay.used_end > size / 2, "%s: the reader reads up to byte %zu of %zu", name,
          lay.used_end, size);
    printf("  the reader reads the first %zu bytes of %zu\n", lay.used_end, size);
    uint8_t *buf = malloc(size + (1u << 20));
    char what[200];

    /* (a) truncation: 0..16 bytes, the last 16 bytes, 167 lengths spread
     * over the rest, and both sides of used_end. */
    for (int k = 0; k < 202; k++) {
        size_t len;
        if (k <= 16)
            len = (size_t)k;
        else if (k >= 184 && k < 200)
            len = size - (size_t)(200 - k);
        else if (k == 200)
            len = lay.used_end - 1;
        else if (k == 201)
            len = lay.used_end;
        else
            len = 17 + (size - 34) * (size_t)(k - 17) / 167;
        if (len >= size)
            continue; /* used_end == size: not a truncation */
        snprintf(what, sizeof what, "%s truncated to %zu bytes", name, len);
        if (len < lay.used_end)
            try_model(&o, data, len, CAT_TRUNC, X_REFUSED,
                      len < 8 ? "file is empty or truncated" : "corrupt TFLite file", what);
        else
            try_model(&o, data, len, CAT_TRUNC, X_SAME, NULL, what);
    }

    /* (b) bit flips: 250 single, 250 of 2..16 bits; half of the first bit
     * positions are structural, and bursts stay within 16 bytes. */
    for (int k = 0; k < 500; k++) {
        memcpy(buf, data, size);
        int nbits = k < 250 ? 1 : 2 + (int)rnd_below(15);
        size_t first = 0, lo = size, hi = 0;
        for (int j = 0; j < nbits; j++) {
            size_t pos;
            if (j == 0 && (k & 1))
                pos = lay.structural[rnd_below(lay.num_structural)];
            else if (j > 0 && (k & 2)) /* a burst near the first bit */
                pos = (first + rnd_below(16)) % size;
            else
                pos = rnd_below(size);
            if (j == 0)
                first = pos;
            buf[pos] ^= (uint8_t)(1u << rnd_below(8));
            lo = pos < lo ? pos : lo;
            hi = pos + 1 > hi ? pos + 1 : hi;
        }
        snprintf(what, sizeof what, "%s with %d bit(s) flipped from byte %zu (flip #%d)", name, nbits, first, k);
        try_model(&o, buf, size, CAT_FLIP, want_for(&lay, data, buf, lo, hi - lo), "no TFL3 identifier", what);
    }

    /* (c) extreme values in random 4-byte fields (4-aligned: where
     * flatbuffer scalars and offsets live). */
    static const uint32_t extremes[4] = {0u, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u};
    for (int k = 0; k < 400; k++) {
        memcpy(buf, data, size);
        size_t pos = (k & 1) ? lay.structural[rnd_below(lay.num_structural)] : rnd_below(size);
        pos &= ~(size_t)3;
        if (pos + 4 > size)
            pos = (size - 4) & ~(size_t)3;
        uint32_t v = extremes[k % 4];
        memcpy(buf + pos, &v, 4);
        snprintf(what, sizeof what, "%s with 0x%08x at byte %zu", name, v, pos);
        try_model(&o, buf, size, CAT_EXTREME, want_for(&lay, data, buf, pos, 4), "no TFL3 identifier", what);
    }

    /* (d) declared vector lengths made wrong. */
    for (int k = 0; k < lay.num_vecs; k++) {
        uint32_t len;
        size_t at = lay.vec_len_pos[k];
        memcpy(&len, data + at, 4);
        const uint32_t values[] = {len + 1, len * 2 + 1, len ? len - 1 : 1, 0, 0x3FFFFFFFu, 0x7FFFFFFFu,
                                   0xFFFFFFFFu, (uint32_t)size};
        for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
            memcpy(buf, data, size);
            memcpy(buf + at, &values[j], 4);
            snprintf(what, sizeof what, "%s with the length of %s (%u) set to %u", name, lay.vec_what[k], len,
                     values[j]);
            int past_end = (uint64_t)values[j] * lay.vec_elem[k] > size - (at + 4);
            try_model(&o, buf, size, CAT_VECLEN, past_end ? X_REFUSED : X_ANY, "corrupt TFLite file", what);
        }
    }

    /* (e) garbage appended: a flatbuffer ignores trailing bytes. */
    static const size_t extra[] = {1, 3, 64, 4096, 1u << 20};
    for (size_t j = 0; j < sizeof extra / sizeof extra[0]; j++) {
        memcpy(buf, data, size);
        for (size_t i = 0; i < extra[j]; i++)
            buf[size + i] = (uint8_t)rnd();
        snprintf(what, sizeof what, "%s with %zu random bytes appended", name, extra[j]);
        try_model(&o, buf, size + extra[j], CAT_APPEND, X_SAME, NULL, what);
    }
    check(o.t[CAT_APPEND].runs[G_SAME] == 5, "%s: %d of the 5 appended-garbage models ran", name,
          o.t[CAT_APPEND].runs[G_SAME]);

    for (int c = 0; c < NCAT; c++) {
        struct tally *t = &o.t[c];
        printf("  %-14s %4d trials: loaded %d identical, %d other weights, %d other graph (runs %d/%d/%d, "
               "auto %d, %d not run); refused:",
               cat_names[c], t->trials, t->loaded[0], t->loaded[1], t->loaded[2], t->runs[0], t->runs[1],
               t->runs[2], t->runs_auto, t->not_run);
        const char *sep = " ";
        for (int s = 1; s < 8; s++)
            if (t->refused[s]) {
                printf("%s%s %d", sep, status_name(-s), t->refused[s]);
                sep = ", ";
            }
        printf("%s\n", *sep == ' ' ? " none" : "");
    }
    printf("  %.1f s\n", now_s() - t0);
    free(buf);
    free_layout(&lay);
    bd_model_destroy(o.m);
    free(o.out);
    free(data);
}

/* (f) */
static uint8_t *unsupported_model(const char *path, size_t *size, int *op)
{
    uint8_t *data = read_file(path, size);
    if (!data)
        return NULL;
    *op = patch_unsupported(data, *size);
    if (*op < 0) {
        free(data);
        return NULL;
    }
    return data;
}

static void test_unsupported(const char *path, const char *name)
{
    size_t size;
    int op;
    struct stat st;
    if (stat(path, &st) != 0) {
        SKIP_PROVIDED("%s not found (make models): the unsupported-op model not tried", path);
        return;
    }
    uint8_t *data = unsupported_model(path, &size, &op);
    check(data != NULL, "%s: could not find an operator code to patch", name);
    if (!data)
        return;
    struct bd_model *m = NULL;
    int r = bd_model_open_memory(data, size, name, &m);
    const char *msg = bd_last_error();
    printf("== unsupported op: operator #%d of %s patched to SQUARED_DIFFERENCE: %s\n", op, name, msg);
    check(r == BD_ERR_UNSUPPORTED, "unsupported op: status %d (%s), want BD_ERR_UNSUPPORTED", r, status_name(r));
    check(m == NULL, "unsupported op: *out not NULL");
    check(strstr(msg, "SQUARED_DIFFERENCE") != NULL, "unsupported op: message does not name the op: '%s'", msg);
    check(strstr(msg, name) != NULL, "unsupported op: message does not name the model: '%s'", msg);
    bd_model_destroy(m);
    free(data);
}

/* (g) */
static void test_not_models(void)
{
    static const uint8_t png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
        0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
        0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
        0x44, 0xae, 0x42, 0x60, 0x82,
    };
    size_t n = 1u << 20;
    uint8_t *noise = malloc(n);
    for (size_t i = 0; i < n; i++)
        noise[i] = (uint8_t)rnd();
    memcpy(noise + 4, "XXXX", 4); /* certainly not the TFL3 identifier */
    struct {
        const char *what;
        const void *data;
        size_t size;
        const char *msg;
    } cases[] = {
        {"empty.tflite", "", 0, "file is empty or truncated (0 bytes)"},
        {"null.tflite", NULL, 0, "file is empty or truncated (0 bytes)"},
        {"image.png", png, sizeof png, "not a TFLite model (no TFL3 identifier)"},
        {"random.bin", noise, n, "not a TFLite model (no TFL3 identifier)"},
        {"tfl3-header-only.tflite", "\x08\0\0\0TFL3", 8, "corrupt TFLite file (root table)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bd_model *m = (struct bd_model *)(uintptr_t)1;
        uint8_t *copy = malloc(cases[i].size ? cases[i].size : 1);
        if (cases[i].size)
            memcpy(copy, cases[i].data, cases[i].size);
        int r = bd_model_open_memory(cases[i].data ? copy : NULL, cases[i].size, cases[i].what, &m);
        free(copy);
        printf("== %s: %s: %s\n", cases[i].what, status_name(r), bd_last_error());
        check(r == BD_ERR_FORMAT, "%s: status %d (%s), want BD_ERR_FORMAT", cases[i].what, r, status_name(r));
        check(m == NULL, "%s: *out not NULL", cases[i].what);
        check(strstr(bd_last_error(), cases[i].what) && strstr(bd_last_error(), cases[i].msg),
              "%s: message does not name the file and say '%s': '%s'", cases[i].what, cases[i].msg,
              bd_last_error());
    }
    free(noise);

    /* The same through bd_model_open's path handling. */
    struct bd_model *m = NULL;
    int r = bd_model_open("/nonexistent/dir/model.tflite", &m);
    check(r == BD_ERR_NOT_FOUND && m == NULL && strstr(bd_last_error(), "/nonexistent/dir/model.tflite"),
          "missing file: status %d '%s'", r, bd_last_error());
    r = bd_model_open("/tmp", &m);
    check(r == BD_ERR_IO && m == NULL && strstr(bd_last_error(), "/tmp") && strstr(bd_last_error(), "not a regular file"),
          "directory: status %d '%s'", r, bd_last_error());
    r = bd_model_open_memory("", 0, "x", NULL);
    check(r == BD_ERR_INVALID_ARG, "NULL out: status %d", r);
}

/* (h) what each fuzzer regression must give (fuzz/regressions/README.md) */
static const struct {
    const char *file;
    int status;
    const char *msg;
} regressions[] = {
    {"unused_fp16_activation.crash", BD_OK, NULL},
    {"tconv_trunc.crash", BD_ERR_FORMAT, "output size is inconsistent with input, kernel and stride"},
    {"mean_rank0.crash", BD_ERR_UNSUPPORTED, "output is a 0-D scalar"},
    {"concat_overflow.crash", BD_ERR_FORMAT, "concatenated size is too large"},
    {"add_rank0.crash", BD_ERR_UNSUPPORTED, "output is a 0-D scalar"},
    {"dequant_over_op_output.crash", BD_ERR_FORMAT, "is written twice"},
    {"fc_rank0.crash", BD_ERR_UNSUPPORTED, "output is a 0-D scalar"},
    {"dequant_into_input.crash", BD_ERR_FORMAT, "the input tensor is written by an operator"},
    {"activations_8gib.crash", BD_ERR_UNSUPPORTED, "its activations need"},
    {"pad_rank3.crash", BD_ERR_UNSUPPORTED, "only 4-D NHWC tensors with batch 1 are supported"},
};

static void test_regressions(const char *dir)
{
    DIR *d = opendir(dir);
    check(d != NULL, "cannot open %s (run from the repository root)", dir);
    if (!d)
        return;
    const size_t nreg = sizeof regressions / sizeof regressions[0];
    int found[sizeof regressions / sizeof regressions[0]] = {0};
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 6, ".crash") != 0)
            continue;
        size_t k = 0;
        while (k < nreg && strcmp(regressions[k].file, de->d_name) != 0)
            k++;
        check(k < nreg, "%s/%s: no expected outcome for it in test_hostile.c (add one)", dir, de->d_name);
        if (k == nreg)
            continue;
        found[k] = 1;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t size;
        uint8_t *data = read_file(path, &size);
        check(data != NULL, "cannot read %s", path);
        if (!data)
            continue;
        struct bd_model *m = (struct bd_model *)(uintptr_t)1;
        int r = bd_model_open_memory(data, size, de->d_name, &m);
        free(data);
        printf("== regression %s: %s%s%s\n", de->d_name, status_name(r), r ? ": " : "", r ? bd_last_error() : "");
        if (r == BD_OK) {
            check(regressions[k].status == BD_OK, "%s: loaded, want %s '%s'", path,
                  status_name(regressions[k].status), regressions[k].msg);
            int rr = run_model(m, BD_BACKEND_REF, NULL, NULL);
            check(rr == BD_OK, "%s: the reference engine returned %d: %s", path, rr, bd_last_error());
            rr = run_model(m, BD_BACKEND_AUTO, NULL, NULL);
            check(rr == BD_OK, "%s: the auto engine returned %d: %s", path, rr, bd_last_error());
            bd_model_destroy(m);
        } else {
            check(r == regressions[k].status && m == NULL && regressions[k].msg &&
                      strstr(bd_last_error(), regressions[k].msg) && strstr(bd_last_error(), de->d_name),
                  "%s: status %d (%s) '%s', want %s '%s'", path, r, status_name(r), bd_last_error(),
                  status_name(regressions[k].status), regressions[k].msg ? regressions[k].msg : "");
        }
    }
    closedir(d);
    for (size_t k = 0; k < nreg; k++)
        check(found[k], "%s/%s is listed in test_hostile.c but missing", dir, regressions[k].file);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("BD_TEST_MODELS");
    if (!dir || !*dir)
        dir = "build/npm/selfie_segmentation/package";
    char general[512], landscape[512];
    snprintf(general, sizeof general, "%s/selfie_segmentation.tflite", dir);
    snprintf(landscape, sizeof landscape, "%s/selfie_segmentation_landscape.tflite", dir);

    if (argc == 3 && strcmp(argv[1], "--write-unsupported") == 0) {
        size_t size;
        int op;
        uint8_t *data = unsupported_model(general, &size, &op);
        if (!data) {
            fprintf(stderr, "test_hostile: cannot read or patch %s\n", general);
            return 1;
        }
        FILE *f = fopen(argv[2], "wb");
        int ok = f && fwrite(data, 1, size, f) == size;
        if (f && fclose(f) != 0)
            ok = 0;
        free(data);
        if (!ok) {
            fprintf(stderr, "test_hostile: cannot write %s\n", argv[2]);
            return 1;
        }
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: test_hostile [--write-unsupported PATH]\n");
        return 2;
    }

    hostile_model(general, "selfie_segmentation.tflite", 0);
    hostile_model(landscape, "selfie_segmentation_landscape.tflite", 0);
    static const char *const shared[] = {"deeplabv3_257_mv_gpu.tflite", "body-pix-float-050-8.tflite",
                                         "segm_full_v679.tflite", "segm_lite_v681.tflite"};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "../shared/data/models/%s", shared[i]);
        hostile_model(path, shared[i], 1);
    }
    test_unsupported(general, "selfie_segmentation.tflite");
    test_not_models();
    test_regressions("fuzz/regressions");
    return check_report();
}
