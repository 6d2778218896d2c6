# Tiny test guests: tests/guests/NAME.S -> build/guests/NAME.elf, an ELF64
# with PT_LOAD at 1 MiB by physical address (no libc, no startup files).
# tests/boot/vmm_*.sh boot them under build/pvkit-san.
GUEST_TEST_SRCS := $(wildcard tests/guests/*.S)
GUEST_TESTS := $(GUEST_TEST_SRCS:tests/guests/%.S=$(BUILD)/guests/%.elf)

$(BUILD)/guests/%.elf: tests/guests/%.S tests/guests/guest.inc tests/guests/guest.ld
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -no-pie -Wl,-n -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		-T tests/guests/guest.ld -Itests/guests -o $@ $<

.PHONY: test-guests
test-guests: $(GUEST_TESTS)
tests: test-guests
