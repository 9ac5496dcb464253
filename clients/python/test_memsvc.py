"""unittest suite of memsvc.py against a real `memsvc serve`.

Run by cmd/memsvc's TestPythonClient, which builds memsvc, starts it with a fresh data directory
and API keys, and sets MEMSVC_URL, MEMSVC_API_KEY (tenant acme) and MEMSVC_ADMIN_KEY. By hand:

    MEMSVC_URL=http://127.0.0.1:8080 MEMSVC_API_KEY=msk_... MEMSVC_ADMIN_KEY=msk_... python3 -m unittest -v test_memsvc
"""

import http.server
import json
import os
import re
import threading
import time
import unittest
import urllib.request

from memsvc import Client, MemsvcError

URL = os.environ.get("MEMSVC_URL")
KEY = os.environ.get("MEMSVC_API_KEY")
ADMIN = os.environ.get("MEMSVC_ADMIN_KEY")

called = set()  # (method, path) the suite sent


class RecordingClient(Client):
    def _once(self, method, url, data, headers):
        path = urllib.parse.urlsplit(url).path
        called.add((method, path))
        return super()._once(method, url, data, headers)


@unittest.skipUnless(URL and KEY and ADMIN, "set MEMSVC_URL, MEMSVC_API_KEY and MEMSVC_ADMIN_KEY")
class EveryEndpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = RecordingClient(URL, api_key=KEY, backoff=0.01)
        cls.admin = RecordingClient(URL, api_key=ADMIN, backoff=0.01)

    def test_a_walk(self):
        c = self.c
        c.health()
        c.ready()
        a = c.create_agent({"name": "ada", "system": "You help.",
                            "blocks": [{"label": "human", "value": "Name: Ada.", "limit": 1000}]})
        aid = a["id"]
        self.assertEqual(a["blocks"][0]["label"], "human")
        self.assertIn(aid, [x["id"] for x in c.list_agents(limit=100)["items"]])
        self.assertEqual(c.get_agent(aid)["name"], "ada")
        self.assertEqual(c.update_agent(aid, {"name": "ada2"})["name"], "ada2")

        res = c.append(aid, [{"role": "user", "content": "I keep bees in Lyon."}, {"role": "assistant", "content": "Noted."}])
        self.assertEqual(len(res["messages"]), 2)
        page = c.messages(aid, limit=1)
        self.assertEqual(len(page["items"]), 1)
        self.assertTrue(page["next_cursor"])
        page = c.messages(aid, limit=1, cursor=page["next_cursor"])
        self.assertEqual(page["items"][0]["content"], "Noted.")
        self.assertEqual(len(c.context(aid, format="anthropic")["messages"]), 2)
        self.assertIsInstance(c.summaries(aid)["items"], list)
        job = c.request_compaction(aid)
        self.assertEqual(c.compaction(job["id"])["agent_id"], aid)
        self.assertIn(job["id"], [j["id"] for j in c.compactions(aid, limit=10)])
        self.assertIsInstance(c.compaction_budget(aid), dict)
        self.assertGreater(c.stats(aid)["messages"], 0)

        self.assertEqual(len(c.blocks(aid)), 1)
        c.put_block(aid, "human", {"value": "Name: Ada. Bees."})
        self.assertEqual(c.block(aid, "human")["value"], "Name: Ada. Bees.")
        self.assertTrue(c.block_history(aid, "human"))
        self.assertEqual(c.undo_block(aid, "human")["value"], "Name: Ada.")
        with self.assertRaises(MemsvcError) as cm:
            c.put_block(aid, "human", {"value": "x" * 2000})
        self.assertEqual((cm.exception.status, cm.exception.code), (422, "unprocessable"))

        p = c.insert_passage(aid, {"text": "Ada lives in Lyon.", "key": "ada/city"})
        ps = c.insert_passages(aid, [{"text": "Ada keeps bees."}, {"text": "Ada reads Proust."}])
        self.assertEqual(len(ps), 2)
        with self.assertRaises(MemsvcError) as cm:
            c.insert_passages(aid, [{"text": "fine"}, {"text": ""}])
        self.assertEqual(cm.exception.code, "invalid_argument")
        self.assertIn("passages[1]", cm.exception.message)
        hits = c.search_archival(aid, "Where does Ada live?", k=3)
        self.assertEqual(hits[0]["passage"]["id"], p["id"])
        self.assertEqual(c.passage(aid, p["id"])["text"], "Ada lives in Lyon.")
        self.assertEqual(c.invalidate(aid, p["id"], "moved")["status"], "invalidated")
        self.assertEqual(c.restore(aid, p["id"])["status"], "valid")
        page = c.passage_history(aid, p["id"], limit=2)
        self.assertEqual(len(page["items"]), 2)
        rest = c.passage_history(aid, p["id"], cursor=page["next_cursor"])
        self.assertEqual((len(rest["items"]), rest["next_cursor"]), (1, ""))
        c.delete_passage(aid, ps[1]["id"])
        with self.assertRaises(MemsvcError) as cm:
            c.passage(aid, ps[1]["id"])
        self.assertEqual((cm.exception.status, cm.exception.code), (404, "not_found"))
        self.assertTrue(c.search_recall(aid, "bees"))

        tools = c.tools(aid)
        self.assertEqual(len(tools), 6)
        r = c.call_tool(aid, "archival_memory_search", {"query": "bees"})
        self.assertFalse(r["is_error"])
        self.assertIn("bees", r["content"])
        r = c.call_tool(aid, "archival_memory_search", json.dumps({}))
        self.assertTrue(r["is_error"])
        self.assertIn("effective", c.agent_permissions(aid))

        sb = c.create_shared_block({"label": "org", "value": "Acme.", "limit": 100})
        self.assertEqual(c.shared_block(sb["id"])["label"], "org")
        c.attach_block(aid, sb["id"], read_only=True)
        c.detach_block(aid, sb["id"])

        a = self.admin
        ck = a.create_key("beta")
        self.assertEqual(len(a.list_keys(tenant="beta")["items"]), 1)
        a.set_tenant_permissions("beta", {"deny": ["archival_delete"]})
        self.assertEqual(a.tenant_permissions("beta")["deny"], ["archival_delete"])
        beta = Client(URL, api_key=ck["token"])
        with self.assertRaises(MemsvcError) as cm:
            beta.get_agent(aid)
        self.assertEqual(cm.exception.code, "not_found")
        with self.assertRaises(MemsvcError) as cm:
            c.create_key("x")
        self.assertEqual(cm.exception.code, "permission_denied")
        a.revoke_key(ck["key"]["id"])
        with self.assertRaises(MemsvcError) as cm:
            beta.list_agents()
        self.assertEqual(cm.exception.code, "unauthenticated")
        before = c.search_archival(aid, "Where does Ada live?", k=3)
        doc = c.export_agent(aid)
        self.assertEqual((doc["format"], doc["version"]), ("memsvc.agent", 1))
        c.delete_agent(aid)
        self.assertEqual(c.import_agent(doc)["id"], aid)
        self.assertEqual(c.search_archival(aid, "Where does Ada live?", k=3), before)
        c.delete_agent(aid)
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "..", "pager", "testdata", "letta-agent.af"), "rb") as f:
            letta = c.import_letta(f.read())
        self.assertEqual([b["label"] for b in letta["blocks"]], ["human", "persona"])
        self.assertEqual(len(c.messages(letta["id"])["items"]), 5)
        c.delete_agent(letta["id"])

    def test_b_every_route_called(self):
        with urllib.request.urlopen(URL + "/openapi.json") as resp:
            doc = json.load(resp)
        routes = [(m.upper(), path, re.compile("^" + re.sub(r"\{[a-z_]+\}", "[^/]+", path) + "$"))
                  for path, item in doc["paths"].items() for m in item
                  if path.startswith("/v1/") or path in ("/healthz", "/readyz")]
        covered = set()
        for method, p in called:
            matches = [(path.count("{"), path) for m, path, rx in routes if m == method and rx.match(p)]
            if matches:
                covered.add((method, min(matches)[1]))  # the most specific: /archival/search, not /archival/{passage_id}
        missing = sorted(f"{m} {path}" for m, path, _ in routes if (m, path) not in covered)
        self.assertEqual(missing, [], "routes no client method reached")


