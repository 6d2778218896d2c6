# Unit tests: tests/unit/test_NAME.c -> build/tests/test_NAME, built with
# ASan+UBSan and cmocka.  test_boot_* link only the boot library (image
# formats); every other test links the VMM library too.
UNIT_TEST_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/test_boot_%: $(BUILD)/san/tests/unit/test_boot_%.o $(BUILD)/libboot-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(HOST_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/san/tests/unit/test_%.o $(BUILD)/libhost-san.a $(BUILD)/libboot-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(HOST_LIBS)

.PHONY: tests
tests: $(UNIT_TESTS)
include tests/guests/build.mk
include tests/pvm/build.mk
