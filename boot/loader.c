// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "loader.h"

int boot_load(const struct boot_request *req, struct guest_memory *mem, struct boot_entry *entry,
	      struct boot_error *err)
{
	(void)req;
	(void)mem;
	(void)entry;
	snprintf(err->msg, sizeof(err->msg), "kernel loading is not implemented yet");
	return -1;
}
