/* SPDX-License-Identifier: GPL-3.0-or-later */
/* V4L2 device discovery through VIDIOC_QUERYCAP (see v4l2_device.h). */
#include "common/v4l2_device.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "common/error.h"

bool bd_v4l2_is_loopback_driver(const char *driver)
{
    static const char want[] = "v4l2loopback";
    size_t k = 0;
    for (const char *p = driver; *p; p++) {
        if (*p == ' ')
            continue;
        if (k >= sizeof want - 1 || tolower((unsigned char)*p) != want[k])
            return false;
        k++;
    }
    return k == sizeof want - 1;
}

int bd_v4l2_query_device(const struct bd_v4l2_ops *ops, const char *path,
                         struct bd_v4l2_device_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->path, sizeof info->path, "%s", path);
    /* O_NONBLOCK: nothing here should wait for the device. */
    int fd = bd_v4l2_open(ops, path, O_RDWR | O_NONBLOCK);
    if (fd < 0) {
        if (fd == -ENOENT)
            return bd_fail(fd, "device '%s' does not exist; `backdrop devices` lists the cameras", path);
        if (fd == -EACCES || fd == -EPERM)
            return bd_fail(fd, "device '%s': permission denied; add yourself to the 'video' group "
                           "(sudo usermod -aG video $USER) and log in again", path);
        return bd_fail(fd, "device '%s': cannot open it: %s", path, strerror(-fd));
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    int r = bd_v4l2_ioctl(ops, fd, VIDIOC_QUERYCAP, &cap);
    bd_v4l2_close(ops, fd);
    if (r < 0) {
        if (r == -ENOTTY || r == -EINVAL)
            return bd_fail(-ENOTTY, "'%s' is not a V4L2 video device", path);
        return bd_fail(r, "device '%s': VIDIOC_QUERYCAP failed: %s", path, strerror(-r));
    }
    bd_v4l2_copy_name(info->driver, sizeof info->driver, cap.driver, sizeof cap.driver);
    bd_v4l2_copy_name(info->card, sizeof info->card, cap.card, sizeof cap.card);
    bd_v4l2_copy_name(info->bus_info, sizeof info->bus_info, cap.bus_info, sizeof cap.bus_info);
    /* capabilities describes the whole physical device (all its nodes);
     * device_caps is this node, which is what we open. */
    info->caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    info->is_loopback = bd_v4l2_is_loopback_driver(info->driver);
    info->can_capture = (info->caps & V4L2_CAP_VIDEO_CAPTURE) && (info->caps & V4L2_CAP_STREAMING);
    info->can_output = (info->caps & V4L2_CAP_VIDEO_OUTPUT) != 0;
    return 0;
}

static int video_number(const char *name)
{
    if (strncmp(name, "video", 5) != 0 || !isdigit((unsigned char)name[5]))
        return -1;
    char *end;
    long n = strtol(name + 5, &end, 10);
    return (*end == '\0' && n >= 0 && n < 100000) ? (int)n : -1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int bd_v4l2_scan_dev(char (*paths)[BD_V4L2_PATH_MAX], int max)
{
    DIR *d = opendir("/dev");
    if (!d) {
        int e = errno;
        return bd_fail(-e, "cannot read /dev: %s", strerror(e));
    }
    int nums[BD_V4L2_MAX_DEVICES];
    int n = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL && n < BD_V4L2_MAX_DEVICES) {
        int k = video_number(de->d_name);
        if (k >= 0)
            nums[n++] = k;
    }
    closedir(d);
    /* readdir order is the file system's; /dev/video2 before /dev/video10
     * is what people expect, and "the first loopback device" must not
     * depend on the order devtmpfs happened to create the nodes in. */
    qsort(nums, (size_t)n, sizeof nums[0], cmp_int);
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++)
        snprintf(paths[i], BD_V4L2_PATH_MAX, "/dev/video%d", nums[i]);
    return n;
}

int bd_v4l2_list_devices(const struct bd_v4l2_ops *ops, const char *const *paths, int npaths,
                         struct bd_v4l2_device_info *out, int max, int *count)
{
    *count = 0;
    char scanned[BD_V4L2_MAX_DEVICES][BD_V4L2_PATH_MAX];
    const char *list[BD_V4L2_MAX_DEVICES];
    if (!paths) {
        int n = bd_v4l2_scan_dev(scanned, BD_V4L2_MAX_DEVICES);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++)
            list[i] = scanned[i];
        paths = list;
        npaths = n;
    }
    for (int i = 0; i < npaths && *count < max; i++) {
        if (bd_v4l2_query_device(ops, paths[i], &out[*count]) == 0)
            (*count)++;
    }
    bd_clear_error();
    return 0;
}

char *bd_v4l2_caps_str(uint32_t caps, char *buf, size_t size)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {V4L2_CAP_VIDEO_CAPTURE, "Video Capture"},
        {V4L2_CAP_VIDEO_CAPTURE_MPLANE, "Video Capture Multiplanar"},
        {V4L2_CAP_VIDEO_OUTPUT, "Video Output"},
        {V4L2_CAP_VIDEO_OUTPUT_MPLANE, "Video Output Multiplanar"},
        {V4L2_CAP_VIDEO_M2M, "Video Memory-to-Memory"},
        {V4L2_CAP_VIDEO_M2M_MPLANE, "Video Memory-to-Memory Multiplanar"},
        {V4L2_CAP_META_CAPTURE, "Metadata Capture"},
        {V4L2_CAP_READWRITE, "Read/Write"},
        {V4L2_CAP_STREAMING, "Streaming"},
    };
    size_t len = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(caps & names[i].bit))
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", names[i].name);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
    if (len == 0)
        snprintf(buf, size, "none");
    return buf;
}
