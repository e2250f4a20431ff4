/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Frames from a video or image file, decoded with FFmpeg's libraries
 * (libavformat/libavcodec, FFmpeg 5.1 on Debian 12), converted to I420 of
 * the stream's size: a background video or picture, or a file used in
 * place of a camera.
 *
 * Life cycle:
 *   bd_file_source_open()    open + probe, choose the best video stream,
 *                            open its decoder, decode the first frame (so
 *                            an unreadable or corrupt file fails here, with
 *                            one message naming it)
 *   bd_file_source_info()    size, frame rate, still or not
 *   bd_file_source_read()    the next frame, into caller planes, with pts
 *   bd_file_source_close()
 *
 * Output: I420 (struct bd_i420, capture/y4m_reader.h) of info.width x
 * info.height, 8-bit. Decoded yuv420p of that size (limited range) is
 * copied with libyuv; anything else (other subsampling, RGB, palette,
 * 10-bit, full-range "yuvj" JPEG output, or a frame whose size changed
 * mid-stream) goes through libswscale, to video range 16-235 (BT.601
 * coefficients for RGB input; YUV input keeps its matrix, nothing
 * converts 709 to 601). A size change mid-stream is scaled to the size
 * reported at open, so the caller's planes stay valid.
 *
 * Timestamps: pts_us starts at 0 for the first frame and strictly
 * increases: the stream's timestamps (best-effort), rebased; a frame
 * without one gets the previous pts + one frame interval. Looping
 * continues from the last pts + one interval.
 *
 * Stills: a file whose whole stream is one frame (a JPEG/PNG/..., or a
 * one-frame video) is a still. bd_file_source_read() returns that same
 * frame on every call (pts advancing by one interval each time), with or
 * without loop, so it can serve as a background. info.still tells the
 * caller at open when the demuxer is an image one (image2, *_pipe) with
 * one picture; a
 * one-frame video is only known to be still at its end, after which
 * info.still becomes true.
 *
 * End of input: without loop, read returns BD_FILE_SOURCE_EOF (positive)
 * once the last frame has been returned, and again on every later call.
 * With loop, it seeks back to the start (av_seek_frame, backward, then a
 * decoder flush) and goes on; a file that yields no frame after the
 * rewind fails instead of spinning.
 *
 * Damaged data mid-stream: packets the decoder rejects are skipped
 * (counted in stats); more than BD_FILE_SOURCE_MAX_BAD in a row fail with
 * BD_ERR_FORMAT.
 *
 * Errors: enum bd_status values with a bd_fail() detail naming the file.
 * Only the "file" protocol is allowed (a path is never read as a URL:
 * "http://x" is a file name). FFmpeg's own logging is silenced
 * (av_log_set_level(AV_LOG_QUIET), process-wide, the first time a source
 * is opened, unless the level was already changed from the default):
 * its messages would go to stderr per frame; the detail is in the
 * statuses instead.
 *
 * Memory: our buffers (packet, frames, the swscale context) are made by
 * open and remade only when the decoded format or size changes. FFmpeg
 * itself allocates inside av_read_frame and the decoder (packet data,
 * frame pools that it reuses); that cannot be avoided through its API.
 * A source is used by one thread at a time; different sources are
 * independent.
 */
#ifndef BD_CAPTURE_FILE_SOURCE_H
#define BD_CAPTURE_FILE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/y4m_reader.h" /* struct bd_i420 */

#define BD_FILE_SOURCE_EOF 1        /* read: no more frames (loop off) */
#define BD_FILE_SOURCE_MAX_BAD 100  /* rejected packets in a row before failing */
#define BD_FILE_SOURCE_MAX_DIM 16384

struct bd_file_source_options {
    bool loop;     /* rewind at the end and continue */
    int threads;   /* decoder threads; 0 = FFmpeg's choice (one per core) */
};

struct bd_file_source_info {
    int width, height;       /* of the output (the first decoded frame) */
    int fps_num, fps_den;    /* av_guess_frame_rate; 25/1 when unknown */
    int64_t duration_us;     /* -1 when unknown */
    bool still;              /* see "Stills" above */
    const char *codec;       /* e.g. "h264", "mjpeg" (static string) */
    const char *container;   /* e.g. "mov,mp4,m4a,3gp,3g2,mj2" (static string) */
};

struct bd_file_source_stats {
    uint64_t frames;   /* frames returned by read */
    uint64_t decoded;  /* frames decoded */
    uint64_t bad;      /* packets/frames the decoder rejected (skipped) */
    uint64_t loops;    /* rewinds */
};

struct bd_file_source;

/*
 * Opens path (opts NULL: no loop, default threads).
 * Errors, each naming path:
 *   BD_ERR_NOT_FOUND    no such file
 *   BD_ERR_IO           cannot open/read it (permission, a directory)
 *   BD_ERR_FORMAT       not a video or image FFmpeg recognises, no video
 *                       stream, or corrupt (the first frame cannot be
 *                       decoded)
 *   BD_ERR_UNSUPPORTED  a codec this FFmpeg cannot decode, or a frame
 *                       larger than BD_FILE_SOURCE_MAX_DIM
 *   BD_ERR_NOMEM
 * On failure nothing stays open and *out is NULL.
 */
int bd_file_source_open(const char *path, const struct bd_file_source_options *opts,
                        struct bd_file_source **out);

/* Valid until close (still may turn true, see above). */
const struct bd_file_source_info *bd_file_source_info(const struct bd_file_source *src);

/*
 * Decodes the next frame into dst (info.width x info.height; chroma
 * ceil(w/2) x ceil(h/2)) and sets *pts_us (may be NULL).
 * Returns BD_OK, BD_FILE_SOURCE_EOF (loop off, no more frames; dst
 * untouched), or BD_ERR_INVALID_ARG (NULL planes / strides too small),
 * BD_ERR_FORMAT (too many damaged packets in a row; a loop that yields no
 * frame), BD_ERR_IO (a read error other than the end of the file; the
 * rewind failed), BD_ERR_NOMEM (a format change could not get its
 * converter).
 */
int bd_file_source_read(struct bd_file_source *src, const struct bd_i420 *dst, int64_t *pts_us);

void bd_file_source_stats(const struct bd_file_source *src, struct bd_file_source_stats *st);

/* Closes the file and frees src. NULL is a no-op. */
void bd_file_source_close(struct bd_file_source *src);

#endif
