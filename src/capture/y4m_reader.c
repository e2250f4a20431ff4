/* SPDX-License-Identifier: GPL-3.0-or-later */
/* YUV4MPEG2 reader: see y4m_reader.h for the accepted subset. */
#include "capture/y4m_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/error.h"

#define BUF_SIZE (64 * 1024) /* > every header limit and every row (16384) */

struct bd_y4m_reader {
    int fd;
    char name[256];
    struct bd_y4m_info info;
    uint8_t *buf;
    size_t pos, len;   /* unread bytes are buf[pos, len) */
    bool eof;          /* read() returned 0 */
    int state;         /* 0 ok, BD_Y4M_EOF, or a sticky error status */
    uint64_t frames;
    off_t data_off;    /* the first FRAME line's file offset; -1 on a pipe */
};

/* ---- pure parsing ---------------------------------------------------- */

/* Parses decimal digits [s, e) into *v; no sign, at most 9 digits. */
static bool parse_uint(const char *s, const char *e, int *v)
{
    if (s >= e || e - s > 9)
        return false;
    int x = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return false;
        x = x * 10 + (*s - '0');
    }
    *v = x;
    return true;
}

/* Parses "<n>:<d>" in [s, e). */
static bool parse_ratio(const char *s, const char *e, int *n, int *d)
{
    const char *c = memchr(s, ':', (size_t)(e - s));
    return c && parse_uint(s, c, n) && parse_uint(c + 1, e, d);
}

/* Strips one trailing '\n' and checks that the rest is printable ASCII. */
static bool printable_line(const char *line, size_t *len)
{
    if (*len > 0 && line[*len - 1] == '\n')
        (*len)--;
    for (size_t i = 0; i < *len; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
            return false;
    return true;
}

int bd_y4m_parse_header(const char *line, size_t len, const char *name,
                        struct bd_y4m_info *info)
{
    static const char magic[] = "YUV4MPEG2";
    const size_t mlen = sizeof magic - 1;
    if (!name)
        name = "input";
    if (!line || !info)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m '%s': no header to parse", name);
    memset(info, 0, sizeof *info);
    info->interlace = 'p';
    strcpy(info->chroma, "420jpeg");

    if (len < mlen || memcmp(line, magic, mlen) != 0 || (len > mlen && line[mlen] != ' ' &&
                                                        line[mlen] != '\n'))
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': not a YUV4MPEG2 stream (the header must "
                                      "start with \"YUV4MPEG2 \")", name);
    if (len > BD_Y4M_MAX_HEADER)
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': header longer than %d bytes", name,
                       BD_Y4M_MAX_HEADER);
    if (!printable_line(line, &len))
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': header contains a control or non-ASCII byte",
                       name);

    bool seen_w = false, seen_h = false, seen_f = false, seen_c = false, seen_a = false,
         seen_i = false;
    const char *p = line + mlen, *end = line + len;
    while (p < end) {
        if (*p == ' ') {
            p++;
            continue;
        }
        const char *e = memchr(p, ' ', (size_t)(end - p));
        if (!e)
            e = end;
        char tag = *p;
        const char *v = p + 1;
        int tl = (int)(e - p) > 40 ? 40 : (int)(e - p); /* quoted tag length in messages */
        switch (tag) {
        case 'W':
        case 'H': {
            int x;
            bool *seen = tag == 'W' ? &seen_w : &seen_h;
            if (*seen)
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': %c given twice", name, tag);
            *seen = true;
            if (!parse_uint(v, e, &x) || x < 1 || x > BD_Y4M_MAX_DIM)
                return bd_fail(BD_ERR_FORMAT,
                               "y4m '%s': bad %s '%.*s' (must be 1..%d)", name,
                               tag == 'W' ? "width" : "height", tl, p, BD_Y4M_MAX_DIM);
            if (tag == 'W')
                info->width = x;
            else
                info->height = x;
            break;
        }
        case 'F': {
            int n, d;
            if (seen_f)
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': F given twice", name);
            seen_f = true;
            if (!parse_ratio(v, e, &n, &d) || (n == 0) != (d == 0))
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': bad frame rate '%.*s' (want F<num>:<den>)",
                               name, tl, p);
            info->fps_num = n;
            info->fps_den = d;
            break;
        }
        case 'A': {
            int n, d;
            if (seen_a)
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': A given twice", name);
            seen_a = true;
            if (!parse_ratio(v, e, &n, &d))
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': bad aspect '%.*s' (want A<num>:<den>)",
                               name, tl, p);
            info->aspect_num = n;
            info->aspect_den = d;
            break;
        }
        case 'I':
            if (seen_i)
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': I given twice", name);
            seen_i = true;
            if (e - v != 1 || !strchr("ptbm?", *v))
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': bad interlacing '%.*s' (want Ip, It, "
                                              "Ib, Im or I?)", name, tl, p);
            info->interlace = *v;
            break;
        case 'C': {
            static const char *const ok[] = {"420jpeg", "420paldv", "420mpeg2", "420"};
            if (seen_c)
                return bd_fail(BD_ERR_FORMAT, "y4m '%s': C given twice", name);
            seen_c = true;
            size_t n = (size_t)(e - v);
            bool found = false;
            for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                if (n == strlen(ok[i]) && memcmp(v, ok[i], n) == 0) {
                    strcpy(info->chroma, ok[i]);
                    found = true;
                }
            if (!found)
                return bd_fail(n ? BD_ERR_UNSUPPORTED : BD_ERR_FORMAT,
                               "y4m '%s': colourspace '%.*s' is not supported: only 8-bit 4:2:0 "
                               "(C420jpeg, C420paldv, C420mpeg2, C420); convert with "
                               "ffmpeg -pix_fmt yuv420p", name, tl, p);
            break;
        }
        case 'X':
            break;
        default:
            return bd_fail(BD_ERR_FORMAT, "y4m '%s': unknown header tag '%.*s'", name, tl, p);
        }
        p = e;
    }
    if (!seen_w || !seen_h)
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': header lacks %s", name,
                       !seen_w && !seen_h ? "W and H" : !seen_w ? "W (width)" : "H (height)");
    size_t cw = ((size_t)info->width + 1) / 2, ch = ((size_t)info->height + 1) / 2;
    info->frame_bytes = (size_t)info->width * (size_t)info->height + 2 * cw * ch;
    return BD_OK;
}

