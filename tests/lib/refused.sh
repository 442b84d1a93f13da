# Sourced by the tests of refused checkpoints.
#
# judge_refused NAME STATUS REF PATTERN [IMGDIR]: a checkpoint that had to
# be refused. The program must have gone on to its normal end (STATUS 0 and
# NAME.out equal to REF) and said why on stderr (NAME.err matches PATTERN);
# with IMGDIR, no image may have been written there. Calls the caller's
# fail() with what is wrong, or prints "ok:" with the message.
judge_refused() {
	local name=$1 rc=$2 ref=$3 pattern=$4 imgdir=${5-}
	if [ "$rc" != 0 ]; then
		fail "$name: exit status $rc, expected 0 (the program must go on); stderr: $(cat "$name.err")"
	elif ! cmp -s "$ref" "$name.out"; then
		fail "$name: output differs from the run without a checkpoint"
	elif ! grep -Eq "$pattern" "$name.err"; then
		fail "$name: stderr does not match /$pattern/: $(cat "$name.err")"
	elif [ -n "$imgdir" ] && ls "$imgdir" 2>/dev/null | grep -q '\.tcp$'; then
		fail "$name: an image was written"
	else
		echo "ok: $name: $(grep -E "$pattern" "$name.err" | head -c 400)"
	fi
}
