// The Batch Sending pages.
// - The task list and a task's page poll their progress every 2 seconds while a task
//   shown is unfinished, and redraw each bar, its figures, the status and schedule,
//   and which of Pause / Resume / Cancel apply, without reloading.
// - Cancel asks first.
// - The new-task form shows the schedule fields of the chosen type, and swaps in the
//   variables of the chosen template and list (keeping what was typed) without reloading.
(function () {
  const POLL_MS = 2000;
  const RETRY_MS = 10000;

  // --- progress -----------------------------------------------------------------
  const holder = document.getElementById("task-progress");
  if (holder) {
    const url = holder.dataset.progressUrl;
    const rows = () => Array.from(holder.querySelectorAll("[data-task]"));
    const unfinished = () => rows().filter((row) => row.dataset.finished !== "true");

    const setText = (row, name, value) => {
      row.querySelectorAll(`[data-field="${name}"]`).forEach((el) => {
        el.textContent = value;
      });
      row.querySelectorAll(`[data-show="${name}"]`).forEach((el) => {
        el.hidden = !value;
      });
    };

    const draw = (row, task) => {
      ["sent", "refused", "cached"].forEach((part) => {
        const bar = row.querySelector(`[data-bar="${part}"]`);
        if (bar) {
          bar.style.width = `${task[`${part}_percent`]}%`;
          bar.setAttribute("aria-valuenow", task[part]);
          bar.setAttribute("aria-valuemax", task.total);
        }
      });
      ["sent", "refused", "cached", "total"].forEach((part) => {
        row.querySelectorAll(`[data-figure="${part}"]`).forEach((el) => {
          el.textContent = task[part];
        });
      });
      const status = row.querySelector('[data-field="status"]');
      if (status) {
        status.textContent = task.status_label;
        status.className = `badge ${task.badge}`;
      }
      ["next_run_at", "resume_at", "reason", "runs", "cached_label"].forEach((name) => setText(row, name, task[name] === 0 ? "0" : task[name]));
      const refusals = row.querySelector('[data-field="refusals"]');
      if (refusals) {
        refusals.replaceChildren(
          ...(task.refusals.length ? task.refusals : [[null, null]]).map(([label, count]) => {
            const item = document.createElement("li");
            if (label === null) {
              item.className = "text-secondary";
              item.textContent = "None";
            } else {
              item.textContent = `${label}: ${count}`;
            }
            return item;
          })
        );
      }
      ["pause", "resume", "cancel"].forEach((action) => {
        row.querySelectorAll(`[data-action="${action}"]`).forEach((form) => {
          form.hidden = !task[`can_${action}`];
        });
      });
      row.dataset.finished = task.finished ? "true" : "false";
    };

    const poll = async () => {
      const waiting = unfinished();
      if (!waiting.length) return; // everything shown is done: nothing moves any more
      let target = url;
      if ("pollIds" in holder.dataset) {
        // The list asks for its unfinished tasks; a task's page has a URL of its own.
        const ids = waiting.map((row) => row.dataset.task).join(",");
        target = `${url}?ids=${encodeURIComponent(ids)}`;
      }
      let data;
      try {
        const response = await fetch(target, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        // A redirect is the sign-in page: the session ended, the page stays as it is.
        if (!response.ok || response.redirected) throw new Error(`HTTP ${response.status}`);
        data = await response.json();
      } catch (error) {
        setTimeout(poll, RETRY_MS);
        return;
      }
      data.tasks.forEach((task) => {
        const row = holder.querySelector(`[data-task="${task.id}"]`);
        if (row) draw(row, task);
      });
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  }

  // --- cancel asks first ----------------------------------------------------------
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // --- the new-task form ----------------------------------------------------------
  const form = document.getElementById("task-form");
  if (!form) return;

  const types = () => form.querySelector("input[name=task_type]:checked");
  const showSchedule = () => {
    const chosen = types() ? types().value : "immediate";
    form.querySelectorAll("[data-types]").forEach((part) => {
      part.hidden = !part.dataset.types.split(" ").includes(chosen);
    });
  };
  form.querySelectorAll("input[name=task_type]").forEach((input) => {
    input.addEventListener("change", showSchedule);
  });
  showSchedule();

  const template = form.querySelector("select[name=template]");
  const list = form.querySelector("select[name=receiver_list]");
  const subject = form.querySelector("input[name=subject]");
  const variables = () => document.getElementById("task-variables");
  const typed = {};
  const remember = () => {
    variables().querySelectorAll("[name^=var_]").forEach((input) => {
      typed[input.name] = input.value;
    });
  };

  let submitting = false;
  form.addEventListener("submit", () => {
    submitting = true;
  });
  // What the page does without JavaScript: post everything back with "choose".
  const chooseByPosting = () => {
    if (submitting) return;
    const choose = document.createElement("input");
    choose.type = "hidden";
    choose.name = "choose";
    choose.value = "1";
    form.appendChild(choose);
    form.submit();
  };

  let asked = 0;
  const showVariables = async (force) => {
    const key = { template: template ? template.value : "", receiver_list: list ? list.value : "" };
    const panel = variables();
    if (!force && panel.dataset.template === key.template && panel.dataset.list === key.receiver_list) return;
    const query = new URLSearchParams({ ...key, subject: subject ? subject.value : "" });
    const mine = ++asked;
    panel.setAttribute("aria-busy", "true");
    let html;
    try {
      const response = await fetch(`${form.dataset.variablesUrl}?${query}`, { credentials: "same-origin" });
      if (!response.ok || response.redirected) throw new Error(`HTTP ${response.status}`);
      html = await response.text();
    } catch (error) {
      chooseByPosting();
      return;
    }
    if (mine !== asked) return; // a later choice is on its way
    remember();
    const fresh = document.createElement("div");
    fresh.innerHTML = html.trim();
    const replacement = fresh.firstElementChild;
    replacement.querySelectorAll("[name^=var_]").forEach((input) => {
      if (input.name in typed) input.value = typed[input.name];
    });
    variables().replaceWith(replacement);
  };
  if (template) template.addEventListener("change", () => showVariables(false));
  if (list) list.addEventListener("change", () => showVariables(false));
  // The subject's own {{variables}} count too.
  if (subject) subject.addEventListener("change", () => showVariables(true));
  // A browser that restores form fields (Back, a reload) may show another choice
  // than the one the server drew the panel for.
  showVariables(false);

  const preview = document.getElementById("preview");
  if (preview) preview.scrollIntoView({ block: "start" });
})();
