/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The wasm module's C (web/backdrop_web.c) built natively: RGBA frames in,
 * masks out, with the settings given, for tests/web/equal.sh.
 * usage: native_masks FRAMES.rgba W H OUT.mask [name=value...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop_web.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: native_masks FRAMES.rgba W H OUT.mask [name=value...]\n");
        return 2;
    }
    int w = atoi(argv[2]), h = atoi(argv[3]);
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[4], "wb");
    struct bdw *b = bdw_create();
    if (!in || !out || !b) {
        fprintf(stderr, "native_masks: %s\n", b ? "cannot open the files" : bdw_last_error());
        return 1;
    }
    for (int i = 5; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            return 2;
        *eq = 0;
        if (bdw_set(b, argv[i], eq + 1) != 0) {
            fprintf(stderr, "native_masks: %s\n", bdw_last_error());
            return 1;
        }
    }
    size_t size = (size_t)w * h * 4;
    unsigned char *frame = malloc(size);
    while (frame && fread(frame, 1, size, in) == size) {
        if (bdw_process(b, frame, w, h, 1) != 0) {
            fprintf(stderr, "native_masks: %s\n", bdw_last_error());
            return 1;
        }
        fwrite(bdw_mask(b), 1, (size_t)w * h, out);
    }
    free(frame);
    bdw_destroy(b);
    fclose(in);
    return fclose(out) != 0;
}
