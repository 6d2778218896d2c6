// SPDX-License-Identifier: MIT
/*
 * fsgs-check.c - run inside a Linux guest: do a user process's FS and GS
 * bases, segment selectors, SSE and AVX registers stay what it set while the
 * kernel interrupts it, switches to other processes and back?
 *
 *	fsgs-check SECONDS [PROCESSES]
 *
 * Each of PROCESSES (default 2) gives itself its own FS base (arch_prctl)
 * and its own values in %xmm0-15 (and the upper halves of %ymm0-15 where
 * user-mode CPUID and XCR0 say AVX works), then for SECONDS checks them in
 * a tight loop: %fs:0 (a TLS load, as libc's), rdfsbase and rdgsbase (this
 * host's CPUs let user mode read the bases), %ds/%es/%fs/%gs, every vector
 * register.
 * Between rounds of checks it enters the kernel both ways a process does:
 * a system call (ARCH_GET_FS, whose answer is checked too) and a page fault
 * (a page dropped with MADV_DONTNEED, then written and read back).  Several
 * processes make the guest kernel switch FS bases between them on its timer
 * tick.  Prints one line per process, "fsgs-check: ok ..." or what
 * changed, and exits 1 if anything did.
 *
 * Freestanding (no libc): raw system calls, so that nothing but this loop
 * touches the state it checks.
 */
#include <stdint.h>

#define SYS_write	  1
#define SYS_getppid	  110
#define SYS_fork	  57
#define SYS_wait4	  61
#define SYS_exit	  60
#define SYS_arch_prctl	  158
#define SYS_clock_gettime 228
#define ARCH_SET_FS	  0x1002
#define ARCH_GET_FS	  0x1003
#define CLOCK_MONOTONIC	  1
#define MAX_PROCESSES	  8
#define SYS_mmap	  9
#define SYS_madvise	  28
#define MADV_DONTNEED	  4
#define CHECKS_PER_ENTRY  2000

static long sys3(long nr, long a0, long a1, long a2)
{
	long ret;
	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
		     : "rcx", "r11", "memory");
	return ret;
}

static long sys4(long nr, long a0, long a1, long a2, long a3)
{
	register long r10 asm("r10") = a3;
	long ret;
	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
		     : "rcx", "r11", "memory");
	return ret;
}

static long sys6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 asm("r10") = a3;
	register long r8 asm("r8") = a4;
	register long r9 asm("r9") = a5;
	long ret;
	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

static unsigned long str_len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

/* Appends s to buf at *at (buf is 256 bytes). */
static void put_str(char *buf, unsigned *at, const char *s)
{
	while (*s && *at < 255)
		buf[(*at)++] = *s++;
}

