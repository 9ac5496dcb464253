package api

// The JSON Schemas of the OpenAPI document, one per request and answer shape. Their properties
// follow the JSON fields of the pager, state and archival types; TestOpenAPISchemasMatchTypes
// keeps them in step.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }

func typed(t, desc string) obj {
	o := obj{"type": t}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

func str(desc string) obj     { return typed("string", desc) }
func integer(desc string) obj { return typed("integer", desc) }
func number(desc string) obj  { return typed("number", desc) }
func boolean(desc string) obj { return typed("boolean", desc) }

func enum(desc string, values ...string) obj {
	return obj{"type": "string", "enum": values, "description": desc}
}

func timestamp(desc string) obj {
	return obj{"type": "string", "format": "date-time", "description": desc}
}

func nullableTime(desc string) obj {
	return obj{"type": []string{"string", "null"}, "format": "date-time", "description": desc}
}

func nullable(o obj) obj { return obj{"anyOf": []any{o, obj{"type": "null"}}} }

func with(o obj, kv ...any) obj {
	out := obj{}
	for k, v := range o {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

var anyJSON = obj{"description": "Any JSON value."}

var roleEnum = []string{"user", "assistant", "system", "tool"}

func schemas() obj {
	agentFields := obj{
		"id":               str("Opaque agent ID chosen by the server."),
		"name":             str(""),
		"system":           str("The system prompt."),
		"context_window":   integer("The context window, in tokens."),
		"model":            str("Names the tokenizer; default an o200k-style BPE."),
		"pager":            ref("PagerConfig"),
		"tools_in_context": boolean("The model is handed memsvc's memory tools, so their definitions count against the window."),
		"metadata":         anyJSON,
		"created_at":       timestamp(""),
		"updated_at":       timestamp(""),
		"tenant":           str("The tenant that owns the agent: the API key's."),
		"permissions":      with(ref("Permissions"), "description", "The agent's own policy; absent for none."),
	}
	agentRequired := []string{"id", "name", "system", "context_window", "model", "pager", "tools_in_context", "created_at", "updated_at", "tenant"}
	agentView := with(agentFields,
		"blocks", arrayOf(ref("Block")),
		"context", ref("ContextState"))

	return obj{
		"Error": object([]string{"error"}, obj{
			"error": object([]string{"code", "message"}, obj{
				"code": enum("What went wrong, one per status.", "invalid_argument", "unauthenticated",
					"permission_denied", "not_found", "conflict", "too_large", "unprocessable", "idempotency_mismatch", "rate_limited",
					"unavailable", "internal"),
				"message": str("A message for a person; never internal detail."),
			}),
		}),
		"Status": object([]string{"status"}, obj{"status": enum("", "ok")}),

		"PagerConfig": object([]string{"warn_ratio", "flush_ratio", "target_ratio", "keep_last"}, obj{
			"warn_ratio":   number("Place a memory-pressure warning when the context crosses this share of the window."),
			"flush_ratio":  number("Evict when the context reaches this share of the window."),
			"target_ratio": number("Evict down to this share of the window."),
			"keep_last":    integer("Messages never evicted, newest last."),
		}),
		"PagerSpec": object(nil, obj{
			"warn_ratio":   with(number(""), "default", 0.7, "exclusiveMinimum", 0, "maximum", 1),
			"flush_ratio":  with(number(""), "default", 1.0, "exclusiveMinimum", 0, "maximum", 1),
			"target_ratio": with(number(""), "default", 0.5, "exclusiveMinimum", 0, "exclusiveMaximum", 1),
			"keep_last":    with(integer(""), "default", 4, "minimum", 0, "maximum", 1000),
		}),
		"Agent":         object(append(agentRequired, "blocks", "context"), agentView),
		"AgentListItem": object(agentRequired, agentFields),
		"AgentCreate": object(nil, obj{
			"name":             str(""),
			"system":           str("The system prompt."),
			"context_window":   with(integer("Tokens; default 8192."), "minimum", 256, "maximum", 2000000),
			"model":            str("Names the tokenizer; default an o200k-style BPE."),
			"blocks":           with(arrayOf(ref("Block")), "maxItems", 64),
			"pager":            ref("PagerSpec"),
			"tools_in_context": with(boolean("Count the memory tools' definitions against the window."), "default", true),
			"metadata":         with(anyJSON, "description", "Any JSON value, at most 16 KiB."),
			"permissions":      ref("Permissions"),
		}),
		"AgentPatch": object(nil, obj{
			"name":             str("Absent or null keeps the current value; so for every field."),
			"system":           str(""),
			"context_window":   with(integer(""), "minimum", 256, "maximum", 2000000),
			"model":            str(""),
			"pager":            ref("PagerSpec"),
			"tools_in_context": boolean(""),
			"metadata":         anyJSON,
			"permissions":      with(ref("Permissions"), "description", "Replaces the agent's policy; empty lists clear it."),
		}),
		"AgentList": listOf("AgentListItem"),

		"Permissions": object(nil, obj{
			"allow": with(arrayOf(str("")), "maxItems", 64, "description",
				"When not empty, only these actions are permitted. An action is a memory tool's name, memory_restore or "+
					"archival_delete; a rule ending in * matches a prefix."),
			"deny": with(arrayOf(str("")), "maxItems", 64, "description",
				"Actions never permitted. Deny wins over allow, at either level; a tenant's policy applies on top of the agent's."),
		}),
		"PermissionsView": object([]string{"agent", "tenant", "effective"}, obj{
			"agent":     nullable(ref("Permissions")),
			"tenant":    nullable(ref("Permissions")),
			"effective": obj{"type": "object", "additionalProperties": obj{"type": "boolean"}, "description": "Each action: permitted or not."},
		}),
		"SharedBlock": object([]string{"id", "tenant", "label", "value", "limit", "description", "version", "created_at", "updated_at", "attachments"}, obj{
			"id":          str(""),
			"tenant":      str(""),
			"label":       str("The label every attachment shows."),
			"value":       str(""),
			"limit":       integer("Characters."),
			"description": str(""),
			"version":     integer("Grows with every write."),
			"created_at":  timestamp(""),
			"updated_at":  timestamp(""),
			"attachments": arrayOf(ref("Attachment")),
		}),
		"Attachment": object([]string{"agent_id", "read_only", "copy_on_write"}, obj{
			"agent_id": str(""), "read_only": boolean(""), "copy_on_write": boolean(""),
		}),
		"SharedBlockInput": object([]string{"label"}, obj{
			"label":       with(str(""), "pattern", "^[a-z0-9][a-z0-9_.-]{0,63}$"),
			"value":       str(""),
			"limit":       integer("Characters; 0 means 2000."),
			"description": str(""),
		}),
		"AttachInput": object([]string{"block_id"}, obj{
			"block_id":      str("The shared block to attach, of the agent's tenant."),
			"read_only":     boolean("The agent cannot write it."),
			"copy_on_write": boolean("The agent's first write makes its private copy; the shared block and the other agents stay as they are."),
		}),
		"BlockEvent": object([]string{"seq", "label", "action", "before", "after", "at"}, obj{
			"seq":       integer("Order of writes."),
			"shared_id": str("The shared block written, or copied from."),
			"agent_id":  str("The agent whose write it was."),
			"label":     str(""),
			"action":    enum("", "created", "written", "copied", "undone"),
			"before":    str(""),
			"after":     str(""),
			"undoes":    integer("The write an undo reverted."),
			"cause":     str("The tool or REST write that made it."),
			"at":        timestamp(""),
		}),
		"BlockEventList": listOf("BlockEvent"),
		"APIKey": object([]string{"id", "tenant", "admin", "name", "created_at", "revoked_at", "max_source"}, obj{
			"max_source": enum("The highest passage source the key may claim: user, or agent (its writes cannot be stored, nor act, as the user's).", "user", "agent"),
			"id":         str(""),
			"tenant":     str(""),
			"admin":      boolean("Manages keys and tenant policies too."),
			"name":       str(""),
			"created_at": timestamp(""),
			"revoked_at": nullableTime("Null while the key works."),
		}),
		"APIKeyList": listOf("APIKey"),
		"KeyRequest": object([]string{"tenant"}, obj{
			"tenant":     with(str(""), "pattern", "^[a-z0-9][a-z0-9_.-]{0,63}$"),
			"admin":      boolean(""),
			"name":       str("A note for people."),
			"max_source": enum("The highest passage source the key may claim (default user).", "user", "agent"),
		}),
		"CreatedKey": object([]string{"key", "token"}, obj{
			"key":   ref("APIKey"),
			"token": str("The API key to send as Authorization: Bearer <token>. It is shown only in this answer."),
		}),

		"Block": object([]string{"label", "value", "limit", "read_only", "description"}, obj{
			"label":         with(str(""), "pattern", "^[a-z0-9][a-z0-9_.-]{0,63}$"),
			"value":         str(""),
			"limit":         integer("Characters; 0 on create means 2000."),
			"read_only":     boolean(""),
			"description":   str(""),
			"shared_id":     str("The shared block this is an attachment of (read-only on create)."),
			"copy_on_write": boolean("The agent's first write makes its private copy (read-only on create)."),
		}),
		"BlockInput": object(nil, obj{
			"value":       str("Required to create a block; absent keeps the current value."),
			"limit":       integer("Characters."),
			"read_only":   boolean(""),
			"description": str(""),
		}),
		"BlockList":   listOf("Block"),
		"SummaryList": listOf("Summary"),

		"Message": object([]string{"id", "agent_id", "seq", "role", "content", "pinned", "tokens", "in_context", "created_at"}, obj{
			"id":           str(""),
			"agent_id":     str(""),
			"seq":          integer("Position in the agent's history, from 1."),
			"role":         enum("", roleEnum...),
			"content":      str(""),
			"name":         str(""),
			"tool_calls":   arrayOf(obj{"type": "object", "description": "An OpenAI tool call."}),
			"tool_call_id": str(""),
			"pinned":       boolean("A fact that compaction must keep."),
			"tokens":       integer(""),
			"in_context":   boolean("False once the pager evicted the message to recall storage."),
			"created_at":   timestamp(""),
		}),
		"MessageInput": object([]string{"role"}, obj{
			"role":         enum("", roleEnum...),
			"content":      str("Required unless tool_calls is given."),
			"name":         str(""),
			"tool_calls":   arrayOf(obj{"type": "object", "description": "An OpenAI tool call."}),
			"tool_call_id": str("Required on a tool message."),
			"pinned":       boolean("A fact that compaction must keep."),
		}),
		"MessageList": listOf("Message"),
		"AppendRequest": object([]string{"messages"}, obj{
			"messages": with(arrayOf(ref("MessageInput")), "minItems", 1, "maxItems", 256),
		}),
		"AppendResult": object([]string{"messages", "context", "events"}, obj{
			"messages": arrayOf(ref("Message")),
			"context":  ref("ContextState"),
			"events":   arrayOf(ref("Event")),
		}),
		"AgentStats": object([]string{"messages", "evicted", "passages", "context"}, obj{
			"messages": integer("Messages in the agent's history (its highest seq), in context and evicted."),
			"evicted":  integer("Messages that left the context."),
			"passages": integer("Archival passages, of every status."),
			"context":  ref("ContextState"),
		}),
		"ContextState": object([]string{"tokens", "window", "pressure", "in_context"}, obj{
			"tokens":     integer("Total tokens of the main context."),
			"window":     integer(""),
			"pressure":   enum("", "ok", "warn"),
			"in_context": integer("Messages in the context."),
		}),
		"Event": object([]string{"type"}, obj{
			"type":        enum("", "memory_pressure", "evicted", "summarized", "compaction_queued"),
			"count":       integer("Messages evicted."),
			"through_seq": integer("Messages up to this seq were evicted."),
			"summary_id":  str(""),
			"job_id":      str(""),
			"tokens":      integer(""),
		}),
		"TokenBreakdown": object([]string{"system", "blocks", "tools", "summary", "messages", "total", "window"}, obj{
			"system": integer(""), "blocks": integer(""), "tools": integer(""), "summary": integer(""),
			"messages": integer(""), "total": integer(""), "window": integer(""),
		}),
		"ContextView": object([]string{"system", "messages", "tokens", "pressure", "in_context", "summary"}, obj{
			"system":     str("The full system text: prompt, blocks and summary."),
			"messages":   arrayOf(obj{"type": "object", "description": "A message in the requested provider's shape."}),
			"tokens":     ref("TokenBreakdown"),
			"pressure":   enum("", "ok", "warn"),
			"in_context": integer(""),
			"summary":    nullable(ref("Summary")),
		}),
		"Summary": object([]string{"id", "agent_id", "text", "tokens", "from_seq", "through_seq", "source_message_ids", "created_at"}, obj{
			"id":                 str(""),
			"agent_id":           str(""),
			"text":               str(""),
			"tokens":             integer(""),
			"from_seq":           integer(""),
			"through_seq":        integer(""),
			"previous_id":        str(""),
			"source_message_ids": arrayOf(str("")),
			"passage_id":         str("The archival passage holding the summary, once written."),
			"created_at":         timestamp(""),
			"compaction_id":      str("The compaction job that made the summary."),
			"source_passage_ids": arrayOf(str("The archival passages the summary drew on: the previous summary's and those its messages cite.")),
			"status":             enum("stale once a passage it drew on is superseded, invalidated or deleted; the next compaction rebuilds it.", "valid", "stale"),
			"stale_cause":        str(""),
		}),
		"JobList": listOf("Job"),
		"CompactionBudget": object([]string{"agent_id", "tokens_per_period", "period_seconds", "period_start", "used", "remaining", "throttled", "tokens_total", "vruntime", "queued"}, obj{
			"agent_id":          str(""),
			"tokens_per_period": integer("The budget, tokens in plus out per period; 0 for unlimited."),
			"period_seconds":    number(""),
			"period_start":      timestamp("The current period's start; periods align on the clock."),
			"used":              integer("Tokens charged in the current period."),
			"remaining":         nullable(integer("The rest of the budget; null when unlimited.")),
			"throttled":         boolean("Over budget: queued compactions wait for the next period."),
			"tokens_total":      integer("Tokens charged over all time."),
			"vruntime":          number("Virtual time in the fair scheduler: the least runs first."),
			"queued":            integer("Compactions queued and not yet handed out."),
		}),
		"Job": object([]string{"id", "agent_id", "status", "summary_id", "tokens_in", "tokens_out", "error"}, obj{
			"id":       str(""),
			"agent_id": str(""),
			"status":   enum("queued: waiting for the scheduler, a worker or a retry.", "queued", "running", "succeeded", "failed"),
			"reason":   enum("", "evicted", "requested"),
			"from_seq": integer("The evicted span it was queued for."), "through_seq": integer(""),
			"summary_id":    str("The summary it made, or that covered its span."),
			"covered_by":    str("The job whose summary also folded this job's span."),
			"tokens_in":     integer("Tokens the summarizer (and contradiction checker) read."),
			"tokens_out":    integer("Tokens they wrote."),
			"retention":     nullable(number("Share of the pinned messages' facts the summary or archival kept, before the missing ones were written to archival verbatim.")),
			"missing_facts": arrayOf(str("")),
			"attempts":      integer(""),
			"error":         str("The last attempt's error."),
			"created_at":    timestamp(""),
			"started_at":    nullableTime(""),
			"finished_at":   nullableTime(""),
		}),

		"Passage": object([]string{"id", "agent_id", "text", "created_at", "valid_from", "valid_to", "status", "source", "tags"}, obj{
			"id":                      str(""),
			"agent_id":                str(""),
			"text":                    str(""),
			"context":                 str("What the passage was stored with to situate it (embedded and searched with the text)."),
			"created_at":              timestamp("When stored."),
			"valid_from":              timestamp("When it became true."),
			"valid_to":                nullableTime("Null while valid."),
			"status":                  enum("", "valid", "superseded", "invalidated", "expired"),
			"supersedes":              str(""),
			"superseded_by":           str(""),
			"key":                     str("Slot of a single-valued fact, e.g. alice/city."),
			"source":                  enum("", "user", "agent", "tool", "compaction", "import"),
			"tags":                    arrayOf(str("")),
			"metadata":                obj{"type": "object"},
			"possibly_superseded_by":  str("A newer passage about the same subject that may replace this one (found without a key)."),
			"supersession_confidence": number("How sure the possible supersession is, in (0, 1]."),
		}),
		"InvalidateRequest": object([]string{"reason"}, obj{
			"reason":        str("Why the passage is no longer true."),
			"superseded_by": str("ID of the passage that replaces it."),
		}),
		"PassageEvent": object([]string{"agent_id", "passage_id", "seq", "at", "action", "to_status"}, obj{
			"agent_id":      str(""),
			"passage_id":    str(""),
			"seq":           integer("Order of events."),
			"at":            timestamp(""),
			"action":        enum("", "created", "superseded", "invalidated", "expired", "restored", "possibly_superseded"),
			"from_status":   str(""),
			"to_status":     str(""),
			"superseded_by": str(""),
			"cause":         str("Why: the reason given, the key rule, or the similarity that suggested it."),
			"confidence":    number(""),
		}),
		"PassageEventList": listOf("PassageEvent"),
		"PassageInput": object([]string{"text"}, obj{
			"text":       with(str(""), "maxLength", 65536),
			"context":    with(str("Text that situates this one (the message it answers, the document it comes from): embedded and searched with it, and read by the predicate term, but not part of its text."), "maxLength", 16384),
			"valid_from": timestamp("Default: now."),
			"key":        with(str(""), "maxLength", 256),
			"tags":       with(arrayOf(str("")), "maxItems", 32),
			"source":     with(enum("", "user", "agent", "tool", "compaction", "import"), "default", "user"),
			"metadata":   obj{"type": "object"},
			"supersedes": str("ID of a passage this one supersedes."),
		}),
		"Export": object([]string{"format", "version", "agent", "blocks", "messages", "summaries", "passages"}, obj{
			"format":           enum("", "memsvc.agent"),
			"version":          with(integer("Version of the format; this server reads 1."), "const", 1),
			"exported_at":      timestamp(""),
			"agent":            ref("AgentListItem"),
			"context_counters": obj{"type": "object", "description": "The main context's running account (last_seq, tokens, in_context, summary_id…)."},
			"blocks":           arrayOf(ref("Block")),
			"messages":         arrayOf(ref("Message")),
			"summaries":        arrayOf(ref("Summary")),
			"passages":         arrayOf(obj{"type": "object", "description": "A Passage with its vector and its history (PassageEvent list)."}),
		}),
		"LettaAgentFile": obj{"type": "object", "description": "A Letta Agent File (.af) as Letta writes it: {agents, blocks, …} or the earlier single-agent layout {name, system, core_memory, messages, …}."},
		"JSONRPCMessage": obj{"type": "object", "description": "A JSON-RPC 2.0 message of the Model Context Protocol."},
		"PassageBatch": object([]string{"passages"}, obj{
			"passages": with(arrayOf(ref("PassageInput")), "minItems", 1, "maxItems", 1000),
		}),
		"StoredPassages": object([]string{"passages"}, obj{"passages": arrayOf(ref("Passage"))}),
		"Weights": object(nil, obj{
			"relevance": number("Weight of the fused dense and lexical relevance."),
			"recency":   number("Strength of the recency term (0 turns it off)."),
			"validity":  number("Strength of the validity term (0 turns it off)."),
			"subject":   number("Strength of the subject-consistency term (0 turns it off)."),
			"predicate": number("Strength of the predicate-match term (0 turns it off)."),
		}),
		"Scores": object([]string{"relevance", "recency", "validity", "subject", "predicate"}, obj{
			"relevance": number("Fused dense and lexical relevance, in [0, 1]."),
			"recency":   number("Recency among memories competing for one slot, in [0, 1]."),
			"validity":  number("1 valid; lower when possibly superseded; 0 superseded or invalidated."),
			"subject":   number("1 when the memory is about the subject the query names, lower otherwise."),
			"predicate": number("How much of what the query asks about its subject the memory says (its words, or its key's attribute), in [0, 1]."),
		}),
		"ArchivalQuery": object([]string{"query"}, obj{
			"query":           str(""),
			"k":               with(integer(""), "default", 10, "minimum", 1, "maximum", 100),
			"as_of":           timestamp("Only passages valid at this time."),
			"include_invalid": with(boolean(""), "default", false),
			"tags":            arrayOf(str("")),
			"weights":         ref("Weights"),
			"mode":            enum("Candidate lists fused into relevance.", "hybrid", "lexical", "dense"),
		}),
		"ArchivalHit": object([]string{"passage", "score", "scores"}, obj{
			"passage": ref("Passage"), "score": number(""), "scores": ref("Scores"),
			"conflicts": arrayOf(str("Ids of other hits of this search that state the opposite (an unresolved contradiction: read both).")),
		}),
		"ArchivalResults": object([]string{"results"}, obj{"results": arrayOf(ref("ArchivalHit"))}),

		"RecallQuery": object([]string{"query"}, obj{
			"query": str(""),
			"k":     with(integer(""), "default", 10, "minimum", 1, "maximum", 100),
			"roles": arrayOf(enum("", roleEnum...)),
			"from":  timestamp(""),
			"to":    timestamp(""),
		}),
		"RecallHit": object([]string{"message", "score"}, obj{"message": ref("Message"), "score": number(""),
			"conflicts": arrayOf(str("Ids of other messages among the results that state the opposite (an unresolved contradiction: read both)."))}),
		"RecallResults": object([]string{"results", "vectors_pending"}, obj{"results": arrayOf(ref("RecallHit")),
			"vectors_pending": integer("The agent's messages not embedded yet: the search matched them by their words only.")}),

		"ToolList": object([]string{"tools"}, obj{
			"tools": arrayOf(obj{"type": "object", "description": "A tool definition in the requested provider's shape."}),
		}),
		"ToolCall": object([]string{"name"}, obj{
			"name": enum("", "archival_memory_insert", "archival_memory_search", "conversation_search",
				"core_memory_append", "core_memory_replace", "memory_invalidate"),
			"arguments": obj{"type": []string{"object", "string"}, "description": "An object, or a string holding one as OpenAI sends it."},
			"call_id":   str(""),
			"record":    boolean("Append the call and its result to the context."),
		}),
		"ToolResult": object([]string{"content", "data", "is_error"}, obj{
			"content":  str("Text to return to the model."),
			"data":     anyJSON,
			"is_error": boolean("The model passed a bad argument; content says what to fix."),
			"recorded": ref("AppendResult"),
		}),
	}
}

// listOf is the schema of a paginated list of the named schema.
func listOf(item string) obj {
	return object([]string{"items", "next_cursor"}, obj{
		"items":       arrayOf(ref(item)),
		"next_cursor": str(`Pass as ?cursor= for the next page; "" on the last page.`),
	})
}
