/* SPDX-License-Identifier: GPL-3.0-or-later */
/* On demand: the decision and the count of a loopback's consumers (see
 * consumers.h). */
#include "output/consumers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/videodev2.h>

/* ---- the decision -------------------------------------------------------- */

void bd_ondemand_init(struct bd_ondemand *od, int64_t grace_ns)
{
    od->grace_ns = grace_ns < 0 ? 0 : grace_ns;
    od->active = 0;
    od->empty_since = -1;
}

enum bd_ondemand_action bd_ondemand_update(struct bd_ondemand *od, int consumers, int64_t now_ns)
{
    if (consumers < 0)
        return BD_ONDEMAND_NONE;
    if (consumers > 0) {
        od->empty_since = -1;
        if (od->active)
            return BD_ONDEMAND_NONE;
        od->active = 1;
        return BD_ONDEMAND_START;
    }
    if (!od->active)
        return BD_ONDEMAND_NONE;
    if (od->empty_since < 0) {
        od->empty_since = now_ns;
        return BD_ONDEMAND_NONE;
    }
    if (now_ns - od->empty_since < od->grace_ns)
        return BD_ONDEMAND_NONE;
    od->active = 0;
    od->empty_since = -1;
    return BD_ONDEMAND_STOP;
}

/* ---- who streams ----------------------------------------------------------- */

/* While another program has the device open and does not stream (more
 * opens than streaming processes), /proc is scanned this often: a
 * consumer's STREAMON shows at most this late (the start budget is 1.5 s;
 * a second consumer joining one that streams is counted as soon), and a
 * scan of every process's maps costs a few ms. While every opener
 * streams, a close (an inotify event) rescans at once, so the slow scan
 * only catches a consumer that unmaps and stays open. */
#define RESCAN_NS 250000000LL
#define RESCAN_STREAMING_NS 2000000000LL

struct bd_lb_watch {
    enum bd_lb_watch_mode mode;
    const struct bd_v4l2_ops *ops;
    int fd;                 /* the producer's (not ours to close) */
    int count;
    /* PROC */
    int ino_fd;
    dev_t dev;
    ino_t ino;
    int others_open;        /* opens minus closes seen by inotify, >= 0 */
    int scanned;
    int64_t last_scan_ns;
    char proc_root[128];
    char buf[65536];        /* one maps file at a time, line by line */
};

int bd_maps_count_mappings(const char *text, size_t len, dev_t dev, ino_t ino)
{
    int n = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        /* address perms offset MAJ:MIN inode [path] */
        char line[160];
        size_t l = (size_t)(le - p) < sizeof line - 1 ? (size_t)(le - p) : sizeof line - 1;
        memcpy(line, p, l);
        line[l] = '\0';
        unsigned maj, min;
        unsigned long long inode;
        if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &inode) == 3 &&
            inode == (unsigned long long)ino && maj == major(dev) && min == minor(dev))
            n++;
        p = le + 1;
    }
    return n;
}

/* Whether the process whose maps file is at path has the device mapped. */
static int maps_has_device(struct bd_lb_watch *w, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* gone, or another user's: not seen (a documented limit) */
    size_t have = 0;
    int found = 0;
    for (;;) {
        ssize_t r = read(fd, w->buf + have, sizeof w->buf - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (have)
                found = bd_maps_count_mappings(w->buf, have, w->dev, w->ino) > 0;
            break;
        }
        have += (size_t)r;
        char *last = memrchr(w->buf, '\n', have);
        if (!last) {
            if (have == sizeof w->buf)
                have = 0; /* a line longer than the buffer: no mapping line is */
            continue;
        }
        size_t done = (size_t)(last - w->buf) + 1;
        if (bd_maps_count_mappings(w->buf, done, w->dev, w->ino) > 0) {
            found = 1;
            break;
        }
        memmove(w->buf, w->buf + done, have - done);
        have -= done;
    }
    close(fd);
    return found;
}

static int scan_proc(struct bd_lb_watch *w)
{
    DIR *d = opendir(w->proc_root);
    if (!d)
        return w->count;
    const pid_t self = getpid();
    int n = 0;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d))) {
        char *endp;
        long pid = strtol(e->d_name, &endp, 10);
        if (*endp || pid <= 0 || pid == self)
            continue;
        snprintf(path, sizeof path, "%s/%ld/maps", w->proc_root, pid);
        n += maps_has_device(w, path);
    }
    closedir(d);
    return n;
}

