package state

import (
	"reflect"
	"testing"
)

func TestMergeRecall(t *testing.T) {
	hit := func(id string, lex float64, lexRank int, dense float64, denseRank int) MessageHit {
		return MessageHit{Message: Message{ID: id}, Lexical: lex, LexicalRank: lexRank, Dense: dense, DenseRank: denseRank}
	}
	lexical := []MessageHit{hit("a", 3, 1, 0, 0), hit("b", 2, 2, 0, 0)}
	dense := []MessageHit{hit("c", 0, 0, 0.9, 0), hit("b", 0, 0, 0.9, 0), hit("d", 0, 0, 0.5, 0)}
	got := MergeRecall(lexical, dense)
	want := []MessageHit{
		hit("a", 3, 1, 0, 0),   // lexical only
		hit("b", 2, 2, 0.9, 1), // both: keeps its lexical place, gains its dense score and rank
		hit("c", 0, 0, 0.9, 1), // equal similarity, equal rank
		hit("d", 0, 0, 0.5, 3), // competition ranking: after two at rank 1 comes 3
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if lexical[1].Dense != 0 || dense[0].DenseRank != 0 {
		t.Fatal("MergeRecall changed its inputs")
	}
	if got := MergeRecall(nil, nil); len(got) != 0 {
		t.Fatalf("empty halves: %+v", got)
	}
	if got := MergeRecall(nil, dense[2:]); len(got) != 1 || got[0].DenseRank != 1 {
		t.Fatalf("dense only: %+v", got)
	}
}