static void put_hex(char *buf, unsigned *at, uint64_t v)
{
	char d[19] = "0x";
	for (int i = 0; i < 16; i++)
		d[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	d[18] = 0;
	put_str(buf, at, d);
}

static void put_dec(char *buf, unsigned *at, uint64_t v)
{
	char d[21];
	int n = 20;
	d[n] = 0;
	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(buf, at, d + n);
}

static void say(const char *buf, unsigned n)
{
	sys3(SYS_write, 1, (long)buf, n);
}

static uint64_t now_ns(void)
{
	long ts[2];
	sys3(SYS_clock_gettime, CLOCK_MONOTONIC, (long)ts, 0);
	return (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
}

/* What a process expects; the TLS block's first word points at itself, as
 * x86-64 libcs arrange. */
struct expected {
	uint64_t tls[8];
	uint64_t gs_base;
	uint64_t sel[4]; /* %ds, %es, %fs, %gs */
	uint64_t xmm_seed;
	int avx; /* user-mode CPUID and XCR0 say AVX works: check %ymm's upper halves too */
};

struct finding {
	const char *what; /* NULL: nothing changed */
	uint64_t expected, found;
};

static uint64_t xmm_value(uint64_t seed, unsigned reg)
{
	return seed * 0x9e3779b97f4a7c15ull + reg * 0x0101010101010101ull + 1;
}

/* AVX usable in user mode: CPUID.1:ECX OSXSAVE and AVX, XCR0 SSE and AVX. */
static int avx_usable(void)
{
	uint32_t a, b, c, d;
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return 0;
	uint32_t lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

/* %xmm/%ymm 0-15, one statement each: the register number must be a literal. */
#define EACH_VECTOR_REGISTER(X)                                                                    \
	X(0);                                                                                      \
	X(1);                                                                                      \
	X(2);                                                                                      \
	X(3);                                                                                      \
	X(4);                                                                                      \
	X(5);                                                                                      \
	X(6);                                                                                      \
	X(7);                                                                                      \
	X(8);                                                                                      \
	X(9);                                                                                      \
	X(10);                                                                                     \
	X(11);                                                                                     \
	X(12);                                                                                     \
	X(13);                                                                                     \
	X(14);                                                                                     \
	X(15)

/* The upper halves of %ymm0-15: seed's values, with the lower halves kept. */
static void load_ymm_upper(uint64_t seed)
{
	uint64_t v[16][2] __attribute__((aligned(16)));
	for (unsigned i = 0; i < 16; i++)
		v[i][0] = v[i][1] = ~xmm_value(seed, i);
#define LOAD(n) asm volatile("vinsertf128 $1, %0, %%ymm" #n ", %%ymm" #n ::"m"(v[n]))
	EACH_VECTOR_REGISTER(LOAD);
#undef LOAD
}

static void store_ymm_upper(uint64_t v[16][2])
{
#define STORE(n) asm volatile("vextractf128 $1, %%ymm" #n ", %0" : "=m"(v[n]))
	EACH_VECTOR_REGISTER(STORE);
#undef STORE
}

/* Loads %xmm0-15 with seed's values (both halves the same). */
static void load_xmm(uint64_t seed)
{
	uint64_t v[16][2] __attribute__((aligned(16)));
	for (unsigned i = 0; i < 16; i++)
		v[i][0] = v[i][1] = xmm_value(seed, i);
#define LOAD(n) asm volatile("movdqa %0, %%xmm" #n ::"m"(v[n]))
	EACH_VECTOR_REGISTER(LOAD);
#undef LOAD
}

/* Stores %xmm0-15 (the compiler is told they are not its own: -mgeneral-regs-only). */
static void store_xmm(uint64_t v[16][2])
{
#define STORE(n) asm volatile("movdqu %%xmm" #n ", %0" : "=m"(v[n]))
	EACH_VECTOR_REGISTER(STORE);
#undef STORE
}

static void read_selectors(uint64_t sel[4])
{
	uint16_t v[4];
	asm volatile("mov %%ds, %0" : "=r"(v[0]));
	asm volatile("mov %%es, %0" : "=r"(v[1]));
	asm volatile("mov %%fs, %0" : "=r"(v[2]));
	asm volatile("mov %%gs, %0" : "=r"(v[3]));
	for (unsigned i = 0; i < 4; i++)
		sel[i] = v[i];
}

static struct finding check_once(const struct expected *e)
{
	uint64_t tls0, fs, gs;
	asm volatile("mov %%fs:0, %0" : "=r"(tls0));
	asm volatile("rdfsbase %0" : "=r"(fs));
	asm volatile("rdgsbase %0" : "=r"(gs));
	if (tls0 != (uint64_t)e->tls)
		return (struct finding){"%fs:0 (TLS self pointer)", (uint64_t)e->tls, tls0};
	if (fs != (uint64_t)e->tls)
		return (struct finding){"FS base (rdfsbase)", (uint64_t)e->tls, fs};
	if (gs != e->gs_base)
		return (struct finding){"GS base (rdgsbase)", e->gs_base, gs};
	uint64_t sel[4];
	read_selectors(sel);
	for (unsigned i = 0; i < 4; i++) {
		static const char *names[4] = {"%ds selector", "%es selector", "%fs selector",
					       "%gs selector"};
		if (sel[i] != e->sel[i])
			return (struct finding){names[i], e->sel[i], sel[i]};
	}
	uint64_t v[16][2];
	store_xmm(v);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t want = xmm_value(e->xmm_seed, i);
		if (v[i][0] != want || v[i][1] != want) {
			static const char *names[16] = {"%xmm0",  "%xmm1",  "%xmm2",  "%xmm3",
							"%xmm4",  "%xmm5",  "%xmm6",  "%xmm7",
							"%xmm8",  "%xmm9",  "%xmm10", "%xmm11",
							"%xmm12", "%xmm13", "%xmm14", "%xmm15"};
			return (struct finding){names[i], want,
						v[i][0] != want ? v[i][0] : v[i][1]};
		}
	}
	if (!e->avx)
		return (struct finding){0, 0, 0};
	store_ymm_upper(v);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t want = ~xmm_value(e->xmm_seed, i);
		if (v[i][0] != want || v[i][1] != want) {
			static const char *names[16] = {
			    "%ymm0 (upper half)",  "%ymm1 (upper half)",  "%ymm2 (upper half)",
			    "%ymm3 (upper half)",  "%ymm4 (upper half)",  "%ymm5 (upper half)",
			    "%ymm6 (upper half)",  "%ymm7 (upper half)",  "%ymm8 (upper half)",
			    "%ymm9 (upper half)",  "%ymm10 (upper half)", "%ymm11 (upper half)",
			    "%ymm12 (upper half)", "%ymm13 (upper half)", "%ymm14 (upper half)",
			    "%ymm15 (upper half)"};
			return (struct finding){names[i], want,
						v[i][0] != want ? v[i][0] : v[i][1]};
		}
	}
	return (struct finding){0, 0, 0};
}

static struct expected self;

static int run_checker(unsigned id, uint64_t seconds)
{
	self.tls[0] = (uint64_t)self.tls;
	self.xmm_seed = id + 1;
	if (sys3(SYS_arch_prctl, ARCH_SET_FS, (long)self.tls, 0) != 0) {
		say("fsgs-check: arch_prctl(ARCH_SET_FS) failed\n", 44);
		return 1;
	}
	asm volatile("rdgsbase %0" : "=r"(self.gs_base));
	read_selectors(self.sel);
	if (self.sel[2] != 0 || self.sel[3] != 0) {
		say("fsgs-check: %fs or %gs selector not 0 at the start\n", 51);
		return 1;
	}
	load_xmm(self.xmm_seed);
	self.avx = avx_usable();
	if (self.avx)
		load_ymm_upper(self.xmm_seed);
	volatile uint64_t *page = (volatile uint64_t *)sys6(SYS_mmap, 0, 4096, 3 /* RW */,
							    0x22 /* PRIVATE|ANONYMOUS */, -1, 0);
	if ((long)page < 0 && (long)page > -4096) {
		say("fsgs-check: mmap failed\n", 24);
		return 1;
	}
	uint64_t start = now_ns(), end = start + seconds * 1000000000ull, checks = 0, calls = 0;
	struct finding f = {0, 0, 0};
	while (!f.what) {
		for (unsigned i = 0; i < CHECKS_PER_ENTRY && !f.what; i++, checks++)
			f = check_once(&self);
		if (f.what)
			break;
		calls++;
		if (calls & 1) {
			/* A system call. */
			uint64_t fs_by_kernel = 0;
			sys3(SYS_arch_prctl, ARCH_GET_FS, (long)&fs_by_kernel, 0);
			if (fs_by_kernel != (uint64_t)self.tls)
				f = (struct finding){"arch_prctl(ARCH_GET_FS)", (uint64_t)self.tls,
						     fs_by_kernel};
		} else {
			/* A page fault: the page is gone, the write brings a new one. */
			sys3(SYS_madvise, (long)page, 4096, MADV_DONTNEED);
			page[calls & 511] = calls ^ (uint64_t)self.tls;
			if (page[calls & 511] != (calls ^ (uint64_t)self.tls))
				f = (struct finding){"a word written after a page fault",
						     calls ^ (uint64_t)self.tls, page[calls & 511]};
		}
		if (!f.what && now_ns() >= end)
			break;
	}
	char line[256];
	unsigned at = 0;
	put_str(line, &at, "fsgs-check: process ");
	put_dec(line, &at, id);
	put_str(line, &at, self.avx ? " (SSE, AVX)" : " (SSE; AVX not usable)");
	if (f.what) {
		put_str(line, &at, ": ");
		put_str(line, &at, f.what);
		put_str(line, &at, " changed: expected ");
		put_hex(line, &at, f.expected);
		put_str(line, &at, ", found ");
		put_hex(line, &at, f.found);
		put_str(line, &at, " after ");
	} else {
		put_str(line, &at, ": ok, ");
	}

	put_dec(line, &at, checks);
	put_str(line, &at, " checks, ");
	put_dec(line, &at, calls);
	put_str(line, &at, " kernel entries\n");
	say(line, at);
	return f.what ? 1 : 0;
}

static uint64_t parse(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static int checker_main(int argc, char **argv)
{
	if (argc < 2) {
		const char *usage = "usage: fsgs-check SECONDS [PROCESSES]\n";
		sys3(SYS_write, 2, (long)usage, (long)str_len(usage));
		return 2;
	}
	uint64_t seconds = parse(argv[1]);
	uint64_t processes = argc > 2 ? parse(argv[2]) : 2;
	if (processes < 1 || processes > MAX_PROCESSES)
		processes = 2;
	for (unsigned id = 1; id < processes; id++) {
		long pid = sys3(SYS_fork, 0, 0, 0);
		if (pid == 0)
			return run_checker(id, seconds);
	}
	int status = run_checker(0, seconds);
	for (unsigned id = 1; id < processes; id++) {
		int child = 0;
		if (sys4(SYS_wait4, -1, (long)&child, 0, 0) < 0 || child != 0)
			status = 1;
	}
	return status;
}

/* The entry: RSP points at argc, then argv. */
__attribute__((used)) static void start_c(long *sp)
{
	int status = checker_main((int)sp[0], (char **)(sp + 1));
	sys3(SYS_exit, status, 0, 0);
	__builtin_unreachable();
}

asm(".globl _start\n"
    "_start:\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call start_c\n"
    "	ud2\n");
