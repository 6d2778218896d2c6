#!/usr/bin/env bash
# Debian's own kernel (linux-image-cloud-amd64, scripts/fetch-linux.sh) as a
# Xen PV guest under pvxen (`--entry xen`, docs/xen-pv.md), natively: the
# banner through console_io, hvc0, a busybox /init that forks and execs, a
# busybox script (tests/xen/busybox-script.sh: sort, sed, awk, sha256sum,
# gzip/gunzip, tar, find, seq, expr, 200 x /bin/true) whose output must equal
# the same script's on the host, the poweroff that ends pvkit with status 0,
# and an interactive shell on the project's initramfs that ends at EOF;
# user processes isolated from the kernel, and with `--isolation off` not
# (the script still as on the host, a user read of the kernel's text works).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
WAIT=${LINUX_XEN_WAIT_SECONDS:-120}
names=("banner" "/init runs" "fork and exec from /init" "busybox script as on the host"
	"poweroff: status 0" "interactive shell on hvc0, EOF on stdin powers off (status 0)"
	"user reads of kernel memory: SIGSEGV"
	"a process's FS/GS bases, selectors, SSE and AVX registers kept across process switches"
	"--isolation off: the script as on the host, user reads of the kernel work")

why=$(kvm_missing)
[ -z "$why" ] && why=$(pvm_host_missing)
busybox=$(command -v busybox)
[ -z "$why" ] && { [ -n "$busybox" ] && file -L "$busybox" | grep -q 'statically linked'; } ||
	why=${why:-"no static busybox (Debian's busybox-static)"}
[ -z "$why" ] && [ ! -f build/rootfs.cpio.gz ] && why="build/rootfs.cpio.gz not built (make)"
[ -z "$why" ] && [ ! -x build/tests/fsgs-check ] && why="build/tests/fsgs-check not built (make tests)"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "linux xen: $n" "$why"; done
	exit 0
fi
fetch_linux "linux xen"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The project's initramfs (build/rootfs: busybox and rootfs/init) plus the
# workload, packed on the fly by `--initrd DIR`.  rootfs/init runs what the
# command line names after "--", then powers off.
cp -a build/rootfs "$work/root"
cp tests/xen/busybox-script.sh "$work/root/script.sh"
cp build/tests/fsgs-check "$work/root/bin/fsgs-check"
cat >"$work/root/test.sh" <<'TEST'
echo "pvkit-init: up $(cut -d' ' -f1 /proc/uptime)"
for n in $(seq 50); do /bin/true; done
echo "pvkit-init: 50 x /bin/true, up $(cut -d' ' -f1 /proc/uptime)"
echo "pvkit-script: begin"
sh /script.sh
echo "pvkit-script: end, up $(cut -d' ' -f1 /proc/uptime)"
/bin/fsgs-check 3 3
TEST

start=$(date +%s%N)
timeout "$WAIT" "$PVKIT" run --entry xen --kernel "$vmlinuz" --initrd "$work/root" \
	--mem 256M --cmdline "console=hvc0 -- /bin/sh /test.sh" </dev/null >"$work/out" 2>"$work/err"
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
tr -d '\r' <"$work/out" >"$work/clean"

# The banner, the memory map's holes given back (XENMEM_decrease_reservation),
# the vDSO's pvclock taken (VCPUOP_register_vcpu_time_memory_area) and no
# kernel warning (a refused hypercall Linux insists on warns).
if grep -q 'Linux version [0-9]' "$work/clean" && grep -q 'Released [1-9][0-9]* page(s)' "$work/clean" &&
	! grep -q 'cut here\|VDSO_CLOCKMODE_PVCLOCK not supported' "$work/clean"; then
	ok "linux xen: banner, $(grep -o 'Released [0-9]* page(s)' "$work/clean"), no kernel warning"
else
	not_ok "linux xen: banner, holes given back, no kernel warning"
	sed 's/^/# /' "$work/clean" "$work/err"
fi
check "linux xen: /init runs" grep -q '^pvkit-init: up ' "$work/clean"
check "linux xen: fork and exec from /init" grep -q '^pvkit-init: 50 x /bin/true' "$work/clean"
sed -n '/^pvkit-script: begin/,/^pvkit-script: end/p' "$work/clean" | sed '1d;$d' >"$work/guest.txt"
# The same script on the host, with the same busybox for every applet.
mkdir -p "$work/host/bin" "$work/host/tmp"
for a in $("$busybox" --list); do ln -s "$busybox" "$work/host/bin/$a"; done
(cd "$work/host" && PATH="$work/host/bin" TMPDIR="$work/host/tmp" "$busybox" sh \
	"$work/root/script.sh" 2>&1) >"$work/host.txt"
if [ -s "$work/guest.txt" ] && cmp -s "$work/guest.txt" "$work/host.txt"; then
	ok "linux xen: busybox script as on the host ($(wc -l <"$work/guest.txt") lines)"
