/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * In the package test's Debian root (tests/package/chroot.sh): Debian's
 * libobs loads obs-backdrop.so as OBS does (obs_open_module from the
 * plugin folder with its data folder, obs_init_module), and the filter's
 * display name comes from its locale file. No libobs-dev in the root: the
 * few calls are declared here and found with dlopen.
 * usage: obs_load MODULE.so DATA-DIR
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: obs_load MODULE.so DATA-DIR\n");
        return 2;
    }
    void *obs = dlopen("libobs.so.0", RTLD_NOW | RTLD_GLOBAL);
    if (!obs) {
        printf("dlopen libobs.so.0: %s\n", dlerror());
        return 1;
    }
    bool (*startup)(const char *, const char *, void *) = (bool (*)(const char *, const char *, void *))dlsym(obs, "obs_startup");
    int (*open_module)(void **, const char *, const char *) = (int (*)(void **, const char *, const char *))dlsym(obs, "obs_open_module");
    bool (*init_module)(void *) = (bool (*)(void *))dlsym(obs, "obs_init_module");
    const char *(*display_name)(const char *) = (const char *(*)(const char *))dlsym(obs, "obs_source_get_display_name");
    void (*shutdown)(void) = (void (*)(void))dlsym(obs, "obs_shutdown");
    if (!startup || !open_module || !init_module || !display_name || !shutdown) {
        printf("libobs lacks obs_startup, obs_open_module, obs_init_module or "
               "obs_source_get_display_name\n");
        return 1;
    }
    if (!startup("en-US", NULL, NULL)) {
        printf("obs_startup failed\n");
        return 1;
    }
    void *m = NULL;
    int r = open_module(&m, argv[1], argv[2]);
    if (r != 0) { /* MODULE_SUCCESS */
        printf("obs_open_module %s: %d\n", argv[1], r);
        return 1;
    }
    if (!init_module(m)) {
        printf("obs_init_module failed\n");
        return 1;
    }
    const char *name = display_name("backdrop_filter");
    printf("display name: %s\n", name ? name : "(none)");
    shutdown();
    return 0;
}
