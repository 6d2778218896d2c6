// SPDX-License-Identifier: MIT
/*
 * insn.c - which memory an x86-64 instruction is about to touch (insn.h).
 *
 * A length decoder (prefixes, REX, VEX, EVEX, the one-byte, 0f, 0f38 and
 * 0f3a maps, ModRM, SIB, displacement, immediates) that also computes the
 * effective address of the memory operand from the registers, plus the
 * operands the opcode implies: the stack, string pointers, moffs.  Sizes
 * and directions follow the opcode; where an opcode's width depends on
 * details this decoder does not model (x87 environments, XSAVE areas, EVEX
 * element sizes) it errs on the wide side.  Gather/scatter (VSIB) operands
 * are not listed: their addresses come from vector registers.  AMD's XOP
 * encodings (8f with a map above 7, on no Zen CPU) decode as `pop`.
 */
#include "insn.h"

enum { SEG_DEFAULT, SEG_FS, SEG_GS };
enum { MAP_ONE, MAP_0F, MAP_0F38, MAP_0F3A };

struct decoder {
	const uint8_t *bytes;
	unsigned avail, at;
	const struct insn_regs *regs;
	struct insn *out;
	unsigned rex; /* 0100WRXB, or the same bits from VEX/EVEX */
	bool opsize16, addr32, rep, repne, vex, evex;
	unsigned seg, map;
	unsigned vector_bytes; /* VEX/EVEX: 16, 32 or 64 */
	uint8_t opcode, modrm;
	bool memory; /* ModRM names memory */
	bool rip_relative;
	uint64_t ea; /* without RIP for rip_relative, which needs the length */
};

#define REX_W 8u
#define REX_R 4u
#define REX_X 2u
#define REX_B 1u

static bool next(struct decoder *d, uint8_t *b)
{
	if (d->at >= d->avail || d->at >= INSN_MAX_LENGTH)
		return false;
	*b = d->bytes[d->at++];
	return true;
}

static bool advance(struct decoder *d, unsigned n)
{
	if (d->at + n > d->avail || d->at + n > INSN_MAX_LENGTH)
		return false;
	d->at += n;
	return true;
}

static int64_t signed_bytes(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	unsigned shift = 64 - 8 * n;
	return (int64_t)(v << shift) >> shift;
}

static unsigned reg_field(const struct decoder *d)
{
	return (d->modrm >> 3) & 7;
}

static unsigned operand_size(const struct decoder *d)
{
	return d->rex & REX_W ? 8 : d->opsize16 ? 2 : 4;
}

/* Push, pop, call, ret: 8 bytes unless 66. */
static unsigned stack_size(const struct decoder *d)
{
	return d->opsize16 ? 2 : 8;
}

static uint64_t segment_base(const struct decoder *d)
{
	return d->seg == SEG_FS ? d->regs->fs_base : d->seg == SEG_GS ? d->regs->gs_base : 0;
}

static uint64_t address(const struct decoder *d, uint64_t offset)
{
	return d->addr32 ? (uint32_t)offset : offset;
}

static void add(struct decoder *d, uint64_t address, uint32_t size, bool write)
{
	struct insn *o = d->out;
	if (o->n_accesses < INSN_MAX_ACCESSES && size)
		o->access[o->n_accesses++] = (struct insn_access){address, size, write};
}

/* The ModRM operand, if it is memory. */
static void add_memory(struct decoder *d, uint32_t size, bool write)
{
	if (d->memory)
		add(d, d->ea, size, write);
}

