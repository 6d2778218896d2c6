// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "stop_request.h"

void stop_request_set(struct stop_request *req, int status, const char *reason)
{
	if (req->stop)
		return;
	req->stop = true;
	req->status = status;
	snprintf(req->reason, sizeof(req->reason), "%s", reason ? reason : "");
}