int bd_y4m_parse_frame_header(const char *line, size_t len, const char *name)
{
    if (!name)
        name = "input";
    if (!line || len < 5 || memcmp(line, "FRAME", 5) != 0 ||
        (len > 5 && line[5] != ' ' && line[5] != '\n'))
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': expected a FRAME line", name);
    if (len > BD_Y4M_MAX_FRAME_HEADER)
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': FRAME line longer than %d bytes", name,
                       BD_Y4M_MAX_FRAME_HEADER);
    if (!printable_line(line, &len))
        return bd_fail(BD_ERR_FORMAT, "y4m '%s': FRAME line contains a control or non-ASCII byte",
                       name);
    return BD_OK;
}

/* ---- buffered input -------------------------------------------------- */

/* Reads more into the buffer. Returns bytes added (0 at end of input) or a
 * failed status. */
static int fill(struct bd_y4m_reader *r)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == BUF_SIZE)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m '%s': internal: buffer full", r->name);
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, BUF_SIZE - r->len);
        if (n > 0) {
            r->len += (size_t)n;
            return (int)n;
        }
        if (n == 0) {
            r->eof = true;
            return 0;
        }
        if (errno == EINTR)
            continue;
        return bd_fail(BD_ERR_IO, "y4m '%s': read failed: %s", r->name, strerror(errno));
    }
}

/* Finds a line of at most max bytes ('\n' included) at the read position.
 * Returns BD_OK with *line and *len (the '\n' included, consumed), BD_Y4M_EOF
 * when there is no byte at all, or BD_ERR_FORMAT ("truncated" / too long),
 * BD_ERR_IO. what names the line in messages. */
static int get_line(struct bd_y4m_reader *r, size_t max, const char *what, const char **line,
                    size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        size_t avail = r->len - r->pos;
        size_t lim = avail < max ? avail : max;
        const uint8_t *nl = scanned < lim ? memchr(r->buf + r->pos + scanned, '\n', lim - scanned)
                                          : NULL;
        if (nl) {
            *line = (const char *)r->buf + r->pos;
            *len = (size_t)(nl - (r->buf + r->pos)) + 1;
            r->pos += *len;
            return BD_OK;
        }
        scanned = lim;
        if (avail >= max)
            return bd_fail(BD_ERR_FORMAT, "y4m '%s': %s longer than %zu bytes without a newline",
                           r->name, what, max);
        int n = fill(r);
        if (n < 0)
            return n;
        if (n == 0) {
            if (r->len - r->pos == 0)
                return BD_Y4M_EOF;
            return bd_fail(BD_ERR_FORMAT, "y4m '%s': truncated %s (the stream ended after %zu "
                                          "bytes of it)", r->name, what, r->len - r->pos);
        }
    }
}

/* Copies exactly n bytes to dst. Returns BD_OK, or BD_ERR_FORMAT with
 * *got < n when the input ends, or BD_ERR_IO. */
static int get_bytes(struct bd_y4m_reader *r, uint8_t *dst, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        /* the buffer drained and a large piece left: read() straight into
         * dst, so a frame is copied once (by the kernel), not twice */
        if (r->pos == r->len && n - *got >= BUF_SIZE && !r->eof) {
            ssize_t k = read(r->fd, dst + *got, n - *got);
            if (k > 0) {
                *got += (size_t)k;
                continue;
            }
            if (k == 0) {
                r->eof = true;
                return BD_ERR_FORMAT;
            }
            if (errno == EINTR)
                continue;
            return bd_fail(BD_ERR_IO, "y4m '%s': read failed: %s", r->name, strerror(errno));
        }
        if (r->pos == r->len) {
            int k = fill(r);
            if (k < 0)
                return k;
            if (k == 0)
                return BD_ERR_FORMAT;
        }
        size_t c = r->len - r->pos;
        if (c > n - *got)
            c = n - *got;
        memcpy(dst + *got, r->buf + r->pos, c);
        r->pos += c;
        *got += c;
    }
    return BD_OK;
}

