/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The default models for the WebAssembly build: src/model/embed.S's
 * symbols, in the wasm assembler's dialect (a named data section, sized
 * symbols). Sizes and paths come from mk/web.mk. */
    .section .rodata.bd_models,"",@
    .p2align 6
    .globl bd_model_general_start
    .globl bd_model_general_end
bd_model_general_start:
    .incbin BD_MODEL_GENERAL
    .size bd_model_general_start, BD_GENERAL_SIZE
bd_model_general_end:
    .byte 0
    .size bd_model_general_end, 1
    .p2align 6
    .globl bd_model_landscape_start
    .globl bd_model_landscape_end
bd_model_landscape_start:
    .incbin BD_MODEL_LANDSCAPE
    .size bd_model_landscape_start, BD_LANDSCAPE_SIZE
bd_model_landscape_end:
    .byte 0
    .size bd_model_landscape_end, 1
