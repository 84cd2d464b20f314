// While a DNS check runs, poll the domain's status and redraw its records.
(function () {
  const container = document.getElementById("records-container");
  if (!container) return;
  const url = container.dataset.statusUrl;
  function checking() {
    const records = document.getElementById("records");
    return records && records.dataset.checking === "true";
  }
  function poll() {
    if (!checking()) return;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        container.innerHTML = data.html;
        if (data.checking) setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 5000));
  }
  setTimeout(poll, 1000);
})();
