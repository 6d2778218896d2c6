// SPDX-License-Identifier: MIT
#include <errno.h>
#include <http_parser.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api_socket.h"
#include "log.h"
#include "version.h"

/* ---- one request: HTTP by http-parser, the body by jansson ---- */

struct http_request {
	char url[256];
	size_t url_len;
	char body[API_MAX_REQUEST];
	size_t body_len;
	bool too_long, complete;
};

/* Append to a bounded buffer (kept NUL-terminated); false when full. */
static bool append(char *buf, size_t *len, size_t size, const char *at, size_t n)
{
	if (n > size - 1 - *len)
		return false;
	memcpy(buf + *len, at, n);
	*len += n;
	buf[*len] = 0;
	return true;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_request *r = p->data;
	r->too_long |= !append(r->url, &r->url_len, sizeof(r->url), at, len);
	return r->too_long;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_request *r = p->data;
	r->too_long |= !append(r->body, &r->body_len, sizeof(r->body), at, len);
	return r->too_long;
}

static int on_complete(http_parser *p)
{
	((struct http_request *)p->data)->complete = true;
	http_parser_pause(p, 1); /* one request per connection: stop here */
	return 0;
}

static int refuse(int *status, int code, char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int refuse(int *status, int code, char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	*status = code;
	return -1;
}

/* A string member of `obj`, or NULL. */
static const char *member(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The paths, the method each takes, and whether it has a JSON body. */
static const struct {
	const char *url;
	enum http_method method;
	bool body;
} routes[] = {
    {"/", HTTP_GET, false},
    {"/pvkit/stats", HTTP_GET, false},
    {"/vm", HTTP_PATCH, true},
    {"/snapshot/create", HTTP_PUT, true},
    {"/snapshot/load", HTTP_PUT, true},
    {"/actions", HTTP_PUT, true},
};

static int parse_body(json_t *obj, const char *url, struct api_request *req, int *status, char *why,
		      size_t n)
{
	if (strcmp(url, "/vm") == 0) {
		const char *state = member(obj, "state");
		if (state && strcmp(state, "Paused") == 0)
			req->op = API_PAUSE;
		else if (state && strcmp(state, "Resumed") == 0)
			req->op = API_RESUME;
		else
			return refuse(status, 400, why, n,
				      "/vm: \"state\" must be \"Paused\" or \"Resumed\"");
		return 1;
	}
	if (strcmp(url, "/snapshot/create") == 0) {
		const char *type = member(obj, "snapshot_type");
		if (type && strcmp(type, "Full") != 0)
			return refuse(status, 400, why, n,
				      "/snapshot/create: snapshot_type %.40s: only Full snapshots",
				      type);
		const char *state = member(obj, "snapshot_path");
		const char *mem = member(obj, "mem_file_path");
		if (!state || !mem || !*state || !*mem)
			return refuse(status, 400, why, n,
				      "/snapshot/create needs \"snapshot_path\" and "
				      "\"mem_file_path\" strings");
		if (strlen(state) >= API_MAX_PATH || strlen(mem) >= API_MAX_PATH)
			return refuse(status, 400, why, n, "/snapshot/create: a path too long");
		req->op = API_SNAPSHOT;
		strcpy(req->snapshot_path, state);
		strcpy(req->mem_file_path, mem);
		return 1;
	}
	if (strcmp(url, "/snapshot/load") == 0) {
		/* Firecracker's memory backend, or its older mem_file_path. */
		json_t *backend = json_object_get(obj, "mem_backend");
		const char *type = member(backend, "backend_type");
		const char *mem =
		    backend ? member(backend, "backend_path") : member(obj, "mem_file_path");
		const char *state = member(obj, "snapshot_path");
		json_t *resume = json_object_get(obj, "resume_vm");
		if (backend && (!type || strcmp(type, "File") != 0))
			return refuse(status, 400, why, n,
				      "/snapshot/load: the only mem_backend is {\"backend_type\": "
				      "\"File\", \"backend_path\": ...}");
		if (!state || !mem || !*state || !*mem)
			return refuse(status, 400, why, n,
				      "/snapshot/load needs \"snapshot_path\" and a memory file "
				      "(\"mem_backend\" or \"mem_file_path\")");
		if (resume && !json_is_boolean(resume))
			return refuse(status, 400, why, n,
				      "/snapshot/load: resume_vm is not true or false");
		if (strlen(state) >= API_MAX_PATH || strlen(mem) >= API_MAX_PATH)
			return refuse(status, 400, why, n, "/snapshot/load: a path too long");
		req->op = API_LOAD;
		strcpy(req->snapshot_path, state);
		strcpy(req->mem_file_path, mem);
		req->resume_vm = json_is_true(resume);
		return 1;
	}
	/* /actions */
	const char *action = member(obj, "action_type");
	if (!action || strcmp(action, "SendCtrlAltDel") != 0)
		return refuse(status, 400, why, n,
			      "/actions: \"action_type\" must be \"SendCtrlAltDel\"");
	req->op = API_SHUTDOWN;
	return 1;
}

int api_parse_request(const char *buf, size_t len, struct api_request *req, int *status, char *why,
		      size_t why_size)
{
	static struct http_request r; /* the control thread's; 16 KiB */
	memset(&r, 0, sizeof(r));
	memset(req, 0, sizeof(*req));
	if (len > API_MAX_REQUEST)
		return refuse(status, 413, why, why_size, "request larger than %d bytes",
			      API_MAX_REQUEST);
	http_parser p;
	http_parser_init(&p, HTTP_REQUEST);
	p.data = &r;
	http_parser_settings s;
	http_parser_settings_init(&s);
	s.on_url = on_url;
	s.on_body = on_body;
	s.on_message_complete = on_complete;
	http_parser_execute(&p, &s, buf, len);
	enum http_errno err = HTTP_PARSER_ERRNO(&p);
	if (r.too_long)
		return refuse(status, 413, why, why_size, "URL or body too long");
	if (err != HPE_OK && err != HPE_PAUSED)
		return refuse(status, 400, why, why_size, "bad HTTP request: %s",
			      http_errno_description(err));
	if (!r.complete)
		return len == API_MAX_REQUEST
			   ? refuse(status, 413, why, why_size, "request larger than %d bytes",
				    API_MAX_REQUEST)
			   : 0;
	enum http_method method = (enum http_method)p.method;
	size_t route = 0;
	while (route < sizeof(routes) / sizeof(routes[0]) && strcmp(routes[route].url, r.url))
		route++;
	if (route == sizeof(routes) / sizeof(routes[0]))
		return refuse(status, 404, why, why_size, "%.100s: no such path", r.url);
	if (method != routes[route].method)
		return refuse(status, 405, why, why_size, "%s: use %s", r.url,
			      http_method_str(routes[route].method));
	if (!routes[route].body) {
		req->op = route == 0 ? API_INFO : API_STATS;
		return 1;
	}
	json_error_t jerr;
	json_t *obj = json_loadb(r.body, r.body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return refuse(status, 400, why, why_size,
			      "%s: the body is not a JSON object%s%.80s", r.url, obj ? "" : ": ",
			      obj ? "" : jerr.text);
	}
	int rc = parse_body(obj, r.url, req, status, why, why_size);
	json_decref(obj);
	return rc;
}

/* ---- the socket and its thread ---- */

int api_socket_open(struct api_socket *api, const char *path)
{
	memset(api, 0, sizeof(*api));
	api->listen_fd = api->stop_fd = -1;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_msg("--api-socket %s: longer than a Unix socket path may be", path);
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		log_msg("--api-socket %s: already exists (remove it first)", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	strcpy(api->path, path);
	api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (api->listen_fd < 0) {
		log_msg("--api-socket %s: %s", path, strerror(errno));
		return -1;
	}
	/* Owner-only from the start: no moment where others could connect. */
	mode_t old = umask(077);
	int r = bind(api->listen_fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r == 0)
		r = chmod(path, 0600); /* read and write are what connect() checks */
	if (r < 0 || listen(api->listen_fd, 4) < 0) {
		log_msg("--api-socket %s: %s", path, strerror(errno));
		close(api->listen_fd);
		api->listen_fd = -1;
		api->path[0] = 0;
		return -1;
	}
	api->stop_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&api->lock, NULL);
	pthread_cond_init(&api->cond, NULL);
	return api->stop_fd < 0 ? -1 : 0;
}

static bool wait_readable(int fd, int stop_fd, int timeout_ms)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
	return poll(p, 2, timeout_ms) > 0 && !(p[1].revents & POLLIN) && (p[0].revents & POLLIN);
}

static void send_response(int fd, int status, const char *body)
{
	static const struct {
		int status;
		const char *text;
	} reasons[] = {{200, "OK"},
		       {204, "No Content"},
		       {400, "Bad Request"},
		       {404, "Not Found"},
		       {405, "Method Not Allowed"},
		       {413, "Payload Too Large"},
		       {500, "Internal Server Error"},
		       {503, "Service Unavailable"}};
	const char *reason = "Error";
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			reason = reasons[i].text;
	char head[256];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nServer: pvkit\r\nConnection: close\r\n%s"
			 "Content-Length: %zu\r\n\r\n",
			 status, reason, blen ? "Content-Type: application/json\r\n" : "", blen);
	if (write(fd, head, (size_t)n) == n && blen) {
		ssize_t w = write(fd, body, blen);
		(void)w;
	}
}

