#!/usr/bin/python3
"""Writes tests/vectors/s3-golden/<case>/: S3 SigV4 golden cases signed by botocore.

Run with Debian's Python (it has botocore; tools/deps installs the pinned version) and the
pure-Python signer:

    BOTO_DISABLE_CRT=true /usr/bin/python3 tools/gen-golden-sigv4.py

The clock is frozen per case. Header signing uses botocore.auth.S3SigV4Auth, query signing
(presigned URLs) S3SigV4QueryAuth; a few generic cases use SigV4Auth to pin down the
NORMALIZE_PATH and DOUBLE_ENCODE flags. Each case directory holds:

  context.json          the inputs of skycrate__sigv4_input, exactly as botocore signed them:
                        mode ("header"|"query"), method, host, path (raw), query ([name, value]
                        raw pairs), headers (every signed header but host, botocore's names and
                        values), payload_hash (null: UNSIGNED-PAYLOAD), credentials, region,
                        service, time (epoch seconds), expires, flags, and the URL botocore built
  canonical-request.txt, string-to-sign.txt, signature.txt
  authorization.txt     header signing: the Authorization header value
  signed-query.txt      query signing: the query string of botocore's presigned URL

The tests read these files; they never run botocore. Commit the output with the generator.
"""
import json
import os
import shutil
from urllib.parse import urlsplit

import golden  # first: checks BOTO_DISABLE_CRT and the botocore version
import botocore
import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode

OUT = os.path.join(golden.vectors_dir(), 's3-golden')

AKID = 'AKIDEXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
TOKEN = ('IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJIMEYCIQD+token/with+plus'
         '/and=equals==')
T0 = 1440938160  # 2015-08-30T12:36:00Z
T1 = 1795876215  # 2026-11-28T10:30:15Z

FLAG_NORMALIZE_PATH = 1
FLAG_DOUBLE_ENCODE = 2


class Capture:
    """Wraps a signer class to keep the canonical request and string to sign it computed."""

    def __init__(self, cls):
        capture = self

        class Signer(cls):
            def string_to_sign(self, request, canonical_request):
                capture.canonical_request = canonical_request
                sts = super().string_to_sign(request, canonical_request)
                capture.string_to_sign = sts
                return sts

            def signature(self, string_to_sign, request):
                sig = super().signature(string_to_sign, request)
                capture.signature = sig
                return sig

        self.cls = Signer


def build_case(name, c):
    """Signs one case with botocore and writes its directory."""
    mode = c.get('mode', 'header')
    service = c.get('service', 's3')
    generic = service != 's3'
    region = c.get('region', 'us-east-1')
    epoch = c.get('time', T0)
    token = c.get('token')
    method = c.get('method', 'GET')
    scheme = c.get('scheme', 'https')
    netloc = c['netloc']
    raw_path = c['path']
    query = c.get('query', [])
    expires = c.get('expires', 3600)
    flags = c.get('flags', 0)

    # The wire path exactly as botocore's REST serializer writes a greedy {Key+} label.
    wire_path = percent_encode(raw_path, safe='/~')
    url = f'{scheme}://{netloc}{wire_path}'
    golden.freeze(epoch)
    creds = Credentials(AKID, c.get('secret', SECRET), token)
    headers = dict(c.get('headers', {}))
    body = c.get('body')
    if isinstance(body, str):
        body = body.encode('utf-8')
    req = AWSRequest(method=method, url=url, headers=headers, data=body,
                     params=[tuple(q) for q in query] if mode == 'header' else dict(query))
    if c.get('unsigned_payload'):
        req.context['client_config'] = Config(s3={'payload_signing_enabled': False})

    if mode == 'header':
        base = auth.SigV4Auth if generic else auth.S3SigV4Auth
        cap = Capture(base)
        signer = cap.cls(creds, service, region)
    else:
        base = auth.SigV4QueryAuth if generic else auth.S3SigV4QueryAuth
        cap = Capture(base)
        signer = cap.cls(creds, service, region, expires=expires)
    signer.add_auth(req)

    host = auth._host_from_url(url)
    signed = []
    for hname, hvalue in req.headers.items():
        if hname.lower() in auth.SIGNED_HEADERS_BLACKLIST or hname.lower() == 'authorization':
            continue
        if hname.lower() == 'host':
            continue
        signed.append([hname, hvalue])
    if mode == 'query':
        # botocore's query signer never puts these headers into a presigned request.
        signed = [h for h in signed if h[0].lower() != 'x-amz-content-sha256']

    cr = cap.canonical_request
    payload_line = cr.rsplit('\n', 1)[1]
    context = {
        'mode': mode,
        'method': method,
        'host': host,
        'path': raw_path,
        'query': [[k, v] for k, v in query],
        'headers': signed,
        'payload_hash': None if payload_line == 'UNSIGNED-PAYLOAD' else payload_line,
        'access_key_id': AKID,
        'secret_access_key': c.get('secret', SECRET),
        'session_token': token,
        'region': region,
        'service': service,
        'time': epoch,
        'expires': expires,
        'flags': flags,
        'url': req.url if mode == 'query' or not query else
        req.url + '?' + cr.split('\n')[2],
        'generator': f'botocore {botocore.__version__}, {base.__name__}',
    }
    d = os.path.join(OUT, name)
    os.makedirs(d)
    with open(os.path.join(d, 'context.json'), 'w', encoding='utf-8') as f:
        json.dump(context, f, indent=2, ensure_ascii=False)
        f.write('\n')

    def write(fname, text):
        with open(os.path.join(d, fname), 'w', encoding='utf-8', newline='') as f:
            f.write(text)

    write('canonical-request.txt', cr)
    write('string-to-sign.txt', cap.string_to_sign)
    write('signature.txt', cap.signature)
    if mode == 'header':
        write('authorization.txt', req.headers['Authorization'])
    else:
        write('signed-query.txt', urlsplit(req.url).query)


