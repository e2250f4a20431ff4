/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Every validation check of the TFLite reader (src/model/tflite.c), one
 * crafted model each: a small valid model, built here, with exactly one
 * thing wrong. Each case asserts the status, that nothing was returned, and
 * the message text (the model's name and the check's own words), so a check
 * that is removed, weakened or reports the wrong thing fails its case.
 *
 * The models are written by a small flatbuffer writer (the approach of
 * fuzz/make_seeds.py, in C so that the cases can also damage the
 * flatbuffer's own structure: vtable entries, vector slots, offsets). Every
 * base model is first loaded unmodified and must give BD_OK, so a case
 * differs from a model the reader accepts by the one change it names.
 *
 * Sites not reached, and why:
 *  - every "out of memory" (bd_fail(BD_ERR_NOMEM, ...)): needs an
 *    allocation to fail; nothing in a file makes one fail (the sizes
 *    allocated are bounded by the checks this test covers).
 *  - bd_graph_select_output's "out of memory" (calloc of the tensor marks).
 * The coverage guard at the end reads src/model/tflite.c and fails when a
 * message there is not seen in any case here (a new check without a case),
 * apart from "out of memory".
 *
 * Usage: test_tflite_checks        (from the repository root)
 * Last line: "N passed, M failed, K skipped".
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "check.h"
#include "common/error.h"
#include "model/graph.h"
#include "model/tflite.h"

/* ------------------------------------------------------------------------ */
/* Flatbuffer writer: objects laid out front to back (a table, then what it  */
/* points to), each table with its own vtable just before it.               */

enum { K_NONE, K_U8, K_I32, K_F32, K_U64, K_OFF };
enum { N_TABLE, N_U8, N_I32, N_OFF };
#define MAXF 8

struct node {
    int type;
    int kind[MAXF];
    uint64_t val[MAXF];
    struct node *child[MAXF];
    size_t n;                 /* vector length */
    const void *items;        /* N_U8 bytes, N_I32 values, N_OFF struct node * */
    size_t pos;               /* written: table start, or a vector's length word */
    size_t vt;                /* written: vtable start */
    size_t fpos[MAXF];        /* written: each field's value */
    int nf;                   /* written: vtable entries */
};

static struct node nodes[8192];
static int nnodes;
static uint8_t store[1 << 20];
static size_t nstore;

static void out_of_room(const char *what)
{
    printf("FAIL: the test's %s arena is too small\n", what);
    exit(1);
}

static void *stash(const void *p, size_t n)
{
    nstore = (nstore + 7) & ~(size_t)7;
    if (n > sizeof store - nstore)
        out_of_room("byte");
    void *at = store + nstore;
    if (p && n)
        memcpy(at, p, n);
    nstore += n;
    return at;
}

static struct node *new_node(int type)
{
    if (nnodes == (int)(sizeof nodes / sizeof nodes[0]))
        out_of_room("node");
    struct node *n = &nodes[nnodes++];
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static struct node *tbl(void) { return new_node(N_TABLE); }

static struct node *vec(int type, const void *items, size_t n, size_t esize)
{
    struct node *v = new_node(type);
    v->n = n;
    v->items = stash(items, n * esize);
    return v;
}

static struct node *vu8(const void *p, size_t n) { return vec(N_U8, p, n, 1); }
static struct node *vi32(const int32_t *p, size_t n) { return vec(N_I32, p, n, 4); }
static struct node *voff(struct node *const *k, size_t n) { return vec(N_OFF, k, n, sizeof *k); }

static void fset(struct node *t, int id, int kind, uint64_t v)
{
    t->kind[id] = kind;
    t->val[id] = v;
}

static void fset_u8(struct node *t, int id, uint8_t v) { fset(t, id, K_U8, v); }
static void fset_i32(struct node *t, int id, int32_t v) { fset(t, id, K_I32, (uint32_t)v); }
static void fset_u64(struct node *t, int id, uint64_t v) { fset(t, id, K_U64, v); }
static void fset_f32(struct node *t, int id, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    fset(t, id, K_F32, u);
}
static void fset_off(struct node *t, int id, struct node *c)
{
    t->kind[id] = K_OFF;
    t->child[id] = c;
}

static uint8_t *ob;
static size_t on, ocap;

static size_t grow(size_t n)
{
    if (on + n > ocap) {
        ocap = (on + n) * 2;
        ob = realloc(ob, ocap);
        if (!ob)
            out_of_room("output");
    }
    memset(ob + on, 0, n);
    size_t at = on;
    on += n;
    return at;
}

static void align4(void)
{
    while (on % 4)
        grow(1);
}

static void put32(size_t at, uint32_t v) { memcpy(ob + at, &v, 4); }
static void put16(size_t at, uint16_t v) { memcpy(ob + at, &v, 2); }
static void link_to(size_t at, size_t target) { put32(at, (uint32_t)(target - at)); }

static size_t w_obj(struct node *n);

static size_t w_vec(struct node *v)
{
    align4();
    size_t at = grow(4);
    put32(at, (uint32_t)v->n);
    v->pos = at;
    if (v->type == N_U8) {
        size_t d = grow(v->n);
        memcpy(ob + d, v->items, v->n);
    } else if (v->type == N_I32) {
        size_t d = grow(4 * v->n);
        memcpy(ob + d, v->items, 4 * v->n);
    } else {
        struct node *const *kids = v->items;
        size_t slots = grow(4 * v->n);
        for (size_t i = 0; i < v->n; i++)
            link_to(slots + 4 * i, w_obj(kids[i]));
    }
    return at;
}

static const size_t kind_size[] = {0, 1, 4, 4, 8, 4};

static size_t w_table(struct node *t)
{
    int nf = 0;
    for (int id = 0; id < MAXF; id++)
        if (t->kind[id])
            nf = id + 1;
    size_t offs[MAXF] = {0}, o = 4;
    for (int id = 0; id < nf; id++) {
        if (!t->kind[id])
            continue;
        size_t sz = kind_size[t->kind[id]], a = sz < 4 ? sz : 4;
        o = (o + a - 1) / a * a;
        offs[id] = o;
        o += sz;
    }
    align4();
    size_t vt = grow(4 + 2 * (size_t)nf);
    put16(vt, (uint16_t)(4 + 2 * nf));
    put16(vt + 2, (uint16_t)o);
    for (int id = 0; id < nf; id++)
        put16(vt + 4 + 2 * (size_t)id, (uint16_t)offs[id]);
    align4();
    size_t tp = grow(o);
    put32(tp, (uint32_t)(tp - vt));
    t->pos = tp;
    t->vt = vt;
    t->nf = nf;
    for (int id = 0; id < nf; id++) {
        t->fpos[id] = tp + offs[id];
        if (t->kind[id] && t->kind[id] != K_OFF)
            memcpy(ob + tp + offs[id], &t->val[id], kind_size[t->kind[id]]); /* little-endian host */
    }
    for (int id = 0; id < nf; id++)
        if (t->kind[id] == K_OFF)
            link_to(tp + offs[id], w_obj(t->child[id]));
    return tp;
}

static size_t w_obj(struct node *n)
{
    return n->type == N_TABLE ? w_table(n) : w_vec(n);
}

/* ------------------------------------------------------------------------ */
/* TFLite models (schema.fbs field ids)                                     */

enum { TT_F32 = 0, TT_F16 = 1, TT_I32 = 2, TT_INT8 = 9 };
enum { SAME = 0, VALID = 1 };
enum { A_NONE = 0, A_RELU = 1, A_RELU_N1 = 2, A_RELU6 = 3, A_TANH = 4 };
enum {
    ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3, DEPTHWISE_CONV_2D = 4,
    DEQUANTIZE = 6, FULLY_CONNECTED = 9, LOGISTIC = 14, MAX_POOL_2D = 17, MUL = 18, RELU = 19,
    RELU6 = 21, RESHAPE = 22, RESIZE_BILINEAR = 23, SOFTMAX = 25, TANH = 28, CUSTOM = 32, PAD = 34,
    MEAN = 40, SUB = 41, SQUEEZE = 43, PRELU = 54, TRANSPOSE_CONV = 67, EXPAND_DIMS = 70,
    LEAKY_RELU = 98, SQUARED_DIFFERENCE = 99, HARD_SWISH = 117,
};

#define MAXT 96
static struct {
    const char *name;
    struct node *t[MAXT];
    int tbuf[MAXT];           /* buffer index of each tensor (0: none) */
    int ttype[MAXT];
    int nt;
    struct node *buf[MAXT];
    int nb;
    struct node *op[MAXT];
    int nops;
    int code[16];
    const char *custom[16];
    struct node *codes[16];
    int ncodes;
    int32_t in[8], out[8];
    int nin, nout;
    struct node *root, *sg, *v_tensors, *v_bufs, *v_ops, *v_codes, *v_sgs, *v_in, *v_out;
    int ext[4], next;         /* tensors whose data lives after the flatbuffer */
    int built;
} M;

/* A list of int32: the values and their count, as two arguments. */
#define L(...) (const int32_t[]){__VA_ARGS__}, (int)(sizeof((int32_t[]){__VA_ARGS__}) / 4)

static void start(const char *name)
{
    memset(&M, 0, sizeof M);
    nnodes = 0;
    nstore = 0;
    M.name = name;
    M.buf[0] = tbl(); /* buffer 0: the empty sentinel */
    M.nb = 1;
}

static size_t count_of(const int32_t *dims, int nd)
{
    size_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= (size_t)dims[i];
    return n;
}

/* Deterministic data of a constant: small floats, or int32 zeros. */
static const void *pattern(int type, size_t count, size_t *nbytes)
{
    size_t es = type == TT_F16 ? 2 : type == TT_INT8 ? 1 : 4;
    *nbytes = count * es;
    uint8_t *p = stash(NULL, *nbytes);
    uint32_t x = 12345;
    for (size_t i = 0; i < count; i++) {
        x = x * 1103515245u + 12345u;
        if (type == TT_F32) {
            float f = (float)((int)(x >> 16 & 2047) - 1024) / 1024.0f;
            memcpy(p + 4 * i, &f, 4);
        } else if (type == TT_F16) {
            uint16_t h = 0x3800; /* 0.5 */
            memcpy(p + 2 * i, &h, 2);
        } else {
            memset(p + es * i, 0, es);
        }
    }
    return p;
}

static struct node *buffer_of(const void *data, size_t nbytes)
{
    struct node *b = tbl();
    fset_off(b, 0, vu8(data, nbytes));
    return b;
}

static int tensor(int type, const int32_t *dims, int nd, const void *data, size_t nbytes, const char *name)
{
    int i = M.nt++;
    struct node *t = tbl();
    fset_off(t, 0, vi32(dims, (size_t)nd));
    fset_u8(t, 1, (uint8_t)type);
    int b = 0;
    if (data) {
        b = M.nb++;
        M.buf[b] = buffer_of(data, nbytes);
    }
    fset_i32(t, 2, b);
    char nm[16];
    if (!name) {
        snprintf(nm, sizeof nm, "t%d", i);
        name = nm;
    }
    fset_off(t, 3, vu8(name, strlen(name)));
    M.t[i] = t;
    M.tbuf[i] = b;
    M.ttype[i] = type;
    return i;
}

static int act(const int32_t *dims, int nd) { return tensor(TT_F32, dims, nd, NULL, 0, NULL); }
static int named(const char *name, const int32_t *dims, int nd) { return tensor(TT_F32, dims, nd, NULL, 0, name); }

static int konst(int type, const int32_t *dims, int nd)
{
    size_t nbytes;
    const void *d = pattern(type, count_of(dims, nd), &nbytes);
    return tensor(type, dims, nd, d, nbytes, NULL);
}

static int cf(const int32_t *dims, int nd) { return konst(TT_F32, dims, nd); }

static int ints(const int32_t *v, int n)
{
    int32_t dim = n;
    return tensor(TT_I32, &dim, 1, v, 4 * (size_t)n, NULL);
}

/* A constant's data replaced (its shape stays). */
static void set_data(int t, const void *data, size_t nbytes)
{
    M.buf[M.tbuf[t]] = buffer_of(data, nbytes);
}

/* A tensor's shape replaced; a constant gets data of the new size. */
static void set_shape(int t, const int32_t *dims, int nd)
{
    fset_off(M.t[t], 0, vi32(dims, (size_t)nd));
    if (M.tbuf[t]) {
        size_t nbytes;
        const void *d = pattern(M.ttype[t], count_of(dims, nd), &nbytes);
        set_data(t, d, nbytes);
    }
}

static void set_type(int t, int type)
{
    fset_u8(M.t[t], 1, (uint8_t)type);
    M.ttype[t] = type;
}

static int opcode(int code, const char *custom)
{
    for (int i = 0; i < M.ncodes; i++)
        if (M.code[i] == code && ((!custom && !M.custom[i]) || (custom && M.custom[i] && !strcmp(custom, M.custom[i]))))
            return i;
    M.code[M.ncodes] = code;
    M.custom[M.ncodes] = custom;
    return M.ncodes++;
}

static int op(int code, const char *custom, const int32_t *ins, int nin, int out, struct node *opts)
{
    struct node *o = tbl();
    fset_i32(o, 0, opcode(code, custom));
    fset_off(o, 1, vi32(ins, (size_t)nin));
    int32_t o32 = out;
    fset_off(o, 2, vi32(&o32, 1));
    if (opts)
        fset_off(o, 4, opts);
    M.op[M.nops++] = o;
    return out;
}

static void set_ins(int k, const int32_t *ins, int n) { fset_off(M.op[k], 1, vi32(ins, (size_t)n)); }
static void set_outs(int k, const int32_t *outs, int n) { fset_off(M.op[k], 2, vi32(outs, (size_t)n)); }
static void set_custom_opts(int k, const void *p, size_t n) { fset_off(M.op[k], 5, vu8(p, n)); }

/* Op k's options table (created when absent). */
static struct node *opts(int k)
{
    if (M.op[k]->kind[4] != K_OFF)
        fset_off(M.op[k], 4, tbl());
    return M.op[k]->child[4];
}

static void io(const int32_t *in, int nin, const int32_t *out, int nout)
{
    memcpy(M.in, in, 4 * (size_t)nin);
    M.nin = nin;
    memcpy(M.out, out, 4 * (size_t)nout);
    M.nout = nout;
}

/* The tensor's data moves after the flatbuffer (the buffer's offset and
 * size fields, the large-model layout). */
static void external(int t)
{
    M.ext[M.next++] = t;
}

static void build(void)
{
    for (int i = 0; i < M.ncodes; i++) {
        struct node *c = tbl();
        fset_u8(c, 0, (uint8_t)(M.code[i] < 127 ? M.code[i] : 127));
        if (M.custom[i])
            fset_off(c, 1, vu8(M.custom[i], strlen(M.custom[i])));
        fset_i32(c, 2, 1);
        fset_i32(c, 3, M.code[i]);
        M.codes[i] = c;
    }
    const void *ext_data[4];
    size_t ext_len[4];
    for (int e = 0; e < M.next; e++) {
        struct node *b = M.buf[M.tbuf[M.ext[e]]];
        struct node *d = b->child[0];
        ext_data[e] = d->items;
        ext_len[e] = d->n;
        b->kind[0] = K_NONE;
        fset_u64(b, 1, 1); /* patched below */
        fset_u64(b, 2, d->n);
    }
    M.v_codes = voff(M.codes, (size_t)M.ncodes);
    M.v_tensors = voff(M.t, (size_t)M.nt);
    M.v_ops = voff(M.op, (size_t)M.nops);
    M.v_bufs = voff(M.buf, (size_t)M.nb);
    M.v_in = vi32(M.in, (size_t)M.nin);
    M.v_out = vi32(M.out, (size_t)M.nout);
    M.sg = tbl();
    fset_off(M.sg, 0, M.v_tensors);
    fset_off(M.sg, 1, M.v_in);
    fset_off(M.sg, 2, M.v_out);
    fset_off(M.sg, 3, M.v_ops);
    M.v_sgs = voff(&M.sg, 1);
    M.root = tbl();
    fset_i32(M.root, 0, 3);
    fset_off(M.root, 1, M.v_codes);
    fset_off(M.root, 2, M.v_sgs);
    fset_off(M.root, 4, M.v_bufs);
    on = 0;
    grow(8);
    memcpy(ob + 4, "TFL3", 4);
    link_to(0, w_table(M.root));
    for (int e = 0; e < M.next; e++) {
        while (on % 16)
            grow(1);
        struct node *b = M.buf[M.tbuf[M.ext[e]]];
        uint64_t at = on;
        memcpy(ob + b->fpos[1], &at, 8);
        memcpy(ob + grow(ext_len[e]), ext_data[e], ext_len[e]);
    }
    M.built = 1;
}

/* ---- damage after build ---- */

static void need_built(void)
{
    if (!M.built)
        build();
}

/* Field id of table t points past the table's end: fb_field fails. */
static void bad_field_at(struct node *t, int id)
{
    need_built();
    if (id >= t->nf) {
        printf("FAIL: %s: field %d is not in the vtable\n", M.name, id);
        exit(1);
    }
    put16(t->vt + 4 + 2 * (size_t)id, 0xFFFC);
}

/* Slot i of a vector of tables points past the end of the file. */
static void bad_slot_at(struct node *v, size_t i)
{
    need_built();
    put32(v->pos + 4 + 4 * i, 0x7FFFFFF0u);
}

static void set_len_at(struct node *v, uint32_t len)
{
    need_built();
    put32(v->pos, len);
}

static void set_u64_field_at(struct node *t, int id, uint64_t v)
{
    need_built();
    memcpy(ob + t->fpos[id], &v, 8);
}

/* The model is built first: the node named is only written (and the file's
 * tables made) then. */
#define bad_field(t, id) (need_built(), bad_field_at((t), (id)))
#define bad_slot(v, i) (need_built(), bad_slot_at((v), (i)))
#define set_len(v, len) (need_built(), set_len_at((v), (len)))
#define set_u64_field(t, id, v) (need_built(), set_u64_field_at((t), (id), (v)))

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */

/* Every message seen in a passing case, for the coverage guard. */
static char *seen[512];
static int nseen;

static void remember(const char *msg)
{
    if (nseen < (int)(sizeof seen / sizeof seen[0]))
        seen[nseen++] = strdup(msg);
}

/* Loads data[0..size) (in a block of exactly that size, so ASan sees any
 * read past the end) and checks the outcome. */
static void expect_bytes(const uint8_t *data, size_t size, int status, const char *msg)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    struct bd_graph *g = (struct bd_graph *)(uintptr_t)1;
    bd_clear_error();
    int r = bd_tflite_load(copy, size, M.name, &g);
    free(copy);
    const char *e = bd_last_error();
    if (status == BD_OK) {
        CHECK(r == BD_OK && g != NULL, "%s: status %d (%s), want ok: %s", M.name, r, bd_status_str(r), e);
        if (r == BD_OK)
            bd_graph_free(g);
        return;
    }
    char who[160];
    snprintf(who, sizeof who, "model '%s': ", M.name);
    int ok = r == status && g == NULL && strncmp(e, who, strlen(who)) == 0 && strstr(e, msg) != NULL;
    CHECK(ok, "%s: status %d (%s), want %d (%s) with '%s'; message: '%s'", M.name, r, bd_status_str(r), status,
          bd_status_str(status), msg, e);
    if (r == BD_OK)
        bd_graph_free(g);
    else if (ok)
        remember(e);
}

static void expect(int status, const char *msg)
{
    need_built();
    expect_bytes(ob, on, status, msg);
}

#define FMT BD_ERR_FORMAT
#define UNS BD_ERR_UNSUPPORTED

/* ------------------------------------------------------------------------ */
/* Base models: each loads. Their tensors and ops, for the cases to change. */

static int X, Y, W, B, S, Z; /* input, output, weights, bias, shape operand, other */

static struct node *conv_opts(int pad, int sw, int sh, int actv, int dw, int dh)
{
    struct node *o = tbl();
    fset_u8(o, 0, (uint8_t)pad);
    fset_i32(o, 1, sw);
    fset_i32(o, 2, sh);
    fset_u8(o, 3, (uint8_t)actv);
    fset_i32(o, 4, dw);
    fset_i32(o, 5, dh);
    return o;
}

static struct node *pool_opts(int pad, int sw, int sh, int fw, int fh)
{
    struct node *o = tbl();
    fset_u8(o, 0, (uint8_t)pad);
    fset_i32(o, 1, sw);
    fset_i32(o, 2, sh);
    fset_i32(o, 3, fw);
    fset_i32(o, 4, fh);
    fset_u8(o, 5, A_NONE);
    return o;
}

static struct node *act_opts(int actv)
{
    struct node *o = tbl();
    fset_u8(o, 0, (uint8_t)actv);
    return o;
}

static void one_io(void) { io(L(X), L(Y)); }

static void unary_base(int code)
{
    X = named("input", L(1, 4, 4, 2));
    Y = op(code, NULL, L(X), act(L(1, 4, 4, 2)), NULL);
    one_io();
}

static void conv_base(void)
{
    X = named("input", L(1, 8, 8, 3));
    W = cf(L(4, 3, 3, 3));
    B = cf(L(4));
    Y = op(CONV_2D, NULL, L(X, W, B), act(L(1, 4, 4, 4)), conv_opts(SAME, 2, 2, A_RELU6, 1, 1));
    one_io();
}

static void dw_base(void)
{
    X = named("input", L(1, 8, 8, 2));
    W = cf(L(1, 3, 3, 4));
    B = cf(L(4));
    struct node *o = tbl();
    fset_u8(o, 0, SAME);
    fset_i32(o, 1, 1);
    fset_i32(o, 2, 1);
    fset_i32(o, 3, 2);
    fset_u8(o, 4, A_RELU_N1);
    fset_i32(o, 5, 1);
    fset_i32(o, 6, 1);
    Y = op(DEPTHWISE_CONV_2D, NULL, L(X, W, B), act(L(1, 8, 8, 4)), o);
    one_io();
}

static void tconv_base(void)
{
    X = named("input", L(1, 4, 4, 4));
    S = ints(L(1, 8, 8, 2));
    W = cf(L(2, 3, 3, 4));
    B = cf(L(2));
    struct node *o = tbl();
    fset_u8(o, 0, SAME);
    fset_i32(o, 1, 2);
    fset_i32(o, 2, 2);
    fset_u8(o, 3, A_NONE);
    Y = op(TRANSPOSE_CONV, NULL, L(S, W, X, B), act(L(1, 8, 8, 2)), o);
    one_io();
}

static const char MP[] = "Convolution2DTransposeBias";

static void mp_opts(int32_t pad, int32_t sw, int32_t sh, size_t len)
{
    int32_t o[3] = {pad, sw, sh};
    set_custom_opts(0, o, len);
}

static void tconv_mp_base(void)
{
    X = named("input", L(1, 4, 4, 4));
    W = cf(L(3, 2, 2, 4));
    B = cf(L(3));
    Y = op(CUSTOM, MP, L(X, W, B), act(L(1, 8, 8, 3)), NULL);
    mp_opts(1, 2, 2, 12);
    one_io();
}

static void fc_base(void)
{
    X = named("input", L(1, 2, 2, 4));
    W = cf(L(5, 4));
    B = cf(L(5));
    struct node *o = act_opts(A_RELU);
    fset_u8(o, 1, 0);
    Y = op(FULLY_CONNECTED, NULL, L(X, W, B), act(L(4, 5)), o);
    one_io();
}

static void binary_base(int code)
{
    X = named("input", L(1, 4, 4, 3));
    Z = cf(L(3));
    Y = op(code, NULL, L(X, Z), act(L(1, 4, 4, 3)), act_opts(A_RELU6));
    one_io();
}

static void prelu_base(void)
{
    X = named("input", L(1, 4, 4, 2));
    Z = cf(L(1, 1, 2));
    Y = op(PRELU, NULL, L(X, Z), act(L(1, 4, 4, 2)), NULL);
    one_io();
}

static void pool_base(int code)
{
    X = named("input", L(1, 7, 7, 2));
    Y = op(code, NULL, L(X), act(L(1, 4, 4, 2)), pool_opts(SAME, 2, 2, 3, 3));
    one_io();
}

static void mean_base(void)
{
    X = named("input", L(1, 4, 4, 3));
    S = ints(L(1, 2));
    struct node *o = tbl();
    fset_u8(o, 0, 1);
    Y = op(MEAN, NULL, L(X, S), act(L(1, 1, 1, 3)), o);
    one_io();
}

static void resize_base(void)
{
    X = named("input", L(1, 4, 4, 2));
    S = ints(L(8, 6));
    struct node *o = tbl();
    fset_u8(o, 2, 0);
    fset_u8(o, 3, 1);
    Y = op(RESIZE_BILINEAR, NULL, L(X, S), act(L(1, 8, 6, 2)), o);
    one_io();
}

/* op 0: RELU, op 1: the concatenation */
static void concat_base(void)
{
    X = named("input", L(1, 4, 4, 2));
    Z = op(RELU, NULL, L(X), act(L(1, 4, 4, 2)), NULL);
    struct node *o = tbl();
    fset_i32(o, 0, -1);
    fset_u8(o, 1, A_NONE);
    Y = op(CONCATENATION, NULL, L(X, Z, X), act(L(1, 4, 4, 6)), o);
    one_io();
}

static void softmax_base(void)
{
    unary_base(SOFTMAX);
    fset_f32(opts(0), 0, 1.0f);
}

static void leaky_base(void)
{
    unary_base(LEAKY_RELU);
    fset_f32(opts(0), 0, 0.1f);
}

static void pad_base(void)
{
    X = named("input", L(1, 4, 4, 2));
    S = ints(L(0, 0, 1, 1, 2, 0, 0, 0));
    set_shape(S, L(4, 2));
    static const int32_t pads[8] = {0, 0, 1, 1, 2, 0, 0, 0};
    set_data(S, pads, sizeof pads);
    Y = op(PAD, NULL, L(X, S), act(L(1, 6, 6, 2)), NULL);
    one_io();
}

static void reshape_base(int code)
{
    X = named("input", L(1, 4, 4, 2));
    S = ints(L(1, 16, 2));
    Y = op(code, NULL, L(X, S), act(L(1, 16, 2)), NULL);
    one_io();
}

/* op 0: DEQUANTIZE of fp16 weights (Z) into W; op 1: CONV_2D */
static void dequant_base(void)
{
    X = named("input", L(1, 4, 4, 2));
    Z = konst(TT_F16, L(2, 3, 3, 2));
    W = op(DEQUANTIZE, NULL, L(Z), act(L(2, 3, 3, 2)), NULL);
    Y = op(CONV_2D, NULL, L(X, W), act(L(1, 4, 4, 2)), conv_opts(SAME, 1, 1, A_NONE, 1, 1));
    one_io();
}

/* A 1x1 convolution whose weights and bias live after the flatbuffer. */
static void external_base(void)
{
    X = named("input", L(1, 4, 4, 3));
    W = cf(L(2, 1, 1, 3));
    B = cf(L(2));
    external(W);
    external(B);
    Y = op(CONV_2D, NULL, L(X, W, B), act(L(1, 4, 4, 2)), conv_opts(SAME, 1, 1, A_NONE, 1, 1));
    one_io();
}

static void multi_output_base(void)
{
    X = named("input", L(1, 8, 8, 2));
    Z = op(RELU, NULL, L(X), act(L(1, 8, 8, 2)), NULL);
    Y = op(LOGISTIC, NULL, L(Z), named("seg", L(1, 8, 8, 2)), NULL);
    io(L(X), L(Y, Z));
}

static void test_bases(void)
{
    static const int unaries[] = {HARD_SWISH, RELU, RELU6, LOGISTIC, TANH};
    for (size_t i = 0; i < sizeof unaries / sizeof unaries[0]; i++) {
        start("base-unary");
        unary_base(unaries[i]);
        expect(BD_OK, NULL);
    }
    static const int binaries[] = {ADD, SUB, MUL};
    for (size_t i = 0; i < 3; i++) {
        start("base-binary");
        binary_base(binaries[i]);
        expect(BD_OK, NULL);
    }
    start("base-conv"); conv_base(); expect(BD_OK, NULL);
    start("base-dwconv"); dw_base(); expect(BD_OK, NULL);
    start("base-tconv"); tconv_base(); expect(BD_OK, NULL);
    start("base-tconv-mediapipe"); tconv_mp_base(); expect(BD_OK, NULL);
    start("base-fc"); fc_base(); expect(BD_OK, NULL);
    start("base-prelu"); prelu_base(); expect(BD_OK, NULL);
    start("base-avgpool"); pool_base(AVERAGE_POOL_2D); expect(BD_OK, NULL);
    start("base-maxpool"); pool_base(MAX_POOL_2D); expect(BD_OK, NULL);
    start("base-mean"); mean_base(); expect(BD_OK, NULL);
    start("base-resize"); resize_base(); expect(BD_OK, NULL);
    start("base-concat"); concat_base(); expect(BD_OK, NULL);
    start("base-softmax"); softmax_base(); expect(BD_OK, NULL);
    start("base-leaky"); leaky_base(); expect(BD_OK, NULL);
    start("base-pad"); pad_base(); expect(BD_OK, NULL);
    start("base-reshape"); reshape_base(RESHAPE); expect(BD_OK, NULL);
    start("base-squeeze"); reshape_base(SQUEEZE); expect(BD_OK, NULL);
    start("base-expand-dims"); reshape_base(EXPAND_DIMS); expect(BD_OK, NULL);
    start("base-dequantize"); dequant_base(); expect(BD_OK, NULL);
    start("base-external"); external_base(); expect(BD_OK, NULL);
    start("base-multi-output"); multi_output_base(); expect(BD_OK, NULL);
}

/* ------------------------------------------------------------------------ */
/* bd_tflite_load: the header, the model and subgraph tables, inputs, outputs */

static void test_file(void)
{
    static const uint8_t eight[16] = {8, 0, 0, 0, 'T', 'F', 'L', '3'};
    start("seven-bytes");
    expect_bytes(eight, 7, FMT, "file is empty or truncated (7 bytes)");
    start("null-data");
    {
        struct bd_graph *g = (struct bd_graph *)(uintptr_t)1;
        int r = bd_tflite_load(NULL, 100, M.name, &g);
        CHECK(r == FMT && g == NULL && strstr(bd_last_error(), "file is empty or truncated"),
              "NULL data: status %d '%s'", r, bd_last_error());
    }

    start("no-identifier"); unary_base(RELU); build();
    memcpy(ob + 4, "TFL4", 4);
    expect(FMT, "not a TFLite model (no TFL3 identifier)");

    /* Checked before anything past the identifier is read, so 16 bytes
     * stand for the 2 GiB. */
    start("over-2gib");
    expect_bytes(eight, 16, FMT, "corrupt TFLite file (root table)"); /* the same bytes at their size */
    {
        struct bd_graph *g = (struct bd_graph *)(uintptr_t)1;
        bd_clear_error();
        int r = bd_tflite_load(eight, (size_t)INT32_MAX + 1, M.name, &g);
        CHECK(r == UNS && g == NULL && strstr(bd_last_error(), "model 'over-2gib': files over 2 GiB are not supported"),
              "2 GiB: status %d '%s'", r, bd_last_error());
        if (r == UNS)
            remember(bd_last_error());
    }

    start("root-offset-past-end"); unary_base(RELU); build();
    put32(0, 0x7FFFFFF0u);
    expect(FMT, "corrupt TFLite file (root table)");
    start("root-vtable-before-file"); unary_base(RELU); build();
    put32(M.root->pos, 0x7FFFFFF0u);
    expect(FMT, "corrupt TFLite file (root table)");

    static const int model_fields[] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        start("model-field"); unary_base(RELU);
        bad_field(M.root, model_fields[i]);
        expect(FMT, "corrupt TFLite file (model table)");
    }
    start("no-subgraph"); unary_base(RELU); set_len(M.v_sgs, 0);
    expect(FMT, "corrupt TFLite file (no subgraph)");
    start("subgraph-slot"); unary_base(RELU); bad_slot(M.v_sgs, 0);
    expect(FMT, "corrupt TFLite file (subgraph table)");
    for (int id = 0; id < 4; id++) {
        start("subgraph-field"); unary_base(RELU); bad_field(M.sg, id);
        expect(FMT, "corrupt TFLite file (subgraph table)");
    }
    start("no-tensors"); unary_base(RELU); set_len(M.v_tensors, 0);
    expect(FMT, "corrupt TFLite file (tensor or operator count)");
    /* The counts are checked before any element is read: a file long
     * enough for the vector is all it takes. */
    start("100001-tensors"); unary_base(RELU); set_len(M.v_tensors, 100001); grow(400100);
    expect(FMT, "corrupt TFLite file (tensor or operator count)");
    start("100001-operators"); unary_base(RELU); set_len(M.v_ops, 100001); grow(400100);
    expect(FMT, "corrupt TFLite file (tensor or operator count)");
    start("100000-operators"); unary_base(RELU); set_len(M.v_ops, 100000); grow(400100);
    expect(FMT, "corrupt TFLite file (operator table)"); /* the count passes; operator #1 is garbage */

    start("no-inputs"); unary_base(RELU); io(L(0), L(1)); M.nin = 0;
    expect(UNS, "has 0 inputs; only single-input models are supported");
    start("two-inputs"); unary_base(RELU); io(L(0, 0), L(1));
    expect(UNS, "has 2 inputs; only single-input models are supported");
    start("input-index-high"); unary_base(RELU); io(L(2), L(1));
    expect(FMT, "corrupt TFLite file (input index)");
    start("input-index-negative"); unary_base(RELU); io(L(-1), L(1));
    expect(FMT, "corrupt TFLite file (input index)");
    start("input-constant"); unary_base(RELU); Z = cf(L(1, 4, 4, 2)); io(L(Z), L(Y));
    expect(UNS, "input must be a float32 [1,H,W,C] tensor");
    start("input-int32"); unary_base(RELU); set_type(X, TT_I32);
    expect(UNS, "input must be a float32 [1,H,W,C] tensor");
    start("input-3d"); unary_base(RELU); set_shape(X, L(4, 4, 2)); set_shape(Y, L(4, 4, 2));
    expect(UNS, "input must be a float32 [1,H,W,C] tensor");
    start("input-batch-2"); unary_base(RELU); set_shape(X, L(2, 4, 4, 2)); set_shape(Y, L(2, 4, 4, 2));
    expect(UNS, "input must be a float32 [1,H,W,C] tensor");
    start("no-outputs"); unary_base(RELU); M.nout = 0;
    expect(UNS, "has 0 outputs; 1 to 4 are supported");
    start("five-outputs"); unary_base(RELU); io(L(X), L(Y, Y, Y, Y, Y));
    expect(UNS, "has 5 outputs; 1 to 4 are supported");
    start("four-outputs"); unary_base(RELU); io(L(X), L(Y, Y, Y, Y));
    expect(BD_OK, NULL);
    start("output-index-high"); unary_base(RELU); io(L(X), L(Y, 2));
    expect(FMT, "corrupt TFLite file (output index)");
    start("output-index-negative"); unary_base(RELU); io(L(X), L(-1));
    expect(FMT, "corrupt TFLite file (output index)");
    start("output-int32"); unary_base(RELU); Z = konst(TT_I32, L(4)); io(L(X), L(Y, Z));
    expect(UNS, "output 't2' is not float32");

    /* 8192x8192x3 twice (the input and the RELU's output): 1536 MiB. */
    start("activations-1536mib"); X = named("input", L(1, 8192, 8192, 3));
    Y = op(RELU, NULL, L(X), act(L(1, 8192, 8192, 3)), NULL); one_io();
    expect(UNS, "its activations need 1536 MiB; at most 1024 MiB are supported");
    start("activations-1024mib"); X = named("input", L(1, 8192, 8192, 2));
    Y = op(RELU, NULL, L(X), act(L(1, 8192, 8192, 2)), NULL); one_io();
    expect(BD_OK, NULL); /* exactly 2^28 elements: the limit itself loads */
}

