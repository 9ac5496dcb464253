package archival

import "testing"

func TestFuseMergesAndOrders(t *testing.T) {
	dense := []*Candidate{{ID: "a", Dense: 0.9, DenseRank: 1}, {ID: "b", Dense: 0.8, DenseRank: 2}}
	lexical := []*Candidate{{ID: "b", Lexical: 3, LexicalRank: 1}, {ID: "c", Lexical: 2, LexicalRank: 2}}
	got := Fuse(dense, lexical)
	if len(got) != 3 || got[0].ID != "b" || got[0].DenseRank != 2 || got[0].LexicalRank != 1 {
		t.Fatalf("b is in both lists and must lead: %+v", got)
	}
	if got[1].Relevance < got[2].Relevance || got[1].ID+got[2].ID != "ca" && got[1].ID+got[2].ID != "ac" {
		t.Fatalf("the rest by relevance: %+v %+v", got[1], got[2])
	}
	// Equal relevance: the higher cosine, then the newer, then the smaller ID.
	tie := []*Candidate{{ID: "z", DenseRank: 1, CreatedAt: 1}, {ID: "y", DenseRank: 1, CreatedAt: 2}, {ID: "x", DenseRank: 1, CreatedAt: 2}}
	Order(tie)
	if tie[0].ID != "x" || tie[1].ID != "y" || tie[2].ID != "z" {
		t.Fatalf("tie-breaks: %v %v %v", tie[0].ID, tie[1].ID, tie[2].ID)
	}
	if Depth(3) != 50 || Depth(20) != 100 {
		t.Fatal("Depth")
	}
}
