package validity

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"
)

func TestZZDiag(t *testing.T) {
	b, err := os.ReadFile("../../shared/data/beam/beam-500k-user.json")
	if err != nil {
		t.Skip()
	}
	re := regexp.MustCompile(`\s*->->\s*[\d,\s]*$`)
	var chats []struct {
		Messages []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		}
		KU []struct {
			Question string
			O        []int `json:"original_ids"`
			U        []int `json:"updated_ids"`
		} `json:"knowledge_update"`
	}
	json.Unmarshal(b, &chats)
	for _, c := range chats[:35] {
		by := map[int]string{}
		for _, m := range c.Messages {
			by[m.ID] = re.ReplaceAllString(m.Content, "")
		}
		for _, k := range c.KU {
			if len(k.O) == 0 || len(k.U) == 0 || by[k.O[0]] == "" || by[k.U[0]] == "" {
				continue
			}
			cands := []Candidate{{Text: by[k.O[0]], ValidFrom: time.Unix(0, 0)}, {Text: by[k.U[0]], ValidFrom: time.Unix(10, 0)}}
			subs := []string{SubjectOf("", cands[0].Text), SubjectOf("", cands[1].Text)}
			_, qt, idf := predicateMatch(k.Question, cands, subs)
			a := sentenceAnswers(k.Question, cands, subs, qt, idf)
			fmt.Printf("cov %.2f %.2f ok %v %v vals %d %d differ %v overlap %.2f\n", a[0].coverage, a[1].coverage, a[0].ok, a[1].ok, len(a[0].values), len(a[1].values), differ(a[0].values, a[1].values), overlap(a[0].frame, a[1].frame))
		}
	}
}
