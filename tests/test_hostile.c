/*
 * Hostile model files through the public API (bd_model_open_memory).
 *
 * For each real model (the two selfie models always; DeepLab, BodyPix and
 * Meet full/lite from ../shared/data/models when present):
 *  (a) truncation at ~200 lengths (0..16 bytes, spread over the file, the
 *      last 16 bytes);
 *  (b) 500 single- and multi-bit flips at random positions (fixed seed);
 *  (c) random 4-byte fields overwritten with 0, 0xFFFFFFFF, 0x7FFFFFFF,
 *      0x80000000;
 *  (d) garbage appended, and the declared length of real vectors (operator
 *      codes, tensors, operators, buffers, shapes, names, weights) made
 *      larger or smaller;
 * Each mutated file must either fail with a known negative status, a
 * non-empty bd_last_error() naming the model and *out == NULL, or load; a
 * model that loads must then give a ref engine that runs once (a flip in
 * the weights is still a valid model), and when the change was structural
 * an engine with BD_BACKEND_AUTO (XNNPACK) must run too; engine errors are
 * allowed, crashes are not (see run_budget for how many are run). Half of
 * the positions in (b) and (c) are drawn from the file's structure
 * (everything but the weight bytes and tensor names, located with the
 * reader's own flatbuf.h) so that they are not all spent on weights. Every
 * mutated file sits in a malloc block of exactly its size so ASan
 * (make asan) sees any read past the end.
 *  (e) one operator code patched to SQUARED_DIFFERENCE (99) through the
 *      flatbuffer: BD_ERR_UNSUPPORTED naming the op and the model;
 *  (f) an empty file, a PNG and 1 MB of random bytes: BD_ERR_FORMAT.
 *  (g) every file in fuzz/regressions (inputs that once crashed the fuzz
 *      target or broke a graph invariant) through the public API: refused,
 *      or loaded and run on both backends.
 *
 * Usage: test_hostile                  run everything (from the repo root)
 *        test_hostile --write-unsupported PATH
 *                                      write the (e) model for the CLI tests
 * BD_TEST_MODELS overrides the directory of the selfie models
 * (default build/npm/selfie_segmentation/package).
 * Last line: "N passed, M failed"; exit status 1 when M > 0.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backdrop.h"
#include "model/flatbuf.h"

static int passed, failed;

/*
 * An engine run after a mutated model loads costs up to ~0.1 s for DeepLab
 * (XNNPACK packs its weights) and ~4 s under ASan, so the runs get a time
 * budget per model (BD_HOSTILE_RUN_BUDGET seconds; default 5, or 10 under
 * ASan; 0 = unlimited), shared by the 5 kinds of mutation. The counts of
 * models that loaded but were not run are printed.
 */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static double run_budget;   /* seconds per model, 0 = unlimited */
