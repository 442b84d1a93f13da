#!/usr/bin/env python3
"""install_paths.py IN OUT NAME=VALUE...: copies the script IN to OUT with each
line `NAME=` (empty, as in the source tree) set to NAME='VALUE'. Used by
meson for the installed tcp-run, which then finds libtcp.so at VALUE
(relative to its own directory) and nowhere else. Fails if a NAME= line is
missing, so that a renamed variable cannot silently leave the installed
script looking in the source tree's places."""
import os
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(src, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for pair in pairs:
        name, _, value = pair.partition('=')
        if "'" in value or '\n' in value:
            sys.exit(f'install_paths.py: {name}: the value {value!r} cannot be quoted for sh')
        hits = [i for i, line in enumerate(lines) if line == name + '=']
        if len(hits) != 1:
            sys.exit(f'install_paths.py: {src} has {len(hits)} lines "{name}=" (one expected)')
        lines[hits[0]] = f"{name}='{value}'"
    with open(dst, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    os.chmod(dst, 0o755)


if __name__ == '__main__':
    main()
