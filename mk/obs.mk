# SPDX-License-Identifier: GPL-3.0-or-later
# The OBS filter (plugins/obs/): obs-backdrop.so, built against Debian's
# libobs-dev (OBS 29), its tests under a headless libobs (tests/obs/) and
# its bench. Included by the Makefile.
#
#   make obs-plugin   BUILD/obs/obs-backdrop.so
#   make obs-test     the filter on a media source in libobs under Xvfb
#   make bench-obs    filter_video's time per frame at 720p (p50, p99)
#
# The library is linked in statically and its symbols hidden: the module is
# one file with no run-time path to find, and cannot clash with another
# plugin's copy of anything.

OBS_CFLAGS  := $(shell pkg-config --cflags libobs 2>/dev/null | sed 's/-I/-isystem /g')
OBS_LIBS    := $(shell pkg-config --libs libobs 2>/dev/null)
OBS_PLUGIN  := $(BUILD)/obs/obs-backdrop.so
OBS_MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
# Where Debian's OBS looks for modules and their data: libobs searches only
# its own prefix's folders (/usr/lib/<multiarch>/obs-plugins and
# /usr/share/obs/obs-plugins/<module>; the strings in libobs.so.29), so
# these follow libobs's pkg-config, not PREFIX (DESTDIR still applies).
OBS_PREFIX    := $(or $(shell pkg-config --variable=prefix libobs 2>/dev/null),/usr)
OBS_PLUGINDIR ?= $(or $(shell pkg-config --variable=libdir libobs 2>/dev/null),$(OBS_PREFIX)/lib/$(OBS_MULTIARCH))/obs-plugins
OBS_DATADIR   ?= $(OBS_PREFIX)/share/obs/obs-plugins/obs-backdrop

ifneq ($(OBS_LIBS),)
all: $(OBS_PLUGIN)
endif

.PHONY: obs-plugin obs-test bench-obs
obs-plugin: $(OBS_PLUGIN)

$(BUILD)/obj/plugins/obs/%.o: CFLAGS += $(OBS_CFLAGS)

$(OBS_PLUGIN): $(BUILD)/obj/plugins/obs/obs-backdrop.o $(BUILD)/libbackdrop.a
	@pkg-config --exists libobs || { echo "the OBS filter needs libobs-dev: run make deps" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,--exclude-libs,ALL -Wl,-z,defs -o $@ $^ $(LDLIBS) $(OBS_LIBS)

OBS_TEST := $(BUILD)/tests/obs/test_obs
$(OBS_TEST): tests/obs/test_obs.c tests/obs/obs_headless.h tests/check.h $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(OBS_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS) $(OBS_LIBS) -lX11

obs-test: $(OBS_PLUGIN) $(OBS_TEST) models
	@bash tests/obs/run.sh $(OBS_TEST) $(OBS_PLUGIN) plugins/obs/data

$(BUILD)/bench/bench_obs: bench/bench_obs.c tests/obs/obs_headless.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(OBS_CFLAGS) -Itests $(LDFLAGS) -o $@ $(filter %.c,$^) $(OBS_LIBS) -lX11 -lpthread -lm

# BENCH_OBS="ROUNDS SECONDS" (default 3 rounds of 8 s each way)
bench-obs: $(OBS_PLUGIN) $(BUILD)/bench/bench_obs models
	@bash tests/obs/run.sh --bench $(BUILD)/bench/bench_obs $(OBS_PLUGIN) plugins/obs/data $(BENCH_OBS)

# make install / uninstall add the module and its data when it is built.
ifneq ($(OBS_LIBS),)
INSTALLED += $(OBS_PLUGINDIR)/obs-backdrop.so $(OBS_DATADIR)/locale/en-US.ini
install: install-obs
uninstall: uninstall-obs
endif
.PHONY: install-obs uninstall-obs
# (the module's data folder is its own; OBS's folders around it are not)
uninstall-obs:
	-rmdir $(DESTDIR)$(OBS_DATADIR)/locale $(DESTDIR)$(OBS_DATADIR) 2>/dev/null

install-obs: $(OBS_PLUGIN)
	$(INSTALL) -d $(DESTDIR)$(OBS_PLUGINDIR) $(DESTDIR)$(OBS_DATADIR)/locale
	$(INSTALL) -m 644 $(OBS_PLUGIN) $(DESTDIR)$(OBS_PLUGINDIR)/
	$(INSTALL) -m 644 plugins/obs/data/locale/en-US.ini $(DESTDIR)$(OBS_DATADIR)/locale/