/* ------------------------------------------------------------------------ */
/* load_opcodes and load_tensor                                              */

static void test_tensors(void)
{
    start("opcode-slot"); unary_base(RELU); bad_slot(M.v_codes, 0);
    expect(FMT, "corrupt TFLite file (operator code table)");
    start("opcode-deprecated-field"); unary_base(RELU); build(); bad_field(M.codes[0], 0);
    expect(FMT, "corrupt TFLite file (operator code table)");
    start("opcode-builtin-field"); unary_base(RELU); build(); bad_field(M.codes[0], 3);
    expect(FMT, "corrupt TFLite file (operator code table)");
    start("opcode-custom-field"); tconv_mp_base(); build(); bad_field(M.codes[0], 1);
    expect(FMT, "corrupt TFLite file (operator code table)");

    start("tensor-slot"); unary_base(RELU); bad_slot(M.v_tensors, 1);
    expect(FMT, "corrupt TFLite file (tensor 1)");
    for (int id = 0; id < 4; id++) {
        start("tensor-field"); unary_base(RELU); bad_field(M.t[1], id);
        expect(FMT, "corrupt TFLite file (tensor 1)");
    }
    start("five-dims"); unary_base(RELU); set_shape(Y, L(1, 1, 4, 4, 2));
    expect(UNS, "tensor 't1' has 5 dimensions; at most 4 are supported");
    start("negative-dim"); unary_base(RELU); set_shape(Y, L(1, 4, -4, 2));
    expect(FMT, "corrupt TFLite file (negative tensor dimension)");
    start("zero-dim"); unary_base(RELU); set_shape(Y, L(1, 4, 0, 2));
    expect(UNS, "tensor 't1' has a zero or dynamic dimension");
    start("too-large"); unary_base(RELU); set_shape(Y, L(1, 65536, 65536, 1));
    expect(UNS, "tensor 't1' is too large");
    start("buffer-index-high"); conv_base(); fset_i32(M.t[W], 2, M.nb);
    expect(FMT, "corrupt TFLite file (tensor buffer index out of range)");
    start("buffer-index-negative"); conv_base(); fset_i32(M.t[W], 2, -1);
    expect(FMT, "corrupt TFLite file (tensor buffer index out of range)");
    start("buffer-slot"); conv_base(); bad_slot(M.v_bufs, (size_t)M.tbuf[W]);
    expect(FMT, "corrupt TFLite file (buffer table)");
    for (int id = 0; id < 3; id++) {
        start("buffer-field"); conv_base();
        fset_u64(M.buf[M.tbuf[W]], 1, 0);
        fset_u64(M.buf[M.tbuf[W]], 2, 0);
        bad_field(M.buf[M.tbuf[W]], id);
        expect(FMT, "corrupt TFLite file (buffer table)");
    }

    /* The large-model layout: data at an absolute offset. */
    start("buffer-offset-past-end"); external_base(); build();
    set_u64_field(M.buf[M.tbuf[W]], 1, on + 8);
    expect(FMT, "corrupt TFLite file (buffer offset out of range)");
    start("buffer-offset-at-end-with-size"); external_base(); build();
    set_u64_field(M.buf[M.tbuf[W]], 1, on);
    expect(FMT, "corrupt TFLite file (buffer offset out of range)");
    /* In range but running past the end: the bias's 8 bytes start 4 bytes
     * before the end of the file. */
    start("buffer-size-past-end"); external_base(); build();
    set_u64_field(M.buf[M.tbuf[B]], 1, on - 4);
    expect(FMT, "corrupt TFLite file (buffer offset out of range)");
    start("buffer-size-huge"); external_base(); build();
    set_u64_field(M.buf[M.tbuf[B]], 2, UINT64_MAX - 4);
    expect(FMT, "corrupt TFLite file (buffer offset out of range)");
    start("buffer-offset-size-exact"); external_base(); build();
    set_u64_field(M.buf[M.tbuf[B]], 1, on - 8); /* the last 8 bytes: in range */
    expect(BD_OK, NULL);

    start("int8-constant"); conv_base(); set_type(W, TT_INT8); set_shape(W, L(4, 3, 3, 3));
    expect(UNS, "constant tensor 't1' has a quantized or non-float type");
    start("constant-short"); conv_base(); set_data(B, pattern(TT_F32, 3, &(size_t){0}), 12);
    expect(FMT, "corrupt TFLite file (constant size does not match its shape)");
    start("constant-long"); conv_base(); set_data(B, pattern(TT_F32, 5, &(size_t){0}), 20);
    expect(FMT, "corrupt TFLite file (constant size does not match its shape)");
    start("constant-f16-f32-size"); conv_base(); set_type(B, TT_F16);
    expect(FMT, "corrupt TFLite file (constant size does not match its shape)");
    start("empty-buffer-not-constant"); conv_base(); set_data(W, "", 0);
    expect(UNS, "op CONV_2D (operator #0) is not supported: weights are not constant float tensors");
}

