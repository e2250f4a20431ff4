/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Captured frames to I420 or ARGB (see v4l2_capture.h): libyuv for YUYV
 * and NV12, libjpeg-turbo for MJPEG.
 *
 * MJPEG is decoded with jpeg_read_raw_data(): the planes come out as the
 * camera coded them (4:2:2 from nearly every UVC webcam, sometimes 4:2:0),
 * with no colour conversion and no upsampling, which is both the fastest
 * libjpeg path and exactly what I420 needs. JPEG's YCbCr is full range
 * (JFIF); I420 here is video range like every YUYV camera, so the planes
 * are mapped through two tables on the way out, in the same pass that
 * halves the chroma.
 */
#include "capture/v4l2_capture.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>

#include "common/error.h"

/* Planes are allocated for sizes rounded up to this: the largest iMCU
 * (4x4 sampling factors of 8x8 blocks) a JPEG may have. */
#define IMCU_ALIGN 32
#define MAX_ROWS_PER_READ (4 * DCTSIZE)

struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
};

struct bd_v4l2_converter {
    int max_width, max_height;
    struct jpeg_decompress_struct cinfo;
    struct jerr err;
    bool jpeg_created;
    uint8_t *plane[3];
    int plane_stride;          /* all three planes are max-size: 4:4:4 needs it */
    uint8_t y_lut[256], c_lut[256];
};

static void on_jpeg_error(j_common_ptr cinfo)
{
    struct jerr *e = (struct jerr *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

/* libjpeg's default prints warnings to stderr, and webcams trigger them
 * ("extraneous bytes before marker") on perfectly good frames. Only the
 * two that mean the frame is cut short are errors: the rest of it would be
 * grey. The others are dropped silently. */
static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    if (level < 0) {
        int code = cinfo->err->msg_code;
        if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)
            on_jpeg_error(cinfo);
        cinfo->err->num_warnings++;
    }
}

int bd_v4l2_converter_create(int max_width, int max_height, struct bd_v4l2_converter **out)
{
    *out = NULL;
    if (max_width <= 0 || max_height <= 0 || max_width > 16384 || max_height > 16384)
        return bd_fail(-EINVAL, "frame converter: bad size %dx%d", max_width, max_height);
    struct bd_v4l2_converter *cv = calloc(1, sizeof *cv);
    if (!cv)
        return bd_fail(-ENOMEM, "frame converter: out of memory");
    cv->max_width = max_width;
    cv->max_height = max_height;
    cv->plane_stride = (max_width + IMCU_ALIGN - 1) / IMCU_ALIGN * IMCU_ALIGN;
    size_t rows = (size_t)(max_height + IMCU_ALIGN - 1) / IMCU_ALIGN * IMCU_ALIGN;
    for (int c = 0; c < 3; c++) {
        cv->plane[c] = malloc((size_t)cv->plane_stride * rows);
        if (!cv->plane[c]) {
            bd_v4l2_converter_destroy(cv);
            return bd_fail(-ENOMEM, "frame converter: out of memory for %dx%d", max_width, max_height);
        }
    }
    /* Full range (JFIF) to video range (BT.601): Y 0..255 -> 16..235,
     * Cb/Cr 0..255 around 128 -> 16..240. */
    for (int i = 0; i < 256; i++) {
        cv->y_lut[i] = (uint8_t)(16 + (i * 219 + 127) / 255);
        int c = (i - 128) * 224;
        cv->c_lut[i] = (uint8_t)(128 + (c >= 0 ? (c + 127) / 255 : -((-c + 127) / 255)));
    }
    cv->cinfo.err = jpeg_std_error(&cv->err.mgr);
    cv->err.mgr.error_exit = on_jpeg_error;
    cv->err.mgr.emit_message = on_jpeg_message;
    if (setjmp(cv->err.jump)) {
        bd_v4l2_converter_destroy(cv);
        return bd_fail(-ENOMEM, "frame converter: libjpeg: %s", cv->err.msg);
    }
    jpeg_create_decompress(&cv->cinfo);
    cv->jpeg_created = true;
    *out = cv;
    return 0;
}

void bd_v4l2_converter_destroy(struct bd_v4l2_converter *cv)
{
    if (!cv)
        return;
    if (cv->jpeg_created)
        jpeg_destroy_decompress(&cv->cinfo);
    for (int c = 0; c < 3; c++)
        free(cv->plane[c]);
    free(cv);
}

