/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_still, the still images' segmenter, on real photos: made from the
 * settings (the options table's BD_OPTION_STILL options), its mask is
 * exactly bd_segment_image's with the same options, its cut-out is the
 * photo's own RGB with that mask as alpha, and the settings reach it
 * (class, model, mask options). Bad arguments and names are refused with
 * a message naming them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "check.h"

#define PHOTO "../shared/data/portraits-dev/image/"
#define DEEPLAB "../shared/data/models/deeplabv3_257_mv_gpu.tflite"

static struct bd_still *make(const char *const *kv, int n)
{
    struct bd_settings *st;
    if (bd_settings_create(&st) != BD_OK)
        return NULL;
    for (int i = 0; i + 1 < n; i += 2)
        CHECK(bd_settings_set(st, kv[i], kv[i + 1]) == BD_OK, "set %s %s: %s", kv[i], kv[i + 1],
              bd_last_error());
    struct bd_pipeline_config c;
    memset(&c, 0, sizeof c);
    struct bd_still *s = NULL;
    if (bd_settings_to_config(st, &c) == BD_OK && bd_still_create(&c, &s) != BD_OK)
        s = NULL;
    bd_settings_destroy(st);
    return s;
}

static long differ(const uint8_t *a, const uint8_t *b, size_t n)
{
    long d = 0;
    for (size_t i = 0; i < n; i++)
        d += a[i] != b[i];
    return d;
}

static void test_photo(const struct bd_image *img)
{
    const size_t n = (size_t)img->width * (size_t)img->height;
    uint8_t *m = malloc(n), *ref = malloc(n), *rgba = malloc(4 * n), *m2 = malloc(n);
    struct bd_still *s = make(NULL, 0);
    CHECK(s != NULL, "default segmenter: %s", bd_last_error());
    if (!s || !m || !ref || !rgba || !m2)
        goto out;
    struct bd_model_info info;
    bd_model_get_info(bd_still_model(s), &info);
    CHECK(!strcmp(info.name, "general"), "model auto on a photo is general (got %s)", info.name);

    CHECK(bd_still_mask(s, img, m, img->width) == BD_OK, "mask: %s", bd_last_error());
    /* the defaults: refined, mirror average, zoom pass (general takes its own second look) */
    CHECK(bd_segment_image(bd_still_engine(s), img->data, img->stride, img->width, img->height,
                           NULL, ref, img->width) == BD_OK,
          "bd_segment_image");
    CHECK(differ(m, ref, n) == 0, "mask = bd_segment_image's with the defaults (%ld differ)",
          differ(m, ref, n));
    long person = 0;
    for (size_t i = 0; i < n; i++)
        person += m[i] >= 128;
    CHECK(person > (long)n / 20 && person < (long)n * 19 / 20, "a person is found (%ld of %zu)",
          person, n);

    CHECK(bd_still_cutout(s, img, rgba, 4 * img->width) == BD_OK, "cutout: %s", bd_last_error());
    long bad_rgb = 0, bad_a = 0;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            const uint8_t *p = img->data + (size_t)y * img->stride + 3 * (size_t)x;
            const uint8_t *q = rgba + 4 * ((size_t)y * img->width + x);
            bad_rgb += p[0] != q[0] || p[1] != q[1] || p[2] != q[2];
            bad_a += q[3] != m[(size_t)y * img->width + x];
        }
    CHECK(bad_rgb == 0, "cutout's RGB is the photo's, R first (%ld pixels differ)", bad_rgb);
    CHECK(bad_a == 0, "cutout's alpha is the mask (%ld pixels differ)", bad_a);

    /* the table's mask options reach the still: feather softens, grow widens */
    static const char *const grow[] = {"grow", "12"};
    struct bd_still *g = make(grow, 2);
    CHECK(g && bd_still_mask(g, img, m2, img->width) == BD_OK, "grow 12: %s", bd_last_error());
    long gp = 0;
    for (size_t i = 0; g && i < n; i++)
        gp += m2[i] >= 128;
    CHECK(gp > person, "grow 12 widens the person (%ld -> %ld pixels)", person, gp);
    bd_still_destroy(g);

    static const char *const raw[] = {"raw-mask", "on"};
    struct bd_still *r = make(raw, 2);
    struct bd_mask_options mo = {.raw = 1};
    CHECK(r && bd_still_mask(r, img, m2, img->width) == BD_OK, "raw-mask: %s", bd_last_error());
    CHECK(r && bd_segment_image(bd_still_engine(r), img->data, img->stride, img->width, img->height,
                                &mo, ref, img->width) == BD_OK,
          "bd_segment_image raw");
    CHECK(r && differ(m2, ref, n) == 0, "raw-mask = bd_segment_image's raw");
    CHECK(r && differ(m2, m, n) > 0, "raw-mask differs from the refined mask");
    bd_still_destroy(r);

    static const char *const land[] = {"model", "landscape", "zoom", "off"};
    struct bd_still *l = make(land, 4);
    CHECK(l != NULL, "landscape: %s", bd_last_error());
    if (l) {
        bd_model_get_info(bd_still_model(l), &info);
        CHECK(!strcmp(info.name, "landscape"), "model landscape is landscape (got %s)", info.name);
    }
    bd_still_destroy(l);

    /* bad arguments: refused, nothing written */
    struct bd_image gray = *img;
    gray.channels = 1;
    memset(m2, 7, n);
    CHECK(bd_still_mask(s, &gray, m2, img->width) == BD_ERR_INVALID_ARG &&
              strstr(bd_last_error(), "RGB") && m2[0] == 7,
          "a gray image is refused: %s", bd_last_error());
    CHECK(bd_still_mask(s, img, m2, img->width - 1) == BD_ERR_INVALID_ARG, "a short mask stride");
    CHECK(bd_still_cutout(s, img, rgba, 4 * img->width - 1) == BD_ERR_INVALID_ARG,
          "a short RGBA stride");
    CHECK(bd_still_mask(NULL, img, m2, img->width) == BD_ERR_INVALID_ARG, "NULL segmenter");
out:
    bd_still_destroy(s);
    free(m);
    free(ref);
    free(rgba);
    free(m2);
}

