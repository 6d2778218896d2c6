#!/usr/bin/env bash
# The control socket (host/api_socket.c, docs/snapshot.md) with curl:
#
#   curl session         uart_echo (tests/guests/) waits for a line, has
#                        "hel" of it: GET / says Running, PATCH /vm Paused,
#                        GET / says Paused, PUT /snapshot/create, PATCH /vm
#                        Resumed, GET /pvkit/stats counts exits, PUT
#                        /actions SendCtrlAltDel stops it with status 0
#   bad requests         malformed JSON, an unknown path, a wrong method, a
#                        snapshot of a running VM, a body too large: 4xx with
#                        one fault_message line each, and the VM keeps
#                        running (GET / answers after them)
#   restore              the snapshot, restored with "lo" on stdin, prints
#                        "echo: hello": the UART's input and the guest's
#                        state came through
#   snapshot of a        restored with --api-socket, paused, snapshotted
#   restored VM          again: its memory file holds what the first did
#                        (pages of the old file, not its holes), and it
#                        restores to "echo: hello"
#   snapshot load        `pvkit restore --api-socket` alone: GET / says "Not
#                        started", a load of a missing file is refused with
#                        its line and the next one waited for, PUT
#                        /snapshot/load (Firecracker's mem_backend) loads
#                        it paused, a second load is refused, PATCH /vm
#                        Resumed: "echo: hello"
#   owner-only socket    mode 0600
#   socket exists        --api-socket at an existing path: one line, status 2
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

names=("curl session" "bad requests" "restore" "snapshot of a restored VM" "snapshot load"
	"owner-only socket"
	"socket exists")
why=$(kvm_missing)
command -v curl >/dev/null || why=${why:-curl not installed}
PVKIT=${PVKIT:-build/pvkit-san}
[ -z "$why" ] && [ ! -f build/guests/uart_echo.elf ] && why="build/guests not built"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "api socket: $n" "$why"; done
	exit 0
fi
tmp=$(mktemp -d)
trap 'exec 7>&- 2>/dev/null; rm -rf "$tmp"' EXIT
sock=$tmp/api.sock

# api METHOD PATH [BODY]: one request; the body and status code in $reply.
api() {
	reply=$(curl -s --max-time 20 --unix-socket "$sock" -X "$1" ${3:+-d "$3"} \
		-w ' %{http_code}' "http://localhost$2")
}

# start NAME pvkit-ARGS...: pvkit in the background with --api-socket $sock,
# its stdin a fifo held open on fd 7, output in $tmp/NAME.out and .err; $pid
# is its process; returns when the socket is there.
start() {
	local name=$1
	shift
	rm -f "$tmp/$name.in"
	mkfifo "$tmp/$name.in"
	run_output "$tmp/$name.out" "$tmp/$name.err"
	$PVKIT "$@" --api-socket "$sock" --timeout 120 <"$tmp/$name.in" >"$tmp/$name.out" \
		2>"$tmp/$name.err" &
	pid=$!
	exec 7>"$tmp/$name.in"
	for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
}

# finish: close the VM's stdin, wait for it; a status other than 0 is a problem.
finish() {
	exec 7>&-
	wait $pid
	rc=$?
	[ "$rc" -eq 0 ] || session+=("pvkit exited with $rc")
}

start session run --kernel build/guests/uart_echo.elf
printf 'hel' >&7

mode=$(stat -c %a "$sock" 2>/dev/null)
check "api socket: owner-only socket (mode ${mode:-none})" test "$mode" = 600

session=() bad=()
expect() { # expect LABEL PATTERN: the last reply matches PATTERN
	grep -qE "$2" <<<"$reply" || session+=("$1: got '$reply'")
}
api GET /
expect "GET /" '"state": ?"Running".* 200$'
api PATCH /vm '{"state": "Paused"}'
expect "PATCH /vm Paused" ' 204$'
api GET /
expect "GET / paused" '"state": ?"Paused".* 200$'
# Bad requests, while paused and after.
bad_request() { # bad_request LABEL CODE METHOD PATH [BODY]
	local label=$1 code=$2
	shift 2
	api "$@"
	grep -qE "^\{\"fault_message\": ?\".+\"\} $code$" <<<"$reply" ||
		bad+=("$label: got '$reply'")
}
api PUT /snapshot/create "{\"snapshot_path\": \"$tmp/s.state\", \"mem_file_path\": \"$tmp/s.mem\"}"
expect "PUT /snapshot/create" ' 204$'
api PATCH /vm '{"state": "Resumed"}'
expect "PATCH /vm Resumed" ' 204$'
bad_request "malformed JSON" 400 PUT /actions '{"action_type": '
bad_request "unknown path" 404 GET /machine-config
bad_request "wrong method" 405 GET /vm
bad_request "unknown state" 400 PATCH /vm '{"state": "Sleeping"}'
bad_request "Diff snapshot" 400 PUT /snapshot/create \
	"{\"snapshot_type\": \"Diff\", \"snapshot_path\": \"a\", \"mem_file_path\": \"b\"}"
bad_request "snapshot while running" 400 PUT /snapshot/create \
	"{\"snapshot_path\": \"$tmp/x.state\", \"mem_file_path\": \"$tmp/x.mem\"}"
