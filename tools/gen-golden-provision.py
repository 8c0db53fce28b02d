#!/usr/bin/python3
"""Writes tests/vectors/provision/<case>.json: the requests of the bucket provisioner as
botocore sends them.

Run with Debian's Python (it has botocore; tools/deps installs the pinned version) and the
pure-Python signer:

    BOTO_DISABLE_CRT=true /usr/bin/python3 tools/gen-golden-provision.py

Each case calls one S3 operation on a real botocore client whose HTTP layer is replaced by a
`before-send` hook: the request botocore would put on the wire is captured and answered with an
empty 200, so nothing leaves the machine. The clock is frozen. Payload signing is botocore's
default; Content-MD5 is added by botocore wherever the service model says
`httpChecksumRequired` / `requestChecksumRequired` (botocore 1.29 always uses Content-MD5 there).

A case file holds:

  operation, region, endpoint (null: AWS), addressing, time (epoch seconds)
  method, url            the URL botocore built (an empty query value is written "?cors")
  headers                every signed header but host: [name, value] as botocore sent them
  authorization          the Authorization header
  body                   the body as UTF-8 text ("" when none)

The profile below (bucket names, origins, tags, key ids) is the one tests/unit/test_provision*.c
configure; change both together. The tests read these files; they never run botocore.
"""
import json
import os
import shutil

import golden  # first: checks BOTO_DISABLE_CRT and the botocore version
import botocore
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

OUT = os.path.join(golden.vectors_dir(), 'provision')

AKID = 'AKIDEXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
T0 = 1732300000  # 2024-11-22T18:26:40Z, the tests' frozen clock

# The profile of the tests (see test_provision.c).
BUCKET = 'skycrate-u42-20241122182640'
ORIGINS = ['https://app.example.com', 'http://localhost:3000']
CORS_HEADERS = ['content-type', 'content-md5', 'content-disposition', 'cache-control', 'x-amz-*']
CORS_MAX_AGE = 3000
KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
LIFECYCLE_ID = 'skycrate-abort-incomplete-multipart-uploads'
LIFECYCLE_DAYS = 7
TAGS = [('skycrate:owner', 'u42'), ('skycrate:application', 'photos'), ('team', 'web + mobile @ 2024')]


def policy(bucket, partition='aws'):
    """The TLS-only bucket policy, as the library writes it (compact JSON, this key order)."""
    doc = {'Version': '2012-10-17', 'Statement': [{
        'Sid': 'DenyInsecureTransport', 'Effect': 'Deny', 'Principal': '*', 'Action': 's3:*',
        'Resource': [f'arn:{partition}:s3:::{bucket}', f'arn:{partition}:s3:::{bucket}/*'],
        'Condition': {'Bool': {'aws:SecureTransport': 'false'}}}]}
    return json.dumps(doc, separators=(',', ':'))


class _Raw:
    def stream(self, **kwargs):
        return iter([b''])


def client(region, endpoint, addressing):
    session = botocore.session.get_session()
    session.set_credentials(AKID, SECRET)
    cfg = Config(s3={'addressing_style': addressing, 'us_east_1_regional_endpoint': 'regional'},
                 retries={'max_attempts': 1})
    c = session.create_client('s3', region_name=region, endpoint_url=endpoint, config=cfg)
    captured = []

    def before_send(request, **kwargs):
        captured.append(request)
        return AWSResponse(request.url, 200, {}, _Raw())

    c.meta.events.register('before-send', before_send)
    return c, captured


def signed_headers(request):
    authz = request.headers['Authorization'].decode()
    names = authz.split('SignedHeaders=')[1].split(',')[0].split(';')
    out = []
    for name, value in request.headers.items():
        if name.lower() in names and name.lower() != 'host':
            out.append([name, value.decode() if isinstance(value, bytes) else value])
    return out


def build(name, case):
    region = case.get('region', 'eu-west-1')
    endpoint = case.get('endpoint')
    addressing = case.get('addressing', 'path' if endpoint else 'virtual')
    golden.freeze(T0)
    c, captured = client(region, endpoint, addressing)
    getattr(c, case['call'])(**case['args'])
    assert len(captured) == 1, name
    r = captured[0]
    body = r.body or b''
    if not isinstance(body, bytes):
        body = body.read() if hasattr(body, 'read') else body.encode()
    return {
        'operation': case['operation'],
        'region': region,
        'endpoint': endpoint,
        'addressing': addressing,
        'time': T0,
        'method': r.method,
        'url': r.url,
        'headers': signed_headers(r),
        'authorization': r.headers['Authorization'].decode(),
        'body': body.decode('utf-8'),
        'generator': f'botocore {botocore.__version__}',
    }


