// texts.js: the fixed reference inputs for package use, written for this
// test (no dataset text). texts() derives a few hundred strings from the
// base sentences below: case variants, whitespace, emoji and other Unicode,
// long texts past the model's 128-token limit, and near-empty strings.
"use strict";

const base = [
  "I moved to Berlin last spring.",
  "My sister works as a nurse in Lisbon.",
  "We adopted a grey cat named Pixel in March.",
  "Caroline started painting again after the workshop.",
  "Melanie ran a charity race for mental health on Sunday.",
  "The meeting was moved from Tuesday to Thursday at 3pm.",
  "He prefers tea over coffee, but only green tea.",
  "Our team shipped version 2.4.1 on 2023-05-17.",
  "She said the new apartment has a balcony facing the river.",
  "Jon lost his job and decided to open a dance studio.",
  "My favourite book is still The Left Hand of Darkness.",
  "They are planning a road trip through Patagonia next year.",
  "I'm allergic to peanuts and shellfish.",
  "The dog's name is Biscuit; he is three years old.",
  "Remember to water the tomatoes every other day.",
  "What did you think of the concert last night?",
  "Honestly, I don't know why the build keeps failing.",
  "Grandma turned 90 and we celebrated with a huge cake!",
  "The invoice #A-1042 is due on the 1st of July.",
  "Can you call me back after 6?",
  "My new phone number is +44 20 7946 0958.",
  "He switched from Python to Go for the backend service.",
  "The quick brown fox jumps over the lazy dog.",
  "Pack my box with five dozen liquor jugs.",
  "We got married in a small chapel near the coast.",
  "I've been learning the violin for six months now.",
  "The kids love building sandcastles at the lake.",
  "Her email is maria.lopez@example.com, not the old one.",
  "I used to live in Toronto, but now I live in Vancouver.",
  "Sorry, I can't make it to the party on Saturday.",
  "The recipe needs 250 g flour, 2 eggs and a pinch of salt.",
  "Our flight to Tokyo was delayed by four hours.",
  "My blood type is O negative.",
  "The CEO announced layoffs in the Q3 all-hands.",
  "I finally finished the marathon in 4:12:33!",
  "Let's meet at the café on Rue de Rivoli.",
  "My manager is Priya; she joined in January.",
  "We're vegetarian, except for fish on Fridays.",
  "The password reset link expired after 24 hours.",
  "He plays bass in a jazz trio called Blue Hour.",
  "lol that's hilarious",
  "ok",
  "yes",
  "No.",
  "Thanks!!!",
  "hmm... maybe tomorrow?",
  "URL: https://example.org/path?q=memory&lang=en",
  "C:\\Users\\alex\\Documents\\notes.txt",
  "x = f(y) + 3 * z^2",
  "ALL CAPS SENTENCE ABOUT A TRIP TO PARIS",
  "mIxEd CaSe TeXt ThAt LoOkS oDd",
  "Supercalifragilisticexpialidocious antidisestablishmentarianism",
  "The weather in São Paulo was warmer than in Zürich.",
  "Naïve coöperation at the façade of the rôle.",
  "Ich wohne seit drei Jahren in München.",
  "Je travaille à l'hôpital depuis 2019.",
  "Мы переехали в Санкт-Петербург прошлым летом.",
  "東京に住んでいます。",
  "我喜欢在周末爬山。",
  "서울에서 친구를 만났어요.",
  "مرحبا، كيف حالك؟",
  "שלום עולם",
  "नमस्ते, आप कैसे हैं?",
  "Ελπίζω να σε δω σύντομα.",
  "I love pizza 🍕 and sushi 🍣!",
  "Happy birthday 🎉🎂🥳",
  "👍",
  "Family: 👨‍👩‍👧‍👦 and flags 🇩🇪 🇯🇵",
  "Skin tones: 👋🏽 👋🏿",
  "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ １２３",
  "ﬁnal ﬂight oﬀ the ﬁeld",
  "Ⅻ o'clock and ½ past",
  "e\u0301cole and \u00e9cole",
  "non\u00a0breaking\u00a0space",
  "zero\u200bwidth\u200bspace",
  "“Smart quotes” and ‘single’ ones — with dashes – too…",
  "Math: ∑ ∫ √2 ≈ 1.414 ≤ π",
  "Currency: €100, £50, ¥2000, ₹300",
  "™ © ® ° µ §",
  "tab\tseparated\tvalues",
  "line one\nline two\nline three",
  "windows\r\nline\r\nendings",
  "   leading spaces",
  "trailing spaces   ",
  "double  spaces  between  words",
  "\ttab at start",
  "ends with newline\n",
];

const emptyish = ["", " ", "  ", "\t", "\n", "\r\n", ".", "?!", "▁", "\u2581\u2581", "a", "I", "\u00a0", "\u3000", "0", "🙂"];

const emoji = ["😀", "🚀", "❤️", "🎉", "🐱", "🌍"];

function texts() {
  const out = [];
  const seen = new Set();
  const add = (s) => {
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  };
  for (const s of base) add(s);
  for (const s of emptyish) add(s);
  base.slice(0, 40).forEach((s, i) => {
    add(s.toUpperCase());
    add(s.toLowerCase());
    if (i % 2 === 0) add(s.replace(/ /g, "\t"));
    if (i % 3 === 0) add(s.replace(/ /g, "\n"));
    if (i % 2 === 1) add(s + " " + emoji[i % emoji.length]);
    if (i % 4 === 0) add(emoji[i % emoji.length] + s);
    if (i % 5 === 0) add(s.replace(/\.$/, "") + " (edited)");
  });
  // Long texts: past 128 tokens, so the model's clip decides.
  for (let i = 0; i < 24; i++) {
    const n = 3 + (i % 10);
    const parts = [];
    for (let j = 0; j < n; j++) parts.push(base[(i * 7 + j * 5) % base.length]);
    add(parts.join(i % 3 === 0 ? "\n" : " "));
  }
  add(base.join(" "));
  add("word ".repeat(200).trim());
  add("🎉".repeat(150));
  add("a".repeat(500));
  add("The end. ".repeat(64).trim());
  // Pairs that differ only in one slot value (the use the model is for).
  const people = ["Caroline", "Melanie", "Jon", "Gina", "Priya"];
  const slots = [
    ["lives in", ["Berlin", "Oslo", "Lima"]],
    ["works as", ["a nurse", "an engineer", "a teacher"]],
    ["is married to", ["Sam", "Alex"]],
    ["drives a", ["red Toyota", "blue bike"]],
  ];
  people.forEach((p, i) => {
    for (const [rel, vals] of slots) {
      for (const v of vals) add(`${p} ${rel} ${v}.`);
      if (i === 0) break;
    }
  });
  return out;
}

module.exports = { texts };
if (require.main === module) {
  for (const t of texts()) process.stdout.write(JSON.stringify(t) + "\n");
  process.stderr.write(`${texts().length} texts\n`);
}