static void test_names(void)
{
    static const char *const nomodel[] = {"model", "nosuchmodel"};
    CHECK(make(nomodel, 2) == NULL && strstr(bd_last_error(), "nosuchmodel"),
          "an unknown model is refused, named: %s", bd_last_error());
    static const char *const noclass[] = {"class", "nosuchclass"};
    CHECK(make(noclass, 2) == NULL && strstr(bd_last_error(), "nosuchclass"),
          "an unknown class is refused, named: %s", bd_last_error());
    CHECK(bd_still_create(NULL, NULL) == BD_ERR_INVALID_ARG, "NULL config");
}

/* DeepLab (21 classes): --class picks what is cut out. */
static void test_class(const struct bd_image *img)
{
    FILE *f = fopen(DEEPLAB, "rb");
    if (!f) {
        SKIP_PROVIDED("%s is missing (../shared/data)", DEEPLAB);
        return;
    }
    fclose(f);
    const size_t n = (size_t)img->width * (size_t)img->height;
    uint8_t *a = malloc(n), *b = malloc(n);
    static const char *const person[] = {"model", DEEPLAB, "class", "person"};
    static const char *const cat[] = {"model", DEEPLAB, "class", "cat"};
    struct bd_still *sp = make(person, 4), *sc = make(cat, 4);
    CHECK(sp && sc, "DeepLab with class person and cat: %s", bd_last_error());
    if (sp && sc && a && b) {
        CHECK(bd_still_mask(sp, img, a, img->width) == BD_OK, "person mask");
        CHECK(bd_still_mask(sc, img, b, img->width) == BD_OK, "cat mask");
        long pa = 0, pb = 0;
        for (size_t i = 0; i < n; i++) {
            pa += a[i] >= 128;
            pb += b[i] >= 128;
        }
        CHECK(pa > (long)n / 20 && pb < pa / 10,
              "class person finds the person, class cat hardly anything (%ld, %ld of %zu)", pa, pb,
              n);
    }
    bd_still_destroy(sp);
    bd_still_destroy(sc);
    free(a);
    free(b);
}

int main(void)
{
    struct bd_image img;
    const char *path = PHOTO "p_07141906.jpg";
    if (bd_image_load(path, 0, &img) != BD_OK) {
        SKIP_PROVIDED("%s: %s", path, bd_last_error());
        test_names();
        return check_report();
    }
    test_photo(&img);
    test_names();
    test_class(&img);
    bd_image_free(&img);
    return check_report();
}
