// The chat view: history, the streamed reply, Stop, queue position, proposal cards.
//
// The server's turn events are rendered as they come: the companion's bubble is created
// on the first text_delta and grows with each one, and turn_finished replaces its text
// with the saved reply (the source of truth). What the person types is never lost: each
// "say" carries an id, its bubble shows "sending…" until the server accepts it (then it
// waits in the server's line for the reply under way, the greeting, an action), a
// refusal says why and offers to send it again, and after a dropped connection what the
// server had not started is sent again. A spoken turn (voice.js) shows what the server
// heard as the person's own bubble. A turn the person had in another window, device or
// app ("elsewhere") is added to the log as it finishes, marked as such.

import { api, describe, uploadFile } from "./api.js";
import { $, clockTime, h, ordinal } from "./dom.js";
import { ChatSocket } from "./socket.js";
import { proposalCard, settleCard } from "./proposals.js";
import { VoiceControl } from "./voice.js";


export class ChatView {
  /**
   * @param {object} hooks
   * @param {(hello: object) => void} hooks.onHello  the socket said who we are
   * @param {() => void} hooks.onTurnDone  a reply finished (the header may refresh)
   * @param {(reason: string) => void} hooks.onRefused  the socket refused us
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.log = $("#log");
    this.input = $("#message");
    this.sendButton = $("#send");
    this.stopButton = $("#stop");
    this.typing = $("#typing");
    this.typingText = $("#typing-text");
    this.connection = $("#connection");
    this.companion = "os1";
    this.busy = false;
    this.bubble = null;
    this.outbox = new Map(); // say id -> {text, el, state}: said, its turn not started yet
    this.sayCount = 0;
    this.cards = new Map();
    this.deciding = null; // the proposal whose confirm/decline was just sent
    this.loaded = false;
    this.socket = new ChatSocket({
      onEvent: (event) => this.onEvent(event),
      onStatus: (status) => this.showConnection(status),
      onRefused: (reason) => hooks.onRefused(reason),
      onBinary: (data) => this.voice.onAudio(data),
    });
    this.voice = new VoiceControl(this);
    this.wire();
  }

  wire() {
    $("#composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText();
      } else if (event.key === "Escape" && this.busy) {
        this.stop();
      }
    });
    this.input.addEventListener("input", () => this.fitInput());
    this.stopButton.addEventListener("click", () => this.stop());
    const picker = $("#attach-file");
    $("#attach").addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      const [file] = picker.files;
      picker.value = "";
      if (file) this.attach(file);
    });
  }

  // A file the person brings: uploaded to their own folder, then named in the message
  // box so they only have to say what to do with it ("/proofread ~/letter.txt").
  async attach(file) {
    const status = $("#attach-status");
    status.textContent = `Bringing ${file.name}…`;
    try {
      const stored = await uploadFile(file);
      status.textContent = `${stored.name} is here as ${stored.path}; say what to do with it.`;
      const before = this.input.value.trimEnd();
      this.input.value = `${before}${before ? " " : ""}${stored.path}`;
      this.fitInput();
      this.input.focus();
    } catch (error) {
      status.textContent = `Could not bring ${file.name}: ${describe(error)}`;
    }
  }

  start() {
    this.log.replaceChildren();
    this.cards.clear();
    this.loaded = false;
    this.setBusy(false);
    this.socket.connect();
  }

  stopAll() {
    this.voice.shutdown();
    this.socket.close();
    this.setBusy(false);
  }

  focus() {
    this.input.focus();
  }

  fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  // ---- sending ----

  sendText() {
    const text = this.input.value.trim();
    if (!text) return;
    const id = `say-${Date.now().toString(36)}-${++this.sayCount}`;
    if (!this.socket.send({ type: "say", text, id })) {
      this.note("notice", "Not connected right now; your message is still in the box. It will send once we reconnect.");
      return;
    }
    this.input.value = "";
    this.fitInput();
    const el = this.messageEl("user", text, Date.now() / 1000, false);
    el.dataset.say = id;
    this.outbox.set(id, { text, el, state: "sending" });
    this.markSay(id, "sending", "sending…");
    this.append(el);
    this.scrollDown(true);
    if (!this.busy) this.setBusy(true, "");
  }

  /** Show a said message's state under its bubble: sending, waiting, not sent. */
  markSay(id, state, words, action = null) {
    const entry = this.outbox.get(id);
    if (!entry) return;
    entry.state = state;
    entry.el.dataset.state = state;
    const meta = $(".meta", entry.el);
    $(".say-state", meta)?.remove();
    if (words) meta.append(h("span", { class: "say-state" }, ` · ${words}`, action));
  }