/* ------------------------------------------------------------------------ */
/* load_op                                                                   */

static void test_ops(void)
{
    start("operator-slot"); unary_base(RELU); bad_slot(M.v_ops, 0);
    expect(FMT, "corrupt TFLite file (operator table)");
    static const int op_fields[] = {0, 1, 2, 5};
    for (int i = 0; i < 4; i++) {
        start("operator-field"); unary_base(RELU); set_custom_opts(0, "\0\0\0\0", 4);
        bad_field(M.op[0], op_fields[i]);
        expect(FMT, "corrupt TFLite file (operator fields)");
    }
    start("opcode-index-high"); unary_base(RELU); fset_i32(M.op[0], 0, 1);
    expect(FMT, "corrupt TFLite file (opcode index out of range)");
    start("opcode-index-negative"); unary_base(RELU); fset_i32(M.op[0], 0, -1);
    expect(FMT, "corrupt TFLite file (opcode index out of range)");
    start("options-field"); softmax_base(); bad_field(M.op[0], 4);
    expect(FMT, "corrupt TFLite file (operator options)");
    start("options-table"); softmax_base(); build(); put32(M.op[0]->child[4]->pos, 0x7FFFFFF0u);
    expect(FMT, "corrupt TFLite file (operator options)");

    start("65-inputs"); {
        X = named("input", L(1, 4, 4, 1));
        int32_t ins[65];
        for (int i = 0; i < 65; i++)
            ins[i] = X;
        Y = op(CONCATENATION, NULL, ins, 65, act(L(1, 4, 4, 65)), NULL);
        one_io();
    }
    expect(UNS, "op CONCATENATION (operator #0) is not supported: too many inputs");
    start("64-inputs"); {
        X = named("input", L(1, 4, 4, 1));
        int32_t ins[64];
        for (int i = 0; i < 64; i++)
            ins[i] = X;
        Y = op(CONCATENATION, NULL, ins, 64, act(L(1, 4, 4, 64)), NULL);
        fset_i32(opts(0), 0, 3);
        one_io();
    }
    expect(BD_OK, NULL);
    start("two-op-outputs"); unary_base(RELU); Z = act(L(1, 4, 4, 2)); set_outs(0, L(Y, Z));
    expect(UNS, "op RELU (operator #0) is not supported: only single-output ops are supported");
    start("no-op-outputs"); unary_base(RELU); fset_off(M.op[0], 2, vi32(NULL, 0));
    expect(UNS, "op RELU (operator #0) is not supported: only single-output ops are supported");
    start("op-input-high"); unary_base(RELU); set_ins(0, L(2));
    expect(FMT, "corrupt TFLite file (operator input index out of range)");
    start("op-input-below-minus-1"); unary_base(RELU); set_ins(0, L(-2));
    expect(FMT, "corrupt TFLite file (operator input index out of range)");
    start("op-output-high"); unary_base(RELU); set_outs(0, L(2));
    expect(FMT, "corrupt TFLite file (operator output index out of range)");
    start("op-output-negative"); unary_base(RELU); set_outs(0, L(-1));
    expect(FMT, "corrupt TFLite file (operator output index out of range)");
    start("op-writes-constant"); conv_base(); set_outs(0, L(B));
    expect(FMT, "corrupt TFLite file (operator writes a constant tensor)");

    start("dequantize-two-inputs"); dequant_base(); set_ins(0, L(Z, Z));
    expect(FMT, "corrupt TFLite file (DEQUANTIZE inputs)");
    start("dequantize-absent-input"); dequant_base(); set_ins(0, L(-1));
    expect(FMT, "corrupt TFLite file (DEQUANTIZE inputs)");
    start("dequantize-activation"); dequant_base(); set_ins(0, L(X));
    expect(UNS, "op DEQUANTIZE (operator #0) is not supported: DEQUANTIZE of a non-constant or integer tensor");
    start("dequantize-int32"); dequant_base(); set_type(Z, TT_I32); set_shape(Z, L(2, 3, 3, 2));
    expect(UNS, "op DEQUANTIZE (operator #0) is not supported: DEQUANTIZE of a non-constant or integer tensor");
    start("dequantize-count"); dequant_base(); set_shape(W, L(2, 3, 3, 1));
    expect(FMT, "corrupt TFLite file (DEQUANTIZE shape or type)");
    start("dequantize-out-int32"); dequant_base(); set_type(W, TT_I32);
    expect(FMT, "corrupt TFLite file (DEQUANTIZE shape or type)");

    start("output-not-float"); X = named("input", L(1, 4, 4, 2)); Z = act(L(1, 4, 4, 2)); set_type(Z, TT_I32);
    op(RELU, NULL, L(X), Z, NULL); Y = op(RELU6, NULL, L(Z), act(L(1, 4, 4, 2)), NULL); one_io();
    expect(UNS, "op RELU (operator #0) is not supported: output is not float32");
    start("output-scalar"); unary_base(RELU); fset_off(M.t[Y], 0, vi32(NULL, 0));
    expect(UNS, "op RELU (operator #0) is not supported: output is a 0-D scalar");
    start("custom-op"); unary_base(RELU); M.op[0]->val[0] = (uint32_t)opcode(CUSTOM, "MyOp\x01");
    expect(UNS, "op CUSTOM 'MyOp?' (operator #0) is not supported: this custom op is not implemented");
    start("unknown-op"); unary_base(RELU); M.op[0]->val[0] = (uint32_t)opcode(SQUARED_DIFFERENCE, NULL);
    expect(UNS, "op SQUARED_DIFFERENCE (operator #0) is not supported: this op is not implemented");
    start("op-beyond-names"); unary_base(RELU); M.op[0]->val[0] = (uint32_t)opcode(200, NULL);
    expect(UNS, "op builtin #200 (operator #0) is not supported: this op is not implemented");
}

