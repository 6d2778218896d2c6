#!/usr/bin/env bash
# The numbered story along the code (scripts/story.sh, README "Reading the
# code"): every number used once; inside one C function, and through an
# assembly file, the parts stand in the order the code runs them; every file
# a part names exists, and so does every part or chapter it refers to; a
# part that hands the story to another file says so with "Next: FILE", and
# FILE is where the next part is; L parts are pvkit's (host/, boot/), G parts
# the guest's.  The same checks run on a small broken tree first, to show
# that each of them can fail.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each check reads the parts of the tree in the current directory from the
# file $RAW (scripts/story.sh --raw) and prints one line per fault.

# The function or file a part is in, for the order check.  C defines helpers
# above their callers, so from one function to the next the story may go up
# a file; inside a function body ("{" to "}" at the start of a line) it may
# not.  Assembly falls through from label to label: the whole file is one.
# A part between functions stands alone.
unit_of() {
	case $1 in
	*.S) echo "$1" ;;
	*) awk -v at="$2" -v f="$1" 'NR == at { exit } /^[{}]$/ { n++ }
		END { print (n % 2 ? f ":body" n : f ":" at) }' "$1" ;;
	esac
}

faults_unique() {
	cut -f1 "$RAW" | sort -n | uniq -d | sed 's/^/number used twice: /'
}

faults_order() {
	local tag file line
	while IFS=$'\t' read -r _ tag file line _; do
		printf '%s\t%s\t%s\n' "$(unit_of "$file" "$line")" "$tag" "$line"
	done <"$RAW" | awk -F'\t' '
		$1 in last && $3 + 0 <= last[$1] {
			printf "%s: %s (line %d) comes after %s (line %d) in the story but not in the code\n",
				$1, $2, $3, tag[$1], last[$1]
		}
		{ last[$1] = $3; tag[$1] = $2 }'
}

# Paths from the top of the tree (a first directory of ours, then anything),
# and bare source file names, which must be the name of one of ours.
faults_files() {
	local path
	cut -f5 "$RAW" | grep -oE '(^|[^A-Za-z0-9_.-])(abi|boot|host|guest|tests|docs|scripts|fuzz|bench|rootfs)/[A-Za-z0-9_./-]*' |
		sed 's/^[^a-z]//; s/[.]*$//' | sort -u | while read -r path; do
		[ -e "$path" ] || echo "names $path, which does not exist"
	done
	cut -f5 "$RAW" | grep -oE '(^|[^/A-Za-z0-9_.-])[A-Za-z0-9_-]+\.[chS]\b' | sed 's/^[^A-Za-z0-9_-]//' |
		sort -u | while read -r path; do
		[ -n "$(find abi boot host guest -name "$path" -print -quit 2>/dev/null)" ] ||
			echo "names $path, which is no file of abi/, boot/, host/ or guest/"
	done
}

# "L:150" must be a part, "L:300s" a chapter with parts.
faults_refs() {
	awk -F'\t' 'NR == FNR { have[$2] = 1; chapter[substr($2, 1, 2) int($1 / 100)] = 1; next }
		{
			text = $5
			while (match(text, /[LG]:[0-9]+s?/)) {
				ref = substr(text, RSTART, RLENGTH)
				text = substr(text, RSTART + RLENGTH)
				if (ref ~ /s$/) {
					n = substr(ref, 3, length(ref) - 3)
					if (n % 100 || !((substr(ref, 1, 2) n / 100) in chapter))
						print $2 " refers to " ref ", which is no chapter"
				} else if (!(ref in have))
					print $2 " refers to " ref ", which is no part"
			}
		}' "$RAW" "$RAW"
}

faults_next() {
	awk -F'\t' '
		function said(text) {
			if (!match(text, /Next: [^ ]+/))
				return ""
			text = substr(text, RSTART + 6, RLENGTH - 6)
			sub(/[.,;:]+$/, "", text)
			return text
		}
		NR > 1 {
			if (file[NR - 1] != $3 && next_file[NR - 1] != $3)
				print tag[NR - 1] " hands the story to " $3 " but its Next: says \"" next_file[NR - 1] "\""
			else if (file[NR - 1] == $3 && next_file[NR - 1] != "")
				print tag[NR - 1] " says Next: " next_file[NR - 1] " but " $2 " is in the same file"
		}
		{ tag[NR] = $2; file[NR] = $3; next_file[NR] = said($5) }
		END {
			if (NR && next_file[NR] != "")
				print tag[NR] ", the last part, says Next: " next_file[NR]
		}' "$RAW"
}