  resend(id) {
    const entry = this.outbox.get(id);
    if (!entry) return;
    if (this.socket.send({ type: "say", text: entry.text, id })) this.markSay(id, "sending", "sending…");
  }

  onAccepted(event) {
    const waiting = event.waiting > 0 ? "sent; answered after what is under way" : "";
    this.markSay(event.id, "accepted", waiting);
  }

  onRefused(event) {
    const again = h("button", { type: "button", class: "link", onclick: () => this.resend(event.id) }, "Send again");
    this.markSay(event.id, "refused", `not sent: ${event.message} `, again);
    if (this.outbox.size > 0 && [...this.outbox.values()].every((e) => e.state === "refused") && !this.bubble) {
      this.setBusy(false);
    }
  }

  onSayStarted(event) {
    this.markSay(event.id, "started", "");
    this.outbox.delete(event.id);
    this.deciding = null; // a choice made before this message has had its turn
    if (!this.busy) this.setBusy(true);
  }

  /** After a reconnect: what the server had not started is sent again, in order. */
  resendWaiting() {
    for (const [id, entry] of this.outbox) {
      if (entry.state !== "refused") this.resend(id);
    }
  }

  stop() {
    if (!this.busy) return;
    this.socket.send({ type: "stop" });
    this.typingText.textContent = "Stopping…";
  }

  /** Send a choice on a proposal; a string return says why it could not be sent. */
  decide(id, confirm) {
    if (!this.socket.send({ type: confirm ? "confirm" : "decline", proposal_id: id })) {
      return "Not connected; choose again once we reconnect.";
    }
    this.deciding = id;
    return "";
  }

  setBusy(busy, status = "") {
    this.busy = busy;
    this.stopButton.hidden = !busy; // Send stays: what is typed meanwhile waits its turn
    this.typing.hidden = !busy;
    this.typingText.textContent = status || `${this.companion} is thinking…`;
    if (!busy) this.bubble = null;
  }

  // ---- receiving ----

  onEvent(event) {
    this.voice.onEvent(event);
    const handler = {
      hello: () => this.onHello(event),
      turn_started: () => {
        this.cardTurn = false;
      },
      transcript: () => this.onHeard(event.text),
      text_delta: () => this.onDelta(event.text),
      turn_finished: () => this.onFinished(event),
      accepted: () => this.onAccepted(event),
      refused: () => this.onRefused(event),
      say_started: () => this.onSayStarted(event),
      queued: () => {
        this.typingText.textContent = `You're ${ordinal(event.position)} in line… ${this.companion} will answer soon.`;
      },
      notice: () => this.note("notice", event.message),
      error: () => this.onError(event),
      proposal: () => this.addCard(event),
      action: () => this.onAction(event),
      elsewhere: () => this.onElsewhere(event),
    }[event.type];
    if (handler) handler();
  }

  async onHello(hello) {
    this.companion = hello.companion || this.companion;
    this.hooks.onHello(hello);
    if (!this.loaded) {
      this.loaded = true;
      await this.loadHistory();
    } else {
      this.resendWaiting();
    }
  }

  async loadHistory() {
    let items;
    try {
      items = await api("history?limit=50");
    } catch (error) {
      this.note("error", `Could not load our conversation. ${describe(error)}`);
      return;
    }
    const fresh = document.createDocumentFragment();
    for (const item of items) {
      if (item.role !== "user" && item.role !== "assistant") continue;
      fresh.append(this.messageEl(item.role, item.text, item.created_at, item.status === "interrupted"));
    }
    this.log.prepend(fresh);
    this.scrollDown(true);
    // A first visit: let the companion introduce itself (a no-op once it has).
    if (items.length === 0) this.socket.send({ type: "greet" });
  }

  /** Something said aloud, as the server heard it: the person's side of a spoken turn. */
  onHeard(text) {
    this.append(this.messageEl("user", text, Date.now() / 1000, false));
    this.scrollDown(true);
    this.setBusy(true);
  }

  onDelta(text) {
    // a proposal's card already says what its text says (the text is for text-only doors)
    if (this.cardTurn) return;
    if (!this.busy) this.setBusy(true);
    this.typing.hidden = true;
    if (!this.bubble) {
      this.bubble = this.messageEl("assistant", "", Date.now() / 1000, false);
      this.bubble.classList.add("streaming");
      this.append(this.bubble);
    }
    $(".text", this.bubble).append(text);
    this.scrollDown();
  }