/* ------------------------------------------------------------------------ */
/* The shared checks of the op parsers                                       */

static void test_op_helpers(void)
{
    start("unary-two-inputs"); unary_base(RELU); set_ins(0, L(X, X));
    expect(FMT, "op RELU (operator #0): wrong number of inputs");
    start("unary-no-inputs"); unary_base(RELU); set_ins(0, L(0)); fset_off(M.op[0], 1, vi32(NULL, 0));
    expect(FMT, "op RELU (operator #0): wrong number of inputs");
    start("conv-no-weights"); conv_base(); set_ins(0, L(X, -1, B));
    expect(FMT, "op CONV_2D (operator #0): a required input is missing");
    start("add-int32"); binary_base(ADD); set_type(Z, TT_I32);
    expect(UNS, "op ADD (operator #0) is not supported: an input is not float32");
    start("conv-weights-activation"); conv_base(); set_ins(0, L(X, X, B));
    expect(UNS, "op CONV_2D (operator #0) is not supported: weights are not constant float tensors");
    start("conv-bias-activation"); conv_base(); Z = act(L(4)); set_ins(0, L(X, W, Z));
    expect(UNS, "op CONV_2D (operator #0) is not supported: weights are not constant float tensors");
    start("resize-size-float"); resize_base(); set_type(S, TT_F32);
    expect(UNS, "op RESIZE_BILINEAR (operator #0) is not supported: a shape operand is not a constant int32 tensor");
    start("pool-3d"); pool_base(MAX_POOL_2D); Z = cf(L(7, 7, 2)); set_ins(0, L(Z));
    expect(UNS, "op MAX_POOL_2D (operator #0) is not supported: only 4-D NHWC tensors with batch 1 are supported");
    start("relu-out-rank"); unary_base(RELU); set_shape(Y, L(4, 4, 2));
    expect(FMT, "op RELU (operator #0): output rank does not match the inferred shape");
    start("relu-out-shape"); unary_base(RELU); set_shape(Y, L(1, 4, 2, 4));
    expect(FMT, "op RELU (operator #0): output shape does not match the inferred shape");
    start("act-field"); binary_base(MUL); bad_field(opts(0), 0);
    expect(FMT, "corrupt TFLite file (op options)");
    start("act-tanh"); binary_base(SUB); fset_u8(opts(0), 0, A_TANH);
    expect(UNS, "op SUB (operator #0) is not supported: fused activation TANH/SIGN_BIT is not supported");
    start("i32-option-field"); conv_base(); bad_field(opts(0), 1);
    expect(FMT, "corrupt TFLite file (op options)");
    start("u8-option-field"); pool_base(AVERAGE_POOL_2D); bad_field(opts(0), 0);
    expect(FMT, "corrupt TFLite file (op options)");
    start("f32-option-field"); softmax_base(); bad_field(opts(0), 0);
    expect(FMT, "corrupt TFLite file (op options)");
    start("padding-mode-2"); pool_base(MAX_POOL_2D); fset_u8(opts(0), 0, 2);
    expect(UNS, "op MAX_POOL_2D (operator #0) is not supported: unknown padding mode");
}