/* The layouts of JPEG the raw path handles, by the luma/chroma sampling
 * ratios. */
enum jpeg_layout { J420, J422, J444, J400 };

/*
 * The chroma subsampling of a 3-component JPEG as luma/chroma ratios: 4:2:2
 * is (2,1) whether it is coded as Y 2x1 + C 1x1 (libjpeg, most webcams) or
 * as Y 2x2 + C 1x2 (ffmpeg's MJPEG encoder). False when Cb and Cr differ or
 * the ratios are not whole.
 */
static bool chroma_ratio(const jpeg_component_info *cc, int *sx, int *sy)
{
    if (cc[1].h_samp_factor != cc[2].h_samp_factor || cc[1].v_samp_factor != cc[2].v_samp_factor ||
        cc[1].h_samp_factor <= 0 || cc[1].v_samp_factor <= 0 ||
        cc[0].h_samp_factor % cc[1].h_samp_factor || cc[0].v_samp_factor % cc[1].v_samp_factor)
        return false;
    *sx = cc[0].h_samp_factor / cc[1].h_samp_factor;
    *sy = cc[0].v_samp_factor / cc[1].v_samp_factor;
    return true;
}

/*
 * Decodes an MJPEG frame into cv->plane[0..2] (stride cv->plane_stride),
 * as coded (full range). Returns 0 and the layout, or -errno with bd_fail.
 */
static int decode_mjpeg(struct bd_v4l2_converter *cv, const struct bd_v4l2_frame *f,
                        enum jpeg_layout *layout)
{
    if (!cv)
        return bd_fail(-EINVAL, "MJPEG frame: no converter given");
    if (f->width > cv->max_width || f->height > cv->max_height)
        return bd_fail(-EINVAL, "MJPEG frame %dx%d is larger than the converter's %dx%d", f->width,
                       f->height, cv->max_width, cv->max_height);
    struct jpeg_decompress_struct *ci = &cv->cinfo;
    /* Locals live across setjmp must not be modified after it, or be
     * volatile; these are set before it. */
    if (setjmp(cv->err.jump)) {
        jpeg_abort_decompress(ci);
        return bd_fail(-EBADMSG, "corrupt MJPEG frame (%s); skipped", cv->err.msg);
    }
    /* jpeg_mem_src allocates its source manager once (permanent pool) and
     * reuses it for later frames. */
    jpeg_mem_src(ci, f->data, (unsigned long)f->bytesused);
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK) {
        jpeg_abort_decompress(ci);
        return bd_fail(-EBADMSG, "MJPEG frame without an image; skipped");
    }
    if ((int)ci->image_width != f->width || (int)ci->image_height != f->height) {
        int w = (int)ci->image_width, h = (int)ci->image_height;
        jpeg_abort_decompress(ci);
        return bd_fail(-EBADMSG, "MJPEG frame is %dx%d in a %dx%d stream; skipped", w, h, f->width,
                       f->height);
    }
    int n = ci->num_components, sx = 0, sy = 0;
    const jpeg_component_info *cc = ci->comp_info;
    if (n == 1 && ci->jpeg_color_space == JCS_GRAYSCALE) {
        *layout = J400;
        ci->out_color_space = JCS_GRAYSCALE;
    } else if (n == 3 && ci->jpeg_color_space == JCS_YCbCr && chroma_ratio(cc, &sx, &sy) &&
               ((sx == 2 && sy == 2) || (sx == 2 && sy == 1) || (sx == 1 && sy == 1))) {
        *layout = sx == 1 ? J444 : sy == 2 ? J420 : J422;
        ci->out_color_space = JCS_YCbCr;
    } else {
        char how[64] = "";
        for (int c = 0, len = 0; c < n && c < 4 && len < (int)sizeof how; c++)
            len += snprintf(how + len, sizeof how - (size_t)len, "%s%dx%d", c ? "," : "",
                            cc[c].h_samp_factor, cc[c].v_samp_factor);
        jpeg_abort_decompress(ci);
        return bd_fail(-EOPNOTSUPP, "MJPEG frames with %d components sampled %s (colour space %d) are "
                       "not supported", n, how, (int)ci->jpeg_color_space);
    }
    ci->raw_data_out = TRUE;
    ci->do_fancy_upsampling = FALSE;
    jpeg_start_decompress(ci);

    JSAMPROW rows[3][MAX_ROWS_PER_READ];
    JSAMPARRAY planes[3] = {rows[0], rows[1], rows[2]};
    int lines = ci->max_v_samp_factor * DCTSIZE; /* luma rows per read */
    while (ci->output_scanline < ci->output_height) {
        int imcu = (int)ci->output_scanline / lines;
        for (int c = 0; c < n; c++) {
            int crow = cc[c].v_samp_factor * DCTSIZE; /* this plane's rows per read */
            for (int k = 0; k < crow; k++)
                rows[c][k] = cv->plane[c] + (size_t)(imcu * crow + k) * (size_t)cv->plane_stride;
        }
        if (jpeg_read_raw_data(ci, planes, (JDIMENSION)lines) == 0) {
            jpeg_abort_decompress(ci);
            return bd_fail(-EBADMSG, "corrupt MJPEG frame (no data); skipped");
        }
    }
    /* abort, not finish: finish would read on to EOI only to warn about
     * what follows; the image is complete. abort keeps ci reusable. */
    jpeg_abort_decompress(ci);
    return 0;
}

