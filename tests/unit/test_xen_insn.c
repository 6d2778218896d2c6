// SPDX-License-Identifier: MIT
/*
 * pvxen's instruction decoder (xen/insn.c), which its breakpoint emulation
 * trusts for what each stepped instruction reads and writes.  The
 * instructions come from the assembler, so their lengths are the
 * assembler's; the accesses are checked against what the architecture says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Freestanding, no pvxen headers: built here as it is (xen/insn.h). */
#include "xen/insn.c"

/* Each case: its bytes between NAME and NAME_end, in .rodata. */
#define INSN(name, text)                                                                           \
	extern const uint8_t name[], name##_end[];                                                 \
	__asm__(".pushsection .rodata\n" #name ":\n\t" text "\n" #name "_end:\n.popsection")

INSN(i_movl_stack, "movl $0, 0xc(%rsp)");
INSN(i_mov_store, "mov %rax, (%rdi)");
INSN(i_mov_riprel, "mov 0x10(%rip), %eax");
INSN(i_push, "push %rax");
INSN(i_ret, "ret");
INSN(i_rep_movsb, "rep movsb");
INSN(i_syscall, "syscall");
INSN(i_icebp, ".byte 0xf1");
INSN(i_pushf, "pushfq");
INSN(i_popf, "popfq");
INSN(i_gs_load, "mov %gs:0x28, %rax");
INSN(i_lea, "lea (%rax,%rcx,4), %rax");
INSN(i_vmovdqa_ymm, "vmovdqa %ymm0, (%rdi)");
INSN(i_vmovdqu64_zmm, "vmovdqu64 %zmm0, 0x40(%rdi)");
INSN(i_lock_cmpxchg, "lock cmpxchg %rcx, (%rdx)");
INSN(i_call_riprel, "call *0x100(%rip)");
INSN(i_fxsave, "fxsave (%rdi)");
INSN(i_fnstcw, "fnstcw (%rdi)");
INSN(i_movabs_store, "movabs %rax, 0x1122334455667788");
INSN(i_movabs_imm, "movabs $0x1122334455667788, %rax");
INSN(i_movdqa_store, "movdqa %xmm0, (%rdi)");
INSN(i_movss_store, "movss %xmm0, (%rdi)");
INSN(i_vextractf128, "vextractf128 $1, %ymm0, (%rdi)");
INSN(i_addr32, "mov %eax, (%edi)");
INSN(i_cmpq, "cmpq $0, (%rsp)");
INSN(i_orb, "orb $1, (%rdi)");
INSN(i_negl, "negl (%rdi)");
INSN(i_testl, "testl $0x12345678, (%rdi)");
INSN(i_enter, "enter $16, $0");
INSN(i_call, "call .");
INSN(i_je, "je .+0x1000");
INSN(i_pextrd, "pextrd $1, %xmm0, (%rdi)");
INSN(i_sib_index, "mov %ax, 8(%rbx,%r12,8)");
INSN(i_xchg, "xchg %eax, -4(%rbp)");
INSN(i_setcc, "sete (%rsi)");
INSN(i_movzx, "movzwl (%rsi), %eax");
INSN(i_clflush, "clflush (%rdi)");
INSN(i_prefetch, "prefetcht0 (%rdi)");
INSN(i_pop_mem, "popq (%rdi)");
INSN(i_leave, "leave");
INSN(i_bt_imm, "btsq $3, (%rdi)");
INSN(i_imul_imm, "imul $0x1000, (%rsi), %eax");
INSN(i_rdfsbase, "rdfsbase %rax");
INSN(i_wrmsr, "wrmsr");
INSN(i_vpbroadcast, "vpbroadcastd (%rsi), %ymm1");

static struct insn_regs regs(void)
{
	struct insn_regs r;
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < 16; i++)
		r.gpr[i] = 0x10000 * (i + 1); /* rax 0x10000, rcx 0x20000, ... */
	r.rip = 0x400000;
	r.fs_base = 0x7f0000000000;
	r.gs_base = 0xffff888000000000;
	return r;
}

#define RSP(r) ((r).gpr[4])
#define RBP(r) ((r).gpr[5])
#define RSI(r) ((r).gpr[6])
#define RDI(r) ((r).gpr[7])

/* Decode the bytes of one case: its length must be the assembler's. */
static struct insn decode(const uint8_t *start, const uint8_t *end, const struct insn_regs *r)
{
	struct insn out;
	unsigned n = (unsigned)(end - start);
	assert_true(insn_decode(start, n, r, &out));
	assert_int_equal(out.length, n);
	return out;
}
#define DECODE(name, r) decode(name, name##_end, &(r))

static void expect_access(const struct insn *in, unsigned i, uint64_t address, uint32_t size,
			  bool write)
{
	assert_true(i < in->n_accesses);
	assert_int_equal(in->access[i].address, address);
	assert_int_equal(in->access[i].size, size);
	assert_int_equal(in->access[i].write, write);
}