/* ------------------------------------------------------------------------ */
/* Each op parser's own checks                                               */

static void test_parsers(void)
{
    /* CONV_2D and DEPTHWISE_CONV_2D */
    start("conv-filter-2d"); conv_base(); set_shape(W, L(4, 27));
    expect(FMT, "op CONV_2D (operator #0): filter must be 4-D");
    start("dwconv-filter-batch"); dw_base(); set_shape(W, L(2, 3, 3, 4)); set_shape(B, L(4));
    expect(FMT, "op DEPTHWISE_CONV_2D (operator #0): depthwise filter must be [1,KH,KW,C]");
    start("dwconv-channels"); dw_base(); set_shape(W, L(1, 3, 3, 3)); set_shape(B, L(3));
    set_shape(Y, L(1, 8, 8, 3));
    expect(FMT, "op DEPTHWISE_CONV_2D (operator #0): depthwise output channels are not a multiple of input channels");
    start("dwconv-dilation-field"); dw_base(); bad_field(opts(0), 6);
    expect(FMT, "corrupt TFLite file (op options)");
    start("dwconv-act-tanh"); dw_base(); fset_u8(opts(0), 4, A_TANH);
    expect(UNS, "fused activation TANH/SIGN_BIT is not supported");
    start("conv-grouped"); conv_base(); set_shape(W, L(4, 3, 3, 1));
    expect(UNS, "op CONV_2D (operator #0) is not supported: grouped convolution");
    start("conv-bias-size"); conv_base(); set_shape(B, L(5));
    expect(FMT, "op CONV_2D (operator #0): bias size does not match output channels");
    start("conv-stride-0"); conv_base(); fset_i32(opts(0), 1, 0);
    expect(FMT, "op CONV_2D (operator #0): invalid kernel, stride or dilation");
    start("conv-dilation-0"); conv_base(); fset_i32(opts(0), 5, 0);
    expect(FMT, "op CONV_2D (operator #0): invalid kernel, stride or dilation");
    start("conv-stride-4097"); conv_base(); fset_i32(opts(0), 2, 4097);
    expect(FMT, "op CONV_2D (operator #0): invalid kernel, stride or dilation");
    start("conv-valid-kernel-too-big"); conv_base(); fset_u8(opts(0), 0, VALID); set_shape(W, L(4, 9, 3, 3));
    expect(FMT, "op CONV_2D (operator #0): invalid kernel, stride or dilation");
    start("conv-valid"); conv_base(); fset_u8(opts(0), 0, VALID); set_shape(Y, L(1, 3, 3, 4));
    expect(BD_OK, NULL);
    start("conv-out-shape"); conv_base(); set_shape(Y, L(1, 4, 5, 4));
    expect(FMT, "op CONV_2D (operator #0): output shape does not match the inferred shape");

    /* TRANSPOSE_CONV and Convolution2DTransposeBias */
    start("tconv-mp-options-8"); tconv_mp_base(); mp_opts(1, 2, 2, 8);
    expect(FMT, "op CUSTOM 'Convolution2DTransposeBias' (operator #0): Convolution2DTransposeBias options must be 12 bytes");
    start("tconv-mp-padding-3"); tconv_mp_base(); mp_opts(3, 2, 2, 12);
    expect(UNS, "op CUSTOM 'Convolution2DTransposeBias' (operator #0) is not supported: unknown padding mode");
    start("tconv-mp-two-inputs"); tconv_mp_base(); set_ins(0, L(X, W));
    expect(FMT, "wrong number of inputs");
    start("tconv-output-shape-float"); tconv_base(); set_type(S, TT_F32);
    expect(UNS, "op TRANSPOSE_CONV (operator #0) is not supported: a shape operand is not a constant int32 tensor");
    start("tconv-filter-channels"); tconv_base(); set_shape(W, L(2, 3, 3, 3));
    expect(FMT, "op TRANSPOSE_CONV (operator #0): filter must be OHWI with I = input channels");
    start("tconv-bias-size"); tconv_base(); set_shape(B, L(3));
    expect(FMT, "op TRANSPOSE_CONV (operator #0): bias size does not match output channels");
    start("tconv-out-channels"); tconv_base(); set_shape(Y, L(1, 8, 8, 3));
    expect(FMT, "op TRANSPOSE_CONV (operator #0): output must be [1,H,W,filter outputs]");
    start("tconv-output-shape-operand"); tconv_base(); set_data(S, (const int32_t[]){1, 8, 7, 2}, 16);
    expect(FMT, "op TRANSPOSE_CONV (operator #0): output_shape operand does not match the output tensor");
    start("tconv-stride-0"); tconv_base(); fset_i32(opts(0), 1, 0);
    expect(FMT, "op TRANSPOSE_CONV (operator #0): invalid kernel or stride");
    start("tconv-act-field"); tconv_base(); bad_field(opts(0), 3);
    expect(FMT, "corrupt TFLite file (op options)");
    /* in 4, kernel 3, stride 2, SAME: natural size 9; 11 rows would need 3
     * extra rows, more than a stride's worth. */
    start("tconv-out-too-big"); tconv_base(); set_shape(Y, L(1, 11, 8, 2)); set_data(S, (const int32_t[]){1, 11, 8, 2}, 16);
    expect(FMT, "op TRANSPOSE_CONV (operator #0): output size is inconsistent with input, kernel and stride");
    /* VALID: no crop before, so 11 rows are 2 extra: a whole stride. */
    start("tconv-valid-adj-stride"); tconv_base(); fset_u8(opts(0), 0, VALID);
    set_shape(Y, L(1, 11, 8, 2)); set_data(S, (const int32_t[]){1, 11, 8, 2}, 16);
    expect(FMT, "op TRANSPOSE_CONV (operator #0): output size is inconsistent with input, kernel and stride");
    start("tconv-valid-adj-1"); tconv_base(); fset_u8(opts(0), 0, VALID);
    set_shape(Y, L(1, 10, 8, 2)); set_data(S, (const int32_t[]){1, 10, 8, 2}, 16);
    expect(BD_OK, NULL);
    start("tconv-out-10"); tconv_base(); set_shape(Y, L(1, 10, 8, 2)); set_data(S, (const int32_t[]){1, 10, 8, 2}, 16);
    expect(BD_OK, NULL);
    /* (W - 1) * 4096 + K exceeds int. */
    start("tconv-natural-overflow"); X = named("input", L(1, 1, 1048576, 1)); W = cf(L(1, 1, 1, 1)); B = cf(L(1));
    Y = op(CUSTOM, MP, L(X, W, B), act(L(1, 1, 1, 1)), NULL); mp_opts(2, 4096, 1, 12); one_io();
    expect(FMT, "op CUSTOM 'Convolution2DTransposeBias' (operator #0): output size is inconsistent with input, kernel and stride");
    start("tconv-mp-bias-size"); tconv_mp_base(); set_shape(B, L(4));
    expect(FMT, "op CUSTOM 'Convolution2DTransposeBias' (operator #0): bias size does not match output channels");

    /* pools */
    start("pool-filter-0"); pool_base(AVERAGE_POOL_2D); fset_i32(opts(0), 3, 0);
    expect(FMT, "op AVERAGE_POOL_2D (operator #0): invalid filter or stride");
    start("pool-act-tanh"); pool_base(AVERAGE_POOL_2D); fset_u8(opts(0), 5, A_TANH);
    expect(UNS, "fused activation TANH/SIGN_BIT is not supported");

    /* ADD, SUB, MUL, PRELU */
    start("add-broadcast"); binary_base(ADD); set_shape(Z, L(2));
    expect(FMT, "op ADD (operator #0): input shapes cannot be broadcast together");
    start("prelu-alpha-broadcast"); prelu_base(); set_shape(Z, L(1, 1, 3));
    expect(FMT, "op PRELU (operator #0): alpha cannot be broadcast to the input");
    start("prelu-alpha-larger"); prelu_base(); set_shape(Z, L(2, 4, 4, 2));
    expect(FMT, "op PRELU (operator #0): alpha cannot be broadcast to the input");

    /* MEAN */
    start("mean-axis-5"); mean_base(); set_data(S, (const int32_t[]){1, 5}, 8);
    expect(FMT, "op MEAN (operator #0): axis out of range");
    start("mean-axis-minus-5"); mean_base(); set_data(S, (const int32_t[]){1, -5}, 8);
    expect(FMT, "op MEAN (operator #0): axis out of range");
    start("mean-axes-1"); mean_base(); S = ints(L(1)); set_ins(0, L(X, S));
    expect(UNS, "op MEAN (operator #0) is not supported: only the mean over axes 1 and 2");
    start("mean-negative-axes"); mean_base(); set_data(S, (const int32_t[]){-3, -2}, 8);
    expect(BD_OK, NULL);
    start("mean-out-count"); mean_base(); set_shape(Y, L(1, 1, 1, 2));
    expect(FMT, "op MEAN (operator #0): output size must be the channel count");
    start("mean-keep-dims-field"); mean_base(); bad_field(opts(0), 0);
    expect(FMT, "corrupt TFLite file (op options)");
    start("mean-keep-dims-shape"); mean_base(); set_shape(Y, L(1, 3));
    expect(FMT, "op MEAN (operator #0): output rank does not match the inferred shape");
    start("mean-no-keep-dims"); mean_base(); fset_u8(opts(0), 0, 0); set_shape(Y, L(1, 3));
    expect(BD_OK, NULL);

    /* RESIZE_BILINEAR */
    start("resize-size-3"); resize_base(); S = ints(L(8, 6, 1)); set_ins(0, L(X, S));
    expect(FMT, "op RESIZE_BILINEAR (operator #0): size must have 2 values");
    start("resize-both-modes"); resize_base(); fset_u8(opts(0), 2, 1);
    expect(FMT, "op RESIZE_BILINEAR (operator #0): align_corners and half_pixel_centers cannot both be set");
    start("resize-align-field"); resize_base(); bad_field(opts(0), 2);
    expect(FMT, "corrupt TFLite file (op options)");
    start("resize-half-pixel-field"); resize_base(); bad_field(opts(0), 3);
    expect(FMT, "corrupt TFLite file (op options)");
    start("resize-size-0"); resize_base(); set_data(S, (const int32_t[]){0, 6}, 8);
    expect(FMT, "op RESIZE_BILINEAR (operator #0): invalid output size");
    start("resize-size-16385"); resize_base(); set_data(S, (const int32_t[]){8, 16385}, 8);
    expect(FMT, "op RESIZE_BILINEAR (operator #0): invalid output size");

    /* CONCATENATION (operator #1) */
    start("concat-missing-input"); concat_base(); set_ins(1, L(X, -1, X));
    expect(FMT, "op CONCATENATION (operator #1): missing input");
    start("concat-axis-field"); concat_base(); bad_field(opts(1), 0);
    expect(FMT, "corrupt TFLite file (op options)");
    start("concat-axis-4"); concat_base(); fset_i32(opts(1), 0, 4);
    expect(FMT, "op CONCATENATION (operator #1): axis out of range");
    start("concat-axis-minus-5"); concat_base(); fset_i32(opts(1), 0, -5);
    expect(FMT, "op CONCATENATION (operator #1): axis out of range");
    start("concat-rank"); concat_base(); Z = cf(L(4, 4, 2)); set_ins(1, L(X, Z, X));
    expect(FMT, "op CONCATENATION (operator #1): inputs differ in rank");
    start("concat-other-axis"); concat_base(); Z = cf(L(1, 4, 3, 2)); set_ins(1, L(X, Z, X));
    expect(FMT, "op CONCATENATION (operator #1): inputs differ outside the concatenation axis");
    /* 8 x 2^28 along W: the sum passes INT_MAX. */
    start("concat-too-large"); X = named("input", L(1, 1, 268435456, 1));
    Y = op(CONCATENATION, NULL, L(X, X, X, X, X, X, X, X), act(L(1, 1, 1, 1)), NULL); one_io();
    fset_i32(opts(0), 0, 2);
    expect(FMT, "op CONCATENATION (operator #0): concatenated size is too large");

    /* SOFTMAX, LEAKY_RELU */
    start("softmax-beta-nan"); softmax_base(); fset_f32(opts(0), 0, NAN);
    expect(FMT, "op SOFTMAX (operator #0): invalid beta");
    start("softmax-beta-inf"); softmax_base(); fset_f32(opts(0), 0, INFINITY);
    expect(FMT, "op SOFTMAX (operator #0): invalid beta");
    start("softmax-two-inputs"); softmax_base(); set_ins(0, L(X, X));
    expect(FMT, "op SOFTMAX (operator #0): wrong number of inputs");
    start("leaky-alpha-inf"); leaky_base(); fset_f32(opts(0), 0, -INFINITY);
    expect(FMT, "op LEAKY_RELU (operator #0): invalid alpha");
    start("leaky-alpha-field"); leaky_base(); bad_field(opts(0), 0);
    expect(FMT, "corrupt TFLite file (op options)");

    /* PAD */
    start("pad-paddings-3x2"); pad_base(); set_shape(S, L(3, 2));
    expect(FMT, "op PAD (operator #0): paddings must be [rank, 2]");
    start("pad-negative"); pad_base(); set_data(S, (const int32_t[]){0, 0, 1, 1, 2, -1, 0, 0}, 32);
    set_shape(Y, L(1, 6, 5, 2)); /* the shape the padding would give */
    expect(FMT, "op PAD (operator #0): invalid padding");
    start("pad-65537"); pad_base(); set_data(S, (const int32_t[]){0, 0, 1, 1, 2, 0, 0, 65537}, 32);
    expect(FMT, "op PAD (operator #0): invalid padding");
    start("pad-out-shape"); pad_base(); set_shape(Y, L(1, 6, 5, 2));
    expect(FMT, "op PAD (operator #0): output shape does not match the inferred shape");

    /* RESHAPE, SQUEEZE, EXPAND_DIMS */
    start("reshape-count"); reshape_base(RESHAPE); set_shape(Y, L(1, 16, 3));
    expect(FMT, "op RESHAPE (operator #0): reshape changes the element count");
    start("squeeze-count"); reshape_base(SQUEEZE); set_shape(Y, L(16));
    expect(FMT, "op SQUEEZE (operator #0): reshape changes the element count");
    start("expand-dims-three-inputs"); reshape_base(EXPAND_DIMS); set_ins(0, L(X, S, S));
    expect(FMT, "op EXPAND_DIMS (operator #0): wrong number of inputs");

    /* FULLY_CONNECTED */
    start("fc-shuffled"); fc_base(); fset_u8(opts(0), 1, 1);
    expect(UNS, "op FULLY_CONNECTED (operator #0) is not supported: shuffled weights format");
    start("fc-format-field"); fc_base(); bad_field(opts(0), 1);
    expect(FMT, "corrupt TFLite file (op options)");
    start("fc-bias-activation"); fc_base(); Z = act(L(5)); set_ins(0, L(X, W, Z));
    expect(UNS, "op FULLY_CONNECTED (operator #0) is not supported: weights are not constant float tensors");
    start("fc-act-tanh"); fc_base(); fset_u8(opts(0), 0, A_TANH);
    expect(UNS, "fused activation TANH/SIGN_BIT is not supported");
    start("fc-weights-3d"); fc_base(); set_shape(W, L(5, 2, 2));
    expect(FMT, "op FULLY_CONNECTED (operator #0): weights must be 2-D");
    start("fc-input-multiple"); fc_base(); set_shape(W, L(5, 3));
    expect(FMT, "op FULLY_CONNECTED (operator #0): input size is not a multiple of the weights' input size");
    start("fc-bias-size"); fc_base(); set_shape(B, L(4));
    expect(FMT, "op FULLY_CONNECTED (operator #0): bias size does not match output size");
    start("fc-out-count"); fc_base(); set_shape(Y, L(4, 4));
    expect(FMT, "op FULLY_CONNECTED (operator #0): output shape does not match");
    start("fc-out-last-dim"); fc_base(); set_shape(Y, L(5, 4));
    expect(FMT, "op FULLY_CONNECTED (operator #0): output shape does not match");
}

