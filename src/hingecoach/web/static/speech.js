// Spoken cues with the browser's speechSynthesis. Why each rule:
// - unlock(): browsers only let a page speak after a user gesture, so the Start click speaks an empty utterance.
// - a cooldown per cue id: the same correction every rep turns into nagging; say it again after COOLDOWN_MS.
// - cancel stale: a new cue (or the summary) cancels whatever is still queued or being spoken, so speech never
//   lags behind the reps it is about.
export const COOLDOWN_MS = 20000;

export class Speaker {
  constructor(synth = window.speechSynthesis) {
    this.synth = synth || null;
    this.unlocked = false;
    this.lastSaid = new Map();
    this.log = [];  // what was asked to be said, for the page's tests
  }

  unlock() {
    if (!this.synth || this.unlocked) return;
    try { this.synth.speak(new SpeechSynthesisUtterance("")); } catch (e) { /* no speech engine: stay silent */ }
    this.unlocked = true;
  }

  say(id, text) {
    const now = performance.now();
    const last = this.lastSaid.get(id);
    if (last !== undefined && now - last < COOLDOWN_MS) return false;
    this.lastSaid.set(id, now);
    return this.sayNow(text);
  }

  sayNow(text) {
    this.log.push(text);
    if (!this.synth) return false;
    this.synth.cancel();
    const u = new SpeechSynthesisUtterance(text);
    u.rate = 1.05;
    this.synth.speak(u);
    return true;
  }
}
