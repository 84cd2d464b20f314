// The Send page: picking another template reloads the form with its variables;
// the subject field warns when it grows past what mail programs show.
(function () {
  const form = document.getElementById("send-form");
  if (!form) return;
  const template = form.querySelector("select[name=template]");
  if (template) {
    template.addEventListener("change", () => {
      window.location = form.dataset.templateUrl + "?template=" + encodeURIComponent(template.value);
    });
  }
  const subject = form.querySelector("input[name=subject]");
  const advice = document.getElementById("subject-advice");
  if (subject && advice) {
    const limit = Number(advice.dataset.limit);
    const update = () => advice.classList.toggle("text-danger", subject.value.length > limit);
    subject.addEventListener("input", update);
    update();
  }
})();
