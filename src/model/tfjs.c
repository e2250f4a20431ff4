/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TF.js graph-model reader: model.json + weight shards → validated
 * struct bd_graph, specialised for one input size and downsample ratio.
 *
 * The file is a TensorFlow GraphDef in JSON (cJSON parses it). Every node is
 * evaluated once, in dependency order, to one of:
 *  - a constant (weights, and everything computed from constants and from
 *    the known shapes of activations: Shape, StridedSlice, Pack, Cast, ...),
 *    evaluated here with TensorFlow's int32/float32 semantics;
 *  - an activation: a graph tensor some emitted bd_op writes;
 *  - dead: the untaken side of a Switch, which TensorFlow's dataflow rules
 *    propagate until a Merge picks the live side;
 *  - a pending pattern (SpaceToBatchND, then its depthwise conv) that only
 *    BatchToSpaceND completes, into one dilated DWCONV2D.
 * Values read from the file are checked before they are used as a length,
 * an index or a shape; ops are refused by name rather than guessed at.
 */
#include "tfjs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define MAX_NODES 100000
#define MAX_NODE_INPUTS 64
#define MAX_SPLIT 16
#define MAX_JSON (64u << 20)
#define MAX_WEIGHT_BYTES (1u << 30)
#define MAX_ELEMENTS (1u << 28)
#define MAX_ACTIVATION_ELEMENTS (1u << 28)
#define MAX_CONST_ELEMENTS (1u << 26)
#define MAX_SIDE 16384

enum vkind { VK_NONE = 0, VK_DEAD, VK_CONST, VK_ACT, VK_STATE, VK_S2B, VK_S2B_DW };
enum cdt { CD_F32, CD_I32, CD_BOOL };

struct val {
    enum vkind kind;
    /* VK_CONST */
    enum cdt dt;
    int ndim, dims[BD_MAX_DIMS];
    size_t count;
    void *data;          /* float or int32_t (bool as 0/1 int32) */
    /* VK_ACT: the tensor; VK_CONST: its graph tensor once made (-1);
     * VK_S2B / VK_S2B_DW: the (padded) input activation. */
    int tensor;
    int state;           /* VK_STATE: index into state names */
    int block, pads[2][2];          /* VK_S2B */
    int filter, bias;               /* VK_S2B_DW */
    struct bd_conv_params conv;     /* VK_S2B_DW */
};

struct node {
    const cJSON *j;
    const char *name, *op;
    int nin;
    int *in, *port;
    unsigned char *ctrl;
    int nout;
    struct val *out;
    int pending;         /* inputs not yet evaluated */
};

struct weight {
    const char *name;
    enum cdt dt;
    int ndim, dims[BD_MAX_DIMS];
    size_t count;
    void *data;
};

struct loader {
    const char *name;
    const struct bd_tfjs_spec *spec;
    struct bd_graph *g;
    cJSON *root;
    struct node *nodes;
    int num_nodes;
    int *by_name;        /* node indices sorted by name */
    struct weight *w;
    int num_w;
    /* growing graph */
    struct bd_tensor *t;
    int nt, capt;
    struct bd_op *ops;
    int nops, capops;
    uint64_t act_elements;
    /* scratch blocks freed at the end */
    void **tmp;
    int ntmp, captmp;
    const struct node *cur;
    const char *state_names[4];
    int state_tensor[4];
    int num_states;
};

static const char *const output_names[] = {"pha", "r1o", "r2o", "r3o", "r4o", "fgr"};

/* ---- errors and memory -------------------------------------------------- */

static int corrupt(struct loader *L, const char *what)
{
    return bd_fail(BD_ERR_FORMAT, "model '%s': corrupt TF.js model (%s); re-download or re-export the model",
                   L->name, what);
}

static int node_error(struct loader *L, const char *why)
{
    const struct node *n = L->cur;
    return bd_fail(BD_ERR_FORMAT, "model '%s': node '%s' (op %s): %s", L->name,
                   n ? n->name : "?", n ? n->op : "?", why);
}

static int unsupported(struct loader *L, const char *why)
{
    const struct node *n = L->cur;
    return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': node '%s' (op %s) is not supported: %s",
                   L->name, n ? n->name : "?", n ? n->op : "?", why);
}

static int nomem(struct loader *L)
{
    return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
}

static void *tmp_alloc(struct loader *L, size_t size)
{
    if (L->ntmp == L->captmp) {
        int cap = L->captmp ? L->captmp * 2 : 256;
        void **nb = realloc(L->tmp, (size_t)cap * sizeof *nb);
        if (!nb)
            return NULL;
        L->tmp = nb;
        L->captmp = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p)
        L->tmp[L->ntmp++] = p;
    return p;
}

/* ---- JSON helpers ------------------------------------------------------- */

static const cJSON *attr(const struct node *n, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(n->j, "attr");
    return cJSON_IsObject(a) ? cJSON_GetObjectItemCaseSensitive(a, key) : NULL;
}

/* int64 from a JSON number or a decimal string (protobuf's JSON int64). */
static int json_int(const cJSON *v, long long *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!(d >= -9e15 && d <= 9e15) || d != floor(d))
            return -1;
        *out = (long long)d;
        return 0;
    }
    if (cJSON_IsString(v) && v->valuestring && v->valuestring[0]) {
        char *end;
        errno = 0;
        long long x = strtoll(v->valuestring, &end, 10);
        if (errno || *end)
            return -1;
        *out = x;
        return 0;
    }
    return -1;
}

static int attr_int(struct loader *L, const struct node *n, const char *key, long long def, long long *out)
{
    const cJSON *a = attr(n, key);
    *out = def;
    if (!a)
        return 0;
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(a, "i");
    if (!i)
        return 0; /* protobuf JSON omits zero values */
    if (json_int(i, out))
        return node_error(L, "an integer attribute is malformed");
    return 0;
}

static int attr_bool(const struct node *n, const char *key)
{
    const cJSON *a = attr(n, key);
    const cJSON *b = a ? cJSON_GetObjectItemCaseSensitive(a, "b") : NULL;
    return cJSON_IsTrue(b);
}

/* A string attribute (base64 in the file) compared with base64 literals. */
static const char *attr_str(const struct node *n, const char *key)
{
    const cJSON *a = attr(n, key);
    const cJSON *s = a ? cJSON_GetObjectItemCaseSensitive(a, "s") : NULL;
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

#define B64_SAME "U0FNRQ=="
#define B64_VALID "VkFMSUQ="
#define B64_NHWC "TkhXQw=="
#define B64_BIASADD "Qmlhc0FkZA=="
#define B64_RELU "UmVsdQ=="
#define B64_RELU6 "UmVsdTY="

/* {"list": {"i": [...]}} → up to max ints; *n = count (0 when absent). */
static int attr_ilist(struct loader *L, const struct node *n, const char *key, long long *v, int max, int *num)
{
    *num = 0;
    const cJSON *a = attr(n, key);
    const cJSON *l = a ? cJSON_GetObjectItemCaseSensitive(a, "list") : NULL;
    const cJSON *i = l ? cJSON_GetObjectItemCaseSensitive(l, "i") : NULL;
    if (!i)
        return 0;
    if (!cJSON_IsArray(i))
        return node_error(L, "a list attribute is malformed");
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, i) {
        if (k >= max)
            return node_error(L, "a list attribute is too long");
        if (json_int(e, &v[k]))
            return node_error(L, "a list attribute is malformed");
        k++;
    }
    *num = k;
    return 0;
}

static int attr_slist(struct loader *L, const struct node *n, const char *key, const char **v, int max, int *num)
{
    *num = 0;
    const cJSON *a = attr(n, key);
    const cJSON *l = a ? cJSON_GetObjectItemCaseSensitive(a, "list") : NULL;
    const cJSON *s = l ? cJSON_GetObjectItemCaseSensitive(l, "s") : NULL;
    if (!s)
        return 0;
    if (!cJSON_IsArray(s))
        return node_error(L, "a list attribute is malformed");
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, s) {
        if (k >= max || !cJSON_IsString(e))
            return node_error(L, "a list attribute is malformed");
        v[k++] = e->valuestring;
    }
    *num = k;
    return 0;
}

/* A TensorShapeProto {"dim": [{"size": "3"}, ...]} into dims; -1 allowed. */
static int json_shape(const cJSON *shape, int *ndim, long long *dims)
{
    *ndim = 0;
    if (!shape)
        return 0;
    const cJSON *dim = cJSON_GetObjectItemCaseSensitive(shape, "dim");
    if (!dim)
        return 0;
    if (!cJSON_IsArray(dim))
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, dim) {
        if (*ndim >= BD_MAX_DIMS)
            return -1;
        long long v = 1;
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "size");
        if (s && json_int(s, &v))
            return -1;
        if (v < -1 || v > MAX_ELEMENTS)
            return -1;
        dims[(*ndim)++] = v;
    }
    return 0;
}

/* ---- graph building ----------------------------------------------------- */

static int count_of(int ndim, const int *dims, size_t *count)
{
    uint64_t c = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 1)
            return -1;
        c *= (uint64_t)dims[d];
        if (c > MAX_ELEMENTS)
            return -1;
    }
    *count = (size_t)c;
    return 0;
}

static char *graph_strdup(struct loader *L, const char *s)
{
    size_t n = strlen(s);
    if (n > 255)
        n = 255;
    char *c = bd_graph_alloc(L->g, n + 1);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* A new graph tensor; data (owned by the graph) or NULL for an activation. */
static int new_tensor(struct loader *L, int ndim, const int *dims, void *data, const char *name, int *idx)
{
    if (ndim < 1 || ndim > BD_MAX_DIMS)
        return node_error(L, "a tensor must have 1 to 4 dimensions");
    size_t count;
    if (count_of(ndim, dims, &count))
        return node_error(L, "a tensor dimension is zero, negative or too large");
    if (!data) {
        L->act_elements += count;
        if (L->act_elements > MAX_ACTIVATION_ELEMENTS)
            return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': its activations at %dx%d need more than %u MiB; use a smaller input",
                           L->name, L->spec->width, L->spec->height, MAX_ACTIVATION_ELEMENTS * 4u >> 20);
    }
    if (L->nt == L->capt) {
        int cap = L->capt ? L->capt * 2 : 512;
        struct bd_tensor *nt = realloc(L->t, (size_t)cap * sizeof *nt);
        if (!nt)
            return nomem(L);
        L->t = nt;
        L->capt = cap;
    }
    struct bd_tensor *t = &L->t[L->nt];
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->dtype = BD_DT_F32;
    t->count = count;
    t->data = data;
    t->name = graph_strdup(L, name ? name : "");
    if (!t->name)
        return nomem(L);
    t->producer = -1;
    t->last_use = -1;
    if (data)
        L->g->weight_bytes += count * 4;
    *idx = L->nt++;
    return 0;
}