static void lut_plane(const uint8_t *src, int src_stride, uint8_t *dst, int dst_stride, int w, int h,
                      const uint8_t lut[256])
{
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * (size_t)src_stride;
        uint8_t *d = dst + (size_t)y * (size_t)dst_stride;
        for (int x = 0; x < w; x++)
            d[x] = lut[s[x]];
    }
}

/* Chroma to 4:2:0 with a box filter (rounded), then the range table.
 * sx, sy: 2 where the source has full resolution in that direction. */
static void halve_plane(const uint8_t *src, int src_stride, int src_w, int src_h, uint8_t *dst,
                        int dst_stride, int sx, int sy, const uint8_t lut[256])
{
    int dw = sx == 2 ? (src_w + 1) / 2 : src_w;
    int dh = sy == 2 ? (src_h + 1) / 2 : src_h;
    for (int y = 0; y < dh; y++) {
        const uint8_t *s0 = src + (size_t)(y * sy) * (size_t)src_stride;
        /* the last row of an odd height pairs with itself */
        const uint8_t *s1 = (sy == 2 && y * 2 + 1 < src_h) ? s0 + src_stride : s0;
        uint8_t *d = dst + (size_t)y * (size_t)dst_stride;
        if (sx == 1) {
            for (int x = 0; x < dw; x++)
                d[x] = lut[(s0[x] + s1[x] + 1) >> 1];
        } else {
            for (int x = 0; x < dw; x++) {
                int x0 = 2 * x, x1 = x0 + 1 < src_w ? x0 + 1 : x0;
                d[x] = lut[(s0[x0] + s0[x1] + s1[x0] + s1[x1] + 2) >> 2];
            }
        }
    }
}

static int check_raw(const struct bd_v4l2_frame *f)
{
    size_t s = (size_t)f->stride, h = (size_t)f->height;
    size_t need = 0;
    if (f->fourcc == BD_V4L2_YUYV) {
        if (f->stride < 2 * f->width)
            return bd_fail(-EINVAL, "YUYV frame: stride %d is less than 2 x width %d", f->stride, f->width);
        need = s * h;
    } else {
        if (f->stride < f->width)
            return bd_fail(-EINVAL, "NV12 frame: stride %d is less than width %d", f->stride, f->width);
        need = s * h + s * ((h + 1) / 2);
    }
    if (f->bytesused < need)
        return bd_fail(-EINVAL, "frame of %zu bytes is too short for %dx%d (needs %zu)", f->bytesused,
                       f->width, f->height, need);
    return 0;
}

static bool is_mjpeg(uint32_t fourcc)
{
    return fourcc == BD_V4L2_MJPG || fourcc == BD_V4L2_JPEG;
}

static int check_frame(const struct bd_v4l2_frame *f)
{
    if (!f || !f->data || f->width <= 0 || f->height <= 0 || f->width > 16384 || f->height > 16384)
        return bd_fail(-EINVAL, "frame conversion: bad frame");
    if (f->fourcc == BD_V4L2_YUYV || f->fourcc == BD_V4L2_NV12)
        return check_raw(f);
    if (is_mjpeg(f->fourcc))
        return f->bytesused > 0 ? 0 : bd_fail(-EBADMSG, "empty MJPEG frame; skipped");
    char fcc[8];
    return bd_fail(-EOPNOTSUPP, "frame conversion: format %s is not supported",
                   bd_v4l2_fourcc_str(f->fourcc, fcc));
}

