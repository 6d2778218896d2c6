// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the control socket's request parser (host/api_socket.c), the
 * whole of what a client's bytes reach: HTTP by http-parser, the body by
 * jansson, then pvkit's routing and checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "host/api_socket.h"

static struct api_request req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int status = 0;
	char why[200] = "";
	int rc = api_parse_request((const char *)data, size, &req, &status, why, sizeof(why));
	if (rc < 0 && (!why[0] || status < 400 || status > 499))
		__builtin_trap();
	if (rc > 0 && req.op == API_SNAPSHOT &&
	    (!req.snapshot_path[0] || strnlen(req.mem_file_path, API_MAX_PATH) == API_MAX_PATH))
		__builtin_trap();
	return 0;
}