static bool parse_modrm(struct decoder *d)
{
	if (!next(d, &d->modrm))
		return false;
	unsigned mod = d->modrm >> 6, rm = d->modrm & 7;
	if (mod == 3)
		return true;
	d->memory = true;
	uint64_t ea = 0;
	if (rm == 4) {
		uint8_t sib;
		if (!next(d, &sib))
			return false;
		unsigned index = ((sib >> 3) & 7) | (d->rex & REX_X ? 8 : 0);
		unsigned base = (sib & 7) | (d->rex & REX_B ? 8 : 0);
		if (index != 4)
			ea += d->regs->gpr[index] << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			if (!advance(d, 4))
				return false;
			ea += (uint64_t)signed_bytes(d->bytes + d->at - 4, 4);
		} else {
			ea += d->regs->gpr[base];
		}
	} else if (rm == 5 && mod == 0) {
		if (!advance(d, 4))
			return false;
		d->rip_relative = true;
		ea = (uint64_t)signed_bytes(d->bytes + d->at - 4, 4);
	} else {
		ea = d->regs->gpr[rm | (d->rex & REX_B ? 8 : 0)];
	}
	unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (!advance(d, disp))
		return false;
	if (disp) {
		int64_t v = signed_bytes(d->bytes + d->at - disp, disp);
		/* EVEX's disp8 counts in units of the operand: taken as the
		 * full vector, the usual case. */
		if (d->evex && disp == 1)
			v *= d->vector_bytes;
		ea += (uint64_t)v;
	}
	d->ea = ea;
	return true;
}

/* ---- the one-byte map -------------------------------------------------- */

static bool one_byte_has_modrm(uint8_t op)
{
	if (op < 0x40)
		return (op & 7) < 4;
	switch (op) {
	case 0x63:
	case 0x69:
	case 0x6b:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xc7:
	case 0xf6:
	case 0xf7:
	case 0xfe:
	case 0xff:
		return true;
	default:
		return (op >= 0x80 && op <= 0x8f) || (op >= 0xd0 && op <= 0xd3) ||
		       (op >= 0xd8 && op <= 0xdf);
	}
}

/* Opcodes 64-bit mode does not have (prefixes are taken before). */
static bool one_byte_invalid(uint8_t op)
{
	switch (op) {
	case 0x06:
	case 0x07:
	case 0x0e:
	case 0x16:
	case 0x17:
	case 0x1e:
	case 0x1f:
	case 0x27:
	case 0x2f:
	case 0x37:
	case 0x3f:
	case 0x60:
	case 0x61:
	case 0x82:
	case 0x9a:
	case 0xce:
	case 0xd4:
	case 0xd5:
	case 0xd6:
	case 0xea:
		return true;
	default:
		return false;
	}
}

static unsigned one_byte_immediate(const struct decoder *d)
{
	uint8_t op = d->opcode;
	unsigned z = d->opsize16 ? 2 : 4;
	if (op < 0x40)
		return (op & 7) == 4 ? 1 : (op & 7) == 5 ? z : 0;
	if ((op >= 0x70 && op <= 0x7f) || (op >= 0xb0 && op <= 0xb7) || (op >= 0xe0 && op <= 0xe7))
		return 1;
	if (op >= 0xb8 && op <= 0xbf)
		return d->rex & REX_W ? 8 : z;
	if (op >= 0xa0 && op <= 0xa3)
		return d->addr32 ? 4 : 8;
	switch (op) {
	case 0x6a:
	case 0x6b:
	case 0x80:
	case 0x83:
	case 0xa8:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xcd:
	case 0xeb:
		return 1;
	case 0x68:
	case 0x69:
	case 0x81:
	case 0xa9:
	case 0xc7:
		return z;
	case 0xe8:
	case 0xe9:
		return 4;
	case 0xc2:
	case 0xca:
		return 2;
	case 0xc8:
		return 3;
	case 0xf6:
		return reg_field(d) < 2 ? 1 : 0;
	case 0xf7:
		return reg_field(d) < 2 ? z : 0;
	default:
		return 0;
	}
}

/* x87 stores, by opcode and ModRM.reg: their sizes; 0 for loads. */
static unsigned x87_store_size(uint8_t op, unsigned reg)
{
	switch (op) {
	case 0xd9:
		return reg == 2 || reg == 3 ? 4 : reg == 6 ? 28 : reg == 7 ? 2 : 0;
	case 0xdb:
		return reg >= 1 && reg <= 3 ? 4 : reg == 7 ? 10 : 0;
	case 0xdd:
		return reg >= 1 && reg <= 3 ? 8 : reg == 6 ? 108 : reg == 7 ? 2 : 0;
	case 0xdf:
		return reg >= 1 && reg <= 3 ? 2 : reg == 6 ? 10 : reg == 7 ? 8 : 0;
	default:
		return 0;
	}
}

