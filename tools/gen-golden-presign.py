#!/usr/bin/python3
"""Writes tests/vectors/presign-golden/<case>/ and tests/vectors/post-golden/<case>/: presigned
URLs and POST policies made by botocore's S3 client, the oracle for lib/presign.

Run with Debian's Python (it has botocore; tools/deps installs the pinned version) and the
pure-Python signer:

    BOTO_DISABLE_CRT=true /usr/bin/python3 tools/gen-golden-presign.py

The clock is frozen per case. URLs come from `client.generate_presigned_url`, POST forms from
`client.generate_presigned_post`, exactly as an application would call them.

presign-golden/<case>/context.json holds what a skycrate presigner needs to make the same URL:
  config        region, endpoint (null: AWS), addressing (auto|virtual|path), dualstack, fips
  credentials   access_key_id, secret_access_key, session_token (or null)
  request       method, bucket, key, expires, time, headers ([name, value] as botocore signed
                them, host excluded), query ([name, value] raw, the X-Amz-* ones excluded),
                upload_id and part_number (UploadPart; not repeated in query)
  target        host, base ("scheme://host") and path (the encoded path before "/{key}")
  url           botocore's URL (its query is not sorted; the parameters are the same), with
                a default port (":443", ":80") left out as in the Host header it signed
and canonical-request.txt, string-to-sign.txt, signature.txt.

botocore presigns non-us-east-1 AWS regions on the global host `{bucket}.s3.amazonaws.com`;
libskycrate always uses the regional host (docs/HACKING.md, "S3 rules that bite"), so for those cases botocore
gets the regional endpoint explicitly with virtual addressing, which gives the same URL form.

post-golden/<case>/context.json: config, credentials, time, expires, bucket, the policy inputs
(key or key_prefix, content_length_range, content_type or content_type_prefix,
success_action_status, fields), and botocore's url, fields (policy, signature, ...) and the
decoded policy document.

The tests read these files; they never run botocore. Commit the output with the generator.
"""
import base64
import json
import os
import shutil
from urllib.parse import unquote, urlsplit

import golden  # first: checks BOTO_DISABLE_CRT and the botocore version
import botocore
import botocore.auth as auth
import botocore.session
from botocore.config import Config

ROOT = golden.vectors_dir()
OUT_URL = os.path.join(ROOT, 'presign-golden')
OUT_POST = os.path.join(ROOT, 'post-golden')

AKID = 'AKIDEXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
TOKEN = ('IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJIMEYCIQD+token/with+plus'
         '/and=equals==')
T0 = 1732300000  # 2024-11-22T18:26:40Z
T1 = 1795876215  # 2026-11-28T10:30:15Z
BUCKET = 'skycrate-user42-1732300000'


class Capture:
    """Keeps what the query signer computed for the last presigned URL."""
    canonical_request = string_to_sign = signature = None
    headers = []


class CapturingQueryAuth(auth.S3SigV4QueryAuth):
    def string_to_sign(self, request, canonical_request):
        Capture.canonical_request = canonical_request
        Capture.headers = [[k, v] for k, v in self.headers_to_sign(request).items()
                           if k.lower() != 'host']
        sts = super().string_to_sign(request, canonical_request)
        Capture.string_to_sign = sts
        return sts

    def signature(self, string_to_sign, request):
        sig = super().signature(string_to_sign, request)
        Capture.signature = sig
        return sig


auth.AUTH_TYPE_MAPS['s3v4-query'] = CapturingQueryAuth


def needs_regional_endpoint(cfg):
    """botocore would presign this AWS configuration on the global host."""
    return (cfg.get('endpoint') is None and cfg['region'] not in ('us-east-1',)
            and not cfg['region'].startswith(('cn-', 'us-gov-'))
            and not cfg.get('dualstack') and not cfg.get('fips'))


def make_client(cfg, creds):
    s3cfg = {'addressing_style': cfg.get('addressing', 'auto'),
             'us_east_1_regional_endpoint': 'regional'}
    endpoint = cfg.get('endpoint')
    if needs_regional_endpoint(cfg):
        endpoint = f"https://s3.{cfg['region']}.amazonaws.com"
        if cfg.get('addressing', 'auto') == 'auto':
            s3cfg['addressing_style'] = 'virtual'
    if cfg.get('dualstack'):
        s3cfg['use_dualstack_endpoint'] = True
    session = botocore.session.Session()
    return session.create_client('s3', region_name=cfg['region'], endpoint_url=endpoint,
                                 aws_access_key_id=creds['access_key_id'],
                                 aws_secret_access_key=creds['secret_access_key'],
                                 aws_session_token=creds['session_token'],
                                 config=Config(signature_version='s3v4', s3=s3cfg,
                                               use_fips_endpoint=cfg.get('fips', False)))


