# libFuzzer targets: fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME (clang, with
# ASan+UBSan).  The library is compiled once more with coverage hooks.
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_TARGETS := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 $(WARN) -O1 -g -I. -D_GNU_SOURCE -MMD -MP $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o)
FUZZ_SECONDS ?= 60

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/libpvkit-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/libpvkit-fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(HOST_LIBS)

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_TARGETS)
tests: fuzz-targets

fuzz: deps fuzz-targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run-fuzz.sh
