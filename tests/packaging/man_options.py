#!/usr/bin/env python3
"""man_options.py MAN_DIR CONFIG_C TOOL=COMMAND...: --help and the man pages
must not drift apart.

For each TOOL (tcp-run, tcp-ckpt, tcp-restore, tcp-inspect): the options its
`--help` lists (lines "  -x, --long ARG  text") and the options its page
MAN_DIR/TOOL.1.scd documents (terms "*--long* _ARG_" in OPTIONS) must be the
same, both ways; and the tool must accept each of them (run with the option
and a bogus one after it, it must complain about the bogus one, not about
the option). Then every variable libtcp reads (get("TCP_...") in CONFIG_C)
must be described in the ENVIRONMENT section of tcp(7)."""
import os
import re
import subprocess
import sys
import tempfile

OPT = re.compile(r'--?[A-Za-z][-A-Za-z0-9]*')
BOGUS = '--no-such-option-for-the-man-test'


def help_options(text):
    """{option: metavariable or None} from the option lines of --help."""
    opts = {}
    for line in text.splitlines():
        if not re.match(r'  -', line):
            continue
        words = line.split()
        last = None
        for w in words:
            w = w.rstrip(',')
            if OPT.fullmatch(w.split('=')[0]):
                last = w.split('=')[0]
                opts[last] = None
            elif last and re.fullmatch(r'[A-Z][A-Z0-9_]*', w) and opts[last] is None:
                opts[last] = w  # "--dir D": D is its value
            else:
                break
    return opts


def section(scd, name):
    """The lines of section '# NAME' of an scdoc page."""
    out, inside = [], False
    for line in scd.splitlines():
        if line.startswith('# '):
            inside = line[2:].strip() == name
            continue
        if inside:
            out.append(line)
    return out


def page_options(scd):
    """{option: metavariable or None} from the terms of the OPTIONS section."""
    opts = {}
    for line in section(scd, 'OPTIONS'):
        if not line.startswith('*-'):
            continue
        for m in re.finditer(r'\*(--?[A-Za-z][-A-Za-z0-9]*)\*(?: _([A-Z][A-Z0-9_]*)_)?', line):
            opts[m.group(1)] = m.group(2)
    return opts


def sample(metavar, tmp):
    return {'D': tmp, 'DIR': tmp, 'N': '1', 'S': '1', 'SIG': 'USR2', 'C': 'zstd', 'P': 'close',
            'PATH': os.path.join(tmp, 'none')}.get(metavar, '1')


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    man_dir, config_c, tools = sys.argv[1], sys.argv[2], sys.argv[3:]
    problems = []
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for spec in tools:
            name, _, cmd = spec.partition('=')
            cmd = os.path.abspath(cmd)
            run = subprocess.run([cmd, '--help'], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                 timeout=30)
            if run.returncode != 0:
                problems.append(f'{name} --help exited {run.returncode}: {run.stderr.strip()}')
                continue
            in_help = help_options(run.stdout)
            with open(os.path.join(man_dir, name + '.1.scd'), encoding='utf-8') as f:
                in_page = page_options(f.read())
            if not in_help:
                problems.append(f'{name} --help lists no options (the parser found none)')
            for o in sorted(set(in_help) - set(in_page)):
                problems.append(f'{name}: {o} is in --help but not in the OPTIONS of {name}(1)')
            for o in sorted(set(in_page) - set(in_help)):
                problems.append(f'{name}: {o} is in {name}(1) but not in --help')
            for o in sorted(set(in_help) & set(in_page)):
                if in_help[o] != in_page[o]:
                    problems.append(f'{name}: {o} takes {in_help[o]} in --help, {in_page[o]} in {name}(1)')
            # Accepted: the tool parses the option (and its value), then
            # stops at the bogus one; -h/--help/--version exit 0 first.
            for o, metavar in sorted({**in_page, **in_help}.items()):
                args = [cmd, o] + ([sample(metavar, tmp)] if metavar else []) + [BOGUS]
                run = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=tmp,
                                     timeout=30)
                out = run.stdout + run.stderr
                if f'unknown option {o}' in out or (run.returncode != 0 and BOGUS not in out):
                    problems.append(f'{name} does not accept {o}: {" ".join(args[1:])} exited {run.returncode}: '
                                    f'{out.strip()[:300]}')
                checked += 1
            print(f'{name}: {len(in_help)} options in --help, {len(in_page)} in {name}(1)')

    with open(config_c, encoding='utf-8') as f:
        variables = sorted(set(re.findall(r'get\("(TCP_[A-Z_]+)"\)', f.read())))
    with open(os.path.join(man_dir, 'tcp.7.scd'), encoding='utf-8') as f:
        env = '\n'.join(section(f.read(), 'ENVIRONMENT')).replace('\\_', '_')
    if not variables:
        problems.append(f'no get("TCP_...") found in {config_c}')
    for v in variables:
        if not re.search(r'^\*' + v + r'\*', env, re.M):
            problems.append(f'libtcp reads {v} ({config_c}) but the ENVIRONMENT of tcp(7) does not describe it')
    print(f'{len(variables)} variables of libtcp, {checked} options run')

    for p in problems:
        print('FAIL:', p)
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
