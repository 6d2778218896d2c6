// SPDX-License-Identifier: MIT
/*
 * The snapshot state file (host/snapshot_format.c) built and parsed back,
 * every way a file can be refused, and the control socket's request parser
 * (host/api_socket.c): what each request becomes, what each bad one gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/api_socket.h"
#include "host/machine_state.h"
#include "host/snapshot_format.h"

static struct snapshot_view view;

/* A state file with a machine part and two small ones. */
static struct snapshot_builder build(void)
{
	struct snapshot_header h = {.mem_size = 32 << 20, .snapshot_id = 0x1234};
	struct snapshot_builder b;
	snapshot_builder_init(&b, &h);
	struct machine_part mp = {.mem_size = 32 << 20, .entry_mode = BOOT_CPU_PVM};
	snapshot_builder_add(&b, MACHINE_PART_NAME, MACHINE_PART_VERSION, &mp, sizeof(mp));
	snapshot_builder_add(&b, "uart16550", 1, "abc", 3);
	snapshot_builder_add(&b, "empty", 7, NULL, 0);
	assert_int_equal(snapshot_builder_finish(&b), 0);
	return b;
}

static void round_trip(void **state)
{
	(void)state;
	struct snapshot_builder b = build();
	char why[200] = "";
	assert_int_equal(snapshot_parse(b.buf, b.len, &view, why, sizeof(why)), 0);
	assert_int_equal(view.nparts, 3);
	assert_int_equal(view.header.snapshot_id, 0x1234);
	const struct snapshot_part_view *p = snapshot_find_part(&view, "uart16550");
	assert_non_null(p);
	assert_int_equal(p->version, 1);
	assert_int_equal(p->length, 3);
	assert_memory_equal(p->data, "abc", 3);
	p = snapshot_find_part(&view, "empty");
	assert_non_null(p);
	assert_int_equal(p->version, 7);
	assert_int_equal(p->length, 0);
	assert_null(snapshot_find_part(&view, "vcpu"));
	struct machine_part mp;
	assert_int_equal(machine_state_config(&view, &mp, why, sizeof(why)), 0);
	assert_int_equal(mp.entry_mode, BOOT_CPU_PVM);
	snapshot_builder_free(&b);
}

/* refused(BUF, LEN, PHRASE): parsing fails with a reason containing PHRASE. */
static void refused(const uint8_t *buf, size_t len, const char *phrase)
{
	char why[200] = "";
	assert_int_equal(snapshot_parse(buf, len, &view, why, sizeof(why)), -1);
	if (!strstr(why, phrase))
		fail_msg("'%s' does not say '%s'", why, phrase);
}

static void refusals(void **state)
{
	(void)state;
	struct snapshot_builder b = build();
	uint8_t *copy = malloc(b.len + 8);
	/* every truncation */
	for (size_t n = 0; n < b.len; n++) {
		char why[200] = "";
		assert_int_equal(snapshot_parse(b.buf, n, &view, why, sizeof(why)), -1);
		assert_true(why[0] != 0);
	}
	refused(b.buf, b.len / 2, "truncated");
	/* every single flipped bit is caught by the CRC */
	for (size_t i = 0; i < b.len; i += 7) {
		memcpy(copy, b.buf, b.len);
		copy[i] ^= 0x10;
		char why[200] = "";
		assert_int_equal(snapshot_parse(copy, b.len, &view, why, sizeof(why)), -1);
	}
	memcpy(copy, b.buf, b.len);
	copy[b.len - 1] ^= 1;
	refused(copy, b.len, "checksum");
	/* trailing bytes */
	memcpy(copy, b.buf, b.len);
	memset(copy + b.len, 0, 8);
	refused(copy, b.len + 8, "the header says");
	refused((const uint8_t *)"ELF\x7f and more bytes than a magic", 34, "not a pvkit snapshot");
	snapshot_builder_free(&b);
	free(copy);

	/* a newer format, valid otherwise */
	struct snapshot_header h = {0};
	snapshot_builder_init(&b, &h);
	((struct snapshot_header *)b.buf)->version = 2;
	assert_int_equal(snapshot_builder_finish(&b), 0);
	refused(b.buf, b.len, "version 2");
	snapshot_builder_free(&b);

	/* bad part names, duplicate parts: the CRC is right, the parts are not */
	const char *bad_names[] = {"UPPER", "dash-ed", ""};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		snapshot_builder_init(&b, &h);
		snapshot_builder_add(&b, "placeholder", 1, "x", 1);
		struct snapshot_section *s = (struct snapshot_section *)(b.buf + sizeof(h));
		memset(s->name, 0, sizeof(s->name));
		memcpy(s->name, bad_names[i], strlen(bad_names[i]));
		assert_int_equal(snapshot_builder_finish(&b), 0);
		refused(b.buf, b.len, "name");
		snapshot_builder_free(&b);
	}
	snapshot_builder_init(&b, &h);
	snapshot_builder_add(&b, "twice", 1, "x", 1);
	snapshot_builder_add(&b, "twice", 1, "y", 1);
	assert_int_equal(snapshot_builder_finish(&b), 0);
	refused(b.buf, b.len, "seen before");
	snapshot_builder_free(&b);

	/* a part longer than the file */
	snapshot_builder_init(&b, &h);
	snapshot_builder_add(&b, "long", 1, "x", 1);
	((struct snapshot_section *)(b.buf + sizeof(h)))->length = 1ull << 40;
	assert_int_equal(snapshot_builder_finish(&b), 0);
	refused(b.buf, b.len, "past the end");
	snapshot_builder_free(&b);
}

