/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TF.js graph-model reader (src/model/tfjs.c) on the real RVM model
 * (scripts/fetch-models.sh DIR rvm puts it in ~/.cache/backdrop; a skip
 * that fails under CI when absent) and on hostile variants of it:
 *  - the graph it builds at two sizes: outputs, state inputs and their
 *    shapes, the three dilated depthwise convs, no op left unfolded;
 *  - a run with the ref backend, fed back over 3 frames: finite outputs,
 *    alpha in [0,1], the state changes what the next frame gives;
 *  - the new ref ops (SLICE, DIV, MINIMUM, MAXIMUM, MEAN_C) against naive
 *    code on small graphs built here;
 *  - hostile files: truncated model.json, truncated or missing shard, a
 *    wrong manifest, an unknown op, and bit flips, each refused with one
 *    clear error and no crash (the fuzz target goes further).
 * Last line: "N passed, M failed, K skipped".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backdrop.h"
#include "check.h"
#include "common/error.h"
#include "model/backend.h"
#include "model/graph.h"
#include "model/tfjs.h"

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Every activation gets its own buffer: no aliasing to get wrong here. */
struct runner {
    const struct bd_graph *g;
    float **t;
    struct bd_ref *ref;
};

static int runner_init(struct runner *r, const struct bd_graph *g)
{
    r->g = g;
    r->t = calloc((size_t)g->num_tensors, sizeof *r->t);
    for (int i = 0; i < g->num_tensors; i++) {
        const struct bd_tensor *T = &g->tensors[i];
        r->t[i] = T->data ? T->data : aligned_alloc(64, (T->count * 4 + 127) / 64 * 64);
        if (!T->data)
            memset(r->t[i], 0, (T->count * 4 + 127) / 64 * 64);
    }
    return bd_ref_create(g, r->t, &r->ref);
}

static void runner_free(struct runner *r)
{
    bd_ref_destroy(r->ref);
    for (int i = 0; i < r->g->num_tensors; i++)
        if (!r->g->tensors[i].data)
            free(r->t[i]);
    free(r->t);
}

static const char *rvm_dir(void)
{
    static char buf[512];
    const char *e = getenv("BACKDROP_RVM_DIR");
    if (e)
        return e;
    const char *c = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (c)
        snprintf(buf, sizeof buf, "%s/backdrop/rvm-3.0.4", c);
    else
        snprintf(buf, sizeof buf, "%s/.cache/backdrop/rvm-3.0.4", h ? h : ".");
    return buf;
}

static int count_ops(const struct bd_graph *g, enum bd_op_type t, int dilation)
{
    int n = 0;
    for (int i = 0; i < g->num_ops; i++)
        if (g->ops[i].type == t && (!dilation || g->ops[i].p.conv.dilation_h == dilation))
            n++;
    return n;
}

static int same_dims(const struct bd_tensor *t, int a, int b, int c, int d)
{
    return t->ndim == 4 && t->dims[0] == a && t->dims[1] == b && t->dims[2] == c && t->dims[3] == d;
}

/* ---- the real model ----------------------------------------------------- */

