package api

// Exported names of the API's own wire envelopes, for Go clients (package client), so that a
// client decodes exactly the types the server encodes rather than copies of them. The bodies
// themselves are the pager's, state's and archival's types, as the handlers use them.
type (
	// List is a page of a paginated list; NextCursor is "" on the last page.
	List[T any] = list[T]
	// AppendRequest is the body of POST …/messages.
	AppendRequest = appendRequest
	// InvalidateRequest is the body of POST …/archival/{passage_id}/invalidate.
	InvalidateRequest = invalidateRequest
	// ArchivalResults and RecallResults are the answers of the searches.
	ArchivalResults = archivalResults
	RecallResults   = recallResults
	// ToolList is the answer of GET …/tools.
	ToolList = toolList
	// KeyRequest is the body of POST /v1/admin/keys; CreatedKey its answer.
	KeyRequest = keyRequest
	CreatedKey = createdKey
	// ErrorBody is every error's answer: {"error": {"code", "message"}}.
	ErrorBody   = errorBody
	ErrorDetail = errorDetail
)
