/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for background loading as the camera does it
 * (src/capture/file_source.c over FFmpeg's demuxers and decoders: any
 * image or video `--background` names; the same code reads `--input`
 * files). The input is the file. FFmpeg itself is not instrumented: the
 * coverage guiding the fuzzer is our wrapper's, the crashes it can find
 * are anywhere (ASan checks every write into our planes).
 *
 * Open must fail with a known negative status, NULL *out and a message
 * naming the file, or give a size within BD_FILE_SOURCE_MAX_DIM; frames
 * are then read (with loop on, as a background is) into planes of exactly
 * that size, at most a few, until an error or the end.
 */
#include <string.h>

#include "backdrop.h"
#include <libavutil/log.h>

#include "capture/file_source.h"
#define FUZZ_NAME "fuzz_background"
#include "fuzz_common.h"

#define MAX_READ_PIXELS (1u << 20)
#define MAX_FRAMES 4

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[32];
    fuzz_memfile("fuzz_background", data, size, path);
    struct bd_file_source_options fo = {.loop = true, .threads = 1};
    struct bd_file_source *src = (struct bd_file_source *)(uintptr_t)1;
    int st = bd_file_source_open(path, &fo, &src);
    if (st != BD_OK) {
        CHECK(st < 0, "open failed with non-negative status %d", st);
        CHECK(src == NULL, "open failed but *out is not NULL");
        CHECK(strstr(bd_last_error(), path) != NULL, "error does not name the file: '%s'",
              bd_last_error());
        return 0;
    }
    const struct bd_file_source_info *in = bd_file_source_info(src);
    CHECK(in->width >= 1 && in->height >= 1 && in->width <= BD_FILE_SOURCE_MAX_DIM &&
              in->height <= BD_FILE_SOURCE_MAX_DIM,
          "size %dx%d", in->width, in->height);
    CHECK(in->fps_num > 0 && in->fps_den > 0, "frame rate %d/%d", in->fps_num, in->fps_den);
    if ((size_t)in->width * (size_t)in->height <= MAX_READ_PIXELS) {
        struct bd_i420 f;
        fuzz_i420_alloc("fuzz_background", &f, in->width, in->height);
        for (int i = 0; i < MAX_FRAMES; i++) {
            int64_t pts = 0;
            int r = bd_file_source_read(src, &f, &pts);
            if (r != BD_OK) {
                CHECK(r == BD_FILE_SOURCE_EOF || r < 0, "read returned %d", r);
                break;
            }
        }
        fuzz_i420_free(&f);
    }
    bd_file_source_close(src);
    return 0;
}