/* ------------------------------------------------------------------------ */
/* The graph: order, single writers, outputs; bd_graph_select_output         */

static void test_graph(void)
{
    start("dequantize-into-input"); X = named("input", L(1, 2, 3, 2)); Z = konst(TT_F16, L(1, 2, 3, 2));
    op(DEQUANTIZE, NULL, L(Z), X, NULL);
    Y = op(RELU, NULL, L(X), act(L(1, 2, 3, 2)), NULL); one_io();
    expect(FMT, "model 'dequantize-into-input': the input tensor is written by an operator");
    start("read-before-write"); X = named("input", L(1, 4, 4, 2)); Z = act(L(1, 4, 4, 2));
    Y = op(RELU, NULL, L(Z), act(L(1, 4, 4, 2)), NULL);
    op(RELU6, NULL, L(X), Z, NULL); one_io();
    expect(FMT, "operator #0 reads tensor 't1' before anything writes it");
    start("read-never-written"); X = named("input", L(1, 4, 4, 2)); Z = act(L(1, 4, 4, 2));
    Y = op(ADD, NULL, L(X, Z), act(L(1, 4, 4, 2)), NULL); one_io();
    expect(FMT, "operator #0 reads tensor 't1' before anything writes it");
    start("written-twice"); unary_base(RELU); op(RELU6, NULL, L(X), Y, NULL);
    expect(FMT, "model 'written-twice': tensor 't1' is written twice");
    start("op-writes-input"); unary_base(RELU); op(RELU6, NULL, L(Y), X, NULL);
    expect(FMT, "model 'op-writes-input': tensor 'input' is written twice");
    start("dequantize-over-op-output"); X = named("input", L(1, 2, 3, 2)); Y = act(L(1, 2, 3, 2));
    Z = konst(TT_F16, L(1, 2, 3, 2));
    op(RELU, NULL, L(X), Y, NULL);
    op(DEQUANTIZE, NULL, L(Z), Y, NULL); one_io();
    expect(FMT, "model 'dequantize-over-op-output': tensor 't1' is written twice");
    start("output-never-computed"); unary_base(RELU); Z = act(L(1, 4, 4, 2)); io(L(X), L(Y, Z));
    expect(FMT, "model 'output-never-computed': output 't2' is never computed");
    start("output-is-input"); unary_base(RELU); io(L(X), L(Y, X));
    expect(BD_OK, NULL);

    /* bd_graph_select_output, which model.c calls with an index it checked. */
    start("select-output"); multi_output_base(); build();
    struct bd_graph *g = NULL;
    int r = bd_tflite_load(ob, on, M.name, &g);
    CHECK(r == BD_OK && g && g->num_outputs == 2, "multi-output: %d %s", r, bd_last_error());
    if (r == BD_OK) {
        int bad[] = {2, -1};
        for (int i = 0; i < 2; i++) {
            r = bd_graph_select_output(g, bad[i]);
            char want[64];
            snprintf(want, sizeof want, "output index %d out of range", bad[i]);
            CHECK(r == BD_ERR_INVALID_ARG && !strcmp(bd_last_error(), want), "select %d: %d '%s'", bad[i], r,
                  bd_last_error());
            if (r == BD_ERR_INVALID_ARG)
                remember(bd_last_error());
        }
        /* output 1 (the RELU) alone: the LOGISTIC is dropped */
        r = bd_graph_select_output(g, 1);
        CHECK(r == BD_OK && g->num_outputs == 1 && g->num_ops == 1 && g->outputs[0] == Z &&
                  g->tensors[Z].last_use == INT_MAX,
              "select 1: %d, %d outputs, %d ops", r, g->num_outputs, g->num_ops);
        bd_graph_free(g);
    }
}

