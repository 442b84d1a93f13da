#!/usr/bin/env python3
"""spack_recipe.py SOURCE_ROOT: packaging/spack/package.py (read, not run:
Spack is not installed here) must match the build it describes, and so must
debian/control's Build-Depends:

- a MesonPackage; every dependency() meson.build requires (pkg-config name
  -> Spack package: libzstd -> zstd, libunwind -> libunwind) is a depends_on
  with the same minimum version (meson '>= X' = Spack '@X:'), and the
  Debian Build-Depends names its -dev package with the same minimum;
- meson itself at meson_version's minimum; python, pkgconfig, ninja and the
  C compiler as build dependencies; scdoc, which doc/man/meson.build looks
  for with required: get_option('man'), only with +man;
- no depends_on that the build does not need;
- every option of meson_options.txt is passed in meson_args (-Dname=...);
  every boolean or feature option but 'tests' (Spack's run_tests) is a
  variant of the same name, a boolean one with the same default; and every
  variant is such an option."""
import ast
import os
import re
import sys

SPACK_NAME = {'libzstd': 'zstd', 'libunwind': 'libunwind'}
DEBIAN_DEV = {'libzstd': 'libzstd-dev', 'libunwind': 'libunwind-dev'}
BUILD_TOOLS = {'c', 'meson', 'ninja', 'pkgconfig', 'python', 'scdoc'}


def meson_min(spec):
    m = re.fullmatch(r'\s*>=\s*([0-9][0-9.]*)\s*', spec or '')
    return m.group(1) if m else None


def read(root, *path):
    with open(os.path.join(root, *path), encoding='utf-8') as f:
        return f.read()


def meson_dependencies(text):
    """{pkg-config name: (minimum version or None, required)}"""
    deps = {}
    for m in re.finditer(r"dependency\('([^']+)'([^)]*)\)", text):
        name, rest = m.group(1), m.group(2)
        v = re.search(r"version:\s*'([^']*)'", rest)
        required = not re.search(r'required:\s*false', rest)
        old = deps.get(name)
        deps[name] = (meson_min(v.group(1)) if v else (old[0] if old else None), required or (old and old[1]))
    return deps


def meson_options(text):
    """{name: (type, default)}"""
    opts = {}
    for m in re.finditer(r"option\('([^']+)',\s*type:\s*'([^']+)',\s*value:\s*([^,\n)]+)", text):
        opts[m.group(1)] = (m.group(2), m.group(3).strip().strip("'"))
    return opts


def kw(call, name):
    for k in call.keywords:
        if k.arg == name:
            return ast.literal_eval(k.value)
    return None


