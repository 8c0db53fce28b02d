#!/usr/bin/env python3
"""Writes tests/unit/test_handles.c's cases from the public headers: every public function that
takes a handle is called with a handle of every other kind in that place (all its other arguments
valid), and must refuse it without touching it:

- a function documented to return error codes returns SKYCRATE_EINVAL with "handle" in the
  message;
- an accessor returns its empty value (0, NULL or "");
- a function returning nothing leaves the foreign handle as it was (its magic number intact).

Usage: gen_handle_test.py INCLUDE_DIR OUTPUT.c
"""
import re
import sys
from pathlib import Path

KINDS = ['client', 'client_config', 'credentials', 'credentials_provider', 'http_transport',
         'http_request', 'http_response', 'object_info', 'object_page', 'presigner',
         'presign_request', 'presigned', 'post_policy', 'post_form', 'provisioner',
         'provisioner_config', 'record', 'verify_report', 'usage_report', 'deprovision_report',
         'user_store', 'user_store_value', 'transfer_options', 'transfer_result', 'doctor',
         'doctor_case', 'diagnosis']

STRINGS = {'bucket': '"bkt"', 'key': '"k"', 'method': '"PUT"', 'region': '"eu-west-1"',
           'url': '"https://example.com"', 'origin': '"https://app.example.com"',
           'path': '"/nonexistent/skycrate-handles"', 'prefix': '"uploads"', 'user_id': '"u"',
           'name': '"x-amz-meta-a"', 'value': '"v"', 'content_type': '"text/plain"',
           'json': '"{}"', 'filename': '"f.txt"', 'upload_id': '"id"', 'access_key_id': '"AKID"',
           'secret_access_key': '"s"', 'suffix': '"x"', 'message': '"m"'}
NULL_STRINGS = {'expected_json', 'continuation_token', 'kms_key_id', 'ca_file', 'ca_path',
                'profile', 'session_token'}
INTEGERS = {'flags': '0', 'index': '0', 'status': '200', 'unix_seconds': '1700000000',
            'expiration': '0', 'lock_timeout_ms': '0', 'min_bytes': '0', 'bucket_key': '0',
            'max_level': 'SKYCRATE_LOG_LEVEL_NONE', 'step': 'SKYCRATE_STEP_CREATE',
            'state': 'SKYCRATE_STATE_ACTIVE', 'addressing': 'SKYCRATE_ADDRESSING_AUTO',
            'encryption': 'SKYCRATE_ENCRYPTION_AES256', 'mode': 'SKYCRATE_FAILURE_MODE_STRICT',
            'ownership': 'SKYCRATE_OWNERSHIP_BUCKET_OWNER_ENFORCED',
            'code': 'SKYCRATE_EUSER'}
CALLBACKS = {'skycrate_read_fn': 'handles_read_fn', 'skycrate_write_fn': 'handles_write_fn',
             'skycrate_credentials_get_fn': 'handles_get_fn', 'skycrate_log_fn': 'handles_log_fn',
             'skycrate_progress_fn': 'handles_progress_fn'}


def parse(incdir):
    """The public functions: name, return type, parameters, and the text of @return."""
    out = []
    for header in sorted(Path(incdir, 'skycrate').glob('*.h')):
        text = header.read_text()
        for m in re.finditer(r'(/\*\*(?:(?!\*/).)*\*/)\s*SKYCRATE_API\s+([^;]*?)\b(skycrate_\w+)'
                             r'\s*\(([^;]*?)\)\s*;', text, re.S):
            doc, ret, name, params = m.groups()
            params = ' '.join(params.split())
            plist = []
            if params != 'void':
                for p in params.split(','):
                    pm = re.match(r'(.*?)(\w+)$', p.strip())
                    plist.append((' '.join(pm.group(1).split()), pm.group(2)))
            rd = re.search(r'@return(.*?)(?:\n \*/|\n \* @|\*/)', doc, re.S)
            out.append({'name': name, 'ret': ' '.join(ret.split()), 'params': plist,
                        'retdoc': ' '.join(rd.group(1).split()) if rd else ''})
    return out


def handle_kind(ctype):
    """The kind of an input handle parameter ('client'), or None."""
    m = re.fullmatch(r'(?:const )?skycrate_(\w+) \*(?:const \*)?', ctype)
    if m and m.group(1) in KINDS:
        return m.group(1)
    return None