bad_request "body too large" 413 PUT /actions "{\"action_type\": \"$(head -c 20000 /dev/zero | tr '\0' a)\"}"
api GET /
grep -qE '"state": ?"Running".* 200$' <<<"$reply" || bad+=("GET / after them: '$reply'")
api GET /pvkit/stats
expect "GET /pvkit/stats" '"exits": ?\{"total": ?[1-9][0-9]*.*"console_bytes": ?13\} 200$'
api PUT /actions '{"action_type": "SendCtrlAltDel"}'
expect "PUT /actions" ' 204$'
finish
grep -q "^pvkit: stopped through the control socket" "$tmp/session.err" || session+=("no stop line")
[ ! -e "$sock" ] || session+=("the socket is still there after the run")
if [ ${#session[@]} -eq 0 ]; then
	ok "api socket: curl session: pause, snapshot, resume, stats, shut down"
else
	not_ok "api socket: curl session: $(printf '%s; ' "${session[@]}")"
fi
if [ ${#bad[@]} -eq 0 ]; then
	ok "api socket: bad requests: 7 refused with one fault_message each, the VM kept running"
else
	not_ok "api socket: bad requests: $(printf '%s; ' "${bad[@]}")"
fi

run_output "$tmp/rout" "$tmp/rerr"
printf 'lo\n' | $PVKIT restore --snapshot "$tmp/s.state" --mem-file "$tmp/s.mem" --timeout 60 \
	>"$tmp/rout" 2>"$tmp/rerr"
rc=$?
if [ "$rc" -eq 0 ] && grep -qx "echo: hello" "$tmp/rout" && ! grep -q "type a line" "$tmp/rout"; then
	ok "api socket: restore: the snapshot finishes the line: echo: hello"
else
	not_ok "api socket: restore: status $rc, output '$(head -c 200 "$tmp/rout")'"
fi

# A snapshot of a restored VM (its RAM is the old memory file, copy-on-write).
sock=$tmp/again.sock
start again restore --snapshot "$tmp/s.state" --mem-file "$tmp/s.mem"
session=()
api PATCH /vm '{"state": "Paused"}'
expect "PATCH /vm Paused" ' 204$'
api PUT /snapshot/create "{\"snapshot_path\": \"$tmp/s2.state\", \"mem_file_path\": \"$tmp/s2.mem\"}"
expect "PUT /snapshot/create" ' 204$'
api PUT /actions '{"action_type": "SendCtrlAltDel"}'
finish
first=$(stat -c %b "$tmp/s.mem") again=$(stat -c %b "$tmp/s2.mem" 2>/dev/null || echo 0)
[ "$again" -gt 0 ] && [ "$again" -le $((first + 8)) ] ||
	session+=("memory file of $again blocks, the first had $first")
run_output "$tmp/aout" "$tmp/aerr"
printf 'lo\n' | $PVKIT restore --snapshot "$tmp/s2.state" --mem-file "$tmp/s2.mem" --timeout 60 \
	>"$tmp/aout" 2>"$tmp/aerr"
rc=$?
[ "$rc" -eq 0 ] && grep -qx "echo: hello" "$tmp/aout" || session+=("its restore: status $rc")
if [ ${#session[@]} -eq 0 ]; then
	ok "api socket: snapshot of a restored VM: $((again / 2)) KiB on disk as the first, restores to echo: hello"
else
	not_ok "api socket: snapshot of a restored VM: $(printf '%s; ' "${session[@]}")"
fi

# PUT /snapshot/load into a pvkit started without a snapshot.
sock=$tmp/load.sock
start load restore
session=()
api GET /
expect "GET / before a load" '"state": ?"Not started".* 200$'
api PUT /snapshot/load "{\"snapshot_path\": \"$tmp/none.state\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"$tmp/s.mem\"}}"
expect "a missing state file" 'No such file or directory"\} 400$'
api PUT /snapshot/load "{\"snapshot_path\": \"$tmp/s.state\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"$tmp/s.mem\"}}"
expect "PUT /snapshot/load" ' 204$'
api GET /
expect "GET / after the load" '"state": ?"Paused".* 200$'
api PUT /snapshot/load "{\"snapshot_path\": \"$tmp/s.state\", \"mem_file_path\": \"$tmp/s.mem\"}"
expect "a second load" 'loaded already.* 400$'
printf 'lo\n' >&7
api PATCH /vm '{"state": "Resumed"}'
expect "PATCH /vm Resumed" ' 204$'
finish
grep -qx "echo: hello" "$tmp/load.out" || session+=("no 'echo: hello'")
if [ ${#session[@]} -eq 0 ]; then
	ok "api socket: snapshot load: refused, loaded paused, resumed: echo: hello"
else
	not_ok "api socket: snapshot load: $(printf '%s; ' "${session[@]}")"
fi

touch "$tmp/taken"
run_output "$tmp/eout" "$tmp/eerr"
$PVKIT run --kernel build/guests/uart_echo.elf --api-socket "$tmp/taken" </dev/null \
	>"$tmp/eout" 2>"$tmp/eerr"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/eerr")" -eq 1 ] && grep -q "already exists" "$tmp/eerr"; then
	ok "api socket: socket exists: $(cat "$tmp/eerr")"
else
	not_ok "api socket: socket exists: status $rc"
fi