/* The graph tensor holding a float constant (made once). */
static int const_tensor(struct loader *L, struct val *v, int *idx)
{
    if (v->kind != VK_CONST)
        return node_error(L, "an operand is neither a constant nor an activation");
    if (v->tensor >= 0) {
        *idx = v->tensor;
        return 0;
    }
    if (v->dt != CD_F32)
        return unsupported(L, "a float operand is an integer or boolean constant");
    float *data = bd_graph_alloc(L->g, v->count * 4);
    if (!data)
        return nomem(L);
    memcpy(data, v->data, v->count * 4);
    int one = 1;
    int r = new_tensor(L, v->ndim ? v->ndim : 1, v->ndim ? v->dims : &one, data, "", idx);
    if (r)
        return r;
    v->tensor = *idx;
    return 0;
}

/* Activation or float constant → tensor index. */
static int operand(struct loader *L, struct val *v, int *idx)
{
    if (v->kind == VK_ACT) {
        *idx = v->tensor;
        return 0;
    }
    return const_tensor(L, v, idx);
}

/* Emits an op writing a new activation of the given shape into *res. */
static int emit(struct loader *L, enum bd_op_type type, const int *ins, int nin, int ndim, const int *dims,
                struct val *res, struct bd_op **opp)
{
    int out, r;
    if ((r = new_tensor(L, ndim, dims, NULL, L->cur->name, &out)))
        return r;
    if (L->nops == L->capops) {
        int cap = L->capops ? L->capops * 2 : 512;
        struct bd_op *no = realloc(L->ops, (size_t)cap * sizeof *no);
        if (!no)
            return nomem(L);
        L->ops = no;
        L->capops = cap;
    }
    struct bd_op *op = &L->ops[L->nops++];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->num_inputs = nin;
    op->inputs = bd_graph_alloc(L->g, (size_t)nin * sizeof(int));
    if (!op->inputs)
        return nomem(L);
    memcpy(op->inputs, ins, (size_t)nin * sizeof(int));
    op->output = out;
    op->tflite_name = bd_op_type_name(type);
    memset(res, 0, sizeof *res);
    res->kind = VK_ACT;
    res->tensor = out;
    res->ndim = ndim;
    memcpy(res->dims, dims, (size_t)ndim * sizeof *dims);
    res->count = L->t[out].count;
    if (opp)
        *opp = op;
    return 0;
}

/* ---- constants ---------------------------------------------------------- */

static int new_const(struct loader *L, struct val *v, enum cdt dt, int ndim, const int *dims)
{
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0)
            return node_error(L, "a constant has a negative dimension");
        count *= (size_t)dims[d];
        if (count > MAX_CONST_ELEMENTS)
            return unsupported(L, "a computed constant is too large");
    }
    memset(v, 0, sizeof *v);
    v->kind = VK_CONST;
    v->dt = dt;
    v->ndim = ndim;
    if (ndim)
        memcpy(v->dims, dims, (size_t)ndim * sizeof *dims);
    v->count = count;
    v->tensor = -1;
    v->data = tmp_alloc(L, count * 4);
    return v->data ? 0 : nomem(L);
}

static double cget(const struct val *v, size_t i)
{
    return v->dt == CD_F32 ? (double)((const float *)v->data)[i] : (double)((const int32_t *)v->data)[i];
}

/* An int32 constant (scalar or 1-D) into ints; fails if not int32. */
static int const_ints(struct loader *L, const struct val *v, int *out, int max, int *n, const char *what)
{
    char msg[96];
    if (v->kind != VK_CONST || v->dt != CD_I32 || v->ndim > 1 || v->count > (size_t)max) {
        snprintf(msg, sizeof msg, "%s is not a small constant int32 vector", what);
        return unsupported(L, msg);
    }
    for (size_t i = 0; i < v->count; i++)
        out[i] = ((const int32_t *)v->data)[i];
    *n = (int)v->count;
    return 0;
}

/* ---- weights ------------------------------------------------------------ */

static int cmp_weight(const void *a, const void *b)
{
    return strcmp(((const struct weight *)a)->name, ((const struct weight *)b)->name);
}

static const struct bd_tfjs_shard *find_shard(const struct bd_tfjs_shard *s, int n, const char *path)
{
    for (int i = 0; i < n; i++)
        if (s[i].path && strcmp(s[i].path, path) == 0)
            return &s[i];
    return NULL;
}

static int load_weights(struct loader *L, const struct bd_tfjs_shard *shards, int num_shards)
{
    const cJSON *man = cJSON_GetObjectItemCaseSensitive(L->root, "weightsManifest");
    if (!cJSON_IsArray(man))
        return corrupt(L, "no weightsManifest");
    int total = 0;
    const cJSON *grp;
    cJSON_ArrayForEach(grp, man) {
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(grp, "weights");
        if (!cJSON_IsArray(ws))
            return corrupt(L, "a weightsManifest group has no weights");
        int n = cJSON_GetArraySize(ws);
        if (n < 0 || n > MAX_NODES || total > MAX_NODES - n)
            return corrupt(L, "too many weights");
        total += n;
    }
    L->w = tmp_alloc(L, (size_t)(total ? total : 1) * sizeof *L->w);
    if (!L->w)
        return nomem(L);
    uint64_t all_bytes = 0;
    cJSON_ArrayForEach(grp, man) {
        /* The group's shards, concatenated in order, hold its weights. */
        const cJSON *paths = cJSON_GetObjectItemCaseSensitive(grp, "paths");
        if (!cJSON_IsArray(paths) || cJSON_GetArraySize(paths) < 1 || cJSON_GetArraySize(paths) > 1024)
            return corrupt(L, "a weightsManifest group has no paths");
        uint64_t size = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, paths) {
            if (!cJSON_IsString(p))
                return corrupt(L, "a weight path is not a string");
            const struct bd_tfjs_shard *s = find_shard(shards, num_shards, p->valuestring);
            if (!s)
                return bd_fail(BD_ERR_FORMAT, "model '%s': weight file '%s' is missing; put it beside model.json",
                               L->name, p->valuestring);
            size += s->size;
            if (size > MAX_WEIGHT_BYTES)
                return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': weights over 1 GiB are not supported", L->name);
        }
        all_bytes += size;
        if (all_bytes > MAX_WEIGHT_BYTES)
            return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': weights over 1 GiB are not supported", L->name);
        uint8_t *buf = tmp_alloc(L, (size_t)size);
        if (!buf)
            return nomem(L);
        size_t at = 0;
        cJSON_ArrayForEach(p, paths) {
            const struct bd_tfjs_shard *s = find_shard(shards, num_shards, p->valuestring);
            if (s->size)
                memcpy(buf + at, s->data, s->size);
            at += s->size;
        }
        uint64_t off = 0;
        const cJSON *wj;
        cJSON_ArrayForEach(wj, cJSON_GetObjectItemCaseSensitive(grp, "weights")) {
            struct weight *w = &L->w[L->num_w];
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(wj, "name");
            const cJSON *sh = cJSON_GetObjectItemCaseSensitive(wj, "shape");
            const cJSON *dt = cJSON_GetObjectItemCaseSensitive(wj, "dtype");
            if (!cJSON_IsString(nm) || !cJSON_IsArray(sh) || !cJSON_IsString(dt))
                return corrupt(L, "a weight entry lacks its name, shape or dtype");
            w->name = nm->valuestring;
            int nd = cJSON_GetArraySize(sh);
            if (nd > BD_MAX_DIMS)
                return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': weight '%s' has %d dimensions; at most 4 are supported",
                               L->name, w->name, nd);
            w->ndim = 0;
            uint64_t count = 1;
            const cJSON *d;
            cJSON_ArrayForEach(d, sh) {
                long long v;
                if (json_int(d, &v) || v < 0 || v > MAX_ELEMENTS)
                    return corrupt(L, "a weight dimension is negative or too large");
                w->dims[w->ndim++] = (int)v;
                count *= (uint64_t)v;
                if (count > MAX_ELEMENTS)
                    return corrupt(L, "a weight is too large");
            }
            w->count = (size_t)count;
            const char *dts = dt->valuestring;
            if (strcmp(dts, "float32") == 0)
                w->dt = CD_F32;
            else if (strcmp(dts, "int32") == 0)
                w->dt = CD_I32;
            else if (strcmp(dts, "bool") == 0)
                w->dt = CD_BOOL;
            else
                return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': weight '%s' has dtype '%s'; float32, int32 and bool are supported",
                               L->name, w->name, dts);
            /* stored as: */
            enum { Q_NONE, Q_U8, Q_U16, Q_F16 } q = Q_NONE;
            double qmin = 0, qscale = 1;
            const cJSON *qj = cJSON_GetObjectItemCaseSensitive(wj, "quantization");
            if (qj) {
                const cJSON *qd = cJSON_GetObjectItemCaseSensitive(qj, "dtype");
                if (!cJSON_IsString(qd))
                    return corrupt(L, "a weight's quantization has no dtype");
                if (strcmp(qd->valuestring, "uint8") == 0)
                    q = Q_U8;
                else if (strcmp(qd->valuestring, "uint16") == 0)
                    q = Q_U16;
                else if (strcmp(qd->valuestring, "float16") == 0)
                    q = Q_F16;
                else
                    return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': weight '%s' is quantised as '%s'; uint8, uint16 and float16 are supported",
                                   L->name, w->name, qd->valuestring);
                if (w->dt != CD_F32)
                    return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': weight '%s': only float32 weights may be quantised",
                                   L->name, w->name);
                if (q != Q_F16) {
                    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(qj, "min");
                    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(qj, "scale");
                    if (!cJSON_IsNumber(mn) || !cJSON_IsNumber(sc) || !isfinite(mn->valuedouble) ||
                        !isfinite(sc->valuedouble))
                        return corrupt(L, "a quantised weight lacks a finite min or scale");
                    qmin = mn->valuedouble;
                    qscale = sc->valuedouble;
                }
            }
            size_t esize = q == Q_U8 ? 1 : (q == Q_U16 || q == Q_F16) ? 2 : w->dt == CD_BOOL ? 1 : 4;
            uint64_t bytes = (uint64_t)w->count * esize;
            if (off + bytes > size)
                return bd_fail(BD_ERR_FORMAT, "model '%s': weight '%s' runs past the end of its weight files (truncated file or wrong manifest); re-download the model",
                               L->name, w->name);
            const uint8_t *src = buf + off;
            off += bytes;
            w->data = tmp_alloc(L, w->count * 4);
            if (!w->data)
                return nomem(L);
            for (size_t i = 0; i < w->count; i++) {
                if (w->dt == CD_F32) {
                    float f;
                    switch (q) {
                    case Q_U8: f = (float)(src[i] * qscale + qmin); break;
                    case Q_U16: f = (float)((src[2 * i] | src[2 * i + 1] << 8) * qscale + qmin); break;
                    case Q_F16: f = bd_half_to_float((uint16_t)(src[2 * i] | src[2 * i + 1] << 8)); break;
                    default: memcpy(&f, src + 4 * i, 4); break;
                    }
                    if (!isfinite(f))
                        return bd_fail(BD_ERR_FORMAT, "model '%s': weight '%s' holds a NaN or infinity; re-download the model",
                                       L->name, w->name);
                    ((float *)w->data)[i] = f;
                } else if (w->dt == CD_I32) {
                    int32_t v;
                    memcpy(&v, src + 4 * i, 4);
                    ((int32_t *)w->data)[i] = v;
                } else {
                    ((int32_t *)w->data)[i] = src[i] != 0;
                }
            }
            L->num_w++;
        }
        if (off != size)
            return bd_fail(BD_ERR_FORMAT, "model '%s': the weight files hold %llu bytes but the manifest describes %llu (wrong manifest or weight file); re-download the model",
                           L->name, (unsigned long long)size, (unsigned long long)off);
    }
    qsort(L->w, (size_t)L->num_w, sizeof *L->w, cmp_weight);
    for (int i = 1; i < L->num_w; i++)
        if (strcmp(L->w[i - 1].name, L->w[i].name) == 0)
            return corrupt(L, "two weights have the same name");
    return 0;
}