static double run_spent;    /* in the current model and category */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int may_run(void)
{
    return run_budget <= 0 || run_spent < run_budget / 5; /* 5 kinds of mutation */
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
/* Outcomes                                                                  */

enum { CAT_TRUNC, CAT_FLIP, CAT_EXTREME, CAT_VECLEN, CAT_APPEND, CAT_REGRESSION, NCAT };
static const char *const cat_names[NCAT] = {"truncate", "bit flips", "extreme u32", "vector length",
                                            "append", "regressions"};

struct tally {
    int trials;
    int loaded;          /* BD_OK */
    int errors[8];       /* by -status */
    int runs_ok;         /* engine runs (ref, and auto for structural changes) */
    int runs_failed;     /* loaded, engine create or run returned an error */
    int runs_skipped;    /* loaded, not run (see MAX_WEIGHT_RUNS, run_budget) */
};

static struct tally tallies[NCAT];

static int known_error(int r)
{
    return r <= BD_ERR_INVALID_ARG && r >= BD_ERR_NOT_FOUND;
}

/* Creates an engine and runs it once; the output must be readable. */
static void run_once(struct bd_model *m, const char *what, struct tally *t, enum bd_backend backend)
{
    double t0 = now_s();
    struct bd_engine_options eo = {backend, 1};
    struct bd_engine *e = NULL;
    int r = bd_engine_create(m, &eo, &e);
    if (r != BD_OK) {
        check(known_error(r) && bd_last_error()[0] && e == NULL,
              "%s: bd_engine_create returned %d with message '%s'", what, r, bd_last_error());
        t->runs_failed++;
        run_spent += now_s() - t0;
        return;
    }
    struct bd_model_info info;
    bd_model_get_info(m, &info);
    float *in = bd_engine_input(e);
    size_t n = (size_t)info.in_width * (size_t)info.in_height * (size_t)info.in_channels;
    for (size_t i = 0; i < n; i++)
        in[i] = (float)(i % 255) / 255.0f;
    r = bd_engine_run(e);
    if (r == BD_OK) {
        const float *o = bd_engine_output(e);
        size_t no = (size_t)info.out_width * (size_t)info.out_height * (size_t)info.out_channels;
        volatile float sum = 0.0f;
        for (size_t i = 0; i < no; i++)
            sum += o[i];
        (void)sum;
        t->runs_ok++;
        passed++;
        /* The 8-bit path too: scaling, normalisation and decoding. */
        if (info.in_channels == 3) {
            static uint8_t rgb[13 * 17 * 3];
            for (size_t i = 0; i < sizeof rgb; i++)
                rgb[i] = (uint8_t)(i * 7);
            float *prob = malloc((size_t)info.out_width * (size_t)info.out_height * sizeof *prob);
            r = prob ? bd_engine_segment_rgb(e, rgb, 17 * 3, 17, 13, NULL, prob) : BD_ERR_NOMEM;
            check(r == BD_OK, "%s: bd_engine_segment_rgb returned %d: %s", what, r, bd_last_error());
            free(prob);
        }
    } else {
        check(known_error(r) && bd_last_error()[0], "%s: bd_engine_run returned %d with message '%s'", what, r,
              bd_last_error());
        t->runs_failed++;
    }
    bd_engine_destroy(e);
    run_spent += now_s() - t0;
}

/*
 * Opens data[0..size) (copied into a block of exactly size bytes) and checks
 * the outcome. run: whether a model that loads is also run (structural
 * mutations are, within the time budget; weight-only ones see
 * MAX_WEIGHT_RUNS); 2 = also with BD_BACKEND_AUTO (XNNPACK when the build
 * has it), for structural mutations.
 */
static int try_model(const uint8_t *data, size_t size, const char *name, int cat, int run, const char *what)
{
    struct tally *t = &tallies[cat];
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        check(0, "out of memory");
        return -1;
    }
    if (size)
        memcpy(copy, data, size);
    struct bd_model *m = (struct bd_model *)(uintptr_t)1; /* must be reset */
    int r = bd_model_open_memory(copy, size, name, &m);
    free(copy); /* "data is only read during the call" */
    t->trials++;
    if (r == BD_OK) {
        t->loaded++;
        check(m != NULL, "%s: BD_OK without a model", what);
        if (m && run && may_run()) {
            run_once(m, what, t, BD_BACKEND_REF);
            if (run == 2 && may_run())
                run_once(m, what, t, BD_BACKEND_AUTO);
        } else {
            t->runs_skipped++;
        }
        bd_model_destroy(m);
        return r;
    }
    const char *msg = bd_last_error();
    check(known_error(r), "%s: unknown status %d", what, r);
    check(m == NULL, "%s: failed (%d) but *out was not reset to NULL", what, r);
    check(msg[0] != '\0', "%s: status %d (%s) with an empty bd_last_error()", what, r, bd_status_str(r));
    check(strstr(msg, name) != NULL, "%s: message does not name the model: '%s'", what, msg);
    if (known_error(r))
        t->errors[-r]++;
    return r;
}

/* ------------------------------------------------------------------------ */
/* The file's structure, through the reader's own flatbuffer accessors       */

