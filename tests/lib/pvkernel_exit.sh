# pvkernel's exit statuses, read from the one place they are defined
# (guest/include/exit_status.h), so that the tests follow the kernel:
#   pvkernel_exit PANIC  ->  the value of PVKERNEL_EXIT_PANIC
# Source it from the repository root.  An unknown name prints nothing,
# which makes the caller's numeric test fail rather than pass.
pvkernel_exit() {
	awk -v name="PVKERNEL_EXIT_$1" '$1 == "#define" && $2 == name { print $3 }' \
		guest/include/exit_status.h
}
