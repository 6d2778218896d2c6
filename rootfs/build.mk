# The initramfs Linux guests boot with (docs/xen-pv.md): Debian's static
# busybox with a link for every applet, and rootfs/init.
#
#   build/rootfs/          the tree (`pvkit run --initrd build/rootfs` packs it on the fly)
#   build/rootfs.cpio.gz   the same tree packed by build/mkcpio and compressed
BUSYBOX := /bin/busybox

$(BUILD)/mkcpio: $(BUILD)/obj/rootfs/mkcpio.o $(BUILD)/libhost.a $(BUILD)/libboot.a
	$(CC) -o $@ $^ $(HOST_LIBS)

$(BUILD)/rootfs.stamp: rootfs/init rootfs/build.mk $(BUSYBOX)
	rm -rf $(BUILD)/rootfs
	mkdir -p $(BUILD)/rootfs/bin $(BUILD)/rootfs/proc $(BUILD)/rootfs/sys \
		$(BUILD)/rootfs/dev $(BUILD)/rootfs/tmp $(BUILD)/rootfs/root
	cp $(BUSYBOX) $(BUILD)/rootfs/bin/busybox
	for applet in $$($(BUSYBOX) --list); do \
		[ "$$applet" = busybox ] || ln -s busybox $(BUILD)/rootfs/bin/$$applet; \
	done
	ln -s bin $(BUILD)/rootfs/sbin
	mkdir -p $(BUILD)/rootfs/usr
	ln -s ../bin $(BUILD)/rootfs/usr/bin
	ln -s ../bin $(BUILD)/rootfs/usr/sbin
	cp rootfs/init $(BUILD)/rootfs/init
	touch $@

$(BUILD)/rootfs.cpio.gz: $(BUILD)/rootfs.stamp $(BUILD)/mkcpio
	$(BUILD)/mkcpio $(BUILD)/rootfs $(BUILD)/rootfs.cpio
	gzip -9nf $(BUILD)/rootfs.cpio
