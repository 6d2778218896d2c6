/* SPDX-License-Identifier: MIT */
/* pvxen, the in-VM Xen (xen/), carried inside pvkit like the bundled pvkernel. */
	.section .lrodata, "a"
	.balign 16
	.globl pvxen_image, pvxen_image_end
pvxen_image:
	.incbin PVXEN_PATH
pvxen_image_end:
	.section .note.GNU-stack, "", @progbits
