// SPDX-License-Identifier: MIT
/* The xenstore pvkit serves to Xen PV guests (host/xenstore.c), driven through its rings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/xenstore.h"

static struct xenstore xs;
static struct xenstore_domain_interface ring;

static int setup(void **state)
{
	(void)state;
	memset(&ring, 0, sizeof(ring));
	assert_int_equal(xenstore_init(&xs, 1), 0);
	assert_int_equal(xenstore_write(&xs, "name", "pvkit-guest"), 0);
	assert_int_equal(xenstore_write(&xs, "memory/target", "262144"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	xenstore_destroy(&xs);
	return 0;
}

/* The guest's side: put bytes in the request ring. */
static void guest_put(const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		ring.req[MASK_XENSTORE_IDX(ring.req_prod++)] = (char)p[i];
}

static void guest_send(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *body,
		       uint32_t len)
{
	struct xsd_sockmsg hdr = {.type = type, .req_id = req_id, .tx_id = tx_id, .len = len};
	guest_put(&hdr, sizeof(hdr));
	guest_put(body, len);
}

/* A string request: the body is the NUL-separated strings, each with its NUL. */
static void guest_send_str(uint32_t type, uint32_t req_id, const char *a, const char *b)
{
	char body[512];
	size_t n = strlen(a) + 1;
	memcpy(body, a, n);
	if (b) {
		memcpy(body + n, b, strlen(b) + 1);
		n += strlen(b) + 1;
	}
	guest_send(type, req_id, 0, body, (uint32_t)n);
}

