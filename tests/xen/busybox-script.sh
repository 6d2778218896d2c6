# A workload of busybox applets whose output depends only on busybox: run in
# a Linux guest and on the host (`busybox sh` both times), the two outputs
# must be equal byte for byte (tests/boot/xen_linux.sh, bench/).
set -e
cd "${TMPDIR:-/tmp}"
rm -rf bbwork && mkdir bbwork && cd bbwork

echo "== seq, sort, uniq"
seq 1 2000 | sort -r | head -n 3
seq 1 500 | awk '{ print $1 % 7 }' | sort -n | uniq -c

echo "== sed, awk"
seq 1 20 | sed -e 's/1/one/g' -e '/5/d' | tr '\n' ' '
echo
seq 1 1000 | awk '{ s += $1 * $1 } END { print "sum of squares", s }'
echo "the quick brown fox jumps over the lazy dog" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i; print "" }'

echo "== expr and shell arithmetic"
expr 6 \* 7
expr length "paravirtualization"
i=0 n=0
while [ $i -lt 1000 ]; do n=$((n + i * 3 % 11)); i=$((i + 1)); done
echo "loop sum $n"

echo "== files, sha256sum"
seq 1 100000 > numbers
sha256sum numbers
wc -l -c numbers

echo "== gzip round trip"
gzip -9 -c numbers > numbers.gz
gunzip -c numbers.gz | cmp - numbers && echo "gzip round trip ok"
gunzip -c numbers.gz | sha256sum

echo "== tar, find"
mkdir -p tree/a/b tree/c
seq 1 10 > tree/a/b/ten
echo hello > tree/c/hello
tar -cf tree.tar tree
rm -rf tree
tar -xf tree.tar
find tree | sort
tar -tf tree.tar | sort
cat tree/a/b/ten | sha256sum

echo "== 200 processes"
i=0
while [ $i -lt 200 ]; do /bin/true; i=$((i + 1)); done
echo "ran /bin/true $i times"

cd .. && rm -rf bbwork
echo "== done"
