/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the YUV4MPEG2 reader (src/capture/y4m_reader.c),
 * which reads `-i -` (stdin) and .y4m files. The input is the stream.
 *
 * Open must fail with a known negative status and a message, or give a
 * header within the documented limits; frames are then read into planes
 * of exactly the header's size (ASan catches any write past them) until
 * the clean end or an error, which must be sticky.
 */
#include <string.h>

#include "backdrop.h"
#include "capture/y4m_reader.h"
#include "common/frame.h"
#define FUZZ_NAME "fuzz_y4m"
#include "fuzz_common.h"

/* Frames are allocated for headers up to this many pixels; bigger ones
 * are only opened (the reader's own limit is 16384 x 16384). */
#define MAX_READ_PIXELS (1u << 20)
#define MAX_FRAMES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[32];
    int fd = fuzz_memfile("fuzz_y4m", data, size, path);
    struct bd_y4m_reader *r = (struct bd_y4m_reader *)(uintptr_t)1;
    int st = bd_y4m_reader_open(fd, "fuzz", &r);
    if (st != BD_OK) {
        CHECK(st < 0, "open failed with non-negative status %d", st);
        CHECK(r == NULL, "open failed but *out is not NULL");
        CHECK(bd_last_error()[0] != 0, "open failed (%d) without a message", st);
        return 0;
    }
    const struct bd_y4m_info *in = bd_y4m_reader_info(r);
    CHECK(in->width >= 1 && in->height >= 1 && in->width <= BD_Y4M_MAX_DIM &&
              in->height <= BD_Y4M_MAX_DIM,
          "header size %dx%d", in->width, in->height);
    const size_t cw = ((size_t)in->width + 1) / 2, ch = ((size_t)in->height + 1) / 2;
    CHECK(in->frame_bytes == (size_t)in->width * (size_t)in->height + 2 * cw * ch,
          "frame_bytes %zu for %dx%d", in->frame_bytes, in->width, in->height);
    if ((size_t)in->width * (size_t)in->height <= MAX_READ_PIXELS) {
        struct bd_i420 f;
        fuzz_i420_alloc("fuzz_y4m", &f, in->width, in->height);
        int last = BD_OK;
        for (int i = 0; i < MAX_FRAMES && last == BD_OK; i++)
            last = bd_y4m_reader_read(r, &f);
        if (last != BD_OK) {
            CHECK(last == BD_Y4M_EOF || last < 0, "read returned %d", last);
            int again = bd_y4m_reader_read(r, &f);
            CHECK(again == last, "read after %d returned %d (not sticky)", last, again);
        }
        fuzz_i420_free(&f);
    }
    bd_y4m_reader_close(r);
    return 0;
}