static const struct weight *find_weight(struct loader *L, const char *name)
{
    struct weight key = {.name = name};
    return bsearch(&key, L->w, (size_t)L->num_w, sizeof *L->w, cmp_weight);
}

/* ---- nodes -------------------------------------------------------------- */

static int cmp_node_name(const void *a, const void *b, void *ctx)
{
    const struct loader *L = ctx;
    return strcmp(L->nodes[*(const int *)a].name, L->nodes[*(const int *)b].name);
}

static int find_node(struct loader *L, const char *name, size_t len)
{
    int lo = 0, hi = L->num_nodes - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *s = L->nodes[L->by_name[mid]].name;
        int c = strncmp(s, name, len);
        if (c == 0 && s[len] != '\0')
            c = 1;
        if (c == 0)
            return L->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Outputs a node has, from its op and attributes. */
static int node_outputs(struct loader *L, struct node *n)
{
    if (strcmp(n->op, "Switch") == 0 || strcmp(n->op, "Merge") == 0) {
        n->nout = 2;
    } else if (strcmp(n->op, "Split") == 0 || strcmp(n->op, "SplitV") == 0) {
        long long k;
        L->cur = n;
        if (attr_int(L, n, "num_split", 0, &k))
            return BD_ERR_FORMAT;
        if (k < 1 || k > MAX_SPLIT)
            return unsupported(L, "num_split must be 1 to 16");
        n->nout = (int)k;
    } else {
        n->nout = 1;
    }
    n->out = tmp_alloc(L, (size_t)n->nout * sizeof *n->out);
    return n->out ? 0 : nomem(L);
}

static int parse_nodes(struct loader *L)
{
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(L->root, "modelTopology");
    const cJSON *nodes = topo ? cJSON_GetObjectItemCaseSensitive(topo, "node") : NULL;
    if (!cJSON_IsArray(nodes))
        return corrupt(L, "no modelTopology.node list");
    int n = cJSON_GetArraySize(nodes);
    if (n < 1 || n > MAX_NODES)
        return corrupt(L, "node count");
    L->num_nodes = n;
    L->nodes = tmp_alloc(L, (size_t)n * sizeof *L->nodes);
    L->by_name = tmp_alloc(L, (size_t)n * sizeof *L->by_name);
    if (!L->nodes || !L->by_name)
        return nomem(L);
    int i = 0;
    const cJSON *j;
    cJSON_ArrayForEach(j, nodes) {
        struct node *nd = &L->nodes[i];
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "name");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "op");
        if (!cJSON_IsString(nm) || !cJSON_IsString(op) || !nm->valuestring[0])
            return corrupt(L, "a node lacks its name or op");
        nd->j = j;
        nd->name = nm->valuestring;
        nd->op = op->valuestring;
        L->by_name[i] = i;
        i++;
    }
    qsort_r(L->by_name, (size_t)n, sizeof *L->by_name, cmp_node_name, L);
    for (i = 1; i < n; i++)
        if (strcmp(L->nodes[L->by_name[i - 1]].name, L->nodes[L->by_name[i]].name) == 0)
            return corrupt(L, "two nodes have the same name");
    for (i = 0; i < n; i++) {
        struct node *nd = &L->nodes[i];
        int r;
        if ((r = node_outputs(L, nd)))
            return r;
    }
    /* Inputs: "name", "name:port" or "^name" (control). */
    for (i = 0; i < n; i++) {
        struct node *nd = &L->nodes[i];
        L->cur = nd;
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(nd->j, "input");
        int k = in ? cJSON_GetArraySize(in) : 0;
        if (in && !cJSON_IsArray(in))
            return node_error(L, "its input list is malformed");
        if (k > MAX_NODE_INPUTS)
            return unsupported(L, "more than 64 inputs");
        nd->in = tmp_alloc(L, (size_t)(k ? k : 1) * sizeof(int));
        nd->port = tmp_alloc(L, (size_t)(k ? k : 1) * sizeof(int));
        nd->ctrl = tmp_alloc(L, (size_t)(k ? k : 1));
        if (!nd->in || !nd->port || !nd->ctrl)
            return nomem(L);
        int m = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, in) {
            if (!cJSON_IsString(e))
                return node_error(L, "an input name is not a string");
            const char *s = e->valuestring;
            int ctrl = s[0] == '^';
            if (ctrl)
                s++;
            size_t len = strlen(s);
            int port = 0;
            const char *colon = strrchr(s, ':');
            if (!ctrl && colon && colon[1]) {
                char *end;
                long p = strtol(colon + 1, &end, 10);
                if (*end == '\0' && p >= 0 && colon[1] != '-' && colon[1] != '+') {
                    if (p >= MAX_SPLIT)
                        return node_error(L, "an input port is out of range");
                    port = (int)p;
                    len = (size_t)(colon - s);
                }
            }
            int src = find_node(L, s, len);
            if (src < 0) {
                if (ctrl)
                    continue; /* the converter drops nodes only control edges name */
                char msg[160];
                snprintf(msg, sizeof msg, "input '%.100s' names no node", e->valuestring);
                return node_error(L, msg);
            }
            if (port >= L->nodes[src].nout)
                return node_error(L, "an input port is out of range");
            nd->in[m] = src;
            nd->port[m] = port;
            nd->ctrl[m] = (unsigned char)ctrl;
            m++;
        }
        nd->nin = m;
    }
    return 0;
}

/* ---- op evaluation ------------------------------------------------------ */

static struct val *IN(struct loader *L, const struct node *n, int k)
{
    return &L->nodes[n->in[k]].out[n->port[k]];
}

/* Data inputs only (control inputs come after data in GraphDefs, but do
 * not rely on it: count the data ones). */
static int data_inputs(const struct node *n, int *idx, int max)
{
    int m = 0;
    for (int k = 0; k < n->nin; k++)
        if (!n->ctrl[k]) {
            if (m < max)
                idx[m] = k;
            m++;
        }
    return m;
}

/* idx holds want_max entries (each op sizes it for its own arity), so only
 * that many are written; a node naming more data inputs is refused. */
static int need_inputs(struct loader *L, const struct node *n, int *idx, int want_min, int want_max)
{
    int m = data_inputs(n, idx, want_max);
    if (m < want_min || m > want_max)
        return node_error(L, "wrong number of inputs");
    return m;
}

