/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_model_open_tfjs in a build without the TF.js reader (WebAssembly:
 * mk/web.mk links this file instead of model_tfjs.c and tfjs.c, which need
 * cJSON and read files). The native build never links this folder.
 */
#include "backdrop.h"
#include "common/error.h"

enum bd_status bd_model_open_tfjs(const char *json_path, int width, int height, float ratio,
                                  struct bd_model **out)
{
    (void)width, (void)height, (void)ratio;
    if (out)
        *out = NULL;
    return bd_fail(BD_ERR_UNSUPPORTED,
                   "model '%s': this build has no TF.js reader; use a built-in model "
                   "(general, landscape) or a .tflite model",
                   json_path ? json_path : "(null)");
}
