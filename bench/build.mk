# Benchmarks: `make bench` builds the bench programs and guests below and runs
# bench/run-bench.sh, which measures pvkit, QEMU microvm and the raw-KVM limit
# side by side and writes docs/performance.md.  Never part of `make check`.
#
#   build/bench/launch         times VMM processes from the outside (exec ->
#                              first guest instruction, first serial byte, a
#                              banner; peak RSS, guest RAM resident)
#   build/bench/rawkvm         the limit: the least code that runs a guest on KVM
#   build/bench/host_loop      the limit for pvkernel's kernel loop: the same
#                              dec/jnz loop as a host process
#   build/bench/xbench         static: getpid, fork+exec, page faults, a CPU
#                              loop, in a Linux guest's initramfs and on the
#                              host (the Xen PV rows, BENCH_ONLY=xen)
#   build/bench/tiny.elf       PVH guest: marker, one serial byte, debug exit
#   build/bench/hold.elf       same, then halts forever (memory is read while alive)
#   build/bench/exits-N.elf    N port writes to the UART scratch register, a
#                              marker after every BENCH_EXIT_CHUNK of them
#   build/bench/spin-N.elf     the same loops without the port write
#   build/bench/touch-64.elf   writes every page of 64 MiB, then as tiny (snapshot size)
BENCH_DIR := $(BUILD)/bench
# Many short runs, not a few long ones: bench/run-bench.sh pairs a pvkit run
# with a raw-KVM run a few ms apart, and this host's speed changes from one
# second to the next (docs/performance.md section 4).
BENCH_EXIT_COUNT := 2000
BENCH_EXIT_CHUNK := 100
BENCH_GUESTS := $(BENCH_DIR)/tiny.elf $(BENCH_DIR)/hold.elf \
	$(BENCH_DIR)/exits-$(BENCH_EXIT_COUNT).elf $(BENCH_DIR)/spin-$(BENCH_EXIT_COUNT).elf \
	$(BENCH_DIR)/touch-64.elf
BENCH_TOOLS := $(BENCH_DIR)/launch $(BENCH_DIR)/rawkvm $(BENCH_DIR)/host_loop $(BENCH_DIR)/xbench

$(BENCH_DIR)/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

# Static: it runs in an initramfs that has no libc.
$(BENCH_DIR)/xbench: bench/xbench.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -static -o $@ $<

$(BENCH_DIR)/tiny.o: bench/guests/bench_guest.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
$(BENCH_DIR)/hold.o: bench/guests/bench_guest.S
	@mkdir -p $(dir $@)
	$(CC) -c -DBENCH_HOLD $< -o $@
$(BENCH_DIR)/exits-%.o: bench/guests/bench_guest.S
	@mkdir -p $(dir $@)
	$(CC) -c -DBENCH_EXITS=$* -DBENCH_CHUNK=$(BENCH_EXIT_CHUNK) $< -o $@
$(BENCH_DIR)/spin-%.o: bench/guests/bench_guest.S
	@mkdir -p $(dir $@)
	$(CC) -c -DBENCH_SPIN=$* -DBENCH_CHUNK=$(BENCH_EXIT_CHUNK) $< -o $@
$(BENCH_DIR)/touch-%.o: bench/guests/bench_guest.S
	@mkdir -p $(dir $@)
	$(CC) -c -DBENCH_TOUCH=$* $< -o $@
$(BENCH_DIR)/%.elf: $(BENCH_DIR)/%.o bench/guests/guest.ld
	ld -T bench/guests/guest.ld -nostdlib -static -z noexecstack --no-warn-rwx-segments $< -o $@

.PHONY: bench-tools bench-check
bench-tools: $(BENCH_TOOLS) $(BENCH_GUESTS)

# The bench's own programs, checked on inputs whose answers are known (TAP).
bench-check: bench-tools
	BENCH_EXIT_COUNT=$(BENCH_EXIT_COUNT) BENCH_EXIT_CHUNK=$(BENCH_EXIT_CHUNK) bash bench/check-tools.sh

bench: deps all bench-tools
	BENCH_EXIT_COUNT=$(BENCH_EXIT_COUNT) BENCH_EXIT_CHUNK=$(BENCH_EXIT_CHUNK) bash bench/run-bench.sh