static int broadcast(const int *ad, int an, const int *bd, int bn, int *od, int *on)
{
    int n = an > bn ? an : bn;
    for (int i = 0; i < n; i++) {
        int ia = an - n + i, ib = bn - n + i;
        int da = ia >= 0 ? ad[ia] : 1, db = ib >= 0 ? bd[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return -1;
        od[i] = da == 1 ? db : da; /* numpy: 1 with 0 gives 0 */
    }
    *on = n;
    return 0;
}

/* Index into a broadcast operand for flat output index i. */
static size_t bidx(const struct val *v, int on, const int *od, size_t i)
{
    size_t idx = 0, stride = 1;
    for (int d = on - 1; d >= 0; d--) {
        int c = (int)(i % (size_t)od[d]);
        i /= (size_t)od[d];
        int vd = d - (on - v->ndim);
        if (vd >= 0) {
            if (v->dims[vd] != 1)
                idx += (size_t)c * stride;
            stride *= (size_t)v->dims[vd];
        }
    }
    return idx;
}

enum binop { B_ADD, B_SUB, B_MUL, B_DIV, B_MIN, B_MAX, B_MOD, B_EQ };

static int const_binary(struct loader *L, struct val *a, struct val *b, enum binop op, struct val *res)
{
    if (a->dt != b->dt && !(op == B_EQ))
        return node_error(L, "its operands have different types");
    int od[BD_MAX_DIMS], on;
    if (broadcast(a->dims, a->ndim, b->dims, b->ndim, od, &on))
        return node_error(L, "operand shapes cannot be broadcast together");
    enum cdt dt = op == B_EQ ? CD_BOOL : a->dt;
    int r = new_const(L, res, dt, on, od);
    if (r)
        return r;
    for (size_t i = 0; i < res->count; i++) {
        size_t ia = bidx(a, on, od, i), ib = bidx(b, on, od, i);
        if (a->dt == CD_F32 && op != B_EQ) {
            float x = ((float *)a->data)[ia], y = ((float *)b->data)[ib], z;
            switch (op) {
            case B_ADD: z = x + y; break;
            case B_SUB: z = x - y; break;
            case B_MUL: z = x * y; break;
            case B_DIV: z = x / y; break;
            case B_MIN: z = x < y ? x : y; break;
            case B_MAX: z = x > y ? x : y; break;
            case B_MOD: z = y != 0 ? x - floorf(x / y) * y : NAN; break;
            default: z = 0; break;
            }
            if (!isfinite(z))
                return node_error(L, "constant arithmetic gives a NaN or infinity");
            ((float *)res->data)[i] = z;
        } else if (op == B_EQ) {
            ((int32_t *)res->data)[i] = cget(a, ia) == cget(b, ib);
        } else {
            int64_t x = ((int32_t *)a->data)[ia], y = ((int32_t *)b->data)[ib], z;
            switch (op) {
            case B_ADD: z = x + y; break;
            case B_SUB: z = x - y; break;
            case B_MUL: z = x * y; break;
            case B_MIN: z = x < y ? x : y; break;
            case B_MAX: z = x > y ? x : y; break;
            case B_DIV:
            case B_MOD:
                if (y == 0)
                    return node_error(L, "constant integer division by zero");
                if (op == B_DIV) {
                    z = x / y;
                    if ((x % y != 0) && ((x < 0) != (y < 0)))
                        z--; /* floor division, as TensorFlow's int RealDiv/FloorDiv */
                } else {
                    z = x % y;
                    if (z != 0 && ((z < 0) != (y < 0)))
                        z += y;
                }
                break;
            default: z = 0; break;
            }
            if (z < INT32_MIN || z > INT32_MAX)
                return node_error(L, "constant integer arithmetic overflows int32");
            ((int32_t *)res->data)[i] = (int32_t)z;
        }
    }
    return 0;
}

static int op_binary(struct loader *L, struct node *n, enum binop op)
{
    int idx[2];
    int r = need_inputs(L, n, idx, 2, 2);
    if (r < 0)
        return r;
    struct val *a = IN(L, n, idx[0]), *b = IN(L, n, idx[1]);
    if (a->kind == VK_CONST && b->kind == VK_CONST)
        return const_binary(L, a, b, op, &n->out[0]);
    if ((a->kind != VK_ACT && a->kind != VK_CONST) || (b->kind != VK_ACT && b->kind != VK_CONST))
        return unsupported(L, "an operand is neither a tensor nor a constant");
    enum bd_op_type t;
    switch (op) {
    case B_ADD: t = BD_OP_ADD; break;
    case B_SUB: t = BD_OP_SUB; break;
    case B_MUL: t = BD_OP_MUL; break;
    case B_DIV: t = BD_OP_DIV; break;
    case B_MIN: t = BD_OP_MINIMUM; break;
    case B_MAX: t = BD_OP_MAXIMUM; break;
    default: return unsupported(L, "only on constants");
    }
    int ins[2];
    if ((r = operand(L, a, &ins[0])) || (r = operand(L, b, &ins[1])))
        return r;
    int od[BD_MAX_DIMS], on;
    const struct bd_tensor *ta = &L->t[ins[0]], *tb = &L->t[ins[1]];
    if (broadcast(ta->dims, ta->ndim, tb->dims, tb->ndim, od, &on))
        return node_error(L, "input shapes cannot be broadcast together");
    struct bd_op *o;
    if ((r = emit(L, t, ins, 2, on, od, &n->out[0], &o)))
        return r;
    o->p.binary.act = BD_ACT_NONE;
    return 0;
}

static int op_unary(struct loader *L, struct node *n, enum bd_op_type t)
{
    int idx[1];
    int r = need_inputs(L, n, idx, 1, 1);
    if (r < 0)
        return r;
    struct val *a = IN(L, n, idx[0]);
    if (a->kind != VK_ACT)
        return unsupported(L, "its input is not a tensor computed at run time");
    int in = a->tensor;
    if (t == BD_OP_MUL) { /* Square */
        int ins[2] = {in, in};
        return emit(L, t, ins, 2, a->ndim, a->dims, &n->out[0], NULL);
    }
    return emit(L, t, &in, 1, a->ndim, a->dims, &n->out[0], NULL);
}

/* strides/dilations [1,h,w,1], padding SAME|VALID, NHWC. */
static int conv_attrs(struct loader *L, struct node *n, int *sh, int *sw, int *dh, int *dw, int *same)
{
    long long v[8];
    int k, r;
    const char *fmt = attr_str(n, "data_format");
    if (fmt && strcmp(fmt, B64_NHWC) != 0)
        return unsupported(L, "only NHWC data is supported");
    if ((r = attr_ilist(L, n, "strides", v, 8, &k)))
        return r;
    if (k == 0) {
        *sh = *sw = 1;
    } else if (k == 4 && v[0] == 1 && v[3] == 1 && v[1] >= 1 && v[1] <= 64 && v[2] >= 1 && v[2] <= 64) {
        *sh = (int)v[1];
        *sw = (int)v[2];
    } else {
        return unsupported(L, "strides must be [1,h,w,1] with 1 <= h,w <= 64");
    }
    if ((r = attr_ilist(L, n, "dilations", v, 8, &k)))
        return r;
    if (k == 0) {
        *dh = *dw = 1;
    } else if (k == 4 && v[0] == 1 && v[3] == 1 && v[1] >= 1 && v[1] <= 64 && v[2] >= 1 && v[2] <= 64) {
        *dh = (int)v[1];
        *dw = (int)v[2];
    } else {
        return unsupported(L, "dilations must be [1,h,w,1] with 1 <= h,w <= 64");
    }
    const char *pad = attr_str(n, "padding");
    if (pad && strcmp(pad, B64_SAME) == 0)
        *same = 1;
    else if (pad && strcmp(pad, B64_VALID) == 0)
        *same = 0;
    else
        return unsupported(L, "padding must be SAME or VALID");
    return 0;
}

/* fused_ops of _FusedConv2D / FusedDepthwiseConv2dNative. */
static int fused_act(struct loader *L, struct node *n, int *has_bias, enum bd_act *act)
{
    const char *f[4];
    int k, r;
    if ((r = attr_slist(L, n, "fused_ops", f, 4, &k)))
        return r;
    *has_bias = 0;
    *act = BD_ACT_NONE;
    if (k >= 1) {
        if (strcmp(f[0], B64_BIASADD) != 0)
            return unsupported(L, "only BiasAdd, optionally with Relu or Relu6, may be fused");
        *has_bias = 1;
    }
    if (k >= 2) {
        if (strcmp(f[1], B64_RELU) == 0)
            *act = BD_ACT_RELU;
        else if (strcmp(f[1], B64_RELU6) == 0)
            *act = BD_ACT_RELU6;
        else
            return unsupported(L, "only BiasAdd, optionally with Relu or Relu6, may be fused");
    }
    if (k > 2)
        return unsupported(L, "only BiasAdd, optionally with Relu or Relu6, may be fused");
    long long na;
    if ((r = attr_int(L, n, "num_args", 0, &na)))
        return r;
    if (na != *has_bias)
        return unsupported(L, "num_args does not match the fused ops");
    return 0;
}

static int need_act4(struct loader *L, const struct val *v)
{
    if (v->kind != VK_ACT)
        return unsupported(L, "its input is not a tensor computed at run time");
    if (v->ndim != 4 || v->dims[0] != 1)
        return unsupported(L, "only 4-D NHWC tensors with batch 1 are supported");
    return 0;
}

static int need_fconst(struct loader *L, const struct val *v, int ndim, const char *what)
{
    char msg[96];
    if (v->kind != VK_CONST || v->dt != CD_F32 || v->ndim != ndim) {
        snprintf(msg, sizeof msg, "%s is not a %d-D float32 constant", what, ndim);
        return unsupported(L, msg);
    }
    return 0;
}

static int op_conv(struct loader *L, struct node *n, int depthwise, int fused)
{
    int idx[3];
    int nin = need_inputs(L, n, idx, 2, 3), r;
    if (nin < 0)
        return nin;
    int has_bias = 0;
    enum bd_act act = BD_ACT_NONE;
    if (fused && (r = fused_act(L, n, &has_bias, &act)))
        return r;
    if (nin != 2 + has_bias)
        return node_error(L, "wrong number of inputs");
    struct val *x = IN(L, n, idx[0]), *f = IN(L, n, idx[1]), *b = has_bias ? IN(L, n, idx[2]) : NULL;
    int sh, sw, dh, dw, same;
    if ((r = conv_attrs(L, n, &sh, &sw, &dh, &dw, &same)) || (r = need_fconst(L, f, 4, "the filter")))
        return r;
    const char *ep = attr_str(n, "padding");
    (void)ep;
    long long epv[8];
    int nep;
    if ((r = attr_ilist(L, n, "explicit_paddings", epv, 8, &nep)))
        return r;
    if (nep)
        return unsupported(L, "explicit paddings are not supported");
    int kh = f->dims[0], kw = f->dims[1], fci = f->dims[2], fco = f->dims[3];
    int s2b = depthwise && x->kind == VK_S2B;
    if (s2b) {
        if (sh != 1 || sw != 1 || dh != 1 || dw != 1 || same)
            return unsupported(L, "a depthwise conv after SpaceToBatchND must be VALID with stride and dilation 1");
    } else if ((r = need_act4(L, x))) {
        return r;
    }
    int ci = s2b ? L->t[x->tensor].dims[3] : x->dims[3];
    if (fci != ci)
        return node_error(L, "filter input channels differ from the input's");
    int co = depthwise ? ci * fco : fco;
    if (depthwise && (fco < 1 || (int64_t)ci * fco > 65536))
        return node_error(L, "depth multiplier out of range");
    int bias = -1;
    if (b) {
        if ((r = need_fconst(L, b, 1, "the bias")))
            return r;
        if (b->dims[0] != co)
            return node_error(L, "bias length differs from the output channels");
        if ((r = const_tensor(L, b, &bias)))
            return r;
    }
    /* Filter into the graph's layout: depthwise [1,KH,KW,Ci*M] (TF's
     * [KH,KW,Ci,M] in the same order); conv OHWI from TF's HWIO. */
    float *fd = bd_graph_alloc(L->g, f->count * 4);
    if (!fd)
        return nomem(L);
    const float *src = f->data;
    int fdims[4];
    if (depthwise) {
        memcpy(fd, src, f->count * 4);
        fdims[0] = 1;
        fdims[1] = kh;
        fdims[2] = kw;
        fdims[3] = co;
    } else {
        for (int o = 0; o < co; o++)
            for (int y = 0; y < kh; y++)
                for (int xx = 0; xx < kw; xx++)
                    for (int i = 0; i < ci; i++)
                        fd[(((size_t)o * kh + y) * kw + xx) * ci + i] = src[(((size_t)y * kw + xx) * ci + i) * co + o];
        fdims[0] = co;
        fdims[1] = kh;
        fdims[2] = kw;
        fdims[3] = ci;
    }
    int filt;
    if ((r = new_tensor(L, 4, fdims, fd, "", &filt)))
        return r;
    struct bd_conv_params p = {0};
    p.kernel_h = kh;
    p.kernel_w = kw;
    p.stride_h = sh;
    p.stride_w = sw;
    p.dilation_h = dh;
    p.dilation_w = dw;
    p.depth_multiplier = depthwise ? fco : 0;
    p.act = act;
    if (s2b) {
        struct val *o = &n->out[0];
        *o = *x;
        o->kind = VK_S2B_DW;
        o->filter = filt;
        o->bias = bias;
        o->conv = p;
        return 0;
    }
    int oh, ow;
    if (bd_conv_axis(x->dims[1], kh, sh, dh, same, &oh, &p.pad_top, &p.pad_bottom) ||
        bd_conv_axis(x->dims[2], kw, sw, dw, same, &ow, &p.pad_left, &p.pad_right))
        return node_error(L, "the filter does not fit the input");
    int od[4] = {1, oh, ow, co};
    int ins[3] = {x->tensor, filt, bias};
    struct bd_op *op;
    if ((r = emit(L, depthwise ? BD_OP_DWCONV2D : BD_OP_CONV2D, ins, 3, 4, od, &n->out[0], &op)))
        return r;
    op->p.conv = p;
    return 0;
}

static int op_space_to_batch(struct loader *L, struct node *n)
{
    int idx[3];
    int r = need_inputs(L, n, idx, 3, 3);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    int blk[4], pads[8], nb, np;
    if ((r = need_act4(L, x)) || (r = const_ints(L, IN(L, n, idx[1]), blk, 4, &nb, "block_shape")))
        return r;
    struct val *pv = IN(L, n, idx[2]);
    if (pv->kind != VK_CONST || pv->dt != CD_I32 || pv->ndim != 2 || pv->dims[0] != 2 || pv->dims[1] != 2)
        return unsupported(L, "paddings must be a constant int32 [2,2]");
    memcpy(pads, pv->data, 4 * sizeof(int));
    np = 4;
    (void)np;
    if (nb != 2 || blk[0] != blk[1] || blk[0] < 1 || blk[0] > 64)
        return unsupported(L, "only equal block sizes (1 to 64) over H and W are supported");
    for (int k = 0; k < 4; k++)
        if (pads[k] < 0 || pads[k] > 4096)
            return node_error(L, "paddings out of range");
    if ((x->dims[1] + pads[0] + pads[1]) % blk[0] || (x->dims[2] + pads[2] + pads[3]) % blk[0])
        return node_error(L, "padded size is not a multiple of the block size");
    struct val *o = &n->out[0];
    *o = *x;
    o->kind = VK_S2B;
    o->block = blk[0];
    o->pads[0][0] = pads[0];
    o->pads[0][1] = pads[1];
    o->pads[1][0] = pads[2];
    o->pads[1][1] = pads[3];
    return 0;
}

static int op_batch_to_space(struct loader *L, struct node *n)
{
    int idx[3];
    int r = need_inputs(L, n, idx, 3, 3);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if (x->kind != VK_S2B_DW)
        return unsupported(L, "only SpaceToBatchND -> depthwise conv -> BatchToSpaceND (a dilated depthwise conv) is supported");
    int blk[4], nb;
    if ((r = const_ints(L, IN(L, n, idx[1]), blk, 4, &nb, "block_shape")))
        return r;
    struct val *cv = IN(L, n, idx[2]);
    if (cv->kind != VK_CONST || cv->dt != CD_I32 || cv->ndim != 2 || cv->dims[0] != 2 || cv->dims[1] != 2)
        return unsupported(L, "crops must be a constant int32 [2,2]");
    const int32_t *crops = cv->data;
    if (nb != 2 || blk[0] != x->block || blk[1] != x->block)
        return unsupported(L, "the block size differs from SpaceToBatchND's");
    const struct bd_tensor *in = &L->t[x->tensor];
    struct bd_conv_params p = x->conv;
    int d = x->block;
    p.dilation_h = p.dilation_w = d;
    p.pad_top = x->pads[0][0] - crops[0];
    p.pad_bottom = x->pads[0][1] - crops[1];
    p.pad_left = x->pads[1][0] - crops[2];
    p.pad_right = x->pads[1][1] - crops[3];
    if (crops[0] < 0 || crops[1] < 0 || crops[2] < 0 || crops[3] < 0 || p.pad_top < 0 || p.pad_bottom < 0 ||
        p.pad_left < 0 || p.pad_right < 0)
        return unsupported(L, "crops larger than the paddings are not supported");
    /* Each of the d*d sub-images: (H+pads)/d - (K-1) rows, VALID. */
    int64_t hp = (int64_t)in->dims[1] + x->pads[0][0] + x->pads[0][1];
    int64_t wp = (int64_t)in->dims[2] + x->pads[1][0] + x->pads[1][1];
    if (hp / d < p.kernel_h || wp / d < p.kernel_w)
        return node_error(L, "the filter does not fit the input");
    int64_t oh = hp - (int64_t)(p.kernel_h - 1) * d - crops[0] - crops[1];
    int64_t ow = wp - (int64_t)(p.kernel_w - 1) * d - crops[2] - crops[3];
    if (oh < 1 || ow < 1 || oh > MAX_SIDE * 4 || ow > MAX_SIDE * 4)
        return node_error(L, "crops leave no output");
    int od[4] = {1, (int)oh, (int)ow, in->dims[3] * p.depth_multiplier};
    int ins[3] = {x->tensor, x->filter, x->bias};
    struct bd_op *op;
    if ((r = emit(L, BD_OP_DWCONV2D, ins, 3, 4, od, &n->out[0], &op)))
        return r;
    op->p.conv = p;
    return 0;
}

static int op_pad(struct loader *L, struct node *n)
{
    int idx[2];
    int r = need_inputs(L, n, idx, 2, 2);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]), *pv = IN(L, n, idx[1]);
    if ((r = need_act4(L, x)))
        return r;
    if (pv->kind != VK_CONST || pv->dt != CD_I32 || pv->ndim != 2 || pv->dims[0] != 4 || pv->dims[1] != 2)
        return unsupported(L, "paddings must be a constant int32 [4,2]");
    const int32_t *pd = pv->data;
    int od[4];
    struct bd_op *op;
    for (int d = 0; d < 4; d++) {
        if (pd[2 * d] < 0 || pd[2 * d + 1] < 0 || pd[2 * d] > 4096 || pd[2 * d + 1] > 4096)
            return node_error(L, "paddings out of range");
        od[d] = x->dims[d] + pd[2 * d] + pd[2 * d + 1];
    }
    if (od[0] != 1)
        return unsupported(L, "padding the batch is not supported");
    if ((r = emit(L, BD_OP_PAD, &x->tensor, 1, 4, od, &n->out[0], &op)))
        return r;
    for (int d = 0; d < 4; d++) {
        op->p.pad.pad[d][0] = pd[2 * d];
        op->p.pad.pad[d][1] = pd[2 * d + 1];
    }
    return 0;
}