else
	not_ok "linux xen: busybox script as on the host"
	diff "$work/host.txt" "$work/guest.txt" | head -n 20 | sed 's/^/# /'
	echo "# --- the guest's console from the script on (at most 80 lines), then pvkit's stderr ---"
	sed -n '/^pvkit-script: begin/,$p' "$work/clean" | head -n 80 | sed 's/^/# /'
	tail -n 20 "$work/err" | sed 's/^/# /'
fi
if [ "$rc" -eq 0 ]; then ok "linux xen: poweroff: status 0"; else
	not_ok "linux xen: poweroff: status $rc"
	tail -n 20 "$work/clean" "$work/err" | sed 's/^/# /'
fi
echo "# start to exit ${elapsed} ms ($PVKIT); guest uptime at /init, after the loop, after the script:" \
	"$(sed -n 's/^pvkit-[a-z]*: .*up //p' "$work/clean" | tr '\n' ' ')"

# The project's initramfs as built (build/rootfs.cpio.gz) with no command:
# an interactive shell on hvc0.  Commands on pvkit's stdin reach it through
# the console ring, their output comes back, and the end of stdin reaches the
# shell as ^D: it exits and /init powers off, pvkit with status 0.
printf 'echo typed $((6 * 7))\nuname -s\n' |
	timeout "$WAIT" "$PVKIT" run --entry xen --kernel "$vmlinuz" --initrd build/rootfs.cpio.gz \
		--mem 256M --cmdline "console=hvc0 quiet" >"$work/shell" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && tr -d '\r' <"$work/shell" | grep -q 'typed 42$' &&
	tr -d '\r' <"$work/shell" | grep -qx 'Linux'; then
	ok "linux xen: interactive shell on hvc0, EOF on stdin powers off (status 0)"
else
	not_ok "linux xen: interactive shell on hvc0, EOF on stdin powers off: status $rc"
	tail -n 15 "$work/shell" | sed 's/^/# /'
fi

# Three processes check their FS/GS bases, selectors, SSE and AVX registers
# for 3 s while the kernel switches between them (tests/xen/fsgs-check.c):
# with FXSAVE-only switching, %ymm's upper halves passed between processes.
if [ "$(grep -c '^fsgs-check: process [0-9] (.*): ok' "$work/clean")" -eq 3 ]; then
	ok "linux xen: a process's FS/GS bases, selectors, SSE and AVX registers kept across process switches ($(grep -c '(SSE, AVX)' "$work/clean") of 3 with AVX)"
else
	not_ok "linux xen: a process's FS/GS bases, selectors, SSE and AVX registers kept across process switches"
	grep '^fsgs-check\|x86/fpu' "$work/clean" | sed 's/^/# /'
fi

# Isolation (docs/xen-pv.md): a user program that reads Linux's kernel
# text, pvxen's own area or pvxen's direct map of guest RAM, or writes the
# direct map, is killed by SIGSEGV (the shell reports 139) and the guest goes
# on to power off.  `peek` is a tiny static program built here from C; with no
# address it reads its own stack (status 0: the program itself works).
iso="$work/iso"
mkdir -p "$iso/bin" "$iso/proc"
cp "$busybox" "$iso/bin/busybox"
for a in sh echo poweroff; do ln -s busybox "$iso/bin/$a"; done
cat >"$work/peek.c" <<'PEEK'
/* peek [w|j] [HEX]: read (write, jump to) one word at HEX, then exit 0. */
static long sys(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}
static unsigned long hex(const char *s)
{
	unsigned long v = 0;
	for (; *s; s++)
		v = v * 16 + (unsigned long)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
	return v;
}
__attribute__((used)) void peek_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char mode = argc > 2 ? argv[1][0] : 'r';
	volatile unsigned long *p = (volatile unsigned long *)sp;
	if (argc > 1)
		p = (volatile unsigned long *)hex(argv[argc - 1]);
	if (mode == 'w')
		*p = 0x5a5a5a5a5a5a5a5aul;
	else if (mode == 'j')
		((void (*)(void))p)();
	else
		(void)*p;
	sys(1, 1, (long)"peek: no fault\n", 15);
	sys(60, 0, 0, 0);
}
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall peek_main\n\thlt\n");
PEEK
iso_why=""
gcc -static -nostdlib -O2 -fno-stack-protector -fno-pie -no-pie -o "$iso/bin/peek" "$work/peek.c" 2>"$work/peek.err" ||
	iso_why="host gcc cannot build a static program: $(head -n 1 "$work/peek.err")"