/* ------------------------------------------------------------------------ */
/* Coverage guard: every message of tflite.c seen in some case                */

/* The literal text between format directives, longest piece. */
static void longest_piece(const char *lit, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = lit;
    while (*p) {
        const char *q = p;
        while (*q && *q != '%')
            q++;
        if ((size_t)(q - p) > strlen(out) && (size_t)(q - p) < cap) {
            memcpy(out, p, (size_t)(q - p));
            out[q - p] = '\0';
        }
        if (!*q)
            break;
        q++; /* the directive: flags, length, conversion */
        while (*q && strchr("0123456789.-lzh", *q))
            q++;
        p = *q ? q + 1 : q;
    }
}

static void test_coverage(void)
{
    const char *path = "src/model/tflite.c";
    FILE *f = fopen(path, "r");
    if (!f) {
        SKIP_PROVIDED("%s not found (run from the repository root): coverage guard not run", path);
        return;
    }
    static char src[1 << 17];
    size_t n = fread(src, 1, sizeof src - 1, f);
    fclose(f);
    src[n] = '\0';
    static const char *const calls[] = {"corrupt(", "shape_error(", "unsupported(", "bd_fail("};
    int sites = 0, missed = 0;
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        for (const char *p = strstr(src, calls[c]); p; p = strstr(p + 1, calls[c])) {
            if (p > src && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
                continue; /* another name ending in the same letters */
            /* the call's text up to its closing parenthesis */
            const char *e = p + strlen(calls[c]);
            int depth = 1, in_str = 0;
            for (; *e && depth; e++) {
                if (in_str) {
                    if (*e == '\\')
                        e++;
                    else if (*e == '"')
                        in_str = 0;
                } else if (*e == '"') {
                    in_str = 1;
                } else if (*e == '(') {
                    depth++;
                } else if (*e == ')') {
                    depth--;
                }
            }
            for (const char *s = p; s < e; s++) {
                if (*s != '"')
                    continue;
                const char *t = s + 1;
                while (t < e && *t != '"')
                    t += *t == '\\' ? 2 : 1;
                char lit[512], piece[512];
                size_t len = (size_t)(t - s - 1) < sizeof lit - 1 ? (size_t)(t - s - 1) : sizeof lit - 1;
                memcpy(lit, s + 1, len);
                lit[len] = '\0';
                s = t;
                longest_piece(lit, piece, sizeof piece);
                if (strstr(piece, "out of memory") || !piece[0])
                    continue; /* see the header */
                sites++;
                int found = 0;
                for (int k = 0; k < nseen && !found; k++)
                    found = strstr(seen[k], piece) != NULL;
                if (!found) {
                    missed++;
                    printf("FAIL: no case of this message of %s: \"%s\"\n", path, lit);
                }
            }
        }
    }
    CHECK(sites >= 100, "only %d messages found in %s: has the file changed shape?", sites, path);
    CHECK(missed == 0, "%d of %d messages of %s have no case here", missed, sites, path);
    printf("coverage: %d messages of %s, each seen in a case\n", sites - missed, path);
}

int main(void)
{
    test_bases();
    test_file();
    test_tensors();
    test_ops();
    test_op_helpers();
    test_parsers();
    test_graph();
    test_coverage();
    free(ob);
    for (int i = 0; i < nseen; i++)
        free(seen[i]);
    return check_report();
}
