// Ticket numbers and rooms as a Vietnamese announcer says them: "Mời số N không trăm mười hai đến
// phòng khám một trăm linh một". Pure functions, no DOM: the lobby display speaks with them and the
// tests run them under Node. Northern usage (linh, nghìn), as in the espeak-ng "vi" voice.

const DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"];
const GROUPS = ["", "nghìn", "triệu", "tỷ"];

// Words for a three-digit group. `full` says the group follows a higher one (or is a zero-padded
// ticket number), so a zero hundreds digit is still said: 1012 → "một nghìn không trăm mười hai".
function tripleWords(n, full) {
  const h = Math.floor(n / 100);
  const t = Math.floor((n % 100) / 10);
  const u = n % 10;
  const words = [];
  if (full || h > 0) words.push(DIGITS[h], "trăm");
  if (t === 0) {
    if (u !== 0 && (full || h > 0)) words.push("linh");
  } else if (t === 1) {
    words.push("mười");
  } else {
    words.push(DIGITS[t], "mươi");
  }
  if (u !== 0) {
    if (u === 1 && t >= 2) words.push("mốt");
    else if (u === 4 && t >= 2) words.push("tư");
    else if (u === 5 && t >= 1) words.push("lăm");
    else words.push(DIGITS[u]);
  }
  return words;
}

/** 21 → "hai mươi mốt", 15 → "mười lăm", 105 → "một trăm linh năm". */
export function numberWords(value) {
  let n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new RangeError("not a whole number: " + value);
  if (n === 0) return "không";
  const groups = [];
  while (n > 0) {
    groups.push(n % 1000);
    n = Math.floor(n / 1000);
  }
  if (groups.length > GROUPS.length) throw new RangeError("number too large: " + value);
  const words = [];
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    if (g === 0) continue;
    words.push(...tripleWords(g, words.length > 0));
    if (GROUPS[i]) words.push(GROUPS[i]);
  }
  return words.join(" ");
}

// A ticket number is letters then digits ("N012", "AB1234"). Each letter is named by itself.
function splitDisplayNumber(displayNumber) {
  const m = /^([A-Za-z]*)(\d+)$/.exec(String(displayNumber).trim());
  if (!m) throw new RangeError("not a ticket number: " + displayNumber);
  return { letters: m[1].toUpperCase().split("").filter(Boolean), digits: m[2] };
}

/** Tokens of a ticket number: N012 → ["N", "không", "trăm", "mười", "hai"]. */
export function displayNumberTokens(displayNumber) {
  const { letters, digits } = splitDisplayNumber(displayNumber);
  // Three digits are read as one padded group, the way the ticket shows them ("không trăm …").
  const words = digits.length === 3 ? tripleWords(Number(digits), true) : numberWords(Number(digits)).split(" ");
  return [...letters, ...words];
}

/** N012 → "N không trăm mười hai". */
export function displayNumberWords(displayNumber) {
  return displayNumberTokens(displayNumber).join(" ");
}

/** Tokens of a room name: "Phòng X-quang 111" → ["phòng", "X", "quang", "một", "trăm", "mười", "một"]. */
export function roomTokens(room) {
  const tokens = [];
  for (const part of String(room).normalize("NFC").split(/[\s\-–/]+/)) {
    if (!part) continue;
    if (/^\d+$/.test(part)) tokens.push(...numberWords(Number(part)).split(" "));
    else if (/^\p{L}$/u.test(part)) tokens.push(part.toUpperCase());
    else tokens.push(part.toLowerCase());
  }
  return tokens;
}

/** What the lobby voice says, as clip keys: ["mời", "số", "N", …, "đến", "phòng", "khám", …]. */
export function callTokens(displayNumber, room) {
  return ["mời", "số", ...displayNumberTokens(displayNumber), "đến", ...roomTokens(room)];
}

/** The sentence for speech synthesis and the on-screen caption of what is being said. */
export function callSentence(displayNumber, room) {
  const text = callTokens(displayNumber, room).join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