static void machine_part_checks(void **state)
{
	(void)state;
	char why[200];
	struct machine_part mp;
	struct snapshot_header h = {.mem_size = 64 << 20};
	struct snapshot_builder b;
	/* no machine part; a Xen PV one; RAM sizes that disagree */
	snapshot_builder_init(&b, &h);
	assert_int_equal(snapshot_builder_finish(&b), 0);
	assert_int_equal(snapshot_parse(b.buf, b.len, &view, why, sizeof(why)), 0);
	assert_int_equal(machine_state_config(&view, &mp, why, sizeof(why)), -1);
	snapshot_builder_free(&b);
	struct machine_part bad[] = {
	    {.mem_size = 64 << 20, .entry_mode = BOOT_CPU_XEN_PV},
	    {.mem_size = 32 << 20, .entry_mode = BOOT_CPU_LONG64},
	};
	for (size_t i = 0; i < 2; i++) {
		snapshot_builder_init(&b, &h);
		snapshot_builder_add(&b, MACHINE_PART_NAME, MACHINE_PART_VERSION, &bad[i],
				     sizeof(bad[i]));
		assert_int_equal(snapshot_builder_finish(&b), 0);
		assert_int_equal(snapshot_parse(b.buf, b.len, &view, why, sizeof(why)), 0);
		assert_int_equal(machine_state_config(&view, &mp, why, sizeof(why)), -1);
		snapshot_builder_free(&b);
	}
}

/* ---- the control socket's requests ---- */

static int parse(const char *text, struct api_request *req, int *status, char *why)
{
	return api_parse_request(text, strlen(text), req, status, why, 200);
}

/* METHOD PATH with BODY and its Content-Length. */
static int send_body(const char *method, const char *path, const char *body,
		     struct api_request *req, int *status, char *why)
{
	char text[600];
	snprintf(text, sizeof(text), "%s %s HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", method,
		 path, strlen(body), body);
	return parse(text, req, status, why);
}

