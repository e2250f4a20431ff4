# SPDX-License-Identifier: GPL-3.0-or-later
# Install, uninstall, the Debian packages and their tests; included by the
# Makefile (its variables: BUILD, CC, CFLAGS, LDLIBS, NPM...).
#
#   make install / uninstall   PREFIX (default /usr/local) and DESTDIR
#   make man completion        the generated files alone (BUILD/gen)
#   make deb                   Debian packages in BUILD/deb (debian/)
#   make install-test          install + uninstall into a scratch DESTDIR
#   make package-test          the .debs installed into a fresh Debian 12 root

PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
LIBDIR         ?= $(PREFIX)/lib
INCLUDEDIR     ?= $(PREFIX)/include
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
DOCDIR         ?= $(DATADIR)/doc/backdrop
BASHCOMPDIR    ?= $(DATADIR)/bash-completion/completions
DBUSDIR        ?= $(DATADIR)/dbus-1
UNITDIR        ?= $(PREFIX)/lib/systemd/user
MODPROBEDIR    ?= $(PREFIX)/lib/modprobe.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
APPDIR         ?= $(DATADIR)/applications
ICONDIR        ?= $(DATADIR)/icons/hicolor/scalable/apps
METAINFODIR    ?= $(DATADIR)/metainfo
# The GStreamer element: Debian's GStreamer looks in LIBDIR/gstreamer-1.0
# with LIBDIR /usr/lib/<multiarch> (the package's); another PREFIX needs
# GST_PLUGIN_PATH=$(GSTPLUGINDIR) (README).
GSTPLUGINDIR   ?= $(LIBDIR)/gstreamer-1.0
INSTALL        ?= install

# ---- files generated from the options table and the paths ------------------

# tools/mangen.c fills templates from bd_options(), the table --help prints;
# the Makefile then fills in the paths.
GEN    := $(BUILD)/gen
MANGEN := $(BUILD)/tools/mangen
SUBST  := sed -i -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
          -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@UNITDIR@|$(UNITDIR)|g' \
          -e 's|@MODPROBEDIR@|$(MODPROBEDIR)|g' -e 's|@MODULESLOADDIR@|$(MODULESLOADDIR)|g' \
          -e 's|@LIBS_PRIVATE@|$(strip $(LDLIBS))|g'

$(MANGEN): tools/mangen.c $(BUILD)/libbackdrop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Rewritten only when the paths change, so the files follow PREFIX.
$(GEN)/paths: FORCE
	@mkdir -p $(dir $@)
	@echo "$(SUBST)" | cmp -s - $@ || echo "$(SUBST)" > $@

FORCE:

MAN_PAGES := $(GEN)/backdrop.1 $(GEN)/backdrop.conf.5 $(GEN)/backdrop-settings.1
DATA_GEN  := $(GEN)/backdrop.bash $(GEN)/backdrop.conf $(GEN)/backdrop.service $(GEN)/backdrop.pc

$(MAN_PAGES): $(GEN)/%: docs/man/%.in $(MANGEN) $(GEN)/paths
	@echo "mangen $< > $@"
	@$(MANGEN) $< > $@.tmp && $(SUBST) $@.tmp && mv $@.tmp $@

$(DATA_GEN): $(GEN)/%: data/%.in $(MANGEN) $(GEN)/paths
	@echo "mangen $< > $@"
	@$(MANGEN) $< > $@.tmp && $(SUBST) $@.tmp && mv $@.tmp $@

