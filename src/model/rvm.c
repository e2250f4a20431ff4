/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Robust Video Matting by name (--model rvm): where its files are, the
 * size and ratio it runs at. Apart from model_tfjs.c (the TF.js reader) so
 * that a build without that reader (the WebAssembly build: mk/web.mk links
 * model/none/ instead) still names the model and says why it cannot open it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backdrop.h"
#include "common/error.h"
#include "model/model.h"

int bd_model_is_rvm(const char *name)
{
    return name && strcmp(name, "rvm") == 0;
}

/* The reference runs used 512 / the longer side: RVM's backbone
 * then sees about 512 pixels whatever the frame, which keeps its cost
 * near-constant (1280x720 at 0.4: 8 GFLOP; 0.25 was clearly worse). But
 * 0.4 at 1280x720 is where RVM was weakest (trimap MAD 74.7 on the dev
 * composites against 63.8 at their own aspect); 0.5 there cuts it to 65.9
 * (bench/rvm-fusion.md), so the ratio is at least 0.5 up to 1280x720's
 * pixels. Not above: a 1080x1080 frame at 0.5 needs more than the
 * engine's 1 GiB of activations. */
float bd_rvm_auto_ratio(int width, int height)
{
    int l = width > height ? width : height;
    if (l <= 512)
        return 1.f;
    if (l > 1024 && (int64_t)width * height <= 1280 * 720)
        return 0.5f; /* 512 / l < 0.5 */
    return 512.f / (float)l;
}

/* Frames above 1280 pixels on the longer side are matted at a scaled-down
 * size and the alpha upsampled (refiner): RVM's full-resolution stage costs
 * memory and time in proportion to the pixels (1080p: twice 720p's). */
void bd_rvm_size(int width, int height, int *mw, int *mh)
{
    int l = width > height ? width : height;
    if (l <= 1280) {
        *mw = width;
        *mh = height;
        return;
    }
    *mw = (int)((int64_t)width * 1280 / l) & ~1;
    *mh = (int)((int64_t)height * 1280 / l) & ~1;
    if (*mw < 16)
        *mw = 16;
    if (*mh < 16)
        *mh = 16;
}

enum bd_status bd_rvm_path(char *path, size_t size)
{
    const char *dir = getenv("BACKDROP_RVM_DIR");
    char buf[4096];
    if (!dir || !*dir) {
        const char *cache = getenv("BACKDROP_MODEL_CACHE");
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (cache && *cache)
            snprintf(buf, sizeof buf, "%s/rvm-3.0.4", cache);
        else if (xdg && *xdg)
            snprintf(buf, sizeof buf, "%s/backdrop/rvm-3.0.4", xdg);
        else
            snprintf(buf, sizeof buf, "%s/.cache/backdrop/rvm-3.0.4", home ? home : "");
        dir = buf;
    }
    int n = snprintf(path, size, "%s/rvm.json", dir);
    if (n < 0 || (size_t)n >= size)
        return bd_fail(BD_ERR_INVALID_ARG, "the RVM folder's path '%s' is too long", dir);
    char bin[4200];
    snprintf(bin, sizeof bin, "%s/rvm.bin", dir);
    if (access(path, R_OK) != 0 || access(bin, R_OK) != 0)
        return bd_fail(BD_ERR_NOT_FOUND,
                       "model 'rvm': %s or rvm.bin is missing; fetch Robust Video Matting with "
                       "'make models-rvm' (or scripts/fetch-models.sh DIR rvm), or point "
                       "BACKDROP_RVM_DIR at a folder holding rvm.json and rvm.bin",
                       path);
    return BD_OK;
}

const char *bd_model_auto_offline(void)
{
    char path[4096];
    if (bd_rvm_path(path, sizeof path) != BD_OK) {
        bd_clear_error(); /* not an error: auto falls back to MediaPipe */
        return NULL;
    }
    return "rvm";
}

enum bd_status bd_model_open_rvm(int width, int height, float ratio, struct bd_model **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_model_open_rvm: NULL argument");
    *out = NULL;
    if (width < 16 || height < 16 || width > 8192 || height > 8192)
        return bd_fail(BD_ERR_INVALID_ARG, "model 'rvm': a %dx%d frame is out of range", width,
                       height);
    if (!(ratio >= 0.f && ratio <= 1.f))
        return bd_fail(BD_ERR_INVALID_ARG, "model 'rvm': downsample ratio %g is not in (0, 1]",
                       (double)ratio);
    char path[4096];
    enum bd_status r = bd_rvm_path(path, sizeof path);
    if (r != BD_OK)
        return r;
    int mw, mh;
    bd_rvm_size(width, height, &mw, &mh);
    if (ratio <= 0.f)
        ratio = bd_rvm_auto_ratio(mw, mh);
    r = bd_model_open_tfjs(path, mw, mh, ratio, out);
    if (r == BD_OK)
        snprintf((*out)->name, sizeof (*out)->name, "rvm");
    return r;
}