class _DropFirstAnswers(http.server.BaseHTTPRequestHandler):
    """A proxy that forwards each request to memsvc but, while drops > 0, answers 502 instead
    of memsvc's answer: the write is applied, the client never hears so."""

    drops = 0

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(URL + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(req) as resp:
                status, data = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        if type(self).drops > 0:
            type(self).drops -= 1
            status, data = 502, b"bad gateway"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    def log_message(self, *args):
        pass


@unittest.skipUnless(URL and KEY, "set MEMSVC_URL and MEMSVC_API_KEY")
class Retries(unittest.TestCase):
    def test_retried_write_applies_once(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DropFirstAnswers)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            c = Client(f"http://127.0.0.1:{srv.server_address[1]}", api_key=KEY, backoff=0.01)
            aid = c.create_agent({"name": "retry"})["id"]
            _DropFirstAnswers.drops = 2
            c.append(aid, [{"role": "user", "content": "once"}])
            self.assertEqual(len(c.messages(aid)["items"]), 1)
            _DropFirstAnswers.drops = 1
            with self.assertRaises(MemsvcError) as cm:
                Client(c.base_url, api_key=KEY, retries=0).get_agent(aid)
            self.assertEqual(cm.exception.status, 502)
        finally:
            srv.shutdown()


if __name__ == "__main__":
    unittest.main()
