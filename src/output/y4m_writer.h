/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * YUV4MPEG2 (.y4m) output of I420 frames to a file descriptor (stdout, a
 * pipe into ffmpeg/ffplay/mpv) or a file.
 *
 * The stream header, written by open, is
 *   "YUV4MPEG2 W<w> H<h> F<num>:<den> Ip A1:1 C420jpeg\n"
 * with the rate reduced to lowest terms; each frame is "FRAME\n" and the
 * Y, U, V planes (U and V of ceil(w/2) x ceil(h/2)), packed without
 * stride padding. Each frame is packed into one buffer allocated at open
 * and written with write() (EINTR and short writes retried); nothing is
 * allocated per frame.
 *
 * Writing into a pipe whose reader has gone raises SIGPIPE, which kills
 * the process unless the caller ignores it (signal(SIGPIPE, SIG_IGN)); with
 * it ignored, write returns BD_ERR_IO with "the reader closed the pipe".
 * Errors are enum bd_status values with a bd_fail() detail naming the
 * output. A writer is used by one thread at a time.
 */
#ifndef BD_OUTPUT_Y4M_WRITER_H
#define BD_OUTPUT_Y4M_WRITER_H

#include <stdint.h>

#include "capture/y4m_reader.h" /* struct bd_i420, BD_Y4M_MAX_DIM */

struct bd_y4m_writer;

/*
 * Starts a stream on fd (not closed by the writer; name, e.g. "stdout", is
 * used in messages) of width x height (1..BD_Y4M_MAX_DIM) at fps_num /
 * fps_den frames per second (both > 0). Writes the header.
 * Errors: BD_ERR_INVALID_ARG, BD_ERR_NOMEM, BD_ERR_IO (writing the header
 * failed). On failure *out is NULL.
 */
int bd_y4m_writer_open_fd(int fd, const char *name, int width, int height, int fps_num,
                          int fps_den, struct bd_y4m_writer **out);

/* Same, creating or truncating the file at path (mode 0666 & ~umask,
 * O_CLOEXEC); the writer owns and closes that fd. "-" means stdout (not
 * closed). Errors also: BD_ERR_IO naming path when it cannot be created. */
int bd_y4m_writer_open_path(const char *path, int width, int height, int fps_num, int fps_den,
                            struct bd_y4m_writer **out);

/*
 * Writes one frame (planes as in struct bd_i420, of the open size).
 * Returns BD_OK, BD_ERR_INVALID_ARG (missing planes, strides too small)
 * or BD_ERR_IO (after which the stream may hold a partial frame; the
 * writer refuses further frames).
 */
int bd_y4m_writer_write(struct bd_y4m_writer *w, const struct bd_i420 *src);

/* Frames written so far. */
uint64_t bd_y4m_writer_frames(const struct bd_y4m_writer *w);

/*
 * Frees w and closes the fd when the writer opened it (a file path).
 * Returns BD_OK or BD_ERR_IO when that close() reports an error (e.g. a
 * full disk on NFS). NULL is a no-op returning BD_OK.
 */
int bd_y4m_writer_close(struct bd_y4m_writer *w);

#endif
