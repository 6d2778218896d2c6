/* The bundled pvkernel image, so that `pvkit run` needs no files. */
	.section .lrodata, "a"
	.balign 16
	.globl default_kernel_image, default_kernel_image_end
default_kernel_image:
	.incbin PVKERNEL_PATH
default_kernel_image_end:
	.section .note.GNU-stack, "", @progbits