def cases():
    """Every case: name -> parameters."""
    out = {}
    aws = 'examplebucket.s3.amazonaws.com'
    both = {}

    # Keys with spaces, unicode, every special character, slashes and dot segments; all
    # path-style on a regional endpoint (the bucket is the first segment), signed both ways.
    keys = {
        'key-spaces': 'my key with  spaces.txt',
        'key-unicode': 'unicodé/日本語/файл €.txt',
        'key-leading-slash': '/leading',
        'key-double-slashes': '//a//b',
        'key-inner-double-slash': 'a//b/',
        'key-dot-segments': 'a/./b/../c',
        'key-dot': '.',
        'key-dotdot': '..',
        'key-dotdot-escape': '../../etc/passwd',
        'key-trailing-dot': 'dir/./',
        'key-all-specials': "a+b=c&d?e#f%g!h*i'j(k)l,m;n:o@p$q~r",
        'key-percent-encoded-looking': 'already%20encoded%2Fkey',
        'key-tab-newline': 'tab\there\nnewline',
        'key-tilde-unreserved': '-._~AZaz09',
    }
    specials = "+=&?#%!*'(),;:@$~"
    names = {'+': 'plus', '=': 'equals', '&': 'amp', '?': 'question', '#': 'hash',
             '%': 'percent', '!': 'bang', '*': 'star', "'": 'quote', '(': 'lparen',
             ')': 'rparen', ',': 'comma', ';': 'semicolon', ':': 'colon', '@': 'at',
             '$': 'dollar', '~': 'tilde'}
    for ch in specials:
        keys[f'key-char-{names[ch]}'] = f'x{ch}y/{ch}'
    for n, k in keys.items():
        both[n] = {'netloc': 's3.eu-west-1.amazonaws.com', 'region': 'eu-west-1',
                   'path': '/examplebucket/' + k}

    for n, p in both.items():
        out[n + '-header'] = dict(p, mode='header', method='GET')
        out[n + '-query'] = dict(p, mode='query', method='GET')

    # Virtual-hosted style, the upload contract of skycrate/presigner.h: PUT with a signed content type.
    out['virtual-put-query'] = {'mode': 'query', 'method': 'PUT', 'netloc': aws,
                                'path': '/uploads/u42/2f1c-report.pdf',
                                'headers': {'Content-Type': 'application/pdf'}, 'expires': 900,
                                'time': T1}
    out['virtual-get-query-token'] = {'mode': 'query', 'method': 'GET', 'netloc': aws,
                                      'path': '/photos/cat.jpg', 'token': TOKEN, 'time': T1,
                                      'region': 'ap-southeast-2'}
    out['virtual-head-query'] = {'mode': 'query', 'method': 'HEAD', 'netloc': aws,
                                 'path': '/k', 'expires': 1}
    out['virtual-delete-query-max-expiry'] = {'mode': 'query', 'method': 'DELETE',
                                              'netloc': aws, 'path': '/k',
                                              'expires': 604800}
    out['upload-part-query'] = {'mode': 'query', 'method': 'PUT', 'netloc': aws,
                                'path': '/big file.bin',
                                'query': [['partNumber', '3'],
                                          ['uploadId', 'VXBsb2FkIElE.~-_!*()%2F+=']],
                                'token': TOKEN}
    out['query-values-specials-query'] = {'mode': 'query', 'method': 'GET', 'netloc': aws,
                                          'path': '/',
                                          'query': [['prefix', "a!b'c(d)e*f g+h"],
                                                    ['delimiter', '/'], ['marker', ''],
                                                    ['ünï', 'ç@dé']]}

    # Header signing: real payload hash and UNSIGNED-PAYLOAD, tokens, ports.
    out['put-body-hash-header'] = {'method': 'PUT', 'netloc': aws, 'path': '/test$file.text',
                                   'body': 'Welcome to Amazon S3.',
                                   'headers': {'x-amz-storage-class': 'REDUCED_REDUNDANCY'}}
    out['put-unsigned-payload-header'] = {
        'method': 'PUT', 'netloc': aws, 'path': '/unsigned key', 'body': 'some bytes',
        'unsigned_payload': True, 'headers': {'Content-Type': 'text/plain',
                                              'Content-MD5': 'kAFQmDzST7DWlj99KOF/cg=='}}
    out['get-token-header'] = {'method': 'GET', 'netloc': aws, 'path': '/secret.txt',
                               'token': TOKEN, 'time': T1, 'region': 'us-west-2'}
    out['port-http-header'] = {'method': 'PUT', 'scheme': 'http', 'netloc': '127.0.0.1:9000',
                               'path': '/bucket/key with space', 'body': '{"a": 1}',
                               'headers': {'Content-Type': 'application/json'}}
    out['port-https-header'] = {'method': 'GET', 'netloc': 'localhost:8443',
                                'path': '/bucket/', 'query': [['list-type', '2'],
                                                              ['prefix', 'a b/'],
                                                              ['continuation-token', '']]}
    out['port-default-https-header'] = {'method': 'GET', 'netloc': 'minio.example.com:443',
                                        'path': '/bucket/k'}
    out['port-query'] = {'mode': 'query', 'method': 'PUT', 'scheme': 'http',
                         'netloc': '127.0.0.1:7480', 'path': '/skycrate-u42-1/uploads/a b.txt',
                         'headers': {'Content-Type': 'text/plain; charset=utf-8'}}
    out['port-token-query'] = {'mode': 'query', 'method': 'GET', 'scheme': 'http',
                               'netloc': 'localhost:9000', 'path': '/b/k', 'token': TOKEN}
    out['list-query-values-header'] = {
        'method': 'GET', 'netloc': aws, 'path': '/',
        'query': [['prefix', "a!b'c(d)e*f"], ['delimiter', '/'], ['marker', ''],
                  ['uploads', ''], ['max-keys', '2']]}
    out['repeated-query-key-header'] = {'method': 'GET', 'netloc': aws, 'path': '/',
                                        'query': [['a', '2'], ['a', '1'], ['A', '3'],
                                                  ['b c', 'x y']]}
    out['header-whitespace-header'] = {
        'method': 'POST', 'netloc': aws, 'path': '/k', 'query': [['delete', '']],
        'body': '<Delete/>', 'headers': {'Content-MD5': 'qvJ7jkXiRE2dWgWFmqeB0Q==',
                                         'X-Amz-Meta-Spaced': '  a   b \t c  ',
                                         'x-amz-meta-UPPER': 'Value'}}
    out['other-region-date-header'] = {'method': 'DELETE', 'netloc':
                                       'b.s3.ap-southeast-2.amazonaws.com', 'path': '/k',
                                       'region': 'ap-southeast-2', 'time': T1}

    # Generic (non-S3) services: NORMALIZE_PATH | DOUBLE_ENCODE, as botocore's SigV4Auth.
    for mode in ('header', 'query'):
        out[f'generic-double-encode-{mode}'] = {
            'mode': mode, 'service': 'service', 'netloc': 'example.amazonaws.com',
            'path': '/a b/%2F/ሴ/./x/../y//', 'flags': FLAG_NORMALIZE_PATH | FLAG_DOUBLE_ENCODE}
    return out


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    all_cases = cases()
    for name in sorted(all_cases):
        build_case(name, all_cases[name])
    with open(os.path.join(OUT, 'README'), 'w', encoding='utf-8') as f:
        f.write(golden.readme_note('gen-golden-sigv4.py'))
    print(f'{len(all_cases)} cases in {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
