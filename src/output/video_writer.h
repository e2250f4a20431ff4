/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * I420 frames to a video file (a recording of the camera's output), encoded
 * and muxed with FFmpeg's libraries (libavformat/libavcodec, FFmpeg 5.1 on
 * Debian 12).
 *
 * Container: guessed from the file name's extension (.mp4, .mkv, .webm,
 * .mov, .avi, ...). Image formats that write one file per frame (.png,
 * .jpg: FFmpeg's image2 muxer) are refused.
 *
 * Codec: H.264 with libx264 (preset veryfast, crf 20, yuv420p; BT.601
 * limited range signalled) when the container can hold H.264 and this
 * FFmpeg has libx264; otherwise the container's default video codec
 * (.webm: VP9 or VP8 with libvpx, run with deadline=realtime and the
 * fastest cpu-used; others at a bit rate of 0.2 bit per pixel per frame),
 * fed through libswscale when that codec does not take yuv420p.
 *
 * Sizes: the encoded picture is width x height rounded down to even
 * numbers (4:2:0 codecs need even sizes): with an odd width or height the
 * last column or row of each frame is dropped. So both must be >= 2.
 *
 * Timestamps: the stream's time base is one frame at fps_num / fps_den.
 * A pts_us is rounded to the nearest frame tick; -1 means the tick after
 * the previous frame's (0 for the first), so a writer fed only -1 numbers
 * frames 0, 1, 2, ... Fix-up: a tick that is not after the previous
 * frame's (pts going back, or two frames within one frame interval) is
 * moved to the previous tick + 1. No frame is dropped, so frames arriving
 * faster than the rate given to open drift later than their pts: give
 * open the real rate.
 *
 * Files: open creates or truncates path (only through FFmpeg's "file"
 * protocol; "http://x.mp4" is a file name). When open fails after it
 * created a new file, it removes it; a file that existed before is left
 * truncated. When write or close fails (disk full, I/O error) the file is
 * left in place, incomplete: an MP4 without its trailer cannot be played;
 * Matroska, MPEG-TS or AVI play up to the last data that reached the disk.
 *
 * FFmpeg's own logging is silenced process-wide as in capture/file_source.h
 * (AV_LOG_QUIET, once, unless the level was changed from the default); the
 * detail is in the statuses instead.
 *
 * Memory: the writer's frame, packet, codec and muxer contexts (and the
 * swscale context when needed) are allocated by open. The encoder and
 * muxer allocate inside FFmpeg per frame (packets, interleaving queues);
 * that cannot be avoided through its API.
 *
 * Errors are enum bd_status values with a bd_fail() detail naming the
 * file. A writer is used by one thread at a time; different writers are
 * independent. The encoder runs its own threads (its automatic count:
 * libx264 uses about 1.5 per core); measured on a 2-core machine,
 * 1280x720 takes under 26 ms per frame, so it keeps up with 720p30 but
 * competes with inference for the cores.
 */
#ifndef BD_OUTPUT_VIDEO_WRITER_H
#define BD_OUTPUT_VIDEO_WRITER_H

#include <stdint.h>

#include "common/frame.h"

#define BD_VIDEO_WRITER_MAX_DIM 16384

struct bd_video_writer;

/*
 * Creates path and starts a video of width x height (2..BD_VIDEO_WRITER_MAX_DIM;
 * odd sizes are cropped, see above) at fps_num / fps_den frames per second
 * (both > 0, at most 1000 fps); writes the container's header.
 * Errors, each naming path:
 *   BD_ERR_INVALID_ARG  NULL/empty path or out, size or rate out of range
 *   BD_ERR_UNSUPPORTED  unknown extension, an image format, or no encoder
 *                       in this FFmpeg for that container's codec
 *   BD_ERR_IO           the file cannot be created (the message has
 *                       strerror: missing folder, permission) or its
 *                       header cannot be written
 *   BD_ERR_NOMEM
 * On success *out owns everything (free it with bd_video_writer_close);
 * on failure *out is NULL and nothing stays open or allocated.
 */
int bd_video_writer_open(const char *path, int width, int height, int fps_num, int fps_den,
                         struct bd_video_writer **out);

/*
 * Encodes one frame (of the open width x height; planes are only read
 * during the call) at pts_us microseconds from the start, or -1 for the
 * next frame by the rate (see "Timestamps" above). Encoded packets may
 * come out later (the encoder's delay); close writes the rest.
 * Returns BD_OK, BD_ERR_INVALID_ARG (NULL writer/planes, wrong size,
 * strides too small, pts_us < -1), BD_ERR_NOMEM, or BD_ERR_IO (encoding
 * or writing failed, e.g. disk full; the message names path and says the
 * file is incomplete). After BD_ERR_IO the writer refuses further frames
 * with the same message; close still frees it. FFmpeg buffers its output
 * (and libx264 delays frames), so a full disk may only show at a later
 * frame or at close.
 */
int bd_video_writer_write(struct bd_video_writer *w, const struct bd_i420_view *frame,
                          int64_t pts_us);

/* Frames accepted by bd_video_writer_write so far. */
uint64_t bd_video_writer_frames(const struct bd_video_writer *w);

/*
 * Drains the encoder, writes the container's trailer, closes the file and
 * frees w. Returns BD_OK, or BD_ERR_IO when any of that failed (or an
 * earlier write had failed): the file is then incomplete (see "Files").
 * w is freed in every case. NULL is a no-op returning BD_OK.
 */
int bd_video_writer_close(struct bd_video_writer *w);

#endif