struct layout {
    uint8_t *is_weight;      /* per byte: weights or a tensor name (not structure) */
    size_t *structural;      /* positions of the other bytes */
    size_t num_structural;
    size_t vec_len_pos[64];  /* positions of some vectors' u32 length */
    const char *vec_what[64];
    int num_vecs;
};

static void add_vec(struct layout *l, const struct fb_vec *v, const char *what)
{
    if (v->pos >= 4 && l->num_vecs < 64) {
        l->vec_len_pos[l->num_vecs] = v->pos - 4;
        l->vec_what[l->num_vecs++] = what;
    }
}

/* schema.fbs field ids */
enum { MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { TENSOR_SHAPE = 0, TENSOR_NAME = 3 };
enum { OP_OPCODE = 0, OP_INPUTS = 1 };

static int open_model_tables(const struct fb_buf *b, struct fb_table *model, struct fb_table *sg)
{
    size_t root = fb_deref(b, 0);
    struct fb_vec sgs;
    if (root == (size_t)-1 || fb_table_at(b, root, model) != 0 ||
        fb_get_vec(b, model, MODEL_SUBGRAPHS, 4, &sgs) != 0 || fb_vec_table(b, &sgs, 0, sg) != 0)
        return -1;
    return 0;
}

static int find_layout(const uint8_t *data, size_t size, struct layout *l)
{
    memset(l, 0, sizeof *l);
    struct fb_buf b = {data, size};
    struct fb_table model, sg, t;
    struct fb_vec v, bufs, tensors, ops, opcodes;
    if (open_model_tables(&b, &model, &sg) != 0 || fb_get_vec(&b, &model, MODEL_BUFFERS, 4, &bufs) != 0 ||
        fb_get_vec(&b, &model, MODEL_OPCODES, 4, &opcodes) != 0 ||
        fb_get_vec(&b, &sg, SG_TENSORS, 4, &tensors) != 0 || fb_get_vec(&b, &sg, SG_OPERATORS, 4, &ops) != 0)
        return -1;
    l->is_weight = calloc(size, 1);
    l->structural = malloc(size * sizeof *l->structural);
    if (!l->is_weight || !l->structural)
        return -1;
    struct fb_vec biggest = {0, 0};
    for (uint32_t i = 0; i < bufs.len; i++) {
        if (fb_vec_table(&b, &bufs, i, &t) != 0 || fb_get_vec(&b, &t, 0, 1, &v) != 0)
            return -1;
        memset(l->is_weight + v.pos, 1, v.len);
        if (v.len > biggest.len)
            biggest = v;
    }
    for (uint32_t i = 0; i < tensors.len; i++)
        if (fb_vec_table(&b, &tensors, i, &t) == 0 && fb_get_vec(&b, &t, TENSOR_NAME, 1, &v) == 0)
            memset(l->is_weight + v.pos, 1, v.len);
    for (size_t p = 0; p < size; p++)
        if (!l->is_weight[p])
            l->structural[l->num_structural++] = p;

    add_vec(l, &opcodes, "operator codes");
    add_vec(l, &tensors, "tensors");
    add_vec(l, &ops, "operators");
    add_vec(l, &bufs, "buffers");
    add_vec(l, &biggest, "largest weights");
    if (fb_get_vec(&b, &sg, SG_INPUTS, 4, &v) == 0)
        add_vec(l, &v, "subgraph inputs");
    if (fb_get_vec(&b, &sg, SG_OUTPUTS, 4, &v) == 0)
        add_vec(l, &v, "subgraph outputs");
    uint32_t picks[] = {0, tensors.len / 2, tensors.len - 1};
    for (int k = 0; k < 3; k++) {
        if (fb_vec_table(&b, &tensors, picks[k], &t) != 0)
            continue;
        if (fb_get_vec(&b, &t, TENSOR_SHAPE, 4, &v) == 0 && v.len)
            add_vec(l, &v, "a tensor shape");
        if (fb_get_vec(&b, &t, TENSOR_NAME, 1, &v) == 0 && v.len)
            add_vec(l, &v, "a tensor name");
    }
    uint32_t opicks[] = {0, ops.len / 2, ops.len ? ops.len - 1 : 0};
    for (int k = 0; k < 3; k++)
        if (fb_vec_table(&b, &ops, opicks[k], &t) == 0 && fb_get_vec(&b, &t, OP_INPUTS, 4, &v) == 0 && v.len)
            add_vec(l, &v, "operator inputs");
    return 0;
}

static void free_layout(struct layout *l)
{
    free(l->is_weight);
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

/* Runs after weight-only changes, per model and category (the graph is the
 * original's; only the numbers differ). */
#define MAX_WEIGHT_RUNS (UNDER_ASAN ? 1 : 20)

static void hostile_model(const char *path, const char *name)
{
    size_t size;
    uint8_t *orig = read_file(path, &size);
    if (!orig) {
        check(0, "%s: cannot read", path);
        return;
    }
    printf("== %s (%zu bytes)\n", name, size);
    struct tally before[NCAT];
    double spent_total = 0;
    memcpy(before, tallies, sizeof before);

    /* The unmodified file loads and runs. */
    struct bd_model *m = NULL;
    int r = bd_model_open_memory(orig, size, name, &m);
    check(r == BD_OK, "%s: the unmodified model does not load: %s", name, bd_last_error());
    if (r != BD_OK) {
        free(orig);
        return;
    }
    struct tally base = {0};
    double t0 = now_s();
    run_spent = 0;
    run_once(m, name, &base, BD_BACKEND_REF);
    run_once(m, name, &base, BD_BACKEND_AUTO);
    run_spent = 0;
    check(base.runs_ok == 2, "%s: the unmodified model does not run", name);
    bd_model_destroy(m);

    struct layout lay;
    if (find_layout(orig, size, &lay) != 0 || lay.num_structural == 0) {
        check(0, "%s: cannot walk the flatbuffer", name);
        free_layout(&lay);
        free(orig);
        return;
    }
    uint8_t *buf = malloc(size + (1u << 20));
    char what[160];
    int weight_runs[NCAT] = {0};

    /* (a) truncation: 0..16 bytes, the last 16 bytes, and 167 lengths spread
     * over the rest. */
    for (int k = 0; k < 200; k++) {
        size_t len;
        if (k <= 16)
            len = (size_t)k;
        else if (k >= 184)
            len = size - (size_t)(200 - k);
        else
            len = 17 + (size - 34) * (size_t)(k - 17) / 167;
        if (len >= size)
            len = size - 1;
        snprintf(what, sizeof what, "%s truncated to %zu bytes", name, len);
        try_model(orig, len, name, CAT_TRUNC, 2, what);
    }

    spent_total += run_spent;
    run_spent = 0;

    /* (b) bit flips: 250 single, 250 of 2..16 bits; half of the first bit
     * positions are structural. */
    for (int k = 0; k < 500; k++) {
        memcpy(buf, orig, size);
        int nbits = k < 250 ? 1 : 2 + (int)rnd_below(15);
        int structural = 0;
        size_t first = 0;
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
            structural |= !lay.is_weight[pos];
        }
        snprintf(what, sizeof what, "%s with %d bit(s) flipped from byte %zu (flip #%d)", name, nbits, first, k);
        int run = structural ? 2 : weight_runs[CAT_FLIP] < MAX_WEIGHT_RUNS;
        if (!structural && run)
            weight_runs[CAT_FLIP]++;
        try_model(buf, size, name, CAT_FLIP, run, what);
    }

    spent_total += run_spent;
    run_spent = 0;

    /* (c) extreme values in random 4-byte fields (4-aligned: where
     * flatbuffer scalars and offsets live). */
    static const uint32_t extremes[4] = {0u, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u};
    for (int k = 0; k < 400; k++) {
        memcpy(buf, orig, size);
        size_t pos = (k & 1) ? lay.structural[rnd_below(lay.num_structural)] : rnd_below(size);
        pos &= ~(size_t)3;
        if (pos + 4 > size)
            pos = (size - 4) & ~(size_t)3;
        uint32_t v = extremes[k % 4];
        memcpy(buf + pos, &v, 4);
        int structural = !lay.is_weight[pos] || !lay.is_weight[pos + 3];
        snprintf(what, sizeof what, "%s with 0x%08x at byte %zu", name, v, pos);
        int run = structural ? 2 : weight_runs[CAT_EXTREME] < MAX_WEIGHT_RUNS;
        if (!structural && run)
            weight_runs[CAT_EXTREME]++;
        try_model(buf, size, name, CAT_EXTREME, run, what);
    }

    spent_total += run_spent;
    run_spent = 0;

    /* (d) declared vector lengths made wrong. */
    for (int k = 0; k < lay.num_vecs; k++) {
        uint32_t len;
        memcpy(&len, orig + lay.vec_len_pos[k], 4);
        const uint32_t values[] = {len + 1, len * 2 + 1, len ? len - 1 : 1, 0, 0x3FFFFFFFu, 0x7FFFFFFFu,
                                   0xFFFFFFFFu, (uint32_t)size};
        for (size_t j = 0; j < sizeof values / sizeof values[0]; j++) {
            memcpy(buf, orig, size);
            memcpy(buf + lay.vec_len_pos[k], &values[j], 4);
            snprintf(what, sizeof what, "%s with the length of %s (%u) set to %u", name, lay.vec_what[k], len,
                     values[j]);
            try_model(buf, size, name, CAT_VECLEN, 2, what);
        }
    }
    spent_total += run_spent;
    run_spent = 0;

    /* (d) garbage appended: a flatbuffer ignores trailing bytes, so these
     * normally load and must run like the original. */
    static const size_t extra[] = {1, 3, 64, 4096, 1u << 20};
    for (size_t j = 0; j < sizeof extra / sizeof extra[0]; j++) {
        memcpy(buf, orig, size);
        for (size_t i = 0; i < extra[j]; i++)
            buf[size + i] = (uint8_t)rnd();
        snprintf(what, sizeof what, "%s with %zu random bytes appended", name, extra[j]);
        int rr = try_model(buf, size + extra[j], name, CAT_APPEND, j < 2, what);
        check(rr == BD_OK, "%s: rejected (%s)", what, bd_last_error());
    }

    for (int c = 0; c < CAT_REGRESSION; c++) {
        struct tally *t = &tallies[c], *b0 = &before[c];
        printf("  %-14s %4d trials: %4d loaded (%d engine runs, %d engine errors, %d not run); refused:",
               cat_names[c], t->trials - b0->trials, t->loaded - b0->loaded, t->runs_ok - b0->runs_ok,
               t->runs_failed - b0->runs_failed, t->runs_skipped - b0->runs_skipped);
        const char *sep = " ";
        for (int s = 1; s < 8; s++)
            if (t->errors[s] - b0->errors[s]) {
                printf("%s%s %d", sep, bd_status_str((enum bd_status)-s), t->errors[s] - b0->errors[s]);
                sep = ", ";
            }
        printf("%s\n", *sep == ' ' ? " none" : "");
    }
    spent_total += run_spent;
    printf("  %.1f s (%.1f s in engine runs)\n", now_s() - t0, spent_total);
    free(buf);
    free_layout(&lay);
    free(orig);
}

/* (e) */
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
    uint8_t *data = unsupported_model(path, &size, &op);
    check(data != NULL, "%s: could not find an operator code to patch", name);
    if (!data)
        return;
    struct bd_model *m = NULL;
    int r = bd_model_open_memory(data, size, name, &m);
    const char *msg = bd_last_error();
    printf("== unsupported op: operator #%d of %s patched to SQUARED_DIFFERENCE: %s\n", op, name, msg);
    check(r == BD_ERR_UNSUPPORTED, "unsupported op: status %d (%s), want BD_ERR_UNSUPPORTED", r,
          bd_status_str(r));
    check(m == NULL, "unsupported op: *out not NULL");
    check(strstr(msg, "SQUARED_DIFFERENCE") != NULL, "unsupported op: message does not name the op: '%s'", msg);
    check(strstr(msg, name) != NULL, "unsupported op: message does not name the model: '%s'", msg);
    bd_model_destroy(m);
    free(data);
}