static void string_accesses(struct decoder *d, unsigned size)
{
	const struct insn_regs *r = d->regs;
	uint64_t count = d->addr32 ? (uint32_t)r->gpr[1] : r->gpr[1];
	if ((d->rep || d->repne) && count == 0)
		return;
	uint64_t src = segment_base(d) + address(d, r->gpr[6]), dst = address(d, r->gpr[7]);
	switch (d->opcode & ~1u) {
	case 0xa4: /* movs */
		add(d, src, size, false);
		add(d, dst, size, true);
		break;
	case 0xa6: /* cmps */
		add(d, src, size, false);
		add(d, dst, size, false);
		break;
	case 0xaa: /* stos */
		add(d, dst, size, true);
		break;
	case 0xac: /* lods */
		add(d, src, size, false);
		break;
	default: /* scas */
		add(d, dst, size, false);
		break;
	}
}

static void one_byte_accesses(struct decoder *d)
{
	const struct insn_regs *r = d->regs;
	uint8_t op = d->opcode;
	unsigned osz = operand_size(d), reg = reg_field(d), ssz = stack_size(d);
	uint64_t rsp = r->gpr[4];
	if (op < 0x40) { /* add, or, adc, sbb, and, sub, xor, cmp */
		bool to_memory = !(op & 2), cmp = (op & 0x38) == 0x38;
		add_memory(d, op & 1 ? osz : 1, to_memory && !cmp);
		return;
	}
	if ((op >= 0x50 && op <= 0x57) || op == 0x68 || op == 0x6a || op == 0xe8) {
		add(d, rsp - ssz, ssz, true);
		return;
	}
	if (op >= 0x58 && op <= 0x5f) {
		add(d, rsp, ssz, false);
		return;
	}
	if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf)) {
		string_accesses(d, op & 1 ? osz : 1);
		return;
	}
	if (op >= 0xa0 && op <= 0xa3) {
		uint64_t moffs = (uint64_t)signed_bytes(d->bytes + d->at - (d->addr32 ? 4 : 8),
							d->addr32 ? 4 : 8);
		add(d, segment_base(d) + address(d, moffs), op & 1 ? osz : 1, op >= 0xa2);
		return;
	}
	if (op >= 0xd8 && op <= 0xdf) {
		unsigned store = x87_store_size(op, reg);
		add_memory(d, store ? store : 10, store != 0);
		return;
	}
	switch (op) {
	case 0x63:
		add_memory(d, 4, false);
		break;
	case 0x69:
	case 0x6b:
	case 0x8b:
		add_memory(d, osz, false);
		break;
	case 0x80:
	case 0x81:
	case 0x83:
		add_memory(d, op == 0x80 ? 1 : osz, reg != 7);
		break;
	case 0x84:
	case 0x85:
	case 0x8a:
		add_memory(d, op & 1 ? osz : 1, false);
		break;
	case 0x86:
	case 0x87:
	case 0x88:
	case 0x89:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xc7:
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		add_memory(d, op & 1 ? osz : 1, true);
		break;
	case 0x8c:
		add_memory(d, 2, true);
		break;
	case 0x8e:
		add_memory(d, 2, false);
		break;
	case 0x8f:
		add(d, rsp, ssz, false);
		add_memory(d, ssz, true);
		break;
	case 0x9c:
		d->out->kind = INSN_PUSHF;
		add(d, rsp - ssz, ssz, true);
		break;
	case 0x9d:
		d->out->kind = INSN_POPF;
		add(d, rsp, ssz, false);
		break;
	case 0xc2:
	case 0xc3:
		add(d, rsp, 8, false);
		break;
	case 0xc8:
		add(d, rsp - 8, 8, true);
		break;
	case 0xc9:
		add(d, r->gpr[5], 8, false);
		break;
	case 0xcf:
		add(d, rsp, 40, false);
		break;
	case 0xd7: /* xlat */
		add(d, segment_base(d) + address(d, r->gpr[3] + (uint8_t)r->gpr[0]), 1, false);
		break;
	case 0xf1:
		d->out->kind = INSN_ICEBP;
		break;
	case 0xf6:
	case 0xf7:
		add_memory(d, op == 0xf6 ? 1 : osz, reg == 2 || reg == 3);
		break;
	case 0xfe:
		add_memory(d, 1, reg < 2);
		break;
	case 0xff:
		if (reg < 2) {
			add_memory(d, osz, true);
		} else if (reg == 2 || reg == 6) { /* call, push */
			add_memory(d, 8, false);
			add(d, rsp - 8, 8, true);
		} else if (reg == 4) {
			add_memory(d, 8, false);
		} else {
			add_memory(d, 10, false); /* far call, far jmp */
		}
		break;
	default:
		break;
	}
}

