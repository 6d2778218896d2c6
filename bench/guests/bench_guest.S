/*
 * bench_guest.S - the guests of `make bench`, one source, three builds.
 *
 * Every benchmark guest is entered through PVH (32-bit protected mode,
 * paging off, flat segments) and runs at CPL0, where this host (kvm_pvm,
 * no VT-x) EMULATES each instruction at ~1.3 us: so the guests are a
 * handful of instructions, and the VMM's own cost dominates what we time.
 *
 * Ports (the only "devices" a guest uses, so the raw-KVM program can
 * implement them in a few lines):
 *   0x80   start marker: the very FIRST instruction writes here, so a host
 *          tracepoint (kvm:kvm_pio, port 0x80) timestamps the first guest
 *          instruction no matter what firmware ran before it (QEMU microvm
 *          runs qboot first).  The exit-loop guests write it again after
 *          every chunk of their loop, so each chunk is timed between two
 *          markers (and a chunk that another process preempted is one
 *          outlier among many, not a slower whole).
 *   0x3f8  16550 THR: one byte of serial output.
 *   0x3ff  16550 scratch register: a real device register that has no side
 *          effect, the target of the exit-throughput loop.
 *   0xf4   isa-debug-exit: ends the run (pvkit: status = value, QEMU:
 *          (value << 1) | 1, rawkvm: status = value).
 *
 * Build variants (-D):
 *   (none)            tiny: marker, print '!', exit.
 *   BENCH_HOLD        hold: marker, print '!', then halt with interrupts off
 *                     forever, so the launcher can read the VMM's memory
 *                     while the VM is still alive.
 *   BENCH_EXITS=N     exit loop: marker, then N / BENCH_CHUNK times:
 *                     BENCH_CHUNK writes to 0x3ff and a marker; print '!',
 *                     exit.  BENCH_CHUNK (default N) must divide N.
 *   BENCH_SPIN=N      the same loops without the write: what the loop's
 *                     emulated dec/jnz cost alone, to subtract (the marker
 *                     that ends each chunk is in both, and cancels).
 *   BENCH_TOUCH=M     touch: marker, write one word to every 4 KiB page of
 *                     M MiB from 16 MiB up (the guest's dirty memory for the
 *                     snapshot benchmark), print '!', exit.
 */

#define MARKER_PORT    0x80
#define SERIAL_THR     0x3f8
#define SERIAL_SCRATCH 0x3ff
#define DEBUG_EXIT     0xf4
#define EXIT_VALUE     0x2a

#if defined(BENCH_EXITS) && defined(BENCH_SPIN)
#error "BENCH_EXITS and BENCH_SPIN are two guests"
#elif defined(BENCH_EXITS)
#define BENCH_LOOP BENCH_EXITS
#elif defined(BENCH_SPIN)
#define BENCH_LOOP BENCH_SPIN
#endif
#if defined(BENCH_LOOP)
#ifndef BENCH_CHUNK
#define BENCH_CHUNK BENCH_LOOP
#endif
#if BENCH_LOOP % BENCH_CHUNK
#error "BENCH_CHUNK must divide the loop count"
#endif
#endif

	.code32
	.text
	.globl pvh_start
pvh_start:
	outb %al, $MARKER_PORT
#if defined(BENCH_EXITS) || defined(BENCH_SPIN)
	movl $(BENCH_LOOP / BENCH_CHUNK), %ebx
	movw $SERIAL_SCRATCH, %dx
2:	movl $BENCH_CHUNK, %ecx
1:
#ifdef BENCH_EXITS
	outb %al, %dx
#endif
	decl %ecx
	jnz 1b
	outb %al, $MARKER_PORT
	decl %ebx
	jnz 2b
#elif defined(BENCH_TOUCH)
	movl $(16 << 20), %edi
	movl $(BENCH_TOUCH << 8), %ecx	/* pages: M MiB / 4 KiB */
1:	movl %ecx, (%edi)
	addl $4096, %edi
	decl %ecx
	jnz 1b
#endif
	movw $SERIAL_THR, %dx
	movb $'!', %al
	outb %al, %dx
#ifdef BENCH_HOLD
2:	cli
	hlt
	jmp 2b
#else
	movl $EXIT_VALUE, %eax
	outl %eax, $DEBUG_EXIT
	/* Not reached when the VMM honours the exit port. */
3:	cli
	hlt
	jmp 3b
#endif

	/* XEN_ELFNOTE_PHYS32_ENTRY: name "Xen", type 18, 32-bit entry. */
	.section .note.pvh, "a"
	.balign 4
	.long 4			/* namesz: "Xen\0" */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start
