/* SPDX-License-Identifier: MIT */
/*G:630 select.c - the backends, and which one fills pv_ops, decided once
 * at boot.
 *
 * The table below is every backend there is, in the order they are tried:
 * the one that can run in fewest places first, native (any ring 0) last.
 * The choice, printed as "pv: backend=NAME via HOW":
 *
 *  1. the loader's word: a backend the loader named outright (pvm: it
 *     entered the kernel through pvm_entry; pvkit and native: by
 *     boot_params.hardware_subarch) is used if its probe agrees; if not,
 *     the kernel says why and goes on;
 *  2. the first backend in table order whose probe says it can run here
 *     (pvkit by its CPUID signature: the PVH entry, which has no
 *     boot_params; native in ring 0 whatever else is there).
 *
 * pv_select() below does this; use() copies the chosen ops into pv_ops and
 * starts the backend.  Entered through pvm_entry, that is pvm.
 * Next: guest/pv/pvm.c. :*/
#include "backend.h"

struct pv_ops pv_ops;

static const struct pv_backend backends[] = {
    {
	/* deprivileged, on a host where ring 0 is emulated */
	.named_by = pvm_named_by,
	.probe = pvm_probe,
	.early_console_write = pvkit_early_console_write, /* `out` faults at CPL3 */
	.ops = &pvm_pv_ops,
	.start = pvm_start,
    },
    {
	/* ring 0 under pvkit: its console, clocks, idle and power-off */
	.named_by = pvkit_named_by,
	.probe = pvkit_probe,
	.early_console_write = uart_write, /* until the hypercall page is found */
	.ops = &pvkit_pv_ops,
	.start = pvkit_start,
    },
    {
	/* ring 0, the PC as it is (hardware, QEMU, pvkit --subarch pc) */
	.named_by = native_named_by,
	.probe = native_probe,
	.early_console_write = uart_write,
	.ops = &native_pv_ops,
	.start = native_start,
    },
};

/* The backend of last resort, whose ops serve until one is chosen. */
static const struct pv_backend *const last_resort = &backends[ARRAY_SIZE(backends) - 1];

#define SAY_MAX 96

/* The backend the loader named, with how it did in `how`; or NULL. */
static const struct pv_backend *named_backend(const struct boot_info *bi, char *how)
{
	for (unsigned i = 0; i < ARRAY_SIZE(backends); i++)
		if (backends[i].named_by(bi, how, SAY_MAX))
			return &backends[i];
	return NULL;
}

void pv_early_init(const struct boot_info *bi)
{
	char how[SAY_MAX];
	const struct pv_backend *named = named_backend(bi, how);
	/* Only printk and panic run before pv_select: what they need is a
	 * console that works here, and a power-off (deprivileged, native's
	 * faults, and pvkit reports the panic as a triple fault). */
	pv_ops = *last_resort->ops;
	pv_ops.console_write = (named ? named : last_resort)->early_console_write;
}

/*
 * From here on, nothing knows which backend it runs on.  The ops are in
 * place before start(), which may use them (pvm fills the IDT through them).
 */
static void use(const struct pv_backend *b, const struct boot_info *bi, const char *via)
{
	pv_ops = *b->ops;
	if (b->start(bi))
		panic("pv: backend %s failed to start", b->ops->name);
	printk("pv: backend=%s via %s\n", b->ops->name, via);
}

void pv_select(const struct boot_info *bi)
{
	char how[SAY_MAX], why[SAY_MAX];
	const struct pv_backend *named = named_backend(bi, how);
	if (named) {
		if (named->probe(bi, why, sizeof(why))) {
			use(named, bi, how);
			return;
		}
		printk("pv: %s but %s: falling back\n", how, why);
	} else if (bi->has_boot_params) {
		printk("pv: hardware_subarch=0x%x names no backend, ignored\n",
		       bi->hardware_subarch);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(backends); i++) {
		const struct pv_backend *b = &backends[i];
		if (b == named)
			continue;
		if (b->probe(bi, how, sizeof(how))) {
			use(b, bi, how);
			return;
		}
		printk("pv: not %s: %s\n", b->ops->name, how);
	}
	panic("pv: no backend can run here");
}