  onFinished(event) {
    const bubble = this.bubble;
    if (bubble) {
      bubble.classList.remove("streaming");
      if (event.text) $(".text", bubble).textContent = event.text;
      if (event.interrupted) this.markStopped(bubble);
    } else if (event.text && !this.cardTurn) {
      const fresh = this.messageEl("assistant", event.text, Date.now() / 1000, event.interrupted);
      this.append(fresh);
    }
    this.setBusy(false);
    this.hooks.onTurnDone();
  }

  /** A turn of this person's that finished in another window, device or app. */
  onElsewhere(event) {
    const said = this.messageEl("user", event.said, event.at, false);
    const reply = this.messageEl("assistant", event.reply, event.at, event.interrupted);
    for (const el of [said, reply]) {
      el.classList.add("elsewhere");
      $(".meta", el).append(h("span", { class: "where" }, " · in another window or app"));
    }
    // what this window said and still awaits an answer stays last: it is answered after
    let before = null;
    if (this.busy && !this.bubble) {
      for (let el = this.log.lastElementChild; el?.classList.contains("mine"); el = el.previousElementSibling) {
        before = el;
      }
    }
    const near = this.nearBottom();
    this.log.insertBefore(said, before);
    this.log.insertBefore(reply, before);
    if (near) this.scrollDown(true);
    this.hooks.onTurnDone();
  }

  onError(event) {
    if (this.deciding !== null && this.cards.has(this.deciding)) {
      // the server would not run the choice just made on a card: say so on the card
      const card = this.cards.get(this.deciding);
      this.deciding = null;
      settleCard(card, { status: "not_done", message: event.message });
      return;
    }
    if (event.id && this.outbox.has(event.id)) {
      this.onRefused(event); // a say the server could not take: on its own bubble
      return;
    }
    this.note("error", event.message, event.hint);
    if (this.bubble) this.bubble.classList.remove("streaming");
    this.setBusy(false);
  }

  addCard(event) {
    const card = proposalCard(event, (id, confirm) => this.decide(id, confirm));
    this.cards.set(event.proposal_id, card);
    this.cardTurn = true;
    this.append(card);
    this.scrollDown(true);
  }

  onAction(event) {
    const card = this.cards.get(event.proposal_id);
    if (this.deciding === event.proposal_id) this.deciding = null;
    if (card) settleCard(card, event);
    else this.note("notice", event.message);
  }

  // ---- rendering ----

  messageEl(role, text, createdAt, stopped) {
    const mine = role === "user";
    const el = h(
      "div",
      { class: `msg ${mine ? "mine" : "theirs"}` },
      h("span", { class: "visually-hidden" }, mine ? "You said:" : `${this.companion} said:`),
      h("div", { class: "text" }, text),
      h("div", { class: "meta" }, h("time", {}, clockTime(createdAt))),
    );
    if (stopped) this.markStopped(el);
    return el;
  }

  markStopped(el) {
    $(".meta", el).append(h("span", { class: "stopped" }, " · stopped"));
  }

  note(kind, message, hint = "") {
    const el = h(
      "div",
      { class: `note ${kind}`, role: kind === "error" ? "alert" : null },
      h("span", {}, message),
      hint ? h("span", { class: "hint" }, ` ${hint}`) : null,
    );
    this.append(el);
    this.scrollDown(true);
  }

  append(el) {
    const near = this.nearBottom();
    this.log.append(el);
    if (near) this.scrollDown(true);
  }

  nearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
  }

  scrollDown(force = false) {
    if (force || this.nearBottom()) this.log.scrollTop = this.log.scrollHeight;
  }

  showConnection(status) {
    const box = this.connection;
    box.replaceChildren();
    box.dataset.state = status.state;
    if (status.state === "connecting" && this.loaded) {
      box.append("Reconnecting…");
    } else if (status.state === "waiting") {
      if (this.busy) {
        // the server keeps what was said before the drop; the rest of the reply is gone
        this.note("notice", "The connection dropped; the reply may be cut short.");
        this.setBusy(false);
      }
      for (const id of this.outbox.keys()) {
        if (this.outbox.get(id).state !== "refused") this.markSay(id, "offline", "not sent yet: it will go once we reconnect");
      }
      box.append(
        `Connection lost. Trying again in ${status.retryIn} s. `,
        h("button", { type: "button", class: "link", onclick: () => this.socket.retryNow() }, "Reconnect now"),
      );
    }
  }
}
