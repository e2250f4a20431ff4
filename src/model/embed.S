/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The default models, embedded so the library works from any directory.
 * BD_MODEL_GENERAL / BD_MODEL_LANDSCAPE are paths given by the Makefile,
 * which verifies their sha256 before assembling this file. */
    .section .rodata
    .balign 64
    .globl bd_model_general_start
    .globl bd_model_general_end
bd_model_general_start:
    .incbin BD_MODEL_GENERAL
bd_model_general_end:
    .byte 0
    .balign 64
    .globl bd_model_landscape_start
    .globl bd_model_landscape_end
bd_model_landscape_start:
    .incbin BD_MODEL_LANDSCAPE
bd_model_landscape_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