static void api_requests(void **state)
{
	(void)state;
	static struct api_request req;
	int status = 0;
	char why[200];
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &req, &status, why), 1);
	assert_int_equal(req.op, API_INFO);
	assert_int_equal(parse("GET /pvkit/stats HTTP/1.1\r\n\r\n", &req, &status, why), 1);
	assert_int_equal(req.op, API_STATS);
	/* Requests with a body, and what each is taken for. */
	static const struct {
		const char *method, *path, *body;
		enum api_op op;
	} with_body[] = {
	    {"PATCH", "/vm", "{\"state\":\"Paused\"}", API_PAUSE},
	    {"PATCH", "/vm", "{\"state\":\"Resumed\"}", API_RESUME},
	    {"PUT", "/snapshot/create",
	     "{\"snapshot_type\": \"Full\", \"snapshot_path\": \"/a/s\", \"mem_file_path\": "
	     "\"/a/m\"}",
	     API_SNAPSHOT},
	    {"PUT", "/snapshot/load",
	     "{\"snapshot_path\": \"/a/s\", \"mem_backend\": {\"backend_type\": \"File\", "
	     "\"backend_path\": \"/a/m\"}, \"resume_vm\": true}",
	     API_LOAD},
	};
	for (size_t i = 0; i < sizeof(with_body) / sizeof(with_body[0]); i++) {
		assert_int_equal(send_body(with_body[i].method, with_body[i].path,
					   with_body[i].body, &req, &status, why),
				 1);
		assert_int_equal(req.op, with_body[i].op);
		if (req.op == API_SNAPSHOT || req.op == API_LOAD) {
			assert_string_equal(req.snapshot_path, "/a/s");
			assert_string_equal(req.mem_file_path, "/a/m");
		}
	}
	assert_true(req.resume_vm); /* the last, /snapshot/load's */
	/* chunked bodies are HTTP too */
	assert_int_equal(parse("PUT /actions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			       "20\r\n{\"action_type\":\"SendCtrlAltDel\"}\r\n0\r\n\r\n",
			       &req, &status, why),
			 1);
	assert_int_equal(req.op, API_SHUTDOWN);
	/* incomplete: read more */
	assert_int_equal(
	    parse("PATCH /vm HTTP/1.1\r\nContent-Length: 18\r\n\r\n{\"sta", &req, &status, why), 0);
	assert_int_equal(parse("GET / HT", &req, &status, why), 0);
}

static void api_bad_requests(void **state)
{
	(void)state;
	static struct api_request req;
	static const struct {
		const char *text;
		int status;
		const char *phrase;
	} cases[] = {
	    {"GET /nope HTTP/1.1\r\n\r\n", 404, "no such path"},
	    {"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, "use GET"},
	    {"GET /vm HTTP/1.1\r\n\r\n", 405, "use PATCH"},
	    {"PATCH /vm HTTP/1.1\r\nContent-Length: 3\r\n\r\n{x}", 400, "not a JSON object"},
	    {"PATCH /vm HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]", 400, "not a JSON object"},
	    {"PATCH /vm HTTP/1.1\r\nContent-Length: 17\r\n\r\n{\"state\":\"Gone\"}\n", 400,
	     "must be"},
	    {"PATCH /vm HTTP/1.1\r\nContent-Length: "
	     "30\r\n\r\n{\"state\":\"Paused\",\"state\":\"x\"}",
	     400, "not a JSON object"},
	    {"PUT /snapshot/create HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400, "needs"},
	    {"PUT /snapshot/create HTTP/1.1\r\nContent-Length: "
	     "24\r\n\r\n{\"snapshot_type\":\"Diff\"}",
	     400, "only Full"},
	    {"PUT /actions HTTP/1.1\r\nContent-Length: "
	     "30\r\n\r\n{\"action_type\":\"FlushMetrics\"}",
	     400, "must be"},
	    {"GARBAGE\r\n\r\n", 400, "bad HTTP request"},
	    {"PUT /snapshot/load HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400, "needs"},
	    {"PUT /snapshot/load HTTP/1.1\r\nContent-Length: 78\r\n\r\n{\"snapshot_path\":\"s\","
	     "\"mem_backend\":{\"backend_type\":\"Uffd\",\"backend_path\":\"m\"}}",
	     400, "the only mem_backend"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0;
		char why[200] = "";
		int rc = parse(cases[i].text, &req, &status, why);
		if (rc != -1 || status != cases[i].status || !strstr(why, cases[i].phrase))
			fail_msg("case %zu: rc %d, status %d, '%s'", i, rc, status, why);
	}
	/* too large: a body past the limit */
	size_t n = API_MAX_REQUEST + 100;
	char *big = malloc(n + 1);
	int len = snprintf(big, n, "PUT /actions HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
			   API_MAX_REQUEST + 50);
	memset(big + len, 'a', n - (size_t)len);
	int status = 0;
	char why[200];
	assert_int_equal(api_parse_request(big, API_MAX_REQUEST, &req, &status, why, sizeof(why)),
			 -1);
	assert_int_equal(status, 413);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),	   cmocka_unit_test(refusals),
	    cmocka_unit_test(machine_part_checks), cmocka_unit_test(api_requests),
	    cmocka_unit_test(api_bad_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
