#!/usr/bin/python3
"""Writes tests/vectors/sts-golden/<case>.json: STS requests exactly as botocore sends them.

Run with Debian's Python (it has botocore; tools/deps installs the pinned version) and the
pure-Python signer:

    BOTO_DISABLE_CRT=true /usr/bin/python3 tools/gen-golden-sts.py

Each case calls AssumeRole or AssumeRoleWithWebIdentity through a real botocore STS client
(regional endpoints) with a frozen clock; a before-send hook records the request and answers it without any
network. A case file holds the inputs (credentials, region, endpoint, parameters, time) and
what botocore sent: method, URL, body, and the headers libskycrate must send byte for byte
(Content-Type, X-Amz-Date, X-Amz-Security-Token, Authorization). The tests read these files;
they never run botocore. Commit the output with the generator.
"""
import json
import os
import types

import golden  # first: checks BOTO_DISABLE_CRT and the botocore version
import botocore.session
from botocore.awsrequest import AWSResponse

OUT = os.path.join(golden.vectors_dir(), 'sts-golden')

AKID = 'AKIDEXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJIMEYCIQD+token/with+plus/and=='
JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl-_x'
T1 = 1795876215  # 2026-11-28T14:30:15Z

ANSWER = b"""<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId>
<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>
<Expiration>2026-11-28T15:30:15Z</Expiration></Credentials></AssumeRoleResult>
</AssumeRoleResponse>"""

CASES = {
    'assume-role-session-token': {
        'action': 'AssumeRole', 'region': 'eu-west-1', 'token': TOKEN,
        'params': {'RoleArn': 'arn:aws:iam::123456789012:role/demo-role',
                   'RoleSessionName': 'skycrate-golden', 'DurationSeconds': 1800,
                   'ExternalId': 'ext-id:1/2'},
    },
    'assume-role-plain': {
        'action': 'AssumeRole', 'region': 'us-east-1',
        'params': {'RoleArn': 'arn:aws:iam::123456789012:role/path/to/role',
                   'RoleSessionName': 'a.b@c=d,e+f_g-h'},
    },
    'assume-role-custom-endpoint': {
        'action': 'AssumeRole', 'region': 'us-east-1',
        'endpoint': 'http://127.0.0.1:8000',
        'params': {'RoleArn': 'arn:aws:iam:::role/skycrate-test',
                   'RoleSessionName': 'skycrate-golden'},
    },
    'web-identity': {
        'action': 'AssumeRoleWithWebIdentity', 'region': 'ap-southeast-2',
        'params': {'RoleArn': 'arn:aws:iam::123456789012:role/irsa',
                   'RoleSessionName': 'skycrate-golden', 'WebIdentityToken': JWT,
                   'DurationSeconds': 900},
    },
}


def build_case(c):
    golden.freeze(T1)
    session = botocore.session.Session()
    # The regional endpoint (sts.{region}.amazonaws.com), the default of current SDKs.
    session.set_config_variable('sts_regional_endpoints', 'regional')
    kwargs = {'region_name': c['region'], 'aws_access_key_id': AKID,
              'aws_secret_access_key': SECRET}
    if c.get('token'):
        kwargs['aws_session_token'] = c['token']
    if c.get('endpoint'):
        kwargs['endpoint_url'] = c['endpoint']
    client = session.create_client('sts', **kwargs)
    seen = {}

    def capture(request, **_):
        seen['method'] = request.method
        seen['url'] = request.url
        seen['body'] = request.body.decode() if isinstance(request.body, bytes) else request.body
        seen['headers'] = {k: (v.decode() if isinstance(v, bytes) else v)
                           for k, v in request.headers.items()}
        body = ANSWER if c['action'] == 'AssumeRole' else ANSWER.replace(
            b'AssumeRole', b'AssumeRoleWithWebIdentity')
        return AWSResponse(request.url, 200, {}, types.SimpleNamespace(
            stream=lambda **_: [body], read=lambda: body))

    client.meta.events.register('before-send.sts.*', capture)
    if c['action'] == 'AssumeRole':
        client.assume_role(**c['params'])
    else:
        client.assume_role_with_web_identity(**c['params'])
    keep = ('Content-Type', 'X-Amz-Date', 'X-Amz-Security-Token', 'Authorization')
    return {
        'inputs': {'access_key_id': AKID, 'secret_access_key': SECRET,
                   'session_token': c.get('token'), 'region': c['region'],
                   'endpoint': c.get('endpoint'), 'time': T1, 'action': c['action'],
                   'params': c['params']},
        'method': seen['method'],
        'url': seen['url'],
        'body': seen['body'],
        'headers': {k: seen['headers'][k] for k in keep if k in seen['headers']},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, case in CASES.items():
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(build_case(case), f, indent=2, sort_keys=True)
            f.write('\n')
    print('wrote', len(CASES), 'cases to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
