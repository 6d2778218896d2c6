/* SPDX-License-Identifier: MIT */
/*
 * native.c - the backend for real (or fully emulated) PC hardware: ring 0,
 * the instructions themselves, the 8250 UART, the LAPIC timer, the TSC
 * measured against the PIT, the CMOS clock, and power-off through the
 * isa-debug-exit port (QEMU, pvkit) or ACPI S5 at the port SeaBIOS puts
 * QEMU's PM block at.
 *
 * Other backends name the functions here for what they do not
 * paravirtualize (pv/backend.h's groups), so this file is also "what a
 * privileged op really is".
 */
#include "boot/bootparam.h"
#include "backend.h"

/* QEMU i440fx PIIX4 PM1a control as SeaBIOS programs it; SLP_EN | S5. */
#define ACPI_PM1A_CNT_QEMU 0x604
#define ACPI_SLP_EN_S5	   0x2000

static uint64_t tsc_at_boot;
static uint64_t tsc_khz;
static uint64_t ns_per_tsc_q32; /* ns per TSC tick, 32.32 fixed point */
static uint64_t wall_at_boot_ns;

uint64_t native_irq_save(void)
{
	uint64_t f = read_flags();
	asm volatile("cli" : : : "memory");
	return f;
}

void native_irq_restore(uint64_t flags)
{
	if (flags & X86_EFLAGS_IF)
		asm volatile("sti" : : : "memory");
	else
		asm volatile("cli" : : : "memory");
}

uint64_t native_save_flags(void)
{
	return read_flags();
}

void native_irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

void native_irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

/* sti's one-instruction shadow makes "sti; hlt" race-free. */
void native_safe_halt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

uint64_t native_read_cr3(void)
{
	uint64_t v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

void native_write_cr3(uint64_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

uint64_t native_read_cr2(void)
{
	uint64_t v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void native_flush_tlb_all(void)
{
	native_write_cr3(native_read_cr3());
}

void native_flush_tlb_one(uint64_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

void native_set_pte(uint64_t *ptep, uint64_t val)
{
	*(volatile uint64_t *)ptep = val;
}

void native_load_idt(const struct desc_ptr *dp)
{
	asm volatile("lidt %0" : : "m"(*dp));
}

void native_load_gdt(const struct desc_ptr *dp)
{
	asm volatile("lgdt %0" : : "m"(*dp));
}

int native_read_msr_safe(uint32_t msr, uint64_t *val)
{
	fault_expect.vector = VEC_GP;
	return probe_rdmsr(msr, val);
}

int native_write_msr_safe(uint32_t msr, uint64_t val)
{
	fault_expect.vector = VEC_GP;
	return probe_wrmsr(msr, val);
}

void native_cpuid(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	cpuid_raw(leaf, sub, r);
}

static uint64_t native_monotonic_ns(void)
{
	uint64_t d = rdtsc() - tsc_at_boot;
	return (uint64_t)(((unsigned __int128)d * ns_per_tsc_q32) >> 32);
}

static uint64_t native_wall_clock_ns(void)
{
	return wall_at_boot_ns ? wall_at_boot_ns + native_monotonic_ns() : 0;
}

static int native_timer_start(uint32_t hz, uint8_t vector)
{
	return lapic_timer_start(hz, vector, native_monotonic_ns);
}

NORETURN void native_power_off(int status)
{
	asm volatile("cli");
	outb(DEBUG_EXIT_PORT, (uint8_t)status);
	/* No debug-exit device: ACPI S5 (status is lost), then stop. */
	asm volatile("outw %0, %1"
		     :
		     : "a"((uint16_t)ACPI_SLP_EN_S5), "Nd"((uint16_t)ACPI_PM1A_CNT_QEMU));
	for (;;)
		asm volatile("hlt");
}

/* Native needs ring 0: the probe of last resort. */
bool native_probe(const struct boot_info *bi, char *how_or_why, size_t size)
{
	if (bi->entry_cpl != 0) {
		snprintf(how_or_why, size, "not in ring 0");
		return false;
	}
	snprintf(how_or_why, size, "probe (ring %u, paging %s at entry)", bi->entry_cpl,
		 bi->entry_paging ? "on" : "off");
	return true;
}

/* A loader that says "PC" means the PC interface, hypervisor or not. */
bool native_named_by(const struct boot_info *bi, char *how, size_t size)
{
	snprintf(how, size, "hardware_subarch=0 (PC)");
	return bi->has_boot_params && bi->hardware_subarch == X86_SUBARCH_PC;
}

/* The PC platform: the legacy PIC masked, the TSC measured, the RTC read. */
int native_start(const struct boot_info *bi)
{
	(void)bi;
	pic_disable();
	tsc_khz = pit_measure_tsc_khz();
	if (!tsc_khz) {
		printk("native: PIT did not answer, assuming a 1 GHz TSC\n");
		tsc_khz = 1000000;
	}
	ns_per_tsc_q32 = (1000000ull << 32) / tsc_khz;
	tsc_at_boot = rdtsc();
	wall_at_boot_ns = rtc_read_unix_ns();
	printk("native: TSC %lu kHz (PIT), RTC %s\n", tsc_khz,
	       wall_at_boot_ns ? "present" : "absent");
	return 0;
}

const struct pv_ops native_pv_ops = {
    .name = "native",
    PV_RING0_CPU_OPS,
    PV_COMMON_OPS,
    .safe_halt = native_safe_halt,
    .monotonic_ns = native_monotonic_ns,
    .wall_clock_ns = native_wall_clock_ns,
    .console_write = uart_write,
    .timer_start = native_timer_start,
    .power_off = native_power_off,
};
