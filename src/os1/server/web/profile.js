// The profile page: the companion's picture of the person, section by section, built
// from remembered facts (each line links back to the memory page's evidence).

import { api, describe } from "./api.js";
import { $, h, plural } from "./dom.js";

export class ProfileView {
  constructor() {
    this.body = $("#profile-body");
    this.status = $("#profile-status");
  }

  async load() {
    this.status.textContent = "Loading…";
    let profile;
    try {
      profile = await api("profile");
    } catch (error) {
      this.status.textContent = `Could not load the profile. ${describe(error)}`;
      return;
    }
    const sections = profile.sections.filter((section) => section.lines.length > 0);
    const lines = sections.reduce((sum, section) => sum + section.lines.length, 0);
    if (lines === 0) {
      this.status.textContent = "I don't know much about you yet. Tell me about yourself in the chat.";
      this.body.replaceChildren();
      return;
    }
    const who = profile.person ? `About ${profile.person}: ` : "";
    this.status.textContent = `${who}${plural(lines, "thing")} I have learned, in ${plural(sections.length, "section")}.`;
    this.body.replaceChildren(...sections.map((section) => this.sectionEl(section)));
  }

  sectionEl(section) {
    const titleId = `profile-${section.key}`;
    return h(
      "section",
      { class: "card profile-section", "aria-labelledby": titleId },
      h("h2", { id: titleId }, section.title),
      h(
        "ul",
        {},
        section.lines.map((line) =>
          h(
            "li",
            {},
            h("span", {}, line.text),
            line.source_episode_ids.length
              ? h("span", { class: "muted small" }, ` · from ${plural(line.source_episode_ids.length, "message")}`)
              : null,
          ),
        ),
      ),
    );
  }
}