/* JSON {"fault_message": why} into `out`. */
static void fault_body(char *out, size_t size, const char *why)
{
	json_t *o = json_pack("{s:s}", "fault_message", why);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	snprintf(out, size, "%s", text ? text : "{}");
	free(text);
	json_decref(o);
}

/* Hand `req` to the vCPU thread and wait for its answer. */
static void ask_vcpu(struct api_socket *api, const struct api_request *req, int *status, char *body,
		     size_t size)
{
	pthread_mutex_lock(&api->lock);
	if (api->closing) {
		pthread_mutex_unlock(&api->lock);
		*status = 503;
		fault_body(body, size, "the VM has stopped");
		return;
	}
	api->req = *req;
	api->pending = true;
	api->taken = api->answered = false;
	pthread_mutex_unlock(&api->lock);
	pthread_kill(api->vcpu_thread, SIGUSR1);
	pthread_mutex_lock(&api->lock);
	while (!api->answered && !api->closing)
		pthread_cond_wait(&api->cond, &api->lock);
	if (api->answered) {
		*status = api->status;
		snprintf(body, size, "%s", api->body);
	} else {
		*status = 503;
		fault_body(body, size, "the VM has stopped");
	}
	api->pending = false;
	pthread_mutex_unlock(&api->lock);
}