static void test_shapes(const char *json, size_t jlen, const struct bd_tfjs_shard *sh, int h, int w, float ratio)
{
    struct bd_tfjs_spec spec = {h, w, ratio};
    struct bd_graph *g = NULL;
    int r = bd_tfjs_load(json, jlen, sh, 1, &spec, "rvm", &g);
    CHECK(r == BD_OK, "load %dx%d ratio %g: %s", w, h, (double)ratio, bd_last_error());
    if (r)
        return;
    /* TF's sizes: the downsampled frame, then each stride-2 stage rounds up. */
    int dh = (int)((float)h * ratio), dw = (int)((float)w * ratio);
    int sh2[5], sw2[5];
    sh2[0] = dh;
    sw2[0] = dw;
    for (int k = 1; k < 5; k++) {
        sh2[k] = (sh2[k - 1] + 1) / 2;
        sw2[k] = (sw2[k - 1] + 1) / 2;
    }
    static const int ch[4] = {16, 20, 40, 64};
    CHECK(g->num_outputs == 6, "outputs: %d", g->num_outputs);
    CHECK(same_dims(&g->tensors[g->outputs[0]], 1, h, w, 1), "pha is [1,%d,%d,1]", h, w);
    CHECK(same_dims(&g->tensors[g->outputs[5]], 1, h, w, 3), "fgr is [1,%d,%d,3]", h, w);
    CHECK(g->num_state_inputs == 4, "state inputs: %d", g->num_state_inputs);
    for (int k = 0; k < 4 && k < g->num_state_inputs; k++) {
        const struct bd_tensor *o = &g->tensors[g->outputs[1 + k]];
        const struct bd_tensor *s = &g->tensors[g->state_inputs[k]];
        CHECK(same_dims(o, 1, sh2[k + 1], sw2[k + 1], ch[k]), "r%do is [1,%d,%d,%d], got [%d,%d,%d,%d]", k + 1,
              sh2[k + 1], sw2[k + 1], ch[k], o->dims[0], o->dims[1], o->dims[2], o->dims[3]);
        CHECK(s->ndim == 4 && memcmp(s->dims, o->dims, sizeof s->dims) == 0, "r%di has r%do's shape", k + 1, k + 1);
        CHECK(strcmp(s->name, (const char[][4]){"r1i", "r2i", "r3i", "r4i"}[k]) == 0, "state %d is %s", k, s->name);
    }
    CHECK(count_ops(g, BD_OP_DWCONV2D, 2) == 3, "3 dilated depthwise convs, got %d",
          count_ops(g, BD_OP_DWCONV2D, 2));
    CHECK(count_ops(g, BD_OP_RESIZE_BILINEAR, 0) >= 5, "resizes: %d", count_ops(g, BD_OP_RESIZE_BILINEAR, 0));
    CHECK(count_ops(g, BD_OP_DIV, 0) == 1, "the guided filter's one division: %d", count_ops(g, BD_OP_DIV, 0));
    CHECK(count_ops(g, BD_OP_MEAN_C, 0) == 2, "the guided filter's two grey means: %d", count_ops(g, BD_OP_MEAN_C, 0));
    for (int i = 0; i < g->num_ops; i++)
        for (int k = 0; k < g->ops[i].num_inputs; k++) {
            int t = g->ops[i].inputs[k];
            if (t < 0)
                continue;
            const struct bd_tensor *T = &g->tensors[t];
            int ok = T->data || t == g->input || (T->producer >= 0 && T->producer < i);
            for (int s = 0; s < g->num_state_inputs; s++)
                ok |= t == g->state_inputs[s];
            if (!ok) {
                CHECK(ok, "op %d reads tensor %d before it is written", i, t);
                goto out;
            }
        }
out:
    printf("rvm %dx%d ratio %.3f: %d ops, %d tensors, %zu weight bytes\n", w, h, (double)ratio, g->num_ops,
           g->num_tensors, g->weight_bytes);
    bd_graph_free(g);
}