def full_config(cfg):
    return {'region': cfg['region'], 'endpoint': cfg.get('endpoint'),
            'addressing': cfg.get('addressing', 'auto'), 'dualstack': cfg.get('dualstack', False),
            'fips': cfg.get('fips', False)}


def write(d, fname, text):
    with open(os.path.join(d, fname), 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def write_json(d, obj):
    with open(os.path.join(d, 'context.json'), 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write('\n')


OPERATIONS = {'GET': 'get_object', 'PUT': 'put_object', 'HEAD': 'head_object',
              'DELETE': 'delete_object'}
BUCKET_OPERATIONS = {'GET': 'list_objects_v2', 'HEAD': 'head_bucket'}


def build_url_case(name, c):
    cfg = c.get('config', {'region': 'eu-west-1'})
    creds = {'access_key_id': AKID, 'secret_access_key': c.get('secret', SECRET),
             'session_token': c.get('token')}
    epoch = c.get('time', T0)
    expires = c.get('expires', 900)
    method = c.get('method', 'GET')
    bucket = c.get('bucket', BUCKET)
    key = c['key']
    params = dict(c.get('params', {}))
    params['Bucket'] = bucket
    if key:
        params['Key'] = key
        op = OPERATIONS[method]
    else:  # a request on the bucket itself
        op = BUCKET_OPERATIONS[method]
    if 'PartNumber' in params:
        op = 'upload_part'

    golden.freeze(epoch)
    client = make_client(cfg, creds)
    url = client.generate_presigned_url(op, Params=params, ExpiresIn=expires)

    cr = Capture.canonical_request
    query = []
    for part in cr.split('\n')[2].split('&'):
        k, _, v = part.partition('=')
        k, v = unquote(k), unquote(v)
        if k.startswith('X-Amz-') or k in ('partNumber', 'uploadId'):
            continue
        query.append([k, v])
    parts = urlsplit(url)
    from botocore.utils import percent_encode
    enc_key = percent_encode(key, safe='/~')
    # A bucket-level path is "/" (virtual hosting) or "/bucket" (path style): no slash to drop.
    key_part = '/' + enc_key if key else ('/' if parts.path == '/' else '')
    assert parts.path.endswith(key_part), (parts.path, enc_key)
    # The Host header botocore signed drops a default port (":443", ":80") that its URL keeps;
    # libskycrate leaves it out of both.
    host = auth._host_from_url(url)
    if host != parts.netloc:
        url = url.replace(f'{parts.scheme}://{parts.netloc}', f'{parts.scheme}://{host}', 1)
    target = {'host': host, 'base': f'{parts.scheme}://{host}',
              'path': parts.path[:len(parts.path) - len(key_part)]}
    context = {
        'config': full_config(cfg),
        'credentials': creds,
        'request': {'method': method, 'bucket': bucket, 'key': key, 'expires': expires,
                    'time': epoch, 'headers': Capture.headers, 'query': query,
                    'upload_id': params.get('UploadId'),
                    'part_number': params.get('PartNumber')},
        'target': target,
        'url': url,
        'generator': f'botocore {botocore.__version__}, {op} via generate_presigned_url',
    }
    d = os.path.join(OUT_URL, name)
    os.makedirs(d)
    write_json(d, context)
    write(d, 'canonical-request.txt', cr)
    write(d, 'string-to-sign.txt', Capture.string_to_sign)
    write(d, 'signature.txt', Capture.signature)


def build_post_case(name, c):
    cfg = c.get('config', {'region': 'eu-west-1'})
    creds = {'access_key_id': AKID, 'secret_access_key': SECRET, 'session_token': c.get('token')}
    epoch = c.get('time', T0)
    expires = c.get('expires', 900)
    bucket = c.get('bucket', BUCKET)
    p = c['policy']

    # The conditions in the order libskycrate writes them; botocore appends bucket, key and
    # the x-amz-* ones after these.
    conditions, fields = [], {}
    if p.get('content_length_range'):
        lo, hi = p['content_length_range']
        conditions.append(['content-length-range', lo, hi])
    if p.get('content_type') is not None:
        conditions.append({'content-type': p['content_type']})
        fields['content-type'] = p['content_type']
    if p.get('content_type_prefix') is not None:
        conditions.append(['starts-with', '$content-type', p['content_type_prefix']])
    if p.get('success_action_status') is not None:
        conditions.append({'success_action_status': p['success_action_status']})
        fields['success_action_status'] = p['success_action_status']
    for fname, fvalue in p.get('fields', []):
        conditions.append({fname: fvalue})
        fields[fname] = fvalue
    key = p['key'] if p.get('key') is not None else p['key_prefix'] + '${filename}'

    golden.freeze(epoch)
    client = make_client(cfg, creds)
    form = client.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions,
                                          ExpiresIn=expires)
    policy = json.loads(base64.b64decode(form['fields']['policy']))
    parts = urlsplit(form['url'])
    host = auth._host_from_url(form['url'])
    form_url = form['url'].replace(f'{parts.scheme}://{parts.netloc}', f'{parts.scheme}://{host}', 1)
    context = {
        'config': full_config(cfg),
        'credentials': creds,
        'time': epoch,
        'expires': expires,
        'bucket': bucket,
        'policy_input': p,
        'url': form_url,
        'fields': form['fields'],
        'policy': policy,
        'generator': f'botocore {botocore.__version__}, generate_presigned_post',
    }
    d = os.path.join(OUT_POST, name)
    os.makedirs(d)
    write_json(d, context)


def url_cases():
    out = {}
    # The benchmark's typical upload (skycrate/presigner.h): a PUT with a signed content type.
    out['put-typical'] = {'method': 'PUT', 'key': 'uploads/user42/report 2024.pdf',
                          'params': {'ContentType': 'application/pdf'}}
    out['put-plain'] = {'method': 'PUT', 'key': 'uploads/user42/report 2024.pdf'}
    # bench/presign's web-app workload: a key as skycrate_upload_key() makes it, us-east-1.
    out['put-upload-key'] = {
        'method': 'PUT',
        'key': 'uploads/user42/2f1c7e0a-9b3d-4c1e-8f6a-0d5e4b3a2c1f-Quarterly report 2024 '
               '(final).pdf',
        'config': {'region': 'us-east-1'}}

    keys = {
        'spaces': 'my key with  spaces.txt',
        'unicode': 'unicodé/日本語/файл €.txt',
        'leading-slash': '/leading',
        'double-slashes': '//a//b',
        'dot-segments': 'a/./b/../c',
        'dotdot': '..',
        'dotdot-escape': '../../etc/passwd',
        'trailing-slash': 'dir/',
        'all-specials': "a+b=c&d?e#f%g!h*i'j(k)l,m;n:o@p$q~r[s]t{u}v|w^x`y\\z\"<>",
        'percent-encoded-looking': 'already%20encoded%2Fkey',
        'tab-newline': 'tab\there\nnewline',
        'unreserved': '-._~AZaz09',
        'long': 'a/' + 'x' * 1000,
        'emoji': 'photos/😀 smile.png',
    }
    for n, k in keys.items():
        out[f'key-{n}'] = {'method': 'GET', 'key': k}

    regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1',
               'cn-northwest-1', 'eu-central-2']
    for r in regions:
        out[f'region-{r}'] = {'method': 'PUT', 'key': 'uploads/u42/a.bin',
                              'config': {'region': r}}
    out['region-us-gov-west-1-fips'] = {'key': 'k.txt',
                                        'config': {'region': 'us-gov-west-1', 'fips': True}}
    out['region-us-east-1-dualstack'] = {'key': 'k.txt',
                                         'config': {'region': 'us-east-1', 'dualstack': True}}
    out['region-eu-west-1-dualstack'] = {'key': 'k.txt',
                                         'config': {'region': 'eu-west-1', 'dualstack': True}}
    out['region-us-east-1-fips-dualstack'] = {
        'key': 'k.txt', 'config': {'region': 'us-east-1', 'dualstack': True, 'fips': True}}

    # Addressing on AWS.
    out['aws-path-style'] = {'key': 'a b/c.txt',
                             'config': {'region': 'eu-west-1', 'addressing': 'path'}}
    out['aws-virtual'] = {'key': 'a b/c.txt',
                          'config': {'region': 'eu-west-1', 'addressing': 'virtual'}}
    out['aws-dotted-bucket-auto'] = {'key': 'a b/c.txt', 'bucket': 'my.dotted.bucket',
                                     'config': {'region': 'eu-west-1'}}
    out['aws-us-east-1-dotted-path'] = {'key': 'k', 'bucket': 'my.dotted.bucket',
                                        'config': {'region': 'us-east-1', 'addressing': 'path'}}
    # Requests on the bucket itself (an empty key): ListObjectsV2 and HeadBucket.
    out['bucket-list-virtual'] = {'key': '', 'config': {'region': 'eu-west-1',
                                                         'addressing': 'virtual'}}
    out['bucket-list-path'] = {'key': '', 'config': {'region': 'eu-west-1', 'addressing': 'path'}}
    out['bucket-head-endpoint'] = {'method': 'HEAD', 'key': '',
                                   'config': {'region': 'us-east-1',
                                              'endpoint': 'http://127.0.0.1:7480',
                                              'addressing': 'path'}}
    out['aws-legacy-bucket-name'] = {'key': 'k', 'bucket': 'Legacy_Bucket',
                                     'config': {'region': 'us-east-1'}}

    # Custom endpoints: ports, path prefixes, IP hosts, both styles.
    eps = {
        'rgw-http-port': ('http://127.0.0.1:7480', 'path'),
        'rgw-http-port-auto': ('http://127.0.0.1:7480', 'auto'),
        'ipv6-port': ('http://[::1]:7480', 'path'),
        'https-port-prefix': ('https://minio.example.com:9443/prefix', 'path'),
        'https-deep-prefix': ('https://minio.example.com/prefix/deeper/', 'path'),
        'https-default-port': ('https://minio.example.com:443', 'path'),
        'http-default-port': ('http://minio.example.com:80/s3', 'path'),
        'virtual-localhost-port': ('http://localhost:9000', 'virtual'),
        'virtual-prefix': ('https://minio.example.com/prefix', 'virtual'),
        'virtual-ip-falls-back': ('http://10.0.0.7:9000', 'virtual'),
    }
    for n, (url, style) in eps.items():
        out[f'endpoint-{n}'] = {'method': 'PUT', 'key': 'uploads/u42/a b.txt',
                                'config': {'region': 'us-east-1', 'endpoint': url,
                                           'addressing': style},
                                'params': {'ContentType': 'text/plain; charset=utf-8'}}
    out['endpoint-dotted-bucket-path'] = {'key': 'k', 'bucket': 'my.dotted.bucket',
                                          'config': {'region': 'eu-west-1',
                                                     'endpoint': 'https://minio.example.com',
                                                     'addressing': 'path'}}

    # Session tokens.
    out['token-get'] = {'key': 'photos/cat.jpg', 'token': TOKEN, 'time': T1,
                        'config': {'region': 'ap-southeast-2'}}
    out['token-put-endpoint'] = {'method': 'PUT', 'key': 'a/b', 'token': TOKEN,
                                 'config': {'region': 'us-east-1',
                                            'endpoint': 'http://localhost:9000',
                                            'addressing': 'path'}}
    out['token-long'] = {'key': 'k', 'token': TOKEN * 20}

    # Signed headers.
    out['headers-many'] = {
        'method': 'PUT', 'key': 'uploads/u42/report.pdf',
        'params': {'ContentType': 'application/pdf', 'ContentMD5': 'kAFQmDzST7DWlj99KOF/cg==',
                   'ContentDisposition': 'attachment; filename="report 2024.pdf"',
                   'CacheControl': 'max-age=3600, private', 'ContentLength': 1048576,
                   'Metadata': {'user': 'u42', 'origin': 'browser upload'},
                   'ServerSideEncryption': 'aws:kms', 'SSEKMSKeyId': 'alias/my-key',
                   'StorageClass': 'STANDARD_IA', 'Tagging': 'project=a&team=b c'}}
    out['headers-sse-s3'] = {'method': 'PUT', 'key': 'k',
                             'params': {'ServerSideEncryption': 'AES256'}}
    out['headers-spaced-metadata'] = {'method': 'PUT', 'key': 'k',
                                      'params': {'Metadata': {'note': '  a   b  c  '}}}

    # Query parameters.
    out['response-overrides'] = {
        'key': 'downloads/report 2024.pdf',
        'params': {'ResponseContentType': 'application/pdf',
                   'ResponseContentDisposition': 'attachment; filename="report 2024.pdf"',
                   'ResponseCacheControl': 'no-cache',
                   'ResponseContentLanguage': 'en-GB',
                   'ResponseContentEncoding': 'identity'}}
    out['response-unicode-filename'] = {
        'key': 'k', 'params': {'ResponseContentDisposition':
                               "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"}}
    out['version-id'] = {'key': 'k', 'params': {'VersionId': 'Tw0.n~_-3Lz+zL/x=='}}
    out['version-id-head'] = {'method': 'HEAD', 'key': 'k',
                              'params': {'VersionId': '3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY'}}

    # UploadPart.
    out['upload-part'] = {'method': 'PUT', 'key': 'big file.bin',
                          'params': {'PartNumber': 3, 'UploadId': 'VXBsb2FkIElE.~-_!*()%2F+='}}
    out['upload-part-10000-token'] = {
        'method': 'PUT', 'key': 'uploads/u42/video.mp4', 'token': TOKEN,
        'params': {'PartNumber': 10000, 'UploadId': '2~abcDEF123-xyz'},
        'config': {'region': 'us-east-1', 'endpoint': 'http://127.0.0.1:7480',
                   'addressing': 'path'}}
    out['upload-part-content-length'] = {
        'method': 'PUT', 'key': 'k',
        'params': {'PartNumber': 1, 'UploadId': 'id', 'ContentLength': 5242880}}

    # Methods and expiries.
    out['head'] = {'method': 'HEAD', 'key': 'a.txt', 'expires': 1}
    out['delete'] = {'method': 'DELETE', 'key': 'a.txt', 'expires': 604800}
    out['get-max-expiry-late-date'] = {'key': 'a', 'expires': 604800, 'time': 4102444799}
    out['long-secret'] = {'key': 'a', 'secret': 'S' * 200}
    return out


