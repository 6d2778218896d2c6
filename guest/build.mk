# pvkernel: the guest kernel, built freestanding with its own linker script.
#
#   build/pvkernel.elf  the kernel (ELF64, PT_LOAD by physical address, with a
#                       PVH note and the pvkit note)
#   build/pvkernel      the bzImage: real-mode setup + the kernel as a flat
#                       binary loaded at 1 MiB + the ELF itself as the payload
#
# Objects go to build/guest/ so they never mix with the host's build/obj/.

GUEST_CC := gcc
GUEST_CFLAGS := -std=gnu11 $(WARN) -O2 -g -ffreestanding -fno-pic -fno-pie -mno-red-zone \
	-mno-sse -mno-sse2 -mno-mmx -mno-80387 -mcmodel=small -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-omit-frame-pointer -nostdlib -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-I. -Iguest/include -MMD -MP
GUEST_ASFLAGS := -D__ASSEMBLY__ -I. -Iguest/include -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack

GUEST_C_SRCS := $(wildcard guest/kernel/*.c guest/mm/*.c guest/pv/*.c guest/drivers/*.c \
	guest/arch/x86/*.c)
GUEST_S_SRCS := $(filter-out guest/arch/x86/setup16.S,$(wildcard guest/arch/x86/*.S))
GUEST_OBJS := $(GUEST_C_SRCS:%.c=$(BUILD)/guest/%.o) $(GUEST_S_SRCS:%.S=$(BUILD)/guest/%.o)

$(BUILD)/guest/%.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

$(BUILD)/pvkernel.elf: $(GUEST_OBJS) guest/kernel.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -T guest/kernel.ld -o $@ $(GUEST_OBJS)

$(BUILD)/guest/pvkernel.bin: $(BUILD)/pvkernel.elf
	objcopy -O binary $< $@

# The real-mode setup is its own 16-bit blob, linked at offset 0 of the file.
$(BUILD)/guest/setup.elf: $(BUILD)/guest/guest/arch/x86/setup16.o guest/arch/x86/setup.ld
	ld -m elf_x86_64 -T guest/arch/x86/setup.ld -o $@ $<

$(BUILD)/guest/guest/arch/x86/setup16.o: guest/arch/x86/setup16.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

$(BUILD)/guest/setup.bin: $(BUILD)/guest/setup.elf
	objcopy -O binary $< $@

$(BUILD)/guest/mkbzimage: guest/tools/mkbzimage.c boot/bootparam.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

$(BUILD)/pvkernel: $(BUILD)/guest/mkbzimage $(BUILD)/guest/setup.bin $(BUILD)/guest/pvkernel.bin \
		$(BUILD)/pvkernel.elf
	$(BUILD)/guest/mkbzimage $(BUILD)/guest/setup.bin $(BUILD)/guest/pvkernel.bin \
		$(BUILD)/pvkernel.elf $@