static void explicit_operands(void **state)
{
	(void)state;
	struct insn_regs r = regs();
	struct insn in = DECODE(i_movl_stack, r);
	assert_int_equal(in.n_accesses, 1);
	expect_access(&in, 0, RSP(r) + 0xc, 4, true);
	in = DECODE(i_mov_store, r);
	expect_access(&in, 0, RDI(r), 8, true);
	in = DECODE(i_mov_riprel, r);
	expect_access(&in, 0, r.rip + in.length + 0x10, 4, false);
	in = DECODE(i_gs_load, r);
	expect_access(&in, 0, r.gs_base + 0x28, 8, false);
	in = DECODE(i_lock_cmpxchg, r);
	expect_access(&in, 0, r.gpr[2], 8, true);
	RDI(r) = 0x1234567800001000;
	in = DECODE(i_addr32, r);
	expect_access(&in, 0, 0x1000, 4, true); /* 67: a 32-bit address */
	r = regs();
	in = DECODE(i_cmpq, r);
	expect_access(&in, 0, RSP(r), 8, false);
	in = DECODE(i_orb, r);
	expect_access(&in, 0, RDI(r), 1, true);
	in = DECODE(i_negl, r);
	expect_access(&in, 0, RDI(r), 4, true);
	in = DECODE(i_testl, r);
	expect_access(&in, 0, RDI(r), 4, false);
	in = DECODE(i_sib_index, r);
	expect_access(&in, 0, r.gpr[3] + r.gpr[12] * 8 + 8, 2, true);
	in = DECODE(i_xchg, r);
	expect_access(&in, 0, RBP(r) - 4, 4, true);
	in = DECODE(i_setcc, r);
	expect_access(&in, 0, RSI(r), 1, true);
	in = DECODE(i_movzx, r);
	expect_access(&in, 0, RSI(r), 2, false);
	in = DECODE(i_bt_imm, r);
	expect_access(&in, 0, RDI(r), 8, true);
	in = DECODE(i_imul_imm, r);
	expect_access(&in, 0, RSI(r), 4, false);
	in = DECODE(i_movabs_store, r);
	expect_access(&in, 0, 0x1122334455667788, 8, true);
	in = DECODE(i_fnstcw, r);
	expect_access(&in, 0, RDI(r), 2, true);
	in = DECODE(i_fxsave, r);
	expect_access(&in, 0, RDI(r), 512, true);
}

static void vector_operands(void **state)
{
	(void)state;
	struct insn_regs r = regs();
	struct insn in = DECODE(i_vmovdqa_ymm, r);
	expect_access(&in, 0, RDI(r), 32, true);
	in = DECODE(i_vmovdqu64_zmm, r);
	expect_access(&in, 0, RDI(r) + 0x40, 64, true); /* EVEX disp8 * 64 */
	in = DECODE(i_movdqa_store, r);
	expect_access(&in, 0, RDI(r), 16, true);
	in = DECODE(i_movss_store, r);
	expect_access(&in, 0, RDI(r), 4, true);
	in = DECODE(i_vextractf128, r);
	expect_access(&in, 0, RDI(r), 16, true);
	in = DECODE(i_pextrd, r);
	expect_access(&in, 0, RDI(r), 4, true);
	in = DECODE(i_vpbroadcast, r);
	assert_false(in.access[0].write);
}

static void implied_operands(void **state)
{
	(void)state;
	struct insn_regs r = regs();
	struct insn in = DECODE(i_push, r);
	expect_access(&in, 0, RSP(r) - 8, 8, true);
	in = DECODE(i_ret, r);
	expect_access(&in, 0, RSP(r), 8, false);
	in = DECODE(i_call, r);
	expect_access(&in, 0, RSP(r) - 8, 8, true);
	in = DECODE(i_call_riprel, r);
	expect_access(&in, 0, r.rip + in.length + 0x100, 8, false);
	expect_access(&in, 1, RSP(r) - 8, 8, true);
	in = DECODE(i_pop_mem, r);
	expect_access(&in, 0, RSP(r), 8, false);
	expect_access(&in, 1, RDI(r), 8, true);
	in = DECODE(i_leave, r);
	expect_access(&in, 0, RBP(r), 8, false);
	in = DECODE(i_enter, r);
	expect_access(&in, 0, RSP(r) - 8, 8, true);
	in = DECODE(i_pushf, r);
	assert_int_equal(in.kind, INSN_PUSHF);
	expect_access(&in, 0, RSP(r) - 8, 8, true);
	in = DECODE(i_popf, r);
	assert_int_equal(in.kind, INSN_POPF);
	in = DECODE(i_rep_movsb, r);
	expect_access(&in, 0, RSI(r), 1, false);
	expect_access(&in, 1, RDI(r), 1, true);
	r.gpr[1] = 0; /* rep with RCX 0: nothing */
	in = DECODE(i_rep_movsb, r);
	assert_int_equal(in.n_accesses, 0);
}

static void no_memory(void **state)
{
	(void)state;
	struct insn_regs r = regs();
	struct insn in = DECODE(i_lea, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_movabs_imm, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_je, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_clflush, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_prefetch, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_rdfsbase, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_wrmsr, r);
	assert_int_equal(in.n_accesses, 0);
	in = DECODE(i_syscall, r);
	assert_int_equal(in.kind, INSN_SYSCALL);
	in = DECODE(i_icebp, r);
	assert_int_equal(in.kind, INSN_ICEBP);
}

/* Bytes that run out, or that 64-bit mode does not have, decode to
 * nothing rather than past the buffer (ASan watches). */
static void truncated_and_invalid(void **state)
{
	(void)state;
	struct insn_regs r = regs();
	struct insn in;
	unsigned n = (unsigned)(i_movl_stack_end - i_movl_stack);
	for (unsigned cut = 0; cut < n; cut++) {
		uint8_t *copy = test_malloc(cut ? cut : 1);
		memcpy(copy, i_movl_stack, cut);
		assert_false(insn_decode(copy, cut, &r, &in));
		assert_int_equal(in.length, 0);
		test_free(copy);
	}
	static const uint8_t invalid[] = {0x06},
			     prefixes[16] = {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90};
	assert_false(insn_decode(invalid, sizeof(invalid), &r, &in));
	assert_false(insn_decode(prefixes, sizeof(prefixes), &r, &in)); /* over 15 bytes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(explicit_operands),     cmocka_unit_test(vector_operands),
	    cmocka_unit_test(implied_operands),	     cmocka_unit_test(no_memory),
	    cmocka_unit_test(truncated_and_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
