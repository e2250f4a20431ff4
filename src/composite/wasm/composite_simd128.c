/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * WebAssembly SIMD (simd128) twins of the compositor's kernels, for the
 * browser build only (mk/web.mk selects this folder; the native build
 * takes only the files directly in src/composite/ and never sees it).
 *
 * Where it pays: a profile of the wasm module at 720p (node --cpu-prof,
 * the blur effect) had the C box downscale at 13% of the frame, the
 * biggest compositor kernel: clang does not vectorise its k x k sums.
 * The twin sums with pairwise widening adds (k = 4: 16-bit pair sums of 4
 * rows, then 32-bit 4-sums, 8 blocks per 32 bytes; k = 8: 8 rows, then
 * the two halves of each 8-byte block added across lanes, 4 blocks per 32
 * bytes) and rounds as the C twin does; the partial block at the right
 * edge and any blocks after the last whole vector go to the C twin, one
 * block row at a time, as in the AVX2 twin. Integer sums: the same bytes,
 * which tests/web/test_composite_simd128.c checks under node. The other
 * kernels are the C twins (clang vectorises them for simd128).
 */
#include <wasm_simd128.h>

#include "composite/composite_kernels.h"

static void downscale_simd128(const uint8_t *src, int ss, uint8_t *dst, int ds, int w, int h,
                              int k)
{
    const int sw = (w + k - 1) / k, sh = (h + k - 1) / k, nfull = w / k;
    for (int sy = 0; sy < sh; sy++) {
        const uint8_t *rp[8];
        for (int j = 0; j < k; j++)
            rp[j] = src + (size_t)(sy * k + j < h ? sy * k + j : h - 1) * (size_t)ss;
        uint8_t *d = dst + (size_t)sy * (size_t)ds;
        int sx = 0;
        if (k == 8) {
            for (; sx + 4 <= nfull; sx += 4) {
                v128_t a = wasm_i16x8_splat(0), b = a; /* <= 8 * 510 */
                for (int j = 0; j < 8; j++) {
                    a = wasm_i16x8_add(a, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 8 * sx)));
                    b = wasm_i16x8_add(b, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 8 * sx + 16)));
                }
                /* 4-column sums, then each block's two halves */
                const v128_t qa = wasm_u32x4_extadd_pairwise_u16x8(a);
                const v128_t qb = wasm_u32x4_extadd_pairwise_u16x8(b);
                v128_t s = wasm_i32x4_add(wasm_i32x4_shuffle(qa, qb, 0, 2, 4, 6),
                                          wasm_i32x4_shuffle(qa, qb, 1, 3, 5, 7));
                s = wasm_u32x4_shr(wasm_i32x4_add(s, wasm_i32x4_splat(32)), 6);
                const v128_t n16 = wasm_u16x8_narrow_i32x4(s, s);
                wasm_v128_store32_lane(d + sx, wasm_u8x16_narrow_i16x8(n16, n16), 0);
            }
        } else {
            for (; sx + 8 <= nfull; sx += 8) {
                v128_t a = wasm_i16x8_splat(0), b = a; /* <= 4 * 510 */
                for (int j = 0; j < 4; j++) {
                    a = wasm_i16x8_add(a, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 4 * sx)));
                    b = wasm_i16x8_add(b, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 4 * sx + 16)));
                }
                v128_t sa = wasm_u32x4_extadd_pairwise_u16x8(a);
                v128_t sb = wasm_u32x4_extadd_pairwise_u16x8(b);
                sa = wasm_u32x4_shr(wasm_i32x4_add(sa, wasm_i32x4_splat(8)), 4);
                sb = wasm_u32x4_shr(wasm_i32x4_add(sb, wasm_i32x4_splat(8)), 4);
                const v128_t n16 = wasm_u16x8_narrow_i32x4(sa, sb);
                wasm_v128_store64_lane(d + sx, wasm_u8x16_narrow_i16x8(n16, n16), 0);
            }
        }
        if (sx < sw) {
            const int rows = h - sy * k < k ? h - sy * k : k;
            bd_box_downscale_c(src + (size_t)(sy * k) * (size_t)ss + (size_t)(sx * k), ss,
                               d + sx, ds, w - sx * k, rows, k);
        }
    }
}

const struct bd_composite_kernels bd_composite_kernels_simd128 = {
    .name = "simd128",
    .blend_row = bd_blend_row_c,
    .mask_chroma_row = bd_mask_chroma_row_c,
    .downscale = downscale_simd128,
    .blur = bd_box_blur_c,
    .upscale_row_h = bd_upscale_row_h_c,
    .blend_up_row = bd_blend_up_row_c,
    .mix_rows = bd_mix_rows_c,
    .blur16 = bd_box_blur16_c,
    .premul_row = bd_premul_row_c,
    .ratio_row = bd_ratio_row_c,
    .blend_wrap_row = bd_blend_wrap_row_c,
    .scale_row = bd_scale_row_c,
    .holo_y_row = bd_holo_y_row_c,
    .holo_c_row = bd_holo_c_row_c,
};
