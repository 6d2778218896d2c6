/* SPDX-License-Identifier: MIT */
/*
 * api_socket.h - the control socket: HTTP/1.1 with JSON bodies on a Unix
 * socket (`pvkit run --api-socket PATH`), with Firecracker's paths and
 * bodies where Firecracker has the operation (docs/snapshot.md lists them):
 *
 *	GET   /                 {"id", "state": "Running"|"Paused", "vmm_version", "app_name"}
 *	PATCH /vm               {"state": "Paused"} or {"state": "Resumed"}
 *	PUT   /snapshot/create  {"snapshot_path": ..., "mem_file_path": ...} (paused VM)
 *	PUT   /snapshot/load    {"snapshot_path": ..., "mem_backend": {"backend_type": "File",
 *	                        "backend_path": ...}, "resume_vm": bool} (`pvkit restore
 *	                        --api-socket` started without a snapshot)
 *	PUT   /actions          {"action_type": "SendCtrlAltDel"}: the VM stops, status 0
 *	GET   /pvkit/stats      pvkit's own: exit counts and console bytes
 *
 * Success is 204 No Content (200 with a body for the GETs); a bad request
 * is 400 with {"fault_message": "one line"} and the VM keeps running.
 * HTTP is parsed by http-parser, JSON by jansson (Debian's libhttp-parser
 * and libjansson): api_parse_request() is the whole of what a client's
 * bytes reach, a pure function, unit-tested and fuzzed.
 *
 * Threads: a control thread accepts one connection at a time, reads and
 * parses the request, hands it to the vCPU thread (which alone touches
 * the VM) and waits for the answer.  It wakes the vCPU thread with SIGUSR1,
 * whose handler sets kvm_run.immediate_exit (host/run_loop.c).  The socket
 * is created owner-only (mode 0600, umask 077 around bind()).
 */
#ifndef PVKIT_HOST_API_SOCKET_H
#define PVKIT_HOST_API_SOCKET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_MAX_REQUEST	  16384 /* bytes of one request, headers and body */
#define API_MAX_PATH	  4096
#define API_IO_TIMEOUT_MS 5000

enum api_op {
	API_INFO,     /* GET / */
	API_PAUSE,    /* PATCH /vm Paused */
	API_RESUME,   /* PATCH /vm Resumed */
	API_SNAPSHOT, /* PUT /snapshot/create */
	API_SHUTDOWN, /* PUT /actions SendCtrlAltDel */
	API_STATS,    /* GET /pvkit/stats */
	API_LOAD,     /* PUT /snapshot/load */
};

struct api_request {
	enum api_op op;
	char snapshot_path[API_MAX_PATH];
	char mem_file_path[API_MAX_PATH];
	bool resume_vm; /* API_LOAD: run at once, not paused */
};

/*
 * Parse one whole HTTP request.  1: complete, `req` filled; 0: incomplete,
 * read more; -1: refused, with the HTTP `status` (400, 404, 405, 413) and
 * one line `why`.
 */
int api_parse_request(const char *buf, size_t len, struct api_request *req, int *status, char *why,
		      size_t why_size);

struct api_socket {
	int listen_fd, stop_fd;
	char path[108];
	pthread_t thread, vcpu_thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pending, taken, answered, closing;
	struct api_request req;
	int status;	 /* the vCPU thread's answer */
	char body[1024]; /* JSON, or empty */
};

/*
 * Bind and listen at `path` (which must not exist), owner-only.  Made before
 * the loading seccomp filter, which forbids new sockets.  -1 with one line.
 */
int api_socket_open(struct api_socket *api, const char *path);

/* Start the control thread; the caller is the vCPU thread. */
int api_socket_start(struct api_socket *api);

/* vCPU thread: is a request waiting? */
bool api_socket_pending(struct api_socket *api);

/* vCPU thread: take the waiting request, waiting up to `timeout_ms` for one
 * (0: do not wait).  False if none came. */
bool api_socket_take(struct api_socket *api, struct api_request *req, int timeout_ms);

/* vCPU thread: the answer to the request taken; `body` JSON or NULL. */
void api_socket_reply(struct api_socket *api, int status, const char *body);

/* 400 with {"fault_message": ...}. */
void api_socket_fault(struct api_socket *api, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers with the bodies of GET / and GET /pvkit/stats. */
enum api_vm_state { API_VM_NOT_STARTED, API_VM_RUNNING, API_VM_PAUSED };
void api_socket_reply_info(struct api_socket *api, enum api_vm_state state);
struct api_stats {
	uint64_t total, io, mmio, hlt, hypercall, console_bytes;
};
void api_socket_reply_stats(struct api_socket *api, const struct api_stats *stats);

/* Stop the thread, close and remove the socket. */
void api_socket_close(struct api_socket *api);

#endif
