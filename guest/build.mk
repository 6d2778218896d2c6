# Placeholder until the guest kernel lands: an empty image.
$(BUILD)/pvkernel:
	@mkdir -p $(dir $@)
	: > $@
