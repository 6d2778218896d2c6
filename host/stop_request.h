/* SPDX-License-Identifier: MIT */
/*
 * stop_request.h - how a device or a hypercall ends the run.
 *
 * Devices run on the vCPU thread inside an exit handler; they cannot return
 * from main().  They record why the VM should stop and with which exit
 * status, and the run loop stops after the current exit.
 */
#ifndef PVKIT_HOST_STOP_REQUEST_H
#define PVKIT_HOST_STOP_REQUEST_H

#include <stdbool.h>

struct stop_request {
	bool stop;
	int status;	  /* pvkit's exit status */
	char reason[160]; /* printed on stderr when not empty */
};

/*
 * Ask the run loop to stop with `status`.  `reason` (may be NULL: a quiet
 * stop, e.g. the guest chose its exit status) is printed as "pvkit: REASON".
 * The first request wins: a reset after a power-off changes nothing.
 */
void stop_request_set(struct stop_request *req, int status, const char *reason);

#endif