struct reply {
	struct xsd_sockmsg hdr;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

/* The guest's side: take one message from the reply ring; false if none is whole. */
static bool guest_take(struct reply *r)
{
	uint32_t avail = ring.rsp_prod - ring.rsp_cons;
	if (avail < sizeof(r->hdr))
		return false;
	uint8_t *h = (uint8_t *)&r->hdr;
	for (size_t i = 0; i < sizeof(r->hdr); i++)
		h[i] = (uint8_t)ring.rsp[MASK_XENSTORE_IDX(ring.rsp_cons + i)];
	if (avail < sizeof(r->hdr) + r->hdr.len)
		return false;
	for (uint32_t i = 0; i < r->hdr.len; i++)
		r->body[i] = ring.rsp[MASK_XENSTORE_IDX(ring.rsp_cons + sizeof(r->hdr) + i)];
	r->body[r->hdr.len] = '\0';
	ring.rsp_cons += (uint32_t)sizeof(r->hdr) + r->hdr.len;
	return true;
}

static void expect_reply(uint32_t type, uint32_t req_id, const char *body, uint32_t len)
{
	struct reply r;
	assert_true(guest_take(&r));
	assert_int_equal(r.hdr.type, type);
	assert_int_equal(r.hdr.req_id, req_id);
	assert_int_equal(r.hdr.len, len);
	assert_memory_equal(r.body, body, len);
}

static void expect_error(uint32_t req_id, const char *name)
{
	expect_reply(XS_ERROR, req_id, name, (uint32_t)strlen(name) + 1);
}

static void reads_what_pvkit_wrote(void **state)
{
	(void)state;
	guest_send_str(XS_READ, 7, "name", NULL);
	guest_send_str(XS_READ, 8, "/local/domain/1/memory/target", NULL);
	guest_send_str(XS_READ, 9, "control/shutdown", NULL);
	guest_send_str(XS_GET_DOMAIN_PATH, 10, "1", NULL);
	assert_true(xenstore_serve(&xs, &ring));
	assert_int_equal(ring.req_cons, ring.req_prod);
	expect_reply(XS_READ, 7, "pvkit-guest", 11); /* no NUL: a read returns the bytes */
	expect_reply(XS_READ, 8, "262144", 6);
	expect_error(9, "ENOENT");
	expect_reply(XS_GET_DOMAIN_PATH, 10, "/local/domain/1", 16);
	assert_false(xenstore_serve(&xs, &ring)); /* nothing more to do */
}

static void write_directory_rm(void **state)
{
	(void)state;
	guest_send(XS_WRITE, 1, 0,
		   "device/vif/0/state\0"
		   "4",
		   20);
	guest_send_str(XS_DIRECTORY, 2, "device", NULL);
	guest_send_str(XS_READ, 3, "device/vif/0/state", NULL);
	guest_send_str(XS_MKDIR, 4, "device/vbd", NULL);
	guest_send_str(XS_DIRECTORY, 5, "device", NULL);
	guest_send_str(XS_RM, 6, "device", NULL);
	guest_send_str(XS_READ, 7, "device/vif/0/state", NULL);
	guest_send_str(XS_RM, 8, "device", NULL);
	assert_true(xenstore_serve(&xs, &ring));
	expect_reply(XS_WRITE, 1, "OK", 3);
	expect_reply(XS_DIRECTORY, 2, "vif", 4);
	expect_reply(XS_READ, 3, "4", 1);
	expect_reply(XS_MKDIR, 4, "OK", 3);
	expect_reply(XS_DIRECTORY, 5, "vif\0vbd", 8);
	expect_reply(XS_RM, 6, "OK", 3);
	expect_error(7, "ENOENT");
	expect_error(8, "ENOENT");
	assert_string_equal(xenstore_read(&xs, "name"), "pvkit-guest"); /* untouched */
}

static void watches_fire_at_once_and_on_change(void **state)
{
	(void)state;
	guest_send_str(XS_WATCH, 1, "control/shutdown", "tok1");
	guest_send_str(XS_WATCH, 2, "/local/domain/1/device", "tok2");
	assert_true(xenstore_serve(&xs, &ring));
	expect_reply(XS_WATCH, 1, "OK", 3);
	/* Relative watch, relative event path. */
	expect_reply(XS_WATCH_EVENT, 0, "control/shutdown\0tok1", 22);
	expect_reply(XS_WATCH, 2, "OK", 3);
	expect_reply(XS_WATCH_EVENT, 0, "/local/domain/1/device\0tok2", 28);

	/* pvkit asks the guest to power off the way a toolstack does. */
	guest_send(XS_WRITE, 3, 0, "control/shutdown\0poweroff", 25);
	guest_send_str(XS_WATCH, 4, "control/shutdown", "tok1");
	assert_true(xenstore_serve(&xs, &ring));
	expect_reply(XS_WATCH_EVENT, 0, "control/shutdown\0tok1", 22);
	expect_reply(XS_WRITE, 3, "OK", 3);
	expect_error(4, "EEXIST");

	guest_send_str(XS_UNWATCH, 5, "control/shutdown", "tok1");
	guest_send(XS_WRITE, 6, 0, "control/shutdown\0", 17);
	guest_send_str(XS_UNWATCH, 7, "control/shutdown", "tok1");
	assert_true(xenstore_serve(&xs, &ring));
	expect_reply(XS_UNWATCH, 5, "OK", 3);
	expect_reply(XS_WRITE, 6, "OK", 3);
	expect_error(7, "ENOENT");
	struct reply r;
	assert_false(guest_take(&r));
}

static void transactions_commit(void **state)
{
	(void)state;
	guest_send(XS_TRANSACTION_START, 1, 0, "", 1);
	assert_true(xenstore_serve(&xs, &ring));
	struct reply r;
	assert_true(guest_take(&r));
	assert_int_equal(r.hdr.type, XS_TRANSACTION_START);
	uint32_t tx = (uint32_t)strtoul(r.body, NULL, 10);
	assert_true(tx != 0);
	guest_send(XS_WRITE, 2, tx, "data/x\0y", 8);
	guest_send(XS_TRANSACTION_END, 3, tx, "T", 2);
	guest_send(XS_TRANSACTION_END, 4, tx, "maybe", 6);
	assert_true(xenstore_serve(&xs, &ring));
	expect_reply(XS_WRITE, 2, "OK", 3);
	expect_reply(XS_TRANSACTION_END, 3, "OK", 3);
	expect_error(4, "EINVAL");
	assert_string_equal(xenstore_read(&xs, "data/x"), "y");
}

static void requests_split_across_calls(void **state)
{
	(void)state;
	uint8_t msg[64];
	struct xsd_sockmsg hdr = {.type = XS_READ, .req_id = 5, .len = 5};
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), "name", 5);
	for (size_t i = 0; i < sizeof(hdr) + 5; i++) {
		guest_put(msg + i, 1);
		xenstore_serve(&xs, &ring);
	}
	expect_reply(XS_READ, 5, "pvkit-guest", 11);
}

