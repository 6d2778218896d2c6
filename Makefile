# pvkit: a small VMM on Linux KVM, a paravirtualized guest kernel, and the
# boot protocol and ABI between them.
#
#   make            build everything into build/
#   make run        install what is missing, build, boot the bundled pvkernel
#   make check      install what is missing, build, run every test
#   make check-slow the long Linux boots (minutes on a host without VT-x/AMD-V)
#   make bench      benchmarks, results in docs/performance.md
#   make fuzz       every fuzz target for FUZZ_SECONDS each

BUILD := build
CC := gcc
FUZZ_CC := clang

WARN := -Wall -Wextra -Werror
HOST_CFLAGS := -std=gnu11 $(WARN) -O2 -g -I. -D_GNU_SOURCE -MMD -MP
# pvkit links only these: boot/payload_libs.c loads the decompressors when a
# payload needs one, and libseccomp runs at build time (below); http-parser and
# jansson are the control socket's (host/api_socket.c).  Tests and fuzzers that
# make compressed payloads of their own link those libraries (CODEC_LIBS).
HOST_LIBS := -lhttp_parser -ljansson -lpthread
CODEC_LIBS := -llz4 -lzstd -llzma -lz -lbz2 -llzo2
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := -std=gnu11 $(WARN) -O1 -g -I. -D_GNU_SOURCE -MMD -MP $(SAN_FLAGS)

BOOT_SRCS := $(wildcard boot/*.c)
HOST_SRCS := $(filter-out host/main.c,$(wildcard host/*.c host/devices/*.c))

# Two libraries, so unit tests and fuzzers link the code too: boot/ (image
# formats, no KVM) and host/ (the VMM without main()).
LIB_SRCS := $(BOOT_SRCS) $(HOST_SRCS)

.PHONY: all deps run check check-slow bench fuzz clean format
# Keep the objects of chained pattern rules (unit-test objects): deleting
# them would only make the next build redo them.
.SECONDARY:
all: $(BUILD)/pvkit $(BUILD)/pvkit-san $(BUILD)/pvkernel $(BUILD)/pvxen $(BUILD)/rootfs.cpio.gz

deps:
	@bash scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

# The seccomp filters (host/seccomp_program.h): libseccomp compiles the rules
# of host/seccomp-gen/ to BPF here, once per flavour (the sanitizer runtime
# needs more calls); pvkit installs the result without libseccomp.
SECCOMP_GEN_SRCS := $(wildcard host/seccomp-gen/*.c)
SECCOMP_PROGRAMS := $(BUILD)/obj/$(BUILD)/gen/seccomp_programs.o
SECCOMP_PROGRAMS_SAN := $(BUILD)/san/$(BUILD)/gen/seccomp_programs-san.o
$(BUILD)/seccomp-gen: $(SECCOMP_GEN_SRCS:%.c=$(BUILD)/obj/%.o)
	$(CC) -o $@ $^ -lseccomp
$(BUILD)/seccomp-gen-san: $(SECCOMP_GEN_SRCS:%.c=$(BUILD)/san/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lseccomp
$(BUILD)/gen/seccomp_programs.c: $(BUILD)/seccomp-gen
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@
$(BUILD)/gen/seccomp_programs-san.c: $(BUILD)/seccomp-gen-san
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@

$(BUILD)/libboot.a: $(BOOT_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/libhost.a: $(HOST_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/xen_image.o $(SECCOMP_PROGRAMS)
$(BUILD)/libboot-san.a: $(BOOT_SRCS:%.c=$(BUILD)/san/%.o)
$(BUILD)/libhost-san.a: $(HOST_SRCS:%.c=$(BUILD)/san/%.o) $(BUILD)/obj/xen_image.o \
	$(SECCOMP_PROGRAMS_SAN)
$(BUILD)/lib%.a:
	@rm -f $@
	ar rcs $@ $^

# pvkit carries the default guest (build/pvkernel) inside it, so `pvkit run`
# with no --kernel works from any directory.
$(BUILD)/obj/default_kernel.o: host/default_kernel.S $(BUILD)/pvkernel
	@mkdir -p $(dir $@)
	$(CC) -c -DPVKERNEL_PATH='"$(BUILD)/pvkernel"' $< -o $@

# ...and pvxen, the in-VM Xen a Xen PV domain runs under (xen/build.mk).
$(BUILD)/obj/xen_image.o: host/xen_image.S $(BUILD)/pvxen
	@mkdir -p $(dir $@)
	$(CC) -c -DPVXEN_PATH='"$(BUILD)/pvxen"' $< -o $@

$(BUILD)/pvkit: $(BUILD)/obj/host/main.o $(BUILD)/obj/default_kernel.o $(BUILD)/libhost.a $(BUILD)/libboot.a
	$(CC) -o $@ $^ $(HOST_LIBS)

$(BUILD)/pvkit-san: $(BUILD)/san/host/main.o $(BUILD)/obj/default_kernel.o $(BUILD)/libhost-san.a $(BUILD)/libboot-san.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

include guest/build.mk
include xen/build.mk
include tests/build.mk
include fuzz/build.mk
include bench/build.mk
include rootfs/build.mk

run: deps all
	$(BUILD)/pvkit run

check: deps all tests
	bash tests/run-tests.sh

check-slow: deps all
	bash tests/run-tests.sh --slow

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