static int op_avgpool(struct loader *L, struct node *n)
{
    int idx[1];
    int r = need_inputs(L, n, idx, 1, 1);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    long long k[8];
    int nk;
    int sh, sw, dh, dw, same;
    if ((r = need_act4(L, x)) || (r = conv_attrs(L, n, &sh, &sw, &dh, &dw, &same)) ||
        (r = attr_ilist(L, n, "ksize", k, 8, &nk)))
        return r;
    if (nk != 4 || k[0] != 1 || k[3] != 1 || k[1] < 1 || k[1] > 256 || k[2] < 1 || k[2] > 256)
        return unsupported(L, "ksize must be [1,h,w,1] with 1 <= h,w <= 256");
    struct bd_pool_params p = {.filter_h = (int)k[1], .filter_w = (int)k[2], .stride_h = sh, .stride_w = sw};
    int oh, ow;
    if (bd_conv_axis(x->dims[1], p.filter_h, sh, 1, same, &oh, &p.pad_top, &p.pad_bottom) ||
        bd_conv_axis(x->dims[2], p.filter_w, sw, 1, same, &ow, &p.pad_left, &p.pad_right))
        return node_error(L, "the window does not fit the input");
    int od[4] = {1, oh, ow, x->dims[3]};
    struct bd_op *op;
    if ((r = emit(L, BD_OP_AVG_POOL, &x->tensor, 1, 4, od, &n->out[0], &op)))
        return r;
    op->p.pool = p;
    return 0;
}

static int op_mean(struct loader *L, struct node *n)
{
    int idx[2], ax[4], na;
    int r = need_inputs(L, n, idx, 2, 2);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if ((r = need_act4(L, x)) || (r = const_ints(L, IN(L, n, idx[1]), ax, 4, &na, "the axes")))
        return r;
    if (!attr_bool(n, "keep_dims"))
        return unsupported(L, "only keep_dims=true is supported");
    for (int k = 0; k < na; k++)
        if (ax[k] < 0)
            ax[k] += 4;
    int od[4] = {1, x->dims[1], x->dims[2], x->dims[3]};
    if (na == 2 && ((ax[0] == 1 && ax[1] == 2) || (ax[0] == 2 && ax[1] == 1))) {
        od[1] = od[2] = 1;
        return emit(L, BD_OP_MEAN, &x->tensor, 1, 4, od, &n->out[0], NULL);
    }
    if (na == 1 && ax[0] == 3) {
        od[3] = 1;
        return emit(L, BD_OP_MEAN_C, &x->tensor, 1, 4, od, &n->out[0], NULL);
    }
    return unsupported(L, "only the mean over H and W, or over channels, is supported");
}

static int op_resize(struct loader *L, struct node *n)
{
    int idx[2], sz[2], ns;
    int r = need_inputs(L, n, idx, 2, 2);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if ((r = need_act4(L, x)) || (r = const_ints(L, IN(L, n, idx[1]), sz, 2, &ns, "the size")))
        return r;
    if (ns != 2 || sz[0] < 1 || sz[1] < 1 || sz[0] > MAX_SIDE || sz[1] > MAX_SIDE)
        return node_error(L, "the size must be two values from 1 to 16384");
    int ac = attr_bool(n, "align_corners"), hp = attr_bool(n, "half_pixel_centers");
    if (ac && hp)
        return unsupported(L, "align_corners with half_pixel_centers");
    int od[4] = {1, sz[0], sz[1], x->dims[3]};
    struct bd_op *op;
    if ((r = emit(L, BD_OP_RESIZE_BILINEAR, &x->tensor, 1, 4, od, &n->out[0], &op)))
        return r;
    op->p.resize.align_corners = ac;
    op->p.resize.half_pixel_centers = hp;
    return 0;
}

static int op_concat(struct loader *L, struct node *n)
{
    int idx[MAX_NODE_INPUTS];
    int m = need_inputs(L, n, idx, 2, MAX_NODE_INPUTS), r, ax, na;
    if (m < 0)
        return m;
    if ((r = const_ints(L, IN(L, n, idx[m - 1]), &ax, 1, &na, "the axis")))
        return r;
    if (na != 1)
        return unsupported(L, "the axis must be a scalar");
    int ins[MAX_NODE_INPUTS], od[BD_MAX_DIMS], nd = 0;
    for (int k = 0; k < m - 1; k++) {
        if ((r = operand(L, IN(L, n, idx[k]), &ins[k])))
            return r;
        const struct bd_tensor *t = &L->t[ins[k]];
        if (k == 0) {
            nd = t->ndim;
            if (ax < 0)
                ax += nd;
            if (ax < 0 || ax >= nd)
                return node_error(L, "axis out of range");
            memcpy(od, t->dims, sizeof od);
            od[ax] = 0;
        } else if (t->ndim != nd) {
            return node_error(L, "inputs differ in rank");
        }
        for (int d = 0; d < nd; d++)
            if (d != ax && t->dims[d] != od[d])
                return node_error(L, "inputs differ in shape outside the axis");
        if ((int64_t)od[ax] + t->dims[ax] > MAX_ELEMENTS)
            return node_error(L, "output too large");
        od[ax] += t->dims[ax];
    }
    struct bd_op *op;
    if ((r = emit(L, BD_OP_CONCAT, ins, m - 1, nd, od, &n->out[0], &op)))
        return r;
    op->p.concat.axis = ax;
    op->p.concat.act = BD_ACT_NONE;
    return 0;
}

/* out = x[begin .. begin+size) per dim. */
static int emit_slice(struct loader *L, struct val *x, const int *begin, const int *size, struct val *res)
{
    struct bd_op *op;
    int r = emit(L, BD_OP_SLICE, &x->tensor, 1, x->ndim, size, res, &op);
    if (r)
        return r;
    for (int d = 0; d < x->ndim; d++)
        op->p.slice.begin[d] = begin[d];
    return 0;
}

