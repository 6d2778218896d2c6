# PVM experiments: a raw-KVM harness with guest code in assembly, run by
# tests/boot/pvm_experiments.sh.  Built with ASan+UBSan like the unit tests.
PVM_EXP_SRCS := $(wildcard tests/pvm/*.c)
PVM_EXP_OBJS := $(PVM_EXP_SRCS:%.c=$(BUILD)/san/%.o) $(BUILD)/san/tests/pvm/guest.o
PVM_EXP := $(BUILD)/tests/pvm-experiments

$(BUILD)/san/tests/pvm/guest.o: tests/pvm/guest.S tests/pvm/layout.h
	@mkdir -p $(dir $@)
	$(CC) -I. -c $< -o $@

# The host library gives it pvkit's own test for a PVM host (host/host_cpu.c).
$(PVM_EXP): $(PVM_EXP_OBJS) $(BUILD)/libhost-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^

.PHONY: pvm-experiments
pvm-experiments: $(PVM_EXP)
tests: $(PVM_EXP)