def argument(ctype, name, f):
    if ctype in CALLBACKS:
        return CALLBACKS[ctype]
    if ctype.endswith('**'):
        return '(%s)&slots[0]' % ctype
    if ctype in ('size_t *',):
        return '&size_slot'
    if ctype in ('char *', 'void *') and name in ('buf',):
        return 'scratch'
    if ctype == 'void *':
        return 'NULL'
    if ctype == 'const void *':
        return '"x"'
    if ctype == 'const char *const *':
        return 'etags'
    if ctype == 'const uint32_t *':
        return 'part_numbers'
    if ctype == 'const char *':
        if name in NULL_STRINGS:
            return 'NULL'
        return STRINGS.get(name, '"x"')
    if name in ('cap', 'capacity'):
        return 'sizeof(scratch)'
    if name in INTEGERS:
        return INTEGERS[name]
    if re.fullmatch(r'(?:const )?skycrate_\w+ \*', ctype) and not ctype.endswith('_callbacks *'):
        raise SystemExit('gen_handle_test.py: %s of %s is a handle of a kind this test does not '
                         'know: give the kind a magic in lib/core/common.h, add it to KINDS here '
                         'and to tests/support/handles.{c,h} (docs/HACKING.md, "Handles")'
                         % (ctype, f['name']))
    if '*' in ctype:
        raise SystemExit('gen_handle_test.py: no value for parameter %s %s of %s: add one here'
                         % (ctype, name, f['name']))
    return '1'


def result_kind(f):
    ret = f['ret']
    if ret == 'void':
        return 'R_VOID'
    if '*' in ret:
        return 'R_STRING' if 'char' in ret else 'R_POINTER'
    if ret == 'int' and ('SKYCRATE_E' in f['retdoc'] or f['retdoc'].startswith('0')):
        return 'R_CODE'
    return 'R_VALUE'


def emit_case(f, pos, index):
    args = []
    for i, (ctype, name) in enumerate(f['params']):
        kind = handle_kind(ctype)
        if i == pos:
            args.append('(%s)%s' % (ctype, '&wrong' if ctype.endswith('const *') else 'wrong'))
        elif kind:
            if ctype.endswith('const *'):
                args.append('(%s)&h[HK_%s]' % (ctype, kind.upper()))
            else:
                args.append('(%s)h[HK_%s]' % (ctype, kind.upper()))
        else:
            args.append(argument(ctype, name, f))
    call = '%s(%s)' % (f['name'], ', '.join(args))
    rk = result_kind(f)
    lines = ['static void case_%d(void **h, void *wrong, result *r)' % index, '{',
             '    (void)h, (void)r;']
    if rk == 'R_VOID':
        lines.append('    %s;' % call)
    elif rk in ('R_STRING', 'R_POINTER'):
        lines.append('    const void *p = (const void *)%s;' % call)
        lines.append('    r->pointer = p;')
    else:
        lines.append('    r->value = (long long)%s;' % call)
    lines.append('}')
    kind = handle_kind(f['params'][pos][0])
    entry = '    {"%s", %d, HK_%s, %s, case_%d},' % (f['name'], pos, kind.upper(), rk, index)
    return '\n'.join(lines), entry


def main():
    incdir, output = sys.argv[1], sys.argv[2]
    bodies, entries = [], []
    for f in parse(incdir):
        for pos, (ctype, _) in enumerate(f['params']):
            if handle_kind(ctype):
                body, entry = emit_case(f, pos, len(entries))
                bodies.append(body)
                entries.append(entry)
    text = ['/* Generated by tests/gen_handle_test.py from the public headers: do not edit. */',
            '#include "handle_cases.h"', '',
            'static char scratch[4096];', 'static void *slots[16];', 'static size_t size_slot;',
            'static const char *const etags[1] = {"\\"e\\""};',
            'static const uint32_t part_numbers[1] = {1};', '']
    text += [b + '\n' for b in bodies]
    text += ['const handle_case handle_cases[] = {'] + entries + ['};',
             'const size_t handle_case_count = sizeof(handle_cases) / sizeof(handle_cases[0]);', '']
    Path(output).write_text('\n'.join(text))


if __name__ == '__main__':
    main()