static void test_run(const char *json, size_t jlen, const struct bd_tfjs_shard *sh)
{
    struct bd_tfjs_spec spec = {96, 128, 0.5f};
    struct bd_graph *g = NULL;
    if (bd_tfjs_load(json, jlen, sh, 1, &spec, "rvm", &g) != BD_OK) {
        CHECK(0, "load: %s", bd_last_error());
        return;
    }
    struct runner run;
    int r = runner_init(&run, g);
    CHECK(r == BD_OK, "ref create: %s", bd_last_error());
    if (r == BD_OK) {
        /* a real photo of a person, nearest-sampled to 128x96, RGB in [0,1] */
        float *src = run.t[g->input];
        struct bd_image img = {0};
        if (bd_image_load("../shared/data/video/doctor-5871743_640.jpg", 0, &img) != BD_OK) {
            SKIP_PROVIDED("../shared/data/video/doctor-5871743_640.jpg: %s", bd_last_error());
            runner_free(&run);
            bd_graph_free(g);
            return;
        }
        for (int y = 0; y < 96; y++)
            for (int x = 0; x < 128; x++)
                for (int c = 0; c < 3; c++)
                    src[(y * 128 + x) * 3 + c] =
                        img.data[(size_t)(y * img.height / 96) * (size_t)img.stride + (size_t)(x * img.width / 128) * 3 + (size_t)c] / 255.0f;
        bd_image_free(&img);
        double prev_sum = -1, sums[3] = {0};
        for (int f = 0; f < 3; f++) {
            r = bd_ref_run(run.ref);
            CHECK(r == BD_OK, "run frame %d: %s", f, bd_last_error());
            const struct bd_tensor *pt = &g->tensors[g->outputs[0]];
            const float *pha = run.t[g->outputs[0]];
            int finite = 1, inrange = 1;
            double sum = 0;
            for (size_t i = 0; i < pt->count; i++) {
                finite &= isfinite(pha[i]) != 0;
                inrange &= pha[i] >= 0.0f && pha[i] <= 1.0f;
                sum += pha[i];
            }
            CHECK(finite && inrange, "frame %d: alpha finite and in [0,1]", f);
            sums[f] = sum / (double)pt->count;
            /* feed the state back */
            for (int k = 0; k < g->num_state_inputs; k++)
                memcpy(run.t[g->state_inputs[k]], run.t[g->outputs[1 + k]], g->tensors[g->state_inputs[k]].count * 4);
            (void)prev_sum;
        }
        printf("mean alpha over 3 frames: %.4f %.4f %.4f\n", sums[0], sums[1], sums[2]);
        CHECK(sums[0] > 0.1 && sums[0] < 0.9, "a person is found: mean alpha %.3f", sums[0]);
        CHECK(sums[0] != sums[1], "the state changes the next frame's alpha");
        runner_free(&run);
    }
    bd_graph_free(g);
}

/* ---- the engine: recurrent state per engine ----------------------------- */

static void test_engine(const char *json_path)
{
    struct bd_model *m = NULL;
    int r = bd_model_open_tfjs(json_path, 128, 96, 0.5f, &m);
    CHECK(r == BD_OK, "bd_model_open_tfjs: %s", bd_last_error());
    if (r)
        return;
    struct bd_model_info info;
    bd_model_get_info(m, &info);
    CHECK(info.in_width == 128 && info.in_height == 96 && info.out_width == 128 && info.out_height == 96 &&
              info.out_channels == 1 && info.output_kind == BD_OUTPUT_PROBABILITY && strcmp(info.name, "rvm") == 0,
          "info: %s %dx%d -> %dx%dx%d", info.name, info.in_width, info.in_height, info.out_width, info.out_height,
          info.out_channels);
    struct bd_engine *e = NULL, *ex = NULL;
    struct bd_engine_options xo = {BD_BACKEND_XNNPACK, 1};
    r = bd_engine_create(m, &xo, &ex);
    CHECK(r == BD_OK || r == BD_ERR_BACKEND, "xnnpack engine: %d %s", r, bd_last_error());
    r = bd_engine_create(m, NULL, &e);
    CHECK(r == BD_OK && bd_engine_backend(e) == BD_BACKEND_REF, "auto runs ref: %d %s", r, bd_last_error());
    if (r) {
        bd_model_destroy(m);
        return;
    }
    struct bd_image img = {0};
    if (bd_image_load("../shared/data/video/doctor-5871743_640.jpg", 0, &img) != BD_OK) {
        SKIP_PROVIDED("../shared/data/video/doctor-5871743_640.jpg: %s", bd_last_error());
    } else {
        float *in = bd_engine_input(e);
        for (int y = 0; y < 96; y++)
            for (int x = 0; x < 128; x++)
                for (int c = 0; c < 3; c++)
                    in[(y * 128 + x) * 3 + c] =
                        img.data[(size_t)(y * img.height / 96) * (size_t)img.stride + (size_t)(x * img.width / 128) * 3 + (size_t)c] / 255.0f;
        bd_image_free(&img);
        const size_t n = 128 * 96;
        float *f0 = malloc(n * 4), *f1 = malloc(n * 4);
        /* garbage in the state buffers must not matter on the first run */
        r = bd_engine_run(e);
        CHECK(r == BD_OK, "run 1");
        memcpy(f0, bd_engine_output(e), n * 4);
        r = bd_engine_run(e);
        memcpy(f1, bd_engine_output(e), n * 4);
        CHECK(r == BD_OK && memcmp(f0, f1, n * 4) != 0, "run 2 reads run 1's state (differs from run 1)");
        if (ex) {
            /* xnnpack (ops it lacks on ref) carries the state the same way */
            memcpy(bd_engine_input(ex), bd_engine_input(e), n * 3 * 4);
            for (int run = 0; run < 2; run++) {
                r = bd_engine_run(ex);
                const float *want = run ? f1 : f0, *got = bd_engine_output(ex);
                double md = 0;
                for (size_t i = 0; i < n; i++)
                    md = fmax(md, fabs((double)got[i] - want[i]));
                CHECK(r == BD_OK && md < 1e-4, "xnnpack run %d agrees with ref: max |diff| %.2e", run + 1, md);
            }
        } else {
            SKIP_MACHINE("no XNNPACK in this build: %s", bd_last_error());
        }
        bd_engine_reset_state(e);
        r = bd_engine_run(e);
        CHECK(r == BD_OK && memcmp(f0, bd_engine_output(e), n * 4) == 0,
              "after bd_engine_reset_state the run equals the first, bit for bit");
        r = bd_engine_run(e);
        CHECK(r == BD_OK && memcmp(f1, bd_engine_output(e), n * 4) == 0, "and the next equals the second");
        /* a second engine of the same model has its own state */
        struct bd_engine *e2 = NULL;
        r = bd_engine_create(m, NULL, &e2);
        CHECK(r == BD_OK, "second engine");
        if (r == BD_OK) {
            memcpy(bd_engine_input(e2), bd_engine_input(e), n * 3 * 4);
            r = bd_engine_run(e2);
            CHECK(r == BD_OK && memcmp(f0, bd_engine_output(e2), n * 4) == 0,
                  "a new engine starts from zero state, whatever the other engine ran");
            bd_engine_destroy(e2);
        }
        free(f0);
        free(f1);
    }
    bd_engine_reset_state(NULL);
    bd_engine_destroy(ex);
    bd_engine_destroy(e);
    bd_model_destroy(m);
}

