// os1's web UI: signing in, the app shell and its pages. Plain ES modules, no build
// step and nothing from the network but our own server, so it works offline.
//
// Routing is by URL fragment (#/chat, #/memory, #/profile, #/letters, #/music, #/library,
// #/personas, #/timeline): every page
// has a link and Back works, with no server routes. A one-time sign-in link
// (#signin=CODE, printed by `os1 serve`) is redeemed first and then scrubbed from the
// address bar and history, so the code never lingers where it could be copied.

import { api, describe, whenSignedOut } from "./api.js";
import { ChatView } from "./chat.js";
import { $, plural } from "./dom.js";
import { LettersView } from "./letters.js";
import { LibraryView } from "./library.js";
import { MemoryView } from "./memory.js";
import { MusicView } from "./music.js";
import { PersonasView } from "./personas.js";
import { ProfileView } from "./profile.js";
import { TimelineView } from "./timeline.js";

const VIEWS = ["chat", "memory", "profile", "letters", "music", "library", "personas", "timeline"];
const ME_REFRESH_MS = 20000;

const state = { me: null, view: null, meTimer: null };

const chat = new ChatView({
  onHello: (hello) => showHeader({ companion: hello.companion, live_conversations: hello.live_conversations }),
  onTurnDone: () => refreshMe(),
  onRefused: (reason) => (reason === "signed_out" ? signedOut("Your session has ended. Please sign in again.") : chatRefused(reason)),
});
const pages = {
  memory: new MemoryView(),
  profile: new ProfileView(),
  letters: new LettersView(),
  music: new MusicView(),
  library: new LibraryView(),
  personas: new PersonasView(),
  timeline: new TimelineView(),
};

// ---- signing in and out ----

function showSignin(message = "") {
  $("#shell").hidden = true;
  $("#signin").hidden = false;
  $("#signin-error").textContent = message;
  document.title = "Sign in · os1";
  $("#signin-name").focus();
}

function signinError(error) {
  const box = $("#signin-error");
  box.replaceChildren();
  box.append(error.message || String(error));
  if (error.hint) {
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = ` ${error.hint}`;
    box.append(hint);
  }
}

async function signIn(body) {
  $("#signin-error").textContent = "";
  const buttons = document.querySelectorAll("#signin button");
  buttons.forEach((button) => (button.disabled = true));
  try {
    await api("session", { method: "POST", body, quiet401: true });
    await enter();
    return true;
  } catch (error) {
    signinError(error);
    return false;
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

function signedOut(message) {
  chat.stopAll();
  clearInterval(state.meTimer);
  state.me = null;
  showSignin(message);
}

function chatRefused(reason) {
  chat.note("error", `The chat would not open: ${reason}`, "Reload the page to try again.");
}

async function signOut() {
  try {
    await api("session", { method: "DELETE", quiet401: true });
  } catch {
    // the cookie is HttpOnly, so only the server can end the session; show it as ended anyway
  }
  signedOut("You have signed out.");
}

// ---- the shell ----

function showHeader({ companion, live_conversations: live }) {
  if (companion) {
    chat.companion = companion;
    $("#companion-name").textContent = companion;
    document.title = `${companion} · os1`;
  }
  if (typeof live === "number") {
    $("#live-count").textContent = `${plural(live, "conversation")} live now`;
  }
}

async function refreshMe() {
  try {
    state.me = await api("me");
    showHeader(state.me);
  } catch {
    // a failed refresh keeps the old numbers; a 401 has already signed us out
  }
}

/** We have a session: open the app. */
async function enter() {
  state.me = await api("me", { quiet401: true });
  $("#account-name").textContent = state.me.name;
  showHeader(state.me);
  $("#signin").hidden = true;
  $("#shell").hidden = false;
  $("#signin-password").reset();
  $("#signin-key").reset();
  clearInterval(state.meTimer);
  state.meTimer = setInterval(() => {
    if (document.visibilityState === "visible") refreshMe();
  }, ME_REFRESH_MS);
  chat.start();
  state.view = null;
  route();
}

function route() {
  if ($("#shell").hidden) return;
  const name = location.hash.replace(/^#\/?/, "") || "chat";
  const view = VIEWS.includes(name) ? name : "chat";
  const first = state.view === null;
  if (view === state.view) return;
  state.view = view;
  for (const other of VIEWS) $(`#view-${other}`).hidden = other !== view;
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "chat") {
    chat.scrollDown(true);
    chat.focus();
  } else {
    pages[view].load();
    // move focus to the new page's heading so screen readers announce it, except on
    // the first load where the page itself has just been announced
    if (!first) $(`#${view}-title`).focus();
  }
}

// ---- boot ----

async function redeemLink() {
  const match = location.hash.match(/^#signin=([^&]+)/);
  if (!match) return false;
  const code = decodeURIComponent(match[1]);
  history.replaceState(null, "", location.pathname + location.search);
  const ok = await signIn({ code });
  if (!ok) {
    const why = $("#signin-error").textContent;
    showSignin(`That sign-in link did not work. ${why}`);
  }
  return true;
}

async function boot() {
  whenSignedOut(() => signedOut("Your session has ended. Please sign in again."));
  $("#signin-password").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("#signin-name").value.trim();
    const password = $("#signin-pass").value;
    if (!name || !password) {
      signinError({ message: "Enter your name and password.", hint: "Or open the sign-in link that `os1 serve` printed." });
      return;
    }
    signIn({ name, password });
  });
  $("#signin-key").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("#signin-keyfield").value.trim();
    if (!key) {
      signinError({ message: "Paste your API key (it starts with os1_).", hint: "" });
      return;
    }
    signIn({ key });
  });
  $("#signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  if (await redeemLink()) return;
  try {
    await enter();
  } catch (error) {
    showSignin(error.status === 401 ? "" : describe(error));
  }
}

boot();