static int op_split(struct loader *L, struct node *n, int v)
{
    int idx[3];
    int r = need_inputs(L, n, idx, v ? 3 : 2, v ? 3 : 2);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[v ? 0 : 1]);
    int ax, na, sizes[MAX_SPLIT], ns = n->nout;
    if ((r = const_ints(L, IN(L, n, idx[v ? 2 : 0]), &ax, 1, &na, "the split axis")))
        return r;
    if (x->kind != VK_ACT)
        return unsupported(L, "its input is not a tensor computed at run time");
    if (ax < 0)
        ax += x->ndim;
    if (na != 1 || ax < 0 || ax >= x->ndim)
        return node_error(L, "axis out of range");
    if (v) {
        int k;
        if ((r = const_ints(L, IN(L, n, idx[1]), sizes, MAX_SPLIT, &k, "size_splits")))
            return r;
        if (k != ns)
            return node_error(L, "size_splits does not have num_split entries");
        int64_t sum = 0;
        int minus = -1;
        for (int i = 0; i < ns; i++) {
            if (sizes[i] == -1 && minus < 0)
                minus = i;
            else if (sizes[i] < 1)
                return node_error(L, "a split size is not positive");
            else
                sum += sizes[i];
        }
        if (minus >= 0) {
            if (sum >= x->dims[ax])
                return node_error(L, "split sizes exceed the axis");
            sizes[minus] = (int)(x->dims[ax] - sum);
        } else if (sum != x->dims[ax]) {
            return node_error(L, "split sizes do not add up to the axis");
        }
    } else {
        if (x->dims[ax] % ns)
            return node_error(L, "the axis is not divisible by num_split");
        for (int i = 0; i < ns; i++)
            sizes[i] = x->dims[ax] / ns;
    }
    int begin[BD_MAX_DIMS] = {0}, size[BD_MAX_DIMS];
    memcpy(size, x->dims, sizeof size);
    for (int i = 0; i < ns; i++) {
        size[ax] = sizes[i];
        if ((r = emit_slice(L, x, begin, size, &n->out[i])))
            return r;
        begin[ax] += sizes[i];
    }
    return 0;
}

static int op_slice(struct loader *L, struct node *n)
{
    int idx[3], b[BD_MAX_DIMS], s[BD_MAX_DIMS], nb, ns;
    int r = need_inputs(L, n, idx, 3, 3);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if (x->kind != VK_ACT)
        return unsupported(L, "its input is not a tensor computed at run time");
    if ((r = const_ints(L, IN(L, n, idx[1]), b, BD_MAX_DIMS, &nb, "begin")) ||
        (r = const_ints(L, IN(L, n, idx[2]), s, BD_MAX_DIMS, &ns, "size")))
        return r;
    if (nb != x->ndim || ns != x->ndim)
        return node_error(L, "begin and size must have the input's rank");
    for (int d = 0; d < x->ndim; d++) {
        if (b[d] < 0 || b[d] >= x->dims[d])
            return node_error(L, "begin out of range");
        if (s[d] == -1)
            s[d] = x->dims[d] - b[d];
        if (s[d] < 1 || s[d] > x->dims[d] - b[d])
            return node_error(L, "size out of range");
    }
    return emit_slice(L, x, b, s, &n->out[0]);
}

/* ---- shape arithmetic on constants ------------------------------------- */

static int op_shape(struct loader *L, struct node *n)
{
    int idx[1];
    int r = need_inputs(L, n, idx, 1, 1);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if (x->kind != VK_ACT && x->kind != VK_CONST)
        return unsupported(L, "the shape of this input is not known at load time");
    int one = x->ndim;
    if ((r = new_const(L, &n->out[0], CD_I32, 1, &one)))
        return r;
    for (int d = 0; d < x->ndim; d++)
        ((int32_t *)n->out[0].data)[d] = x->dims[d];
    return 0;
}

static int op_strided_slice(struct loader *L, struct node *n)
{
    int idx[4], b[1], e[1], s[1], k;
    int r = need_inputs(L, n, idx, 4, 4);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if (x->kind != VK_CONST || x->ndim != 1)
        return unsupported(L, "only slices of 1-D constants (shape arithmetic) are supported");
    if ((r = const_ints(L, IN(L, n, idx[1]), b, 1, &k, "begin")) || k != 1 ||
        (r = const_ints(L, IN(L, n, idx[2]), e, 1, &k, "end")) || k != 1 ||
        (r = const_ints(L, IN(L, n, idx[3]), s, 1, &k, "strides")) || k != 1)
        return r ? r : unsupported(L, "begin, end and strides must have one entry");
    long long bm, em, sm, elm, nm;
    if ((r = attr_int(L, n, "begin_mask", 0, &bm)) || (r = attr_int(L, n, "end_mask", 0, &em)) ||
        (r = attr_int(L, n, "shrink_axis_mask", 0, &sm)) || (r = attr_int(L, n, "ellipsis_mask", 0, &elm)) ||
        (r = attr_int(L, n, "new_axis_mask", 0, &nm)))
        return r;
    if (elm || nm || (bm & ~1LL) || (em & ~1LL) || (sm & ~1LL))
        return unsupported(L, "ellipsis or new-axis masks");
    int len = x->dims[0], st = s[0];
    if (st == 0)
        return node_error(L, "stride is zero");
    int64_t lo = b[0], hi = e[0];
    if (lo < 0)
        lo += len;
    if (hi < 0)
        hi += len;
    if (sm & 1) {
        if (lo < 0 || lo >= len)
            return node_error(L, "index out of range");
        int zero = 0;
        if ((r = new_const(L, &n->out[0], x->dt, 0, &zero)))
            return r;
        ((int32_t *)n->out[0].data)[0] = ((int32_t *)x->data)[lo]; /* same bits for float */
        return 0;
    }
    if (st > 0) {
        lo = (bm & 1) ? 0 : lo < 0 ? 0 : lo > len ? len : lo;
        hi = (em & 1) ? len : hi < 0 ? 0 : hi > len ? len : hi;
    } else {
        lo = (bm & 1) ? len - 1 : lo < -1 ? -1 : lo > len - 1 ? len - 1 : lo;
        hi = (em & 1) ? -1 : hi < -1 ? -1 : hi > len - 1 ? len - 1 : hi;
    }
    int cnt = 0;
    for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st)
        cnt++;
    if ((r = new_const(L, &n->out[0], x->dt, 1, &cnt)))
        return r;
    int j = 0;
    for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st)
        ((int32_t *)n->out[0].data)[j++] = ((int32_t *)x->data)[i];
    return 0;
}

static int op_pack(struct loader *L, struct node *n)
{
    int idx[MAX_NODE_INPUTS];
    int m = need_inputs(L, n, idx, 1, MAX_NODE_INPUTS), r;
    if (m < 0)
        return m;
    long long axis;
    if ((r = attr_int(L, n, "axis", 0, &axis)))
        return r;
    if (axis != 0)
        return unsupported(L, "only axis 0 is supported");
    struct val *a = IN(L, n, idx[0]);
    if (a->kind != VK_CONST || a->ndim > 2)
        return unsupported(L, "only packs of small constants (shape arithmetic) are supported");
    for (int k = 1; k < m; k++) {
        struct val *b = IN(L, n, idx[k]);
        if (b->kind != VK_CONST || b->dt != a->dt || b->ndim != a->ndim ||
            memcmp(b->dims, a->dims, (size_t)a->ndim * sizeof(int)))
            return unsupported(L, "only packs of constants of one shape and type are supported");
    }
    int od[BD_MAX_DIMS] = {m};
    memcpy(od + 1, a->dims, (size_t)a->ndim * sizeof(int));
    if ((r = new_const(L, &n->out[0], a->dt, a->ndim + 1, od)))
        return r;
    for (int k = 0; k < m; k++)
        memcpy((int32_t *)n->out[0].data + (size_t)k * a->count, IN(L, n, idx[k])->data, a->count * 4);
    return 0;
}

static int type_attr(struct loader *L, struct node *n, const char *key, enum cdt *dt)
{
    const cJSON *a = attr(n, key);
    const cJSON *t = a ? cJSON_GetObjectItemCaseSensitive(a, "type") : NULL;
    if (!cJSON_IsString(t))
        return node_error(L, "a type attribute is missing");
    if (strcmp(t->valuestring, "DT_FLOAT") == 0)
        *dt = CD_F32;
    else if (strcmp(t->valuestring, "DT_INT32") == 0)
        *dt = CD_I32;
    else if (strcmp(t->valuestring, "DT_BOOL") == 0)
        *dt = CD_BOOL;
    else
        return unsupported(L, "only float32, int32 and bool types are supported");
    return 0;
}

static int op_cast(struct loader *L, struct node *n)
{
    int idx[1];
    int r = need_inputs(L, n, idx, 1, 1);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    enum cdt to;
    if ((r = type_attr(L, n, "DstT", &to)))
        return r;
    if (x->kind == VK_ACT && to == CD_F32) {
        n->out[0] = *x;
        return 0;
    }
    if (x->kind != VK_CONST)
        return unsupported(L, "only casts of constants, or of float tensors to float, are supported");
    if ((r = new_const(L, &n->out[0], to, x->ndim, x->dims)))
        return r;
    for (size_t i = 0; i < x->count; i++) {
        double v = cget(x, i);
        if (to == CD_F32) {
            ((float *)n->out[0].data)[i] = (float)v;
        } else if (to == CD_BOOL) {
            ((int32_t *)n->out[0].data)[i] = v != 0;
        } else {
            if (!(v > -2147483649.0 && v < 2147483648.0))
                return node_error(L, "the value does not fit int32");
            ((int32_t *)n->out[0].data)[i] = (int32_t)v; /* truncation, as TF */
        }
    }
    return 0;
}

static int op_squeeze(struct loader *L, struct node *n)
{
    int idx[1];
    int r = need_inputs(L, n, idx, 1, 1);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    long long sd[8];
    int nsd;
    if ((r = attr_ilist(L, n, "squeeze_dims", sd, 8, &nsd)))
        return r;
    if (x->kind != VK_CONST)
        return unsupported(L, "only squeezes of constants are supported");
    int od[BD_MAX_DIMS], on = 0;
    for (int d = 0; d < x->ndim; d++) {
        int drop = 0;
        if (nsd == 0) {
            drop = x->dims[d] == 1;
        } else {
            for (int k = 0; k < nsd; k++)
                if (sd[k] == d || sd[k] + x->ndim == d)
                    drop = 1;
            if (drop && x->dims[d] != 1)
                return node_error(L, "a squeezed dimension is not 1");
        }
        if (!drop)
            od[on++] = x->dims[d];
    }
    n->out[0] = *x;
    n->out[0].ndim = on;
    memcpy(n->out[0].dims, od, sizeof od);
    n->out[0].tensor = -1;
    return 0;
}

static int op_switch(struct loader *L, struct node *n)
{
    int idx[2];
    int r = need_inputs(L, n, idx, 2, 2);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]), *p = IN(L, n, idx[1]);
    if (p->kind != VK_CONST || p->dt != CD_BOOL || p->count != 1)
        return unsupported(L, "the predicate is not known at load time");
    int taken = ((int32_t *)p->data)[0] != 0;
    n->out[taken] = *x;
    n->out[!taken].kind = VK_DEAD;
    return 0;
}

