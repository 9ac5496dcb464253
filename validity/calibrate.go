package validity

import (
	"math"
	"sort"
)

// Calibration: the scorer's cosine thresholds (GroupCosine, SupersedeCosine) were chosen under
// the built-in GloVe-SIF embedder, and each embedder spreads cosines differently (USE-lite's sit
// lower, a large neural model's higher). So a threshold is carried to another embedder by its
// place in the embedder's own similarity distribution: the share of unrelated sentence pairs it
// exceeds. Both distributions are the cosines of every pair of CalibrationTexts, statements on
// unrelated topics, so a threshold that 99% of unrelated pairs fall below under GloVe-SIF is put
// where 99% of them fall below under the other embedder.

// CalibrationTexts are short statements on unrelated topics, of the kinds a memory holds; every
// pair of them is an unrelated pair.
func CalibrationTexts() []string { return calibrationTexts }

var calibrationTexts = []string{
	"The quarterly report is due on the last Friday of the month.",
	"Our build pipeline runs the integration tests twice a day.",
	"The bakery on the corner sells sourdough until noon.",
	"She has been learning to play the cello for three years.",
	"The river floods the lower meadow almost every spring.",
	"Grandpa keeps his stamp collection in a wooden chest.",
	"The database migration must finish before the release.",
	"He prefers green tea without sugar in the afternoon.",
	"The museum is closed on public holidays.",
	"Our team uses two-week sprints with a demo at the end.",
	"The old bridge was repaired after the storm last winter.",
	"My sister is allergic to shellfish and peanuts.",
	"The library extended its opening hours during exams.",
	"The server restarts automatically after a kernel update.",
	"They adopted a rescue greyhound from the shelter.",
	"The recipe needs two cups of flour and a pinch of salt.",
	"The marathon route passes along the harbour.",
	"I usually go running before work on weekdays.",
	"The invoice was paid by bank transfer yesterday.",
	"The garden needs watering every evening in July.",
	"Our landlord raised the rent by five percent.",
	"The lecture on volcanoes starts at nine in room 204.",
	"He wants to repaint the kitchen a pale yellow.",
	"The printer on the second floor is out of toner again.",
	"The orchestra rehearses on Thursday nights.",
	"We booked a cabin by the lake for the long weekend.",
	"The vaccine appointment was moved to next week.",
	"The app crashes when the upload exceeds fifty megabytes.",
	"Her favourite novel is a mystery set in Venice.",
	"The bus to the airport leaves every twenty minutes.",
	"The committee approved the new parking rules.",
	"My phone battery drains quickly in the cold.",
	"The chess club meets in the community hall.",
	"The soup tastes better with fresh coriander.",
	"The contract renewal needs a signature from legal.",
	"Our cat sleeps on the radiator all winter.",
	"The hiking trail is steep near the summit.",
	"He fixed the leaking tap with a new washer.",
	"The conference keynote was about renewable energy.",
	"The kids built a treehouse in the back garden.",
	"The password policy requires twelve characters.",
	"The choir sang carols at the hospital in December.",
	"Her grandmother grew up on a farm near the coast.",
	"The team lead asked for a postmortem of the outage.",
	"The ferry is cancelled when the wind is too strong.",
	"I lost my umbrella on the train this morning.",
	"The painting was sold at auction for a record price.",
	"The dentist recommended a softer toothbrush.",
	"The city council plans a new cycle lane downtown.",
	"The cache hit rate dropped after the last deploy.",
	"We watched a documentary about deep sea creatures.",
	"The wedding reception will be held in a barn.",
	"The thermostat is set to nineteen degrees at night.",
	"He collects vinyl records from the seventies.",
	"The spreadsheet tracks every expense of the trip.",
	"The bakery's croissants sell out by eight.",
	"The telescope shows the rings of Saturn clearly.",
	"Our neighbours are renovating their attic.",
	"The flight was delayed because of fog.",
	"She volunteers at the food bank on Saturdays.",
	"The laptop fan gets loud during video calls.",
	"The exam covers chapters four to nine.",
	"The farmer's market moved to the school car park.",
	"The load balancer drops idle connections after a minute.",
	"He is training for his first triathlon.",
	"The hotel breakfast includes fresh fruit and yoghurt.",
	"The roof tiles need replacing before autumn.",
	"Our podcast episode about jazz got many listeners.",
	"The pharmacy closes early on Sundays.",
	"The puppy chewed through the charging cable.",
	"The new hire starts in the support team on Monday.",
	"The mountain village has only one grocery shop.",
	"The knitting pattern calls for chunky wool.",
	"The API returns results in pages of one hundred.",
	"We celebrated the anniversary with a picnic.",
	"The scanner at the office only saves PDFs.",
	"My brother plays bass in a cover band.",
	"The tide comes in fast across the sandbanks.",
	"The insurance claim was approved after two weeks.",
	"The children's choir performs at the town fair.",
	"The backup job copies the photos to an external disk.",
	"The hallway light flickers when it rains.",
	"Their restaurant serves vegan ramen on Fridays.",
	"The physics homework is about pendulums.",
	"He forgot his keys at the gym again.",
	"The elevator in our building is being serviced.",
	"The poetry reading was held in a small bookshop.",
	"The snowstorm closed the mountain pass overnight.",
	"The budget meeting was postponed until March.",
	"Our daughter lost her first tooth today.",
}

