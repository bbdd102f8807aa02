#!/bin/sh
# completion — the bash completion script (completion/cutover) offers what
# the cutover binary next to it offers: its commands and options from
# --help (so a new command completes without an edit here), plan files
# for -c/--plan, and the kubeconfig's context names for --context, read
# with kubectl when there is one and without it otherwise.  Each case is
# run in a fresh `bash -c` the way bash runs a completion function: with
# COMP_WORDS/COMP_CWORD set, answering in COMPREPLY.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
command -v bash >/dev/null 2>&1 || skip_all "no bash"
plan 12

script="$top_srcdir/completion/cutover"
mkdir -p "$T/bin" "$T/plans/sub" "$T/nokubectl"
ln -s "$CUTOVER" "$T/bin/cutover"
: >"$T/plans/a.yaml"
: >"$T/plans/b.yml"
: >"$T/plans/notes.txt"
cat >"$T/kubeconfig" <<'EOF2'
apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://127.0.0.1:1
  name: c1
contexts:
- context:
    cluster: c1
    user: u1
  name: arn:aws:eks:eu-west-1:111222333444:cluster/ExampleCluster
- name: staging
  context:
    cluster: c1
    user: u1
current-context: staging
users:
- name: u1
  user:
    token: not-a-context
EOF2
# The tools bash itself needs, without kubectl.
for t in bash awk tr cat; do
	ln -s "$(command -v $t)" "$T/nokubectl/$t"
done

# complete PATH WORD...: the words of the command line, the last one being
# completed; prints COMPREPLY one per line, sorted.
complete_words() {
	local path="$1"
	shift
	(cd "$T/plans" && PATH="$path" KUBECONFIG="$T/kubeconfig" \
		bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
			 COMPREPLY=(); _cutover; printf "%s\n" "${COMPREPLY[@]}"' \
		"$script" "$@") | sort
}
P="$T/bin:$PATH"

help_cmds=$("$CUTOVER" --help | sed -n '/^commands:/,/^$/p' |
	awk '/^  [a-z]/ { print $1 }' | sort)
is "commands are those of --help" "$(complete_words "$P" cutover "")" \
	"$help_cmds"
is "a prefix narrows them" "$(complete_words "$P" cutover re)" \
	"$(printf 'reconcile\nresume\nretry')"
is "after an option with its value, commands again" \
	"$(complete_words "$P" cutover -c x.yaml --context k adv)" "advance"
is "no second command" "$(complete_words "$P" cutover status "")" ""
like "long options" "$(complete_words "$P" cutover --)" "--read-only"
is "an option's prefix" "$(complete_words "$P" cutover --js)" "--json"
is "-c completes plan files and directories" \
	"$(complete_words "$P" cutover -c "")" "$(printf 'a.yaml\nb.yml\nsub')"
is "--plan too" "$(complete_words "$P" cutover --plan a)" "a.yaml"
ctxs=$(printf '%s\n' "arn:aws:eks:eu-west-1:111222333444:cluster/ExampleCluster" staging | sort)
is "--context without kubectl: the kubeconfig's contexts" \
	"$(complete_words "$T/nokubectl" cutover --context "")" "$ctxs"
if command -v kubectl >/dev/null 2>&1; then
	is "--context with kubectl: the same" \
		"$(complete_words "$P" cutover --context "")" "$ctxs"
else
	skip_one "--context with kubectl" "no kubectl"
fi
is "--reason takes free text: nothing offered" \
	"$(complete_words "$P" cutover --reason "")" ""
# The script registers itself for the name cutover.
is "registered for cutover" \
	"$(bash -c '. "$0"; complete -p cutover' "$script")" \
	"complete -F _cutover cutover"
