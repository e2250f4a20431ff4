/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Still images: JPEG through libjpeg-turbo, PNG through libpng's simplified
 * API. Both decoders are told the size limit before they allocate, and both
 * report corrupt data through their error paths, never by exiting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "backdrop.h"
#include "common/error.h"

#define DEFAULT_MAX_PIXELS ((size_t)64 * 1024 * 1024)

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

/* Corrupt-data warnings would otherwise go to stderr and leave a grey
 * half-image; treat them as errors so a bad image is never used silently. */
static void jpeg_on_warning(j_common_ptr cinfo, int level)
{
    if (level < 0)
        jpeg_on_error(cinfo);
}

static int load_jpeg(FILE *f, const char *path, size_t max_pixels, struct bd_image *img)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err err;
    /* volatile: modified between setjmp and a possible longjmp */
    uint8_t *volatile data = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_on_error;
    err.mgr.emit_message = jpeg_on_warning;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(data);
        return bd_fail(BD_ERR_FORMAT, "image '%s': corrupt JPEG (%s); use another image", path, err.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
    if ((size_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        unsigned w = cinfo.image_width, h = cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return bd_fail(BD_ERR_UNSUPPORTED, "image '%s': %ux%u is larger than the %zu-pixel limit; scale it down",
                       path, w, h, max_pixels);
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    int stride = w * 3;
    data = malloc((size_t)stride * (size_t)h);
    if (!data) {
        jpeg_destroy_decompress(&cinfo);
        return bd_fail(BD_ERR_NOMEM, "image '%s': out of memory", path);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = data + (size_t)cinfo.output_scanline * (size_t)stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    img->width = w;
    img->height = h;
    img->channels = 3;
    img->stride = stride;
    img->data = data;
    return BD_OK;
}

static int load_png(const char *path, size_t max_pixels, struct bd_image *img)
{
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&p, path))
        return bd_fail(BD_ERR_FORMAT, "image '%s': corrupt PNG (%s); use another image", path, p.message);
    if ((size_t)p.width * p.height > max_pixels) {
        unsigned w = p.width, h = p.height;
        png_image_free(&p);
        return bd_fail(BD_ERR_UNSUPPORTED, "image '%s': %ux%u is larger than the %zu-pixel limit; scale it down",
                       path, w, h, max_pixels);
    }
    p.format = PNG_FORMAT_RGB;
    int stride = (int)p.width * 3;
    uint8_t *data = malloc((size_t)stride * p.height);
    if (!data) {
        png_image_free(&p);
        return bd_fail(BD_ERR_NOMEM, "image '%s': out of memory", path);
    }
    /* Transparent pixels are composited on black. */
    png_color black = {0, 0, 0};
    if (!png_image_finish_read(&p, &black, data, stride, NULL)) {
        free(data);
        png_image_free(&p);
        return bd_fail(BD_ERR_FORMAT, "image '%s': corrupt PNG (%s); use another image", path, p.message);
    }
    img->width = (int)p.width;
    img->height = (int)p.height;
    img->channels = 3;
    img->stride = stride;
    img->data = data;
    return BD_OK;
}

enum bd_status bd_image_load(const char *path, size_t max_pixels, struct bd_image *img)
{
    if (!path || !img)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_image_load: NULL argument");
    memset(img, 0, sizeof *img);
    if (max_pixels == 0)
        max_pixels = DEFAULT_MAX_PIXELS;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bd_fail(errno == ENOENT ? BD_ERR_NOT_FOUND : BD_ERR_IO, "image '%s': cannot open: %s", path,
                       strerror(errno));
    uint8_t magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    rewind(f);
    int r;
    if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
        r = load_jpeg(f, path, max_pixels, img);
    } else if (got == 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0) {
        r = load_png(path, max_pixels, img);
    } else {
        r = bd_fail(BD_ERR_FORMAT, "image '%s': not a JPEG or PNG file", path);
    }
    fclose(f);
    return r;
}

enum bd_status bd_image_write_png(const char *path, const uint8_t *pixels, int stride, int width,
                                  int height, int channels)
{
    if (!path || !pixels || width < 1 || height < 1 || stride < width * channels)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_image_write_png: bad arguments");
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    p.width = (png_uint_32)width;
    p.height = (png_uint_32)height;
    switch (channels) {
    case 1: p.format = PNG_FORMAT_GRAY; break;
    case 3: p.format = PNG_FORMAT_RGB; break;
    case 4: p.format = PNG_FORMAT_RGBA; break;
    default: return bd_fail(BD_ERR_INVALID_ARG, "bd_image_write_png: %d channels", channels);
    }
    if (!png_image_write_to_file(&p, path, 0, pixels, stride, NULL)) {
        int r = bd_fail(BD_ERR_IO, "cannot write '%s': %s", path, p.message);
        png_image_free(&p);
        return r;
    }
    return BD_OK;
}

void bd_image_free(struct bd_image *img)
{
    if (!img)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}