/* ---- hostile files ------------------------------------------------------ */

static int load_with(const char *json, size_t jlen, const uint8_t *bin, size_t blen, const char *path)
{
    struct bd_tfjs_shard s = {path, bin, blen};
    struct bd_tfjs_spec spec = {64, 64, 0.5f};
    struct bd_graph *g = NULL;
    int r = bd_tfjs_load(json, jlen, &s, bin ? 1 : 0, &spec, "hostile", &g);
    bd_graph_free(g);
    return r;
}

static char *replace(const char *s, size_t len, const char *from, const char *to, size_t *outlen)
{
    const char *p = memmem(s, len, from, strlen(from));
    if (!p)
        return NULL;
    size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to);
    char *o = malloc(len - fl + tl);
    memcpy(o, s, a);
    memcpy(o + a, to, tl);
    memcpy(o + a + tl, p + fl, len - a - fl);
    *outlen = len - fl + tl;
    return o;
}

static void test_hostile(const char *json, size_t jlen, const uint8_t *bin, size_t blen)
{
    int r = load_with(json, jlen / 2, bin, blen, "rvm.bin");
    CHECK(r == BD_ERR_FORMAT && strstr(bd_last_error(), "not valid JSON"), "truncated json: %d %s", r,
          bd_last_error());
    r = load_with(json, jlen, bin, blen - 1000, "rvm.bin");
    CHECK(r == BD_ERR_FORMAT && strstr(bd_last_error(), "runs past the end"), "truncated shard: %d %s", r,
          bd_last_error());
    r = load_with(json, jlen, bin, blen, "other.bin");
    CHECK(r == BD_ERR_FORMAT && strstr(bd_last_error(), "'rvm.bin' is missing"), "missing shard: %d %s", r,
          bd_last_error());
    uint8_t *big = malloc(blen + 8);
    memcpy(big, bin, blen);
    memset(big + blen, 0, 8);
    r = load_with(json, jlen, big, blen + 8, "rvm.bin");
    CHECK(r == BD_ERR_FORMAT && strstr(bd_last_error(), "wrong manifest"), "extra shard bytes: %d %s", r,
          bd_last_error());
    free(big);
    size_t l2;
    /* a manifest shape that disagrees with the node's */
    char *j2 = replace(json, jlen, "\"shape\": [3, 3, 3, 16]", "\"shape\": [3, 3, 3, 17]", &l2);
    if (!j2)
        j2 = replace(json, jlen, "\"shape\":[3,3,3,16]", "\"shape\":[3,3,3,17]", &l2);
    CHECK(j2 != NULL, "found the first weight's shape to change");
    if (j2) {
        r = load_with(j2, l2, bin, blen, "rvm.bin");
        CHECK(r == BD_ERR_FORMAT, "wrong manifest shape: %d %s", r, bd_last_error());
        free(j2);
    }
    /* an op the engine lacks: named in the error with its node */
    j2 = replace(json, jlen, "\"op\": \"Tanh\"", "\"op\": \"Atan\"", &l2);
    if (!j2)
        j2 = replace(json, jlen, "\"op\":\"Tanh\"", "\"op\":\"Atan\"", &l2);
    CHECK(j2 != NULL, "found a Tanh to change");
    if (j2) {
        r = load_with(j2, l2, bin, blen, "rvm.bin");
        CHECK(r == BD_ERR_UNSUPPORTED && strstr(bd_last_error(), "(op Atan) is not supported") &&
                  strstr(bd_last_error(), "conv_gru"),
              "unknown op: %d %s", r, bd_last_error());
        free(j2);
    }
    /* quantisation we do not read */
    j2 = replace(json, jlen, "\"dtype\": \"uint8\"", "\"dtype\": \"int4\"", &l2);
    if (!j2)
        j2 = replace(json, jlen, "\"dtype\":\"uint8\"", "\"dtype\":\"int4\"", &l2);
    if (j2) {
        r = load_with(j2, l2, bin, blen, "rvm.bin");
        CHECK(r == BD_ERR_UNSUPPORTED && strstr(bd_last_error(), "'int4'"), "int4: %d %s", r, bd_last_error());
        free(j2);
    }
    /* bit flips in the json: any error or success, never a crash (ASan) */
    char *j3 = malloc(jlen);
    uint64_t s = 12345;
    int refused = 0;
    for (int k = 0; k < 40; k++) {
        memcpy(j3, json, jlen);
        for (int b = 0; b < 4; b++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            j3[(s >> 33) % jlen] ^= (char)(1 << ((s >> 20) & 7));
        }
        r = load_with(j3, jlen, bin, blen, "rvm.bin");
        refused += r != BD_OK;
        CHECK(r == BD_OK || bd_last_error()[0], "flip %d: an error has a message", k);
    }
    printf("bit-flipped model.json: %d of 40 refused\n", refused);
    free(j3);
}

