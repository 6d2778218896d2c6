# libFuzzer targets: fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME (clang, with
# ASan+UBSan).  The libraries are compiled once more with coverage hooks;
# fuzz_boot_* link only the boot library.
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_TARGETS := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
# host/cpuid.h puts struct kvm_cpuid2 (a flexible array) before its entries,
# as KVM's users do; gcc accepts it silently, clang calls it an extension.
FUZZ_CFLAGS := -std=gnu11 $(WARN) -O1 -g -I. -D_GNU_SOURCE -MMD -MP $(FUZZ_SAN) \
	-Wno-gnu-variable-sized-type-not-at-end
FUZZ_SECONDS ?= 60

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/libboot-fuzz.a: $(BOOT_SRCS:%.c=$(BUILD)/fuzzobj/%.o)
$(BUILD)/libhost-fuzz.a: $(HOST_SRCS:%.c=$(BUILD)/fuzzobj/%.o) $(BUILD)/obj/xen_image.o $(SECCOMP_PROGRAMS_SAN)

$(BUILD)/fuzz/fuzz_boot_%: fuzz/fuzz_boot_%.c $(BUILD)/libboot-fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.a,$^) $(HOST_LIBS)

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libhost-fuzz.a $(BUILD)/libboot-fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.a,$^) $(HOST_LIBS)

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_TARGETS)
tests: fuzz-targets

fuzz: deps fuzz-targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run-fuzz.sh
