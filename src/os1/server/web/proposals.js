// Proposal cards: an action with a side effect waits here for the person's yes or no.
// Nothing happens until they press Confirm; both buttons lock after a choice so one
// click cannot become two actions.

import { api, describe } from "./api.js";
import { h } from "./dom.js";

const OUTCOME = {
  done: "Done",
  declined: "Declined",
  failed: "Failed",
  undone: "Undone",
  not_done: "Not done",
};

/**
 * A card for a `proposal` event. `decide(id, confirm)` sends the choice; it returns a
 * reason when the choice could not be sent (offline), and the buttons unlock again; a
 * choice made while a reply runs waits its turn on the server.
 */
export function proposalCard(event, decide) {
  const titleId = `proposal-${event.proposal_id}-title`;
  const status = h("p", { class: "card-status", role: "status" }, "Waiting for your choice.");
  const confirm = h("button", { type: "button", class: "primary" }, "Confirm");
  const decline = h("button", { type: "button" }, "Decline");
  const choose = (yes) => {
    confirm.disabled = true;
    decline.disabled = true;
    status.textContent = yes ? "Doing it…" : "Declining…";
    const refused = decide(event.proposal_id, yes);
    if (refused) {
      confirm.disabled = false;
      decline.disabled = false;
      status.textContent = refused;
    }
  };
  confirm.addEventListener("click", () => choose(true));
  decline.addEventListener("click", () => choose(false));
  return h(
    "article",
    {
      class: "card proposal",
      "aria-labelledby": titleId,
      "data-proposal": event.proposal_id,
      "data-status": "pending",
      "data-undoable": event.undoable ? "yes" : "no",
    },
    h("p", { class: "card-kicker" }, "Proposed action"),
    h("h2", { id: titleId, class: "card-title" }, event.title),
    h("pre", { class: "preview" }, event.preview),
    event.undoable ? null : h("p", { class: "warn" }, "This cannot be undone."),
    h("div", { class: "card-actions" }, confirm, decline),
    status,
  );
}

/** Show what became of the proposal (an `action` event) and lock the card; a done,
 * undoable action gets an Undo button (the journal's undo, over HTTP). */
export function settleCard(card, event) {
  card.dataset.status = event.status;
  for (const button of card.querySelectorAll("button")) button.disabled = true;
  const status = card.querySelector(".card-status");
  status.replaceChildren(
    h("strong", {}, `${OUTCOME[event.status] || event.status}. `),
    event.message || "",
  );
  if (event.status === "done" && card.dataset.undoable === "yes") {
    const undo = h("button", { type: "button", class: "undo" }, "Undo");
    undo.addEventListener("click", async () => {
      undo.disabled = true;
      try {
        settleCard(card, await api(`actions/${event.proposal_id}/undo`, { method: "POST" }));
      } catch (error) {
        undo.disabled = false;
        status.replaceChildren(h("strong", {}, "Not undone. "), describe(error));
      }
    });
    card.querySelector(".card-actions").append(undo);
  }
}
