package bench

// The stale generator's vocabulary: people, companies, single-valued attributes with several
// phrasings of each update, the questions that ask for them, and near-miss decoys.

// attribute is a single-valued attribute: its values, the templates of an update ({S} the
// subject, {V} the value), the questions that ask for it, and decoys (topically close
// sentences about {S} that do not state its value).
type attribute struct {
	name      string
	values    []string
	facts     []string
	questions []string
	decoys    []string
}

var firstNames = []string{
	"Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack", "Karen",
	"Liam", "Maria", "Nathan", "Olivia", "Peter", "Rachel", "Samuel", "Tara", "Victor", "Wendy",
	"Zoe", "Adam", "Bella", "Chris", "Diana", "Ethan", "Fiona", "George", "Hannah", "Ian", "Julia",
	"Kevin", "Laura", "Martin", "Nina", "Oscar", "Paula", "Robert", "Sarah", "Thomas", "Vincent",
	"William", "Amy", "Brian", "Claire", "Daniel", "Elena", "Felix", "Gloria", "Hugo", "Isabel",
	"James", "Kate", "Leo", "Monica", "Noah", "Owen", "Patrick", "Ruth", "Simon", "Teresa",
	"Walter", "Anna", "Ben", "Chloe", "Derek", "Eric", "Helen", "Jason", "Lucy", "Mark", "Nora",
	"Paul", "Rose", "Steve", "Tina", "Victoria",
}

var cities = []string{
	"Paris", "Berlin", "Rome", "Oslo", "Lisbon", "Madrid", "Vienna", "Prague", "Dublin", "Amsterdam",
	"Stockholm", "Helsinki", "Copenhagen", "Warsaw", "Budapest", "Athens", "Zurich", "Brussels",
	"Toronto", "Chicago", "Boston", "Seattle", "Denver", "Austin", "Sydney", "Melbourne", "Tokyo",
	"Osaka", "Seoul", "Singapore", "Bangkok", "Mumbai", "Nairobi", "Cairo", "Lima", "Bogota",
	"Montreal", "Vancouver", "Edinburgh", "Barcelona",
}

var companyNames = []string{
	"Northwind Logistics", "Bluefin Analytics", "Redwood Robotics", "Silverline Insurance",
	"Ironbridge Foods", "Brightpath Pharma", "Clearwater Energy", "Stonegate Media", "Greenleaf Bank",
	"Highland Studios", "Maple Robotics", "Summit Analytics", "Harbor Logistics", "Falcon Energy",
	"Crescent Foods", "Pioneer Media", "Evergreen Pharma", "Granite Insurance", "Horizon Studios",
	"Lakeside Bank", "Copperfield Labs", "Westbrook Motors", "Oakridge Systems", "Riverbend Textiles",
}

