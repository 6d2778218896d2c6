# pvxen: the small hypervisor pvkit runs inside the VM to play Xen for a Xen
# PV guest (docs/xen-pv.md).  Freestanding, linked at PML4 slot 257, built
# into build/pvxen (a flat binary) and carried inside pvkit like the bundled
# pvkernel (host/default_kernel.S, host/xen_image.S).
#
# The Xen public headers (Debian's libxen-dev) are the ABI pvxen serves; they
# are reached through build/xen-public/xen, a link to /usr/include/xen, so no
# other system header is in reach.

PVXEN_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -fpie -fvisibility=hidden \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-omit-frame-pointer -fno-jump-tables \
	-nostdlib -nostdinc -isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-isystem $(BUILD)/xen-public -D__XEN_INTERFACE_VERSION__=0x00040e00 -I. -Ixen -Iguest/include -MMD -MP
PVXEN_ASFLAGS := -D__ASSEMBLY__ -I. -Ixen -Iguest/arch/x86 -MMD -MP
PVXEN_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments \
	-Wl,-z,noexecstack

# pvkernel's freestanding memory functions and formatter serve pvxen too.
PVXEN_SHARED_SRCS := guest/kernel/string.c guest/kernel/format.c
PVXEN_OBJS := $(patsubst %.c,$(BUILD)/xen/%.o,$(wildcard xen/*.c) $(PVXEN_SHARED_SRCS)) \
	$(patsubst %.S,$(BUILD)/xen/%.o,$(wildcard xen/*.S))

$(BUILD)/xen-public/xen:
	@mkdir -p $(dir $@)
	ln -sfn /usr/include/xen $@

$(BUILD)/xen/%.o: %.c | $(BUILD)/xen-public/xen
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(PVXEN_CFLAGS) -c $< -o $@

$(BUILD)/xen/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(PVXEN_ASFLAGS) -c $< -o $@

$(BUILD)/pvxen.elf: $(PVXEN_OBJS) xen/pvxen.ld
	$(GUEST_CC) $(PVXEN_LDFLAGS) -T xen/pvxen.ld -o $@ $(PVXEN_OBJS)

$(BUILD)/pvxen: $(BUILD)/pvxen.elf
	objcopy -O binary -R .bss $< $@