int bd_v4l2_frame_to_i420(struct bd_v4l2_converter *cv, const struct bd_v4l2_frame *f,
                          uint8_t *dst_y, int dst_stride_y, uint8_t *dst_u, int dst_stride_u,
                          uint8_t *dst_v, int dst_stride_v)
{
    int r = check_frame(f);
    if (r < 0)
        return r;
    int w = f->width, h = f->height;
    if (!dst_y || !dst_u || !dst_v || dst_stride_y < w || dst_stride_u < (w + 1) / 2 ||
        dst_stride_v < (w + 1) / 2)
        return bd_fail(-EINVAL, "frame conversion: bad I420 destination");
    if (f->fourcc == BD_V4L2_YUYV) {
        YUY2ToI420(f->data, f->stride, dst_y, dst_stride_y, dst_u, dst_stride_u, dst_v, dst_stride_v, w, h);
        return 0;
    }
    if (f->fourcc == BD_V4L2_NV12) {
        const uint8_t *uv = f->data + (size_t)f->stride * (size_t)h;
        NV12ToI420(f->data, f->stride, uv, f->stride, dst_y, dst_stride_y, dst_u, dst_stride_u, dst_v,
                   dst_stride_v, w, h);
        return 0;
    }
    enum jpeg_layout layout;
    r = decode_mjpeg(cv, f, &layout);
    if (r < 0)
        return r;
    int ps = cv->plane_stride, cw = (w + 1) / 2, ch = (h + 1) / 2;
    lut_plane(cv->plane[0], ps, dst_y, dst_stride_y, w, h, cv->y_lut);
    switch (layout) {
    case J420:
        lut_plane(cv->plane[1], ps, dst_u, dst_stride_u, cw, ch, cv->c_lut);
        lut_plane(cv->plane[2], ps, dst_v, dst_stride_v, cw, ch, cv->c_lut);
        break;
    case J422:
        halve_plane(cv->plane[1], ps, cw, h, dst_u, dst_stride_u, 1, 2, cv->c_lut);
        halve_plane(cv->plane[2], ps, cw, h, dst_v, dst_stride_v, 1, 2, cv->c_lut);
        break;
    case J444:
        halve_plane(cv->plane[1], ps, w, h, dst_u, dst_stride_u, 2, 2, cv->c_lut);
        halve_plane(cv->plane[2], ps, w, h, dst_v, dst_stride_v, 2, 2, cv->c_lut);
        break;
    case J400:
        for (int y = 0; y < ch; y++) {
            memset(dst_u + (size_t)y * (size_t)dst_stride_u, 128, (size_t)cw);
            memset(dst_v + (size_t)y * (size_t)dst_stride_v, 128, (size_t)cw);
        }
        break;
    }
    return 0;
}

int bd_v4l2_frame_to_argb(struct bd_v4l2_converter *cv, const struct bd_v4l2_frame *f,
                          uint8_t *dst_argb, int dst_stride_argb)
{
    int r = check_frame(f);
    if (r < 0)
        return r;
    int w = f->width, h = f->height;
    if (!dst_argb || dst_stride_argb < 4 * w)
        return bd_fail(-EINVAL, "frame conversion: bad ARGB destination");
    if (f->fourcc == BD_V4L2_YUYV) {
        YUY2ToARGB(f->data, f->stride, dst_argb, dst_stride_argb, w, h);
        return 0;
    }
    if (f->fourcc == BD_V4L2_NV12) {
        const uint8_t *uv = f->data + (size_t)f->stride * (size_t)h;
        NV12ToARGB(f->data, f->stride, uv, f->stride, dst_argb, dst_stride_argb, w, h);
        return 0;
    }
    enum jpeg_layout layout;
    r = decode_mjpeg(cv, f, &layout);
    if (r < 0)
        return r;
    int ps = cv->plane_stride;
    const uint8_t *y = cv->plane[0], *u = cv->plane[1], *v = cv->plane[2];
    /* The J variants use JPEG's full-range matrix: no table needed. */
    switch (layout) {
    case J420: J420ToARGB(y, ps, u, ps, v, ps, dst_argb, dst_stride_argb, w, h); break;
    case J422: J422ToARGB(y, ps, u, ps, v, ps, dst_argb, dst_stride_argb, w, h); break;
    case J444: J444ToARGB(y, ps, u, ps, v, ps, dst_argb, dst_stride_argb, w, h); break;
    case J400: J400ToARGB(y, ps, dst_argb, dst_stride_argb, w, h); break;
    }
    return 0;
}