/* ---- the 0f, 0f38 and 0f3a maps, legacy and VEX/EVEX -------------------- */

static bool two_byte_has_modrm(uint8_t op)
{
	if ((op >= 0x30 && op <= 0x37) || (op >= 0x80 && op <= 0x8f) || (op >= 0xc8 && op <= 0xcf))
		return false;
	switch (op) {
	case 0x05:
	case 0x06:
	case 0x07:
	case 0x08:
	case 0x09:
	case 0x0b:
	case 0x0e:
	case 0x77:
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa8:
	case 0xa9:
	case 0xaa:
		return false;
	default:
		return true;
	}
}

static unsigned two_byte_immediate(const struct decoder *d)
{
	uint8_t op = d->opcode;
	if (d->map == MAP_0F3A)
		return 1;
	if (d->map != MAP_0F)
		return 0;
	if (op >= 0x80 && op <= 0x8f)
		return d->vex ? 0 : 4;
	switch (op) {
	case 0x0f:
	case 0x70:
	case 0x71:
	case 0x72:
	case 0x73:
	case 0xa4:
	case 0xac:
	case 0xba:
	case 0xc2:
	case 0xc4:
	case 0xc5:
	case 0xc6:
		return 1;
	default:
		return 0;
	}
}

/* A vector operand: its width from VEX/EVEX.L, 66 or F3 (16) or MMX (8). */
static unsigned vector_size(const struct decoder *d)
{
	if (d->vex)
		return d->vector_bytes;
	return d->opsize16 || d->rep || d->repne ? 16 : 8;
}

/* Scalar forms (F3: single, F2: double) of the packed moves. */
static unsigned packed_or_scalar(const struct decoder *d)
{
	return d->rep ? 4 : d->repne ? 8 : vector_size(d) < 16 ? 16 : vector_size(d);
}