/* ---- the new ref ops against naive code --------------------------------- */

struct gb {
    struct bd_graph *g;
    struct bd_tensor t[8];
    struct bd_op ops[2];
    int nt;
};

static int gb_tensor(struct gb *b, int ndim, const int *dims, float *data)
{
    struct bd_tensor *t = &b->t[b->nt];
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof(int));
    t->count = 1;
    for (int d = 0; d < ndim; d++)
        t->count *= (size_t)dims[d];
    t->dtype = BD_DT_F32;
    t->data = data;
    t->name = "";
    t->producer = -1;
    t->last_use = -1;
    return b->nt++;
}

static float frnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 40) / (double)(1ull << 24) * 4.0 - 2.0);
}

/* One op graph: in0 (activation), in1 (constant or -1) → out. */
static void run_one(enum bd_op_type type, int nd0, const int *d0, int nd1, const int *d1, int ndo, const int *dout,
                    const int *begin, const char *what)
{
    struct gb b = {0};
    struct bd_graph g = {0};
    b.g = &g;
    uint64_t s = 99;
    size_t n0 = 1, n1 = nd1 ? 1 : 0, no = 1;
    for (int d = 0; d < nd0; d++)
        n0 *= (size_t)d0[d];
    for (int d = 0; d < nd1; d++)
        n1 *= (size_t)d1[d];
    for (int d = 0; d < ndo; d++)
        no *= (size_t)dout[d];
    float *c1 = nd1 ? aligned_alloc(64, (n1 * 4 + 127) / 64 * 64) : NULL;
    for (size_t i = 0; i < n1; i++) {
        c1[i] = frnd(&s);
        if (type == BD_OP_DIV && fabsf(c1[i]) < 0.1f)
            c1[i] = 0.5f;
    }
    int in0 = gb_tensor(&b, nd0, d0, NULL);
    int in1 = nd1 ? gb_tensor(&b, nd1, d1, c1) : -1;
    int out = gb_tensor(&b, ndo, dout, NULL);
    int ins[2] = {in0, in1};
    struct bd_op *op = &b.ops[0];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->num_inputs = nd1 ? 2 : 1;
    op->inputs = ins;
    op->output = out;
    if (begin)
        memcpy(op->p.slice.begin, begin, sizeof op->p.slice.begin);
    b.t[in0].last_use = 0;
    if (in1 >= 0)
        b.t[in1].last_use = 0;
    b.t[out].producer = 0;
    b.t[out].last_use = INT32_MAX;
    g.num_tensors = b.nt;
    g.tensors = b.t;
    g.num_ops = 1;
    g.ops = b.ops;
    g.input = in0;
    g.num_outputs = 1;
    g.outputs[0] = out;
    struct runner r;
    int rc = runner_init(&r, &g);
    CHECK(rc == BD_OK, "%s: create: %s", what, bd_last_error());
    if (rc == BD_OK) {
        float *x = r.t[in0];
        for (size_t i = 0; i < n0; i++)
            x[i] = frnd(&s);
        rc = bd_ref_run(r.ref);
        CHECK(rc == BD_OK, "%s: run", what);
        const float *y = r.t[out];
        int bad = 0;
        /* naive: index arithmetic straight from the definition */
        int od4[4] = {1, 1, 1, 1}, id4[4] = {1, 1, 1, 1}, cd4[4] = {1, 1, 1, 1};
        for (int d = 0; d < ndo; d++)
            od4[4 - ndo + d] = dout[d];
        for (int d = 0; d < nd0; d++)
            id4[4 - nd0 + d] = d0[d];
        for (int d = 0; d < nd1; d++)
            cd4[4 - nd1 + d] = d1[d];
        for (size_t i = 0; i < no && !bad; i++) {
            int c[4];
            size_t q = i;
            for (int d = 3; d >= 0; d--) {
                c[d] = (int)(q % (size_t)od4[d]);
                q /= (size_t)od4[d];
            }
            double want;
            if (type == BD_OP_SLICE) {
                int sh = 4 - ndo, src[4];
                for (int d = 0; d < 4; d++)
                    src[d] = c[d] + (d >= sh ? begin[d - sh] : 0);
                want = x[((src[0] * id4[1] + src[1]) * id4[2] + src[2]) * id4[3] + src[3]];
            } else if (type == BD_OP_MEAN_C) {
                double acc = 0;
                for (int k = 0; k < id4[3]; k++)
                    acc += x[((c[0] * id4[1] + c[1]) * id4[2] + c[2]) * id4[3] + k];
                want = acc / id4[3];
            } else {
                int a[4], bb[4];
                for (int d = 0; d < 4; d++) {
                    a[d] = id4[d] == 1 ? 0 : c[d];
                    bb[d] = cd4[d] == 1 ? 0 : c[d];
                }
                double va = x[((a[0] * id4[1] + a[1]) * id4[2] + a[2]) * id4[3] + a[3]];
                double vb = c1[((bb[0] * cd4[1] + bb[1]) * cd4[2] + bb[2]) * cd4[3] + bb[3]];
                want = type == BD_OP_DIV ? va / vb : type == BD_OP_MINIMUM ? fmin(va, vb) : fmax(va, vb);
            }
            if (fabs(y[i] - want) > 1e-5 * (1 + fabs(want))) {
                bad = 1;
                CHECK(0, "%s: element %zu is %g, want %g", what, i, (double)y[i], want);
            }
        }
        if (!bad)
            CHECK(1, "%s", what);
        runner_free(&r);
    }
    free(c1);
}