faults_sides() {
	awk -F'\t' '$2 ~ /^L/ && $3 !~ /^(host|boot)\// { print $2 " is in " $3 ", not in host/ or boot/" }
		$2 ~ /^G/ && $3 !~ /^guest\// { print $2 " is in " $3 ", not in guest/" }' "$RAW"
}

CHECKS="unique order files refs next sides"
declare -A WHAT=(
	[unique]="every number is used once"
	[order]="parts stand in the order the code runs them (in a function, in an assembly file)"
	[files]="every file the story names exists"
	[refs]="every part and chapter the story refers to exists"
	[next]="each Next: names the file the story goes on in, and only where it changes files"
	[sides]="L parts are in host/ or boot/, G parts in guest/"
)

# A broken tree: each check must find something in it.
bad=$tmp/bad
mkdir -p "$bad/scripts" "$bad/host"
cp scripts/story.sh "$bad/scripts/"
cat >"$bad/host/a.c" <<'EOF'
/*L:100 Names host/missing.c and refers to L:990 and the L:700s.
 * Next: host/b.c. :*/
int f(void);
int f(void)
{
	/*L:120 In the story after L:110, in the code before it. :*/
	f();
	/*L:110 Here. :*/
	return 0;
}
EOF
cat >"$bad/host/b.c" <<'EOF'
/*L:120 A number used twice, in the last part. Next: host/a.c. :*/
/*G:115 A guest part on pvkit's side. :*/
EOF
if (cd "$bad" && scripts/story.sh --raw >"$tmp/bad.raw"); then
	for c in $CHECKS; do
		found=$(cd "$bad" && RAW=$tmp/bad.raw "faults_$c")
		if [ -n "$found" ]; then
			ok "story check '$c' fails on a broken tree (${found%%$'\n'*})"
		else
			not_ok "story check '$c' finds nothing wrong in a tree built to break it"
		fi
	done
else
	not_ok "scripts/story.sh --raw on the broken tree"
fi
cat >"$bad/host/b.c" <<'EOF'
/*L:200 Closed like any comment. */
EOF
(cd "$bad" && scripts/story.sh --raw >/dev/null 2>"$tmp/err")
rc=$?
check "scripts/story.sh refuses a part not closed with :*/ (status $rc, $(cat "$tmp/err"))" \
	[ $rc -ne 0 -a "$(cat "$tmp/err")" = "host/b.c:1: L:200 ends with */, not :*/" ]

# The tree's own story.
RAW=$tmp/raw
if scripts/story.sh --raw >"$RAW" 2>"$tmp/err"; then
	ok "scripts/story.sh reads the story of the tree"
else
	not_ok "scripts/story.sh --raw fails: $(cat "$tmp/err")"
fi
count=$(wc -l <"$RAW")
first=$(head -n1 "$RAW" | cut -f2,3 | tr "\t" " ")
check "the story starts at L:100 in host/main.c ($first) and has 25 parts or more ($count)" \
	[ "$first" = "L:100 host/main.c" -a "$count" -ge 25 ]
for c in $CHECKS; do
	found=$("faults_$c")
	if [ -z "$found" ]; then
		ok "story: ${WHAT[$c]}"
	else
		not_ok "story: ${WHAT[$c]}"
		printf '%s\n' "$found" | sed 's/^/# /'
	fi
done

# The README's reading list is the one the tree gives, and both the README
# and docs/vmm.md send the reader to the script.
scripts/story.sh --files >"$tmp/files"
grep -E '^    [LG]:[0-9]+ +[a-z]' README.md | sed 's/^    //' >"$tmp/readme-files"
if cmp -s "$tmp/files" "$tmp/readme-files"; then
	ok "README: the reading list is scripts/story.sh --files"
else
	not_ok "README: the reading list is scripts/story.sh --files"
	echo "# to fix README.md (- README, + scripts/story.sh --files):"
	diff -u "$tmp/readme-files" "$tmp/files" | sed 's/^/# /'
fi
for doc in README.md docs/vmm.md; do
	check "$doc names scripts/story.sh" grep -q 'scripts/story.sh' "$doc"
done