static void replies_wait_for_room(void **state)
{
	(void)state;
	char big[900];
	memset(big, 'v', sizeof(big));
	memcpy(big, "big\0", 4);
	guest_send(XS_WRITE, 1, 0, big, sizeof(big));
	assert_true(xenstore_serve(&xs, &ring));
	expect_reply(XS_WRITE, 1, "OK", 3);
	/* Three ~900-byte replies do not fit in the 1 KiB ring at once. */
	for (uint32_t id = 10; id < 13; id++)
		guest_send_str(XS_READ, id, "big", NULL);
	xenstore_serve(&xs, &ring);
	for (uint32_t id = 10; id < 13; id++) {
		expect_reply(XS_READ, id, big + 4, sizeof(big) - 4);
		xenstore_serve(&xs, &ring);
	}
}

static void bad_requests_get_errors(void **state)
{
	(void)state;
	guest_send_str(XS_READ, 1, "bad path!", NULL);
	guest_send_str(XS_READ, 2, "a//b", NULL);
	guest_send_str(XS_READ, 3, "trailing/", NULL);
	guest_send(XS_READ, 4, 0, "no-nul", 6);
	guest_send_str(XS_INTRODUCE, 5, "2", NULL);
	guest_send_str(777, 6, "x", NULL);
	guest_send_str(XS_RM, 7, "/", NULL);
	guest_send(XS_WRITE, 8, 0, "no-nul-at-all", 13);
	assert_true(xenstore_serve(&xs, &ring));
	expect_error(1, "EINVAL");
	expect_error(2, "EINVAL");
	expect_error(3, "EINVAL");
	expect_error(4, "EINVAL");
	expect_error(5, "EACCES");
	expect_error(6, "EINVAL");
	expect_error(7, "EINVAL");
	expect_error(8, "EINVAL");
	/* Still serving. */
	guest_send_str(XS_READ, 9, "name", NULL);
	xenstore_serve(&xs, &ring);
	expect_reply(XS_READ, 9, "pvkit-guest", 11);
}

static void store_is_bounded(void **state)
{
	(void)state;
	int refused = 0;
	for (int i = 0; i < XENSTORE_MAX_NODES + 10; i++) {
		char body[64];
		int n = snprintf(body, sizeof(body), "n/%d", i);
		body[n] = '\0';
		memcpy(body + n + 1, "v", 1);
		guest_send(XS_WRITE, (uint32_t)i, 0, body, (uint32_t)n + 2);
		xenstore_serve(&xs, &ring);
		struct reply r;
		assert_true(guest_take(&r));
		if (r.hdr.type == XS_ERROR) {
			assert_string_equal(r.body, "ENOSPC");
			refused++;
		}
	}
	assert_true(refused >= 10);
}

static void hostile_indices_break_the_connection(void **state)
{
	(void)state;
	ring.req_prod = ring.req_cons + XENSTORE_RING_SIZE + 1;
	assert_false(xenstore_serve(&xs, &ring));
	assert_int_equal(ring.error, XENSTORE_ERROR_RINGIDX);
	assert_false(xenstore_serve(&xs, &ring)); /* stays broken */
}

static void oversized_message_breaks_the_connection(void **state)
{
	(void)state;
	struct xsd_sockmsg hdr = {.type = XS_WRITE, .len = XENSTORE_PAYLOAD_MAX + 1};
	guest_put(&hdr, sizeof(hdr));
	xenstore_serve(&xs, &ring);
	assert_int_equal(ring.error, XENSTORE_ERROR_PROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(reads_what_pvkit_wrote, setup, teardown),
	    cmocka_unit_test_setup_teardown(write_directory_rm, setup, teardown),
	    cmocka_unit_test_setup_teardown(watches_fire_at_once_and_on_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(transactions_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(requests_split_across_calls, setup, teardown),
	    cmocka_unit_test_setup_teardown(replies_wait_for_room, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_requests_get_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(store_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(hostile_indices_break_the_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(oversized_message_breaks_the_connection, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
