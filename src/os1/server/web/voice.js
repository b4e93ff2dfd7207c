// Talking aloud in the chat: push-to-talk and hands-free, over the chat socket.
//
// Talk works three ways: hold it (mouse, touch, or Space while it has focus) and let go
// to send; a quick click (or Enter) keeps it listening until the next one. Hands-free
// listens all the time and the server hears where each turn ends. The microphone goes
// through an AudioWorklet that averages it down to 16 kHz and hands over 32 ms blocks of
// int16, sent as binary frames (the protocol is described in voice_ws.py). Each spoken
// piece of the reply arrives as an `audio` message followed by its samples; the pieces
// are scheduled back to back on one AudioContext, and all of it stops at once on
// `barge_in` or when Talk is pressed. Audio still in flight from a reply that was cut
// short is dropped until the next transcript, so nothing stale is heard.

import { $ } from "./dom.js";

const HOLD_MS = 350; // a press shorter than this is a click: Talk stays on until the next
const MIC_IDLE_MS = 60000; // push-to-talk gives the microphone back after this long unused

// The AudioWorklet that turns the microphone into 16 kHz int16 blocks of 32 ms.
const WORKLET = new URL("down16k.js", import.meta.url);

export function micProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "The microphone is blocked for this page. Allow it in the browser's site settings to talk aloud, or type instead.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Plug one in, or type instead.";
  }
  if (name === "NotReadableError") return "The microphone is in use by another app. Close it and try again.";
  return `The microphone could not start (${name || error}). You can still type.`;
}

export class VoiceControl {
  /** @param {import("./chat.js").ChatView} chat  the chat this voice belongs to */
  constructor(chat) {
    this.chat = chat;
    this.talkButton = $("#talk");
    this.handsButton = $("#hands-free");
    this.status = $("#voice-status");
    this.ctx = null; // one AudioContext for the microphone and the companion's voice
    this.mic = null; // {stream, source, node, mute} while the microphone is open
    this.workletIn = null; // the context our worklet module is loaded in
    this.opening = null; // the promise of the microphone opening
    this.micTimer = null;
    this.sending = false;
    this.talking = false; // Talk is held, or latched on by a click
    this.latched = false;
    this.ignoreUp = false;
    this.pressedAt = 0;
    this.handsFree = false;
    this.sources = new Set();
    this.playhead = 0;
    this.header = null; // the `audio` message whose samples come next
    this.muted = false;
    this.played = 0;
    document.body.dataset.voiceChunksPlayed = "0";
    this.wire();
  }