static void map_0f_accesses(struct decoder *d)
{
	uint8_t op = d->opcode;
	unsigned osz = operand_size(d), reg = reg_field(d);
	uint64_t rsp = d->regs->gpr[4];
	if (op == 0x05) {
		d->out->kind = INSN_SYSCALL;
		return;
	}
	if (op == 0xa0 || op == 0xa8) { /* push fs, gs */
		add(d, rsp - 8, 8, true);
		return;
	}
	if (op == 0xa1 || op == 0xa9) {
		add(d, rsp, 8, false);
		return;
	}
	if (!d->memory)
		return;
	if (op == 0x0d || (op >= 0x18 && op <= 0x1f))
		return; /* prefetches and hint nops touch nothing */
	if (op >= 0x40 && op <= 0x4f) {
		add_memory(d, osz, false);
		return;
	}
	if (op >= 0x90 && op <= 0x9f) {
		add_memory(d, 1, true);
		return;
	}
	switch (op) {
	case 0x00:
		add_memory(d, 2, reg < 2);
		return;
	case 0x01:
		if (reg != 7) /* invlpg touches nothing */
			add_memory(d, reg == 4 ? 2 : 10, reg < 2 || reg == 4);
		return;
	case 0x10:
	case 0x11:
		add_memory(d, packed_or_scalar(d), op == 0x11);
		return;
	case 0x12:
	case 0x13:
	case 0x16:
	case 0x17:
		add_memory(d, 8, op & 1);
		return;
	case 0x28:
	case 0x29:
	case 0x2b:
		add_memory(d, vector_size(d) < 16 ? 16 : vector_size(d), op != 0x28);
		return;
	case 0x7e: /* movd/movq to memory; F3: movq from memory */
		if (d->rep)
			add_memory(d, 8, false);
		else
			add_memory(d, d->rex & REX_W ? 8 : 4, true);
		return;
	case 0x7f:
	case 0xe7:
		add_memory(d, vector_size(d), true);
		return;
	case 0xd6:
		add_memory(d, 8, true);
		return;
	case 0xa3:
	case 0xaf:
	case 0xb8:
	case 0xbc:
	case 0xbd:
		add_memory(d, osz, false);
		return;
	case 0xa4:
	case 0xa5:
	case 0xab:
	case 0xac:
	case 0xad:
	case 0xb3:
	case 0xbb:
	case 0xc1:
	case 0xc3:
		add_memory(d, osz, true);
		return;
	case 0xb0:
	case 0xc0:
		add_memory(d, 1, true);
		return;
	case 0xb1:
		add_memory(d, osz, true);
		return;
	case 0xb6:
	case 0xbe:
		add_memory(d, 1, false);
		return;
	case 0xb7:
	case 0xbf:
		add_memory(d, 2, false);
		return;
	case 0xba:
		add_memory(d, osz, reg > 4);
		return;
	case 0xc7: /* cmpxchg8b/16b */
		add_memory(d, d->rex & REX_W ? 16 : 8, reg == 1);
		return;
	case 0xae:
		if (reg == 7)
			return; /* clflush */
		if (reg < 2)
			add_memory(d, 512, reg == 0); /* fxsave, fxrstor */
		else if (reg < 4)
			add_memory(d, 4, reg == 3); /* ldmxcsr, stmxcsr */
		else
			add_memory(d, 4096, reg != 5); /* xsave, xrstor, xsaveopt */
		return;
	default:
		add_memory(d, op >= 0x50 ? vector_size(d) : osz, false);
		return;
	}
}

static void map_0f38_accesses(struct decoder *d)
{
	uint8_t op = d->opcode;
	if (!d->memory)
		return;
	if (!d->vex && op == 0xf1 && !d->repne) { /* movbe store */
		add_memory(d, operand_size(d), true);
		return;
	}
	if (!d->vex && (op == 0xf0 || op == 0xf1)) { /* movbe load, crc32 */
		add_memory(d, op == 0xf0 && d->repne ? 1 : operand_size(d), false);
		return;
	}
	if (d->vex && ((op >= 0x90 && op <= 0x93) || (op >= 0xa0 && op <= 0xa3)))
		return; /* gather, scatter: addresses in a vector register */
	bool store = d->vex && (op == 0x2e || op == 0x2f || op == 0x8e || op == 0x8a ||
				op == 0x8b || op == 0x63);
	add_memory(d, d->vex ? d->vector_bytes : 16, store);
}

static void map_0f3a_accesses(struct decoder *d)
{
	uint8_t op = d->opcode;
	if (!d->memory)
		return;
	switch (op) {
	case 0x14:
		add_memory(d, 1, true);
		return;
	case 0x15:
		add_memory(d, 2, true);
		return;
	case 0x16:
		add_memory(d, d->rex & REX_W ? 8 : 4, true);
		return;
	case 0x17:
		add_memory(d, 4, true);
		return;
	case 0x19:
	case 0x39:
		add_memory(d, 16, true);
		return;
	case 0x1b:
	case 0x3b:
		add_memory(d, 32, true);
		return;
	case 0x1d:
		add_memory(d, d->vector_bytes > 16 ? 16 : 8, true);
		return;
	default:
		add_memory(d, d->vex ? d->vector_bytes : 16, false);
		return;
	}
}

