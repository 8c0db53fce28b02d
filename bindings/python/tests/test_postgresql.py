"""The PostgreSQL user store from Python (libskycrate-pg), against the PostgreSQL that
tests/servers/with-pg.sh starts (SKYCRATE_TEST_PG; without it this test fails, never skips)."""

import os
import unittest
import uuid

import skycrate


class PostgreSQL(unittest.TestCase):
    def test_dev_provisioning_into_postgresql(self):
        conninfo = os.environ.get("SKYCRATE_TEST_PG")
        self.assertTrue(conninfo, "SKYCRATE_TEST_PG is not set: run through tests/servers/with-pg.sh")
        table = "py_%s" % uuid.uuid4().hex[:12]
        store = skycrate.UserStore.postgresql(conninfo, table)
        with skycrate.Provisioner(store=store, dev=True) as p:
            self.assertEqual(p.provision("u42").state, "active")
            self.assertIn('"state": "active"', store.get("u42"))
            text = store.get("u42")
            store.put("u42", '{"userId": "u42"}', text)
            with self.assertRaises(skycrate.ConflictError):
                store.put("u42", '{"userId": "x"}', text)
            store.remove("u42")
        with self.assertRaises(skycrate.ConnectError) as cm:
            skycrate.UserStore.postgresql("postgresql://app:hunter2@/db?host=/nonexistent")
        self.assertNotIn("hunter2", str(cm.exception))
        store.close()


if __name__ == "__main__":
    unittest.main()