# The D-Bus files (data/dbus/): a *.in has its paths filled in.
DBUS_IN   := $(wildcard data/dbus/*.in)
DBUS_GEN  := $(DBUS_IN:data/dbus/%.in=$(GEN)/dbus/%)
DBUS_SERVICES   := $(filter %.service,$(DBUS_GEN) $(filter-out %.in,$(wildcard data/dbus/*)))
DBUS_INTERFACES := $(filter %.xml,$(DBUS_GEN) $(filter-out %.in,$(wildcard data/dbus/*)))

$(GEN)/dbus/%: data/dbus/%.in $(GEN)/paths
	@mkdir -p $(dir $@)
	@echo "paths $< > $@"
	@cp $< $@.tmp && $(SUBST) $@.tmp && mv $@.tmp $@

.PHONY: man completion install uninstall deb install-test package-test
man: $(MAN_PAGES)
completion: $(GEN)/backdrop.bash

# ---- install / uninstall ----------------------------------------------------

# backdrop-settings' application id: its .desktop, icon and AppStream file
SETTINGS_ID := io.github.backdrop.Settings

INSTALLED := $(BINDIR)/backdrop $(LIBDIR)/$(notdir $(LIBSO)) $(LIBDIR)/libbackdrop.so.$(SOVERSION) \
    $(LIBDIR)/libbackdrop.so $(LIBDIR)/libbackdrop.a $(INCLUDEDIR)/backdrop.h \
    $(LIBDIR)/pkgconfig/backdrop.pc $(MANDIR)/man1/backdrop.1 $(MANDIR)/man5/backdrop.conf.5 \
    $(UNITDIR)/backdrop.service $(MODPROBEDIR)/backdrop.conf $(MODULESLOADDIR)/backdrop.conf \
    $(BASHCOMPDIR)/backdrop $(DOCDIR)/examples/backdrop.conf \
    $(addprefix $(DBUSDIR)/services/,$(notdir $(DBUS_SERVICES))) \
    $(addprefix $(DBUSDIR)/interfaces/,$(notdir $(DBUS_INTERFACES))) \
    $(BINDIR)/backdrop-settings $(MANDIR)/man1/backdrop-settings.1 $(APPDIR)/$(SETTINGS_ID).desktop $(ICONDIR)/$(SETTINGS_ID).svg \
    $(METAINFODIR)/$(SETTINGS_ID).metainfo.xml $(GSTPLUGINDIR)/libgstbackdrop.so

install: all $(MAN_PAGES) $(DATA_GEN) $(DBUS_GEN)
	$(INSTALL) -d $(addprefix $(DESTDIR),$(BINDIR) $(LIBDIR)/pkgconfig $(INCLUDEDIR) \
	    $(MANDIR)/man1 $(MANDIR)/man5 $(UNITDIR) $(MODPROBEDIR) $(MODULESLOADDIR) \
	    $(BASHCOMPDIR) $(DOCDIR)/examples $(DBUSDIR)/services $(DBUSDIR)/interfaces \
	    $(APPDIR) $(ICONDIR) $(METAINFODIR) $(GSTPLUGINDIR))
	$(INSTALL) -m 644 $(GST_PLUGIN) $(DESTDIR)$(GSTPLUGINDIR)/libgstbackdrop.so
	$(INSTALL) -m 755 $(BUILD)/backdrop $(DESTDIR)$(BINDIR)/backdrop
	$(INSTALL) -m 755 $(BUILD)/backdrop-settings $(DESTDIR)$(BINDIR)/backdrop-settings
	$(INSTALL) -m 644 data/$(SETTINGS_ID).desktop $(DESTDIR)$(APPDIR)/
	$(INSTALL) -m 644 data/icons/$(SETTINGS_ID).svg $(DESTDIR)$(ICONDIR)/
	$(INSTALL) -m 644 data/$(SETTINGS_ID).metainfo.xml $(DESTDIR)$(METAINFODIR)/
	$(INSTALL) -m 644 $(LIBSO) $(BUILD)/libbackdrop.a $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIBSO)) $(DESTDIR)$(LIBDIR)/libbackdrop.so.$(SOVERSION)
	ln -sf libbackdrop.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libbackdrop.so
	$(INSTALL) -m 644 include/backdrop.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 $(GEN)/backdrop.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	$(INSTALL) -m 644 $(GEN)/backdrop.1 $(GEN)/backdrop-settings.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(GEN)/backdrop.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 $(GEN)/backdrop.service $(DESTDIR)$(UNITDIR)/
	$(INSTALL) -m 644 data/modprobe.d/backdrop.conf $(DESTDIR)$(MODPROBEDIR)/
	$(INSTALL) -m 644 data/modules-load.d/backdrop.conf $(DESTDIR)$(MODULESLOADDIR)/
	$(INSTALL) -m 644 $(GEN)/backdrop.bash $(DESTDIR)$(BASHCOMPDIR)/backdrop
	$(INSTALL) -m 644 $(GEN)/backdrop.conf $(DESTDIR)$(DOCDIR)/examples/
	$(if $(DBUS_SERVICES),$(INSTALL) -m 644 $(DBUS_SERVICES) $(DESTDIR)$(DBUSDIR)/services/)
	$(if $(DBUS_INTERFACES),$(INSTALL) -m 644 $(DBUS_INTERFACES) $(DESTDIR)$(DBUSDIR)/interfaces/)
	@# the linker cache, for programs that link libbackdrop.so (not in a staging DESTDIR)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then ldconfig || true; fi

# Every file install wrote, and the folders that are backdrop's alone.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null
	-rmdir $(DESTDIR)$(GSTPLUGINDIR) 2>/dev/null

# ---- Debian packages --------------------------------------------------------

# dpkg-buildpackage on a copy of the tree (its files as they are, without
# build folders; tar's status 1 is a file changed while read) in
# BUILD/deb/src, so the checkout gets no build debris and the .debs land in
# BUILD/deb. The build fetches the models with scripts/fetch-models.sh like
# any build; BACKDROP_NPM hands it the fetch this build verified already.
DEBDIR   := $(BUILD)/deb
DEB_JOBS ?= 2
deb:
	@scripts/install-deps.sh deb
	@$(MAKE) --no-print-directory models
	rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/src
	{ tar --exclude=./.git --exclude=./build --exclude='./build-*' --exclude='./$(BUILD)' \
	    --exclude=node_modules --warning=no-file-changed -cf - . || [ $$? -eq 1 ]; } | \
	    tar -xf - -C $(DEBDIR)/src
	cd $(DEBDIR)/src && BACKDROP_NPM=$(abspath $(NPM)) dpkg-buildpackage -us -uc -b -J$(DEB_JOBS)
	@echo "== lintian (errors fail; warnings are listed)"
	lintian --fail-on error --no-tag-display-limit $(DEBDIR)/*.changes
	@ls $(DEBDIR)/*.deb

# ---- tests ------------------------------------------------------------------

# make install + make uninstall into a scratch DESTDIR: every file in place
# and right, none left behind (tests/package/install.sh).
install-test: all
	@bash tests/package/install.sh $(BUILD)

# The packages installed into a fresh Debian 12 root (debootstrap, cached in
# BUILD/pkgroot) and used there (tests/package/chroot.sh).
package-test: deb
	@bash tests/package/chroot.sh $(BUILD) $(DEBDIR)