def post_cases():
    out = {}
    out['typical'] = {'policy': {'key_prefix': 'uploads/user42/',
                                 'content_length_range': [1, 10485760],
                                 'content_type_prefix': 'image/',
                                 'success_action_status': '201'}}
    out['exact-key-content-type'] = {'policy': {'key': 'uploads/u42/report 2024.pdf',
                                                'content_type': 'application/pdf'}}
    out['minimal'] = {'policy': {'key': 'k'}}
    out['token'] = {'token': TOKEN, 'time': T1, 'config': {'region': 'ap-southeast-2'},
                    'policy': {'key_prefix': 'u/', 'content_length_range': [0, 5]}}
    out['fields'] = {'policy': {'key_prefix': 'u42/', 'fields': [
        ['x-amz-meta-user', 'u42'], ['Cache-Control', 'max-age=60'],
        ['x-amz-server-side-encryption', 'AES256']],
        'success_action_status': '204'}}
    out['endpoint-path'] = {'config': {'region': 'us-east-1', 'endpoint':
                                       'http://127.0.0.1:7480', 'addressing': 'path'},
                            'policy': {'key_prefix': 'uploads/', 'content_length_range':
                                       [1, 1024]}}
    out['endpoint-prefix-virtual'] = {'config': {'region': 'us-east-1', 'endpoint':
                                                 'https://minio.example.com/s3',
                                                 'addressing': 'virtual'},
                                      'policy': {'key': 'a'}}
    out['cn-north-1'] = {'config': {'region': 'cn-north-1'}, 'expires': 604800,
                         'policy': {'key': 'a/b', 'content_type': 'text/plain; charset=utf-8'}}
    out['quotes-in-values'] = {'policy': {'key': 'say "hi"\\now',
                                          'fields': [['x-amz-meta-q', 'a "quoted" \\ value']]}}
    return out


def main():
    for d in (OUT_URL, OUT_POST):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    urls, posts = url_cases(), post_cases()
    for name in sorted(urls):
        build_url_case(name, urls[name])
    for name in sorted(posts):
        build_post_case(name, posts[name])
    note = golden.readme_note('gen-golden-presign.py')
    for d in (OUT_URL, OUT_POST):
        with open(os.path.join(d, 'README'), 'w', encoding='utf-8') as f:
            f.write(note)
    print(f'{len(urls)} URL cases, {len(posts)} POST cases under {os.path.normpath(ROOT)}')


if __name__ == '__main__':
    main()
