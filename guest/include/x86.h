/* SPDX-License-Identifier: MIT */
/*
 * x86.h - the privileged instructions themselves.  Only backends (pv/) and
 * early boot code use these; everything else goes through pv_ops.
 */
#ifndef PVKERNEL_X86_H
#define PVKERNEL_X86_H

#include <stdint.h>

#define X86_EFLAGS_IF (1ul << 9)
#define X86_CR0_PG    (1ul << 31)
#define X86_CR0_PE    (1ul << 0)

#define MSR_APIC_BASE	   0x1b
#define MSR_EFER	   0xc0000080
#define MSR_STAR	   0xc0000081
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_DEADLINE   0x6e0
#define EFER_LME	   (1ul << 8)
#define EFER_LMA	   (1ul << 10)

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_flags(void)
{
	uint64_t f;
	asm volatile("pushfq; popq %0" : "=r"(f) : : "memory");
	return f;
}

static inline void cpuid_raw(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	asm volatile("cpuid"
		     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
		     : "a"(leaf), "c"(sub));
}

static inline uint16_t read_cs(void)
{
	uint16_t cs;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

#endif
