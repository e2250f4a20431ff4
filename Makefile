# SPDX-License-Identifier: GPL-3.0-or-later
# backdrop — see README.md. `make run` and `make test` install what is
# missing (apt-get, npm), build, and run.

BUILD   ?= build
CC      ?= cc
SAN     ?=
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -Wall -Wextra $(WERROR) -fPIC -D_GNU_SOURCE -Iinclude -Isrc
CFLAGS  += $(shell pkg-config --cflags sdl2)
LDLIBS  += -lavformat -lavcodec -lavutil -lswscale -lyuv -ljpeg -lpng -lcjson -lm -lpthread
LDLIBS  += $(shell pkg-config --libs sdl2)

# PipeWire (the --output pipewire camera: src/output/pipewire_out.c)
CFLAGS  += $(shell pkg-config --cflags libpipewire-0.3 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs libpipewire-0.3 2>/dev/null)

ifneq ($(wildcard /usr/include/xnnpack.h),)
CFLAGS  += -DBD_HAVE_XNNPACK
LDLIBS  += -lXNNPACK -lpthreadpool
endif

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),thread)
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

NPM     := $(BUILD)/npm
MODELS  := $(NPM)/selfie_segmentation/package
MODEL_GENERAL   := $(MODELS)/selfie_segmentation.tflite
MODEL_LANDSCAPE := $(MODELS)/selfie_segmentation_landscape.tflite
HMS     := $(NPM)/hms-virtual-background/package

LIB_SRC := $(wildcard src/common/*.c src/options/*.c src/capture/*.c src/model/*.c src/mask/*.c src/composite/*.c src/image/*.c src/output/*.c src/pipeline/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/src/model/embed.o
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
# The D-Bus service (src/service/, hosted by the camera command) and `backdrop
# ctl` speak GDBus (GLib's gio): the backdrop binary links it, the library not.
GIO_CFLAGS := $(shell pkg-config --cflags gio-2.0 2>/dev/null)
GIO_LIBS   := $(shell pkg-config --libs gio-2.0 2>/dev/null)
CLI_OBJ += $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/service/*.c))
$(BUILD)/obj/src/service/%.o $(BUILD)/obj/src/cli/ctl.o: CFLAGS += $(GIO_CFLAGS)
$(BUILD)/backdrop: LDLIBS += $(GIO_LIBS)
# backdrop-settings (src/settings/), the GTK 4 window: a D-Bus client of the
# service that links the library for its options table, thumbnails and devices.
SETTINGS_PKGS   := gtk4 libadwaita-1 gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0
SETTINGS_CFLAGS := $(shell pkg-config --cflags $(SETTINGS_PKGS) 2>/dev/null)
SETTINGS_LIBS   := $(shell pkg-config --libs $(SETTINGS_PKGS) 2>/dev/null)
SETTINGS_OBJ    := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/settings/*.c))
$(SETTINGS_OBJ): CFLAGS += $(SETTINGS_CFLAGS)

# The GStreamer element (plugins/gstreamer/, libgstbackdrop.so): the library
# is linked into it statically, so the plugin needs no libbackdrop.so.
GST_PKGS   := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0
GST_CFLAGS := $(shell pkg-config --cflags $(GST_PKGS) 2>/dev/null)
GST_LIBS   := $(shell pkg-config --libs $(GST_PKGS) 2>/dev/null)
GST_PLUGIN := $(BUILD)/gstreamer/libgstbackdrop.so

TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))

# The test suites run "auto" as a machine without RVM does (MediaPipe
# everywhere): with RVM installed, photos and file-to-file runs would take
# it (bd_model_auto_offline), a second a photo and minutes under ASan. The
# tests about RVM (test_rvm, test_tfjs) find it through BD_TEST_RVM_DIR
# (tests/check.h's check_use_rvm); rvm-golden is given its folder. The
# mutants' suites see the same.
TEST_SUITES := unit hostile camera-cli gst-test install-test dbus-test pipewire-test settings-test \
               obs-test e2e ondemand-test settings-vm-test golden asan tsan-live soak-short soak \
               fuzz-smoke package-test web-test mutate
$(TEST_SUITES): export BACKDROP_RVM_DIR = /nonexistent/backdrop-tests-hide-rvm

.PHONY: all deps deps-test models models-test models-rvm rvm-golden run test check unit golden hostile \
        asan fuzz fuzz-build fuzz-smoke soak soak-run soak-short bench clean vm-smoke e2e camera-cli bench-pipeline bench-composite bench-refine bench-stages bench-ab bench-ab-pipeline bench-rvm quality rvm-sheet

all: $(BUILD)/backdrop $(BUILD)/libbackdrop.a $(BUILD)/libbackdrop.so $(BUILD)/backdrop-settings $(GST_PLUGIN)

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

# One target fetches both models (the script's own stamp): two targets with
# one recipe would run it twice at once under make -j.
MODELS_STAMP := $(NPM)/selfie_segmentation/.verified
$(MODELS_STAMP):
	@scripts/fetch-models.sh $(NPM)

$(MODEL_GENERAL) $(MODEL_LANDSCAPE): $(MODELS_STAMP) ;

models: $(MODELS_STAMP)

models-test:
	@scripts/fetch-models.sh $(NPM) test

# Robust Video Matting (rvm.json + rvm.bin): cached outside the clone
# (scripts/fetch-models.sh says where); never embedded or committed yet.
models-rvm:
	@scripts/fetch-models.sh $(NPM) rvm

$(BUILD)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h src/*/*.inc)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/src/model/embed.o: src/model/embed.S $(MODEL_GENERAL) $(MODEL_LANDSCAPE)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@ -DBD_MODEL_GENERAL='"$(MODEL_GENERAL)"' -DBD_MODEL_LANDSCAPE='"$(MODEL_LANDSCAPE)"'

