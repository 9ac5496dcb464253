"""Python client of memsvc's HTTP API, v1. One module, standard library only.

    from memsvc import Client
    mem = Client("http://127.0.0.1:8080", api_key="msk_...")
    agent = mem.create_agent({"name": "ada", "blocks": [{"label": "human", "value": "", "limit": 2000}]})
    mem.append(agent["id"], [{"role": "user", "content": "I moved to Lyon."}])
    tools = mem.tools(agent["id"])                     # hand these to the model
    result = mem.call_tool(agent["id"], name, args)    # run what the model called

Every method returns the decoded JSON answer (dicts and lists, with the API's field names, see
/openapi.json). An error answer raises MemsvcError with the API's status, code and message.
Transient failures (no connection, 429, 502, 503, 504) are retried with a jittered exponential
delay; every write carries an Idempotency-Key, one per call, so a retried write is applied once.
"""

import json
import random
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Client", "MemsvcError"]

_RETRY_STATUSES = {429, 502, 503, 504}


class MemsvcError(Exception):
    """An error the API answered: HTTP status, the API's code (e.g. "not_found") and message."""

    def __init__(self, status, code, message, retry_after=0.0):
        super().__init__(f"memsvc: {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def _q(s):
    return urllib.parse.quote(str(s), safe="")


class Client:
    """A client of one memsvc server. Safe to share between threads."""

    def __init__(self, base_url="http://127.0.0.1:8080", api_key=None, timeout=60.0, retries=3, backoff=0.25):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff

    # -- transport ------------------------------------------------------------------------
    def _request(self, method, path, body=None, query=None, idempotency_key=None):
        url = self.base_url + path
        if query:
            q = {k: v for k, v in query.items() if v not in (None, "")}
            if q:
                url += "?" + urllib.parse.urlencode(q)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = "Bearer " + self.api_key
        if method not in ("GET", "HEAD"):
            headers["Idempotency-Key"] = idempotency_key or "memsvc-py-" + secrets.token_hex(16)
        attempt = 0
        while True:
            try:
                return self._once(method, url, data, headers)
            except MemsvcError as e:
                if e.status not in _RETRY_STATUSES or attempt >= self.retries:
                    raise
                wait = max(self._delay(attempt), e.retry_after)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if attempt >= self.retries:
                    raise
                wait = self._delay(attempt)
            time.sleep(wait)
            attempt += 1

    def _delay(self, n):
        d = min(self.backoff * (2 ** min(n, 5)), 30 * self.backoff)
        return d * (1 + random.uniform(-0.2, 0.2))

    def _once(self, method, url, data, headers):
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            code, message = "internal", raw.decode(errors="replace").strip()
            try:
                err = json.loads(raw)["error"]
                code, message = err["code"], err["message"]
            except (ValueError, KeyError, TypeError):
                pass
            try:
                retry_after = float(e.headers.get("Retry-After") or 0)
            except ValueError:
                retry_after = 0.0
            raise MemsvcError(e.code, code, message, retry_after) from None
        return json.loads(raw) if raw else None

    # -- operations -----------------------------------------------------------------------
    def health(self):
        return self._request("GET", "/healthz")

    def ready(self):
        return self._request("GET", "/readyz")

    # -- agents ---------------------------------------------------------------------------
    def create_agent(self, spec, idempotency_key=None):
        return self._request("POST", "/v1/agents", spec, idempotency_key=idempotency_key)

    def list_agents(self, limit=None, cursor=None):
        return self._request("GET", "/v1/agents", query={"limit": limit, "cursor": cursor})

    def get_agent(self, agent_id):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}")

    def update_agent(self, agent_id, patch):
        return self._request("PATCH", f"/v1/agents/{_q(agent_id)}", patch)

    def delete_agent(self, agent_id):
        return self._request("DELETE", f"/v1/agents/{_q(agent_id)}")

    # -- main context ---------------------------------------------------------------------
    def append(self, agent_id, messages, idempotency_key=None):
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/messages", {"messages": messages},
                             idempotency_key=idempotency_key)

    def messages(self, agent_id, limit=None, cursor=None):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/messages", query={"limit": limit, "cursor": cursor})

    def context(self, agent_id, format=None):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/context", query={"format": format})

    def summaries(self, agent_id, limit=None, cursor=None):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/summaries", query={"limit": limit, "cursor": cursor})

    def request_compaction(self, agent_id):
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/compactions")

    def compaction(self, job_id):
        return self._request("GET", f"/v1/compactions/{_q(job_id)}")

    def compactions(self, agent_id, limit=None):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/compactions", query={"limit": limit})["items"]

    def compaction_budget(self, agent_id):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/compaction-budget")

    def stats(self, agent_id):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/stats")

    # -- core memory blocks ---------------------------------------------------------------
    def blocks(self, agent_id):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/blocks")["items"]

    def block(self, agent_id, label):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/blocks/{_q(label)}")

    def put_block(self, agent_id, label, block):
        return self._request("PUT", f"/v1/agents/{_q(agent_id)}/blocks/{_q(label)}", block)

    def block_history(self, agent_id, label):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/blocks/{_q(label)}/history")["items"]

    def undo_block(self, agent_id, label):
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/blocks/{_q(label)}/undo")

    # -- archival memory ------------------------------------------------------------------
    def insert_passage(self, agent_id, passage, idempotency_key=None):
        """passage: {"text", "valid_from"?, "key"?, "tags"?, "source"?, "metadata"?, "supersedes"?}"""
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/archival", passage, idempotency_key=idempotency_key)

    def insert_passages(self, agent_id, passages, idempotency_key=None):
        """Up to 1,000 passages in one atomic write: all are stored, or on any error none."""
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/archival/batch", {"passages": passages},
                             idempotency_key=idempotency_key)["passages"]

    def search_archival(self, agent_id, query, k=None, **opts):
        """opts: as_of, include_invalid, tags, weights, mode."""
        body = {"query": query, **opts}
        if k is not None:
            body["k"] = k
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/archival/search", body)["results"]

    def passage(self, agent_id, passage_id):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/archival/{_q(passage_id)}")

    def delete_passage(self, agent_id, passage_id):
        return self._request("DELETE", f"/v1/agents/{_q(agent_id)}/archival/{_q(passage_id)}")

    def passage_history(self, agent_id, passage_id, limit=None, cursor=None):
        """A page of the passage's validity changes: {"items", "next_cursor"}."""
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/archival/{_q(passage_id)}/history",
                             query={"limit": limit, "cursor": cursor})

    def invalidate(self, agent_id, passage_id, reason, superseded_by=None):
        body = {"reason": reason}
        if superseded_by:
            body["superseded_by"] = superseded_by
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/archival/{_q(passage_id)}/invalidate", body)

    def restore(self, agent_id, passage_id):
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/archival/{_q(passage_id)}/restore")

    # -- recall memory --------------------------------------------------------------------
    def search_recall(self, agent_id, query, k=None, **opts):
        """opts: roles, from, to (use from_ for from)."""
        if "from_" in opts:
            opts["from"] = opts.pop("from_")
        body = {"query": query, **opts}
        if k is not None:
            body["k"] = k
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/recall/search", body)["results"]

    # -- memory tools ---------------------------------------------------------------------
    def tools(self, agent_id, format=None):
        """The memory tools' definitions for "openai" (default) or "anthropic"."""
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/tools", query={"format": format})["tools"]

    def call_tool(self, agent_id, name, arguments, call_id=None, record=False):
        """Run a tool the model called; arguments is a dict or the JSON string OpenAI sends."""
        body = {"name": name, "arguments": arguments}
        if call_id:
            body["call_id"] = call_id
        if record:
            body["record"] = True
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/tool-calls", body)

    # -- permissions and shared blocks ----------------------------------------------------
    def agent_permissions(self, agent_id):
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/permissions")

    def create_shared_block(self, block):
        return self._request("POST", "/v1/blocks", block)

    def shared_block(self, block_id):
        return self._request("GET", f"/v1/blocks/{_q(block_id)}")

    def attach_block(self, agent_id, block_id, read_only=False, copy_on_write=False):
        return self._request("POST", f"/v1/agents/{_q(agent_id)}/attachments",
                             {"block_id": block_id, "read_only": read_only, "copy_on_write": copy_on_write})

    def detach_block(self, agent_id, block_id):
        return self._request("DELETE", f"/v1/agents/{_q(agent_id)}/attachments/{_q(block_id)}")

    # -- admin (admin key) ----------------------------------------------------------------
    def create_key(self, tenant, admin=False, name=""):
        return self._request("POST", "/v1/admin/keys", {"tenant": tenant, "admin": admin, "name": name})

    def list_keys(self, tenant=None, limit=None, cursor=None):
        return self._request("GET", "/v1/admin/keys", query={"tenant": tenant, "limit": limit, "cursor": cursor})

    def revoke_key(self, key_id):
        return self._request("DELETE", f"/v1/admin/keys/{_q(key_id)}")

    def tenant_permissions(self, tenant):
        return self._request("GET", f"/v1/admin/tenants/{_q(tenant)}/permissions")

    def set_tenant_permissions(self, tenant, permissions):
        return self._request("PUT", f"/v1/admin/tenants/{_q(tenant)}/permissions", permissions)

    # -- export and import ----------------------------------------------------------------
    def export_agent(self, agent_id):
        """The agent's portable copy: a dict in the memsvc.agent format, version 1."""
        return self._request("GET", f"/v1/agents/{_q(agent_id)}/export")

    def import_agent(self, doc):
        """Store an export as an agent of this key's tenant, with the IDs it had."""
        return self._request("POST", "/v1/agents/import", doc)

    def import_letta(self, af):
        """Import a Letta Agent File (.af): its parsed JSON (a dict) or its bytes."""
        if isinstance(af, (bytes, str)):
            af = json.loads(af)
        return self._request("POST", "/v1/agents/import/letta", af)
