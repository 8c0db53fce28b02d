"""The Python consumer of an installed libskycrate and the pip-installed binding
(tests/install/consumers.sh): the same dev-mode provisioning and presigned PUT as consumer.c.
  python3 consumer.py DIR"""

import os
import sys

import skycrate

store = skycrate.UserStore.file(os.path.join(sys.argv[1], "users.json"))
with skycrate.Provisioner(store=store, dev=True) as p:
    record = p.provision("u42")
assert (record.state, record.bucket) == ("active", "skycrate-dev-u42"), record
print("provisioned", record.bucket)
keys = skycrate.CredentialsProvider.static("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
with skycrate.Client("eu-west-1", credentials=keys) as client, skycrate.Presigner(client) as presigner:
    contract = presigner.presign("PUT", "bucket", "uploads/u42/report.pdf", headers={"Content-Type": "application/pdf"}, time=1732300000)
print("url", contract.url)
print("libskycrate", skycrate.library_version())
print("binding", skycrate.__file__)
