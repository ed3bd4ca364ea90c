// Calls a number out loud: a chime, then the sentence in Vietnamese. The browser's own voice is
// used when it has a Vietnamese one (speechSynthesis, vi-VN); otherwise the words are played
// from pre-generated clips (static/audio/vi, one per word) back to back. Announcements queue up,
// so two rooms calling at once are both heard, one after the other. A recall of the number being
// spoken cuts it short and starts again at once; a recall of a number still waiting its turn is
// not queued twice. The sentence is shown as a caption while it is spoken (and stays until the next).

import { callSentence, callTokens } from "./vi-words.js";

// Pauses that make a run of single-word clips sound like a sentence: a short gap between words,
// a longer one around the number so it stands out.
const WORD_GAP_S = 0.03;
const PHRASE_GAP_S = 0.28;

export class Announcer {
  constructor({ audioBase, caption, onAudible = () => {} }) {
    this.base = audioBase;
    this.caption = caption;
    this.onAudible = onAudible;
    this.ctx = null;
    this.buffers = new Map();
    this.manifest = null;
    this.voice = null;
    this.loading = Promise.resolve();
    this.queue = []; // {key, number, room} waiting their turn
    this.current = null; // {key, cancelled, stop()} being spoken
    this.running = false;
    this.count = 0;
    this.cuts = 0;
  }

  /** Starts loading; announcements made meanwhile wait for it rather than being lost. */
  init() {
    this.loading = this.load();
    return this.loading;
  }

  async load() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) this.ctx = new Ctx();
    this.findVoice();
    if (window.speechSynthesis) window.speechSynthesis.addEventListener("voiceschanged", () => this.findVoice());
    try {
      const r = await fetch(this.base + "vi/manifest.json");
      this.manifest = await r.json();
    } catch (e) {
      this.manifest = { clips: {} };
    }
    if (this.ctx) {
      // A context starts suspended and moves to running by itself where autoplay is allowed (a
      // TV started with --autoplay-policy=no-user-gesture-required); elsewhere it needs a touch.
      this.ctx.addEventListener("statechange", () => this.onAudible(this.audible));
      await Promise.race([this.ctx.resume().catch(() => {}), new Promise((r) => setTimeout(r, 1500))]);
      this.onAudible(this.audible);
    }
  }

  findVoice() {
    const voices = window.speechSynthesis ? window.speechSynthesis.getVoices() : [];
    this.voice = voices.find((v) => /^vi([-_]|$)/i.test(v.lang)) || null;
  }

  /** Browsers start audio muted until someone touches the page (autoplay policy). */
  async unlock() {
    if (this.ctx && this.ctx.state === "suspended") await this.ctx.resume();
    return !this.ctx || this.ctx.state === "running";
  }

  get audible() {
    return Boolean(this.ctx) && this.ctx.state === "running";
  }

  announce(displayNumber, room) {
    const key = displayNumber + "|" + room;
    const item = { key, number: displayNumber, room };
    if (this.current && this.current.key === key) {
      // Recalled while being said: say it again now, from the start, not after the end.
      this.cuts += 1;
      this.caption.dataset.cuts = String(this.cuts);
      this.queue.unshift(item);
      this.current.stop();
    } else if (!this.queue.some((q) => q.key === key)) {
      this.queue.push(item);
    }
    return this.pump();
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    try {
      await this.loading;
      while (this.queue.length) {
        const item = this.queue.shift();
        const run = { key: item.key, cancelled: false, sources: [], wake: null };
        run.stop = () => {
          run.cancelled = true;
          for (const src of run.sources) { try { src.stop(); } catch (e) { /* already ended */ } }
          if (this.voice && window.speechSynthesis) window.speechSynthesis.cancel();
          if (run.wake) run.wake();
        };
        this.current = run;
        try {
          await this.play(item.number, item.room, run);
        } catch (e) {
          console.warn("announce failed", e);
        }
        this.current = null;
      }
    } finally {
      this.running = false;
      this.caption.dataset.state = "idle";
    }
  }

  async play(displayNumber, room, run) {
    const sentence = callSentence(displayNumber, room);
    this.count += 1;
    this.caption.dataset.count = String(this.count);
    this.caption.dataset.text = sentence;
    this.caption.dataset.state = "speaking";
    this.caption.textContent = sentence;
    const mode = this.voice ? "speech" : "clips";
    this.caption.dataset.mode = this.audible || mode === "speech" ? mode : mode + "-muted";
    await this.playBuffers([await this.buffer(this.base + "chime.wav")], [], run);
    if (run.cancelled) return;
    if (this.voice) {
      await this.speak(sentence, run);
      return;
    }
    const tokens = callTokens(displayNumber, room);
    const clips = this.manifest ? this.manifest.clips : {};
    const plan = [];
    for (const token of tokens) {
      const file = clips[token];
      if (!file) {
        // A room renamed in the config without new clips: say the rest rather than nothing.
        console.warn("no clip for word", token);
        continue;
      }
      plan.push({ buffer: await this.buffer(this.base + "vi/" + file), gap: token === "đến" || token === "số" ? PHRASE_GAP_S : WORD_GAP_S });
    }
    if (run.cancelled) return;
    this.caption.dataset.clips = String(plan.length);
    await this.playBuffers(plan.map((p) => p.buffer), plan.map((p) => p.gap), run);
  }

  async buffer(url) {
    if (!this.buffers.has(url)) {
      this.buffers.set(url, (async () => {
        const r = await fetch(url);
        if (!r.ok) throw new Error("clip " + url + ": HTTP " + r.status);
        const data = await r.arrayBuffer();
        return this.ctx ? await this.ctx.decodeAudioData(data) : null;
      })());
    }
    return this.buffers.get(url);
  }

  playBuffers(buffers, gaps = [], run = null) {
    if (!this.audible || (run && run.cancelled)) return Promise.resolve();
    let at = this.ctx.currentTime + 0.05;
    buffers.forEach((buffer, i) => {
      if (!buffer) return;
      const src = this.ctx.createBufferSource();
      src.buffer = buffer;
      src.connect(this.ctx.destination);
      src.start(at);
      if (run) run.sources.push(src);
      at += buffer.duration + (gaps[i] === undefined ? WORD_GAP_S : gaps[i]);
    });
    const waitMs = Math.max(0, (at - this.ctx.currentTime) * 1000) + 150;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      if (run) run.wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  speak(text, run = null) {
    return new Promise((resolve) => {
      const u = new SpeechSynthesisUtterance(text);
      u.voice = this.voice;
      u.lang = this.voice.lang;
      u.rate = 0.9; // slower than conversation: a hall echoes, and many listeners are elderly
      u.onend = resolve;
      u.onerror = resolve;
      if (run) run.wake = resolve;
      window.speechSynthesis.speak(u);
      // A voice that never reports its end must not hold every later call hostage.
      setTimeout(resolve, 15000);
    });
  }
}