# Addresses: Linux's kernel text, direct map and vmalloc area; pvxen's area,
# its direct map and M2P; and, from build/pvxen.elf, what the user view holds:
# the entry code and xen_in_user (readable), one scratch word (writable: the
# user's own R11 across the entry), the CPL0 stubs, tables and CR3 words
# (supervisor only), pvxen's data (absent); and a jump into the entry page
# past its code, which runs on the user's L4 until it faults.
sym() { nm build/pvxen.elf 2>/dev/null | awk -v s="$1" '$3 == s { print $1 }'; }
cases=("self 0 -" "linux-kernel 139 ffffffff81000000" "linux-direct-map 139 ffff888000000000"
	"linux-vmalloc 139 ffffc90000000000" "pvxen-area 139 ffff808000001000"
	"pvxen-direct-map 139 ffff810000000000" "write-pvxen-direct-map 139 w ffff810000000000"
	"pvxen-m2p 139 ffff818000000000" "pvxen-entry-text 0 $(sym xen_syscall_entry)"
	"write-pvxen-entry-text 139 w $(sym xen_syscall_entry)"
	"write-pvxen-user-scratch 0 w $(sym xen_user_scratch)"
	"jump-into-pvxen-entry-page 139 j $(printf %x $((0x$(sym __entry_text_end) - 16)))"
	"write-pvxen-in-user 139 w $(sym xen_in_user)" "pvxen-cpl0-stubs 139 $(sym __cpl0_text_start)"
	"pvxen-gdt 139 $(sym xen_gdt)" "pvxen-idt 139 $(sym xen_idt)"
	"pvxen-cr3-words 139 $(sym xen_entry_cr3)" "pvxen-vcpu-state 139 $(sym xen_vcpu)")
{
	echo '#!/bin/sh'
	for c in "${cases[@]}"; do
		set -- $c
		[ "$3" = "-" ] && args="" || args="${*:3}"
		echo "/bin/peek $args; echo \"iso: $1 \$?\""
	done
	echo 'echo "iso: still alive"'
	echo 'poweroff -f'
} >"$iso/init"
want=$(for c in "${cases[@]}"; do set -- $c; echo "iso: $1 $2"; done; echo "iso: still alive")
[ -z "$(sym xen_vcpu)" ] && iso_why="no build/pvxen.elf (make)"
chmod +x "$iso/init"
if [ -n "$iso_why" ]; then skip "linux xen: user reads of kernel memory: SIGSEGV" "$iso_why"; else
	timeout "$WAIT" "$PVKIT" run --entry xen --kernel "$vmlinuz" --initrd "$iso" \
		--mem 256M --cmdline "console=hvc0 quiet" </dev/null >"$work/iso.out" 2>"$work/iso.err"
	rc=$?
	tr -d '\r' <"$work/iso.out" >"$work/iso.clean"
	got=$(grep '^iso: ' "$work/iso.clean")
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
		ok "linux xen: user reads of kernel memory: SIGSEGV (139), the guest powers off (${#cases[@]} cases)"
	else
		not_ok "linux xen: user reads of kernel memory: SIGSEGV: status $rc"
		printf '%s\n' "$got" | sed 's/^/# got: /'
		tail -n 15 "$work/iso.clean" "$work/iso.err" | sed 's/^/# /'
	fi
fi

# --isolation off (docs/xen-pv.md): user mode on the kernel's page tables.
# The same script gives the same output, and a user read of Linux's text
# that SIGSEGVs when isolated now succeeds: the option does what it says.
if [ -n "$iso_why" ]; then
	skip "linux xen: --isolation off: the script as on the host, user reads of the kernel work" "$iso_why"
else
	cp -a "$work/root" "$work/noiso"
	cp "$iso/bin/peek" "$work/noiso/bin/peek"
	cat >"$work/noiso/test.sh" <<'TEST'
echo "pvkit-script: begin"
sh /script.sh
echo "pvkit-script: end"
/bin/peek ffffffff81000000
echo "noiso: kernel read $?"
for i in 1 2 3 4; do dd if=/dev/zero of=/dev/null bs=4M count=2 2>/dev/null; done
TEST
	# PVKIT_XEN_CHECK: pvxen checks its page types against the page tables
	# at poweroff.  Without a CR3 load per system call, a direct-map entry
	# made read-only without a flush stayed writable in the TLB and Linux
	# wrote its page tables behind pvxen's back (dd's buffers: first
	# touches, then munmap).
	PVKIT_XEN_CHECK=1 timeout "$WAIT" "$PVKIT" run --entry xen --isolation off --kernel "$vmlinuz" --initrd "$work/noiso" \
		--mem 256M --cmdline "console=hvc0 -- /bin/sh /test.sh" </dev/null >"$work/noiso.out" 2>"$work/noiso.err"
	rc=$?
	tr -d '\r' <"$work/noiso.out" >"$work/noiso.clean"
	sed -n '/^pvkit-script: begin/,/^pvkit-script: end/p' "$work/noiso.clean" | sed '1d;$d' >"$work/noiso.txt"
	if [ "$rc" -eq 0 ] && cmp -s "$work/noiso.txt" "$work/host.txt" &&
		grep -q '^noiso: kernel read 0' "$work/noiso.clean" &&
		grep -q 'xen: check: 0 frames with a wrong writable count' "$work/noiso.err" &&
		grep -q -- '--isolation off: the guest.s user processes can read and write its kernel.s memory' "$work/noiso.err"; then
		ok "linux xen: --isolation off: the script as on the host, user reads of the kernel work"
	else
		not_ok "linux xen: --isolation off: status $rc"
		diff "$work/host.txt" "$work/noiso.txt" | head -n 20 | sed 's/^/# /'
		tail -n 15 "$work/noiso.clean" "$work/noiso.err" | sed 's/^/# /'
	fi
fi
