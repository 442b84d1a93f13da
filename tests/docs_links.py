#!/usr/bin/env python3
"""Checks the documentation's links: every relative link in README.md and
docs/*.md names a file that exists, and every #anchor a heading of the file
it points into (GitHub's anchors: lower case, punctuation dropped, spaces as
hyphens, -1, -2... for repeated headings). Every page of docs/ is linked
from the README, and the README's two set-up commands name scripts that
exist.

usage: docs_links.py SOURCE_ROOT
"""
import os
import re
import sys

LINK = re.compile(r'(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')


def prose_lines(text):
    """The lines outside fenced and indented code blocks, with inline code
    spans blanked (links in code are not links). An indented line is code
    when it follows a blank line or code (a list item's continuation follows
    text, and stays prose)."""
    out, fenced, prev = [], False, 'blank'
    for line in text.split('\n'):
        if line.lstrip().startswith('```'):
            fenced = not fenced
            out.append('')
            prev = 'code'
            continue
        if fenced or ((line.startswith('    ') or line.startswith('\t')) and prev in ('blank', 'code')):
            out.append('')
            prev = 'code'
            continue
        prev = 'blank' if not line.strip() else 'text'
        out.append(re.sub(r'`[^`]*`', '``', line))
    return out


def slug(heading):
    h = heading.strip().lower()
    h = re.sub(r'[^\w\- ]', '', h)
    return h.replace(' ', '-')


def anchors(path):
    seen, out = {}, set()
    fenced = False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.lstrip().startswith('```'):
                fenced = not fenced
            m = None if fenced else re.match(r'#{1,6}\s+(.*?)\s*#*\s*$', line)
            if not m:
                continue
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else '%s-%d' % (s, n))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    docs = os.path.join(root, 'docs')
    pages = [os.path.join(root, 'README.md')] + sorted(
        os.path.join(docs, n) for n in os.listdir(docs) if n.endswith('.md'))
    errors, linked_from_readme = [], set()
    cache = {}
    for page in pages:
        with open(page, encoding='utf-8') as f:
            text = f.read()
        for lineno, line in enumerate(prose_lines(text), 1):
            for target in LINK.findall(line):
                if re.match(r'[a-z]+:', target):
                    continue  # http:, https:, mailto:
                where = '%s:%d: %s' % (os.path.relpath(page, root), lineno, target)
                path, _, anchor = target.partition('#')
                dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
                if not os.path.exists(dest):
                    errors.append('%s: no such file' % where)
                    continue
                if page.endswith('README.md'):
                    linked_from_readme.add(dest)
                if anchor:
                    if not dest.endswith('.md'):
                        errors.append('%s: an anchor into a file that is not Markdown' % where)
                        continue
                    if dest not in cache:
                        cache[dest] = anchors(dest)
                    if anchor not in cache[dest]:
                        errors.append('%s: no heading with the anchor #%s in %s' %
                                      (where, anchor, os.path.relpath(dest, root)))
    for page in pages[1:]:
        if os.path.normpath(page) not in linked_from_readme:
            errors.append('README.md does not link to %s' % os.path.relpath(page, root))
    with open(pages[0], encoding='utf-8') as f:
        readme = f.read()
    for script in ('demo', 'run-tests'):
        if 'bash scripts/%s' % script not in readme:
            errors.append('README.md no longer shows `bash scripts/%s`' % script)
        if not os.path.isfile(os.path.join(root, 'scripts', script)):
            errors.append('README.md shows `bash scripts/%s`, but there is no such script' % script)
    for e in errors:
        print('FAIL: ' + e)
    if not errors:
        print('ok: the links of README.md and %d pages of docs/ resolve' % (len(pages) - 1))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
