# A batch script as bash runs it (issue 20 item 7), bash itself the root of
# the tree: each step runs a pipeline `emit_lines | awk > file` (bash waits
# for both, the two siblings share a pipe, awk's output file is its own),
# then more commands that read what the pipeline wrote.
#   bash pipeline_steps.sh EMIT_LINES
emit=$1
for step in 1 2 3 4 5 6; do
	"$emit" "$step" 15 | awk '{ s += $3; print $2, $3, s } END { print "sum", s }' > "step.$step.txt"
	echo "step $step: $(wc -l < "step.$step.txt") lines, $(tail -n 1 "step.$step.txt")"
	sort -k 2 -n "step.$step.txt" | head -n 2
done
cat step.*.txt | md5sum
echo done