def recipe(text):
    tree = ast.parse(text)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in cls.bases]
    deps, variants, dflags = {}, {}, set()
    for node in ast.walk(cls):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == 'depends_on':
                spec = ast.literal_eval(node.args[0])
                m = re.match(r'([a-z0-9-]+)(?:@([^ ]+))?', spec)
                deps[m.group(1)] = {'spec': spec, 'version': m.group(2), 'type': kw(node, 'type'),
                                    'when': kw(node, 'when')}
            elif node.func.id == 'variant':
                variants[ast.literal_eval(node.args[0])] = kw(node, 'default')
        if isinstance(node, ast.FunctionDef) and node.name == 'meson_args':
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    dflags.update(re.findall(r'-D([A-Za-z0-9_]+)=', sub.value))
    return cls.name, bases, deps, variants, dflags


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    problems = []
    build = read(root, 'meson.build') + read(root, 'inspect', 'meson.build')
    man_build = read(root, 'doc', 'man', 'meson.build')
    options = meson_options(read(root, 'meson_options.txt'))
    name, bases, deps, variants, dflags = recipe(read(root, 'packaging', 'spack', 'package.py'))
    control = read(root, 'debian', 'control')
    build_depends = re.search(r'^Build-Depends:(.*?)^\S', control, re.M | re.S).group(1)

    if 'MesonPackage' not in bases:
        problems.append(f'class {name} is not a MesonPackage (bases: {bases})')

    needed = set()
    for pc, (minimum, required) in meson_dependencies(build).items():
        if not required:
            continue  # criterion: the unit tests only, built when found
        sp = SPACK_NAME.get(pc)
        if not sp:
            problems.append(f"meson.build requires dependency('{pc}'), which this test cannot map to Spack")
            continue
        needed.add(sp)
        if sp not in deps:
            problems.append(f"meson.build requires {pc} but the recipe has no depends_on('{sp}...')")
        elif (deps[sp]['version'] or '') != (minimum + ':' if minimum else ''):
            problems.append(f"{pc}: meson.build wants {'>= ' + minimum if minimum else 'any version'}, "
                            f"the recipe {deps[sp]['spec']}")
        dev = DEBIAN_DEV[pc]
        m = re.search(re.escape(dev) + r'\s*(\(>=\s*([0-9.]+)\))?', build_depends)
        if not m:
            problems.append(f'debian/control Build-Depends lacks {dev}')
        elif (m.group(2) or None) != minimum:
            problems.append(f'{dev}: debian/control wants {m.group(2)}, meson.build {minimum}')

    meson_version = meson_min(re.search(r"meson_version:\s*'([^']*)'", build).group(1))
    if (deps.get('meson') or {}).get('version') != meson_version + ':':
        problems.append(f"meson_version >= {meson_version}: the recipe has {deps.get('meson', {}).get('spec')}")
    if not re.search(r'meson \(>=\s*' + re.escape(meson_version) + r'\)', build_depends):
        problems.append(f'debian/control does not ask for meson (>= {meson_version})')
    for tool in ('c', 'ninja', 'pkgconfig', 'python'):
        if tool not in deps:
            problems.append(f"no depends_on('{tool}', type='build')")
        elif deps[tool]['type'] != 'build':
            problems.append(f"{tool} is type {deps[tool]['type']}, not 'build'")
    if "find_program('python3')" not in build:
        problems.append("meson.build no longer runs python3: drop depends_on('python') (and update this test)")

    if re.search(r"find_program\('scdoc', required: get_option\('man'\)", man_build):
        if 'scdoc' not in deps or deps['scdoc']['when'] != '+man' or deps['scdoc']['type'] != 'build':
            problems.append("scdoc: the recipe must have depends_on('scdoc', type='build', when='+man')")
        if not re.search(r'^\s*scdoc\s*$', build_depends, re.M) and 'scdoc,' not in build_depends:
            problems.append('debian/control Build-Depends lacks scdoc (rules builds with -Dman=enabled)')
    else:
        problems.append("doc/man/meson.build no longer finds scdoc with required: get_option('man')")

    for d in sorted(set(deps) - needed - BUILD_TOOLS):
        problems.append(f"the recipe depends on {d}, which meson.build does not require")

    for opt, (typ, default) in options.items():
        if opt not in dflags:
            problems.append(f'meson option {opt} is not set in meson_args (-D{opt}=...)')
        if opt == 'tests':
            continue
        if typ in ('boolean', 'feature') and opt not in variants:
            problems.append(f'meson option {opt} ({typ}) has no variant {opt}')
        if typ == 'boolean' and opt in variants and variants[opt] != (default == 'true'):
            problems.append(f'variant {opt} defaults to {variants[opt]}, meson option {opt} to {default}')
    for v in variants:
        if v not in options:
            problems.append(f'variant {v} is no meson option')
    for flag in sorted(dflags - set(options)):
        problems.append(f'meson_args sets -D{flag}, which meson_options.txt does not have')

    print(f'recipe {name}: {len(deps)} dependencies, {len(variants)} variants, meson_args -D{", -D".join(sorted(dflags))}')
    for p in problems:
        print('FAIL:', p)
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
