# Unit tests: tests/unit/test_NAME.c -> build/tests/test_NAME, built with
# ASan+UBSan and cmocka.  test_boot_* link only the boot library (image
# formats); every other test links the VMM library too.
UNIT_TEST_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/test_boot_%: $(BUILD)/san/tests/unit/test_boot_%.o $(BUILD)/libboot-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(HOST_LIBS) $(CODEC_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/san/tests/unit/test_%.o $(BUILD)/libhost-san.a $(BUILD)/libboot-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(HOST_LIBS) $(CODEC_LIBS)

.PHONY: tests
tests: $(UNIT_TESTS)
include tests/guests/build.mk
include tests/pvm/build.mk

# tests/xen/fsgs-check.c: a freestanding static program to run inside a Linux
# guest (pvkit run --initrd DIR): do a process's FS/GS bases, selectors and
# SSE/AVX registers survive interrupts and process switches?
$(BUILD)/tests/fsgs-check: tests/xen/fsgs-check.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -static -nostdlib -ffreestanding -fno-stack-protector \
		-fno-pie -no-pie -mgeneral-regs-only -o $@ $<
tests: $(BUILD)/tests/fsgs-check