static int op_merge(struct loader *L, struct node *n)
{
    int one = 1;
    for (int k = 0; k < n->nin; k++) {
        if (n->ctrl[k])
            continue;
        struct val *x = IN(L, n, k);
        if (x->kind != VK_DEAD) {
            n->out[0] = *x;
            int r = new_const(L, &n->out[1], CD_I32, 0, &one);
            if (r)
                return r;
            ((int32_t *)n->out[1].data)[0] = k;
            return 0;
        }
    }
    n->out[0].kind = n->out[1].kind = VK_DEAD;
    return 0;
}

static int op_broadcast_to(struct loader *L, struct node *n)
{
    int idx[2], sh[BD_MAX_DIMS], ns;
    int r = need_inputs(L, n, idx, 2, 2);
    if (r < 0)
        return r;
    struct val *x = IN(L, n, idx[0]);
    if ((r = const_ints(L, IN(L, n, idx[1]), sh, BD_MAX_DIMS, &ns, "the shape")))
        return r;
    if (ns < 1)
        return unsupported(L, "broadcast to a scalar");
    for (int d = 0; d < ns; d++)
        if (sh[d] < 1 || sh[d] > MAX_SIDE * 4)
            return node_error(L, "shape out of range");
    if (x->kind == VK_STATE) {
        /* The recurrent state: a graph input of the broadcast shape (zeros
         * on the first frame are what the scalar 0 broadcasts to). */
        int *t = &L->state_tensor[x->state];
        if (*t < 0) {
            if ((r = new_tensor(L, ns, sh, NULL, L->state_names[x->state], t)))
                return r;
        } else if (L->t[*t].ndim != ns || memcmp(L->t[*t].dims, sh, (size_t)ns * sizeof(int))) {
            return node_error(L, "the state is broadcast to two different shapes");
        }
        struct val *o = &n->out[0];
        memset(o, 0, sizeof *o);
        o->kind = VK_ACT;
        o->tensor = *t;
        o->ndim = ns;
        memcpy(o->dims, sh, (size_t)ns * sizeof(int));
        o->count = L->t[*t].count;
        return 0;
    }
    if (x->kind == VK_ACT && x->ndim == ns && memcmp(x->dims, sh, (size_t)ns * sizeof(int)) == 0) {
        n->out[0] = *x;
        return 0;
    }
    return unsupported(L, "only broadcasts of the recurrent state, or to the same shape, are supported");
}

static int op_placeholder(struct loader *L, struct node *n)
{
    struct val *o = &n->out[0];
    const struct bd_tfjs_spec *s = L->spec;
    if (strcmp(n->name, "src") == 0) {
        const cJSON *a = attr(n, "shape");
        int nd;
        long long dims[BD_MAX_DIMS];
        if (json_shape(a ? cJSON_GetObjectItemCaseSensitive(a, "shape") : NULL, &nd, dims))
            return node_error(L, "its shape is malformed");
        if (nd != 4 || (dims[3] != 3 && dims[3] != -1) || (dims[0] != 1 && dims[0] != -1) ||
            (dims[1] != -1 && dims[1] != s->height) || (dims[2] != -1 && dims[2] != s->width))
            return unsupported(L, "the image input must be [1,H,W,3] with H and W free or equal to the size asked for");
        int d[4] = {1, s->height, s->width, 3}, r;
        if ((r = new_tensor(L, 4, d, NULL, "src", &L->g->input)))
            return r;
        memset(o, 0, sizeof *o);
        o->kind = VK_ACT;
        o->tensor = L->g->input;
        o->ndim = 4;
        memcpy(o->dims, d, sizeof d);
        o->count = L->t[o->tensor].count;
        return 0;
    }
    if (strcmp(n->name, "downsample_ratio") == 0) {
        int r = new_const(L, o, CD_F32, 0, NULL);
        if (r)
            return r;
        ((float *)o->data)[0] = s->ratio;
        return 0;
    }
    if (L->num_states >= 4)
        return unsupported(L, "more than 4 recurrent state inputs");
    memset(o, 0, sizeof *o);
    o->kind = VK_STATE;
    o->state = L->num_states;
    L->state_names[L->num_states] = n->name;
    L->state_tensor[L->num_states] = -1;
    L->num_states++;
    return 0;
}

static int op_const(struct loader *L, struct node *n)
{
    const struct weight *w = find_weight(L, n->name);
    if (!w)
        return node_error(L, "the weights manifest has no entry for it");
    const cJSON *a = attr(n, "value");
    const cJSON *t = a ? cJSON_GetObjectItemCaseSensitive(a, "tensor") : NULL;
    const cJSON *dt = t ? cJSON_GetObjectItemCaseSensitive(t, "dtype") : NULL;
    int nd;
    long long dims[BD_MAX_DIMS];
    if (!cJSON_IsString(dt) || json_shape(cJSON_GetObjectItemCaseSensitive(t, "tensorShape"), &nd, dims))
        return node_error(L, "its value attribute is malformed");
    enum cdt want = strcmp(dt->valuestring, "DT_FLOAT") == 0 ? CD_F32
                    : strcmp(dt->valuestring, "DT_INT32") == 0 ? CD_I32
                    : strcmp(dt->valuestring, "DT_BOOL") == 0 ? CD_BOOL : (enum cdt)-1;
    if ((int)want < 0)
        return unsupported(L, "only float32, int32 and bool constants are supported");
    if (want != w->dt || nd != w->ndim)
        return node_error(L, "its type or rank differs from the weights manifest");
    for (int d = 0; d < nd; d++)
        if (dims[d] != w->dims[d])
            return node_error(L, "its shape differs from the weights manifest");
    struct val *o = &n->out[0];
    memset(o, 0, sizeof *o);
    o->kind = VK_CONST;
    o->dt = w->dt;
    o->ndim = w->ndim;
    memcpy(o->dims, w->dims, sizeof o->dims);
    o->count = w->count;
    o->data = w->data;
    o->tensor = -1;
    return 0;
}

static int eval_node(struct loader *L, struct node *n)
{
    L->cur = n;
    const char *op = n->op;
    if (strcmp(op, "Merge") != 0) {
        for (int k = 0; k < n->nin; k++)
            if (IN(L, n, k)->kind == VK_DEAD) {
                for (int i = 0; i < n->nout; i++)
                    n->out[i].kind = VK_DEAD;
                return 0;
            }
    }
    if (strcmp(op, "Const") == 0) return op_const(L, n);
    if (strcmp(op, "Placeholder") == 0) return op_placeholder(L, n);
    if (strcmp(op, "NoOp") == 0) {
        n->out[0].kind = VK_NONE;
        return 0;
    }
    if (strcmp(op, "Identity") == 0) {
        int idx[1];
        int r = need_inputs(L, n, idx, 1, 1);
        if (r < 0)
            return r;
        n->out[0] = *IN(L, n, idx[0]);
        return 0;
    }
    if (strcmp(op, "Switch") == 0) return op_switch(L, n);
    if (strcmp(op, "Merge") == 0) return op_merge(L, n);
    if (strcmp(op, "Shape") == 0) return op_shape(L, n);
    if (strcmp(op, "StridedSlice") == 0) return op_strided_slice(L, n);
    if (strcmp(op, "Pack") == 0) return op_pack(L, n);
    if (strcmp(op, "Cast") == 0) return op_cast(L, n);
    if (strcmp(op, "Squeeze") == 0) return op_squeeze(L, n);
    if (strcmp(op, "Equal") == 0) return op_binary(L, n, B_EQ);
    if (strcmp(op, "FloorMod") == 0) return op_binary(L, n, B_MOD);
    if (strcmp(op, "Add") == 0 || strcmp(op, "AddV2") == 0) return op_binary(L, n, B_ADD);
    if (strcmp(op, "Sub") == 0) return op_binary(L, n, B_SUB);
    if (strcmp(op, "Mul") == 0) return op_binary(L, n, B_MUL);
    if (strcmp(op, "RealDiv") == 0) return op_binary(L, n, B_DIV);
    if (strcmp(op, "Minimum") == 0) return op_binary(L, n, B_MIN);
    if (strcmp(op, "Maximum") == 0) return op_binary(L, n, B_MAX);
    if (strcmp(op, "Square") == 0) return op_unary(L, n, BD_OP_MUL);
    if (strcmp(op, "Relu") == 0) return op_unary(L, n, BD_OP_RELU);
    if (strcmp(op, "Relu6") == 0) return op_unary(L, n, BD_OP_RELU6);
    if (strcmp(op, "Sigmoid") == 0) return op_unary(L, n, BD_OP_LOGISTIC);
    if (strcmp(op, "Tanh") == 0) return op_unary(L, n, BD_OP_TANH);
    if (strcmp(op, "_FusedConv2D") == 0) return op_conv(L, n, 0, 1);
    if (strcmp(op, "Conv2D") == 0) return op_conv(L, n, 0, 0);
    if (strcmp(op, "FusedDepthwiseConv2dNative") == 0) return op_conv(L, n, 1, 1);
    if (strcmp(op, "DepthwiseConv2dNative") == 0) return op_conv(L, n, 1, 0);
    if (strcmp(op, "SpaceToBatchND") == 0) return op_space_to_batch(L, n);
    if (strcmp(op, "BatchToSpaceND") == 0) return op_batch_to_space(L, n);
    if (strcmp(op, "Pad") == 0) return op_pad(L, n);
    if (strcmp(op, "AvgPool") == 0) return op_avgpool(L, n);
    if (strcmp(op, "Mean") == 0) return op_mean(L, n);
    if (strcmp(op, "ResizeBilinear") == 0) return op_resize(L, n);
    if (strcmp(op, "ConcatV2") == 0) return op_concat(L, n);
    if (strcmp(op, "Split") == 0) return op_split(L, n, 0);
    if (strcmp(op, "SplitV") == 0) return op_split(L, n, 1);
    if (strcmp(op, "Slice") == 0) return op_slice(L, n);
    if (strcmp(op, "BroadcastTo") == 0) return op_broadcast_to(L, n);
    return unsupported(L, "no such op in backdrop's engine");
}

