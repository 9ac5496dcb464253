package archival

import "context"

// Lister is what a Store implements when it can list every passage of an agent, for export.
// memarchival and pgarchival do; qdrantarchival does not (yet), so agents kept there cannot be
// exported.
type Lister interface {
	// List returns up to limit passages of an agent, with their vectors, in the order the store
	// keeps them (where it breaks ties between equal scores by it, insertion order), from
	// cursor ("" for the first); next is the cursor of the following page, "" after the last.
	List(ctx context.Context, agentID, cursor string, limit int) (ps []Passage, next string, err error)
}