static void serve_connection(struct api_socket *api, int fd)
{
	static char buf[API_MAX_REQUEST];
	size_t len = 0;
	struct api_request req;
	int status = 0, rc = 0;
	char why[200], body[1024];
	while (rc == 0) {
		if (!wait_readable(fd, api->stop_fd, API_IO_TIMEOUT_MS))
			return;
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);
		if (r <= 0)
			return;
		len += (size_t)r;
		rc = api_parse_request(buf, len, &req, &status, why, sizeof(why));
	}
	if (rc < 0) {
		fault_body(body, sizeof(body), why);
	} else {
		ask_vcpu(api, &req, &status, body, sizeof(body));
	}
	send_response(fd, status, body[0] ? body : NULL);
}

static void *control_thread(void *arg)
{
	struct api_socket *api = arg;
	/* Signals are the vCPU thread's (host/run_loop.c). */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd p[2] = {{.fd = api->listen_fd, .events = POLLIN},
				      {.fd = api->stop_fd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents & POLLIN)
			break;
		int fd = accept4(api->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_connection(api, fd);
		shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	return NULL;
}

int api_socket_start(struct api_socket *api)
{
	if (api->thread_started)
		return 0;
	api->vcpu_thread = pthread_self();
	if (pthread_create(&api->thread, NULL, control_thread, api) != 0) {
		log_msg("cannot start the control socket's thread");
		return -1;
	}
	api->thread_started = true;
	return 0;
}

bool api_socket_pending(struct api_socket *api)
{
	pthread_mutex_lock(&api->lock);
	bool p = api->pending && !api->taken;
	pthread_mutex_unlock(&api->lock);
	return p;
}

bool api_socket_take(struct api_socket *api, struct api_request *req, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&api->lock);
	while (!(api->pending && !api->taken) && timeout_ms > 0)
		if (pthread_cond_timedwait(&api->cond, &api->lock, &until) == ETIMEDOUT)
			break;
	bool got = api->pending && !api->taken;
	if (got) {
		*req = api->req;
		api->taken = true;
	}
	pthread_mutex_unlock(&api->lock);
	return got;
}

void api_socket_reply(struct api_socket *api, int status, const char *body)
{
	pthread_mutex_lock(&api->lock);
	api->status = status;
	snprintf(api->body, sizeof(api->body), "%s", body ? body : "");
	api->answered = true;
	pthread_cond_broadcast(&api->cond);
	pthread_mutex_unlock(&api->lock);
}

void api_socket_fault(struct api_socket *api, int status, const char *fmt, ...)
{
	char why[300], body[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fault_body(body, sizeof(body), why);
	api_socket_reply(api, status, body);
}

static void reply_json(struct api_socket *api, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text)
		api_socket_reply(api, 200, text);
	else
		api_socket_fault(api, 500, "out of memory");
	free(text);
	json_decref(o);
}

void api_socket_reply_info(struct api_socket *api, enum api_vm_state state)
{
	static const char *const names[] = {
	    [API_VM_NOT_STARTED] = "Not started",
	    [API_VM_RUNNING] = "Running",
	    [API_VM_PAUSED] = "Paused",
	};
	reply_json(api, json_pack("{s:s, s:s, s:s, s:s}", "id", "pvkit", "state", names[state],
				  "vmm_version", PVKIT_VERSION, "app_name", "pvkit"));
}

void api_socket_reply_stats(struct api_socket *api, const struct api_stats *st)
{
	reply_json(api, json_pack("{s:{s:I, s:I, s:I, s:I, s:I}, s:I}", "exits", "total",
				  (json_int_t)st->total, "io", (json_int_t)st->io, "mmio",
				  (json_int_t)st->mmio, "hlt", (json_int_t)st->hlt, "hypercall",
				  (json_int_t)st->hypercall, "console_bytes",
				  (json_int_t)st->console_bytes));
}

void api_socket_close(struct api_socket *api)
{
	if (api->thread_started) {
		pthread_mutex_lock(&api->lock);
		api->closing = true;
		pthread_cond_broadcast(&api->cond);
		pthread_mutex_unlock(&api->lock);
		uint64_t one = 1;
		ssize_t w = write(api->stop_fd, &one, sizeof(one));
		(void)w;
		pthread_join(api->thread, NULL);
		api->thread_started = false;
	}
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	if (api->stop_fd >= 0)
		close(api->stop_fd);
	if (api->path[0])
		unlink(api->path);
	api->listen_fd = api->stop_fd = -1;
	api->path[0] = 0;
}