/* (f) */
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
    } cases[] = {
        {"empty.tflite", "", 0},
        {"null.tflite", NULL, 0},
        {"image.png", png, sizeof png},
        {"random.bin", noise, n},
        {"tfl3-header-only.tflite", "\x08\0\0\0TFL3", 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bd_model *m = (struct bd_model *)(uintptr_t)1;
        uint8_t *copy = malloc(cases[i].size ? cases[i].size : 1);
        if (cases[i].size)
            memcpy(copy, cases[i].data, cases[i].size);
        int r = bd_model_open_memory(cases[i].data ? copy : NULL, cases[i].size, cases[i].what, &m);
        free(copy);
        printf("== %s: %s: %s\n", cases[i].what, bd_status_str(r), bd_last_error());
        check(r == BD_ERR_FORMAT, "%s: status %d (%s), want BD_ERR_FORMAT", cases[i].what, r, bd_status_str(r));
        check(m == NULL, "%s: *out not NULL", cases[i].what);
        check(bd_last_error()[0] && strstr(bd_last_error(), cases[i].what),
              "%s: message does not name the file: '%s'", cases[i].what, bd_last_error());
    }
    free(noise);

    /* The same through bd_model_open's path handling. */
    struct bd_model *m = NULL;
    int r = bd_model_open("/nonexistent/dir/model.tflite", &m);
    check(r == BD_ERR_NOT_FOUND && m == NULL && strstr(bd_last_error(), "/nonexistent/dir/model.tflite"),
          "missing file: status %d '%s'", r, bd_last_error());
    r = bd_model_open("/tmp", &m);
    check((r == BD_ERR_IO || r == BD_ERR_FORMAT) && m == NULL && strstr(bd_last_error(), "/tmp"),
          "directory: status %d '%s'", r, bd_last_error());
    r = bd_model_open_memory("", 0, "x", NULL);
    check(r == BD_ERR_INVALID_ARG, "NULL out: status %d", r);
}