def cases():
    b = {'Bucket': BUCKET}
    cors_rule = {'AllowedHeaders': CORS_HEADERS, 'AllowedMethods': ['PUT', 'GET', 'HEAD'],
                 'AllowedOrigins': ORIGINS, 'ExposeHeaders': ['ETag'],
                 'MaxAgeSeconds': CORS_MAX_AGE}
    out = {
        # CreateBucket: no body in us-east-1, a LocationConstraint elsewhere; ownership on the
        # create itself.
        'create-us-east-1': {'region': 'us-east-1', 'operation': 'CreateBucket',
                             'call': 'create_bucket',
                             'args': dict(b, ObjectOwnership='BucketOwnerEnforced')},
        'create-eu-west-1': {'operation': 'CreateBucket', 'call': 'create_bucket',
                             'args': dict(b, ObjectOwnership='BucketOwnerEnforced',
                                          CreateBucketConfiguration={
                                              'LocationConstraint': 'eu-west-1'})},
        'create-custom-endpoint': {'region': 'us-east-1', 'endpoint': 'http://127.0.0.1:7480',
                                   'operation': 'CreateBucket', 'call': 'create_bucket',
                                   'args': dict(b, ObjectOwnership='BucketOwnerEnforced')},
        'public-access-block': {
            'operation': 'PutPublicAccessBlock', 'call': 'put_public_access_block',
            'args': dict(b, PublicAccessBlockConfiguration={
                'BlockPublicAcls': True, 'IgnorePublicAcls': True, 'BlockPublicPolicy': True,
                'RestrictPublicBuckets': True})},
        'public-access-block-partial': {
            'operation': 'PutPublicAccessBlock', 'call': 'put_public_access_block',
            'args': dict(b, PublicAccessBlockConfiguration={
                'BlockPublicAcls': False, 'IgnorePublicAcls': True, 'BlockPublicPolicy': True,
                'RestrictPublicBuckets': True})},
        'encryption-aes256': {
            'operation': 'PutBucketEncryption', 'call': 'put_bucket_encryption',
            'args': dict(b, ServerSideEncryptionConfiguration={'Rules': [{
                'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256'}}]})},
        'encryption-kms': {
            'operation': 'PutBucketEncryption', 'call': 'put_bucket_encryption',
            'args': dict(b, ServerSideEncryptionConfiguration={'Rules': [{
                'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms',
                                                       'KMSMasterKeyID': KMS_KEY},
                'BucketKeyEnabled': True}]})},
        'ownership-controls': {
            'operation': 'PutBucketOwnershipControls', 'call': 'put_bucket_ownership_controls',
            'args': dict(b, OwnershipControls={'Rules': [{'ObjectOwnership':
                                                          'BucketOwnerEnforced'}]})},
        'cors': {'operation': 'PutBucketCors', 'call': 'put_bucket_cors',
                 'args': dict(b, CORSConfiguration={'CORSRules': [cors_rule]})},
        # The rule with its own methods and header lists (tests/unit/test_provision_profile.c).
        'cors-headers': {'operation': 'PutBucketCors', 'call': 'put_bucket_cors',
                         'args': dict(b, CORSConfiguration={'CORSRules': [dict(
                             cors_rule, AllowedHeaders=['content-type', 'x-amz-meta-*'],
                             AllowedMethods=['PUT', 'POST'],
                             ExposeHeaders=['ETag', 'x-amz-version-id'])]})},
        'cors-custom-endpoint': {'region': 'us-east-1', 'endpoint': 'http://127.0.0.1:7480',
                                 'operation': 'PutBucketCors', 'call': 'put_bucket_cors',
                                 'args': dict(b, CORSConfiguration={'CORSRules': [cors_rule]})},
        'tls-policy': {'operation': 'PutBucketPolicy', 'call': 'put_bucket_policy',
                       'args': dict(b, Policy=policy(BUCKET))},
        'tls-policy-china': {'region': 'cn-north-1', 'operation': 'PutBucketPolicy',
                             'call': 'put_bucket_policy',
                             'args': dict(b, Policy=policy(BUCKET, 'aws-cn'))},
        'lifecycle': {
            'operation': 'PutBucketLifecycleConfiguration',
            'call': 'put_bucket_lifecycle_configuration',
            'args': dict(b, LifecycleConfiguration={'Rules': [{
                'ID': LIFECYCLE_ID, 'Filter': {'Prefix': ''}, 'Status': 'Enabled',
                'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': LIFECYCLE_DAYS}}]})},
        'tags': {'operation': 'PutBucketTagging', 'call': 'put_bucket_tagging',
                 'args': dict(b, Tagging={'TagSet': [{'Key': k, 'Value': v} for k, v in TAGS]})},
        'head-bucket': {'operation': 'HeadBucket', 'call': 'head_bucket', 'args': b},
        'delete-bucket': {'operation': 'DeleteBucket', 'call': 'delete_bucket', 'args': b},
        # Verify: one GET per configuration.
        'get-public-access-block': {'operation': 'GetPublicAccessBlock',
                                    'call': 'get_public_access_block', 'args': b},
        'get-encryption': {'operation': 'GetBucketEncryption', 'call': 'get_bucket_encryption',
                           'args': b},
        'get-ownership-controls': {'operation': 'GetBucketOwnershipControls',
                                   'call': 'get_bucket_ownership_controls', 'args': b},
        'get-cors': {'operation': 'GetBucketCors', 'call': 'get_bucket_cors', 'args': b},
        'get-policy': {'operation': 'GetBucketPolicy', 'call': 'get_bucket_policy', 'args': b},
        'get-lifecycle': {'operation': 'GetBucketLifecycleConfiguration',
                          'call': 'get_bucket_lifecycle_configuration', 'args': b},
        'get-tags': {'operation': 'GetBucketTagging', 'call': 'get_bucket_tagging', 'args': b},
        # Deprovisioning and usage (botocore adds encoding-type=url to the object listings).
        'list-versions': {'operation': 'ListObjectVersions', 'call': 'list_object_versions',
                          'args': b},
        'list-versions-next': {'operation': 'ListObjectVersions',
                               'call': 'list_object_versions',
                               'args': dict(b, KeyMarker='photos/a b+c.jpg',
                                            VersionIdMarker='3HL4kqtJlcpXroDTDmJ+rmSpXd3d/bIbr')},
        'delete-objects': {
            'operation': 'DeleteObjects', 'call': 'delete_objects',
            'args': dict(b, Delete={'Objects': [
                {'Key': 'photos/a b&c.jpg', 'VersionId': '3HL4kqtJlcpXroDTDmJ+rmSpXd3d/bIbr'},
                {'Key': '<odd> "key"', 'VersionId': 'null'},
                {'Key': 'caf\u00e9/\u65e5\u672c.txt', 'VersionId': 'v3'}], 'Quiet': True})},
        'delete-objects-unversioned': {
            'operation': 'DeleteObjects', 'call': 'delete_objects',
            'args': dict(b, Delete={'Objects': [{'Key': 'a.txt'}, {'Key': 'b/c.txt'}],
                                    'Quiet': True})},
        'list-uploads': {'operation': 'ListMultipartUploads', 'call': 'list_multipart_uploads',
                         'args': dict(b, EncodingType='url')},
        'list-uploads-next': {'operation': 'ListMultipartUploads',
                              'call': 'list_multipart_uploads',
                              'args': dict(b, EncodingType='url', KeyMarker='big file.bin',
                                           UploadIdMarker='VXBsb2FkIElE.~-_+/=')},
        'abort-upload': {'operation': 'AbortMultipartUpload', 'call': 'abort_multipart_upload',
                         'args': dict(b, Key='big file+.bin', UploadId='VXBsb2FkIElE.~-_+/=')},
        'list-parts': {'operation': 'ListParts', 'call': 'list_parts',
                       'args': dict(b, Key='big file+.bin', UploadId='VXBsb2FkIElE.~-_+/=')},
        'list-parts-next': {'operation': 'ListParts', 'call': 'list_parts',
                            'args': dict(b, Key='big file+.bin', UploadId='VXBsb2FkIElE.~-_+/=',
                                         PartNumberMarker=2)},
        'list-objects': {'operation': 'ListObjectsV2', 'call': 'list_objects_v2', 'args': b},
        'list-objects-next': {'operation': 'ListObjectsV2', 'call': 'list_objects_v2',
                              'args': dict(b, ContinuationToken='1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/'
                                                                'wm36Hy4vbOwM=')},
    }
    return out


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    all_cases = cases()
    for name in sorted(all_cases):
        with open(os.path.join(OUT, name + '.json'), 'w', encoding='utf-8') as f:
            json.dump(build(name, all_cases[name]), f, indent=2, ensure_ascii=False)
            f.write('\n')
    with open(os.path.join(OUT, 'README'), 'w', encoding='utf-8') as f:
        f.write(golden.readme_note('gen-golden-provision.py'))
    print(f'{len(all_cases)} cases in {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
