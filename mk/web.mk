# SPDX-License-Identifier: GPL-3.0-or-later
# make web: the library's model, mask and composite stages, its options and
# web/backdrop_web.c (a client of bd_filter) compiled to WebAssembly (Debian's emscripten, WASM
# SIMD), with the ES module, its Worker and the demo page, into build/web/.
# Which code goes in is chosen here by folder and file, never by #ifdef:
# no capture, output, pipeline platform (source, sinks, on demand, files),
# image-file, XNNPACK or TF.js-reader (cJSON) code (model/none/ stands in); libyuv is
# Debian's source package compiled for wasm (scripts/fetch-libyuv.sh).

WEB      := $(BUILD)/web
EMCC     ?= emcc
EMXX     ?= em++
# Debian's emscripten looks for its JS tools (acorn, ...) there; the
# machine's node may not be Debian's.
EMENV    := NODE_PATH=/usr/share/nodejs
WEB_CFLAGS := -O2 -msimd128 -std=c17 -Wall -Wextra $(WERROR) -D_GNU_SOURCE -Iinclude -Isrc -Iweb \
              -I$(WEB)/libyuv/include
# The pipeline's core (the per-frame step, live settings, bd_filter) is
# in; its platform parts are not, and none/none.c stands in for them.
WEB_PIPELINE := background create filter live pipeline
WEB_SRC  := $(wildcard src/common/error.c src/common/frame.c src/options/*.c src/mask/refine.c src/mask/fuse.c \
              src/mask/upsample.c src/mask/wasm/*.c src/composite/composite.c src/composite/mark.c src/composite/wasm/*.c) \
            $(filter-out src/model/xnnpack.c src/model/tfjs.c src/model/model_tfjs.c,$(wildcard src/model/*.c)) \
            src/model/none/tfjs_none.c $(wildcard src/model/wasm/*.c) \
            $(WEB_PIPELINE:%=src/pipeline/%.c) src/pipeline/none/none.c \
            web/backdrop_web.c
WEB_OBJ  := $(WEB_SRC:%.c=$(WEB)/obj/%.o) $(WEB)/obj/models.o
YUV_SRC  := $(addprefix source/,compare.cc compare_common.cc convert.cc convert_argb.cc \
              convert_from.cc convert_from_argb.cc convert_to_argb.cc convert_to_i420.cc cpu_id.cc \
              planar_functions.cc rotate.cc rotate_any.cc rotate_argb.cc rotate_common.cc \
              row_any.cc row_common.cc scale.cc scale_any.cc scale_argb.cc scale_common.cc \
              scale_rgb.cc scale_uv.cc video_common.cc)
YUV_OBJ  := $(YUV_SRC:source/%.cc=$(WEB)/obj/libyuv/%.o)
WEB_STAMP := $(WEB)/libyuv/.verified
# libyuv's C rows round as its x86 SIMD rows do when built for x86 (these
# three macros, row_common.cc): asked for here too, so that the wasm build
# converts RGB to YUV exactly as Debian's x86 libyuv, and masks match the
# native library's byte for byte (tests/web/equal.sh).
YUV_X86_ROUNDING := -DLIBYUV_ARGBTOUV_PAVGB=1 -DLIBYUV_RGBTOU_TRUNCATE=1 -DLIBYUV_ATTENUATE_DUP=1
WEB_EXPORTS := _bdw_create,_bdw_destroy,_bdw_set,_bdw_set_live,_bdw_set_background,_bdw_process,_bdw_process_yuv,_bdw_output,_bdw_output_yuv,_bdw_mask,_bdw_stat,_bdw_last_error,_malloc,_free
WEB_PAGE := $(addprefix $(WEB)/,backdrop.js backdrop-worker.js index.html demo.js)

.PHONY: web
web: $(WEB)/backdrop_wasm.js $(WEB)/backdrop_wasm_mt.js $(WEB_PAGE)

$(WEB_STAMP):
	@scripts/fetch-libyuv.sh $(WEB)/libyuv

$(YUV_SRC:%=$(WEB)/libyuv/%): $(WEB_STAMP) ;

# (rebuilt when this file changes: YUV_X86_ROUNDING decides their bytes)
$(WEB)/obj/libyuv/%.o: $(WEB)/libyuv/source/%.cc mk/web.mk | $(WEB_STAMP)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMXX) -O2 -msimd128 -I$(WEB)/libyuv/include -DLIBYUV_DISABLE_X86 -DLIBYUV_DISABLE_NEON $(YUV_X86_ROUNDING) -c $< -o $@

$(WEB)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h src/*/*.inc web/*.h) | $(WEB_STAMP)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) $(WEB_CFLAGS) -c $< -o $@

# The default models, embedded as natively (embed.S) but in wasm's assembly
# dialect: data sections need a name and symbols a size.
$(WEB)/obj/models.o: web/embed_wasm.S $(MODEL_GENERAL) $(MODEL_LANDSCAPE)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) -c $< -o $@ -DBD_MODEL_GENERAL='"$(MODEL_GENERAL)"' -DBD_MODEL_LANDSCAPE='"$(MODEL_LANDSCAPE)"' \
	  -DBD_GENERAL_SIZE=$$(stat -c %s $(MODEL_GENERAL)) -DBD_LANDSCAPE_SIZE=$$(stat -c %s $(MODEL_LANDSCAPE))

# ES module factory (createBackdrop), usable in a Worker and under node
# (tests/web/equal.mjs); memory grows with the frame size.
$(WEB)/backdrop_wasm.js: $(WEB_OBJ) $(YUV_OBJ)
	$(EMENV) $(EMCC) -O2 -msimd128 -o $@ $^ -sMODULARIZE -sEXPORT_ES6 -sEXPORT_NAME=createBackdrop \
	  -sENVIRONMENT=web,worker,node -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=64MB \
	  -sEXPORTED_FUNCTIONS=$(WEB_EXPORTS) -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8

# The same C again with threads (Emscripten pthreads: SharedArrayBuffer,
# so only on a cross-origin isolated page): the Worker loads it there and
# runs the filter live, the model on a thread of its own (a pool of two
# Workers: a new frame size starts the new pipeline's thread before the old
# one's is joined). Every object needs the atomics feature, hence obj-mt/.
# Its memory starts at what a 1080p camera needs: growing shared memory
# leaves other threads' views of it stale until they look again.
WEB_MT_OBJ := $(WEB_SRC:%.c=$(WEB)/obj-mt/%.o) $(WEB)/obj-mt/models.o $(YUV_SRC:source/%.cc=$(WEB)/obj-mt/libyuv/%.o)
$(WEB)/obj-mt/libyuv/%.o: $(WEB)/libyuv/source/%.cc mk/web.mk | $(WEB_STAMP)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMXX) -O2 -msimd128 -pthread -I$(WEB)/libyuv/include -DLIBYUV_DISABLE_X86 -DLIBYUV_DISABLE_NEON $(YUV_X86_ROUNDING) -c $< -o $@
$(WEB)/obj-mt/%.o: %.c $(wildcard include/*.h src/*/*.h src/*/*.inc web/*.h) | $(WEB_STAMP)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) $(WEB_CFLAGS) -pthread -c $< -o $@
$(WEB)/obj-mt/models.o: web/embed_wasm.S $(MODEL_GENERAL) $(MODEL_LANDSCAPE)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) -pthread -c $< -o $@ -DBD_MODEL_GENERAL='"$(MODEL_GENERAL)"' -DBD_MODEL_LANDSCAPE='"$(MODEL_LANDSCAPE)"' \
	  -DBD_GENERAL_SIZE=$$(stat -c %s $(MODEL_GENERAL)) -DBD_LANDSCAPE_SIZE=$$(stat -c %s $(MODEL_LANDSCAPE))
# (also writes backdrop_wasm_mt.worker.js, the threads' Worker script)
$(WEB)/backdrop_wasm_mt.js: $(WEB_MT_OBJ)
	$(EMENV) $(EMCC) -O2 -msimd128 -pthread -sPTHREAD_POOL_SIZE=2 -o $@ $^ -sMODULARIZE -sEXPORT_ES6 -sEXPORT_NAME=createBackdrop \
	  -sENVIRONMENT=web,worker -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=192MB \
	  -sEXPORTED_FUNCTIONS=$(WEB_EXPORTS) -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8

$(WEB)/%.js: web/%.js
	@mkdir -p $(dir $@)
	cp $< $@
$(WEB)/index.html: web/index.html
	@mkdir -p $(dir $@)
	cp $< $@

# ---- tests (make web-test, a suite of scripts/check.sh) --------------------
WEB_CLIP := ../shared/data/video/doctor_26732.mp4

# native_masks: the wasm module's C against the native library as built.
$(BUILD)/tests/web/native_masks: tests/web/native_masks.c web/backdrop_web.c web/backdrop_web.h $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iweb $(LDFLAGS) -o $@ tests/web/native_masks.c web/backdrop_web.c $(BUILD)/libbackdrop.a $(LDLIBS)

# The clip as the fake camera Chromium reads (y4m), and raw RGBA frames.
$(WEB)/doctor.y4m: $(WEB_CLIP)
	@mkdir -p $(dir $@)
	ffmpeg -loglevel error -y -i $< -t 6 -vf scale=640:360,fps=30 -pix_fmt yuv420p $@
$(WEB)/doctor-720p.y4m: $(WEB_CLIP)
	@mkdir -p $(dir $@)
	ffmpeg -loglevel error -y -i $< -t 4 -vf scale=1280:720,fps=30 -pix_fmt yuv420p $@
$(WEB)/doctor-640x360.rgba: $(WEB_CLIP)
	@mkdir -p $(dir $@)
	ffmpeg -loglevel error -y -i $< -frames:v 6 -vf scale=640:360 -f rawvideo -pix_fmt rgba $@
$(WEB)/doctor-640x360.i420: $(WEB_CLIP)
	@mkdir -p $(dir $@)
	ffmpeg -loglevel error -y -i $< -frames:v 6 -vf scale=640:360 -f rawvideo -pix_fmt yuv420p $@

.PHONY: web-test
web-test: web $(WEB)/tests/test_ref_ops.js $(WEB)/tests/test_refine_simd128.js $(WEB)/tests/test_composite_simd128.js $(BUILD)/tests/web/native_masks $(WEB)/doctor.y4m $(WEB)/doctor-640x360.rgba $(WEB)/doctor-640x360.i420
	@tests/web/run.sh $(BUILD)

# Speed against MediaPipe's own wasm (a benchmark: never part of make test).
.PHONY: bench-web
# BENCH_WEB_SETTINGS: backdrop settings as a query (model=general: the
# model MediaPipe's solution runs).
# BENCH_WEB_BASELINE: another build's web/ folder (e.g. main's build/web) whose
# Worker loop is timed in turns with this one's.
bench-web: web models $(WEB)/doctor-720p.y4m
	@bench/web/run.sh $(BUILD) $(NPM) 60 '$(BENCH_WEB_SETTINGS)' '$(BENCH_WEB_BASELINE)'

# The wasm SIMD twins (compositor; model and refiner) against their C
# twins, timed under node (a benchmark: never part of make test).
.PHONY: bench-web-kernels
bench-web-kernels: $(WEB)/bench/bench_composite_simd128.js $(WEB)/bench/bench_model_simd128.js
	node --no-experimental-fetch $(WEB)/bench/bench_composite_simd128.js
	node --no-experimental-fetch $(WEB)/bench/bench_model_simd128.js

$(WEB)/bench/bench_%_simd128.js: bench/web/bench_%_simd128.c bench/web/bench_time.h $(filter-out $(WEB)/obj/web/%,$(WEB_OBJ)) $(YUV_OBJ)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) $(WEB_CFLAGS) -o $@ $< $(filter %.o,$^) -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=64MB

# The ref backend's op tests built for wasm, under node: its baseline
# variant with the simd128 twins (src/model/wasm/) against naive references
# and, bit for bit, against the plain C (bd_ref_simd(0)).
WEB_REF_OBJ := $(addprefix $(WEB)/obj/src/,model/ref.o model/ref_kernels.o model/graph_util.o common/error.o) \
               $(patsubst %.c,$(WEB)/obj/%.o,$(wildcard src/model/wasm/*.c))
$(WEB)/tests/test_ref_ops.js: tests/test_ref_ops.c $(WEB_REF_OBJ)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) $(WEB_CFLAGS) -Itests -o $@ $< $(WEB_REF_OBJ) -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=64MB

# The wasm SIMD kernels against their C twins, under node.
$(WEB)/tests/test_%_simd128.js: tests/web/test_%_simd128.c tests/check.h $(filter-out $(WEB)/obj/web/%,$(WEB_OBJ)) $(YUV_OBJ)
	@mkdir -p $(dir $@)
	$(EMENV) $(EMCC) $(WEB_CFLAGS) -Itests -o $@ $< $(filter %.o,$^) -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=64MB