// Distribution is the sorted cosines of every pair of CalibrationTexts under one embedder.
type Distribution []float64

// NewDistribution returns the distribution of the pairwise cosines of vecs (the embeddings of
// CalibrationTexts, in order).
func NewDistribution(vecs [][]float32) Distribution {
	var d Distribution
	for i := range vecs {
		for j := i + 1; j < len(vecs); j++ {
			d = append(d, Cosine(vecs[i], vecs[j]))
		}
	}
	sort.Float64s(d)
	return d
}

// rank is the share of d at or below x, interpolated between neighbours; above the largest
// cosine it runs linearly on to 1 at cosine 1.
func (d Distribution) rank(x float64) float64 {
	n := len(d)
	i := sort.SearchFloat64s(d, x) // d[i-1] < x <= d[i]
	switch {
	case i == 0:
		return 0
	case i == n:
		top := d[n-1]
		if top >= 1 {
			return 1
		}
		return 1 + (x-top)/(1-top) // past 1: kept beyond the sample, mapped back by quantile
	}
	lo, hi := d[i-1], d[i]
	f := 0.0
	if hi > lo {
		f = (x - lo) / (hi - lo)
	}
	return (float64(i-1) + f + 1) / float64(n)
}

// quantile is the inverse of rank.
func (d Distribution) quantile(r float64) float64 {
	n := len(d)
	switch {
	case r <= 1/float64(n):
		return d[0]
	case r >= 1:
		top := d[n-1]
		return top + (r-1)*(1-top)
	}
	p := r*float64(n) - 1
	i := int(p)
	f := p - float64(i)
	return d[i] + f*(d[i+1]-d[i])
}

// Calibrated returns cfg with its cosine thresholds carried from the embedder whose distribution
// is ref (the one they were chosen under) to the one whose distribution is own: each is put at the
// same rank among unrelated pairs. With either distribution empty cfg is returned as it is.
func (cfg Config) Calibrated(ref, own Distribution) Config {
	if len(ref) < 2 || len(own) < 2 {
		return cfg
	}
	carry := func(t float64) float64 {
		if t <= 0 || t >= 1 {
			return t
		}
		return math.Min(own.quantile(ref.rank(t)), 0.999)
	}
	cfg.GroupCosine = carry(cfg.GroupCosine)
	cfg.SupersedeCosine = carry(cfg.SupersedeCosine)
	return cfg
}
