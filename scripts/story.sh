#!/usr/bin/env bash
# Print the story of a launch, from `pvkit run` to pvkernel's power-off and
# back, as the comments along the code tell it.
#
#   scripts/story.sh           every part in order: "L:100  host/main.c:88",
#                              then its text
#   scripts/story.sh --files   the files in reading order, each once, with
#                              the first part it holds (the README's list)
#   scripts/story.sh --raw     one line per part, for checks (tests/boot/story.sh):
#                              NUMBER TAG FILE LINE TEXT, tab-separated, TEXT's
#                              lines joined by spaces
#
# A part is a comment that opens with its number, /*L:100 on pvkit's side
# (host/, boot/) or /*G:500 in the guest (guest/), and closes with :*/, in the
# manner of the numbered story in lguest's launcher.  The numbers count in
# hundreds by chapter, one sequence for both sides, and are read in order.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
"" | --files | --raw) ;;
*)
	echo "usage: scripts/story.sh [--files | --raw]" >&2
	exit 2
	;;
esac

# One record per part: NUMBER, TAG, FILE, LINE, TEXT (lines joined by \037),
# sorted by NUMBER.  A part that never closes, or closes with a plain */,
# is an error.
parts() {
	local files dirs=()
	for d in host boot guest abi; do
		[ -d "$d" ] && dirs+=("$d")
	done
	files=$(grep -rlE --include='*.c' --include='*.h' --include='*.S' '/\*[LG]:[0-9]+' \
		"${dirs[@]}" | sort)
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2086 # one word per file
	awk '
		function fail(msg) {
			printf "%s:%d: %s\n", file, start, msg > "/dev/stderr"
			bad = 1
		}
		# One line of a part: the comment syntax off, the text kept.
		function add(line,    end) {
			end = index(line, "*/")
			if (end) {
				if (substr(line, end - 1, 1) != ":")
					fail(tag " ends with */, not :*/")
				line = substr(line, 1, end - 2)
				open = 0
			}
			sub(/^[ \t]*\*?[ \t]?/, "", line)
			sub(/[ \t]+$/, "", line)
			if (n > 0 || line != "")
				text[n++] = line
			if (!open) {
				while (n > 0 && text[n - 1] == "")
					n--
				out = ""
				for (i = 0; i < n; i++)
					out = out (i ? "\037" : "") text[i]
				printf "%d\t%s\t%s\t%d\t%s\n", substr(tag, 3), tag, file, start, out
			}
		}
		FNR == 1 && open { fail(tag " is not closed with :*/"); open = 0 }
		!open && match($0, /\/\*[LG]:[0-9]+/) {
			tag = substr($0, RSTART + 2, RLENGTH - 2)
			file = FILENAME
			start = FNR
			open = 1
			n = 0
			add(substr($0, RSTART + RLENGTH))
			next
		}
		open { add($0) }
		END {
			if (open)
				fail(tag " is not closed with :*/")
			exit bad
		}
	' $files | sort -t "$(printf '\t')" -k1,1n -k3,3 -k4,4n
}

records=$(parts)
case "$mode" in
--raw)
	printf '%s\n' "$records" | tr '\037' ' '
	;;
--files)
	printf '%s\n' "$records" | awk -F'\t' '!seen[$3]++ { printf "%-6s %s\n", $2, $3 }'
	;;
*)
	printf '%s\n' "$records" | awk -F'\t' '
		{
			if (NR > 1)
				print ""
			printf "%-6s %s:%d\n", $2, $3, $4
			n = split($5, line, "\037")
			for (i = 1; i <= n; i++)
				print (line[i] == "" ? "" : "    " line[i])
		}'
	;;
esac