static void test_ops(void)
{
    const int a[4] = {1, 5, 7, 6}, ch[4] = {1, 1, 1, 6}, sc[1] = {1}, row[4] = {1, 5, 1, 1};
    run_one(BD_OP_DIV, 4, a, 4, a, 4, a, NULL, "DIV same shape");
    run_one(BD_OP_DIV, 4, a, 4, ch, 4, a, NULL, "DIV by channel");
    run_one(BD_OP_MINIMUM, 4, a, 1, sc, 4, a, NULL, "MINIMUM with a scalar");
    run_one(BD_OP_MAXIMUM, 4, a, 4, row, 4, a, NULL, "MAXIMUM by row");
    const int sl[4] = {1, 3, 4, 2}, b1[4] = {0, 1, 2, 3};
    run_one(BD_OP_SLICE, 4, a, 0, NULL, 4, sl, b1, "SLICE inner box");
    const int sl2[4] = {1, 5, 7, 3}, b2[4] = {0, 0, 0, 3};
    run_one(BD_OP_SLICE, 4, a, 0, NULL, 4, sl2, b2, "SLICE channels (Split)");
    const int mc[4] = {1, 5, 7, 1};
    run_one(BD_OP_MEAN_C, 4, a, 0, NULL, 4, mc, NULL, "MEAN_C");
}

