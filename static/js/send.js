// The Send page: choosing another template swaps in its variable fields without
// reloading, so the sender, subject and recipients typed so far stay; the subject
// field warns when it grows past what mail programs show; a preview is scrolled to.
(function () {
  const form = document.getElementById("send-form");
  if (!form) return;

  const template = form.querySelector("select[name=template]");
  // Values typed into variables, by field name, across every template shown:
  // switching back and forth must not lose them.
  const typed = {};
  const variables = () => document.getElementById("send-variables");
  const remember = () => {
    variables().querySelectorAll("[name^=var_]").forEach((input) => {
      typed[input.name] = input.value;
    });
  };

  // Once the form is on its way the page is leaving: a fetch it cuts short
  // is no failure to recover from.
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

  if (template) {
    const showVariables = async () => {
      const chosen = template.value;
      if (variables().dataset.template === chosen) return; // its fields are shown
      const url = form.dataset.variablesUrl.replace(/\/0\/variables\/$/, `/${encodeURIComponent(chosen)}/variables/`);
      variables().setAttribute("aria-busy", "true");
      let html;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        // A redirect here is the sign-in page: let the server handle the whole form.
        if (!response.ok || response.redirected) throw new Error(`HTTP ${response.status}`);
        html = await response.text();
      } catch (error) {
        chooseByPosting();
        return;
      }
      if (template.value !== chosen) return; // a later choice is on its way
      remember(); // now: typing went on while the fields were fetched
      const holder = document.createElement("div");
      holder.innerHTML = html.trim();
      const fresh = holder.firstElementChild;
      fresh.querySelectorAll("[name^=var_]").forEach((input) => {
        if (input.name in typed) input.value = typed[input.name];
      });
      variables().replaceWith(fresh);
    };
    template.addEventListener("change", showVariables);
    // A browser that restores form fields (Back, a reload) may show another
    // template than the one the server drew the fields for.
    showVariables();
  }

  const subject = form.querySelector("input[name=subject]");
  const advice = document.getElementById("subject-advice");
  if (subject && advice) {
    const limit = Number(advice.dataset.limit);
    const update = () => advice.classList.toggle("text-danger", subject.value.length > limit);
    subject.addEventListener("input", update);
    update();
  }

  const preview = document.getElementById("preview");
  if (preview) preview.scrollIntoView({ block: "start" });
})();