$(BUILD)/libbackdrop.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The shared library carries its ABI in its SONAME (libbackdrop.so.0, the
# major version of include/backdrop.h); the .so and .so.0 are links to it.
VERSION   := $(shell awk '/define BD_VERSION_(MAJOR|MINOR|PATCH) /{printf "%s%s", s, $$3; s = "."}' include/backdrop.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
LIBSO     := $(BUILD)/libbackdrop.so.$(VERSION)

# (relinked when the Makefile changes: the SONAME and link flags live here)
$(LIBSO): $(LIB_OBJ) Makefile
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libbackdrop.so.$(SOVERSION) -o $@ $(LIB_OBJ) $(LDLIBS)

$(BUILD)/libbackdrop.so: $(LIBSO)
	ln -sf $(notdir $(LIBSO)) $(BUILD)/libbackdrop.so.$(SOVERSION)
	ln -sf $(notdir $(LIBSO)) $@

$(BUILD)/backdrop: $(CLI_OBJ) $(BUILD)/libbackdrop.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/backdrop-settings: $(SETTINGS_OBJ) $(BUILD)/libbackdrop.a
	@pkg-config --exists $(SETTINGS_PKGS) || { echo "backdrop-settings needs $(SETTINGS_PKGS): run make deps" >&2; exit 1; }
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SETTINGS_LIBS)

$(GST_PLUGIN): plugins/gstreamer/gstbackdrop.c $(BUILD)/libbackdrop.a include/backdrop.h Makefile
	@pkg-config --exists $(GST_PKGS) || { echo "the GStreamer element needs $(GST_PKGS): run make deps" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(GST_CFLAGS) -DBACKDROP_VERSION='"$(VERSION)"' -shared -Wl,-z,defs $(LDFLAGS) \
	    -o $@ $< $(BUILD)/libbackdrop.a $(LDLIBS) $(GST_LIBS)

# The element's suite (tests/gstreamer/): pipelines through it on the
# doctor clip and test sources. Under `make asan` it runs too, there the
# start/stop cycles only (ASan's leak check on them).
$(BUILD)/tests/gst_backdrop: tests/gstreamer/gst_backdrop.c $(GST_PLUGIN) tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags $(GST_PKGS) gstreamer-app-1.0 gstreamer-controller-1.0) $(LDFLAGS) -o $@ $< \
	    $(shell pkg-config --libs $(GST_PKGS) gstreamer-app-1.0 gstreamer-controller-1.0)

.PHONY: gst-test
gst-test: $(BUILD)/tests/gst_backdrop
	@start=$$(date +%s); \
	 LSAN_OPTIONS="suppressions=$(CURDIR)/tests/gstreamer/lsan.supp $${LSAN_OPTIONS:-}" \
	 ASAN_OPTIONS="fast_unwind_on_malloc=0 $${ASAN_OPTIONS:-}" \
	 $(BUILD)/tests/gst_backdrop $(GST_PLUGIN) $(if $(filter 1,$(SAN)),cycles,all); rc=$$?; \
	 echo "gst-test: $$(( $$(date +%s) - start )) s"; exit $$rc

$(BUILD)/tests/%: tests/%.c $(BUILD)/libbackdrop.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

# test_live counts what the live changes allocate exactly: in the plain
# build under LeakSanitizer's allocator (its count of bytes in use, and its
# leak check, which sees one unreachable block), under SAN=1 ASan's, which
# includes it. TSan (SAN=thread) cannot be combined with it. (private: the
# library's objects, its prerequisites, stay as they are.)
ifeq ($(SAN),)
$(BUILD)/tests/test_live: private CFLAGS += -DBD_TEST_LSAN
$(BUILD)/tests/test_live: private LDFLAGS += -fsanitize=leak
endif

# ---- the two commands of the README ----------------------------------------

SAMPLE := ../shared/data/video/woman-5883428_1280.jpg

DEMO   := ../shared/data/video/doctor_26732.mp4

# The main job: the virtual camera when this machine has a camera and a
# v4l2loopback device; otherwise the same pipeline on the sample video.
run: deps
	@$(MAKE) --no-print-directory all
	@if ./$(BUILD)/backdrop devices | grep -q ' camera ' && \
	    ./$(BUILD)/backdrop devices | grep -q ' loopback '; then \
	  ./$(BUILD)/backdrop; \
	elif [ -f $(DEMO) ]; then \
	  ./$(BUILD)/backdrop devices; \
	  echo "(no camera and v4l2loopback device here: running on $(DEMO) instead)"; \
	  ./$(BUILD)/backdrop -i $(DEMO) -o $(BUILD)/demo.mp4 -n 150 && \
	  echo "wrote $(BUILD)/demo.mp4 (blurred background)"; \
	  ./$(BUILD)/backdrop cutout $(SAMPLE) -o $(BUILD)/cutout.png && \
	  echo "wrote $(BUILD)/cutout.png"; \
	else ./$(BUILD)/backdrop devices; echo "(../shared/data not found: nothing to run on)"; fi

test: deps deps-test
	@$(MAKE) --no-print-directory check

# Everything `make test` runs, without the install step.
check: all models-test
	@scripts/check.sh BUILD=$(BUILD)

unit: $(TESTS) $(BUILD)/backdrop models-rvm
	@python3 scripts/mutate.py --check-texts
	@BD_TEST_RVM_DIR=$$(scripts/fetch-models.sh $(NPM) rvm) \
	    BD_TEST_MODELS=$(NPM)/selfie_segmentation/package scripts/run-tests.sh $(BUILD) $(TESTS)

# The camera command on files, pipes, config files and signals.
camera-cli: $(BUILD)/backdrop $(BUILD)/tests/test_hostile models
	@BD_TEST_MODELS=$(NPM)/selfie_segmentation/package tests/camera_cli.sh $(BUILD)/backdrop

# Live control (tests/dbus/run.sh): the D-Bus service and `backdrop ctl`
# against a private dbus-daemon, backdrop streaming the sample clip.
.PHONY: dbus-test
dbus-test: $(BUILD)/backdrop models
	@tests/dbus/run.sh $(BUILD)/backdrop

# The settings window (tests/settings/run.sh): backdrop-settings under Xvfb
# against the real camera on a private bus and PipeWire, driven through its
# actions; screenshots in BUILD/settings. SETTINGS_SOAK: seconds of preview
# for the memory check (make settings-soak: the 5 minutes, not in make test).
SETTINGS_SOAK ?= 30
.PHONY: settings-test settings-soak
settings-test: $(BUILD)/backdrop $(BUILD)/backdrop-settings models
	@bash tests/settings/run.sh $(BUILD)/backdrop $(BUILD)/backdrop-settings $(BUILD)/settings $(SETTINGS_SOAK)

settings-soak:
	@$(MAKE) --no-print-directory settings-test SETTINGS_SOAK=300

hostile: $(BUILD)/backdrop $(BUILD)/tests/test_hostile
	@BD_TEST_MODELS=$(NPM)/selfie_segmentation/package tests/hostile_models.sh $(BUILD)/backdrop

# Mutation testing (scripts/mutate.py): each mutant of tests/mutants/*.txt in
# a scratch copy of the tree (BUILD/mutate), its suites must fail; MUTANTS=a,b
# picks areas, MUTANT=text one mutant. Not part of `make test`.
.PHONY: mutate
mutate:
	@BD_TEST_RVM_DIR=$$(scripts/fetch-models.sh $(NPM) rvm) python3 scripts/mutate.py --build $(BUILD) --npm $(NPM) $(if $(MUTANTS),--areas '$(MUTANTS)') \
	    $(if $(MUTANT),--filter '$(MUTANT)')

TFJSREF := $(BUILD)/tfjsref
SHARED  := ../shared/data
$(BUILD)/golden: tests/golden.c tests/check.h $(BUILD)/libbackdrop.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

golden: $(BUILD)/golden models-test
	@bash tools/tfjsref/setup.sh $(TFJSREF) >/dev/null
	./$(BUILD)/golden $(HMS) $(SHARED) $(SHARED)/models $(TFJSREF)

# RVM against real TensorFlow.js (tests/rvm_golden.c, tools/rvmref/run.js):
# 5 consecutive video frames at two sizes, the state fed back; both the
# model and TF.js are fetched into ~/.cache/backdrop (scripts/fetch-models.sh).
$(BUILD)/rvm_golden: tests/rvm_golden.c tests/check.h $(BUILD)/libbackdrop.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

rvm-golden: $(BUILD)/rvm_golden
	@rvm=$$(scripts/fetch-models.sh $(NPM) rvm) && tfjs=$$(scripts/fetch-models.sh $(NPM) rvm-ref) && \
	    ./$(BUILD)/rvm_golden "$$rvm" "$$tfjs" tools/rvmref/run.js $(SHARED)/video/doctor_26732.mp4 $(BUILD)/rvm-golden \
	    $(RVM_GOLDEN_SIZES)

# Soak (tests/soak.c, tests/soak.sh): SOAK_FRAMES frames through the whole
# pipeline, blur then a video background, in this build (RSS must stay flat)
# and in the ASan+UBSan build (LeakSanitizer: no leaks). `make soak` runs
# 100,000 frames per run; `make soak-short` (in `make test`) 3,000, and
# 800 under ASan: LeakSanitizer's check is exact at any length, 800 frames
# still wrap the 150-frame clip and the 367-frame background video twice
# (every loop and reopen path), and at ASan's ~4 fps the 3,000 took 23 of
# CI's 90 minutes.
SOAK_FRAMES ?= 100000
SOAK_ASAN_FRAMES ?= $(SOAK_FRAMES)
$(BUILD)/soak/soak: tests/soak.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

soak-run: $(BUILD)/soak/soak models
	@tests/soak.sh $(BUILD) $(SOAK_FRAMES) $(if $(filter 1,$(SAN)),--no-rss)

soak: all models
	@$(MAKE) --no-print-directory soak-run SOAK_FRAMES=$(SOAK_FRAMES)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 NPM=$(NPM) soak-run SOAK_FRAMES=$(SOAK_ASAN_FRAMES)

soak-short:
	@$(MAKE) --no-print-directory soak SOAK_FRAMES=3000 SOAK_ASAN_FRAMES=800

# Unit and hostile-file tests again under ASan+UBSan, in their own tree.
asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 NPM=$(NPM) unit hostile camera-cli gst-test

# The live settings' hand-offs between threads (tests/test_live.c) under
# ThreadSanitizer, in their own tree.
.PHONY: tsan-live
tsan-live:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan SAN=thread NPM=$(NPM) $(BUILD)/tsan/tests/test_live
	@TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan.supp $${TSAN_OPTIONS:-}" \
	    scripts/run-tests.sh $(BUILD)/tsan $(BUILD)/tsan/tests/test_live

# libFuzzer target for the model reader (clang from Debian).
FUZZ_CFLAGS := -std=c17 -g -O1 -Wall -Wextra -Iinclude -Isrc -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer
$(BUILD)/fuzz/fuzz_tflite: fuzz/fuzz_tflite.c src/model/tflite.c src/common/error.c src/model/graph_util.c \
                           $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lm

# The TF.js reader, and the ref backend on what it accepts.
$(BUILD)/fuzz/fuzz_tfjs: fuzz/fuzz_tfjs.c fuzz/fuzz_common.h src/model/tfjs.c src/model/tflite.c src/common/error.c \
                         src/model/graph_util.c src/model/ref.c src/model/ref_kernels.c $(wildcard include/*.h src/*/*.h src/model/*.inc)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lcjson -lm

# More targets (fuzz/fuzz_*.c): still images, the y4m reader, the camera's
# options and config file. fuzz_options links the library (uninstrumented)
# for the symbols camera.c names; only the parsing it runs is instrumented.
$(BUILD)/fuzz/fuzz_image: fuzz/fuzz_image.c fuzz/fuzz_common.h src/image/image.c src/common/error.c \
                          $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -ljpeg -lpng -lm

$(BUILD)/fuzz/fuzz_y4m: fuzz/fuzz_y4m.c fuzz/fuzz_common.h src/capture/y4m_reader.c src/common/error.c \
                        $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lm

$(BUILD)/fuzz/fuzz_options: fuzz/fuzz_options.c fuzz/fuzz_common.h src/options/options.c src/cli/options.c src/cli/camera.c \
                            src/service/service.c $(BUILD)/libbackdrop.a $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(GIO_CFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/libbackdrop.a $(LDLIBS) $(GIO_LIBS)

$(BUILD)/fuzz/fuzz_background: fuzz/fuzz_background.c fuzz/fuzz_common.h src/capture/file_source.c \
                               src/common/error.c $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lavformat -lavcodec -lavutil -lswscale -lyuv -lm

FUZZ_TARGETS := tflite tfjs image y4m options background
fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

FUZZ_SECONDS ?= 600
fuzz: fuzz-build models
	@scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build models
	@scripts/fuzz.sh $(BUILD) 40 tflite tfjs image y4m options background

bench: all models-test
	@NPM=$(NPM) bench/run.sh $(BUILD) $(HMS)
	@bench/run_pipeline.sh $(BUILD)

$(BUILD)/bench/bench_pipeline: bench/bench_pipeline.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-pipeline: all models
	@bench/run_pipeline.sh $(BUILD)

# The source alone (bench/bench_source.c, run by run_pipeline.sh): the
# bench's .y4m file read against a camera's YUYV conversion.
$(BUILD)/bench/bench_source: bench/bench_source.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The GStreamer element's CPU per frame against the CLI's at 720p, in one
# interleaved run (bench/gst_vs_cli.sh; ROUNDS rounds).
.PHONY: bench-gst
bench-gst: all models
	@bench/gst_vs_cli.sh $(BUILD) $(or $(ROUNDS),3)

# RVM on the engine (ref), ms per run at 640x480 and 1280x720, ratio 0.375.
$(BUILD)/bench/bench_rvm: bench/bench_rvm.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-rvm: $(BUILD)/bench/bench_rvm
	@rvm=$$(scripts/fetch-models.sh $(NPM) rvm) && \
	    $(BUILD)/bench/bench_rvm "$$rvm/rvm.json" $(or $(RVM_ROUNDS),20) $(or $(RVM_SIZES),640x480:0.375 1280x720:0.375)

# The compositing stage alone, C kernels vs dispatched (bench/bench_composite.c).
$(BUILD)/bench/bench_composite: bench/bench_composite.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-composite: $(BUILD)/bench/bench_composite
	@$(BUILD)/bench/bench_composite

# Mask refinement alone, C kernels vs dispatched (bench/bench_refine.c).
$(BUILD)/bench/bench_refine: bench/bench_refine.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-refine: $(BUILD)/bench/bench_refine
	@$(BUILD)/bench/bench_refine

# Refinement + compositing on the clip's real frames and masks, against the
# pass-through (bench/bench_stages.c; issue 4's 1.5 ms target).
$(BUILD)/bench/bench_stages: bench/bench_stages.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-stages: $(BUILD)/bench/bench_stages models
	@bench/run_stages.sh $(BUILD)

# The same, this tree against BASE (a commit), run by run in turn.
bench-ab: $(BUILD)/bench/bench_stages models
	@test -n "$(BASE)" || { echo "bench-ab: give BASE=<commit>" >&2; exit 1; }
	@bench/ab_stages.sh $(BUILD) $(BASE) $(or $(AB_ROUNDS),5)

# The full pipeline, this tree against BASE (a commit), size by size in turn
# (bench/ab_pipeline.sh; AB_ROUNDS rounds, AB_SIZES sizes).
bench-ab-pipeline: all models
	@test -n "$(BASE)" || { echo "bench-ab-pipeline: give BASE=<commit>" >&2; exit 1; }
	@NPM=$(NPM) bench/ab_pipeline.sh $(BUILD) $(BASE) $(or $(AB_ROUNDS),1) "$(or $(AB_SIZES),640x480:30 1280x720:30 1920x1080:60)"

# Mask quality (bench/quality/README.md): backdrop's masks against ground
# truth by construction (portraits composited on background photos from
# Debian packages, fetched with apt-get download) and real photos with
# hand-made masks (portraits-real); prints the tables and writes the contact
# sheets into build/quality/. A benchmark: asserts nothing.
QUALITY_MODELS  ?= general,landscape
QUALITY_TMODELS ?= general,landscape
# Pipeline settings of the "refined (defaults)" rows, by option name
# (src/options): QUALITY_SET="mirror-average=off zoom=off"
QUALITY_SET     ?=
# More harness options, e.g. QUALITY_ARGS=--no-temporal (bench/quality/README.md)
QUALITY_ARGS    ?=
$(BUILD)/quality/quality: bench/quality/quality.c bench/quality/metrics.c bench/quality/metrics.h \
                          $(BUILD)/libbackdrop.a include/backdrop.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DBD_QUALITY_REFINER=1 $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

quality:
	@scripts/install-deps.sh quality
	@$(MAKE) --no-print-directory $(BUILD)/quality/quality
	@bench/quality/fetch-backgrounds.sh $(BUILD)/quality/bg
	@for d in portraits-dev portraits-real; do test -d $(SHARED)/$$d || \
	    { echo "quality: $(SHARED)/$$d is missing" >&2; exit 1; }; done
	./$(BUILD)/quality/quality --data $(SHARED) --out $(BUILD)/quality --models $(QUALITY_MODELS) \
	    --temporal-models $(QUALITY_TMODELS) $(foreach s,$(QUALITY_SET),--set $(s)) $(QUALITY_ARGS) \
	    $(BUILD)/quality/bg/*

# Hair close-ups of the dev composites (1280x720 crop, 1:1): general raw,
# general refined (defaults), --model rvm (fused), ground truth, into
# build/quality/hair_sheet.png (bench/quality/README.md)
rvm-sheet: models-rvm
	@scripts/install-deps.sh quality
	@$(MAKE) --no-print-directory $(BUILD)/quality/quality
	@bench/quality/fetch-backgrounds.sh $(BUILD)/quality/bg
	@test -d $(SHARED)/portraits-dev || { echo "rvm-sheet: $(SHARED)/portraits-dev is missing" >&2; exit 1; }
	./$(BUILD)/quality/quality --data $(SHARED) --out $(BUILD)/quality --models general,rvm \
	    --hair-sheet $(BUILD)/quality/bg/*

clean:
	rm -rf $(BUILD)

# The qemu VM with vivid and v4l2loopback (tests/vm/README.md); the
# virtual-camera tests will run in it.
vm-smoke: $(BUILD)/v4l2tool
	@bash tests/vm/build.sh $(BUILD)/vm
	@bash tests/vm/run.sh tests/vm/smoke.sh
	@bash tests/vm/run.sh tests/vm/v4l2_layer.sh $(BUILD)/v4l2tool

# End-to-end tests of the virtual camera in the VM (tests/vm/e2e.sh): vivid and
# a filmed person through backdrop into v4l2loopback, read by v4l2-ctl, ffmpeg
# and Chromium; restarts. Both vCPUs on their own host threads (thread=multi):
# backdrop, ffmpeg and Chromium run at once.
E2E_VIDEO ?= ../shared/data/video/doctor_26732.mp4
e2e:
	@scripts/install-deps.sh e2e
	@$(MAKE) --no-print-directory all $(BUILD)/v4l2tool
	@bash tests/vm/build.sh $(BUILD)/vm
	@bash tests/vm/e2e.sh prepare $(BUILD)/e2e $(E2E_VIDEO)
	@VM_TIMEOUT=$${VM_TIMEOUT:-420} VM_TCG_OPTS=$${VM_TCG_OPTS:-thread=multi} \
	    bash tests/vm/run.sh tests/vm/e2e.sh $(BUILD)/e2e

# On demand in the VM (tests/vm/ondemand.sh): idle, probes, 20 starts, the
# grace period, a killed consumer, an unplugged webcam; on Debian 12's
# v4l2loopback 0.12.7 and on trixie's current one (built by build.sh), one
# boot; then the service restarted by systemd while an app streams
# (tests/vm/restart.sh). About 4.5 minutes.
.PHONY: ondemand-test
ondemand-test:
	@scripts/install-deps.sh e2e
	@$(MAKE) --no-print-directory all $(BUILD)/v4l2tool $(BUILD)/od_consumer
	@bash tests/vm/build.sh $(BUILD)/vm
	@VM_DIR=$(BUILD)/vm VM_TIMEOUT=$${VM_TIMEOUT:-600} bash tests/vm/run.sh tests/vm/ondemand.sh \
	    $(BUILD)/backdrop $(BUILD)/od_consumer $(BUILD)/v4l2tool $(BUILD)/vm/vm.env

# The settings window's camera and start-up in the VM (tests/vm/settings.sh):
# the camera switched live (D-Bus and the window's chooser) between vivid's
# two cameras while a program streams, refusals keeping the camera in use,
# the Start button through the bus and systemd --user, the loopback
# preview, "Start when I log in". Screenshots in BUILD/settings/vm.
.PHONY: settings-vm-test
settings-vm-test:
	@scripts/install-deps.sh e2e
	@$(MAKE) --no-print-directory all $(BUILD)/od_consumer
	@bash tests/vm/build.sh $(BUILD)/vm
	@mkdir -p $(BUILD)/settings
	@rm -rf $(BUILD)/settings/vm
	@VM_DIR=$(BUILD)/vm VM_RUN_DIR=$(abspath $(BUILD)/settings/vm) VM_TIMEOUT=$${VM_TIMEOUT:-600} \
	    VM_VIVID_ARGS="n_devs=2 node_types=0x1,0x1 num_inputs=1,1 input_types=0x0,0x0" VM_ENV=SETTINGS_VM_PARTS \
	    bash tests/vm/run.sh tests/vm/settings.sh $(BUILD)/backdrop $(BUILD)/backdrop-settings \
	    $(BUILD)/od_consumer $(BUILD)/vm/vm.env

$(BUILD)/od_consumer: tests/vm/od_consumer.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# A small client of the V4L2 layer, driven by tests/vm/v4l2_layer.sh.
$(BUILD)/v4l2tool: tests/v4l2tool.c $(BUILD)/libbackdrop.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The PipeWire camera (issue test 5): `backdrop --output pipewire` against a
# private pipewire + wireplumber, consumed by GStreamer's pipewiresrc
# (tests/pipewire/run.sh; build/pw_feed checks the frames and feeds the
# odd-size pattern cases). PW_TEST_ARGS: more options of run.sh.
.PHONY: pipewire-test
pipewire-test: $(BUILD)/backdrop $(BUILD)/pw_feed models
	@mkdir -p $(BUILD)/pw
	@ffmpeg -v error -y -f lavfi -i color=c=gray:s=320x240 -frames:v 1 $(BUILD)/pw/grey.png
	@bash tests/pipewire/run.sh $(BUILD)/pw_feed --node backdrop $(PW_TEST_ARGS) -- \
	    $(BUILD)/backdrop --input $(BUILD)/pw/grey.png --output pipewire --color '#00ff00' --quiet \
	    --on-demand off

# A producer and checker for the PipeWire output, driven by tests/pipewire/run.sh.
$(BUILD)/pw_feed: tests/pw_feed.c $(BUILD)/libbackdrop.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make install, uninstall, deb and their tests (mk/package.mk).
include mk/package.mk
include mk/web.mk
# The OBS filter, its tests and bench (mk/obs.mk).
include mk/obs.mk
