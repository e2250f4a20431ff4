/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for still-image loading (src/image/image.c: JPEG
 * through libjpeg-turbo, PNG through libpng), as `backdrop mask`, `cutout`
 * and the tests load images. The input is the file.
 *
 * A failure must come with a known negative status, a message naming the
 * file and a zeroed image; a success must give an RGB24 image within the
 * pixel limit whose every row is readable (ASan checks the touches).
 */
#include <string.h>

#include "backdrop.h"
#define FUZZ_NAME "fuzz_image"
#include "fuzz_common.h"

#define MAX_PIXELS (4u << 20)

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[32];
    fuzz_memfile("fuzz_image", data, size, path);
    struct bd_image img;
    memset(&img, 0xa5, sizeof img);
    enum bd_status st = bd_image_load(path, MAX_PIXELS, &img);
    if (st != BD_OK) {
        CHECK(st < 0, "failure with non-negative status %d", st);
        CHECK(strcmp(bd_status_str(st), "unknown status") != 0, "unknown status %d", st);
        CHECK(strstr(bd_last_error(), path) != NULL, "error does not name the file: '%s'",
              bd_last_error());
        CHECK(!img.data && !img.width && !img.height, "failure left the image filled in");
        return 0;
    }
    CHECK(img.width > 0 && img.height > 0, "empty image %dx%d", img.width, img.height);
    CHECK((size_t)img.width * (size_t)img.height <= MAX_PIXELS, "over the pixel limit: %dx%d",
          img.width, img.height);
    CHECK(img.channels == 3, "channels %d (RGB24 promised)", img.channels);
    CHECK(img.stride >= img.width * img.channels, "stride %d for %dx%d", img.stride, img.width,
          img.channels);
    for (int y = 0; y < img.height; y++) {
        const uint8_t *row = img.data + (size_t)y * (size_t)img.stride;
        sink = row[0];
        sink = row[(size_t)img.width * (size_t)img.channels - 1];
    }
    bd_image_free(&img);
    return 0;
}