int bd_lb_watch_open(const struct bd_v4l2_ops *ops, int fd, const char *path,
                     const char *proc_root, struct bd_lb_watch **out)
{
    *out = NULL;
    ops = bd_v4l2_ops_or_sys(ops);
    struct bd_lb_watch *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->ops = ops;
    w->fd = fd;
    w->ino_fd = -1;
    struct v4l2_event_subscription sub;
    memset(&sub, 0, sizeof sub);
    sub.type = BD_V4L2_EVENT_PRI_CLIENT_USAGE;
    sub.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL;
    if (bd_v4l2_ioctl(ops, fd, VIDIOC_SUBSCRIBE_EVENT, &sub) == 0) {
        w->mode = BD_LB_WATCH_EVENT;
        *out = w;
        return 0;
    }
    /* 0.12.x: no such event (EINVAL) */
    w->mode = BD_LB_WATCH_PROC;
    snprintf(w->proc_root, sizeof w->proc_root, "%s", proc_root ? proc_root : "/proc");
    struct stat st;
    if (stat(path, &st) < 0) {
        int err = -errno;
        free(w);
        return err;
    }
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->ino_fd < 0 || inotify_add_watch(w->ino_fd, path, IN_OPEN | IN_CLOSE) < 0) {
        int err = -errno;
        if (w->ino_fd >= 0)
            close(w->ino_fd);
        free(w);
        return err;
    }
    *out = w;
    return 0;
}

enum bd_lb_watch_mode bd_lb_watch_mode(const struct bd_lb_watch *w)
{
    return w->mode;
}

static int count_event(struct bd_lb_watch *w)
{
    short rev = 0;
    int r = bd_v4l2_poll1(w->ops, w->fd, POLLPRI, 0, &rev);
    if (r < 0)
        return r;
    if (r == 0 || !(rev & POLLPRI))
        return (rev & (POLLERR | POLLHUP)) ? -ENODEV : w->count;
    for (int i = 0; i < 64; i++) {
        struct v4l2_event ev;
        memset(&ev, 0, sizeof ev);
        r = bd_v4l2_ioctl(w->ops, w->fd, VIDIOC_DQEVENT, &ev);
        if (r == -ENOENT)
            break;
        if (r < 0)
            return r;
        if (ev.type == BD_V4L2_EVENT_PRI_CLIENT_USAGE) {
            uint32_t c;
            memcpy(&c, ev.u.data, sizeof c);
            w->count = c > INT_MAX ? INT_MAX : (int)c;
        }
        if (ev.pending == 0)
            break;
    }
    return w->count;
}

static int count_proc(struct bd_lb_watch *w, int64_t now_ns)
{
    int changed = 0;
    for (;;) {
        char ebuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t r = read(w->ino_fd, ebuf, sizeof ebuf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (char *q = ebuf; q < ebuf + r;) {
            const struct inotify_event *e = (const struct inotify_event *)q;
            if (e->mask & IN_OPEN)
                w->others_open++;
            if ((e->mask & IN_CLOSE) && w->others_open > 0)
                w->others_open--;
            if (e->mask & (IN_IGNORED | IN_DELETE_SELF))
                return -ENODEV; /* the node went away: the module was removed */
            changed = 1;
            q += sizeof *e + e->len;
        }
    }
    /* Nobody else has it open and nobody did since the last look: nothing
     * to scan (this is the idle case, and it costs one read()). */
    const int64_t every =
        w->count > 0 && w->others_open <= w->count ? RESCAN_STREAMING_NS : RESCAN_NS;
    if (!w->scanned || changed ||
        ((w->others_open > 0 || w->count > 0) && now_ns - w->last_scan_ns >= every)) {
        w->count = scan_proc(w);
        w->scanned = 1;
        w->last_scan_ns = now_ns;
    }
    return w->count;
}

int bd_lb_watch_count(struct bd_lb_watch *w, int64_t now_ns)
{
    return w->mode == BD_LB_WATCH_EVENT ? count_event(w) : count_proc(w, now_ns);
}

int bd_lb_watch_fd(const struct bd_lb_watch *w, short *events)
{
    *events = w->mode == BD_LB_WATCH_EVENT ? POLLPRI : POLLIN;
    return w->mode == BD_LB_WATCH_EVENT ? w->fd : w->ino_fd;
}

void bd_lb_watch_close(struct bd_lb_watch *w)
{
    if (!w)
        return;
    if (w->mode == BD_LB_WATCH_EVENT) {
        struct v4l2_event_subscription sub;
        memset(&sub, 0, sizeof sub);
        sub.type = BD_V4L2_EVENT_PRI_CLIENT_USAGE;
        (void)bd_v4l2_ioctl(w->ops, w->fd, VIDIOC_UNSUBSCRIBE_EVENT, &sub);
    }
    if (w->ino_fd >= 0)
        close(w->ino_fd);
    free(w);
}