/* VEX (c4, c5) and EVEX (62) prefixes: map, REX bits, 66/F3/F2, width. */
static bool parse_vex(struct decoder *d, uint8_t first)
{
	uint8_t p0, p1, p2;
	if (!next(d, &p0))
		return false;
	d->vex = true;
	unsigned pp;
	if (first == 0xc5) {
		d->rex = p0 & 0x80 ? 0 : REX_R;
		d->map = MAP_0F;
		pp = p0 & 3;
		d->vector_bytes = p0 & 4 ? 32 : 16;
	} else {
		if (!next(d, &p1))
			return false;
		d->rex = ((~p0 >> 5) & 7) | (p1 & 0x80 ? REX_W : 0);
		d->map = p0 & (first == 0x62 ? 7 : 0x1f);
		pp = p1 & 3;
		if (first == 0x62) {
			d->evex = true;
			if (!next(d, &p2))
				return false;
			unsigned ll = (p2 >> 5) & 3;
			d->vector_bytes = 16u << (ll > 2 ? 2 : ll);
		} else {
			d->vector_bytes = p1 & 4 ? 32 : 16;
		}
	}
	if (d->map < MAP_0F || d->map > MAP_0F3A)
		return false;
	d->opsize16 = pp == 1;
	d->rep = pp == 2;
	d->repne = pp == 3;
	return next(d, &d->opcode);
}

bool insn_decode(const uint8_t *bytes, unsigned avail, const struct insn_regs *regs,
		 struct insn *out)
{
	struct decoder d = {.bytes = bytes, .avail = avail, .regs = regs, .out = out};
	*out = (struct insn){0};
	uint8_t b;
	for (;;) { /* legacy prefixes, then REX right before the opcode */
		if (!next(&d, &b))
			return false;
		if (b == 0x66)
			d.opsize16 = true;
		else if (b == 0x67)
			d.addr32 = true;
		else if (b == 0xf3)
			d.rep = true, d.repne = false;
		else if (b == 0xf2)
			d.repne = true, d.rep = false;
		else if (b == 0x64)
			d.seg = SEG_FS;
		else if (b == 0x65)
			d.seg = SEG_GS;
		else if (b != 0xf0 && b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e)
			break;
	}
	if ((b & 0xf0) == 0x40) {
		d.rex = b & 0xf;
		if (!next(&d, &b))
			return false;
	}
	bool has_modrm;
	if (b == 0xc4 || b == 0xc5 || b == 0x62) {
		if (!parse_vex(&d, b))
			return false;
		has_modrm = d.map != MAP_0F || two_byte_has_modrm(d.opcode);
	} else if (b == 0x0f) {
		if (!next(&d, &b))
			return false;
		d.map = MAP_0F;
		if (b == 0x38 || b == 0x3a) {
			d.map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
			if (!next(&d, &b))
				return false;
		}
		d.opcode = b;
		has_modrm = d.map != MAP_0F || two_byte_has_modrm(b);
	} else {
		if (one_byte_invalid(b))
			return false;
		d.opcode = b;
		d.map = MAP_ONE;
		has_modrm = one_byte_has_modrm(b);
	}
	if (d.opsize16 && (d.rex & REX_W))
		d.opsize16 = false;
	if (has_modrm && !parse_modrm(&d))
		return false;
	unsigned imm = d.map == MAP_ONE ? one_byte_immediate(&d) : two_byte_immediate(&d);
	if (!advance(&d, imm))
		return false;
	out->length = d.at;
	if (d.rip_relative)
		d.ea += regs->rip + d.at;
	d.ea = segment_base(&d) + address(&d, d.ea);
	switch (d.map) {
	case MAP_ONE:
		one_byte_accesses(&d);
		break;
	case MAP_0F:
		map_0f_accesses(&d);
		break;
	case MAP_0F38:
		map_0f38_accesses(&d);
		break;
	default:
		map_0f3a_accesses(&d);
		break;
	}
	return true;
}
