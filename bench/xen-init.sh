# Run by the initramfs's /init in the Xen PV rows of `make bench`
# (bench/run-bench.sh bench_xen): everything it prints as "xenbench: NAME
# VALUE" becomes a result; /init powers the guest off when it returns.
echo "xenbench: init"
xbench all
t0=$(xbench now)
sh /busybox-script.sh >/tmp/script.out 2>&1
t1=$(xbench now)
echo "xenbench: script_ms $(((t1 - t0) / 1000000))"
echo "xenbench: script_sha256 $(sha256sum </tmp/script.out | cut -d' ' -f1)"