  wire() {
    const talk = this.talkButton;
    talk.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      talk.setPointerCapture(event.pointerId);
      this.down();
    });
    talk.addEventListener("pointerup", () => this.up());
    talk.addEventListener("pointercancel", () => this.up());
    talk.addEventListener("contextmenu", (event) => event.preventDefault()); // long touch
    talk.addEventListener("keydown", (event) => {
      if (event.key === " ") {
        event.preventDefault();
        if (!event.repeat) this.down();
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (event.repeat) return;
        if (this.talking) this.endTalk();
        else {
          this.latched = true;
          this.startTalk();
        }
      }
    });
    talk.addEventListener("keyup", (event) => {
      if (event.key !== " ") return;
      event.preventDefault(); // no click: the press and release were the whole gesture
      this.up();
    });
    this.handsButton.addEventListener("click", () => (this.handsFree ? this.leaveHandsFree() : this.enterHandsFree()));
  }

  // ---- push-to-talk ----

  down() {
    if (this.talking) {
      if (this.latched) {
        this.endTalk();
        this.ignoreUp = true;
      }
      return;
    }
    this.ignoreUp = false;
    this.latched = false;
    this.pressedAt = performance.now();
    this.startTalk();
  }

  up() {
    if (this.ignoreUp) {
      this.ignoreUp = false;
      return;
    }
    if (!this.talking) return;
    if (performance.now() - this.pressedAt < HOLD_MS) {
      this.latched = true; // a click: keep listening until the next one
      this.show();
      return;
    }
    this.endTalk();
  }

  async startTalk() {
    if (this.handsFree) return;
    this.audioContext();
    this.silence(); // pressing Talk over the reply cuts it short, here and on the server
    this.talking = true;
    clearTimeout(this.micTimer);
    this.show();
    const ready = await this.openMic();
    if (!this.talking) return; // let go before the microphone was even open
    if (!ready) {
      this.reset();
      return;
    }
    if (!this.chat.socket.send({ type: "voice_start", mode: "push" })) {
      this.reset();
      this.chat.note("notice", "Not connected right now; try again once we reconnect.");
      return;
    }
    this.sending = true;
  }

  endTalk() {
    if (!this.talking) return;
    this.talking = false;
    this.latched = false;
    if (this.sending) this.chat.socket.send({ type: "voice_end" });
    this.sending = false;
    this.show();
    clearTimeout(this.micTimer);
    this.micTimer = setTimeout(() => {
      if (this.talking || this.handsFree) return;
      this.closeMic();
      this.chat.socket.send({ type: "voice_stop" });
    }, MIC_IDLE_MS);
  }

  // ---- hands-free ----

  async enterHandsFree() {
    if (this.talking) this.endTalk();
    this.audioContext();
    this.handsFree = true;
    this.show();
    const ready = await this.openMic();
    if (!this.handsFree) return; // switched off again meanwhile
    if (!ready) {
      this.reset();
      return;
    }
    if (!this.chat.socket.send({ type: "voice_start", mode: "hands_free" })) {
      this.reset();
      this.chat.note("notice", "Not connected right now; try again once we reconnect.");
      return;
    }
    this.sending = true;
  }

  leaveHandsFree() {
    this.handsFree = false;
    this.sending = false;
    this.silence();
    this.chat.socket.send({ type: "voice_stop" });
    this.closeMic();
    this.show();
  }

  // ---- the microphone ----

  audioContext() {
    // made (or woken) inside a click or key press, which browsers require before sound
    if (!this.ctx) this.ctx = new AudioContext();
    if (this.ctx.state === "suspended") this.ctx.resume();
    return this.ctx;
  }

  /** Open the microphone once; true when it is sending to the worklet. */
  async openMic() {
    if (this.mic) return true;
    if (!this.opening) this.opening = this.connectMic().finally(() => (this.opening = null));
    return this.opening;
  }

  async connectMic() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.problem("Talking needs a secure page (https, or this computer's own address) and a browser that allows the microphone.");
      return false;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
      });
    } catch (error) {
      this.problem(micProblem(error));
      return false;
    }
    const ctx = this.audioContext();
    try {
      await this.loadWorklet(ctx);
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      this.problem(`This browser cannot process the microphone (${error.name || error}). You can still type.`);
      return false;
    }
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "os1-down16k", { numberOfOutputs: 1, outputChannelCount: [1] });
    node.port.onmessage = (message) => {
      if (this.sending) this.chat.socket.sendBinary(message.data);
    };
    // a node nobody listens to may not be run; a silent gain keeps it pulled
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(node).connect(mute).connect(ctx.destination);
    this.mic = { stream, source, node, mute };
    return true;
  }

  async loadWorklet(ctx) {
    if (this.workletIn === ctx) return; // a processor name may be registered only once
    await ctx.audioWorklet.addModule(WORKLET);
    this.workletIn = ctx;
  }

  closeMic() {
    clearTimeout(this.micTimer);
    if (!this.mic) return;
    const { stream, source, node, mute } = this.mic;
    this.mic = null;
    node.port.onmessage = null;
    source.disconnect();
    node.disconnect();
    mute.disconnect();
    stream.getTracks().forEach((track) => track.stop());
  }

  problem(message) {
    this.status.textContent = message;
    this.chat.note("error", message);
  }

  // ---- the companion's voice ----

  /** Every JSON event from the server passes here first. */
  onEvent(event) {
    if (event.type === "audio") {
      this.header = event;
    } else if (event.type === "transcript") {
      this.muted = false; // a new reply is coming: let it be heard
    } else if (event.type === "barge_in") {
      this.silence();
    } else if (event.type === "hello") {
      this.reconnected();
    } else if (event.type === "error" && /^voice_/.test(event.code || "")) {
      this.reset();
    }
  }

  /** A binary frame: the samples of the last `audio` message. */
  onAudio(data) {
    const header = this.header;
    this.header = null;
    if (!header || this.muted || !this.ctx) return;
    const ints = new Int16Array(data);
    if (ints.length === 0) return;
    const buffer = this.ctx.createBuffer(1, ints.length, header.rate);
    buffer.copyToChannel(Float32Array.from(ints, (v) => v / 32768), 0);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const at = Math.max(this.ctx.currentTime + 0.03, this.playhead);
    source.start(at);
    this.playhead = at + buffer.duration;
    this.sources.add(source);
    source.onended = () => {
      this.sources.delete(source);
      this.played += 1;
      document.body.dataset.voiceChunksPlayed = String(this.played);
    };
  }

  /** Stop the companion's voice now, and drop what is still on its way. */
  silence() {
    this.muted = true;
    for (const source of this.sources) {
      source.onended = null;
      source.stop();
    }
    this.sources.clear();
    this.playhead = 0;
  }

  // ---- state ----

  /** The socket came back: the server has forgotten our voice session. */
  reconnected() {
    if (this.handsFree && this.sending) this.chat.socket.send({ type: "voice_start", mode: "hands_free" });
    if (this.talking) {
      this.talking = false;
      this.latched = false;
      this.sending = false;
      this.show();
    }
  }

  reset() {
    this.talking = false;
    this.latched = false;
    this.handsFree = false;
    this.sending = false;
    this.closeMic();
    this.show();
  }

  /** Leaving the page or signing out: microphone off, voice silent. */
  shutdown() {
    this.silence();
    this.reset();
    this.status.textContent = "";
  }

  show() {
    this.talkButton.setAttribute("aria-pressed", String(this.talking));
    this.talkButton.disabled = this.handsFree;
    this.handsButton.setAttribute("aria-pressed", String(this.handsFree));
    if (this.handsFree) this.status.textContent = "Hands-free is on: just talk. Speak over me to cut me short.";
    else if (this.talking && this.latched) this.status.textContent = "Listening… press Talk again to send.";
    else if (this.talking) this.status.textContent = "Listening… let go to send.";
    else this.status.textContent = "";
  }
}