/* Kahn's order over data and control edges: the file need not be sorted. */
static int evaluate(struct loader *L)
{
    int n = L->num_nodes;
    int *cnt = tmp_alloc(L, (size_t)(n + 1) * sizeof(int));
    int *queue = tmp_alloc(L, (size_t)n * sizeof(int));
    if (!cnt || !queue)
        return nomem(L);
    int total = 0;
    for (int i = 0; i < n; i++) {
        L->nodes[i].pending = L->nodes[i].nin;
        for (int k = 0; k < L->nodes[i].nin; k++)
            cnt[L->nodes[i].in[k]]++;
        total += L->nodes[i].nin;
    }
    /* CSR of consumers */
    int *start = tmp_alloc(L, (size_t)(n + 1) * sizeof(int));
    int *cons = tmp_alloc(L, (size_t)(total ? total : 1) * sizeof(int));
    if (!start || !cons)
        return nomem(L);
    for (int i = 0; i < n; i++)
        start[i + 1] = start[i] + cnt[i];
    for (int i = 0; i < n; i++)
        cnt[i] = start[i];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < L->nodes[i].nin; k++)
            cons[cnt[L->nodes[i].in[k]]++] = i;
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (L->nodes[i].pending == 0)
            queue[tail++] = i;
    while (head < tail) {
        int i = queue[head++];
        int r = eval_node(L, &L->nodes[i]);
        if (r)
            return r;
        for (int c = start[i]; c < start[i + 1]; c++)
            if (--L->nodes[cons[c]].pending == 0)
                queue[tail++] = cons[c];
    }
    if (tail != n)
        return corrupt(L, "the graph has a cycle");
    return 0;
}

/* ---- outputs, pruning, linking ------------------------------------------ */

static int set_outputs(struct loader *L)
{
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(L->root, "signature");
    const cJSON *outs = sig ? cJSON_GetObjectItemCaseSensitive(sig, "outputs") : NULL;
    if (!cJSON_IsObject(outs))
        return corrupt(L, "no signature.outputs");
    struct bd_graph *g = L->g;
    for (size_t k = 0; k < sizeof output_names / sizeof output_names[0]; k++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(outs, output_names[k]);
        if (!o)
            continue;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (!cJSON_IsString(nm))
            return corrupt(L, "a signature output has no name");
        const char *s = nm->valuestring, *colon = strrchr(s, ':');
        size_t len = strlen(s);
        int port = 0;
        if (colon) {
            char *end;
            long p = strtol(colon + 1, &end, 10);
            if (*end || p < 0 || p >= MAX_SPLIT || colon[1] == '\0')
                return corrupt(L, "a signature output's port");
            port = (int)p;
            len = (size_t)(colon - s);
        }
        int ni = find_node(L, s, len);
        if (ni < 0 || port >= L->nodes[ni].nout)
            return bd_fail(BD_ERR_FORMAT, "model '%s': output '%s' names no node", L->name, output_names[k]);
        const struct val *v = &L->nodes[ni].out[port];
        if (v->kind != VK_ACT)
            return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': output '%s' is not a tensor computed at run time",
                           L->name, output_names[k]);
        for (int j = 0; j < g->num_outputs; j++)
            if (g->outputs[j] == v->tensor)
                return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': two outputs are the same tensor", L->name);
        g->outputs[g->num_outputs++] = v->tensor;
    }
    if (g->num_outputs == 0 || L->t[g->outputs[0]].ndim != 4)
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': no 4-D 'pha' output", L->name);
    /* State "rNi" is fed from output "rNo" of the run before. */
    for (int s = 0; s < L->num_states; s++) {
        if (L->state_tensor[s] < 0)
            continue;
        const char *sn = L->state_names[s];
        size_t len = strlen(sn);
        int found = -1;
        for (int k = 0, j = 0; k < (int)(sizeof output_names / sizeof output_names[0]); k++) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(outs, output_names[k]);
            if (!o)
                continue;
            if (len == 3 && strncmp(output_names[k], sn, 2) == 0 && sn[2] == 'i' && output_names[k][2] == 'o')
                found = j;
            j++;
        }
        if (found < 0)
            return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': state input '%s' has no matching output (r1i..r4i are fed from r1o..r4o)",
                           L->name, sn);
        const struct bd_tensor *ti = &L->t[L->state_tensor[s]], *to = &L->t[g->outputs[found]];
        if (ti->ndim != to->ndim || memcmp(ti->dims, to->dims, (size_t)ti->ndim * sizeof(int)))
            return bd_fail(BD_ERR_FORMAT, "model '%s': state input '%s' and its output differ in shape", L->name, sn);
        g->state_inputs[g->num_state_inputs] = L->state_tensor[s];
        g->state_outputs[g->num_state_inputs++] = g->outputs[found];
    }
    return 0;
}

static int finish(struct loader *L)
{
    struct bd_graph *g = L->g;
    /* Keep the ops the outputs need. */
    unsigned char *need = tmp_alloc(L, (size_t)L->nt);
    if (!need)
        return nomem(L);
    for (int k = 0; k < g->num_outputs; k++)
        need[g->outputs[k]] = 1;
    for (int i = L->nops - 1; i >= 0; i--) {
        if (!need[L->ops[i].output])
            continue;
        for (int k = 0; k < L->ops[i].num_inputs; k++)
            if (L->ops[i].inputs[k] >= 0)
                need[L->ops[i].inputs[k]] = 1;
    }
    int kept = 0;
    for (int i = 0; i < L->nops; i++)
        if (need[L->ops[i].output])
            L->ops[kept++] = L->ops[i];
    if (kept == 0)
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': its outputs need no computation", L->name);
    g->num_tensors = L->nt;
    g->tensors = bd_graph_alloc(g, (size_t)L->nt * sizeof *g->tensors);
    g->ops = bd_graph_alloc(g, (size_t)kept * sizeof *g->ops);
    if (!g->tensors || !g->ops)
        return nomem(L);
    memcpy(g->tensors, L->t, (size_t)L->nt * sizeof *g->tensors);
    memcpy(g->ops, L->ops, (size_t)kept * sizeof *g->ops);
    g->num_ops = kept;
    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        for (int k = 0; k < op->num_inputs; k++)
            if (op->inputs[k] >= 0)
                g->tensors[op->inputs[k]].last_use = i;
        g->tensors[op->output].producer = i;
    }
    for (int k = 0; k < g->num_outputs; k++)
        g->tensors[g->outputs[k]].last_use = INT_MAX;
    return 0;
}

int bd_tfjs_load(const char *json, size_t json_len, const struct bd_tfjs_shard *shards, int num_shards,
                 const struct bd_tfjs_spec *spec, const char *name, struct bd_graph **out)
{
    *out = NULL;
    struct loader L = {.name = name ? name : "model", .spec = spec};
    if (!json || !spec || num_shards < 0 || (num_shards && !shards))
        return bd_fail(BD_ERR_INVALID_ARG, "bd_tfjs_load: missing argument");
    if (spec->height < 1 || spec->width < 1 || spec->height > MAX_SIDE || spec->width > MAX_SIDE)
        return bd_fail(BD_ERR_INVALID_ARG, "model '%s': input size %dx%d is out of range (1 to %d)", L.name,
                       spec->width, spec->height, MAX_SIDE);
    if (!(spec->ratio > 0.0f && spec->ratio <= 1.0f))
        return bd_fail(BD_ERR_INVALID_ARG, "model '%s': downsample ratio %g is out of range (0 to 1]", L.name,
                       (double)spec->ratio);
    if (json_len == 0 || json_len > MAX_JSON)
        return bd_fail(BD_ERR_FORMAT, "model '%s': model.json is empty or over 64 MiB", L.name);
    L.root = cJSON_ParseWithLength(json, json_len);
    if (!L.root)
        return bd_fail(BD_ERR_FORMAT, "model '%s': model.json is not valid JSON (truncated?); re-download the model",
                       L.name);
    int r;
    L.g = bd_graph_new();
    if (!L.g) {
        r = nomem(&L);
        goto done;
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(L.root, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "graph-model") != 0) {
        r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': not a TF.js graph model (format is not \"graph-model\")", L.name);
        goto done;
    }
    L.g->input = -1;
    if ((r = load_weights(&L, shards, num_shards)) || (r = parse_nodes(&L)) || (r = evaluate(&L)))
        goto done;
    L.cur = NULL;
    if (L.g->input < 0) {
        r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': no image input named 'src'", L.name);
        goto done;
    }
    if ((r = set_outputs(&L)) || (r = finish(&L)))
        goto done;
    *out = L.g;
    L.g = NULL;
done:
    bd_graph_free(L.g);
    cJSON_Delete(L.root);
    for (int i = 0; i < L.ntmp; i++)
        free(L.tmp[i]);
    free(L.tmp);
    free(L.t);
    free(L.ops);
    return r;
}

/* ---- files -------------------------------------------------------------- */

static int read_all(const char *path, size_t max, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bd_fail(BD_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= max) {
                free(buf);
                fclose(f);
                return bd_fail(BD_ERR_FORMAT, "'%s' is larger than %zu MiB", path, max >> 20);
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return bd_fail(BD_ERR_NOMEM, "out of memory reading '%s'", path);
    if (err) {
        free(buf);
        return bd_fail(BD_ERR_IO, "cannot read '%s'", path);
    }
    *data = buf;
    *size = n;
    return 0;
}

int bd_tfjs_load_file(const char *path, const struct bd_tfjs_spec *spec, struct bd_graph **out)
{
    *out = NULL;
    uint8_t *json;
    size_t jlen;
    int r = read_all(path, MAX_JSON, &json, &jlen);
    if (r)
        return r;
    cJSON *root = cJSON_ParseWithLength((const char *)json, jlen);
    if (!root) {
        free(json);
        return bd_fail(BD_ERR_FORMAT, "model '%s': model.json is not valid JSON (truncated?); re-download the model", path);
    }
    /* Read each shard the manifest names, from the model's folder. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    struct bd_tfjs_shard shards[64];
    int ns = 0;
    const cJSON *man = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest"), *grp;
    r = 0;
    cJSON_ArrayForEach(grp, (cJSON_IsArray(man) ? man : NULL)) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(grp, "paths")) {
            if (!cJSON_IsString(p))
                continue; /* bd_tfjs_load reports it */
            const char *s = p->valuestring;
            int dup = 0;
            for (int k = 0; k < ns; k++)
                dup |= strcmp(shards[k].path, s) == 0;
            if (dup)
                continue;
            if (s[0] == '/' || strstr(s, "..") || !s[0]) {
                r = bd_fail(BD_ERR_FORMAT, "model '%s': weight path '%s' leaves the model's folder", path, s);
                goto done;
            }
            if (ns == 64) {
                r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': more than 64 weight files", path);
                goto done;
            }
            size_t len = dirlen + strlen(s) + 1;
            char *full = malloc(len);
            if (!full) {
                r = bd_fail(BD_ERR_NOMEM, "out of memory");
                goto done;
            }
            snprintf(full, len, "%.*s%s", (int)dirlen, path, s);
            uint8_t *d = NULL;
            size_t sz = 0;
            r = read_all(full, MAX_WEIGHT_BYTES, &d, &sz);
            free(full);
            if (r) {
                r = bd_fail(BD_ERR_FORMAT, "model '%s': weight file '%s' is missing or unreadable; put it beside model.json",
                            path, s);
                goto done;
            }
            shards[ns].path = s;
            shards[ns].data = d;
            shards[ns].size = sz;
            ns++;
        }
    }
    r = bd_tfjs_load((const char *)json, jlen, shards, ns, spec, path, out);
done:
    for (int k = 0; k < ns; k++)
        free((void *)shards[k].data);
    cJSON_Delete(root);
    free(json);
    return r;
}