/* (g) */
static void test_regressions(const char *dir)
{
    DIR *d = opendir(dir);
    check(d != NULL, "cannot open %s (run from the repository root)", dir);
    if (!d)
        return;
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 6, ".crash") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t size;
        uint8_t *data = read_file(path, &size);
        check(data != NULL, "cannot read %s", path);
        if (!data)
            continue;
        run_spent = 0;
        int r = try_model(data, size, de->d_name, CAT_REGRESSION, 2, path);
        printf("== regression %s: %s%s%s\n", de->d_name, bd_status_str(r), r ? ": " : "", r ? bd_last_error() : "");
        free(data);
        n++;
    }
    closedir(d);
    check(n > 0, "no .tflite files in %s", dir);
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
    const char *budget = getenv("BD_HOSTILE_RUN_BUDGET");
    run_budget = budget && *budget ? atof(budget) : UNDER_ASAN ? 10.0 : 5.0;

    hostile_model(general, "selfie_segmentation.tflite");
    hostile_model(landscape, "selfie_segmentation_landscape.tflite");
    static const char *const shared[] = {"deeplabv3_257_mv_gpu.tflite", "body-pix-float-050-8.tflite",
                                         "segm_full_v679.tflite", "segm_lite_v681.tflite"};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "../shared/data/models/%s", shared[i]);
        struct stat st;
        if (stat(path, &st) != 0) {
            printf("skip: %s not found (../shared/data is optional)\n", path);
            continue;
        }
        hostile_model(path, shared[i]);
    }
    test_unsupported(general, "selfie_segmentation.tflite");
    test_not_models();
    test_regressions("fuzz/regressions");

    printf("total over all models:\n");
    for (int c = 0; c < NCAT; c++) {
        struct tally *t = &tallies[c];
        printf("  %-14s %5d trials: %5d loaded (%d engine runs, %d engine errors, %d not run), %d refused\n", cat_names[c],
               t->trials, t->loaded, t->runs_ok, t->runs_failed, t->runs_skipped, t->trials - t->loaded);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
