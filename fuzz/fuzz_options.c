/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the camera command's option handling
 * (the library's table and settings, src/options/options.c; the command
 * line of src/cli/options.c; src/cli/camera.c's cli_camera_parse): the config file, the command line over it, and the
 * checks between options. It opens no device.
 *
 * Input: the config file's text, then a NUL byte, then the command-line
 * arguments separated by NUL bytes (at most 32). The config file is
 * always passed with --config.
 *
 * cli_camera_parse must return 0, 1 (help) or 2 (one error line), never
 * crash or leak (LeakSanitizer runs at exit and between inputs); on 0 the
 * configuration must hold values inside the table's ranges.
 */
#include <string.h>

#include "backdrop.h"
#include "cli/camera.h"
#include "cli/options.h"
#define FUZZ_NAME "fuzz_options"
#include "fuzz_common.h"

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* --help and the error lines would flood the fuzzer's output */
    if (!freopen("/dev/null", "w", stdout))
        return 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t conf_len = nul ? (size_t)(nul - data) : size;
    char path[32];
    fuzz_memfile("fuzz_options", data, conf_len, path);

    /* argv: "backdrop", "--config=PATH", then the NUL-separated args,
     * copied so that each is its own allocation (ASan sees overreads) */
    char *argv[MAX_ARGS + 3];
    int argc = 0;
    char conf_arg[48];
    snprintf(conf_arg, sizeof conf_arg, "--config=%s", path);
    argv[argc++] = strdup("backdrop");
    argv[argc++] = strdup(conf_arg);
    if (nul) {
        const uint8_t *p = nul + 1, *end = data + size;
        while (p <= end && argc < MAX_ARGS + 2) {
            const uint8_t *q = memchr(p, 0, (size_t)(end - p));
            size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
            char *a = malloc(n + 1);
            CHECK(a, "out of memory");
            memcpy(a, p, n);
            a[n] = 0;
            argv[argc++] = a;
            if (!q)
                break;
            p = q + 1;
        }
    }
    argv[argc] = NULL;

    struct cli_camera_parsed out;
    int rc = cli_camera_parse(argc, argv, 1, &out);
    CHECK(rc == 0 || rc == 1 || rc == 2, "cli_camera_parse returned %d", rc);
    if (rc == 0) {
        const struct bd_refine_options *ro = out.cfg.refine;
        CHECK(ro, "cfg.refine is NULL");
        CHECK(ro->lo >= 0.f && ro->lo < ro->hi && ro->hi <= 1.f, "refine ramp %g..%g", ro->lo,
              ro->hi);
        CHECK(out.cfg.threads >= 1 && out.cfg.threads <= 64, "threads %d", out.cfg.threads);
        CHECK(out.cfg.width == 0 || (out.cfg.width >= 16 && out.cfg.width <= 8192 &&
                                     out.cfg.height >= 16 && out.cfg.height <= 8192),
              "size %dx%d", out.cfg.width, out.cfg.height);
        CHECK(out.cfg.color <= 0xffffff, "colour %#x", out.cfg.color);
        CHECK((unsigned)out.cfg.effect <= BD_EFFECT_NONE, "effect %d", (int)out.cfg.effect);
        CHECK(out.cfg.effect != BD_EFFECT_IMAGE || out.cfg.background, "image without a file");
        /* the table's values read back as they were checked */
        for (const struct bd_option *o = bd_options(); o->name; o++) {
            const char *v = bd_settings_get(out.settings, o->name);
            CHECK(!v || bd_option_check(o, v) == BD_OK, "%s reads back '%s'", o->name, v);
        }
        /* every string the configuration holds must be readable */
        const char *strs[] = {out.cfg.input, out.cfg.output, out.cfg.background, out.cfg.model,
                              out.cfg.pw_name};
        for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
            if (strs[i])
                (void)strlen(strs[i]);
    }
    cli_camera_parsed_free(&out);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