/* ---- the reader ------------------------------------------------------ */

int bd_y4m_reader_open(int fd, const char *name, struct bd_y4m_reader **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m: out is NULL");
    *out = NULL;
    if (!name)
        name = "input";
    if (fd < 0)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m '%s': bad file descriptor %d", name, fd);
    struct bd_y4m_reader *r = calloc(1, sizeof *r);
    uint8_t *buf = malloc(BUF_SIZE);
    if (!r || !buf) {
        free(r);
        free(buf);
        return bd_fail(BD_ERR_NOMEM, "y4m '%s': out of memory", name);
    }
    r->fd = fd;
    r->buf = buf;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->data_off = lseek(fd, 0, SEEK_CUR);

    const char *line;
    size_t len;
    int st = get_line(r, BD_Y4M_MAX_HEADER, "header", &line, &len);
    if (st == BD_Y4M_EOF)
        st = bd_fail(BD_ERR_FORMAT, "y4m '%s': empty input (no YUV4MPEG2 header)", r->name);
    if (st == BD_OK)
        st = bd_y4m_parse_header(line, len, r->name, &r->info);
    if (st != BD_OK) {
        bd_y4m_reader_close(r);
        return st;
    }
    if (r->data_off >= 0)
        r->data_off += (off_t)len;
    *out = r;
    return BD_OK;
}

int bd_y4m_reader_rewind(struct bd_y4m_reader *r)
{
    if (!r)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m: reader is NULL");
    if (r->data_off < 0)
        return bd_fail(BD_ERR_UNSUPPORTED, "y4m '%s': cannot rewind: not a seekable file",
                       r->name);
    if (r->state != 0 && r->state != BD_Y4M_EOF)
        return bd_fail(r->state, "y4m '%s': the stream already failed", r->name);
    if (lseek(r->fd, r->data_off, SEEK_SET) != r->data_off)
        return bd_fail(BD_ERR_IO, "y4m '%s': cannot rewind: %s", r->name, strerror(errno));
    r->pos = r->len = 0;
    r->eof = false;
    r->state = 0;
    return BD_OK;
}

const struct bd_y4m_info *bd_y4m_reader_info(const struct bd_y4m_reader *r)
{
    return &r->info;
}

uint64_t bd_y4m_reader_frames(const struct bd_y4m_reader *r)
{
    return r->frames;
}

static int read_plane(struct bd_y4m_reader *r, uint8_t *dst, int stride, int w, int h,
                      const char *plane, size_t *done)
{
    /* rows without padding between them: the plane in one piece (one
     * read() for the whole of it when the buffer is empty) */
    const int whole = stride == w;
    const int rows = whole ? 1 : h;
    const size_t piece = whole ? (size_t)w * (size_t)h : (size_t)w;
    for (int y = 0; y < rows; y++) {
        size_t got;
        int st = get_bytes(r, dst + (size_t)y * (size_t)stride, piece, &got);
        *done += got;
        if (st == BD_ERR_FORMAT)
            return bd_fail(BD_ERR_FORMAT, "y4m '%s': truncated frame %llu: the stream ended in "
                                          "its %s plane after %zu of %zu bytes", r->name,
                           (unsigned long long)r->frames + 1, plane, *done, r->info.frame_bytes);
        if (st != BD_OK)
            return st;
    }
    return BD_OK;
}

int bd_y4m_reader_read(struct bd_y4m_reader *r, const struct bd_i420 *dst)
{
    if (!r)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m: reader is NULL");
    const int w = r->info.width, h = r->info.height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (!dst || !dst->y || !dst->u || !dst->v || dst->stride_y < w || dst->stride_u < cw ||
        dst->stride_v < cw)
        return bd_fail(BD_ERR_INVALID_ARG, "y4m '%s': destination planes missing or strides "
                                           "too small for %dx%d", r->name, w, h);
    if (r->state == BD_Y4M_EOF)
        return BD_Y4M_EOF;
    if (r->state != 0)
        return bd_fail(r->state, "y4m '%s': the stream already failed", r->name);

    const char *line;
    size_t len;
    int st = get_line(r, BD_Y4M_MAX_FRAME_HEADER, "FRAME line", &line, &len);
    if (st == BD_OK)
        st = bd_y4m_parse_frame_header(line, len, r->name);
    if (st == BD_OK) {
        size_t done = 0;
        st = read_plane(r, dst->y, dst->stride_y, w, h, "Y", &done);
        if (st == BD_OK)
            st = read_plane(r, dst->u, dst->stride_u, cw, ch, "U", &done);
        if (st == BD_OK)
            st = read_plane(r, dst->v, dst->stride_v, cw, ch, "V", &done);
    }
    if (st != BD_OK) {
        r->state = st;
        return st;
    }
    r->frames++;
    return BD_OK;
}

void bd_y4m_reader_close(struct bd_y4m_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}
