package bench

import (
	"os"
	"reflect"
	"testing"
	"time"
)

func TestNormalizeEvidence(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want []string
	}{
		{[]string{"D1:3"}, []string{"D1:3"}},
		{[]string{"D8:6; D9:17"}, []string{"D8:6", "D9:17"}},
		{[]string{"D9:1 D4:4 D4:6"}, []string{"D9:1", "D4:4", "D4:6"}},
		{[]string{"D1:18", "D", "D1:20"}, []string{"D1:18", "D1:20"}},
		{[]string{"D:11:26", "D20:21"}, []string{"D20:21"}},
		{[]string{"D1:3", "D1:3;D1:3"}, []string{"D1:3"}},
		{[]string{"D30:05"}, []string{"D30:05"}}, // well formed; whether it names a turn is checked later
		{nil, nil},
	} {
		if got := NormalizeEvidence(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("NormalizeEvidence(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseSessionDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1:56 pm on 8 May, 2023":        time.Date(2023, 5, 8, 13, 56, 0, 0, time.UTC),
		"10:37 am on 27 June, 2023":     time.Date(2023, 6, 27, 10, 37, 0, 0, time.UTC),
		"12:06 am on 11 November, 2022": time.Date(2022, 11, 11, 0, 6, 0, 0, time.UTC),
		"12:30 pm on 1 January, 2024":   time.Date(2024, 1, 1, 12, 30, 0, 0, time.UTC),
		"  8:56 PM on 20 July,  2023 ":  time.Date(2023, 7, 20, 20, 56, 0, 0, time.UTC),
		"3:04 pm on 2 Feb, 2023":        time.Date(2023, 2, 2, 15, 4, 0, 0, time.UTC),
		"8 May, 2023":                   time.Date(2023, 5, 8, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseSessionDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSessionDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "25:00 pm on 8 May, 2023"} {
		if _, err := ParseSessionDate(in); err == nil {
			t.Errorf("ParseSessionDate(%q) did not fail", in)
		}
	}
}

func TestParseLocomoFixture(t *testing.T) {
	convs, err := LoadLocomo("testdata/locomo-tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 {
		t.Fatalf("%d conversations", len(convs))
	}
	c := convs[0]
	if c.SpeakerA != "Ava" || c.SpeakerB != "Ben" || len(c.Sessions) != 2 {
		t.Fatalf("speakers %q %q, %d sessions (a date without a session is no session)", c.SpeakerA, c.SpeakerB, len(c.Sessions))
	}
	if want := time.Date(2023, 6, 19, 10, 4, 0, 0, time.UTC); !c.LastDate().Equal(want) {
		t.Errorf("LastDate = %v, want %v", c.LastDate(), want)
	}
	if got := c.Sessions[0].Turns[1].Passage(); got != "Ben: Congrats! I finally finished restoring my old sailboat. [image: a photo of a small sailboat on a lake]" {
		t.Errorf("passage = %q", got)
	}
	want := map[string][]string{
		"When is the marathon?":                                 {"D2:1"},         // D9:99 names no turn
		"What did the kitten knock over, and what is its name?": {"D1:1", "D2:2"}, // "D1:1; D2:2"
		"Would Ben enjoy a sailing trip?":                       nil,              // only malformed ids
		"Is the violin new?":                                    nil,
	}
	for _, q := range c.QA {
		if w, ok := want[q.Question]; ok && !reflect.DeepEqual(q.Evidence, w) {
			t.Errorf("%q: evidence %q, want %q", q.Question, q.Evidence, w)
		}
	}
}

// TestLocomoDevNormalization checks the README's counts on the development data, when it is
// present: after normalization 3 evidence strings were malformed, D10:19 names no turn, and 2
// category-3 items are left without evidence.
func TestLocomoDevNormalization(t *testing.T) {
	path := "../../shared/data/locomo/locomo-dev.json"
	if _, err := os.Stat(path); err != nil {
		t.Skip("LoCoMo development data not present")
	}
	convs, err := LoadLocomo(path)
	if err != nil {
		t.Fatal(err)
	}
	var qa, none, turns int
	noneByCat := map[int]int{}
	for _, c := range convs {
		for _, s := range c.Sessions {
			turns += len(s.Turns)
		}
		for _, q := range c.QA {
			qa++
			if len(q.Evidence) == 0 {
				none++
				noneByCat[q.Category]++
			}
		}
	}
	if len(convs) != 5 || qa != 999 || turns != 2760 {
		t.Errorf("%d conversations, %d questions, %d turns; want 5, 999, 2760", len(convs), qa, turns)
	}
	if none != 2 || noneByCat[3] != 2 {
		t.Errorf("%d items without valid evidence (%v), want 2 in category 3", none, noneByCat)
	}
}