var staleAttributes = []attribute{
	{
		name:   "city",
		values: cities,
		facts: []string{
			"{S} lives in {V}.", "{S} moved to {V}.", "{S}'s home is now in {V}.",
			"These days {S} is based in {V}.", "{S} has just relocated to {V}.", "{S} rents an apartment in {V} now.",
		},
		questions: []string{"Where does {S} live?", "Which city does {S} live in?", "Where is {S}'s home?"},
		decoys: []string{
			"{S} spent a week in {V} on vacation.", "{S}'s sister lives in {V}.", "{S} flew to {V} for a conference.",
		},
	},
	{
		name:   "employer",
		values: companyNames,
		facts: []string{
			"{S} works at {V}.", "{S} took a new job at {V}.", "{S} is now employed by {V}.",
			"{S} joined {V} this month.", "These days {S} works for {V}.", "{S} accepted an offer from {V}.",
		},
		questions: []string{"Where does {S} work?", "Which company does {S} work for?", "Who is {S}'s employer?"},
		decoys: []string{
			"{S}'s brother works at {V}.", "{S} had an interview at {V} but turned the offer down.",
			"{S} read an article about {V}.",
		},
	},
	{
		name: "food",
		values: []string{"sushi", "lasagna", "ramen", "tacos", "paella", "curry", "pizza", "dumplings", "pho",
			"risotto", "falafel", "goulash", "burritos", "pancakes", "kimchi", "gnocchi", "biryani", "ceviche"},
		facts: []string{
			"{S}'s favourite food is {V}.", "{S} loves {V} more than anything else to eat.",
			"Lately {S}'s favourite dish is {V}.", "{S} says {V} is now the best food there is.",
			"{S} can't get enough of {V} these days.",
		},
		questions: []string{"What is {S}'s favourite food?", "What does {S} like to eat most?"},
		decoys: []string{
			"{S} tried {V} once and did not like it.", "{S}'s roommate cooks {V} every Sunday.",
		},
	},
	{
		name: "car",
		values: []string{"Toyota Corolla", "Honda Civic", "Volvo XC60", "Ford Mustang", "Tesla Model 3",
			"Subaru Outback", "Mazda CX-5", "Volkswagen Golf", "BMW X5", "Kia Niro", "Audi A4", "Jeep Wrangler",
			"Nissan Leaf", "Fiat Panda"},
		facts: []string{
			"{S} drives a {V}.", "{S} bought a {V}.", "{S} now gets around in a {V}.",
			"{S} traded in the old car for a {V}.", "{S}'s car is a {V} these days.",
		},
		questions: []string{"What car does {S} drive?", "Which car does {S} have?", "What does {S} drive these days?"},
		decoys:    []string{"{S} rented a {V} for the weekend.", "{S}'s neighbour drives a {V}."},
	},
	{
		name: "phone",
		values: []string{"iPhone 12", "iPhone 14", "Pixel 6", "Pixel 8", "Galaxy S21", "Galaxy S23", "OnePlus 9",
			"Nokia 3310", "Xperia 5", "Moto G", "Fairphone 4", "Galaxy Fold"},
		facts: []string{
			"{S} uses a {V}.", "{S} switched to a {V}.", "{S}'s phone is a {V} now.", "{S} upgraded to a {V}.",
			"{S} has been carrying a {V} lately.",
		},
		questions: []string{"What phone does {S} use?", "Which phone does {S} have?", "What mobile does {S} have?"},
		decoys:    []string{"{S} bought a {V} as a gift for a cousin.", "{S} dropped a friend's {V} in the lake."},
	},
	{
		name: "pet",
		values: []string{"beagle", "tabby cat", "parrot", "golden retriever", "hamster", "rabbit", "tortoise",
			"husky", "corgi", "siamese cat", "goldfish", "ferret"},
		facts: []string{
			"{S} has a {V}.", "{S} adopted a {V}.", "{S}'s only pet is now a {V}.", "{S} takes care of a {V} at home.",
			"{S} brought home a {V} from the shelter.",
		},
		questions: []string{"What pet does {S} have?", "What animal does {S} keep as a pet?", "Which animal lives with {S}?"},
		decoys:    []string{"{S} looked after a friend's {V} for a week.", "{S} saw a {V} at the park."},
	},
	{
		name: "sport",
		values: []string{"tennis", "football", "basketball", "volleyball", "badminton", "squash", "rugby", "golf",
			"cricket", "baseball", "hockey", "climbing"},
		facts: []string{
			"{S} plays {V}.", "{S} took up {V} recently.", "{S} now plays {V} every weekend.",
			"{S} switched to {V}.", "{S}'s sport is {V} these days.",
		},
		questions: []string{"What sport does {S} play?", "Which sport does {S} do?", "What does {S} play?"},
		decoys:    []string{"{S} watched a {V} match on TV.", "{S}'s nephew plays {V}."},
	},
	{
		name: "language",
		values: []string{"Spanish", "French", "German", "Italian", "Japanese", "Korean", "Mandarin", "Portuguese",
			"Arabic", "Russian", "Dutch", "Swedish"},
		facts: []string{
			"{S} is learning {V}.", "{S} started {V} lessons.", "{S} is now studying {V}.",
			"{S} switched to learning {V}.", "{S} practises {V} every evening.",
		},
		questions: []string{"What language is {S} learning?", "Which language is {S} studying?", "What is {S} learning to speak?"},
		decoys:    []string{"{S}'s partner speaks {V}.", "{S} watched a film in {V} with subtitles."},
	},
}

// hqAttribute is where a company is based (the second hop of the multi-hop variant).
var hqAttribute = attribute{
	name:   "hq",
	values: cities,
	facts: []string{
		"{S} is headquartered in {V}.", "{S} moved its headquarters to {V}.", "{S} is now based in {V}.",
		"{S}'s main office relocated to {V}.", "The head office of {S} is in {V}.",
	},
	questions: []string{"Where is {S} based?", "In which city is {S} headquartered?"},
}

var chainQuestions = []string{
	"In which city is the company {S} works for based?",
	"Where is the headquarters of {S}'s employer?",
}

var noiseSentences = []string{
	"The weather was rainy all week.", "Remember to buy milk and eggs on the way home.",
	"The quarterly meeting was moved to Thursday.", "The train was twenty minutes late this morning.",
	"The new season of the show starts next month.", "The printer on the third floor is broken again.",
	"It snowed a little overnight.", "The library closes early on Sundays.",
	"Traffic on the bridge was terrible today.", "The coffee machine finally got fixed.",
}

var personalNoise = []string{
	"{S} said the movie last night was great.", "{S} is reading a long novel.",
	"{S} forgot an umbrella at the office.", "{S} baked bread for the first time.",
	"{S} went to bed early after a long day.", "{S} is planning a birthday party.",
	"{S} wants to repaint the kitchen.", "{S} found an old photo album.",
}

func attributeByName(name string) attribute {
	for _, a := range staleAttributes {
		if a.name == name {
			return a
		}
	}
	return attribute{}
}
