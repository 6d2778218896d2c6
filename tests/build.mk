# Unit tests: tests/unit/test_NAME.c -> build/tests/test_NAME, built with
# ASan+UBSan against the sanitized library and cmocka.
UNIT_TEST_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: $(BUILD)/san/tests/unit/%.o $(BUILD)/libpvkit-san.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lcmocka $(HOST_LIBS)

.PHONY: tests
tests: $(UNIT_TESTS)