int main(void)
{
    check_use_rvm();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    test_ops();
    char jp[600], bp[600];
    snprintf(jp, sizeof jp, "%s/rvm.json", rvm_dir());
    snprintf(bp, sizeof bp, "%s/rvm.bin", rvm_dir());
    size_t jlen = 0, blen = 0;
    char *json = read_file(jp, &jlen);
    char *bin = read_file(bp, &blen);
    if (!json || !bin) {
        SKIP_PROVIDED("%s: no RVM model; run 'make models-rvm'", jp);
    } else {
        struct bd_tfjs_shard sh = {"rvm.bin", (const uint8_t *)bin, blen};
        test_shapes(json, jlen, &sh, 144, 256, 0.375f);
        test_shapes(json, jlen, &sh, 480, 640, 0.375f);
        test_shapes(json, jlen, &sh, 97, 131, 0.25f);
        test_run(json, jlen, &sh);
        test_hostile(json, jlen, (const uint8_t *)bin, blen);
        test_engine(jp);
        /* the file API: model.json beside its shard */
        struct bd_tfjs_spec spec = {64, 64, 0.5f};
        struct bd_graph *g = NULL;
        int r = bd_tfjs_load_file(jp, &spec, &g);
        CHECK(r == BD_OK, "load_file: %s", bd_last_error());
        bd_graph_free(g);
        r = bd_tfjs_load_file("/nonexistent/model.json", &spec, &g);
        CHECK(r == BD_ERR_IO, "load_file of a missing file: %d", r);
        /* beside model.json: a missing shard, and a manifest path leaving the folder */
        char dir[] = "/tmp/test_tfjs.XXXXXX", p2[300];
        if (mkdtemp(dir)) {
            snprintf(p2, sizeof p2, "%s/rvm.json", dir);
            FILE *f = fopen(p2, "wb");
            fwrite(json, 1, jlen, f);
            fclose(f);
            r = bd_tfjs_load_file(p2, &spec, &g);
            CHECK(r == BD_ERR_FORMAT && strstr(bd_last_error(), "'rvm.bin' is missing or unreadable"),
                  "missing shard file: %d %s", r, bd_last_error());
            size_t l2;
            char *j2 = replace(json, jlen, "\"rvm.bin\"", "\"../rvm.bin\"", &l2);
            f = fopen(p2, "wb");
            fwrite(j2, 1, l2, f);
            fclose(f);
            free(j2);
            r = bd_tfjs_load_file(p2, &spec, &g);
            CHECK(r == BD_ERR_FORMAT && strstr(bd_last_error(), "leaves the model's folder"),
                  "shard path with '..': %d %s", r, bd_last_error());
            unlink(p2);
            rmdir(dir);
        }
        spec.ratio = 0.0f;
        r = bd_tfjs_load_file(jp, &spec, &g);
        CHECK(r == BD_ERR_INVALID_ARG && g == NULL, "ratio 0 refused: %d", r);
    }
    free(json);
    free(bin);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("test_tfjs: %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return check_report();
}
