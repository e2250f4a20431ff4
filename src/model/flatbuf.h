/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A bounds-checked reader for the flatbuffer wire format, just enough for the
 * TFLite schema. Every accessor checks that what it reads lies inside the
 * buffer before reading, and reports failure instead of trusting offsets;
 * nothing here allocates. Multi-byte values are little-endian and may be
 * unaligned in a hostile file, so they are read with memcpy.
 *
 * Written by hand because Debian's flatcc/flatbuffers generate code from the
 * schema that trusts offsets unless a separate verifier runs first; a reader
 * whose every access is checked is both smaller and safer here.
 */
#ifndef BD_MODEL_FLATBUF_H
#define BD_MODEL_FLATBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fb_buf {
    const uint8_t *p;
    size_t n;
};

struct fb_table {
    size_t pos;      /* table start */
    size_t vt;       /* vtable start */
    uint16_t vt_size;
    uint16_t t_size;
};

struct fb_vec {
    size_t pos;      /* first element */
    uint32_t len;
};

static inline int fb_in(const struct fb_buf *b, size_t pos, size_t len)
{
    return pos <= b->n && len <= b->n - pos;
}

static inline uint16_t fb_rd16(const struct fb_buf *b, size_t pos)
{
    uint16_t v;
    memcpy(&v, b->p + pos, 2);
    return v;
}

static inline uint32_t fb_rd32(const struct fb_buf *b, size_t pos)
{
    uint32_t v;
    memcpy(&v, b->p + pos, 4);
    return v;
}

/* Opens the table at pos. Returns 0 on success, -1 if anything is out of
 * bounds. */
static inline int fb_table_at(const struct fb_buf *b, size_t pos, struct fb_table *t)
{
    if (!fb_in(b, pos, 4))
        return -1;
    int32_t soff = (int32_t)fb_rd32(b, pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !fb_in(b, (size_t)vt, 4))
        return -1;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vt_size = fb_rd16(b, t->vt);
    t->t_size = fb_rd16(b, t->vt + 2);
    if (t->vt_size < 4 || (t->vt_size & 1) || !fb_in(b, t->vt, t->vt_size))
        return -1;
    if (t->t_size < 4 || !fb_in(b, pos, t->t_size))
        return -1;
    return 0;
}

/* Position of field id's value if present and `size` bytes of it lie inside
 * the table; 0 when the field is absent; (size_t)-1 when corrupt. */
static inline size_t fb_field(const struct fb_buf *b, const struct fb_table *t,
                              int id, size_t size)
{
    size_t vo = 4 + 2 * (size_t)id;
    if (vo + 2 > t->vt_size)
        return 0;
    uint16_t fo = fb_rd16(b, t->vt + vo);
    if (fo == 0)
        return 0;
    if ((size_t)fo + size > t->t_size)
        return (size_t)-1;
    return t->pos + fo;
}

static inline int fb_get_u8(const struct fb_buf *b, const struct fb_table *t, int id,
                            uint8_t def, uint8_t *out)
{
    size_t f = fb_field(b, t, id, 1);
    if (f == (size_t)-1)
        return -1;
    *out = f ? b->p[f] : def;
    return 0;
}

static inline int fb_get_i32(const struct fb_buf *b, const struct fb_table *t, int id,
                             int32_t def, int32_t *out)
{
    size_t f = fb_field(b, t, id, 4);
    if (f == (size_t)-1)
        return -1;
    *out = f ? (int32_t)fb_rd32(b, f) : def;
    return 0;
}

static inline int fb_get_u64(const struct fb_buf *b, const struct fb_table *t, int id,
                             uint64_t def, uint64_t *out)
{
    size_t f = fb_field(b, t, id, 8);
    if (f == (size_t)-1)
        return -1;
    if (f) {
        memcpy(out, b->p + f, 8);
    } else {
        *out = def;
    }
    return 0;
}

static inline int fb_get_f32(const struct fb_buf *b, const struct fb_table *t, int id,
                             float def, float *out)
{
    size_t f = fb_field(b, t, id, 4);
    if (f == (size_t)-1)
        return -1;
    if (f) {
        uint32_t u = fb_rd32(b, f);
        memcpy(out, &u, 4);
    } else {
        *out = def;
    }
    return 0;
}

/* Follows the uoffset stored at pos. Returns the target or (size_t)-1. */
static inline size_t fb_deref(const struct fb_buf *b, size_t pos)
{
    if (!fb_in(b, pos, 4))
        return (size_t)-1;
    uint64_t target = (uint64_t)pos + fb_rd32(b, pos);
    if (target >= b->n)
        return (size_t)-1;
    return (size_t)target;
}

/* Reads the vector in field id, with elements of elem_size bytes. An absent
 * field gives an empty vector. Returns 0, or -1 when out of bounds. */
static inline int fb_get_vec(const struct fb_buf *b, const struct fb_table *t, int id,
                             size_t elem_size, struct fb_vec *v)
{
    v->pos = 0;
    v->len = 0;
    size_t f = fb_field(b, t, id, 4);
    if (f == (size_t)-1)
        return -1;
    if (f == 0)
        return 0;
    size_t at = fb_deref(b, f);
    if (at == (size_t)-1 || !fb_in(b, at, 4))
        return -1;
    uint32_t len = fb_rd32(b, at);
    if ((uint64_t)len * elem_size > b->n - (at + 4))
        return -1;
    v->pos = at + 4;
    v->len = len;
    return 0;
}

/* Opens the i-th table of a vector of tables. */
static inline int fb_vec_table(const struct fb_buf *b, const struct fb_vec *v, uint32_t i,
                               struct fb_table *t)
{
    if (i >= v->len)
        return -1;
    size_t at = fb_deref(b, v->pos + 4 * (size_t)i);
    if (at == (size_t)-1)
        return -1;
    return fb_table_at(b, at, t);
}

/* Opens a sub-table field; *present is 0 when absent. */
static inline int fb_get_table(const struct fb_buf *b, const struct fb_table *t, int id,
                               struct fb_table *sub, int *present)
{
    *present = 0;
    size_t f = fb_field(b, t, id, 4);
    if (f == (size_t)-1)
        return -1;
    if (f == 0)
        return 0;
    size_t at = fb_deref(b, f);
    if (at == (size_t)-1 || fb_table_at(b, at, sub) != 0)
        return -1;
    *present = 1;
    return 0;
}

static inline int32_t fb_vec_i32(const struct fb_buf *b, const struct fb_vec *v, uint32_t i)
{
    return (int32_t)fb_rd32(b, v->pos + 4 * (size_t)i);
}

#endif /* BD_MODEL_FLATBUF_H */
