/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pipeline's platform parts in a build that has none (WebAssembly:
 * mk/web.mk links this file instead of background_file.c, live_input.c
 * and ondemand.c). Such a build opens no device and reads no file: each
 * function says so, or has nothing to do. The native build never links
 * this folder (the Makefile takes the files of src/pipeline itself only).
 */
#include "pipeline/pipeline_internal.h"

#include <string.h>

#include "common/error.h"

int bd_background_prepare(const char *path, int fit, int width, int height,
                          struct bd_bg_bundle *reuse, struct bd_bg_bundle *b)
{
    (void)fit, (void)width, (void)height, (void)reuse;
    memset(b, 0, sizeof *b);
    return bd_fail(BD_ERR_UNSUPPORTED,
                   "background '%s': this build reads no files; hand the decoded image in "
                   "(bd_filter_set_background_image)",
                   path);
}

int bd_pipeline_background_load(struct bd_pipeline *p)
{
    return bd_background_prepare(p->bg_path, 0, 0, 0, NULL, &(struct bd_bg_bundle){0});
}

int bd_pipeline_input_prepare(struct bd_pipeline *p, const char *v, const char *cur,
                              struct bd_v4l2_capture **cap)
{
    (void)p, (void)cur;
    *cap = NULL;
    return bd_fail(BD_ERR_UNSUPPORTED, "input '%s': this build opens no camera", v);
}

/* never called: prepare gives no camera */
void bd_pipeline_input_take(struct bd_pipeline *p, struct bd_v4l2_capture *cap)
{
    (void)p, (void)cap;
}

void bd_pipeline_input_wait_closed(struct bd_pipeline *p, const struct bd_v4l2_capture *cap)
{
    (void)p, (void)cap;
}

void bd_pipeline_input_close(struct bd_v4l2_capture *cap)
{
    (void)cap;
}

/* a pipeline whose frames are handed in has no camera to open on demand */
void bd_pipeline_ondemand_request(struct bd_pipeline *p, int on, int idle_timeout_s)
{
    (void)p, (void)on, (void)idle_timeout_s;
}
